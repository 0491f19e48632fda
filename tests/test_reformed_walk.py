"""Every procedure the 1/7/2025 reform changed, walked with a real dossier on both sides of the
reform (issue 18, "Tests"; docs/law.md, "Procedures' budgets" and "Forms by date"): received at a
commune of the seeded Trà Vinh registry, handed along its version's route to an office of each
level, decided at a level the version lets decide, sent back to the office that received it and
returned. Then what the ledger says of it: the route and who decided, the appointed time, the
control slip (its form and legal basis by the date of receipt, a block per turn with its level's
budget, the provisional mark) and the receiving commune's office report (its counts, and the
version that judged the result with its provisional reason or none).

The dates (each a Monday or Tuesday, received at 9:00):
- 16/6/2025: version 1 (commune → district 844 → the province's department of the sector, Sở Nội
  vụ 84/snv for merit, Sở Y tế 84/syt for social protection, DOLISA having ended on 1/3/2025),
  the Decree 61/2018 slip, form 05 of Circular 01/2018; each office hands on the next working
  day, so every turn is early, and all is done in June;
- 30/6/2025: version 1 again, walked along its route that same day; the districts are dissolved
  overnight and the dossier is decided on 2/7 by the office that took it over for its procedure
  (the commune it came from, now Xã Càng Long 29266/2025, or Vĩnh Long's department 86/snv or
  86/syt): still judged by version 1 and its budgets, early;
- 4/8/2025: version 2 (no district; the commune decides social protection, the province's
  department merit and the care facility), the Decree 118/2025 slip on the 2018 form 05, walked
  briskly, early;
- 14/10/2025: version 2 on form 06 of Circular 03/2025, each office taking the whole of its turn
  (handing on at 16:00 on its turn's last day), so each turn is on time and the decision falls on
  the appointed day;
- 3/11/2025 (two of the procedures): version 2, paced as on 14/10 but decided the working day
  after the appointed day: late.

Each case has a world of its own, so the commune's report counts that one dossier: a copy of one
SQLite file holding the seeded registry and an officer at each office walked, recorded once
(tests/templates.py), since seeding it again for each case was most of the time.

A turn is judged against its level's budget, the version's first step of that level stating a
time; so the old commune's turn of a move under version 2, whose step states none, is given the
new commune's 10 working days: `test_the_old_communes_turn_of_a_move_is_judged_against_no_budget`
says what it should be, and is expected to fail until that is settled."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import pytest

from domain.calendar import WorkCalendar, end_of
from domain.instant import VIETNAM, from_datetime, local_date, start_of
from domain.procedure import ProcedureVersion
from ledger.application import Ledger, Receipt
from ledger.clock import SimulatedClock
from ledger.config import LedgerSettings
from ledger.reference.calendar import load_calendar
from ledger.reference.seed import seed_travinh
from ledger.statements.authoring import Signer, initialise
from ledger.views.deadlines import appointed_for
from ledger.views.projector import Projector
from ledger.views.reports import JudgedBy, office_report
from ledger.views.sla import Inspector
from ledger.views.slip import ControlSlip
from tests.templates import TEMPLATES
from tests.world import document, seeded_key

REFORM = date(2025, 7, 1)
FORMS_2025 = date(2025, 9, 15)
FILES = [document("Đơn đề nghị")]

# the offices (seed.py: GSO codes; `<code>/2025` for a unit of 1/7/2025 that reuses a code)
COMMUNE, DISTRICT = "29266", "844"  # Thị trấn Càng Long, Huyện Càng Long
MOVED_TO, ITS_DISTRICT = "29308", "845"  # Thị trấn Cầu Kè, Huyện Cầu Kè: a move between districts
HOME_84, HEALTH_84 = "84/snv", "84/syt"  # Trà Vinh's Home Affairs and Health, from 1/3/2025
COMMUNE_25, MOVED_TO_25 = "29266/2025", "29308/2025"  # Xã Càng Long, Xã Cầu Kè
HOME_86, HEALTH_86 = "86/snv", "86/syt"  # Vĩnh Long's departments, from 1/7/2025
LEVEL = {
    COMMUNE: "commune",
    MOVED_TO: "commune",
    COMMUNE_25: "commune",
    MOVED_TO_25: "commune",
    DISTRICT: "district",
    ITS_DISTRICT: "district",
    HOME_84: "province",
    HEALTH_84: "province",
    HOME_86: "province",
    HEALTH_86: "province",
}
# who the officers are enrolled with, and from when
ENROLLED = {
    **dict.fromkeys(
        (COMMUNE, DISTRICT, MOVED_TO, ITS_DISTRICT, HOME_84, HEALTH_84), date(2025, 6, 2)
    ),
    **dict.fromkeys((COMMUNE_25, MOVED_TO_25, HOME_86, HEALTH_86), REFORM),
}

Pace = Literal["brisk", "reform", "full", "late"]
RESULT: dict[Pace, str] = {"brisk": "early", "reform": "early", "full": "on_time", "late": "late"}

JUNE, LAST_DAY, AUGUST, OCTOBER, NOVEMBER = (
    date(2025, 6, 16),
    date(2025, 6, 30),
    date(2025, 8, 4),
    date(2025, 10, 14),
    date(2025, 11, 3),
)
DECIDED_IN_JULY = date(2025, 7, 2)


@dataclass(frozen=True)
class Case:
    """A dossier of `procedure` received at 9:00 on `received`, by `route[0]`, and handed to each
    office of `route` in turn; `decider` decides it (the last office of the route, or for a dossier
    a dissolved district held, the office that took it over); `version` is the procedure version
    in force on `received`, `appointed` the day the law appoints for its return, `provisional`
    whether that version's budgets could not be confirmed."""

    procedure: str
    received: date
    version: int
    route: tuple[str, ...]
    decider: str
    appointed: date
    provisional: bool
    pace: Pace

    @property
    def id(self) -> str:
        return f"{self.procedure}-{self.received.isoformat()}"

    @property
    def returner(self) -> str:
        """The office that returns the result: the one that received the dossier, or its
        successor once it has ended."""
        return COMMUNE_25 if self.pace == "reform" else self.route[0]


