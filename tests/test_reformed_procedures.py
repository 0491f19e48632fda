"""The procedures as reformed on 1/7/2025 (docs/law.md, "Procedures' budgets"): each seeded
procedure routed through a district has a version 2 from that day with its own route, budgets,
deciding level and legal basis, and says which of its budgets are provisional; a dossier keeps the
version it was received under across the reform."""

from __future__ import annotations

import hashlib
from datetime import date, datetime

import pytest

from domain.calendar import end_of
from domain.instant import VIETNAM, from_datetime, local_date
from domain.procedure import Procedure
from ledger.application import Ledger
from ledger.clock import SimulatedClock
from ledger.config import LedgerSettings
from ledger.errors import BadField
from ledger.reference.calendar import load_calendar
from ledger.reference.seed import seed_travinh
from ledger.statements import schema
from ledger.statements.authoring import Signer, initialise
from ledger.views.deadlines import appointed_for
from ledger.views.projector import Projector
from ledger.views.sla import Inspector
from ledger.views.slip import control_slip
from tests.world import document, seeded_key

BEFORE = date(2025, 6, 30)  # Monday, the districts' last day
AFTER = date(2025, 7, 1)  # Tuesday, the reform
W, C = "working", "calendar"


def local(day: date, hour: int = 9) -> int:
    return from_datetime(datetime(day.year, day.month, day.day, hour, tzinfo=VIETNAM))


@pytest.fixture(scope="module")
def seeded() -> Ledger:
    clock = SimulatedClock(local(date(2025, 6, 2)))
    ledger = Ledger(LedgerSettings(database_url="memory:"), clock=clock)
    key = seeded_key("authority")
    initialise(ledger, key)
    seed_travinh(ledger, Signer.authority(ledger, key))
    return ledger


# procedure, day of receipt -> version, route as (level, days, day type), who decides, whether a
# budget is provisional, the appointed day for a receipt at 9:00 that day
# fmt: off
CASES = [
    ("social-allowance-monthly", BEFORE, 1, [("commune", 12, W), ("district", 10, W)],
     ["district"], False, date(2025, 7, 30)),
    ("social-allowance-monthly", AFTER, 2, [("commune", 10, W)],
     ["commune"], False, date(2025, 7, 15)),
    ("social-allowance-move-within-district", BEFORE, 1, [("commune", 3, W), ("district", 3, W)],
     ["district"], False, date(2025, 7, 8)),
    ("social-allowance-move-within-district", AFTER, 2, [("commune", None, W), ("commune", 10, W)],
     ["commune"], True, date(2025, 7, 15)),
    ("social-allowance-move-between-districts", BEFORE, 1,
     [("commune", 3, W), ("district", 5, W), ("commune", 3, W), ("district", 5, W)],
     ["district"], False, date(2025, 7, 22)),
    ("social-allowance-move-between-districts", AFTER, 2,
     [("commune", None, W), ("commune", 10, W)], ["commune"], True, date(2025, 7, 15)),
    ("funeral-support-social", BEFORE, 1, [("commune", 2, W), ("district", 3, W)],
     ["district"], False, date(2025, 7, 7)),
    ("funeral-support-social", AFTER, 2, [("commune", 3, W)], ["commune"], True, date(2025, 7, 4)),
    ("funeral-support-disaster", BEFORE, 1, [("commune", None, W), ("district", 3, W)],
     ["district"], False, date(2025, 7, 3)),
    ("funeral-support-disaster", AFTER, 2, [("commune", 3, W)], ["commune"], True,
     date(2025, 7, 4)),
    ("emergency-foster-care", BEFORE, 1, [("commune", 2, W), ("district", 3, W)],
     ["district"], False, date(2025, 7, 7)),
    ("emergency-foster-care", AFTER, 2, [("commune", 5, W)], ["commune"], True, date(2025, 7, 8)),
    ("social-care-facility-admission", BEFORE, 1,
     [("commune", 17, W), ("district", 10, W), ("province", 7, W)],
     ["province"], False, date(2025, 8, 15)),
    ("social-care-facility-admission", AFTER, 2, [("commune", 17, W), ("province", 7, W)],
     ["province"], True, date(2025, 8, 4)),
    ("martyr-worship-allowance", BEFORE, 1,
     [("commune", 5, W), ("district", 7, W), ("province", 12, C)],
     ["province"], False, date(2025, 7, 28)),
    ("martyr-worship-allowance", AFTER, 2, [("commune", 5, W), ("province", 12, C)],
     ["province"], True, date(2025, 7, 21)),
    ("merit-funeral-allowance", AFTER, 2, [("commune", 5, W), ("province", 12, C)],
     ["province"], True, date(2025, 7, 21)),
    ("merit-one-off-death", AFTER, 2, [("commune", 5, W), ("province", 12, C)],
     ["province"], True, date(2025, 7, 21)),
    ("merit-survivor-monthly", BEFORE, 1,
     [("commune", 12, C), ("district", 7, W), ("province", 12, C)],
     ["province"], False, date(2025, 8, 4)),
    ("merit-survivor-monthly", AFTER, 2, [("commune", 12, C), ("province", 12, C)],
     ["province"], True, date(2025, 7, 28)),
    ("merit-education-preference", BEFORE, 1,
     [("commune", 3, W), ("district", 5, W), ("province", 7, W)],
     ["province"], False, date(2025, 7, 21)),
    ("merit-education-preference", AFTER, 2, [("commune", 3, W), ("province", 7, W)],
     ["province"], True, date(2025, 7, 15)),
    ("disability-determination", AFTER, 1, [("commune", 25, W), ("council", 5, W)],
     ["commune"], False, date(2025, 8, 12)),
]
# fmt: on


