"""The stall query as index ranges (`find_stalls` with current views) gives the same stalls as
every open dossier judged in turn (`judge_each`): on the simulator's traffic, with the views caught
up to several points of the log, at instants around those points — weekdays, nights, weekends,
holidays, and a microsecond either side of a rule's threshold — for every filter; and W, the
working-time coordinate the ranges are drawn with, is the calendar's office time exactly."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from pathlib import Path

import pytest

from domain.calendar import Override, WorkCalendar
from domain.instant import MICROS, VIETNAM, from_datetime, local_date, start_of
from domain.statement import Statement
from ledger.application import Ledger
from ledger.clock import SimulatedClock
from ledger.config import LedgerSettings
from ledger.reference.calendar import load_calendar
from ledger.simulation.simulator import SIMULATION_TOLERANCE_SECONDS, simulate
from ledger.statements import schema
from ledger.views.projector import Projector, ViewStore
from ledger.views.sla import Inspector
from ledger.views.stalls import RULES, WORKING_DAY_SECONDS, Stall, judge_each
from ledger.views.worktime import ORIGIN, WorkTime

HOUR = 3600 * MICROS
DAY = 24 * HOUR
CALENDAR = load_calendar()


# --- W ---------------------------------------------------------------------------------------


def _instants(rng: random.Random, count: int) -> list[int]:
    """Instants of 2024–2026: random ones, and office hours' edges, midnights, weekends and
    holidays (Tết 2025, 30/4–1/5, 2/9), a microsecond either side."""
    found = [
        rng.randrange(start_of(date(2024, 1, 1)), start_of(date(2027, 1, 1))) for _ in range(count)
    ]
    days = [date(2025, 1, 25) + timedelta(days=n) for n in range(12)]  # Tết 2025
    days += [date(2025, 4, 29), date(2025, 4, 30), date(2025, 5, 1), date(2025, 5, 2)]
    days += [date(2025, 8, 30), date(2025, 9, 1), date(2025, 9, 2), date(2025, 9, 3)]
    days += [date(2026, 3, 7), date(2026, 3, 8), date(2026, 3, 9)]  # a weekend and its Monday
    for day in days:
        for hour in (0, 7, 8, 11, 12, 13, 14, 16, 17, 23):
            edge = from_datetime(datetime.combine(day, time(hour), tzinfo=VIETNAM))
            found += [edge - 1, edge, edge + 1, edge + rng.randrange(HOUR)]
    return found


@pytest.mark.unit
def test_office_time_between_two_instants_is_the_difference_of_their_w() -> None:
    rng = random.Random(22)
    work = WorkTime(CALENDAR)
    instants = _instants(rng, 400)
    assert work.at(ORIGIN) == 0
    for _ in range(3000):
        a, b = rng.choice(instants), rng.choice(instants)
        assert work.at(b) - work.at(a) == CALENDAR.working_micros_between(a, b), (a, b)
    # spans of a few hours or days, where the calendar counts day by day
    for a in instants[:300]:
        b = a + rng.randrange(3 * DAY)
        assert work.at(b) - work.at(a) == CALENDAR.working_micros_between(a, b), (a, b)


@pytest.mark.unit
def test_w_never_decreases_and_stands_still_outside_office_hours() -> None:
    work = WorkTime(CALENDAR)
    saturday = start_of(date(2026, 3, 7))
    assert work.at(saturday + 10 * HOUR) == work.at(saturday)
    assert work.at(saturday + 2 * DAY + 7 * HOUR) == work.at(saturday)  # Monday 07:00
    assert work.at(saturday + 2 * DAY + 8 * HOUR) > work.at(saturday)
    instants = sorted(_instants(random.Random(5), 300))
    values = [work.at(instant) for instant in instants]
    assert values == sorted(values)


@pytest.mark.unit
def test_last_at_most_is_the_last_instant_whose_w_is_at_most_the_given_one() -> None:
    rng = random.Random(7)
    work = WorkTime(CALENDAR)
    for instant in _instants(rng, 100)[:250]:
        for offset in (0, 1, -1, 3600 * MICROS, -(8 * 3600 + 1) * MICROS, 9 * HOUR, 40 * HOUR):
            target = work.at(instant) + offset
            last = work.last_at_most(target, instant)
            assert work.at(last) <= target < work.at(last + 1), (instant, offset)


# --- the stall query -------------------------------------------------------------------------


def _simulated(database_url: str, dossiers: int = 260) -> Ledger:
    clock = SimulatedClock(0)
    settings = LedgerSettings(
        database_url=database_url, clock_tolerance_seconds=SIMULATION_TOLERANCE_SECONDS
    )
    ledger = Ledger(settings, clock=clock)
    # ~14 months to 30/6/2026: the 1/7/2025 reform, refusals, supplements, transits
    simulate(ledger, clock, dossiers=dossiers, seed=11, years=1.2)
    return ledger


def _catch_up_to(projector: Projector, position: int) -> None:
    start = projector.position()
    while start < position:
        notifications = projector.ledger.recorder.select_notifications(
            start + 1, min(500, position - start)
        )
        projector.apply(notifications, start)
        start = notifications[-1].id


def _cuts(ledger: Ledger, count: int) -> list[tuple[int, int]]:
    """`count` (log position, time of its statement) spread over the dossiers' traffic."""
    timed: list[tuple[int, int]] = []
    for position, event in ledger.read_log():
        statement: Statement = schema.parse(event.raw)
        if statement.family == "dossier":
            timed.append((position, statement.at))
    step = len(timed) // (count + 1)
    return [timed[step * (n + 1)] for n in range(count)] + [timed[-1]]


