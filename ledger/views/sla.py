"""Deadlines and stalls, judged the way an inspector would under Vietnamese rules.

Everything here is evaluated at query time against an instant — now, or any past instant — from
the read models (`ledger/views/projector.py`), the registry (office levels and the hierarchy on a
date) and the procedure version the dossier was received under (each level's budget and its day
type), counted on the working-day calendar.

Stall rules (quy tắc):
- `unacknowledged` — in transit, not acknowledged for more than N working hours (default 8, one
  working day): who has not acknowledged;
- `over_level_budget` — held by an office longer than its level's budget (time awaiting a
  supplement does not count): who holds it;
- `past_appointed` — not closed, and the appointed return time (ngày hẹn trả) has passed;
- `due_soon` — not closed, and the appointed time falls within one working day.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, time
from typing import Protocol

from domain.calendar import CUTOFF
from domain.errors import DomainError
from domain.instant import local_date
from domain.office import Office
from domain.procedure import Budget, ProcedureVersion
from ledger.application import Ledger
from ledger.views import queries
from ledger.views.projector import Location, Projector

RULES = ("unacknowledged", "over_level_budget", "past_appointed", "due_soon")
WORKING_DAY_SECONDS = 8 * 3600


class Calendar(Protocol):
    """What is needed of `domain.calendar.WorkCalendar`."""

    def due(
        self, received_at: int, days: int, day_type: str = ..., *, cutoff: time = ...
    ) -> int: ...
    def due_with_suspensions(
        self,
        received_at: int,
        days: int,
        day_type: str,
        suspensions: Sequence[tuple[int, int]],
        policy: str,
    ) -> int: ...
    def working_micros_between(self, start: int, end: int) -> int: ...


@dataclass(frozen=True)
class Stall:
    code: str
    rule: str
    since: int  # when the rule started to hold
    over_seconds: int  # working seconds past the limit (0 for due_soon)
    office: str  # who holds it, or (unacknowledged) who has not acknowledged
    procedure: str
    level: str | None


@dataclass(frozen=True)
class SlipBlock:
    """One block of the control slip: an office's turn with the dossier — who handed it over and
    who received it, when, that office's budget for its level, and the result when it handed the
    dossier on (or decided, or closed it)."""

    number: int
    from_office: str | None  # None for the reception block (the applicant hands it in)
    from_officer: str | None
    handed_at: int  # the dispatch (or the receipt)
    to_office: str
    outcome: str | None  # received | acknowledged | rejected | recalled | None in transit
    by_office: str | None
    by_officer: str | None
    received_at: int | None  # when the receiving office signed for it
    level: str | None
    budget: Budget | None
    deadline: int | None
    finished_at: int | None
    result: str | None  # early | on_time | late | pending (trước hạn / đúng hạn / quá hạn)
    used_seconds: int | None = None  # office time the office held it (to `at` if it still does)
    missing: int = 0
    extra: int = 0


@dataclass(frozen=True)
class ControlSlip:
    """Phiếu kiểm soát quá trình giải quyết hồ sơ (Circular 01/2018, form 05), as data."""

    location: Location
    blocks: list[SlipBlock]
    at: int  # results judged as of this instant


def appointed_for(version: ProcedureVersion, received_at: int, calendar: Calendar) -> int:
    """The appointed return time (ngày hẹn trả kết quả) the law gives a dossier received at
    `received_at` under `version`: each level's budget in turn along the route, in its own day
    type, each level starting where the one before ends. Levels whose text states no time add
    nothing. The receiving officer signs this in `dossier.received`."""
    moment, first = received_at, True
    for step in version.route:
        if step.days is not None and step.days > 0:
            # the receipt's 15:00 cut-off applies once; a later level starts where the one
            # before ended (its last day not counted again)
            cutoff = CUTOFF if first else time.max
            moment = calendar.due(moment, step.days, step.day_type, cutoff=cutoff)
            first = False
    if first:  # no stated time at all: the end of the receipt's counting day
        moment = calendar.due(received_at, 0, "working")
    return moment


def judge(finished_at: int | None, deadline: int | None, at: int) -> str | None:
    """early / on_time / late for a step that had to finish by `deadline` (the end of a day):
    on the deadline's day is on time, as on the control slip; pending while unfinished and not
    yet late."""
    if deadline is None:
        return None
    if finished_at is None:
        return "late" if at > deadline else "pending"
    if local_date(finished_at) < local_date(deadline):
        return "early"
    return "on_time" if finished_at <= deadline else "late"


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
        self._lineage: dict[tuple[str, date], tuple[str, ...]] = {}

    # --- registry lookups ------------------------------------------------------------------

    def _office(self, office: str) -> Office | None:
        if office not in self._offices:
            try:
                self._offices[office] = self.ledger.office(office)
            except DomainError:
                self._offices[office] = None
        return self._offices[office]

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

    def budget(self, found: Location, level: str | None) -> Budget | None:
        version = self.version_of(found)
        if version is None or level is None:
            return None
        for step in version.route:
            if step.level == level and step.days is not None:
                return step
        return None

    def within(self, office: str, root: str, day: date) -> bool:
        """Is `office` `root` or below it in the hierarchy on `day`? An office that no longer
        exists on `day` answers to its successor if it was merged into one (its dossiers and
        stalls passed there), else to its last parent: so after the 1/7/2025 reform the new
        province department oversees what the old one and its dissolved districts left open."""
        return root in self.lineage(office, day)

    def lineage(self, office: str, day: date) -> tuple[str, ...]:
        """`office` and every office it answers to on `day`, nearest first (by the rule of
        `within`): the offices whose figures a dossier received there counts in."""
        key = (office, day)
        if key not in self._lineage:
            chain: list[str] = []
            current: str | None = office
            while current is not None and current not in chain:
                chain.append(current)
                current = _above(self._office(current), day)
            self._lineage[key] = tuple(chain)
        return self._lineage[key]

    # --- deadlines -------------------------------------------------------------------------

    def level_deadline(self, found: Location, at: int) -> int | None:
        """By when the custodian must hand the dossier on: its level's budget counted from when
        its turn began (receipt or acknowledgement — a refused or recalled dispatch does not
        start it again), the days awaiting a supplement not counted ("resume" policy; a
        suspension still open counts up to `at`)."""
        if found.status in ("closed", "in_transit"):
            return None
        budget = self.budget(found, self.level_of(found.custodian))
        if budget is None or budget.days is None:
            return None
        return self.turn_deadline(found, found.held_since, budget, at)

    def turn_deadline(self, found: Location, start: int, budget: Budget, at: int) -> int:
        """The deadline of an office's turn that began at `start`, supplement days left out."""
        assert budget.days is not None
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
            start, budget.days, budget.day_type, [w for w in windows if w[1] >= w[0]], "resume"
        )

    def _working_seconds(self, start: int, end: int) -> int:
        return self.calendar.working_micros_between(start, end) // 1_000_000

    # --- stalls ----------------------------------------------------------------------------

    def stalls(
        self,
        at: int,
        *,
        office: str | None = None,
        level: str | None = None,
        procedure: str | None = None,
        rule: str | None = None,
        current: bool = True,
    ) -> list[Stall]:
        """Every stall at `at`, most overdue first. `current` reads the read models as they are
        (for now); otherwise each open dossier is taken as it was at `at`."""
        if rule is not None and rule not in RULES:
            raise ValueError(f"unknown stall rule {rule!r}: one of {', '.join(RULES)}")
        day = local_date(at)
        found: list[Stall] = []
        for location in self._open_at(at, current):
            if procedure is not None and location.procedure != procedure:
                continue
            for stall in self._stalls_of(location, at):
                if rule is not None and stall.rule != rule:
                    continue
                if level is not None and stall.level != level:
                    continue
                if office is not None and not self.within(stall.office, office, day):
                    continue
                found.append(stall)
        found.sort(key=lambda stall: (-stall.over_seconds, stall.code, stall.rule))
        return found

    def _open_at(self, at: int, current: bool) -> Iterator[Location]:
        if current:  # one query: the open dossiers as the views hold them now
            yield from queries.open_now(self.projector.view, at)
            return
        for code in queries.open_at(self.projector.view, at):  # each as it was at `at`
            location = self.projector.location_as_of(code, at)
            if location is not None and location.status != "closed":
                yield location

    def _stalls_of(self, found: Location, at: int) -> Iterable[Stall]:
        if found.status == "in_transit" and found.transit_to is not None:
            waited = self._working_seconds(found.since, at)
            if waited > self.unacknowledged_seconds:
                yield Stall(
                    found.code,
                    "unacknowledged",
                    found.since,
                    waited - self.unacknowledged_seconds,
                    found.transit_to,
                    found.procedure,
                    self.level_of(found.transit_to),
                )
        deadline = self.level_deadline(found, at)
        if deadline is not None and found.status == "held" and at > deadline:
            yield Stall(
                found.code,
                "over_level_budget",
                deadline,
                self._working_seconds(deadline, at),
                found.custodian or "",
                found.procedure,
                self.level_of(found.custodian),
            )
        holder = found.custodian or found.transit_to or ""
        if at > found.appointed:
            yield Stall(
                found.code,
                "past_appointed",
                found.appointed,
                self._working_seconds(found.appointed, at),
                holder,
                found.procedure,
                self.level_of(holder),
            )
        elif self._working_seconds(at, found.appointed) <= WORKING_DAY_SECONDS:
            yield Stall(
                found.code, "due_soon", at, 0, holder, found.procedure, self.level_of(holder)
            )

    # --- the control slip (phiếu kiểm soát, form 05) ---------------------------------------

    def slip(self, code: str, at: int) -> ControlSlip | None:
        """The control slip of a dossier, results judged as of `at`; None if unknown."""
        location = self.projector.location(code)
        if location is None:
            return None
        legs = self.projector.legs(code)

        def onward_after(index: int) -> int | None:
            """When the turn that began before leg `index` ended: the next dispatch that was
            not refused or recalled (a refused or recalled one left the dossier where it was)."""
            for leg in legs[index:]:
                if leg.outcome in (None, "acknowledged"):
                    return leg.dispatched_at
            return None

        first_onward = onward_after(0)
        blocks = [
            self._block(
                location,
                0,
                None,
                None,
                location.received_at,
                location.received_by,
                "received",
                location.received_by,
                None,
                location.received_at,
                first_onward,
                at,
            )
        ]
        for number, leg in enumerate(legs, 1):
            onward = onward_after(number)
            blocks.append(
                self._block(
                    location,
                    number,
                    leg.from_office,
                    leg.from_officer,
                    leg.dispatched_at,
                    leg.to_office,
                    leg.outcome,
                    leg.by_office,
                    leg.by_officer,
                    leg.ended_at,
                    onward,
                    at,
                    leg.missing,
                    leg.extra,
                )
            )
        return ControlSlip(location, blocks, at)

    def _block(
        self,
        location: Location,
        number: int,
        from_office: str | None,
        from_officer: str | None,
        handed_at: int,
        to_office: str,
        outcome: str | None,
        by_office: str | None,
        by_officer: str | None,
        received_at: int | None,
        onward: int | None,
        at: int,
        missing: int = 0,
        extra: int = 0,
    ) -> SlipBlock:
        holds = outcome in ("received", "acknowledged")
        level = self.level_of(by_office) if holds else None
        budget = self.budget(location, level) if holds else None
        deadline = (
            self.turn_deadline(location, received_at, budget, at)
            if budget is not None and budget.days is not None and received_at is not None
            else None
        )
        if holds and onward is None and received_at is not None:
            # the office's turn ends with the decision, or with the dossier closed
            ends = [
                moment
                for moment in (location.decided_at, location.closed_at)
                if moment is not None and moment >= received_at
            ]
            onward = min(ends, default=None)
        used = (
            self._working_seconds(received_at, onward if onward is not None else at)
            if holds and received_at is not None
            else None
        )
        return SlipBlock(
            number,
            from_office,
            from_officer,
            handed_at,
            to_office,
            outcome,
            by_office,
            by_officer,
            received_at,
            level,
            budget,
            deadline,
            onward if holds else None,
            judge(onward, deadline, at) if holds else None,
            used,
            missing,
            extra,
        )


