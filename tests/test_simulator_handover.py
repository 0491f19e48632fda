"""The simulator never plans a dispatch from an office to itself (the ledger refuses one): a
dossier a district held when the districts were dissolved on 1/7/2025 passed to the commune it was
to be returned to, so from that day there is nothing to hand over — whether the return was to be
sent that day or re-sent after a refusal."""

from __future__ import annotations

import random
from datetime import datetime

import pytest

from domain.instant import VIETNAM, from_datetime
from ledger.application import Ledger
from ledger.clock import SimulatedClock
from ledger.config import LedgerSettings
from ledger.reference.calendar import load_calendar
from ledger.reference.seed import seed_travinh
from ledger.simulation.simulator import _office_map, _versions
from ledger.simulation.traffic import Knobs, Planner, WorkingTime, _Journey, document
from ledger.statements.authoring import Signer, initialise
from tests.world import seeded_key

PROCEDURE = "social-allowance-monthly"  # decided at the district before the reform
COMMUNE, DISTRICT, MERGED = "29431", "848", "29431/2025"  # the commune, its district, 1/7/2025 on


@pytest.fixture(scope="module")
def ledger() -> Ledger:
    ledger = Ledger(LedgerSettings(database_url="memory:"), clock=SimulatedClock(0))
    initialise(ledger, seeded_key("authority"))
    seed_travinh(ledger, Signer.authority(ledger, seeded_key("authority")))
    return ledger


def _journey(ledger: Ledger, knobs: Knobs, at: datetime) -> _Journey:
    """A dossier received at COMMUNE in May 2025, decided and held at DISTRICT at `at`."""
    versions = _versions(ledger)
    planner = Planner(
        random.Random(3),
        _office_map(ledger),
        WorkingTime(load_calendar()),
        lambda office, _day: [f"sim-{office}-1"],
        set(),
        knobs,
    )
    planner.versions = versions
    received = from_datetime(datetime(2025, 5, 6, 10, tzinfo=VIETNAM))
    journey = _Journey(planner, "X", COMMUNE, received, versions[PROCEDURE][0])
    journey.procedure = PROCEDURE
    journey.holder = DISTRICT
    journey.at = from_datetime(at.replace(tzinfo=VIETNAM))
    return journey


def _return(journey: _Journey) -> bool:
    return journey.hand_over(COMMUNE, "return", [document("X", "Quyết định")])


SURE = Knobs(reject=0, forget_ack=0, forget_ack_slow=0)


def test_before_the_reform_the_district_sends_the_decision_back_to_the_commune(
    ledger: Ledger,
) -> None:
    journey = _journey(ledger, SURE, datetime(2025, 6, 30, 9, 30))
    assert _return(journey)
    acts = [(act.kind, act.office, act.body.get("to")) for act in journey.plan.acts]
    assert acts == [
        ("handover.dispatched", DISTRICT, COMMUNE),
        ("handover.acknowledged", COMMUNE, None),
    ]
    assert journey.holder == COMMUNE


def test_from_1_7_2025_the_commune_holds_it_and_nothing_is_sent(ledger: Ledger) -> None:
    journey = _journey(ledger, SURE, datetime(2025, 7, 1, 9, 30))
    assert _return(journey)
    assert journey.plan.acts == []
    assert journey.holder == MERGED


def test_a_return_refused_on_30_6_is_not_sent_again_once_the_commune_holds_it(
    ledger: Ledger,
) -> None:
    journey = _journey(ledger, Knobs(reject=1, forget_ack=0), datetime(2025, 6, 30, 16, 30))
    assert _return(journey)
    kinds = [(act.kind, act.body.get("to")) for act in journey.plan.acts]
    assert kinds == [("handover.dispatched", COMMUNE), ("handover.rejected", None)]
    assert all(act.body.get("to") != act.office for act in journey.plan.acts)
    assert journey.holder == MERGED