TWO_LEVELS = (COMMUNE, DISTRICT)
MOVE_BETWEEN = (COMMUNE, DISTRICT, MOVED_TO, ITS_DISTRICT)
CARE_84, MERIT_84 = (COMMUNE, DISTRICT, HEALTH_84), (COMMUNE, DISTRICT, HOME_84)
AT_COMMUNE, MOVE = (COMMUNE_25,), (COMMUNE_25, MOVED_TO_25)
CARE_86, MERIT_86 = (COMMUNE_25, HEALTH_86), (COMMUNE_25, HOME_86)

# the twelve procedures with a version from 1/7/2025 (ledger/reference/data/procedures_2025.csv)
MONTHLY = "social-allowance-monthly"
WITHIN = "social-allowance-move-within-district"
BETWEEN = "social-allowance-move-between-districts"
FUNERAL = "funeral-support-social"
DISASTER = "funeral-support-disaster"
FOSTER = "emergency-foster-care"
CARE = "social-care-facility-admission"
MARTYR = "martyr-worship-allowance"
MERIT_FUNERAL = "merit-funeral-allowance"
ONE_OFF = "merit-one-off-death"
SURVIVOR = "merit-survivor-monthly"
EDUCATION = "merit-education-preference"

# fmt: off
CASES = [
    # the monthly social allowance: the district chairman decides; from 1/7/2025 the commune's
    Case(MONTHLY, JUNE, 1, TWO_LEVELS, DISTRICT, date(2025, 7, 16), False, "brisk"),
    Case(MONTHLY, LAST_DAY, 1, TWO_LEVELS, COMMUNE_25, date(2025, 7, 30), False, "reform"),
    Case(MONTHLY, AUGUST, 2, AT_COMMUNE, COMMUNE_25, date(2025, 8, 18), False, "brisk"),
    Case(MONTHLY, OCTOBER, 2, AT_COMMUNE, COMMUNE_25, date(2025, 10, 28), False, "full"),
    Case(MONTHLY, NOVEMBER, 2, AT_COMMUNE, COMMUNE_25, date(2025, 11, 17), False, "late"),
    # a move of residence: from 1/7/2025 old commune > new commune, which decides
    Case(WITHIN, JUNE, 1, TWO_LEVELS, DISTRICT, date(2025, 6, 24), False, "brisk"),
    Case(WITHIN, LAST_DAY, 1, TWO_LEVELS, COMMUNE_25, date(2025, 7, 8), False, "reform"),
    Case(WITHIN, AUGUST, 2, MOVE, MOVED_TO_25, date(2025, 8, 18), True, "brisk"),
    Case(WITHIN, OCTOBER, 2, MOVE, MOVED_TO_25, date(2025, 10, 28), True, "full"),
    Case(BETWEEN, JUNE, 1, MOVE_BETWEEN, ITS_DISTRICT, date(2025, 7, 8), False, "brisk"),
    Case(BETWEEN, LAST_DAY, 1, MOVE_BETWEEN, COMMUNE_25, date(2025, 7, 22), False, "reform"),
    Case(BETWEEN, AUGUST, 2, MOVE, MOVED_TO_25, date(2025, 8, 18), True, "brisk"),
    Case(BETWEEN, OCTOBER, 2, MOVE, MOVED_TO_25, date(2025, 10, 28), True, "full"),
    # funeral support and emergency foster care: the commune decides from 1/7/2025
    Case(FUNERAL, JUNE, 1, TWO_LEVELS, DISTRICT, date(2025, 6, 23), False, "brisk"),
    Case(FUNERAL, LAST_DAY, 1, TWO_LEVELS, COMMUNE_25, date(2025, 7, 7), False, "reform"),
    Case(FUNERAL, AUGUST, 2, AT_COMMUNE, COMMUNE_25, date(2025, 8, 7), True, "brisk"),
    Case(FUNERAL, OCTOBER, 2, AT_COMMUNE, COMMUNE_25, date(2025, 10, 17), True, "full"),
    Case(DISASTER, JUNE, 1, TWO_LEVELS, DISTRICT, date(2025, 6, 19), False, "brisk"),
    Case(DISASTER, LAST_DAY, 1, TWO_LEVELS, COMMUNE_25, date(2025, 7, 3), False, "reform"),
    Case(DISASTER, AUGUST, 2, AT_COMMUNE, COMMUNE_25, date(2025, 8, 7), True, "brisk"),
    Case(DISASTER, OCTOBER, 2, AT_COMMUNE, COMMUNE_25, date(2025, 10, 17), True, "full"),
    Case(FOSTER, JUNE, 1, TWO_LEVELS, DISTRICT, date(2025, 6, 23), False, "brisk"),
    Case(FOSTER, LAST_DAY, 1, TWO_LEVELS, COMMUNE_25, date(2025, 7, 7), False, "reform"),
    Case(FOSTER, AUGUST, 2, AT_COMMUNE, COMMUNE_25, date(2025, 8, 11), True, "brisk"),
    Case(FOSTER, OCTOBER, 2, AT_COMMUNE, COMMUNE_25, date(2025, 10, 21), True, "full"),
    # admission to a social-care facility: the province (Health) decides, no district from 1/7/2025
    Case(CARE, JUNE, 1, CARE_84, HEALTH_84, date(2025, 8, 1), False, "brisk"),
    Case(CARE, LAST_DAY, 1, CARE_84, HEALTH_86, date(2025, 8, 15), False, "reform"),
    Case(CARE, AUGUST, 2, CARE_86, HEALTH_86, date(2025, 9, 9), True, "brisk"),
    Case(CARE, OCTOBER, 2, CARE_86, HEALTH_86, date(2025, 11, 17), True, "full"),
    # merit: the province's Department of Home Affairs decides, no district from 1/7/2025
    Case(MARTYR, JUNE, 1, MERIT_84, HOME_84, date(2025, 7, 14), False, "brisk"),
    Case(MARTYR, LAST_DAY, 1, MERIT_84, HOME_86, date(2025, 7, 28), False, "reform"),
    Case(MARTYR, AUGUST, 2, MERIT_86, HOME_86, date(2025, 8, 25), True, "brisk"),
    Case(MARTYR, OCTOBER, 2, MERIT_86, HOME_86, date(2025, 11, 3), True, "full"),
    Case(MERIT_FUNERAL, JUNE, 1, MERIT_84, HOME_84, date(2025, 7, 14), False, "brisk"),
    Case(MERIT_FUNERAL, LAST_DAY, 1, MERIT_84, HOME_86, date(2025, 7, 28), False, "reform"),
    Case(MERIT_FUNERAL, AUGUST, 2, MERIT_86, HOME_86, date(2025, 8, 25), True, "brisk"),
    Case(MERIT_FUNERAL, OCTOBER, 2, MERIT_86, HOME_86, date(2025, 11, 3), True, "full"),
    Case(ONE_OFF, JUNE, 1, MERIT_84, HOME_84, date(2025, 7, 14), False, "brisk"),
    Case(ONE_OFF, LAST_DAY, 1, MERIT_84, HOME_86, date(2025, 7, 28), False, "reform"),
    Case(ONE_OFF, AUGUST, 2, MERIT_86, HOME_86, date(2025, 8, 25), True, "brisk"),
    Case(ONE_OFF, OCTOBER, 2, MERIT_86, HOME_86, date(2025, 11, 3), True, "full"),
    Case(SURVIVOR, JUNE, 1, MERIT_84, HOME_84, date(2025, 7, 21), False, "brisk"),
    Case(SURVIVOR, LAST_DAY, 1, MERIT_84, HOME_86, date(2025, 8, 4), False, "reform"),
    Case(SURVIVOR, AUGUST, 2, MERIT_86, HOME_86, date(2025, 9, 3), True, "brisk"),
    Case(SURVIVOR, OCTOBER, 2, MERIT_86, HOME_86, date(2025, 11, 10), True, "full"),
    Case(EDUCATION, JUNE, 1, MERIT_84, HOME_84, date(2025, 7, 7), False, "brisk"),
    Case(EDUCATION, LAST_DAY, 1, MERIT_84, HOME_86, date(2025, 7, 21), False, "reform"),
    Case(EDUCATION, AUGUST, 2, MERIT_86, HOME_86, date(2025, 8, 18), True, "brisk"),
    Case(EDUCATION, OCTOBER, 2, MERIT_86, HOME_86, date(2025, 10, 28), True, "full"),
    Case(EDUCATION, NOVEMBER, 2, MERIT_86, HOME_86, date(2025, 11, 17), True, "late"),
]
# fmt: on


