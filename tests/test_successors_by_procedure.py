"""Who takes over a dossier when its office ends, by the dossier's procedure (docs/law.md, "DOLISA's
split" and "Who decides after a reorganisation"): DOLISA's dossiers on 1/3/2025 pass to Home
Affairs (merit) or Health (social protection); a dissolved district's on 1/7/2025 pass to the new
province's department of their sector, or back to the commune that received them, which decides
them under the reformed law while their budgets stay those of the version they were received
under."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Any

import pytest

from api.http.access import Forbidden, may_read_dossier
from domain.errors import (
    NoAuthorityToDecide,
    NotAddressee,
    NotCustodian,
    OfficeNotActive,
    RegistryConflict,
    UnknownOffice,
)
from domain.instant import VIETNAM, from_datetime
from ledger.application import Ledger
from ledger.clock import SimulatedClock
from ledger.config import LedgerSettings
from ledger.errors import BadField
from ledger.reference.calendar import load_calendar
from ledger.reference.seed import seed_travinh
from ledger.statements.authoring import Signer, initialise
from ledger.stores.tokens import Token
from ledger.views.projector import Projector
from ledger.views.rollup import stalls_by_office
from ledger.views.sla import Inspector
from tests.world import document, seeded_key

FILES = [document("Đơn đề nghị")]
MERIT = "merit-education-preference"
CARE = "social-care-facility-admission"
ALLOWANCE = "social-allowance-monthly"


def local(year: int, month: int, day: int, hour: int = 9) -> int:
    return from_datetime(datetime(year, month, day, hour, tzinfo=VIETNAM))


class Registry:
    def __init__(self) -> None:
        self.clock = SimulatedClock(local(2025, 2, 3))
        self.ledger = Ledger(LedgerSettings(database_url="memory:"), clock=self.clock)
        initialise(self.ledger, seeded_key("authority"))
        self.authority = Signer.authority(self.ledger, seeded_key("authority"))
        seed_travinh(self.ledger, self.authority)
        self.signers: dict[str, Signer] = {}

    def enrol(self, office: str, effective: int) -> Signer:
        officer = f"cb-{office.replace('/', '-')}"
        key = seeded_key(officer)
        self.authority.record(
            "officer.enrolled", officer, {"office": office, "title": "CC", "effective": effective}
        )
        self.authority.record(
            "key.registered",
            key.key_id,
            {
                "officer": officer,
                "public_key": key.public_key,
                "role": "officer",
                "effective": effective,
            },
        )
        self.signers[office] = Signer(self.ledger, key, officer, office)
        return self.signers[office]

    def receive(self, code: str, procedure: str, office: str = "29266") -> None:
        self.signers[office].record(
            "dossier.received",
            code,
            {
                "procedure": procedure,
                "version": 1,
                "applicant": hashlib.sha256(f"salt|{code}".encode()).digest(),
                "channel": "direct",
                "documents": FILES,
                "appointed": self.clock.now() + 30 * 24 * 3600 * 1_000_000,
            },
        )

    def send(self, sender: str, code: str, to: str) -> Any:
        return self.signers[sender].record(
            "handover.dispatched", code, {"to": to, "purpose": "process", "documents": FILES}
        )

    def take(self, office: str, code: str, sent: Any) -> None:
        self.signers[office].record(
            "handover.acknowledged", code, {"dispatch": sent.digest, "documents": FILES}
        )

    def decide(self, office: str, code: str) -> None:
        self.signers[office].record(
            "dossier.decided",
            code,
            {"outcome": "approved", "reference": "QĐ 1", "documents": FILES},
        )


REGISTRY = Registry()  # read only by the tests that do not record


@pytest.mark.parametrize(
    ("procedure", "successor"),
    [
        (MERIT, "84/snv"),
        ("martyr-worship-allowance", "84/snv"),
        ("merit-survivor-monthly", "84/snv"),
        (ALLOWANCE, "84/syt"),
        ("funeral-support-social", "84/syt"),
        (CARE, "84/syt"),
        ("emergency-foster-care", "84/syt"),
        ("disability-determination", "84/syt"),
    ],
)
def test_dolisa_splits_its_dossiers_by_procedure(procedure: str, successor: str) -> None:
    office = REGISTRY.ledger.office("84/sldtbxh")
    assert office.ended == date(2025, 3, 1)
    assert office.successor_for(procedure) == successor


@pytest.mark.parametrize(
    ("procedure", "successor"),
    [(MERIT, "86/snv"), ("merit-one-off-death", "86/snv"), (CARE, "86/syt"), (ALLOWANCE, None)],
)
def test_a_dissolved_district_names_the_department_that_now_decides(
    procedure: str, successor: str | None
) -> None:
    district = REGISTRY.ledger.office("844")
    assert district.successor_for(procedure) == successor
    assert district.passes_to_receiver


def test_a_dossier_sent_to_dolisa_goes_to_the_successor_of_its_procedure() -> None:
    world = Registry()
    for office in ("29266", "84/sldtbxh", "84/snv", "84/syt"):
        world.enrol(office, local(2025, 2, 3, 0))
    merit, care = "000.00.29.H59-250203-0001", "000.00.29.H59-250203-0002"
    world.receive(merit, MERIT)
    world.receive(care, CARE)
    world.clock.set(local(2025, 2, 27))
    to_merit = world.send("29266", merit, "84/sldtbxh")
    to_care = world.send("29266", care, "84/sldtbxh")
    world.clock.set(local(2025, 3, 3))
    with pytest.raises(NotAddressee):
        world.take("84/syt", merit, to_merit)
    with pytest.raises(NotAddressee):
        world.take("84/snv", care, to_care)
    world.take("84/snv", merit, to_merit)
    world.take("84/syt", care, to_care)
    assert world.ledger.dossier(merit).custodian == "84/snv"
    assert world.ledger.dossier(care).custodian == "84/syt"


def test_a_districts_dossier_passes_to_the_office_competent_after_the_reform() -> None:
    """Held by Huyện Càng Long on 30/6/2025: the monthly allowance goes back to the commune that
    received it (Thị trấn Càng Long, now in Xã Càng Long), whose chairman decides it from 1/7;
    the merit dossier goes to Vĩnh Long's Department of Home Affairs, not to Health."""
    world = Registry()
    for office in ("29266", "844"):
        world.enrol(office, local(2025, 2, 3, 0))
    allowance, merit = "000.00.29.H59-250620-0001", "000.00.29.H59-250620-0002"
    world.clock.set(local(2025, 6, 20))
    world.receive(allowance, ALLOWANCE)
    world.receive(merit, MERIT)
    world.clock.set(local(2025, 6, 25))
    for code in (allowance, merit):
        world.take("844", code, world.send("29266", code, "844"))
    world.clock.set(local(2025, 7, 2))
    reform = local(2025, 7, 1, 0)
    for office in ("29266/2025", "86/snv", "86/syt"):
        world.enrol(office, reform)
    with pytest.raises(NotCustodian):
        world.decide("86/syt", merit)
    with pytest.raises(NotCustodian):
        world.decide("86/snv", allowance)
    world.decide("29266/2025", allowance)
    world.decide("86/snv", merit)
    decided = world.ledger.dossier(allowance)
    assert decided.procedure_version == 1  # its budgets stay the 2021 ones
    assert decided.decided == "approved"


