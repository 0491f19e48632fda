"""Deadlines and stalls, judged the way an inspector would under Vietnamese rules.

Everything here is evaluated at query time against an instant — now, or any past instant — from
the read models (`ledger/views/projector.py`), the registry (office levels and the hierarchy on a
date) and the procedure version the dossier was received under (each level's budget and its day
type), counted on the working-day calendar.

The Inspector reads the registry once per inspector and counts each office's deadline; the stall
rules are `stalls.py`'s, the control slip `slip.py`'s, the office reports `reports.py`'s, the law's
deadlines `deadlines.py`'s. Their names are importable from here too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from domain.errors import DomainError
from domain.instant import local_date
from domain.office import Office
from domain.procedure import Budget, ProcedureVersion
from ledger.application import Ledger
from ledger.views import queries
from ledger.views.deadlines import Calendar, appointed_for, cutoff_of, judge
from ledger.views.projector import Projector
from ledger.views.reports import OfficeReport, decisions, office_report
from ledger.views.slip import ControlSlip, SlipBlock, control_slip
from ledger.views.stalls import RULES, WORKING_DAY_SECONDS, Stall, find_stalls
from ledger.views.tables import Leg, Location
from ledger.views.worktime import WorkTime

__all__ = [
    "RULES",
    "WORKING_DAY_SECONDS",
    "Calendar",
    "ControlSlip",
    "Inspector",
    "OfficeReport",
    "SlipBlock",
    "Stall",
    "appointed_for",
    "decisions",
    "judge",
    "office_report",
]


class Inspector:
    """Deadlines, stalls, control slips and office reports over one ledger's read models."""

    def __init__(
        self,
        ledger: Ledger,
        projector: Projector,
        calendar: Calendar,
        unacknowledged_hours: float = 8,
    ) -> None:
        self.ledger = ledger
        self.projector = projector
        self.calendar = calendar
        self.unacknowledged_seconds = int(unacknowledged_hours * 3600)
        self._offices: dict[str, Office | None] = {}  # the registry, read once per inspector
        self._versions: dict[tuple[str, int], ProcedureVersion | None] = {}
        self._lineage: dict[tuple[str, date, str | None, str | None], tuple[str, ...]] = {}
        self._w: dict[int, int] = {}  # instant -> W(instant) (`working_seconds`)
        self._work = WorkTime(calendar)

    # --- registry lookups ------------------------------------------------------------------

    def _office(self, office: str) -> Office | None:
        """The registry's office, read once per inspector: the ledger caught up with other
        writers at the first, the others read as of then (one query, not one per office)."""
        if office not in self._offices:
            if not self._offices:
                self.ledger.catch_up()
            try:
                self._offices[office] = self.ledger.office(office, caught_up=True)
            except DomainError:
                self._offices[office] = None
        return self._offices[office]

    def office_of(self, office: str) -> Office | None:
        """The registry's office (read once per inspector); None if the registry has none."""
        return self._office(office)

    def level_of(self, office: str | None) -> str | None:
        found = self._office(office) if office else None
        return found.level if found is not None else None

    def version_of(self, found: Location) -> ProcedureVersion | None:
        key = (found.procedure, found.version)
        if key not in self._versions:
            try:
                self._versions[key] = self.ledger.procedure(found.procedure).get_version(
                    found.version
                )
            except DomainError:
                self._versions[key] = None
        return self._versions[key]

    def budget(
        self,
        found: Location,
        level: str | None,
        turn: int | None = None,
        legs: Sequence[Leg] | None = None,
    ) -> Budget | None:
        """The budget of a turn at `level`: the step of the dossier's version for that level. A
        route that passes twice through one level (a move of residence: the old commune, then the
        new one) is told apart by the turn's place on the route — `turn`, the number of forward
        handovers taken in before it (0: the reception), else the custodian's now (by `legs`,
        the dossier's hops as they were at an instant, if given; else as the views hold them)."""
        version = self.version_of(found)
        if version is None or level is None:
            return None
        if sum(step.level == level for step in version.route) > 1:
            place = self.forward_turns(found.code, legs) if turn is None else turn
            if place < len(version.route) and version.route[place].level == level:
                step = version.route[place]
                return step if step.days is not None else None
        for step in version.route:
            if step.level == level and step.days is not None:
                return step
        return None

    def returning(self, code: str, legs: Sequence[Leg] | None = None) -> bool:
        """Whether the dossier's holder took it in to return its result (its last handover taken
        in was one to return); by `legs` if given, else the views' hops."""
        hops = self.projector.legs(code) if legs is None else legs
        taken = [leg for leg in hops if leg.outcome == "acknowledged"]
        return bool(taken) and taken[-1].purpose == "return"

    def forward_turns(self, code: str, legs: Sequence[Leg] | None = None) -> int:
        """How many handovers to process the dossier (not to return its result) were taken in;
        by `legs` if given, else the views' hops."""
        hops = self.projector.legs(code) if legs is None else legs
        return sum(leg.outcome == "acknowledged" and leg.purpose != "return" for leg in hops)

    def within(
        self,
        office: str,
        root: str,
        day: date,
        *,
        procedure: str | None = None,
        received_by: str | None = None,
    ) -> bool:
        """Is `office` `root` or below it in the hierarchy on `day`? An office that no longer
        exists on `day` answers to the office that took over its dossiers — for a dossier of
        `procedure`, the successor named for that procedure, else the one it was merged into,
        else (a dissolution that passes them back) `received_by`, the office that received the
        dossier — and otherwise to its last parent: so after the 1/7/2025 reform the Department
        of Home Affairs oversees the merit dossiers DOLISA left open and the Department of Health
        its social-protection ones, and a commune what its dissolved district passed back."""
        return root in self.lineage(office, day, procedure=procedure, received_by=received_by)

    def lineage(
        self,
        office: str,
        day: date,
        *,
        procedure: str | None = None,
        received_by: str | None = None,
    ) -> tuple[str, ...]:
        """`office` and every office it answers to on `day`, nearest first (by the rule of
        `within`): the offices whose figures a dossier received there counts in."""
        key = (office, day, procedure, received_by)
        if key not in self._lineage:
            chain: list[str] = []
            current: str | None = office
            while current is not None and current not in chain:
                chain.append(current)
                current = _above(self._office(current), day, procedure, received_by)
            self._lineage[key] = tuple(chain)
        return self._lineage[key]

    # --- custody after a reorganisation -----------------------------------------------------

    def taken_over_by(self, office: str, procedure: str, received_by: str, day: date) -> str:
        """The office that has, on `day`, a dossier of `procedure` (received by `received_by`) left
        with `office` — held there or on its way there — by the rule the ledger applies when it
        records (`ledger/handlers.py`, `_successors`): while `office` has ended, the successor
        named for the procedure, else the one it merged into, else (a dissolution that passes
        them back) the receiving office; `office` itself if it still exists."""
        current, visited = office, {office}
        while True:
            found = self._office(current)
            if found is None or found.ended is None or found.ended > day:
                return current
            following = found.successor_for(procedure)
            if following is None and found.passes_to_receiver:
                following = received_by
            if following is None or following in visited:
                return current  # nobody took it over
            visited.add(following)
            current = following

    def inbox(self, office: str, at: int) -> list[Location]:
        """Dispatches `office` is to acknowledge at `at`, oldest first: those addressed to it and
        those addressed to an office that has ended and whose dossiers passed to it."""
        passed = self._passed_on(
            office, at, queries.addressees(self.projector.view), self.projector.inbox
        )
        waiting = self.projector.inbox(office) + passed
        return sorted(waiting, key=lambda found: (found.since, found.code))

    def held(self, office: str, at: int) -> list[Location]:
        """Dossiers `office` holds at `at` (processing or suspended), the one promised soonest
        first: its own and those an office that has ended held and passed to it."""
        passed = self._passed_on(
            office, at, queries.holders(self.projector.view), self.projector.held_by
        )
        holding = self.projector.held_by(office) + passed
        return sorted(holding, key=lambda found: (found.appointed, found.code))

    def _passed_on(
        self,
        office: str,
        at: int,
        parties: list[str],
        rows: Callable[[str], list[Location]],
    ) -> list[Location]:
        """Of the offices `parties` (those that hold, or are sent, an open dossier), those ended
        by `at`'s day: their `rows` that passed to `office` — a registry read for each party, a
        query for each ended one, not for every office of the registry."""
        day = local_date(at)
        return [
            found
            for party in parties
            if party != office
            and (ended := self._office(party)) is not None
            and ended.ended is not None
            and ended.ended <= day
            for found in rows(party)
            if self.taken_over_by(party, found.procedure, found.received_by, day) == office
        ]

    # --- deadlines -------------------------------------------------------------------------

    def level_deadline(
        self,
        found: Location,
        at: int,
        *,
        legs: Sequence[Leg] | None = None,
        spans: Sequence[tuple[int, int | None]] | None = None,
    ) -> int | None:
        """By when the custodian must hand the dossier on: its level's budget counted from when
        its turn began (receipt or acknowledgement — a refused or recalled dispatch does not
        start it again), the days awaiting a supplement not counted ("resume" policy; a
        suspension still open counts up to `at`), with the version's cut-off if it has one. An
        office that took in the result to return it (a handover to return) has no level budget:
        the time appointed to the applicant is what judges it. `legs` and `spans`: the dossier's
        hops and supplement windows as they were at a past instant (`asof.Then`), if given; else
        as the views hold them now."""
        if found.status in ("closed", "in_transit"):
            return None
        if found.decided is not None and self.returning(found.code, legs):
            return None
        budget = self.budget(found, self.level_of(found.custodian), legs=legs)
        if budget is None or budget.days is None:
            return None
        return self.turn_deadline(found, found.held_since, budget, at, spans)

    def turn_deadline(
        self,
        found: Location,
        start: int,
        budget: Budget,
        at: int,
        spans: Sequence[tuple[int, int | None]] | None = None,
    ) -> int:
        """The deadline of an office's turn that began at `start`, supplement days left out (the
        windows `spans`, if given; else the views' windows of the dossier)."""
        assert budget.days is not None
        if spans is None:
            spans = (
                self.projector.suspensions(found.code)
                if found.suspended_us or found.suspended_since is not None
                else []
            )
        windows = [
            (max(begin, start), end if end is not None else at)
            for begin, end in spans
            if (end is None or end > start) and begin <= at
        ]
        return self.calendar.due_with_suspensions(
            start,
            budget.days,
            budget.day_type,
            [w for w in windows if w[1] >= w[0]],
            "resume",
            cutoff=cutoff_of(self.version_of(found)),
        )

    def working_seconds(self, start: int, end: int) -> int:
        """Office time between two instants, in whole seconds (negative if `end` is before
        `start`): W(end) - W(start) (`worktime.py`), each instant's W counted once per
        inspector — the instant judged at is shared by every dossier judged."""
        return (self._worked(end) - self._worked(start)) // 1_000_000

    def _worked(self, instant: int) -> int:
        found = self._w.get(instant)
        if found is None:
            found = self._w[instant] = self._work.at(instant)
        return found

    # --- stalls and the control slip -------------------------------------------------------

    def stalls(
        self,
        at: int,
        *,
        office: str | None = None,
        level: str | None = None,
        procedure: str | None = None,
        rule: str | None = None,
        current: bool = True,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Stall]:
        """Every stall at `at`, most overdue first; with `limit`, the `limit` + 1 from `offset`
        on (`stalls.find_stalls`)."""
        return find_stalls(
            self,
            at,
            office=office,
            level=level,
            procedure=procedure,
            rule=rule,
            current=current,
            limit=limit,
            offset=offset,
        )

    def slip(self, code: str, at: int) -> ControlSlip | None:
        """The control slip of a dossier, results judged as of `at`; None if unknown
        (`slip.control_slip`)."""
        return control_slip(self, code, at)


def _above(
    office: Office | None, day: date, procedure: str | None, received_by: str | None
) -> str | None:
    """The office `office` answers to on `day`: the one that took over its dossiers (of
    `procedure`, as `ledger/handlers.py` passes them on) once it has ended, else its parent."""
    if office is None:
        return None
    if not office.active_on(day):
        following = office.successor if procedure is None else office.successor_for(procedure)
        if following is None and procedure is not None and office.passes_to_receiver:
            following = received_by if received_by != office.subject else None
        if following is not None:
            return following
    return office.parent_on(day)