# --- office reports (báo cáo tình hình giải quyết hồ sơ) -------------------------------------


@dataclass(frozen=True)
class OfficeReport:
    """The indicators provinces report for an office (and the offices below it) over a period
    [start, end): received (by channel) and carried over; resolved early / on time / late against
    the appointed time; pending at the end, within the deadline or overdue."""

    office: str
    start: int
    end: int
    received: dict[str, int]
    carried_over: int
    early: int
    on_time: int
    late: int
    pending_within: int
    pending_overdue: int

    @property
    def resolved(self) -> int:
        return self.early + self.on_time + self.late

    @property
    def on_time_rate(self) -> float | None:
        """ "Đúng và trước hạn": (early + on time) ÷ resolved; None when nothing was resolved."""
        return (self.early + self.on_time) / self.resolved if self.resolved else None


def office_report(inspector: Inspector, office: str, start: int, end: int) -> OfficeReport:
    """Dossiers count for the office that received them, if it was `office` or below it on the
    day of receipt — so a commune's dossiers count under its district before 1/7/2025 and
    straight under the province after."""
    if end <= start:
        raise ValueError("a report's period must end after it starts")
    received: dict[str, int] = {}
    carried = early = on_time = late = within = overdue = 0
    for _code, received_at, channel, appointed, decided_at, closed_at in _received_under(
        inspector, office, end
    ):
        if received_at >= start:
            received[channel] = received.get(channel, 0) + 1
        elif _open(decided_at, closed_at, start):
            carried += 1
        if decided_at is not None and start <= decided_at < end:
            result = judge(decided_at, appointed, decided_at)
            early += result == "early"
            on_time += result == "on_time"
            late += result == "late"
        elif _open(decided_at, closed_at, end):
            if appointed < end:
                overdue += 1
            else:
                within += 1
    return OfficeReport(
        office, start, end, received, carried, early, on_time, late, within, overdue
    )