# --- the walk ---------------------------------------------------------------------------------


def local(day: date, hour: int, minute: int = 0) -> int:
    return from_datetime(datetime.combine(day, time(hour, minute), tzinfo=VIETNAM))


START = local(date(2025, 6, 2), 8)  # the registry is recorded on Monday 2/6/2025
HALF_HOUR = 30 * 60 * 1_000_000


@dataclass
class Walked:
    """A case walked on its own world, and the readers of what the ledger then says."""

    case: Case
    ledger: Ledger
    version: ProcedureVersion
    code: str
    received_at: int
    decided_at: int
    ended_at: int
    inspector: Inspector
    projector: Projector
    returned_by_dispatch: bool
    turn_ends: list[int] = field(default_factory=list)

    def slip(self) -> ControlSlip:
        found = self.inspector.slip(self.code, self.ended_at)
        assert found is not None
        return found


def _seed(url: str, _directory: Path) -> int:
    """The seeded Trà Vinh registry and an officer with a key at each office the walks visit:
    recorded once, as a SQLite template (tests/templates.py) each case's world is a copy of."""
    clock = SimulatedClock(START)
    ledger = Ledger(LedgerSettings(database_url=url), clock=clock)
    try:
        initialise(ledger, seeded_key("authority"))
        authority = Signer.authority(ledger, seeded_key("authority"))
        seed_travinh(ledger, authority)
        for office, since in ENROLLED.items():
            key = seeded_key(_officer(office))
            effective = start_of(since)
            authority.record(
                "officer.enrolled",
                _officer(office),
                {"office": office, "title": "Công chức", "effective": effective},
            )
            authority.record(
                "key.registered",
                key.key_id,
                {
                    "officer": _officer(office),
                    "public_key": key.public_key,
                    "role": "officer",
                    "effective": effective,
                },
            )
    finally:
        ledger.close()
    return clock.now()


