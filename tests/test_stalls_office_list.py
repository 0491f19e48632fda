"""The stall query narrows an office subtree in SQL to a list of the registry's offices that may
answer to it — read from the registry, not from a scan of the dossiers — and lists none when
every office does (a province's root), which would only keep the ranges from being read in
order."""

from __future__ import annotations

from datetime import date

from ledger.reference.calendar import load_calendar
from ledger.views.projector import Projector
from ledger.views.sla import Inspector
from ledger.views.stalls import _possibly_under
from tests.world import World


def test_the_offices_listed_for_a_subtree_come_from_the_registry() -> None:
    world = World.build()
    projector = Projector(world.ledger)
    try:
        projector.catch_up()  # no dossier at all: the list does not depend on them
        inspector = Inspector(world.ledger, projector, load_calendar())
        day = date(2025, 3, 5)
        assert _possibly_under(inspector, "844", day) == ["29266", "29269", "844"]
        assert _possibly_under(inspector, "845", day) == ["845"]
        assert _possibly_under(inspector, "84", day) is None  # every one of the five
    finally:
        projector.close()
        world.ledger.close()