@pytest.mark.parametrize(
    ("key", "day", "number", "route", "decides", "provisional", "appointed"),
    CASES,
    ids=[f"{case[0]}-{case[1].isoformat()}" for case in CASES],
)
def test_each_procedure_is_judged_by_the_version_in_force_on_its_day_of_receipt(
    seeded: Ledger,
    key: str,
    day: date,
    number: int,
    route: list[tuple[str, int | None, str]],
    decides: list[str],
    provisional: bool,
    appointed: date,
) -> None:
    version = seeded.procedure(key).effective_on(day)
    assert version is not None
    assert version.version == number
    assert [(step.level, step.days, step.day_type) for step in version.route] == route
    assert list(version.decides) == decides
    assert bool(version.provisional) is provisional
    assert local_date(appointed_for(version, local(day), load_calendar())) == appointed


def test_the_reformed_versions_cite_the_2025_texts(seeded: Ledger) -> None:
    allowance = seeded.procedure("social-allowance-monthly").get_version(2)
    assert allowance.legal_basis == "Decree 147/2025/NĐ-CP Art. 5"
    assert allowance.effective == AFTER
    for key in ("martyr-worship-allowance", "merit-education-preference"):
        merit = seeded.procedure(key).get_version(2)
        assert "Decree 129/2025/NĐ-CP" in merit.legal_basis
        assert "Circular 09/2025/TT-BNV" in merit.legal_basis
        assert "Sở Nội vụ" in merit.provisional


def test_refuses_a_provisional_reason_that_is_not_text() -> None:
    version = dict(_body(), provisional=5)
    with pytest.raises(BadField):
        schema.BODIES["procedure.published"].check(version, "body")


def test_a_version_without_a_provisional_reason_is_confirmed() -> None:
    checked = schema.BODIES["procedure.published"].check(_body(), "body")
    assert "provisional" not in checked
    assert Procedure  # the version read back has none: see the table above (provisional False)