def _officer(office: str) -> str:
    return f"cb-{office.replace('/', '-')}"


def _no_structure(_url: str, _directory: Path) -> None:
    raise AssertionError("the walks' worlds are SQLite files: no schema to structure")


class World:
    """A copy of the seeded registry in a SQLite file of its own."""

    def __init__(self, directory: Path) -> None:
        url = f"sqlite:///{directory / 'ledger.db'}"
        seeded = TEMPLATES.restore("reformed-walk", url, directory, _seed, _no_structure)
        assert seeded is not None, f"{url} is not a fresh SQLite file"
        self.clock = SimulatedClock(seeded)
        self.ledger = Ledger(LedgerSettings(database_url=url), clock=self.clock)
        self.signers = {
            office: Signer(self.ledger, seeded_key(_officer(office)), _officer(office), office)
            for office in ENROLLED
        }

    def at(self, moment: int) -> None:
        self.clock.set(moment)

    def record(self, office: str, kind: str, code: str, body: dict[str, Any]) -> Receipt:
        return self.signers[office].record(kind, code, body)

    def hand(self, code: str, sender: str, to: str, at: int, purpose: str = "process") -> int:
        """`sender` dispatches at `at`, `to` acknowledges half an hour later; when it did."""
        self.at(at)
        sent = self.record(
            sender, "handover.dispatched", code, {"to": to, "purpose": purpose, "documents": FILES}
        )
        self.at(at + HALF_HOUR)
        self.record(
            to, "handover.acknowledged", code, {"dispatch": sent.digest, "documents": FILES}
        )
        return self.clock.now()


