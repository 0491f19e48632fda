"""The override table's status per day: confirmed by the document that announced it, or
provisional when no announcement was found (docs/law.md, "Working days and holidays"); the
`due` command's warning on provisional days is tested in tests/test_cli_due_provisional.py."""

from __future__ import annotations

from datetime import date

import pytest

from ledger.reference.calendar import COLUMNS, load_calendar, read_overrides

CALENDAR = load_calendar()
HEADER = "# version: 1\n" + ",".join(COLUMNS) + "\n"


def test_the_loader_reads_each_rows_status_document_and_source() -> None:
    swapped = CALENDAR.overrides[date(2026, 1, 2)]
    assert not swapped.provisional
    assert "12729/VPCP-KGVX" in swapped.document
    assert "25/12/2025" in swapped.document
    tet = CALENDAR.overrides[date(2027, 2, 8)]
    assert tet.provisional
    assert "no announcement for 2027" in tet.source
    for override in CALENDAR.overrides.values():
        assert override.source
        assert override.provisional or override.document


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("2026-01-02,day_off,a,b,,12729/VPCP-KGVX,s", "needs a status"),
        ("2026-01-02,day_off,a,b,maybe,12729/VPCP-KGVX,s", "needs a status"),
        ("2026-01-02,day_off,a,b,confirmed,,s", "names the document"),
        ("2026-01-02,day_off,a,b,confirmed,12729/VPCP-KGVX,", "needs its source"),
        ("2027-02-08,day_off,a,b,provisional,,", "needs its source"),
        ("2027-02-08,day_off,a,b,provisional", "needs its source"),
    ],
)
def test_refuses_a_row_without_its_status_document_or_source(row: str, message: str) -> None:
    with pytest.raises(ValueError, match=f"line 3: .*{message}"):
        read_overrides(HEADER + row + "\n")


def test_refuses_the_table_without_the_status_columns() -> None:
    old = "# version: 1\ndate,kind,name_vi,name_en,source\n2014-01-28,day_off,a,b,c\n"
    with pytest.raises(ValueError, match="columns must be"):
        read_overrides(old)


def test_a_provisional_row_needs_no_document() -> None:
    _, (override,) = read_overrides(HEADER + "2027-02-08,day_off,a,b,provisional,,guess\n")
    assert override.provisional
    assert override.document == ""
    assert override.source == "guess"


NOTICE = "9441/TB-BNV"
# day, working, the document that announced it
YEAR_2026 = [
    ("2026-01-02", False, "12729/VPCP-KGVX"),
    ("2026-01-10", True, "12729/VPCP-KGVX"),
    *((f"2026-02-{d}", False, NOTICE) for d in range(16, 21)),
    ("2026-08-22", True, NOTICE),
    ("2026-08-31", False, NOTICE),
    ("2026-09-01", False, NOTICE),
    ("2026-09-02", False, NOTICE),
    ("2026-11-24", False, "28/2026/QH16"),
]


@pytest.mark.parametrize(("day", "working", "document"), YEAR_2026)
def test_2026_is_confirmed_by_its_announcements(day: str, working: bool, document: str) -> None:
    override = CALENDAR.overrides[date.fromisoformat(day)]
    assert override.working is working
    assert CALENDAR.is_working_day(override.day) is working
    assert not override.provisional
    assert document in override.document


def test_tet_and_national_day_2026_span_the_announced_breaks() -> None:
    # Tết Bính Ngọ off Saturday 14/2 to Sunday 22/2; National Day off Saturday 29/8 to Wednesday 2/9
    for first, last in (
        (date(2026, 2, 14), date(2026, 2, 22)),
        (date(2026, 8, 29), date(2026, 9, 2)),
    ):
        assert CALENDAR.working_days_between(first, last) == 0
        assert CALENDAR.is_working_day(date.fromordinal(first.toordinal() - 1))
        assert CALENDAR.is_working_day(date.fromordinal(last.toordinal() + 1))


def test_2027_is_provisional_and_2026_is_not() -> None:
    assert CALENDAR.provisional_days(date(2026, 1, 1), date(2026, 12, 31)) == []
    found = CALENDAR.provisional_days(date(2027, 1, 1), date(2027, 12, 31))
    assert {d.day for d in found} >= {date(2027, 2, 8), date(2027, 9, 3)}
    assert all(d.day.year == 2027 for d in found)


def test_provisional_days_are_those_within_the_span_inclusive() -> None:
    found = CALENDAR.provisional_days(date(2027, 2, 5), date(2027, 2, 8))
    assert [d.day for d in found] == [date(2027, 2, 5), date(2027, 2, 8)]
