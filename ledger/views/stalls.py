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

import heapq
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from typing import TYPE_CHECKING

from domain.instant import MICROS, local_date
from ledger.views import asof, queries, turns
from ledger.views.asof import Span
from ledger.views.queries import Candidate, Resume
from ledger.views.tables import Leg, Location
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
    limit: int | None = None,
    offset: int = 0,
) -> list[Stall]:
    """Every stall at `at`, most overdue first. `current` reads the read models as they are
    (for now): each rule's candidates are an index range of the views (`_candidates`); otherwise
    each open dossier is taken as it was at `at` and judged (`judge_each`).

    With `limit`: of that list, the `limit` + 1 stalls from `offset` on (one more than a page,
    to tell whether another follows); with current read models, read as far as the page needs
    (`_page`), not the whole list."""
    if rule is not None and rule not in RULES:
        raise ValueError(f"unknown stall rule {rule!r}: one of {', '.join(RULES)}")
    if (limit is not None and limit < 0) or offset < 0:
        raise ValueError(f"a page of stalls from {offset}, {limit} long: neither may be negative")
    if not current:
        every = judge_each(
            inspector, at, office=office, level=level, procedure=procedure, rule=rule, current=False
        )
    elif limit is not None:
        return _page(
            inspector,
            at,
            office=office,
            level=level,
            procedure=procedure,
            rule=rule,
            stop=offset + limit + 1,
        )[offset:]
    else:
        every = _candidates(
            inspector, at, office=office, level=level, procedure=procedure, rule=rule
        )
    return every[offset:] if limit is None else every[offset : offset + limit + 1]


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
        for location, legs, spans in _open_at(inspector, at, current)
        if procedure is None or location.procedure == procedure
        for stall in _stalls_of(inspector, location, at, legs, spans)
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
    ranges = _Ranges(inspector, at, office=office, level=level, procedure=procedure)
    found: list[Stall] = []
    if rule is None or rule == "unacknowledged":
        found += ranges.unacknowledged(None)
    if rule is None or rule == "over_level_budget":  # the deadlines kept in the views
        found += ranges.over_level_budget(turns.past_deadline(inspector, at, *ranges.where))
    if rule is None or rule == "past_appointed":
        found += ranges.past_appointed(None)
    if rule is None or rule == "due_soon":
        found += ranges.due_soon()
    found.sort(key=lambda stall: (-stall.over_seconds, stall.code, stall.rule))
    return found


def _page(
    inspector: Inspector,
    at: int,
    *,
    office: str | None,
    level: str | None,
    procedure: str | None,
    rule: str | None,
    stop: int,
) -> list[Stall]:
    """The first `stop` stalls of `_candidates`' list, each rule's range read from its oldest
    instant on, in chunks, only as far as the page needs: along a rule's instants (when the
    dispatch was sent, the level's deadline, the appointed time) the time over the limit,
    W(now) - W(instant) less the rule's limit, never grows, so each rule's stalls come most
    overdue first; those over by as many seconds (one weekend's instants, say, all of one W)
    are put in code order before they are passed on; the rules' streams are merged."""
    found = most_overdue_first(
        inspector,
        at,
        office=office,
        level=level,
        procedure=procedure,
        rule=rule,
        first=first_chunk(stop),
    )
    return list(islice(found, stop))


def most_overdue_first(
    inspector: Inspector,
    at: int,
    *,
    office: str | None,
    level: str | None,
    procedure: str | None,
    rule: str | None,
    first: int,
) -> Iterator[Stall]:
    """`_candidates`' list in its order, each rule's range read `first` rows first, then in
    chunks twice as long, as far as the reader reads (`_page`; the dashboard's page of dossiers,
    `dashboard.py`)."""
    ranges = _Ranges(inspector, at, office=office, level=level, procedure=procedure)
    streams: list[Iterator[Stall]] = []
    if rule is None or rule == "unacknowledged":
        streams.append(_by_code_within_ties(ranges.unacknowledged(first)))
    if rule is None or rule == "over_level_budget":
        kept = turns.past_deadline_in_order(
            inspector, at, *ranges.where, chunk=first, most=MOST_ROWS
        )
        streams.append(_by_code_within_ties(ranges.over_level_budget(kept)))
    if rule is None or rule == "past_appointed":
        streams.append(_by_code_within_ties(ranges.past_appointed(first)))
    if rule is None or rule == "due_soon":  # all over by 0: in code order
        streams.append(ranges.due_soon())
    return heapq.merge(*streams, key=lambda stall: (-stall.over_seconds, stall.code, stall.rule))


def _by_code_within_ties(stalls: Iterable[Stall]) -> Iterator[Stall]:
    """Stalls whose time over the limit never grows, in (-over, code) order: each run over by as
    many seconds held back until it ends and passed on in code order."""
    run: list[Stall] = []
    for stall in stalls:
        if run and stall.over_seconds != run[0].over_seconds:
            assert stall.over_seconds < run[0].over_seconds, (stall, run[0])  # read in order
            run.sort(key=lambda held: held.code)
            yield from run
            run = []
        run.append(stall)
    run.sort(key=lambda held: held.code)
    yield from run