def _instants_near(inspector: Inspector, at: int) -> Iterator[int]:
    """At `at`, the same hour the next days (nights, a weekend), and a microsecond either side
    of the thresholds of the open dossiers: the unacknowledged limit, the appointed time, one
    working day before it; and of the beginning of a held dossier's last supplement (its level
    deadline, kept from a later instant, counts the supplement only from then)."""
    work = WorkTime(inspector.calendar)
    yield from (at, at + 2 * HOUR, at + 14 * HOUR, at + 2 * DAY, at + 5 * DAY, at + 40 * DAY)
    view, limit = inspector.projector.view, (inspector.unacknowledged_seconds + 1) * MICROS
    for (since,) in view.query(
        "SELECT since FROM lienthong_location WHERE status = 'in_transit' ORDER BY code LIMIT 4"
    ):
        # the first instant whose W is W(since) + limit: a stall from there on, not before
        edge = work.last_at_most(work.at(since) + limit - 1, since) + 1
        yield from (edge - 1, edge, edge + 1)
    for (begun,) in view.query(  # a kept deadline no longer holds before a supplement began
        "SELECT max(s.started_at) FROM lienthong_suspensions s JOIN lienthong_location l "
        "ON l.code = s.code WHERE l.status = 'held' GROUP BY s.code ORDER BY s.code LIMIT 4"
    ):
        yield from (begun - 1, begun, begun + 1)
    for (appointed,) in view.query(
        "SELECT appointed FROM lienthong_location WHERE status <> 'closed' ORDER BY code LIMIT 4"
    ):
        day = (WORKING_DAY_SECONDS + 1) * MICROS
        for edge in (appointed, work.last_at_most(work.at(appointed) - day, appointed)):
            yield from (edge - 1, edge, edge + 1)


def _fields(stalls: list[Stall]) -> list[tuple[object, ...]]:
    return [
        (s.code, s.rule, s.since, s.over_seconds, s.office, s.procedure, s.level, s.received_by)
        for s in stalls
    ]


@pytest.mark.parametrize("hours", [8, 2.5])
def test_the_range_query_finds_the_stalls_each_dossier_judged_in_turn_finds(
    database_url: str, hours: float
) -> None:
    ledger = _simulated(database_url)
    projector = Projector(ledger)
    try:
        judged: dict[str, int] = dict.fromkeys(RULES, 0)
        for position, when in _cuts(ledger, 3):
            _catch_up_to(projector, position)
            inspector = Inspector(ledger, projector, CALENDAR, unacknowledged_hours=hours)
            for at in _instants_near(inspector, when):
                expected = judge_each(inspector, at)
                assert _fields(inspector.stalls(at)) == _fields(expected), at
                for stall in expected:
                    judged[stall.rule] += 1
                # roots: every office a stall answers to — through a dissolved office's
                # successor for the procedure, or the office that received the dossier, too
                day = local_date(at)
                lineages = [
                    inspector.lineage(
                        s.office, day, procedure=s.procedure, received_by=s.received_by
                    )
                    for s in expected
                ]
                dissolved = {
                    above
                    for chain in lineages
                    for below, above in pairwise(chain)
                    if (ended := inspector.office_of(below)) is not None
                    and not ended.active_on(day)
                }
                offices = sorted(dissolved) + sorted({o for chain in lineages for o in chain})[:4]
                for office in offices:
                    assert _fields(inspector.stalls(at, office=office)) == _fields(
                        judge_each(inspector, at, office=office)
                    )
                for level in sorted({s.level or "" for s in expected}):
                    assert _fields(inspector.stalls(at, level=level)) == _fields(
                        judge_each(inspector, at, level=level)
                    )
                for procedure in sorted({s.procedure for s in expected})[:3]:
                    assert _fields(inspector.stalls(at, procedure=procedure)) == _fields(
                        judge_each(inspector, at, procedure=procedure)
                    )
                for rule in RULES:
                    assert _fields(inspector.stalls(at, rule=rule)) == _fields(
                        judge_each(inspector, at, rule=rule)
                    )
        assert min(judged.values()) >= 10, judged  # stalls of every rule were compared
    finally:
        projector.close()
        ledger.close()