def walk(case: Case, calendar: WorkCalendar, directory: Path) -> Walked:
    """Receive, hand along the route at the case's pace, decide, send back and return."""
    world = World(directory)
    ledger = world.ledger
    version = ledger.procedure(case.procedure).effective_on(case.received)
    assert version is not None
    code = f"000.00.29.H59-{case.received:%y%m%d}-0001"
    received_at = local(case.received, 9)
    world.at(received_at)
    world.record(
        case.route[0],
        "dossier.received",
        code,
        {
            "procedure": case.procedure,
            "version": version.version,
            "applicant": hashlib.sha256(f"salt|{code}".encode()).digest(),
            "channel": "direct",
            "documents": FILES,
            "appointed": appointed_for(version, received_at, calendar),
        },
    )
    held_since, day = received_at, case.received
    turn_ends: list[int] = []
    for step, (holder, following) in enumerate(zip(case.route, case.route[1:], strict=False)):
        if case.pace == "reform":  # the whole route on 30/6, an hour a hop
            onward = local(day, 10 + step)
        elif case.pace == "brisk":  # the next working day
            day = calendar.next_working_day(day)
            onward = local(day, 9)
        else:  # the whole turn: at 16:00 on its last day, or within the hour if it has no time
            onward = _turn_end(version, step, held_since, calendar)
        turn_ends.append(onward)
        held_since = world.hand(code, holder, following, onward)
        day = local_date(held_since)
    last = len(case.route) - 1
    if case.pace == "reform":
        decided_at = local(DECIDED_IN_JULY, 10)
    elif case.pace == "brisk":
        decided_at = local(calendar.next_working_day(day), 10)
    elif case.pace == "full":
        decided_at = _turn_end(version, last, held_since, calendar)
    else:  # late: the working day after the turn's last day
        end = local_date(_turn_end(version, last, held_since, calendar))
        decided_at = local(calendar.next_working_day(end), 10)
    world.at(decided_at)
    world.record(
        case.decider,
        "dossier.decided",
        code,
        {"outcome": "approved", "reference": "QĐ 1/QĐ-UBND", "documents": FILES},
    )
    returned_by_dispatch = case.decider != case.returner
    if returned_by_dispatch:
        world.hand(code, case.decider, case.returner, decided_at + HALF_HOUR, "return")
    ended_at = local(calendar.next_working_day(local_date(decided_at)), 9)
    world.at(ended_at)
    world.record(case.returner, "dossier.result_returned", code, {"channel": "direct"})
    projector = Projector(ledger)
    projector.catch_up()
    return Walked(
        case=case,
        ledger=ledger,
        version=version,
        code=code,
        received_at=received_at,
        decided_at=decided_at,
        ended_at=ended_at,
        inspector=Inspector(ledger, projector, calendar),
        projector=projector,
        returned_by_dispatch=returned_by_dispatch,
        turn_ends=turn_ends,
    )


