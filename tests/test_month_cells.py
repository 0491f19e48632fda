"""The figures kept per receiving office and month (`ledger/views/months.py`) are the sum of the
location rows' cells whatever the batches were — one entry at a time, small batches that split a
dossier's entries, a rebuild — on SQLite and PostgreSQL; the office report, the map's results and
its monthly rates read them for periods of whole months; and a month a day of the registry cuts
is counted from its rows, beside the cells of the others, to the same figures.

The figures themselves are held equal to the dossier-by-dossier reference by
tests/test_report_sql.py, whose periods of whole months now go through the cells."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterator
from datetime import date

import pytest

from domain.instant import start_of
from ledger.application import Ledger
from ledger.reference.calendar import load_calendar
from ledger.views import aggregates, months
from ledger.views.projector import Projector
from ledger.views.reports import (
    _decisions_by_rows,
    _office_report_by_rows,
    decided_by_month,
    office_report,
    paged_decisions,
)
from ledger.views.rollup import _results_by_office_by_rows, results_by_office
from ledger.views.sla import Inspector
from ledger.views.tables import LOCATION
from tests.conftest import fresh_schema
from tests.test_stalls_sql import _simulated

CALENDAR = load_calendar()
OFFICES = ["86", "847", "29374", "29374/2025"]
WHOLE = [
    (date(2025, 6, 1), date(2025, 8, 1)),  # across the 1/7/2025 reform
    (date(2025, 4, 1), date(2026, 7, 1)),  # the whole simulation
    (date(2025, 9, 1), date(2025, 10, 1)),
]


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A database for the module on each backend (PostgreSQL: a schema of its own)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('months') / 'ledger.db'}"
        return
    with fresh_schema() as url:
        yield url


@pytest.fixture(scope="module")
def ledger(database_url: str) -> Iterator[Ledger]:
    found = _simulated(database_url)
    try:
        yield found
    finally:
        found.close()


def _expected(projector: Projector) -> dict[str, Counter[tuple[object, ...]]]:
    """Every table's cells summed from the location rows, in Python (`months.cells`)."""
    found: dict[str, Counter[tuple[object, ...]]] = {}
    rows = projector.view.query(f"SELECT {LOCATION.select} FROM lienthong_location")  # noqa: S608
    names = {table: counted for table, _, counted in months.CELLS}
    for row in map(LOCATION.of, rows):
        for (table, key), counted in months.cells(row):
            for name, n in zip(names[table], counted, strict=True):
                found.setdefault(table, Counter())[(*key, name)] += n
    return found


def _kept(projector: Projector) -> dict[str, Counter[tuple[object, ...]]]:
    """Every table's cells as the projector keeps them (cells at zero left out)."""
    found: dict[str, Counter[tuple[object, ...]]] = {}
    for table, keys, counted in months.CELLS:
        for row in projector.view.query(
            f"SELECT {', '.join((*keys, *counted))} FROM {table}"  # noqa: S608
        ):
            cell = tuple(int(v) if isinstance(v, int) else str(v) for v in row[: len(keys)])
            for name, n in zip(counted, row[len(keys) :], strict=True):
                if int(n):
                    found.setdefault(table, Counter())[(*cell, name)] += int(n)
    return found


def _nonzero(
    found: dict[str, Counter[tuple[object, ...]]],
) -> dict[str, Counter[tuple[object, ...]]]:
    return {table: Counter({k: n for k, n in c.items() if n}) for table, c in found.items()}


def test_the_cells_are_the_sum_of_the_rows_whatever_the_batches(ledger: Ledger) -> None:
    end = ledger.log_size()
    # batches of 7 entries: most dossiers' entries fall in several, so rows are read, changed
    # and counted again across batches (their cells as read taken away)
    projector = Projector(ledger)
    try:
        start = projector.position()
        assert start == 0  # the module's first views on this database
        while start < end:
            notifications = ledger.recorder.select_notifications(start + 1, 7)
            projector.apply(notifications, start)
            start = notifications[-1].id
        expected = _nonzero(_expected(projector))
        assert set(expected) == {months.RECEIVED, months.ENDED, months.DECIDED}
        assert sum(n for k, n in expected[months.RECEIVED].items() if k[-1] == "n") == int(
            projector.view.query("SELECT COUNT(*) FROM lienthong_location")[0][0]
        )
        # dossiers decided, closed and still open, early, on time and late: every kind of cell
        ended = {key[2] for key in expected[months.ENDED]}
        assert months.OPEN in ended
        assert len(ended) > 2
        assert {key[5] for key in expected[months.DECIDED]} == {"early", "on_time", "late"}
        assert any(k[-1] == "apologised" for k in expected[months.DECIDED])
        assert _kept(projector) == expected
        # the whole log again, in the projector's own batches: the same cells, not twice
        projector.rebuild()
        assert _kept(projector) == expected
    finally:
        projector.close()


