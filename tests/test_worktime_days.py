"""W(t) counted from each local day's first instant, and deadlines counted once for each first
day: both must give exactly what the calendar counts from scratch.

`WorkTime.at` keeps, for each local day, W of its first instant and its office hours, and adds the
office hours of the day up to the instant; `WorkCalendar` keeps the last day of a budget no
suspension stops for each (first day, length, day type). These tests compare both, on instants
and budgets drawn from a fixed seed, with the calendar's own count — on the packaged calendar and
on one with two office periods and overrides of its own."""

from __future__ import annotations

import random
from datetime import date, time
from pathlib import Path

import pytest

from domain.calendar import Override, WorkCalendar
from domain.instant import MICROS, local_date, start_of
from ledger.reference.calendar import OVERRIDES_FILE, read_overrides
from ledger.views.worktime import ORIGIN, WorkTime

HOUR = 3600 * MICROS


def _packaged_calendar() -> WorkCalendar:
    """A new calendar with the packaged overrides (`load_calendar` gives one per process: it
    would keep what an earlier test counted)."""
    folder = Path(__file__).resolve().parents[1] / "ledger" / "reference" / "data"
    version, overrides = read_overrides((folder / OVERRIDES_FILE).read_text(encoding="utf-8"))
    return WorkCalendar(overrides, version=version)


def _own_calendar() -> WorkCalendar:
    return WorkCalendar(
        [
            Override(date(2025, 3, 8), True, "Làm bù", "Make-up day", "test"),
            Override(date(2025, 3, 10), False, "Nghỉ", "Day off", "test"),
        ],
        office_hours=[(time(6, 0), time(11, 30)), (time(13, 0), time(17, 0))],
    )


CALENDARS = {"packaged": _packaged_calendar, "own": _own_calendar}
EDGES = [0, 6 * HOUR, 7 * HOUR, 8 * HOUR, 11 * HOUR + HOUR // 2, 12 * HOUR, 13 * HOUR, 17 * HOUR]


def _instants(rng: random.Random, count: int) -> list[int]:
    """Instants from 1998 to 2030, half of them on an edge: midnight, an office period's
    opening or closing, each ± one microsecond."""
    low, high = start_of(date(1998, 1, 1)), start_of(date(2030, 12, 31))
    found = []
    for _ in range(count):
        moment = rng.randrange(low, high)
        if rng.random() < 0.5:
            day = start_of(local_date(moment))
            moment = day + rng.choice(EDGES) + rng.choice([-1, 0, 1])
        found.append(moment)
    return found


@pytest.mark.parametrize("name", sorted(CALENDARS))
def test_w_from_each_day_is_the_calendars_count(name: str) -> None:
    calendar = CALENDARS[name]()
    work = WorkTime(calendar)
    instants = _instants(random.Random(22), 3000)
    instants += [ORIGIN, ORIGIN - 1, ORIGIN + 1, start_of(date(2025, 3, 8)) + 9 * HOUR]
    for moment in instants:
        assert work.at(moment) == calendar.working_micros_between(ORIGIN, moment), moment


def test_a_day_off_adds_nothing_and_a_working_day_its_hours() -> None:
    calendar = _own_calendar()
    work = WorkTime(calendar)
    saturday, monday = date(2025, 3, 8), date(2025, 3, 10)  # made a working day; made a day off
    assert calendar.office_periods(monday) == ()
    assert work.at(start_of(monday) + 20 * HOUR) == work.at(start_of(monday))
    opens = start_of(saturday)
    assert work.at(opens + 24 * HOUR) - work.at(opens) == 9 * HOUR + 30 * 60 * MICROS


@pytest.mark.parametrize("name", sorted(CALENDARS))
def test_a_deadline_counted_once_for_its_first_day_is_the_one_counted_afresh(name: str) -> None:
    """One calendar answers every budget in turn (its kept last days in use); each answer must be
    what a new calendar, which has kept nothing, counts."""
    calendar = CALENDARS[name]()
    rng = random.Random(7)
    low, high = start_of(date(2024, 1, 1)), start_of(date(2026, 12, 31))
    starts = [rng.randrange(low, high) for _ in range(40)]
    for received_at in starts:
        for days in (1, 3, 10, 45):
            for day_type in ("working", "calendar"):
                cutoff = rng.choice([None, time(16, 0)])
                same_day = [(received_at + HOUR, received_at + 2 * HOUR)]
                for windows in ([], same_day):
                    kept = calendar.due_with_suspensions(
                        received_at, days, day_type, windows, "resume", cutoff=cutoff
                    )
                    afresh = CALENDARS[name]().due_with_suspensions(
                        received_at, days, day_type, windows, "resume", cutoff=cutoff
                    )
                    assert kept == afresh, (received_at, days, day_type, windows, cutoff)
                assert calendar.due(received_at, days, day_type, cutoff=cutoff) == CALENDARS[
                    name
                ]().due(received_at, days, day_type, cutoff=cutoff)


@pytest.mark.parametrize("name", sorted(CALENDARS))
def test_working_days_between_two_days_are_those_counted_one_by_one(name: str) -> None:
    """From the calendar's running counts per year: the working days after the first day up to
    and including the last, as counting them one by one gives — across years, before 2000, and
    at the end of the last year an instant may fall in."""
    calendar = CALENDARS[name]()
    rng = random.Random(11)
    low, high = date(1995, 1, 1).toordinal(), date(2031, 12, 31).toordinal()
    pairs = [
        (date.fromordinal(rng.randint(low, high)), date.fromordinal(rng.randint(low, high)))
        for _ in range(300)
    ]
    pairs += [(date(2025, 3, 7), date(2025, 3, 10)), (date(9998, 12, 20), date(9998, 12, 31))]
    for first, last in pairs:
        days = [
            date.fromordinal(n)
            for n in range(min(first, last).toordinal() + 1, max(first, last).toordinal() + 1)
        ]
        counted = sum(calendar.is_working_day(day) for day in days)
        expected = counted if first <= last else -counted
        assert calendar.working_days_between(first, last) == expected, (first, last)
