"""Durations as people read them (ledger/views/durations.py, api/texts.py): working days of
eight hours to one decimal from a day up, hours under it; the days left to a date counted as a
deadline counts them (the working days after today, up to and including that day)."""

from __future__ import annotations

from datetime import datetime

import pytest

from api.texts import days_left_text, working_span
from domain.instant import VIETNAM, from_datetime
from ledger.reference.calendar import load_calendar
from ledger.views.durations import days_left, working_days

HOUR = 3600
DAY = 8 * HOUR  # a working day


def local(year: int, month: int, day: int, hour: int = 9) -> int:
    return from_datetime(datetime(year, month, day, hour, tzinfo=VIETNAM))


@pytest.mark.parametrize(
    ("seconds", "days"), [(0, 0.0), (DAY, 1.0), (DAY + 4 * HOUR, 1.5), (2880 * HOUR, 360.0)]
)
def test_working_seconds_are_working_days_of_eight_hours(seconds: int, days: float) -> None:
    assert working_days(seconds) == days


@pytest.mark.parametrize(
    ("seconds", "vi", "en"),
    [
        (20 * 60, "dưới 1 giờ làm việc", "under 1 working hour"),
        (HOUR, "1 giờ làm việc", "1 working hour"),
        (5 * HOUR, "5 giờ làm việc", "5 working hours"),
        (DAY, "1 ngày làm việc", "1 working day"),
        (DAY + 4 * HOUR, "1,5 ngày làm việc", "1.5 working days"),
        (3 * DAY, "3 ngày làm việc", "3 working days"),
        (2880 * HOUR, "360 ngày làm việc", "360 working days"),
    ],
)
def test_a_span_reads_in_working_days_from_a_day_up(seconds: int, vi: str, en: str) -> None:
    assert (working_span(seconds, "vi"), working_span(seconds, "en")) == (vi, en)


@pytest.mark.parametrize(
    ("now", "until", "left", "vi"),
    [
        # Friday 6/3/2026 to Tuesday 10/3: Monday and Tuesday are left, not the weekend
        (local(2026, 3, 6), local(2026, 3, 10, 17), 2, "còn 2 ngày làm việc"),
        (local(2026, 3, 9), local(2026, 3, 10, 17), 1, "còn 1 ngày làm việc"),
        (local(2026, 3, 10, 8), local(2026, 3, 10, 17), 0, "hết hạn trong hôm nay"),
        (local(2026, 3, 11), local(2026, 3, 10, 17), -1, "quá hạn 1 ngày làm việc"),
        (local(2026, 3, 16), local(2026, 3, 10, 17), -4, "quá hạn 4 ngày làm việc"),
        # over Tết 2026 (16–20/2 off): from Friday 13/2 to Monday 23/2 is one working day
        (local(2026, 2, 13), local(2026, 2, 23, 17), 1, "còn 1 ngày làm việc"),
    ],
)
def test_the_days_left_are_counted_as_a_deadline_is(
    now: int, until: int, left: int, vi: str
) -> None:
    assert days_left(load_calendar(), now, until) == left
    assert days_left_text(left, "vi") == vi


def test_the_days_left_read_in_english_too() -> None:
    assert [days_left_text(n, "en") for n in (3, 1, 0, -1, -2)] == [
        "3 working days left",
        "1 working day left",
        "due today",
        "1 working day overdue",
        "2 working days overdue",
    ]