@pytest.fixture(scope="module")
def inspector(ledger: Ledger) -> Iterator[Inspector]:
    projector = Projector(ledger)
    projector.rebuild()
    try:
        yield Inspector(ledger, projector, CALENDAR)
    finally:
        projector.close()


def test_reports_of_whole_months_read_the_cells(inspector: Inspector) -> None:
    """Without the cells a report of whole months finds nothing; one of days finds the same."""
    view = inspector.projector.view
    whole = (start_of(date(2025, 9, 1)), start_of(date(2025, 12, 1)))
    days = (start_of(date(2025, 9, 2)), start_of(date(2025, 11, 30)))
    before = office_report(inspector, "86", *whole)
    by_days = office_report(inspector, "86", *days)
    assert before.resolved
    assert before.received_total
    assert before.carried_over
    assert before.pending_within + before.pending_overdue
    try:
        with view.transaction() as cursor:
            for table, _, _ in months.CELLS:
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608 — fixed names
        emptied = office_report(inspector, "86", *whole)
        assert (emptied.resolved, emptied.received_total, emptied.carried_over) == (0, 0, 0)
        assert results_by_office(inspector, *whole) == {}
        assert decided_by_month(inspector, "86", *whole) == {}
        assert len(paged_decisions(inspector, "86", *whole)) == 0
        assert len(paged_decisions(inspector, "86", *days)) == by_days.resolved
        assert office_report(inspector, "86", *days) == by_days
    finally:
        inspector.projector.rebuild()  # the cells made again from the log
    assert office_report(inspector, "86", *whole) == before


def test_a_month_the_registry_cuts_is_counted_from_its_rows(
    inspector: Inspector, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A day of the registry inside a month (here 15/9/2025 and 10/5/2026, added to the
    registry's pieces: every office's chain the same on both sides) leaves its month to the rows;
    the cells of the others and the rows of it add up to the reference's figures."""
    found = aggregates.pieces(inspector)
    assert found.cut == ()  # the simulated registry changes on months' first days only
    extra = [date(2025, 9, 15), date(2026, 5, 10)]
    days = sorted({*found.days[1:], *extra})
    cut = dataclasses.replace(
        found,
        bounds=tuple(start_of(day) for day in days),
        days=(found.days[0], *days),
    )
    assert cut.cut == (months.month(start_of(extra[0])), months.month(start_of(extra[1])))
    monkeypatch.setattr(aggregates, "pieces", lambda _: cut)
    for first, after in WHOLE:
        start, end = start_of(first), start_of(after)
        for office in OFFICES:
            expected = _office_report_by_rows(inspector, office, start, end)
            assert office_report(inspector, office, start, end) == expected, (office, first)
            assert decided_by_month(inspector, office, start, end) == _by_month(
                inspector, office, start, end
            ), (office, first)
            listed = _decisions_by_rows(inspector, office, start, end)
            for result in (None, "early", "on_time", "late"):
                wanted = [d for d in listed if result is None or d.result == result]
                assert len(paged_decisions(inspector, office, start, end, result=result)) == len(
                    wanted
                ), (office, first, result)
        assert results_by_office(inspector, start, end) == _results_by_office_by_rows(
            inspector, start, end
        )
    # the cut months were read from the rows: with their cells gone, nothing changes
    with inspector.projector.view.transaction() as cursor:
        cursor.execute(
            f"DELETE FROM {months.DECIDED} WHERE received_month IN (?, ?)",  # noqa: S608
            cut.cut,
        )
    try:
        start, end = start_of(date(2025, 4, 1)), start_of(date(2026, 7, 1))
        assert results_by_office(inspector, start, end) == _results_by_office_by_rows(
            inspector, start, end
        )
    finally:
        inspector.projector.rebuild()


def _by_month(
    inspector: Inspector, office: str, start: int, end: int
) -> dict[tuple[int, int], Counter[str]]:
    """The reference list's decisions counted by (year, month) of decision and result."""
    counted: dict[tuple[int, int], Counter[str]] = {}
    for decision in _decisions_by_rows(inspector, office, start, end):
        year, index = divmod(months.month(decision.decided_at), 12)
        counted.setdefault((year, index + 1), Counter())[decision.result] += 1
    return counted