def _turn_end(version: ProcedureVersion, step: int, held_since: int, calendar: WorkCalendar) -> int:
    """16:00 on the last day of the route step's own budget from when its office took the
    dossier in; an hour after that if the step states no time."""
    budget = version.route[step]
    if budget.days is None:
        return held_since + 3600 * 1_000_000
    return local(local_date(calendar.due(held_since, budget.days, budget.day_type)), 16)


@pytest.fixture(scope="module")
def walks() -> Iterator[dict[str, Walked]]:
    found: dict[str, Walked] = {}
    yield found
    for walked in found.values():
        walked.projector.close()
        walked.ledger.close()


@pytest.fixture
def walked(
    request: pytest.FixtureRequest,
    walks: dict[str, Walked],
    tmp_path_factory: pytest.TempPathFactory,
) -> Walked:
    """The case's walk, made the first time a test asks for it."""
    case: Case = request.param
    if case.id not in walks:
        walks[case.id] = walk(case, load_calendar(), tmp_path_factory.mktemp("walk"))
    return walks[case.id]


def cases() -> pytest.MarkDecorator:
    return pytest.mark.parametrize("walked", CASES, ids=[case.id for case in CASES], indirect=True)


# --- what the ledger says ---------------------------------------------------------------------


@cases()
def test_the_dossier_walks_its_versions_route_and_is_decided_at_a_level_it_lets_decide(
    walked: Walked,
) -> None:
    case, ledger = walked.case, walked.ledger
    dossier = ledger.dossier(walked.code)
    assert dossier.procedure_version == case.version
    assert walked.version.version == case.version
    assert [LEVEL[office] for office in case.route] == [step.level for step in walked.version.route]
    history = [entry.statement for entry in ledger.history("dossier", walked.code)]
    acknowledged = [s.office for s in history if s.kind == "handover.acknowledged"]
    turns = list(case.route[1:]) + ([case.returner] if walked.returned_by_dispatch else [])
    assert acknowledged == turns
    deciders = [s.office for s in history if s.kind == "dossier.decided"]
    assert deciders == [case.decider]
    in_force = ledger.procedure(case.procedure).effective_on(local_date(walked.decided_at))
    assert in_force is not None
    if case.pace == "reform":
        # decided after the reform by the office that took it over, at a level the law then in
        # force lets decide (the commune, for what the district decided before)
        assert in_force.version == 2
        assert LEVEL[case.decider] in in_force.decides
    else:
        assert in_force.version == case.version
        assert LEVEL[case.decider] in walked.version.decides
    assert dossier.decided == "approved"
    assert dossier.closed == "result_returned"


@cases()
def test_the_appointed_time_is_the_one_its_version_gives_at_receipt(walked: Walked) -> None:
    case = walked.case
    location = walked.projector.location(walked.code)
    assert location is not None
    assert (location.procedure, location.version) == (case.procedure, case.version)
    given = appointed_for(walked.version, walked.received_at, load_calendar())
    assert location.appointed == location.appointed_at_receipt == given == end_of(case.appointed)
    decided_on = local_date(walked.decided_at)
    if case.pace == "full":
        assert decided_on == case.appointed
    elif case.pace == "late":
        assert decided_on > case.appointed
    else:
        assert decided_on < case.appointed


DECREE_2018_VI = "Nghị định 61/2018/NĐ-CP (được sửa đổi, bổ sung bởi Nghị định 107/2021/NĐ-CP)"
DECREE_2018_EN = "Decree 61/2018/NĐ-CP (as amended by Decree 107/2021/NĐ-CP)"
DECREE_2025_VI = "Nghị định 118/2025/NĐ-CP (được sửa đổi, bổ sung bởi Nghị định 367/2025/NĐ-CP)"
DECREE_2025_EN = "Decree 118/2025/NĐ-CP (as amended by Decree 367/2025/NĐ-CP)"


def printed(received: date) -> tuple[str, str, str, str]:
    """The control slip of a dossier received on `received`: its form number, the circular
    whose form it is, and the legal basis it names in Vietnamese and in English."""
    if received < REFORM:
        return (
            "05",
            "01/2018/TT-VPCP",
            f"{DECREE_2018_VI}; Thông tư 01/2018/TT-VPCP",
            f"{DECREE_2018_EN}; Circular 01/2018/TT-VPCP",
        )
    if received < FORMS_2025:
        return (
            "05",
            "01/2018/TT-VPCP",
            f"{DECREE_2025_VI}; Thông tư 01/2018/TT-VPCP"
            " (biểu mẫu còn được sử dụng đến ngày 15/9/2025)",
            f"{DECREE_2025_EN}; Circular 01/2018/TT-VPCP (its forms still in use until 15/9/2025)",
        )
    return (
        "06",
        "03/2025/TT-VPCP",
        f"{DECREE_2025_VI}; Thông tư 03/2025/TT-VPCP",
        f"{DECREE_2025_EN}; Circular 03/2025/TT-VPCP",
    )