def test_refuses_a_decision_at_a_level_neither_version_lets_decide() -> None:
    """A merit dossier is decided at the province before and after the reform: a commune that
    holds one still cannot decide it."""
    world = Registry()
    world.enrol("29266", local(2025, 2, 3, 0))
    code = "000.00.29.H59-250620-0003"
    world.clock.set(local(2025, 6, 20))
    world.receive(code, MERIT)
    world.clock.set(local(2025, 7, 2))
    world.enrol("29266/2025", local(2025, 7, 1, 0))
    with pytest.raises(NoAuthorityToDecide):
        world.decide("29266/2025", code)


def _merger(**extra: Any) -> dict[str, Any]:
    return {"successor": "84/snv", "effective": "2025-03-01", **extra}


@pytest.mark.parametrize(
    ("rows", "error"),
    [
        (
            [{"procedure": MERIT, "successor": "84/syt"}, {"procedure": MERIT, "successor": "84"}],
            BadField,
        ),
        ([{"procedure": MERIT, "successor": "no-such-office"}], UnknownOffice),
        ([{"procedure": MERIT, "successor": "84/test"}], RegistryConflict),
        ([{"procedure": MERIT, "successor": "86/snv"}], OfficeNotActive),
    ],
    ids=["named-twice", "unknown-successor", "itself", "successor-not-yet-established"],
)
def test_refuses_a_merger_whose_successors_by_procedure_are_wrong(
    rows: list[dict[str, str]], error: type[Exception]
) -> None:
    world = Registry()
    world.authority.record(
        "office.established",
        "84/test",
        {"name": "Sở thử", "level": "province", "parent": "84", "effective": "2019-01-01"},
    )
    with pytest.raises(error):
        world.authority.record("office.merged", "84/test", _merger(by_procedure=rows))
    assert world.ledger.office("84/test").ended is None


