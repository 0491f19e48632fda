"""The map's holding times by day (`ledger/views/holding.py` `held_times`): for a period of
whole days, the same times as `held_by_office` counts hop by hop; a day no statement can still
be dated in is counted once and kept — per views store and calendar — and a day that may still
change is counted again at every request. On the simulator's traffic, on SQLite and
PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, time, timedelta

import pytest

from domain.calendar import WorkCalendar
from domain.instant import MICROS, local_date, start_of
from ledger.application import Ledger
from ledger.reference.calendar import load_calendar
from ledger.views import holding
from ledger.views.holding import held_by_office, held_dossiers, held_times
from ledger.views.projector import Projector
from ledger.views.sla import Inspector
from tests.test_report_sql import simulated

CALENDAR = load_calendar()
DAY = 86_400 * MICROS
PERIODS = [
    (date(2025, 6, 1), date(2025, 8, 1)),  # across the 1/7/2025 reform
    (date(2025, 4, 1), date(2026, 7, 1)),  # the whole simulation
    (date(2026, 5, 1), date(2026, 7, 1)),  # to its end
]

__all__ = ["simulated"]  # the module's simulated ledger and views, on each backend


def _sorted(held: dict[str, list[int]]) -> dict[str, list[int]]:
    return {office: sorted(times) for office, times in held.items()}


@pytest.fixture
def inspector(simulated: tuple[Ledger, Projector]) -> Iterator[Inspector]:
    ledger, projector = simulated
    holding._CLOSED.clear()
    yield Inspector(ledger, projector, CALENDAR)
    holding._CLOSED.clear()


def test_the_times_by_month_are_those_counted_hop_by_hop(inspector: Inspector) -> None:
    for _ in range(2):  # counted, then (the closed months) kept
        for first, after in PERIODS:
            start, end = start_of(first), start_of(after)
            expected = {
                office: [worked for _, worked in rows]
                for office, rows in held_by_office(inspector, start, end).items()
            }
            assert _sorted(held_times(inspector, start, end)) == _sorted(expected), first
            assert sum(map(len, expected.values())) > 0
            for office in ("86", "847", "29374/2025"):  # one office's list, with the codes
                rows = held_by_office(inspector, start, end, office=office).get(office, [])
                ranked = sorted(rows, key=lambda row: (-row[1], row[0]))  # longest first
                listed = held_dossiers(inspector, start, end, office)
                assert len(listed) == len(rows)
                middle = len(rows) // 2
                assert listed[middle : middle + 7] == ranked[middle : middle + 7]  # a page
                if rows:
                    assert (listed[0], listed[-1]) == (ranked[0], ranked[-1])
                assert list(listed) == ranked
    # a period of days, not whole months: counted hop by hop, nothing kept for it
    start, end = start_of(date(2025, 9, 3)), start_of(date(2025, 10, 20))
    expected = {
        o: [w for _, w in rows] for o, rows in held_by_office(inspector, start, end).items()
    }
    assert _sorted(held_times(inspector, start, end)) == _sorted(expected)


def _without_hops(inspector: Inspector, start: int, end: int) -> None:
    """The hops dispatched in [start, end) taken out of the views (a rebuild puts them back)."""
    with inspector.projector.view.transaction() as cursor:
        cursor.execute(
            "DELETE FROM lienthong_legs WHERE dispatched_at >= ? AND dispatched_at < ?",
            (start, end),
        )


def _count(held: dict[str, list[int]]) -> int:
    return sum(map(len, held.values()))


def test_a_closed_day_is_kept_and_a_day_still_open_is_counted_again(
    inspector: Inspector,
) -> None:
    view = inspector.projector.view
    latest = int(view.query("SELECT MAX(dispatched_at) FROM lienthong_legs")[0][0])
    # the last days: not closed (the latest dispatch is not twice the tolerance after them)
    margin = 2 * inspector.ledger.settings.clock_tolerance_seconds * MICROS
    last = start_of(local_date(latest - margin - DAY))
    end = start_of(local_date(latest) + timedelta(days=1))
    # a stretch of closed days, in September 2025
    start, until = start_of(date(2025, 9, 1)), start_of(date(2025, 9, 16))
    whole = _sorted(held_times(inspector, start, end))
    in_last = _sorted(held_times(inspector, last, end))
    in_closed = _sorted(held_times(inspector, start, until))
    busiest = max((o for o in in_closed if o != "86"), key=lambda o: len(in_closed[o]))
    listed = {
        office: list(held_dossiers(inspector, start, until, office)) for office in ("86", busiest)
    }
    assert all(listed.values())
    assert _count(in_last) > 0
    assert _count(in_closed) > 0
    try:
        _without_hops(inspector, start, until)
        _without_hops(inspector, last, end)
        # the closed days as kept; the last ones counted again, their hops gone
        assert _sorted(held_times(inspector, start, until)) == in_closed
        for office, rows in listed.items():
            assert list(held_dossiers(inspector, start, until, office)) == rows
        assert held_times(inspector, last, end) == {}
        for office in ("86", busiest):  # and so for one office's list
            assert list(held_dossiers(inspector, last, end, office)) == []
        assert _count(held_times(inspector, start, end)) == _count(whole) - _count(in_last)
        # another calendar (here: other office hours) counts the closed days again
        other = WorkCalendar(
            CALENDAR.overrides.values(),
            version=CALENDAR.version,
            office_hours=((time(8), time(12)), (time(13), time(17))),
        )
        again = Inspector(inspector.ledger, inspector.projector, other)
        assert held_times(again, start, until) == {}
    finally:
        inspector.projector.rebuild()
