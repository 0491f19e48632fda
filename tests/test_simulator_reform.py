"""The simulator across the dissolution of the districts: a dossier a district holds on 30/6/2025
goes on with the office the registry names for its procedure — back to its commune, which decides
the monthly allowance, or to the new province's Department of Home Affairs for a merit
procedure — and is never left with an office that no longer exists."""

from __future__ import annotations

import random
from datetime import date, datetime

import pytest

from domain.instant import VIETNAM, from_datetime, local_date
from ledger.application import Ledger
from ledger.clock import SimulatedClock
from ledger.config import LedgerSettings
from ledger.reference.calendar import load_calendar
from ledger.reference.seed import seed_travinh
from ledger.simulation.simulator import _office_map, _versions
from ledger.simulation.traffic import Knobs, Planner, WorkingTime
from ledger.statements.authoring import Signer, initialise
from tests.world import seeded_key

# nothing goes astray, and the district (planted slow) always takes long enough to be caught by
# the reform with the dossier
KNOBS = Knobs(
    supplement=0, withdraw=0, reject=0, forget_ack=0, forget_ack_slow=0, late_slow=1.0, apology=0
)


@pytest.fixture(scope="module")
def ledger() -> Ledger:
    ledger = Ledger(LedgerSettings(database_url="memory:"), clock=SimulatedClock(0))
    initialise(ledger, seeded_key("authority"))
    seed_travinh(ledger, Signer.authority(ledger, seeded_key("authority")))
    return ledger


@pytest.mark.parametrize(
    ("procedure", "decider", "acts"),
    [
        (
            "social-allowance-monthly",
            "29266/2025",
            [
                ("dossier.received", "29266"),
                ("handover.dispatched", "29266"),
                ("handover.acknowledged", "844"),
                ("dossier.decided", "29266/2025"),
                ("dossier.result_returned", "29266/2025"),
            ],
        ),
        (
            "merit-education-preference",
            "86/snv",
            [
                ("dossier.received", "29266"),
                ("handover.dispatched", "29266"),
                ("handover.acknowledged", "844"),
                ("dossier.decided", "86/snv"),
                ("handover.dispatched", "86/snv"),
                ("handover.acknowledged", "29266/2025"),
                ("dossier.result_returned", "29266/2025"),
            ],
        ),
    ],
)
def test_a_dossier_caught_at_a_district_by_the_reform_goes_on_with_its_successor(
    ledger: Ledger, procedure: str, decider: str, acts: list[tuple[str, str]]
) -> None:
    versions = _versions(ledger)
    planner = Planner(
        random.Random(1),
        _office_map(ledger),
        WorkingTime(load_calendar()),
        lambda office, _day: [f"sim-{office}-1"],
        {"844"},
        KNOBS,
    )
    planner.versions = versions
    received = from_datetime(datetime(2025, 6, 16, 9, tzinfo=VIETNAM))
    plan = planner.plan("X", "29266", received, procedure, versions[procedure][0])
    assert not plan.stranded
    assert [(act.kind, act.office) for act in plan.acts] == acts
    decided = next(act for act in plan.acts if act.kind == "dossier.decided")
    assert decided.office == decider
    assert local_date(decided.at) >= date(2025, 7, 1)