def test_the_inspector_finds_an_ended_offices_dossiers_under_the_office_that_took_them_over() -> (
    None
):
    """Two dossiers sent to DOLISA in February and never taken in: on 3/3/2025 DOLISA no longer
    exists, and each unacknowledged dispatch is a stall of the department its procedure passed
    to — the merit one under Home Affairs, the care one under Health, neither under the other.
    A dossier Huyện Càng Long held on 1/7/2025 went back to the commune that received it, and its
    stalls are the commune's from then."""
    world = Registry()
    for office in ("29266", "844"):
        world.enrol(office, local(2025, 2, 3, 0))
    merit, care = "000.00.29.H59-250203-0001", "000.00.29.H59-250203-0002"
    world.receive(merit, MERIT)
    world.receive(care, CARE)
    world.clock.set(local(2025, 2, 27))
    world.send("29266", merit, "84/sldtbxh")
    world.send("29266", care, "84/sldtbxh")
    allowance = "000.00.29.H59-250620-0003"
    world.clock.set(local(2025, 6, 20))
    world.receive(allowance, ALLOWANCE)
    world.take("844", allowance, world.send("29266", allowance, "844"))
    projector = Projector(world.ledger)
    try:
        projector.catch_up()
        inspector = Inspector(world.ledger, projector, load_calendar())

        def stalled(at: int, office: str) -> set[str]:
            return {stall.code for stall in inspector.stalls(at, office=office)}

        march = local(2025, 3, 3, 15)
        assert merit in stalled(march, "84/snv")
        assert merit not in stalled(march, "84/syt")
        assert care in stalled(march, "84/syt")
        assert care not in stalled(march, "84/snv")
        counted = stalls_by_office(inspector, inspector.stalls(march), march)
        assert counted["84/snv"] == len(
            [s for s in inspector.stalls(march) if s.code == merit]
        )
        assert counted["84/syt"] == len([s for s in inspector.stalls(march) if s.code == care])

        def inspector_of(office: str) -> Token:
            return Token("t", "inspector", office, None, "", 0, 2**62, None)

        # an inspector of Home Affairs reads the merit dossier DOLISA left, not the care one
        may_read_dossier(inspector_of("84/snv"), merit, inspector, march)
        with pytest.raises(Forbidden):
            may_read_dossier(inspector_of("84/snv"), care, inspector, march)
        may_read_dossier(inspector_of("84/syt"), care, inspector, march)

        august = local(2025, 8, 4, 15)
        assert allowance in stalled(august, "29266/2025")
        assert allowance not in stalled(august, "86/snv")
        assert allowance not in stalled(august, "86/syt")
    finally:
        projector.close()


def test_an_offices_inbox_and_desk_hold_what_an_ended_office_passed_to_it() -> None:
    """The dispatches DOLISA never acknowledged are in the inbox of the department of their
    procedure from 1/3/2025; what Huyện Càng Long held on 30/6/2025 is held, from 1/7, by the
    commune that received it (the allowance) or Vĩnh Long's Home Affairs (the merit dossier) —
    each on one desk only, so each is acted on by the office that may."""
    world = Registry()
    for office in ("29266", "844"):
        world.enrol(office, local(2025, 2, 3, 0))
    merit, care = "000.00.29.H59-250203-0001", "000.00.29.H59-250203-0002"
    world.receive(merit, MERIT)
    world.receive(care, CARE)
    world.clock.set(local(2025, 2, 27))
    world.send("29266", merit, "84/sldtbxh")
    world.send("29266", care, "84/sldtbxh")
    allowance, kept = "000.00.29.H59-250620-0003", "000.00.29.H59-250620-0004"
    world.clock.set(local(2025, 6, 20))
    for code, procedure in ((allowance, ALLOWANCE), (kept, MERIT)):
        world.receive(code, procedure)
        world.take("844", code, world.send("29266", code, "844"))
    projector = Projector(world.ledger)
    try:
        projector.catch_up()
        inspector = Inspector(world.ledger, projector, load_calendar())

        def inbox(office: str, at: int) -> list[str]:
            return [found.code for found in inspector.inbox(office, at)]

        def held(office: str, at: int) -> list[str]:
            return [found.code for found in inspector.held(office, at)]

        february, march = local(2025, 2, 28), local(2025, 3, 3)
        assert inbox("84/sldtbxh", february) == [merit, care]
        assert inbox("84/snv", february) == []
        assert inbox("84/snv", march) == [merit]
        assert inbox("84/syt", march) == [care]
        june, july = local(2025, 6, 30), local(2025, 7, 2)
        assert held("844", june) == [allowance, kept]
        assert held("29266/2025", june) == []
        assert held("29266/2025", july) == [allowance]
        assert held("86/snv", july) == [kept]
        assert held("86/syt", july) == []
        assert inspector.taken_over_by("844", ALLOWANCE, "29266", date(2025, 7, 1)) == (
            "29266/2025"
        )
        assert inspector.taken_over_by("844", ALLOWANCE, "29266", date(2025, 6, 30)) == "844"
    finally:
        projector.close()
