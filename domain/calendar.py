"""The working-day calendar (lịch ngày làm việc) and the deadlines budgets give (hạn giải quyết).

Working days (ngày làm việc) are Monday to Friday, minus public holidays, compensatory days off
(ngày nghỉ bù) and swapped days off (ngày nghỉ hoán đổi), plus the Saturdays worked in exchange
(ngày làm bù). This is the calendar of cán bộ, công chức, viên chức in offices that rest on Saturday
and Sunday: swaps are announced for them, not for businesses. The base is the `holidays` package's
Vietnam calendar; an override table corrects the years it lacks or gets wrong (the ledger layer
reads it from its data folder, calendar_overrides.csv, and passes it in: this module does no I/O).

Counting a deadline (Civil Code 2015 Art. 144-148; docs/law.md, "Counting deadlines"):
1. The receipt day (ngày tiếp nhận) is the Vietnamese civil date of receipt. A dossier received
   on a non-working day, or after the cut-off where one applies (15:00:00 exactly is not after
   15:00), counts as received on the morning of the next working day. There is no cut-off unless
   the caller gives one: the 15:00 rule is found only in sector rules for some procedures, so it
   is a setting of a procedure version (`domain.procedure.Cutoff`; docs/law.md, "Cut-off").
2. The first day is not counted: a budget of n working days ends on the n-th working day after the
   receipt day; a budget of n calendar days ends on the n-th day after it or, if that day is not a
   working day, on the next working day. A budget of 0 ends on the receipt day.
3. A period ends at 24:00 of its last day. Deadlines are returned as the last microsecond of that
   day (23:59:59.999999 Vietnam time), not office close (17:00): the law says 24:00, and with the last
   microsecond `local_date(due)` is still the due day and "on time" is simply `at <= due`.

Invalid questions (a negative budget, an unknown day type or policy, a suspension that ends before
it starts) raise `BadCalendarInput`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta

import holidays

from domain.errors import DomainError
from domain.instant import MICROS, local_date, start_of, to_datetime
from domain.procedure import DAY_TYPES

POLICIES = ("resume", "restart")

OFFICE_HOURS: tuple[tuple[time, time], ...] = (
    (time(7, 30), time(11, 30)),
    (time(13, 0), time(17, 0)),
)
MAKE_UP_DAY = ("Ngày làm bù", "Make-up working day")
_DAY = timedelta(days=1)
_LONGEST_BREAK = 60  # days; no Vietnamese break comes near it, so a longer one is a broken table


class BadCalendarInput(DomainError):
    code = "bad-calendar-input"
    title_vi = "Dữ liệu tính hạn không hợp lệ"
    title_en = "Invalid deadline question"


@dataclass(frozen=True)
class Override:
    """A day the base calendar gets wrong: a day off (ngày nghỉ) or a working day (ngày làm việc).

    `provisional` marks a day no announcement was found for (the calendar's best guess, e.g. a
    year not yet announced); a confirmed day names the `document` that announced it.
    """

    day: date
    working: bool
    name_vi: str
    name_en: str
    source: str
    provisional: bool = False
    document: str = ""


@dataclass(frozen=True)
class SpecialDay:
    """A day on which the calendar departs from the Monday-Friday week, with its name."""

    day: date
    working: bool
    name_vi: str
    name_en: str

    def name(self, lang: str) -> str:
        return self.name_vi if lang == "vi" else self.name_en


@dataclass(frozen=True)
class Deadline:
    received_at: int
    counts_from: date  # the receipt day, after the cut-off and non-working-day rules
    days: int
    day_type: str
    due_day: date
    due_at: int  # the last microsecond of due_day, Vietnam time


class WorkCalendar:
    """Vietnamese working days: the `holidays` package's calendar, corrected by `overrides`.

    `office_hours` are the local (open, close) periods of a working day, used only by
    `working_seconds_between`; deadlines run to the end of the day whatever the office hours.
    """

    def __init__(
        self,
        overrides: Iterable[Override] = (),
        *,
        version: str = "",
        office_hours: Sequence[tuple[time, time]] = OFFICE_HOURS,
    ) -> None:
        self.version = version
        self.overrides: dict[date, Override] = {}
        for override in overrides:
            if override.day in self.overrides:
                raise ValueError(f"two overrides for {override.day.isoformat()}")
            self.overrides[override.day] = override
        self.office_hours = _checked_hours(office_hours)
        self._vi = holidays.country_holidays("VN", language="vi")
        self._en = holidays.country_holidays("VN", language="en_US")
        self._known: dict[date, bool] = {}
        self._per_year: dict[int, list[int]] = {}
        self._year_starts: dict[int, int] = {}
        # (first day counted, days, day type) -> the last day of a budget no suspension stops:
        # deadlines counted from the same day share it (a read model judges thousands a query)
        self._plain_last_days: dict[tuple[date, int, str], date] = {}

    # --- days -----------------------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        """Whether offices work on `day`: the override if there is one, else the package's answer."""
        known = self._known.get(day)
        if known is None:
            known = self._known[day] = self._decide(day)
        return known

    def _decide(self, day: date) -> bool:
        override = self.overrides.get(day)
        if override is not None:
            return override.working
        # Membership first: it makes the package compute the year, make-up Saturdays included.
        if day in self._vi:
            return False
        return day.weekday() < 5 or day in self._vi.weekend_workdays

    def next_working_day(self, day: date) -> date:
        """The first working day after `day` (never `day` itself)."""
        return self._step(day, _DAY)

    def add_working_days(self, day: date, count: int) -> date:
        """The `count`-th working day after `day` (before it if `count` is negative); 0 gives `day`."""
        step = _DAY if count >= 0 else -_DAY
        for _ in range(abs(count)):
            day = self._step(day, step)
        return day

    def working_days_between(self, first: date, last: date) -> int:
        """Working days after `first` up to and including `last`: the count `add_working_days`
        undoes. Negative when `last` is before `first`."""
        if last < first:
            return -self.working_days_between(last, first)
        # from the running counts: those up to and including `last`, less those up to `first`
        return self._working_up_to(last) - self._working_up_to(first)

    def provisional_days(self, first: date, last: date) -> list[Override]:
        """The provisional overrides from `first` to `last` inclusive: days a deadline counted
        over that span depends on though no announcement confirms them."""
        return [
            override
            for day, override in sorted(self.overrides.items())
            if override.provisional and first <= day <= last
        ]

    def special_days(self, first: date, last: date) -> list[SpecialDay]:
        """The days from `first` to `last` inclusive that depart from the Monday-Friday week:
        weekdays off (holidays, days off in lieu, swapped days) and weekend days worked."""
        found = []
        for day in _days_after(first - _DAY, last):
            working = self.is_working_day(day)
            if working != (day.weekday() < 5):
                found.append(self._named(day, working))
        return found

    def _named(self, day: date, working: bool) -> SpecialDay:
        override = self.overrides.get(day)
        if override is not None:
            return SpecialDay(day, working, override.name_vi, override.name_en)
        if working:
            return self._make_up_day(day)
        return SpecialDay(day, working, str(self._vi.get(day)), str(self._en.get(day)))

    def _make_up_day(self, day: date) -> SpecialDay:
        """A Saturday the package makes a working day; its day off names it ("thay cho ngày …")."""
        stamp = day.strftime("%d/%m/%Y")
        _ = date(day.year + 1, 1, 1) in self._vi  # a swap may cross the new year (27/12/2014)
        for other, name in sorted(self._vi.items()):
            if stamp in name:
                shown = other.strftime("%d/%m/%Y")
                return SpecialDay(
                    day,
                    True,
                    f"{MAKE_UP_DAY[0]} (cho ngày nghỉ {shown})",
                    f"{MAKE_UP_DAY[1]} (for the day off on {shown})",
                )
        return SpecialDay(day, True, *MAKE_UP_DAY)

    def _step(self, day: date, step: timedelta) -> date:
        for _ in range(_LONGEST_BREAK):
            day += step
            if self.is_working_day(day):
                return day
        raise ValueError(f"no working day within {_LONGEST_BREAK} days of {day.isoformat()}")

    # --- deadlines ------------------------------------------------------------------------

    def counting_day(self, received_at: int, cutoff: time | None = None) -> date:
        """The receipt day the count starts from: the receipt's date, or the next working day if
        the dossier came on a non-working day or after `cutoff` (Vietnam time; None: no cut-off)."""
        moment = to_datetime(received_at)
        day = moment.date()
        late = cutoff is not None and moment.time() > cutoff
        if not self.is_working_day(day) or late:
            return self.next_working_day(day)
        return day

    def deadline(
        self,
        received_at: int,
        days: int,
        day_type: str = "working",
        *,
        cutoff: time | None = None,
    ) -> Deadline:
        """The deadline of a budget of `days` (working or calendar) days starting at receipt."""
        _check_budget(days, day_type)
        start = self.counting_day(received_at, cutoff)
        due_day = self._plain_last_day(start, days, day_type)
        return Deadline(received_at, start, days, day_type, due_day, end_of(due_day))

    def due(
        self,
        received_at: int,
        days: int,
        day_type: str = "working",
        *,
        cutoff: time | None = None,
    ) -> int:
        """The deadline instant: the last microsecond of the due day (see the module docstring)."""
        return self.deadline(received_at, days, day_type, cutoff=cutoff).due_at

    def due_with_suspensions(
        self,
        received_at: int,
        days: int,
        day_type: str,
        suspensions: Sequence[tuple[int, int]],
        policy: str,
        *,
        cutoff: time | None = None,
    ) -> int:
        """The deadline when the clock stopped for the (start, end) instants in `suspensions`
        (e.g. from a supplement request to the supplement's receipt).

        Whether the clock resumes or restarts after a suspension is not settled in the texts we
        read (docs/law.md, "Supplements"), so it is a per-procedure policy:
        - "resume": time already spent counts; the days from the day after a suspension began
          to the day it ended are not counted (working days for a working-day budget, every day
          for a calendar-day budget), so the deadline moves by those days;
        - "restart": the whole budget counts again from the end of the last suspension, with the
          receipt rules (cut-off, non-working day) applied to that instant.
        A suspension that begins after the deadline then in force changes nothing: it cannot
        rescue a dossier that was already late.
        """
        _check_budget(days, day_type)
        windows = _checked_suspensions(received_at, suspensions)
        if policy == "restart":
            current = self.due(received_at, days, day_type, cutoff=cutoff)
            for start, end in windows:
                if start <= current:
                    current = self.due(end, days, day_type, cutoff=cutoff)
            return current
        if policy == "resume":
            stopped = {
                day
                for start, end in windows
                for day in _days_after(local_date(start), local_date(end))
            }
            first = self.counting_day(received_at, cutoff)
            if not stopped:
                return end_of(self._plain_last_day(first, days, day_type))
            return end_of(self._last_day(first, days, day_type, stopped.__contains__))
        raise BadCalendarInput(f"suspension policy must be one of {POLICIES}, not {policy!r}")

    def _plain_last_day(self, start: date, days: int, day_type: str) -> date:
        """`_last_day` with no day stopped, counted once for each first day, length and type
        (the calendar's days never change once known: `is_working_day` keeps them too)."""
        key = (start, days, day_type)
        found = self._plain_last_days.get(key)
        if found is None:
            found = self._plain_last_days[key] = self._last_day(start, days, day_type, _never)
        return found

    def _last_day(
        self, start: date, days: int, day_type: str, stopped: Callable[[date], bool]
    ) -> date:
        day, counted = start, 0
        working = day_type == "working"
        while counted < days:
            day += _DAY
            if not stopped(day) and (not working or self.is_working_day(day)):
                counted += 1
        return day if self.is_working_day(day) else self.next_working_day(day)

    # --- office time ----------------------------------------------------------------------

    def working_seconds_between(self, start: int, end: int) -> float:
        """Seconds of office hours on working days between two instants (negative if `end` is
        before `start`); exact to the microsecond, additive over any split point."""
        return self.working_micros_between(start, end) / MICROS

    def working_micros_between(self, start: int, end: int) -> int:
        if end < start:
            return -self.working_micros_between(end, start)
        first, last = local_date(start), local_date(end)
        if (last - first).days <= 2:
            return sum(self._on(day, start, end) for day in _days_after(first - _DAY, last))
        # the two end days in part, and every whole working day between them at once
        whole = self._working_before(last) - self._working_before(first + _DAY)
        return self._on(first, start, end) + self._on(last, start, end) + whole * self._day_micros

    def office_periods(self, day: date) -> tuple[tuple[int, int], ...]:
        """The (opens, closes) instants of `day`'s office hours; none on a day offices do not
        work."""
        return tuple(self._periods(day)) if self.is_working_day(day) else ()

    def _on(self, day: date, start: int, end: int) -> int:
        """Office time on `day` within [start, end]."""
        if not self.is_working_day(day):
            return 0
        return sum(
            max(0, min(end, closes) - max(start, opens)) for opens, closes in self._periods(day)
        )

    @property
    def _day_micros(self) -> int:
        return sum(_micros(closes) - _micros(opens) for opens, closes in self.office_hours)

    def _working_up_to(self, day: date) -> int:
        """`_working_before` the day after `day`, without naming that day (there is none after
        the last date there is)."""
        return self._working_before(day) + self.is_working_day(day)

    def _working_before(self, day: date) -> int:
        """Working days from 1/1 of `_ORIGIN_YEAR` up to the day before `day` (negative before
        that year): a running count kept per year, so spans of years cost a few lookups."""
        counts = self._year_counts(day.year)
        return self._year_start(day.year) + counts[day.timetuple().tm_yday - 1]

    def _year_counts(self, year: int) -> list[int]:
        """counts[i]: working days of `year` before its (i+1)-th day; counts[-1] the whole year."""
        counts = self._per_year.get(year)
        if counts is None:
            counts, total, day = [], 0, date(year, 1, 1)
            while day.year == year:
                counts.append(total)
                total += self.is_working_day(day)
                day += _DAY
            counts.append(total)
            self._per_year[year] = counts
        return counts

    def _year_start(self, year: int) -> int:
        start = self._year_starts.get(year)
        if start is None:
            start = self._year_starts[year] = self._count_year_start(year)
        return start

    def _count_year_start(self, year: int) -> int:
        if year >= _ORIGIN_YEAR:
            return sum(self._year_counts(y)[-1] for y in range(_ORIGIN_YEAR, year))
        return -sum(self._year_counts(y)[-1] for y in range(year, _ORIGIN_YEAR))

    def _periods(self, day: date) -> Iterator[tuple[int, int]]:
        midnight = start_of(day)
        for opens, closes in self.office_hours:
            yield midnight + _micros(opens), midnight + _micros(closes)


