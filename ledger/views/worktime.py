"""Working time as a coordinate: W(t), the office time (office hours on working days, by the
calendar's holidays and make-up days) from a fixed origin to the instant t, in microseconds, so
that the office time between two instants is a difference, `W(b) - W(a)`, exactly.

W never decreases, and stands still outside office hours: a rule counted in office time ("more than
eight working hours since") becomes a condition on the instant alone once W is inverted at the time
of the query — `last_at_most(w)` is the last instant whose W is at most w — so the stall query asks
the views for a range of instants (`stalls.py`) instead of counting office time dossier by dossier.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Protocol

from domain.instant import MICROS, VIETNAM, local_date, start_of

# the origin of the coordinate: 1/1/2000, local time (the calendar's own running counts start
# there, so W of a recent instant costs a few lookups)
ORIGIN = start_of(date(2000, 1, 1))
_DAY = 86_400 * MICROS
# Vietnam keeps UTC+7 all year: the local day of an instant is a division
_OFFSET = (VIETNAM.utcoffset(None) or timedelta()) // timedelta(microseconds=1)


class OfficeTime(Protocol):
    """What is needed of `domain.calendar.WorkCalendar`."""

    def working_micros_between(self, start: int, end: int) -> int: ...
    def office_periods(self, day: date) -> tuple[tuple[int, int], ...]: ...


class WorkTime:
    """W(t) on one calendar. W of each local day's first instant, and the day's office hours,
    are counted once: W(t) is then that, plus the office hours of t's day up to t (office time
    is additive over any split point)."""

    def __init__(self, calendar: OfficeTime) -> None:
        self.calendar = calendar
        # local day (days since the epoch) -> W(its first instant), its office hours
        self._days: dict[int, tuple[int, tuple[tuple[int, int], ...]]] = {}

    def at(self, instant: int) -> int:
        """W(instant): office time from the origin to `instant`, in microseconds (negative
        before the origin)."""
        day = (instant + _OFFSET) // _DAY
        found = self._days.get(day)
        if found is None:
            midnight = day * _DAY - _OFFSET
            found = self._days[day] = (
                self.calendar.working_micros_between(ORIGIN, midnight),
                self.calendar.office_periods(local_date(midnight)),
            )
        worked, periods = found
        for opens, closes in periods:
            if instant > opens:
                worked += min(instant, closes) - opens
        return worked

    def last_at_most(self, worked: int, near: int) -> int:
        """The last instant t with W(t) <= `worked` (W is continuous and never decreases, so the
        instants with W(t) <= worked are all those up to it); `near` is where to start looking,
        an instant whose W is close to `worked`. Exact: a search on the microsecond."""
        low, high = near, near  # W(low) <= worked < W(high)
        step = _DAY
        while self.at(low) > worked:
            low -= step
            step *= 2
        step = _DAY
        while self.at(high) <= worked:
            high += step
            step *= 2
        while high - low > 1:
            middle = (low + high) // 2
            if self.at(middle) <= worked:
                low = middle
            else:
                high = middle
        return low
