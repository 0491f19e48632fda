"""Stalls: where a dossier has waited longer than the rules allow, judged at an instant — now,
or any past instant — from the read models, the registry and the deadlines (`sla.Inspector`).

Stall rules (quy tắc):
- `unacknowledged` — in transit, not acknowledged for more than N working hours (default 8, one
  working day): who has not acknowledged;
- `over_level_budget` — held by an office longer than its level's budget (time awaiting a
  supplement does not count): who holds it;
- `past_appointed` — not closed, and the appointed return time (ngày hẹn trả) has passed;
- `due_soon` — not closed, and the appointed time falls within one working day.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from domain.instant import MICROS, local_date
from ledger.views import queries, turns
from ledger.views.tables import Location
from ledger.views.worktime import WorkTime

if TYPE_CHECKING:
    from ledger.views.sla import Inspector

RULES = ("unacknowledged", "over_level_budget", "past_appointed", "due_soon")
WORKING_DAY_SECONDS = 8 * 3600


@dataclass(frozen=True)
class Stall:
    code: str
    rule: str
    since: int  # when the rule started to hold
    over_seconds: int  # working seconds past the limit (0 for due_soon)
    office: str  # who holds it, or (unacknowledged) who has not acknowledged
    procedure: str
    level: str | None
    # the office that received the dossier (whom a dissolved office passed it back to, if it
    # did): context for placing the stall in the hierarchy, not part of what the stall is
    received_by: str = field(default="", compare=False)


def find_stalls(
    inspector: Inspector,
    at: int,
    *,
    office: str | None = None,
    level: str | None = None,
    procedure: str | None = None,
    rule: str | None = None,
    current: bool = True,
) -> list[Stall]:
    """Every stall at `at`, most overdue first. `current` reads the read models as they are
    (for now): each rule's candidates are an index range of the views (`_candidates`); otherwise
    each open dossier is taken as it was at `at` and judged (`judge_each`)."""
    if rule is not None and rule not in RULES:
        raise ValueError(f"unknown stall rule {rule!r}: one of {', '.join(RULES)}")
    if not current:
        return judge_each(
            inspector, at, office=office, level=level, procedure=procedure, rule=rule, current=False
        )
    return _candidates(inspector, at, office=office, level=level, procedure=procedure, rule=rule)


def judge_each(
    inspector: Inspector,
    at: int,
    *,
    office: str | None = None,
    level: str | None = None,
    procedure: str | None = None,
    rule: str | None = None,
    current: bool = True,
) -> list[Stall]:
    """Every stall at `at`, each open dossier read and judged by every rule in turn (as of `at`
    unless `current`): the as-of path, and, with `current`, the reference the range queries of
    `find_stalls` are compared with."""
    found = (
        stall
        for location in _open_at(inspector, at, current)
        if procedure is None or location.procedure == procedure
        for stall in _stalls_of(inspector, location, at)
    )
    return _kept(inspector, at, found, office, level, rule)


def _kept(
    inspector: Inspector,
    at: int,
    stalls: Iterable[Stall],
    office: str | None,
    level: str | None,
    rule: str | None,
) -> list[Stall]:
    """The stalls of the rule, the level and the office subtree asked for, most overdue first."""
    day = local_date(at)
    found: list[Stall] = []
    for stall in stalls:
        if rule is not None and stall.rule != rule:
            continue
        if level is not None and stall.level != level:
            continue
        if office is not None and not inspector.within(
            stall.office, office, day, procedure=stall.procedure, received_by=stall.received_by
        ):
            continue
        found.append(stall)
    found.sort(key=lambda stall: (-stall.over_seconds, stall.code, stall.rule))
    return found


def _candidates(
    inspector: Inspector,
    at: int,
    *,
    office: str | None,
    level: str | None,
    procedure: str | None,
    rule: str | None,
) -> list[Stall]:
    """The stalls at `at` as the views hold them now, each rule's dossiers read as an index range
    of instants: the rules count office time, and W (`worktime.py`) turns "more than N working
    seconds between t and now" into "t at or before the last instant whose W is W(now) - N".
    `_stalls_of` judged dossier by dossier gives the same stalls (tests/test_stalls_sql.py).
    The level budget's deadline depends on the registry, the route and the supplements: it is
    kept in the views for each held dossier, counted again when the dossier or the calendar
    changes (`turns.py`). The level and the office subtree are judged on each candidate, before
    its time over the limit is counted (from W, once for each instant)."""
    view, work, day = inspector.projector.view, WorkTime(inspector.calendar), local_date(at)
    now = work.at(at)
    offices = None if office is None else _possibly_under(inspector, office, day)
    worked: dict[int, int] = {}  # instant -> working seconds from it to `at`
    found: list[Stall] = []

    def wanted(name: str) -> bool:
        return rule is None or rule == name

    def add(
        row: queries.Candidate,
        name: str,
        since: int,
        holder: str,
        start: int | None,
        minus: int,
    ) -> None:
        """The stall of `row` by rule `name`, if its holder is of the level and under the office
        asked for; its time over the limit counted from `start` (None: none), less `minus`."""
        held_at = inspector.level_of(holder)
        if level is not None and held_at != level:
            return
        if office is not None and not inspector.within(
            holder, office, day, procedure=row.procedure, received_by=row.received_by
        ):
            return
        over = 0
        if start is not None:
            if start not in worked:  # W(now) - W(start): the office time between them
                worked[start] = (now - work.at(start)) // MICROS
            over = worked[start] - minus
        found.append(
            Stall(
                code=row.code,
                rule=name,
                since=since,
                over_seconds=over,
                office=holder,
                procedure=row.procedure,
                level=held_at,
                received_by=row.received_by,
            )
        )

    if wanted("unacknowledged"):
        # waited > limit (whole seconds) <=> W(now) - W(since) >= (limit + 1) s
        limit = inspector.unacknowledged_seconds
        latest = work.last_at_most(now - (limit + 1) * MICROS, at)
        for row in queries.unacknowledged_by(view, at, latest, procedure, offices):
            assert row.transit_to is not None  # selected so
            add(row, "unacknowledged", row.since, row.transit_to, row.since, limit)
    if wanted("over_level_budget"):  # the deadlines kept in the views (`turns.py`)
        for held, deadline in turns.past_deadline(inspector, at, procedure, offices):
            add(held, "over_level_budget", deadline, held.custodian or "", deadline, 0)
    if wanted("past_appointed"):
        for row in queries.appointed_by(view, at, at - 1, procedure, offices):
            holder = row.custodian or row.transit_to or ""
            add(row, "past_appointed", row.appointed, holder, row.appointed, 0)
    if wanted("due_soon"):
        # appointed >= now and W(appointed) - W(now) < (one working day + 1) s
        latest = work.last_at_most(now + (WORKING_DAY_SECONDS + 1) * MICROS - 1, at)
        for row in queries.appointed_by(view, at, latest, procedure, offices, after=at):
            add(row, "due_soon", at, row.custodian or row.transit_to or "", None, 0)
    found.sort(key=lambda stall: (-stall.over_seconds, stall.code, stall.rule))
    return found


# the most offices a query lists (SQLite's limit was 999 parameters before 3.32); more, and
# the office subtree is judged on every candidate only
MOST_OFFICES = 400


def _possibly_under(inspector: Inspector, root: str, day: date) -> list[str] | None:
    """Of the offices that hold an open dossier or are sent one, those that may be `root` or
    below it on `day` (`Inspector.within`): those whose parents lead to it, and those whose walk
    up meets an office no longer active that day — where the office that took over its dossiers
    depends on each dossier's procedure and receiving office, judged on each candidate. None:
    too many to list."""
    view = inspector.projector.view
    parties = set(queries.holders(view)) | set(queries.addressees(view))
    found = sorted(party for party in parties if _may_answer_to(inspector, party, root, day))
    return found if len(found) <= MOST_OFFICES else None


def _may_answer_to(inspector: Inspector, office: str, root: str, day: date) -> bool:
    current: str | None = office
    seen: set[str] = set()
    while current is not None and current not in seen:
        if current == root:
            return True
        seen.add(current)
        found = inspector.office_of(current)
        if found is None:
            return False
        if not found.active_on(day):
            return True  # who answers for it depends on the dossier: judged on each
        current = found.parent_on(day)
    return False


def _open_at(inspector: Inspector, at: int, current: bool) -> Iterator[Location]:
    if current:  # one query: the open dossiers as the views hold them now
        yield from queries.open_now(inspector.projector.view, at)
        return
    for code in queries.open_at(inspector.projector.view, at):  # each as it was at `at`
        location = inspector.projector.location_as_of(code, at)
        if location is not None and location.status != "closed":
            yield location


def _stalls_of(inspector: Inspector, found: Location, at: int) -> Iterable[Stall]:
    def stall(rule: str, since: int, over_seconds: int, office: str) -> Stall:
        return Stall(
            code=found.code,
            rule=rule,
            since=since,
            over_seconds=over_seconds,
            office=office,
            procedure=found.procedure,
            level=inspector.level_of(office),
            received_by=found.received_by,
        )

    if found.status == "in_transit" and found.transit_to is not None:
        waited = inspector.working_seconds(found.since, at)
        if waited > inspector.unacknowledged_seconds:
            over = waited - inspector.unacknowledged_seconds
            yield stall("unacknowledged", found.since, over, found.transit_to)
    deadline = inspector.level_deadline(found, at)
    if deadline is not None and found.status == "held" and at > deadline:
        over = inspector.working_seconds(deadline, at)
        yield stall("over_level_budget", deadline, over, found.custodian or "")
    holder = found.custodian or found.transit_to or ""
    if at > found.appointed:
        over = inspector.working_seconds(found.appointed, at)
        yield stall("past_appointed", found.appointed, over, holder)
    elif inspector.working_seconds(at, found.appointed) <= WORKING_DAY_SECONDS:
        yield stall("due_soon", at, 0, holder)