def provisional_reason(case: Case) -> str:
    """Why the budgets of the version a case was received under could not be confirmed, as
    ledger/reference/data/procedures_2025.csv says for version 2 ("" when they were)."""
    if case.version == 1:
        return ""
    text = (
        resources.files("ledger.reference")
        .joinpath("data", "procedures_2025.csv")
        .read_text(encoding="utf-8")
    )
    return next(
        row["provisional"]
        for row in csv.DictReader(text.splitlines())
        if row["key"] == case.procedure
    )


def turn_budget(version: ProcedureVersion, place: int, level: str) -> tuple[int, str] | None:
    """The budget the turn at `place` on the route (0: the reception), at `level`, is judged
    against: the version's step of that level that states a time — or, on a route that passes
    twice through one level (a move: old commune, then new commune), the step at the turn's own
    place, which may state none."""
    steps = version.route
    if sum(step.level == level for step in steps) > 1 and place < len(steps):
        step = steps[place]
        if step.level == level:
            return (step.days, step.day_type) if step.days is not None else None
    return next(
        ((step.days, step.day_type) for step in steps if step.level == level and step.days),
        None,
    )


def expected_results(walked: Walked) -> list[str | None]:
    """How each turn of the walk ends against its level's budget: at the case's pace (early when
    handed on the next working day or, on 30/6, within the hour; on time when the office used its
    whole turn; the decider late when it decided after its turn), a step stating no time handed
    on within the hour (early against its level's budget); no result without a budget, as for
    the return turn (the office that takes in the result to return it has no level budget)."""
    case = walked.case
    results: list[str | None] = []
    for index, office in enumerate(_turns(walked)):
        if index >= len(case.route) or turn_budget(walked.version, index, LEVEL[office]) is None:
            results.append(None)
        elif (
            case.pace in ("brisk", "reform")
            or walked.version.route[index].days is None  # handed on within the hour
        ):
            results.append("early")
        elif case.pace == "late" and index == len(case.route) - 1:
            results.append("late")
        else:
            results.append("on_time")
    return results


def _turns(walked: Walked) -> list[str]:
    """The offices whose turns the slip shows: the route's, then the return's."""
    case = walked.case
    return [*case.route, *([case.returner] if walked.returned_by_dispatch else [])]


@cases()
def test_the_control_slip_is_on_the_form_of_its_date_with_a_block_per_turn(
    walked: Walked,
) -> None:
    case, slip = walked.case, walked.slip()
    number, circular, basis_vi, basis_en = printed(case.received)
    assert (slip.form.number, slip.form.circular.number) == (number, circular)
    assert slip.form.name_vi == "Phiếu kiểm soát quá trình giải quyết hồ sơ"
    assert (slip.legal_basis("vi"), slip.legal_basis("en")) == (basis_vi, basis_en)
    turns = _turns(walked)
    assert [block.by_office for block in slip.blocks] == turns
    assert [block.level for block in slip.blocks] == [LEVEL[office] for office in turns]
    assert [
        (block.budget.days, block.budget.day_type) if block.budget else None
        for block in slip.blocks
    ] == [
        turn_budget(walked.version, place, LEVEL[office]) if place < len(case.route) else None
        for place, office in enumerate(turns)
    ]
    assert [block.result for block in slip.blocks] == expected_results(walked)
    # each turn of the route ends when its office handed the dossier on: the decider's when it
    # sent the result back, or with the decision where it returns the result itself (the office
    # that took the dossier over, for a district dissolved meanwhile)
    route = slip.blocks[: len(case.route)]
    last = walked.decided_at + (HALF_HOUR if walked.returned_by_dispatch else 0)
    assert [block.finished_at for block in route] == [*walked.turn_ends, last]
    if case.pace in ("full", "late"):  # every office took its whole turn: the last one ends on
        assert route[-1].deadline == slip.location.appointed  # the day appointed at receipt


