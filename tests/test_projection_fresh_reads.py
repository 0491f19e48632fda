"""A batch reads no rows of a dossier it receives before any other of its entries: the views
cannot hold rows of it yet, its receipt makes them.

The read list leaves such a dossier out (its location row and its legs), and keeps a dossier
whose receipt came in an earlier batch, or whose other entries come first; the views built so
are those built one entry at a time, whether a dossier's entries share a batch or not; views
out of step with the log (a row already there for a dossier the batch receives) still stop the
projection, with nothing of the batch applied."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import pytest

from domain.dossier import Dossier
from domain.signed import SignedAggregate
from ledger.views import projector as projections
from ledger.views import rules
from ledger.views.projector import NAME, ProjectionStopped, Projector
from tests.test_projection_batches import built
from tests.world import World

FIRST = "000.00.01.H59-250303-0201"
SECOND = "000.00.01.H59-250303-0202"


def said(code: str, seq: int) -> rules.Facts:
    return rules.Facts(
        kind="dossier.x",
        subject=code,
        seq=seq,
        office="29266",
        officer="o",
        at=seq,
        body=rules.Body(),
    )


def listed(read: rules.Reads) -> tuple[list[str], list[str]]:
    """The codes whose location rows, and whose legs, the reads select."""

    def codes(queries: Iterable[rules.Query]) -> list[str]:
        found: list[str] = []
        for _sql, params in queries:
            found.extend(params[0] if len(params) == 1 and isinstance(params[0], list) else params)
        return found

    return codes(read.queries[: read.located]), codes(read.queries[read.located :])


@pytest.mark.parametrize("kind", ["postgres", "sqlite"])
def test_the_reads_leave_out_a_dossier_the_batch_receives_before_its_other_entries(
    kind: str,
) -> None:
    entries: list[tuple[type[Any], rules.Facts]] = [
        (Dossier.Received, said("fresh", 1)),
        (Dossier.Dispatched, said("fresh", 2)),
        (Dossier.Acknowledged, said("fresh", 3)),
        (Dossier.Dispatched, said("known", 5)),
        (Dossier.Acknowledged, said("known", 6)),
        (SignedAggregate.Created, said("office", 1)),  # a registry subject: no read
        (Dossier.Decided, said("odd", 7)),
        (Dossier.Received, said("odd", 1)),  # after another of its entries: read all the same
        (Dossier.Recalled, said("odd", 8)),
    ]

    assert listed(rules.reads(kind, entries)) == (["known", "odd"], ["known", "odd"])
    received_only = [(Dossier.Received, said(code, 1)) for code in ("a", "b")]
    assert rules.reads(kind, received_only).queries == []


@pytest.fixture
def projector(world: World) -> Iterator[Projector]:
    made = Projector(world.ledger)
    yield made
    made.close()


@pytest.fixture
def read_lists(monkeypatch: pytest.MonkeyPatch) -> list[tuple[list[str], list[str]]]:
    """The codes each batch reads, (location rows, legs), batch by batch."""
    kept: list[tuple[list[str], list[str]]] = []

    def keeping(kind: str, entries: Iterable[tuple[type[Any], rules.Facts]]) -> rules.Reads:
        read = rules.reads(kind, entries)
        kept.append(listed(read))
        return read

    monkeypatch.setattr(projections, "reads", keeping)
    return kept


def test_a_dossier_received_and_moved_in_one_batch_builds_the_views_built_one_by_one(
    world: World,
    projector: Projector,
    read_lists: list[tuple[list[str], list[str]]],
) -> None:
    world.receive(FIRST)
    sent = world.dispatch("29266", "844", FIRST)
    world.acknowledge("844", sent, FIRST)
    world.receive(SECOND)

    projector.catch_up()
    assert read_lists == [([], [])]  # both received in the batch before anything else of theirs
    assert projector.dump() == built(world, 1)
    read_lists.clear()  # (the build one entry at a time read too)

    sent = world.dispatch("29266", "844", SECOND)
    world.acknowledge("844", sent, SECOND)
    world.dispatch("844", "84", FIRST)
    projector.catch_up()
    assert read_lists == [([SECOND, FIRST], [SECOND])]  # received in an earlier batch
    assert projector.dump() == built(world, 1)


def test_a_row_already_there_for_a_dossier_the_batch_receives_stops_the_projection(
    world: World, projector: Projector
) -> None:
    world.receive(FIRST)
    projector.catch_up()
    before = projector.dump()
    with projector.view.transaction() as cursor:  # the views out of step: the log applied again
        cursor.execute("UPDATE lienthong_tracking SET position = 0 WHERE projection = ?", (NAME,))

    with pytest.raises(ProjectionStopped):
        projector.catch_up()
    assert projector.position() == 0
    assert projector.dump() == before