# the most rows a chunk of a rule's range holds (each chunk twice the one before, up to it)
MOST_ROWS = 4096


def first_chunk(stop: int) -> int:
    """The rows of a rule's range read first for a page ending at `stop`: the page's, and a few
    more (the row after the page ends a run of stalls over by as many seconds; some rows may be
    of another level or office)."""
    return min(stop + 32, MOST_ROWS)


def ranges(
    inspector: Inspector,
    at: int,
    *,
    office: str | None = None,
    level: str | None = None,
    procedure: str | None = None,
) -> _Ranges:
    """Each rule's range at `at` as the stall queries read it: its limits and filters (the
    dashboard's counts read the same ranges, `dashboard.py`)."""
    return _Ranges(inspector, at, office=office, level=level, procedure=procedure)


class _Ranges:
    """Each rule's stalls at `at`, of the level and under the office asked for, from the views'
    index ranges: in no order (`chunk` None: one query), or in the order of the rule's instant,
    read `chunk` rows at a time and twice as many each time up to `MOST_ROWS`."""

    def __init__(
        self,
        inspector: Inspector,
        at: int,
        *,
        office: str | None,
        level: str | None,
        procedure: str | None,
    ) -> None:
        self.inspector, self.at, self.office, self.level = inspector, at, office, level
        self.work, self.day = WorkTime(inspector.calendar), local_date(at)
        self.now = self.work.at(at)
        offices = None if office is None else _possibly_under(inspector, office, self.day)
        self.where = (procedure, offices)  # the filters the queries apply
        self.worked: dict[int, int] = {}  # instant -> working seconds from it to `at`

    def stall(
        self, row: Candidate, name: str, since: int, holder: str, start: int | None, minus: int
    ) -> Stall | None:
        """The stall of `row` by rule `name`, if its holder is of the level and under the office
        asked for; its time over the limit counted from `start` (None: none), less `minus`."""
        inspector = self.inspector
        held_at = inspector.level_of(holder)
        if self.level is not None and held_at != self.level:
            return None
        if self.office is not None and not inspector.within(
            holder, self.office, self.day, procedure=row.procedure, received_by=row.received_by
        ):
            return None
        over = 0
        if start is not None:
            if start not in self.worked:  # W(now) - W(start): the office time between them
                self.worked[start] = (self.now - self.work.at(start)) // MICROS
            over = self.worked[start] - minus
        return Stall(
            code=row.code,
            rule=name,
            since=since,
            over_seconds=over,
            office=holder,
            procedure=row.procedure,
            level=held_at,
            received_by=row.received_by,
        )

    def unacknowledged_latest(self) -> int:
        """The last dispatch instant of a dispatch unacknowledged for too long at `at`."""
        # waited > limit (whole seconds) <=> W(now) - W(since) >= (limit + 1) s
        limit = self.inspector.unacknowledged_seconds
        return self.work.last_at_most(self.now - (limit + 1) * MICROS, self.at)

    def due_soon_latest(self) -> int:
        """The last appointed time due within one working day of `at` (from `at` on)."""
        # appointed >= now and W(appointed) - W(now) < (one working day + 1) s: one working
        # day's appointments
        return self.work.last_at_most(self.now + (WORKING_DAY_SECONDS + 1) * MICROS - 1, self.at)

    def unacknowledged(self, chunk: int | None) -> Iterator[Stall]:
        limit = self.inspector.unacknowledged_seconds
        latest = self.unacknowledged_latest()
        view, (procedure, offices) = self.inspector.projector.view, self.where

        def read(size: int | None, resume: Resume | None) -> list[Candidate]:
            return queries.unacknowledged_by(
                view, self.at, latest, procedure, offices, chunk=size, resume=resume
            )

        for row in _chunks(read, chunk, lambda row: row.since):
            if row.transit_to is None:  # (read in chunks: not selected out)
                continue
            found = self.stall(row, "unacknowledged", row.since, row.transit_to, row.since, limit)
            if found is not None:
                yield found

    def over_level_budget(self, held: Iterable[tuple[Candidate, int]]) -> Iterator[Stall]:
        for row, deadline in held:
            found = self.stall(row, "over_level_budget", deadline, row.custodian or "", deadline, 0)
            if found is not None:
                yield found

    def past_appointed(self, chunk: int | None) -> Iterator[Stall]:
        view, (procedure, offices) = self.inspector.projector.view, self.where

        def read(size: int | None, resume: Resume | None) -> list[Candidate]:
            return queries.appointed_by(
                view, self.at, self.at - 1, procedure, offices, chunk=size, resume=resume
            )

        for row in _chunks(read, chunk, lambda row: row.appointed):
            holder = row.custodian or row.transit_to or ""
            found = self.stall(row, "past_appointed", row.appointed, holder, row.appointed, 0)
            if found is not None:
                yield found

    def due_soon(self) -> Iterator[Stall]:
        """In code order (all are over by 0)."""
        latest = self.due_soon_latest()  # one working day's appointments, read whole
        view, (procedure, offices) = self.inspector.projector.view, self.where
        rows = queries.appointed_by(view, self.at, latest, procedure, offices, after=self.at)
        for row in sorted(rows, key=lambda row: row.code):
            found = self.stall(
                row, "due_soon", self.at, row.custodian or row.transit_to or "", None, 0
            )
            if found is not None:
                yield found