def test_a_kept_level_deadline_is_the_one_counted_at_every_instant_it_is_used_at() -> None:
    ledger = _simulated("memory:")
    projector = Projector(ledger)
    try:
        checked = 0
        for position, when in _cuts(ledger, 3):
            _catch_up_to(projector, position)
            inspector = Inspector(ledger, projector, CALENDAR)
            inspector.stalls(when)
            kept = projector.view.query(
                "SELECT d.code, d.valid_from, d.deadline FROM lienthong_turn_deadlines d "
                "JOIN lienthong_location l ON l.code = d.code AND l.last_seq = d.last_seq"
            )
            assert kept
            for code, valid_from, deadline in kept:
                location = projector.location(code)
                assert location is not None
                begins = [begin for begin, _ in projector.suspensions(code)]
                for at in (when, when + 5 * DAY, *(b + d for b in begins for d in (-1, 0, 1))):
                    if valid_from <= at:  # the rows a query at `at` uses
                        assert deadline == inspector.level_deadline(location, at), (code, at)
                        checked += 1
                    else:
                        assert at < max(begins)
        assert checked > 20
    finally:
        projector.close()
        ledger.close()


def test_another_calendar_counts_the_kept_deadlines_again(database_url: str) -> None:
    ledger = _simulated(database_url)
    projector = Projector(ledger)
    try:
        projector.catch_up()
        (when,) = projector.view.query("SELECT max(held_since) FROM lienthong_location")[0]
        at = when + 30 * DAY
        first = Inspector(ledger, projector, CALENDAR)
        assert _fields(first.stalls(at)) == _fields(judge_each(first, at))
        # ten more days off from the day after `when`: the turns' deadlines after it move later
        extra = [
            Override(day, False, "Nghỉ thêm", "An extra day off", "test")
            for day in (local_date(when) + timedelta(days=n) for n in range(1, 31))
            if CALENDAR.is_working_day(day) and day not in CALENDAR.overrides
        ][:10]
        # the same version named, other days: the kept deadlines are counted again all the same
        changed = WorkCalendar(
            [*CALENDAR.overrides.values(), *extra],
            version=CALENDAR.version,
            office_hours=CALENDAR.office_hours,
        )
        other = Inspector(ledger, projector, changed)
        again = other.stalls(at, rule="over_level_budget")
        assert _fields(again) == _fields(judge_each(other, at, rule="over_level_budget"))
        assert _fields(again) != _fields(first.stalls(at, rule="over_level_budget"))
        # emptying the kept deadlines changes no answer
        with projector.view.transaction() as cursor:
            cursor.execute("DELETE FROM lienthong_turn_deadlines")
        assert _fields(first.stalls(at)) == _fields(judge_each(first, at))
    finally:
        projector.close()
        ledger.close()


@contextmanager
def replica_views(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[Projector, Inspector, list[int]]]:
    """The simulated ledger's views kept by a projector on `backend`, an inspector reading them
    through a read-only store (a replica's), and three instants: when the last turn began, three
    and thirty days after."""
    url = (
        f"sqlite:///{tmp_path / 'ledger.db'}"
        if backend == "sqlite"
        else str(request.getfixturevalue("postgres_url"))
    )
    ledger = _simulated(url)
    projector = Projector(ledger)
    replica = Projector(ledger, ViewStore(url, read_only=True))
    try:
        projector.catch_up()
        (when,) = projector.view.query("SELECT max(held_since) FROM lienthong_location")[0]
        inspector = Inspector(ledger, replica, CALENDAR)
        yield projector, inspector, [when, when + 3 * DAY, when + 30 * DAY]
    finally:
        replica.close()
        projector.close()
        ledger.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_read_only_views_count_the_deadlines_and_keep_none(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    with replica_views(backend, tmp_path, request) as (projector, inspector, instants):
        for at in instants:
            assert _fields(inspector.stalls(at)) == _fields(judge_each(inspector, at))
        assert projector.view.query("SELECT count(*) FROM lienthong_turn_deadlines")[0][0] == 0
