"""Durations as people read them, by one rule for every page, the control slip and the command
line: time worked is counted in working days of eight working hours (`WORKING_DAY_SECONDS`, the
unit the stall rules count in), and the days left to a date are counted the way a deadline is —
the working days after today, up to and including that date (docs/law.md, "Counting deadlines")."""

from __future__ import annotations

from datetime import date
from typing import Protocol

from domain.instant import local_date
from ledger.views.stalls import WORKING_DAY_SECONDS


class WorkingDays(Protocol):
    """What is needed of `domain.calendar.WorkCalendar`."""

    def working_days_between(self, first: date, last: date) -> int: ...


def working_days(seconds: int) -> float:
    """Working seconds as working days, to one decimal."""
    return round(seconds / WORKING_DAY_SECONDS, 1)


def days_left(calendar: WorkingDays, now: int, until: int) -> int:
    """Working days from the day of `now` to the day of `until`: those after today up to and
    including that day, as a deadline counts them — 0 when it is today; negative, the working days
    since, once it has passed."""
    return calendar.working_days_between(local_date(now), local_date(until))
