"""The working-day calendar and the deadline rules of the Civil Code (the `due` command that prints
them: tests/test_cli_due.py)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from domain.calendar import BadCalendarInput, Override, WorkCalendar, end_of
from domain.instant import MICROS, VIETNAM, from_datetime, local_date, start_of
from ledger.reference.calendar import load_calendar, read_overrides

CALENDAR = load_calendar()
PACKAGE_ONLY = WorkCalendar()
HOUR = 3600 * MICROS


def at(text: str) -> int:
    """dd/mm/yyyy HH:MM, Vietnam time."""
    return from_datetime(datetime.strptime(text, "%d/%m/%Y %H:%M").replace(tzinfo=VIETNAM))


def day(text: str) -> date:
    return datetime.strptime(text, "%d/%m/%Y").date()


# --- deadlines: real cases -----------------------------------------------------------------

CASES = [
    # received, budget, day type, due day, why
    ("24/04/2025 09:00", 5, "working", "05/05/2025", "make-up Sat 26/4 counts; 30/4-2/5 do not"),
    ("09/05/2025 16:00", 3, "working", "14/05/2025", "no cut-off: Friday evening is day 0"),
    ("10/05/2025 10:00", 3, "working", "15/05/2025", "received on a Saturday counts from Monday"),
    ("25/04/2025 16:30", 1, "working", "26/04/2025", "no cut-off: make-up Saturday is day 1"),
    ("05/05/2025 10:00", 6, "calendar", "12/05/2025", "6 days end on Sunday 11/5: moves to Monday"),
    ("22/01/2025 10:00", 6, "calendar", "03/02/2025", "6 days end on Tết eve: after the break"),
    ("03/04/2025 10:00", 12, "calendar", "15/04/2025", "province step of 12 days; 7/4 is counted"),
    ("23/01/2025 10:00", 5, "working", "06/02/2025", "working days across Tết Ất Tỵ"),
    ("12/02/2026 10:00", 5, "working", "26/02/2026", "working days across Tết Bính Ngọ"),
    (
        "24/01/2014 10:00",
        3,
        "working",
        "06/02/2014",
        "2014 swap: Sat 25/1 worked, 28/1 and 5/2 off",
    ),
    ("07/02/2014 16:00", 1, "working", "08/02/2014", "2014: make-up Saturday 8/2 is day 1"),
    ("31/12/2025 10:00", 2, "working", "06/01/2026", "2026 New Year: 2/1 swapped for Sat 10/1"),
    ("24/04/2025 09:00", 0, "working", "24/04/2025", "a budget of 0 ends on the receipt day"),
]


@pytest.mark.parametrize(("received", "days", "day_type", "due_day", "why"), CASES)
def test_deadline_of_real_cases(
    received: str, days: int, day_type: str, due_day: str, why: str
) -> None:
    due = CALENDAR.due(at(received), days, day_type)
    assert local_date(due) == day(due_day), why
    assert due == end_of(day(due_day)) == start_of(day(due_day) + timedelta(days=1)) - 1


def test_a_deadline_is_the_last_microsecond_of_the_due_day_in_vietnam() -> None:
    due = CALENDAR.due(at("24/04/2025 09:00"), 5, "working")
    assert due == from_datetime(datetime(2025, 5, 5, 23, 59, 59, 999_999, tzinfo=VIETNAM))


def test_the_override_table_decides_the_2014_tet_swap_the_package_lacks() -> None:
    received = at("24/01/2014 10:00")
    assert local_date(PACKAGE_ONLY.due(received, 3, "working")) == day("05/02/2014")
    assert local_date(CALENDAR.due(received, 3, "working")) == day("06/02/2014")


# received, budget, due day with a 15:00 cut-off, due day with none, why
CUTOFF_CASES = [
    ("09/05/2025 14:00", 3, "14/05/2025", "14/05/2025", "Friday before 15:00: Friday is day 0"),
    ("09/05/2025 15:00", 3, "14/05/2025", "14/05/2025", "15:00 exactly is not after 15:00"),
    ("09/05/2025 16:00", 3, "15/05/2025", "14/05/2025", "Friday after 15:00 counts from Monday"),
    ("25/04/2025 16:30", 1, "28/04/2025", "26/04/2025", "after 15:00 before a make-up Saturday"),
    ("07/02/2014 16:00", 1, "10/02/2014", "08/02/2014", "2014: after 15:00 before make-up 8/2"),
    ("10/05/2025 16:00", 3, "15/05/2025", "15/05/2025", "a Saturday counts from Monday either way"),
]


@pytest.mark.parametrize(("received", "days", "with_cutoff", "without", "why"), CUTOFF_CASES)
def test_a_receipt_after_the_cut_off_counts_from_the_next_working_day_only_when_one_is_given(
    received: str, days: int, with_cutoff: str, without: str, why: str
) -> None:
    on = CALENDAR.due(at(received), days, "working", cutoff=time(15, 0))
    off = CALENDAR.due(at(received), days, "working", cutoff=None)
    assert local_date(on) == day(with_cutoff), why
    assert local_date(off) == day(without), why
    assert CALENDAR.due(at(received), days, "working") == off  # no cut-off unless one is given


def test_the_cut_off_is_a_parameter() -> None:
    received = at("09/05/2025 16:00")
    assert local_date(CALENDAR.due(received, 3, "working", cutoff=time(17, 0))) == day("14/05/2025")
    assert local_date(CALENDAR.due(received, 3, "working", cutoff=time(15, 59))) == day(
        "15/05/2025"
    )


def test_the_deadline_names_the_day_counting_starts_from() -> None:
    deadline = CALENDAR.deadline(at("25/04/2025 16:30"), 1, "working", cutoff=time(15, 0))
    assert deadline.counts_from == day("26/04/2025")
    assert deadline.due_day == day("28/04/2025")
    assert CALENDAR.deadline(at("25/04/2025 16:30"), 1, "working").counts_from == day("25/04/2025")


@pytest.mark.parametrize(
    ("days", "day_type"), [(-1, "working"), (2, "business"), (True, "working"), (1.5, "calendar")]
)
def test_refuses_a_budget_that_is_not_a_whole_number_of_known_days(
    days: int, day_type: str
) -> None:
    with pytest.raises(BadCalendarInput):
        CALENDAR.due(at("24/04/2025 09:00"), days, day_type)


# --- the calendar --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "working"),
    [
        ("26/04/2025", True),  # make-up Saturday, known to the package
        ("02/05/2025", False),  # its day off
        ("25/01/2014", True),  # make-up Saturday from the table
        ("28/01/2014", False),
        ("05/02/2014", False),
        ("08/02/2014", True),
        ("02/01/2026", False),
        ("10/01/2026", True),
        ("27/04/2025", False),  # an ordinary Sunday
        ("25/04/2025", True),  # an ordinary Friday
    ],
)
def test_working_days(when: str, working: bool) -> None:
    assert CALENDAR.is_working_day(day(when)) is working


def test_every_override_row_holds_in_the_loaded_calendar() -> None:
    assert CALENDAR.version
    assert CALENDAR.overrides
    for override in CALENDAR.overrides.values():
        assert CALENDAR.is_working_day(override.day) is override.working
        assert all((override.name_vi, override.name_en, override.source))


def test_the_override_table_refuses_a_bad_kind_and_a_missing_version() -> None:
    header = "date,kind,name_vi,name_en,status,document,source\n"
    with pytest.raises(ValueError, match="line 3"):
        read_overrides("# version: 1\n" + header + "2014-01-28,holiday,a,b,confirmed,d,c\n")
    with pytest.raises(ValueError, match="version"):
        read_overrides(header)


def test_refuses_two_overrides_for_one_day() -> None:
    twice = [Override(day("28/01/2014"), False, "a", "a", "s")] * 2
    with pytest.raises(ValueError, match="two overrides"):
        WorkCalendar(twice)


def test_next_working_day_skips_the_break_and_never_returns_the_day_itself() -> None:
    assert CALENDAR.next_working_day(day("29/04/2025")) == day("05/05/2025")
    assert CALENDAR.next_working_day(day("24/04/2025")) == day("25/04/2025")
    assert CALENDAR.next_working_day(day("25/04/2025")) == day("26/04/2025")


def test_working_days_between_counts_after_the_first_day_up_to_the_last() -> None:
    assert CALENDAR.working_days_between(day("24/04/2025"), day("05/05/2025")) == 5
    assert CALENDAR.working_days_between(day("05/05/2025"), day("24/04/2025")) == -5
    assert CALENDAR.add_working_days(day("05/05/2025"), -5) == day("24/04/2025")


def test_special_days_name_the_holidays_and_the_make_up_day() -> None:
    found = CALENDAR.special_days(day("25/04/2025"), day("05/05/2025"))
    assert [(d.day.day, d.working) for d in found] == [
        (26, True),
        (30, False),
        (1, False),
        (2, False),
    ]
    assert found[0].name("vi") == "Ngày làm bù (cho ngày nghỉ 02/05/2025)"
    assert found[1].name("vi") == "Ngày Chiến thắng"
    assert found[2].name("en") == "International Labor Day"


# --- office hours --------------------------------------------------------------------------


def test_a_working_day_has_eight_office_hours() -> None:
    start = start_of(day("24/04/2025"))
    assert CALENDAR.working_seconds_between(start, start + 24 * HOUR) == 8 * 3600


def test_office_hours_skip_lunch_the_weekend_and_the_evening() -> None:
    assert CALENDAR.working_seconds_between(at("24/04/2025 11:00"), at("24/04/2025 13:30")) == 3600
    assert CALENDAR.working_seconds_between(at("09/05/2025 16:00"), at("12/05/2025 08:30")) == 7200
    assert CALENDAR.working_seconds_between(at("12/05/2025 08:30"), at("09/05/2025 16:00")) == -7200


def test_office_hours_are_parameters() -> None:
    mornings = WorkCalendar(office_hours=[(time(8, 0), time(12, 0))])
    start = start_of(day("24/04/2025"))
    assert mornings.working_seconds_between(start, start + 24 * HOUR) == 4 * 3600
    with pytest.raises(ValueError, match="office hours"):
        WorkCalendar(office_hours=[(time(13, 0), time(17, 0)), (time(7, 30), time(11, 30))])


# --- properties ----------------------------------------------------------------------------

DAYS = st.dates(min_value=date(2014, 1, 1), max_value=date(2026, 12, 31))
INSTANTS = st.integers(min_value=start_of(date(2014, 1, 1)), max_value=start_of(date(2026, 12, 1)))
BUDGETS = st.integers(min_value=0, max_value=60)
DAY_TYPES = st.sampled_from(["working", "calendar"])
SPAN = st.integers(min_value=0, max_value=20 * 24 * HOUR)


@given(DAYS, DAYS, BUDGETS)
def test_adding_working_days_is_monotone_in_the_start(first: date, second: date, n: int) -> None:
    first, second = sorted((first, second))
    assert CALENDAR.add_working_days(first, n) <= CALENDAR.add_working_days(second, n)


@given(DAYS, BUDGETS)
def test_adding_working_days_grows_with_the_number_of_days(start: date, n: int) -> None:
    assert CALENDAR.add_working_days(start, n) < CALENDAR.add_working_days(start, n + 1)
    assert CALENDAR.working_days_between(start, CALENDAR.add_working_days(start, n)) == n


@given(INSTANTS, BUDGETS, DAY_TYPES)
def test_the_due_day_is_always_a_working_day(received: int, n: int, day_type: str) -> None:
    due = CALENDAR.due(received, n, day_type)
    assert CALENDAR.is_working_day(local_date(due))
    assert due == end_of(local_date(due))
    # never before receipt; without a cut-off a budget of 0 received in the last microsecond of a
    # working day ends at that very microsecond
    assert due >= received
    assert CALENDAR.due(received, n, day_type, cutoff=time(15, 0)) > received


@given(INSTANTS, BUDGETS)
def test_one_more_working_day_gives_a_later_deadline(received: int, n: int) -> None:
    assert CALENDAR.due(received, n + 1, "working") > CALENDAR.due(received, n, "working")


@given(INSTANTS, BUDGETS)
def test_one_more_calendar_day_never_gives_an_earlier_deadline(received: int, n: int) -> None:
    # Not strictly later: days n and n+1 may both be a weekend that moves to the same Monday.
    assert CALENDAR.due(received, n + 1, "calendar") >= CALENDAR.due(received, n, "calendar")


@given(INSTANTS, SPAN, SPAN)
@settings(deadline=None)
def test_working_time_is_additive_over_a_split_point(start: int, first: int, second: int) -> None:
    split, end = start + first, start + first + second
    whole = CALENDAR.working_micros_between(start, end)
    assert whole == CALENDAR.working_micros_between(start, split) + CALENDAR.working_micros_between(
        split, end
    )
    assert whole >= 0


@given(DAYS, st.integers(0, 24 * HOUR - 1), st.integers(0, 24 * HOUR - 1))
def test_no_working_time_on_a_non_working_day(when: date, one: int, other: int) -> None:
    assume(not CALENDAR.is_working_day(when))
    midnight = start_of(when)
    assert CALENDAR.working_seconds_between(midnight + one, midnight + other) == 0


# --- suspensions ---------------------------------------------------------------------------

RECEIVED = at("02/06/2025 09:00")  # Monday; 5 working days are due Monday 9/6
SUPPLEMENT = (at("04/06/2025 10:00"), at("09/06/2025 14:00"))  # asked Wednesday, given Monday


def due_day_with(
    suspensions: list[tuple[int, int]],
    policy: str,
    days: int = 5,
    cutoff: time | None = None,
) -> date:
    return local_date(
        CALENDAR.due_with_suspensions(RECEIVED, days, "working", suspensions, policy, cutoff=cutoff)
    )


def test_resume_moves_the_deadline_by_the_working_days_suspended() -> None:
    # Thursday 5/6, Friday 6/6 and Monday 9/6 are not counted: three working days later.
    assert local_date(CALENDAR.due(RECEIVED, 5, "working")) == day("09/06/2025")
    assert due_day_with([SUPPLEMENT], "resume") == day("12/06/2025")


def test_restart_counts_the_whole_budget_again_from_the_end_of_the_suspension() -> None:
    assert due_day_with([SUPPLEMENT], "restart") == day("16/06/2025")
    late_supplement = (SUPPLEMENT[0], at("09/06/2025 16:00"))  # after a 15:00 cut-off
    assert due_day_with([late_supplement], "restart", cutoff=time(15, 0)) == day("17/06/2025")
    assert due_day_with([late_supplement], "restart") == day("16/06/2025")  # none: Monday is day 0


def test_resume_with_calendar_days_skips_every_suspended_day() -> None:
    due = CALENDAR.due_with_suspensions(RECEIVED, 12, "calendar", [SUPPLEMENT], "resume")
    assert local_date(CALENDAR.due(RECEIVED, 12, "calendar")) == day("16/06/2025")
    assert local_date(due) == day("19/06/2025")


@pytest.mark.parametrize("policy", ["resume", "restart"])
def test_a_suspension_after_the_deadline_changes_nothing(policy: str) -> None:
    too_late = (at("10/06/2025 09:00"), at("12/06/2025 09:00"))
    assert due_day_with([too_late], policy) == day("09/06/2025")
    assert due_day_with([], policy) == day("09/06/2025")


@pytest.mark.parametrize(
    ("suspensions", "policy"),
    [
        ([SUPPLEMENT], "pause"),
        ([(SUPPLEMENT[1], SUPPLEMENT[0])], "resume"),
        ([(RECEIVED - HOUR, SUPPLEMENT[1])], "restart"),
    ],
)
def test_refuses_an_unknown_policy_or_a_suspension_out_of_order(
    suspensions: list[tuple[int, int]], policy: str
) -> None:
    with pytest.raises(BadCalendarInput):
        CALENDAR.due_with_suspensions(RECEIVED, 5, "working", suspensions, policy)