_ORIGIN_YEAR = 2000


def end_of(day: date) -> int:
    """The last instant (microsecond) of a Vietnamese civil date: a period ending "at 24:00"."""
    return start_of(day + _DAY) - 1


def _never(_: date) -> bool:
    return False


def _days_after(first: date, last: date) -> Iterator[date]:
    """The dates after `first` up to and including `last`."""
    day = first + _DAY
    while day <= last:
        yield day
        day += _DAY


def _micros(moment: time) -> int:
    return ((moment.hour * 60 + moment.minute) * 60 + moment.second) * MICROS + moment.microsecond


def _check_budget(days: int, day_type: str) -> None:
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        raise BadCalendarInput(f"a budget is a whole number of days, 0 or more, not {days!r}")
    if day_type not in DAY_TYPES:
        raise BadCalendarInput(f"day type must be one of {DAY_TYPES}, not {day_type!r}")


def _checked_suspensions(
    received_at: int, suspensions: Sequence[tuple[int, int]]
) -> list[tuple[int, int]]:
    windows = sorted(suspensions)
    for start, end in windows:
        if end < start:
            raise BadCalendarInput(f"suspension ends at {end} before it starts at {start}")
        if start < received_at:
            raise BadCalendarInput(f"suspension starts at {start}, before receipt at {received_at}")
    return windows


def _checked_hours(periods: Sequence[tuple[time, time]]) -> tuple[tuple[time, time], ...]:
    checked = tuple(periods)
    for (opens, closes), following in zip(checked, (*checked[1:], None), strict=True):
        if not opens < closes or (following is not None and following[0] < closes):
            raise ValueError(f"office hours must be ordered, non-overlapping periods: {checked}")
    return checked