def _received_under(
    inspector: Inspector, office: str, end: int
) -> Iterator[tuple[str, int, str, int, int | None, int | None]]:
    """(code, received_at, channel, appointed, decided_at, closed_at) of the dossiers received
    before `end` by `office` or an office below it on the day of receipt."""
    rows = queries.received_before(inspector.projector.view, end)
    for code, received_by, received_at, channel, appointed, decided_at, closed_at in rows:
        if inspector.within(received_by, office, local_date(received_at)):
            yield code, received_at, channel, appointed, decided_at, closed_at


def decisions(
    inspector: Inspector, office: str, start: int, end: int
) -> list[tuple[str, str, int, int]]:
    """The dossiers behind an office report's early / on time / late counts: (code, result,
    decided_at, appointed), decided in [start, end), in decision order."""
    found = []
    for code, _received, _channel, appointed, decided_at, _closed in _received_under(
        inspector, office, end
    ):
        if decided_at is not None and start <= decided_at < end:
            result = judge(decided_at, appointed, decided_at)
            if result is not None:
                found.append((code, result, decided_at, appointed))
    return sorted(found, key=lambda row: (row[2], row[0]))


def _above(office: Office | None, day: date) -> str | None:
    if office is None:
        return None
    if not office.active_on(day) and office.successor is not None:
        return office.successor
    return office.parent_on(day)


def _open(decided_at: int | None, closed_at: int | None, at: int) -> bool:
    """Neither decided nor closed (withdrawn) before `at`."""
    return (decided_at is None or decided_at >= at) and (closed_at is None or closed_at >= at)