def _body() -> dict[str, object]:
    return {
        "version": 1,
        "name_vi": "Trợ cấp",
        "name_en": "Allowance",
        "route": [{"level": "commune", "days": 10, "day_type": "working"}],
        "decides": ["commune"],
        "legal_basis": "Decree 147/2025/NĐ-CP Art. 5",
        "effective": "2025-07-01",
    }


def test_a_dossier_received_before_the_reform_keeps_its_version_and_route() -> None:
    """Received at Thị trấn Càng Long on Monday 30/6/2025 under the merit procedure's version 1
    (commune → district → province), handed to the district the same day and to the province on
    its last day; the province is merged into Vĩnh Long's on 1/7 and decides in July. The dossier
    stays on version 1: its appointed day and the slip's blocks are judged by the 2021 route,
    district level included (version 2 would have appointed 15/7 with no district)."""
    clock = SimulatedClock(local(date(2025, 6, 2)))
    ledger = Ledger(LedgerSettings(database_url="memory:"), clock=clock)
    authority = Signer.authority(ledger, seeded_key("authority"))
    initialise(ledger, seeded_key("authority"))
    seed_travinh(ledger, authority)
    signers = {}
    for office in ("29266", "844", "84"):
        officer = f"cb-{office}"
        key = seeded_key(officer)
        authority.record(
            "officer.enrolled",
            officer,
            {"office": office, "title": "Công chức", "effective": clock.now()},
        )
        authority.record(
            "key.registered",
            key.key_id,
            {
                "officer": officer,
                "public_key": key.public_key,
                "role": "officer",
                "effective": clock.now(),
            },
        )
        signers[office] = Signer(ledger, key, officer, office)
    code = "000.66.29.H59-250630-0001"
    procedure: Procedure = ledger.procedure("merit-education-preference")
    version = procedure.effective_on(BEFORE)
    assert version is not None
    assert version.version == 1
    clock.set(local(BEFORE, 8))
    appointed = appointed_for(version, clock.now(), load_calendar())
    files = [document("Đơn đề nghị")]
    signers["29266"].record(
        "dossier.received",
        code,
        {
            "procedure": "merit-education-preference",
            "version": 1,
            "applicant": hashlib.sha256(b"salt|applicant").digest(),
            "channel": "direct",
            "documents": files,
            "appointed": appointed,
        },
    )
    for sender, to, hour in (("29266", "844", 9), ("844", "84", 14)):
        clock.set(local(BEFORE, hour))
        sent = signers[sender].record(
            "handover.dispatched", code, {"to": to, "purpose": "process", "documents": files}
        )
        clock.set(local(BEFORE, hour + 1))
        signers[to].record(
            "handover.acknowledged", code, {"dispatch": sent.digest, "documents": files}
        )
    # the province's officer moves to Vĩnh Long's province on 1/7 and decides in July
    clock.set(local(date(2025, 7, 10)))
    authority.record(
        "officer.moved",
        "cb-84",
        {"office": "86", "title": "Công chức", "effective": local(AFTER, 0)},
    )
    decider = Signer(ledger, seeded_key("cb-84"), "cb-84", "86")
    decider.record(
        "dossier.decided", code, {"outcome": "approved", "reference": "QĐ 1", "documents": files}
    )
    dossier = ledger.dossier(code)
    assert dossier.procedure_version == 1
    assert local_date(dossier.appointed) == date(2025, 7, 21)  # 3 + 5 + 7 working days
    projector = Projector(ledger)
    try:
        projector.catch_up()
        inspector = Inspector(ledger, projector, load_calendar())
        slip = control_slip(inspector, code, clock.now())
        assert slip is not None
        assert [block.level for block in slip.blocks] == ["commune", "district", "province"]
        assert slip.blocks[1].budget is not None
        assert slip.blocks[1].budget.days == 5
        # the province's 7 working days from its receipt on 30/6, so its July decision is late
        assert slip.blocks[2].deadline == end_of(date(2025, 7, 9))
        assert slip.blocks[2].result == "late"
    finally:
        projector.close()