@cases()
def test_the_control_slip_marks_the_turns_judged_against_a_provisional_budget(
    walked: Walked,
) -> None:
    case, slip = walked.case, walked.slip()
    reason = provisional_reason(case)
    assert bool(reason) is case.provisional
    assert slip.provisional == walked.version.provisional == reason
    assert [block.provisional for block in slip.blocks] == [
        case.provisional and block.budget is not None for block in slip.blocks
    ]
    assert slip.cutoff is None  # no seeded version has a receipt cut-off


def month_of(day: date) -> int:
    return start_of(day.replace(day=1))


def month_after(day: date) -> int:
    following = day.replace(day=28) + timedelta(days=4)
    return start_of(following.replace(day=1))


@cases()
def test_the_office_report_counts_the_dossier_under_the_commune_that_received_it(
    walked: Walked,
) -> None:
    """From the month of receipt to the month of the decision: received 1, resolved 1 as the
    walk's pace has it, judged by the version received under (with its provisional reason or
    none); the same under the office the commune answered to on the day of receipt; and over the
    month of the decision alone, carried over when it was received in an earlier month."""
    case = walked.case
    decided = local_date(walked.decided_at)
    start, end = month_of(case.received), month_after(decided)
    counts = {"early": 0, "on_time": 0, "late": 0}
    counts[RESULT[case.pace]] = 1
    judged = {
        JudgedBy(
            procedure=case.procedure,
            version=case.version,
            provisional=provisional_reason(case),
            cutoff=None,
        ): 1
    }
    above = DISTRICT if case.received < REFORM else "86"
    for office in (case.route[0], above):
        report = office_report(walked.inspector, office, start, end)
        assert report.received == {"direct": 1}, office
        assert (report.carried_over, report.pending_within, report.pending_overdue) == (0, 0, 0)
        assert {"early": report.early, "on_time": report.on_time, "late": report.late} == counts
        assert report.judged_by == judged
        assert report.provisional == int(case.provisional)
        assert report.index.late_at_receipt == int(case.pace == "late")
    month = office_report(walked.inspector, case.route[0], month_of(decided), end)
    carried = int(month_of(decided) != start)
    assert month.received == ({} if carried else {"direct": 1})
    assert (month.carried_over, month.resolved) == (carried, 1)
    assert month.judged_by == judged


MOVES = [case for case in CASES if case.route == MOVE]


@pytest.mark.parametrize("walked", MOVES, ids=[case.id for case in MOVES], indirect=True)
def test_the_old_communes_turn_of_a_move_is_judged_against_no_budget(walked: Walked) -> None:
    old, new = walked.version.route
    assert (old.level, old.days, new.level, new.days) == ("commune", None, "commune", 10)
    reception = walked.slip().blocks[0]
    assert reception.by_office == COMMUNE_25
    assert reception.budget is None
    assert reception.result is None
    # the stall rules ask the same: the old commune's turn has no budget, the new one's has 10
    found = walked.projector.location(walked.code)
    assert found is not None
    assert walked.inspector.budget(found, "commune", 0) is None
    budget = walked.inspector.budget(found, "commune", 1)
    assert budget is not None
    assert budget.days == 10
    assert walked.inspector.forward_turns(walked.code) == 1


def test_the_table_walks_every_reformed_procedure_on_both_sides_of_the_reform() -> None:
    """Each procedure with a version from 1/7/2025 is walked under version 1 (received on 16/6 and
    on 30/6, decided in July) and under version 2, on the 2018 control slip and on form 06."""
    text = (
        resources.files("ledger.reference")
        .joinpath("data", "procedures_2025.csv")
        .read_text(encoding="utf-8")
    )
    reformed = {row["key"] for row in csv.DictReader(text.splitlines())}
    assert len(reformed) == 12
    walked = {(case.procedure, case.received, case.version) for case in CASES}
    for procedure in reformed:
        for received, version in ((JUNE, 1), (LAST_DAY, 1), (AUGUST, 2), (OCTOBER, 2)):
            assert (procedure, received, version) in walked, (procedure, received)
    assert {case.procedure for case in CASES} == reformed
    assert len({case.id for case in CASES}) == len(CASES)