def _chunks(
    read: Callable[[int | None, Resume | None], list[Candidate]],
    chunk: int | None,
    instant: Callable[[Candidate], int],
) -> Iterator[Candidate]:
    """The rows `read` gives: all at once (`chunk` None), or `chunk` at a time in (instant, code)
    order, each chunk resuming after the last row of the one before."""
    if chunk is None:
        yield from read(None, None)
        return
    resume: Resume | None = None
    while True:
        rows = read(chunk, resume)
        yield from rows
        if len(rows) < chunk:
            return
        resume = (instant(rows[-1]), rows[-1].code)
        chunk = min(2 * chunk, MOST_ROWS)


# the most offices a query lists (SQLite's limit was 999 parameters before 3.32); more, and
# the office subtree is judged on every candidate only
MOST_OFFICES = 400


def _possibly_under(inspector: Inspector, root: str, day: date) -> list[str] | None:
    """Of the registry's offices, those that may be `root` or below it on `day`
    (`Inspector.within`): those whose parents lead to it, and those whose walk
    up meets an office no longer active that day — where the office that took over its dossiers
    depends on each dossier's procedure and receiving office, judged on each candidate. None:
    too many to list, or every one of them (listed in SQL, they would only keep the ranges from
    being read in order)."""
    offices = registered_offices(inspector)
    # reaching it, or meeting an office no longer active (judged on each dossier)
    found = sorted(o for o in offices if reaches(inspector, o, root, day) is not False)
    if len(found) == len(offices):  # every one (a province's root): a list narrows nothing
        return None
    return found if len(found) <= MOST_OFFICES else None


def registered_offices(inspector: Inspector) -> list[str]:
    """Every office of the registry, as the views list them (no scan of the dossiers)."""
    found: list[str] = []
    while True:
        page = inspector.projector.subjects("office", after=found[-1] if found else "")
        found += page
        if len(page) < 1000:  # `subjects`' page
            return found


def reaches(inspector: Inspector, office: str, root: str, day: date) -> bool | None:
    """Does the walk up from `office` through the offices active on `day` (`Inspector.lineage`'s,
    with no dossier) reach `root`? None: it meets an office no longer active first, and who
    answers for that one's dossiers depends on each dossier's procedure and receiving office."""
    current: str | None = office
    seen: set[str] = set()
    while current is not None and current not in seen:
        if current == root:
            return True
        seen.add(current)
        found = inspector.office_of(current) if current else None  # "": held by no office
        if found is None:
            return False
        if not found.active_on(day):
            return None
        current = found.parent_on(day)
    return False


# an open dossier to judge: its location row, and its hops and supplement windows as they were
# at the instant judged (None: as the views hold them now)
Judged = tuple[Location, Sequence[Leg] | None, Sequence[Span] | None]


def _open_at(inspector: Inspector, at: int, current: bool) -> Iterator[Judged]:
    if current:  # one query: the open dossiers as the views hold them now
        for location in queries.open_now(inspector.projector.view, at):
            yield location, None, None
        return
    for then in asof.open_at(inspector, at):  # each as it was at `at` (`asof.py`)
        yield then.location, then.legs, then.spans


def _stalls_of(
    inspector: Inspector,
    found: Location,
    at: int,
    legs: Sequence[Leg] | None = None,
    spans: Sequence[Span] | None = None,
) -> Iterable[Stall]:
    """The stalls of one open dossier at `at`; `legs` and `spans` its hops and supplement
    windows as they were then, if `found` is as it was then (else the views' now)."""

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
    deadline = (
        inspector.level_deadline(found, at, legs=legs, spans=spans)
        if found.status == "held"
        else None
    )
    if deadline is not None and at > deadline:
        over = inspector.working_seconds(deadline, at)
        yield stall("over_level_budget", deadline, over, found.custodian or "")
    holder = found.custodian or found.transit_to or ""
    if at > found.appointed:
        over = inspector.working_seconds(found.appointed, at)
        yield stall("past_appointed", found.appointed, over, holder)
    elif inspector.working_seconds(at, found.appointed) <= WORKING_DAY_SECONDS:
        yield stall("due_soon", at, 0, holder)
