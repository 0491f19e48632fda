"""The office report, the map's results and monthly rates and the late-decisions list as SQL
aggregates (`reports.office_report`, `decisions`, `paged_decisions`, `decided_by_day`,
`rollup.results_by_office`) give the same answers as the way before them, every dossier read and
judged in Python (`_office_report_by_rows`, `_decisions_by_rows`, `_results_by_office_by_rows`):
on the simulator's traffic (~14 months to 30/6/2026, across the 1/7/2025 reform), on SQLite and
PostgreSQL, over several periods (one crossing the reform), for the province, a district the
reform dissolved, communes before and after it, an office with no dossiers and one the registry
does not know — every figure equal, the digitised count asked of the file store one dossier at a
time or in bulk; and so do the notice counts (`notices.notice_counts`, against
`_notice_counts_by_rows`). And the file store's bulk answer (`FileRecords.hashes`) is its
per-dossier one.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from api.http.web.heatmap import monthly
from api.http.web.paging import PAGE_ROWS, page_of
from domain.instant import local_date, start_of
from ledger.application import Ledger
from ledger.reference.calendar import load_calendar
from ledger.stores.files import FileStore
from ledger.views import aggregates
from ledger.views.notices import (
    EXTENSION,
    REFUSED,
    STOPPED,
    _notice_counts_by_rows,
    notice_counts,
)
from ledger.views.projector import Projector
from ledger.views.reports import (
    _decisions_by_rows,
    _office_report_by_rows,
    decided_by_day,
    decisions,
    office_report,
    paged_decisions,
)
from ledger.views.rollup import _results_by_office_by_rows, results_by_office
from ledger.views.sla import Inspector
from tests.conftest import fresh_schema
from tests.test_files import KEY, open_store, payload, upload
from tests.test_stalls_sql import _simulated

CALENDAR = load_calendar()
PERIODS = [
    (date(2025, 6, 1), date(2025, 8, 1)),  # across the 1/7/2025 reform
    (date(2025, 4, 1), date(2026, 7, 1)),  # the whole simulation
    (date(2025, 7, 1), date(2025, 10, 1)),
    (date(2026, 3, 2), date(2026, 3, 17)),
    (date(2025, 6, 30), date(2025, 7, 2)),  # the reform's eve and first day
]
# the province; a district the reform dissolved; a commune before it and its successor after;
# an office of the registry no dossier was received by (found below); one the registry lacks
OFFICES = ["86", "847", "29374", "29374/2025", "nowhere"]


@dataclass
class _Stored:
    sha256: bytes


class _ScansByDossier:
    """A file store that answers one dossier at a time (the `Scans` protocol only): of each
    dossier whose receipt listed scans, by a fixed seed, all of them uploaded, all but one, all
    and one more, or none."""

    def __init__(self, listed: dict[str, set[bytes]], seed: int = 3) -> None:
        rng = random.Random(seed)
        self.held: dict[str, list[bytes]] = {}
        for code in sorted(listed):
            hashes = sorted(listed[code])
            kind = rng.randrange(4)
            if kind == 0:
                self.held[code] = hashes
            elif kind == 1:
                self.held[code] = hashes[1:]
            elif kind == 2:
                self.held[code] = [*hashes, bytes(32)]
        self.asked = 0

    def files(self, code: str) -> list[_Stored]:
        self.asked += 1
        return [_Stored(sha256) for sha256 in self.held.get(code, [])]


class _ScansInBulk(_ScansByDossier):
    """The same store, answering for many dossiers at once too (`BulkScans`)."""

    def hashes(self, codes: Iterable[str]) -> dict[str, set[bytes]]:
        return {code: set(self.held[code]) for code in codes if code in self.held}


class _Ratings:
    def __init__(self, codes: list[str], seed: int = 5) -> None:
        rng = random.Random(seed)
        self.given = {code: rng.randint(1, 5) for code in codes if rng.random() < 0.6}

    def scores(self, codes: Iterable[str]) -> dict[str, int]:
        return {code: self.given[code] for code in codes if code in self.given}


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def simulated(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Ledger, Projector]]:
    """The simulated ledger and its views, built once for the module on each backend (on a
    PostgreSQL schema of its own: the suite's `postgres_url` is made for each test)."""
    with ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp('report') / 'ledger.db'}"
        else:
            url = stack.enter_context(fresh_schema())
        ledger = _simulated(url)
        stack.callback(ledger.close)
        projector = Projector(ledger)
        stack.callback(projector.close)
        projector.catch_up()
        yield ledger, projector


def _inspector(simulated: tuple[Ledger, Projector]) -> Inspector:
    ledger, projector = simulated
    return Inspector(ledger, projector, CALENDAR)


def _offices(inspector: Inspector) -> list[str]:
    """OFFICES, and an office of the registry no dossier was received by."""
    view = inspector.projector.view
    receiving = {
        str(office) for (office,) in view.query("SELECT received_by FROM lienthong_location")
    }
    idle = next(o for o in aggregates.pieces(inspector).offices if o not in receiving)
    return [*OFFICES, idle]


def _listed(inspector: Inspector) -> dict[str, set[bytes]]:
    listed: dict[str, set[bytes]] = {}
    for code, sha256 in inspector.projector.view.query(
        "SELECT code, sha256 FROM lienthong_receipt_scans"
    ):
        listed.setdefault(str(code), set()).add(bytes(sha256))
    return listed


def test_every_figure_of_the_report_is_the_one_each_dossier_judged_in_turn_gives(
    simulated: tuple[Ledger, Projector],
) -> None:
    inspector = _inspector(simulated)
    view = inspector.projector.view
    codes = [
        str(code) for (code,) in view.query("SELECT code FROM lienthong_location ORDER BY code")
    ]
    ratings = _Ratings(codes)
    listed = _listed(inspector)
    assert listed  # the simulator lists scans at receipt: the digitised count is tried
    checked = Counter[str]()
    for office in _offices(inspector):
        for first, after in PERIODS:
            start, end = start_of(first), start_of(after)
            one_by_one, in_bulk = _ScansByDossier(listed), _ScansInBulk(listed)
            expected = _office_report_by_rows(
                inspector, office, start, end, scans=_ScansByDossier(listed), ratings=ratings
            )
            found = office_report(inspector, office, start, end, scans=one_by_one, ratings=ratings)
            assert found == expected, (office, first, after)
            assert list(found.received) == list(expected.received)  # channels in the same order
            assert list(found.judged_by) == list(expected.judged_by)
            bulk = office_report(inspector, office, start, end, scans=in_bulk, ratings=ratings)
            assert bulk == expected, (office, first, after)
            assert in_bulk.asked == 0  # the bulk store was asked in bulk only
            assert office_report(inspector, office, start, end) == _office_report_by_rows(
                inspector, office, start, end
            )
            checked["resolved"] += expected.resolved
            checked["received"] += expected.received_total
            checked["carried"] += expected.carried_over
            checked["pending"] += expected.pending_within + expected.pending_overdue
            checked["late_at_receipt"] += expected.index.late_at_receipt
            checked["apologised"] += expected.index.late_apologised
            checked["digitised"] += expected.index.digitised or 0
            checked[f"office {office}"] += expected.resolved + expected.received_total
    # the comparison was not between empty reports: every figure was met somewhere, every
    # office but the idle ones had dossiers
    assert all(checked[name] > 0 for name in ("resolved", "received", "carried", "pending"))
    assert all(checked[name] > 0 for name in ("late_at_receipt", "apologised", "digitised"))
    assert [o for o in _offices(inspector) if checked[f"office {o}"] == 0] == [
        "nowhere",
        _offices(inspector)[-1],
    ]


def test_the_decisions_behind_the_counts_and_their_pages_are_the_ones_judged_in_turn(
    simulated: tuple[Ledger, Projector],
) -> None:
    inspector = _inspector(simulated)
    seen = 0
    ordered: Counter[bool] = Counter()
    for office in _offices(inspector):
        for first, after in PERIODS:
            start, end = start_of(first), start_of(after)
            expected = _decisions_by_rows(inspector, office, start, end)
            assert decisions(inspector, office, start, end) == expected, (office, first)
            seen += len(expected)
            for result in ("early", "on_time", "late"):
                wanted = [d for d in expected if d.result == result]
                assert decisions(inspector, office, start, end, result=result) == wanted
                listed = paged_decisions(inspector, office, start, end, result=result)
                assert len(listed) == len(wanted)
                for number in (1, 2, 99):
                    page = page_of(listed, number, "/giam-sat/ket-qua", [])
                    before = page_of(wanted, number, "/giam-sat/ket-qua", [])
                    assert list(page.rows) == list(before.rows)
                    assert (page.total, page.first, page.number, page.pages) == (
                        before.total,
                        before.first,
                        before.number,
                        before.pages,
                    )
                if wanted:
                    assert listed[0] == wanted[0]
                    assert listed[-1] == wanted[-1]
                    assert listed[::2] == wanted[::2]
                ordered[listed._in_order(PAGE_ROWS)] += 1
    assert seen > PAGE_ROWS  # a page of the list had more rows after it
    # long lists' first pages read in decision order (SQLite: the decisions' index), the others
    # sorted: both were read above and matched
    assert ordered[True] > 0
    assert ordered[False] > 0


def test_the_month_by_month_rates_are_the_decisions_counted_by_month(
    simulated: tuple[Ledger, Projector],
) -> None:
    inspector = _inspector(simulated)
    for office in _offices(inspector):
        for day, after in PERIODS:
            first = day.replace(day=1)  # the map's periods are whole months from the first
            by_month: dict[str, Counter[str]] = {}
            for decision in _decisions_by_rows(inspector, office, start_of(first), start_of(after)):
                month = f"{local_date(decision.decided_at):%m/%Y}"
                by_month.setdefault(month, Counter())[decision.result] += 1
            months = monthly(inspector, office, first, after)
            for row in months:
                counted = by_month.get(row["month"], Counter())
                decided = counted.total()
                assert row["decided"] == decided, (office, row)
                rate = (counted["early"] + counted["on_time"]) / decided if decided else None
                assert row["rate"] == rate
            days = decided_by_day(inspector, office, start_of(first), start_of(after))
            assert sum(c.total() for c in days.values()) == sum(
                c.total() for c in by_month.values()
            )


def test_every_offices_results_are_the_ones_counted_along_each_dossiers_lineage(
    simulated: tuple[Ledger, Projector],
) -> None:
    inspector = _inspector(simulated)
    for first, after in PERIODS:
        start, end = start_of(first), start_of(after)
        expected = _results_by_office_by_rows(inspector, start, end)
        assert results_by_office(inspector, start, end) == expected, first
    whole = _results_by_office_by_rows(inspector, start_of(PERIODS[1][0]), start_of(PERIODS[1][1]))
    assert {"86", "847", "29374", "29374/2025"} <= set(
        whole
    )  # the province, a district, a new commune


def test_the_notice_counts_are_the_ones_counted_notice_by_notice(
    simulated: tuple[Ledger, Projector],
) -> None:
    """`notice_counts` (SQL) against `_notice_counts_by_rows` (every notice before the period's
    end judged in Python), with the simulator's apologies and, written into the notices' view
    for the test, refusals, stops and second extensions of dossiers drawn at random."""
    inspector = _inspector(simulated)
    view = inspector.projector.view
    rng = random.Random(5)
    codes = [str(c) for (c,) in view.query("SELECT code FROM lienthong_location ORDER BY code")]
    times = [int(t) for (t,) in view.query("SELECT at FROM lienthong_notices ORDER BY at")]
    assert times  # the simulator's apologies
    added = [
        (code, 1000 + n, kind, rng.choice(times) + rng.randint(-30, 30) * 86_400_000_000)
        for n, code in enumerate(rng.sample(codes, 120))
        for kind in [rng.choice([REFUSED, STOPPED, EXTENSION, EXTENSION])]
    ]
    twice = [(code, seq + 500, kind, at + 86_400_000_000) for code, seq, kind, at in added[:40]]
    with view.transaction() as cursor:
        cursor.executemany(
            "INSERT INTO lienthong_notices (code, seq, kind, at) VALUES (?, ?, ?, ?)",
            [*added, *twice],
        )
    try:
        found = Counter()
        for office in _offices(inspector):
            for first, after in PERIODS:
                start, end = start_of(first), start_of(after)
                counts = notice_counts(inspector, office, start, end)
                assert counts == _notice_counts_by_rows(inspector, office, start, end), (
                    office,
                    first,
                )
                found.update(
                    apologised=counts.apologised,
                    refused=counts.refused,
                    stopped=counts.stopped,
                    again=len(counts.extended_again),
                )
        assert min(found.values()) > 0, found  # every kind of count met
    finally:
        with view.transaction() as cursor:
            cursor.execute("DELETE FROM lienthong_notices WHERE seq >= 1000")


def test_a_period_that_does_not_end_after_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="must end after it starts"):
        office_report(None, "86", 10, 10)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kind", ["directory", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_the_file_stores_bulk_answer_is_its_answer_for_each_dossier(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    store: FileStore = open_store(kind, tmp_path, KEY, request)
    try:
        codes = [f"000.00.01.H59-250602-{n:04d}" for n in range(1, 5)]
        for n, code in enumerate(codes[:3]):
            for seed in range(n + 1):
                upload(store, payload(100 + seed, seed=seed * 10 + n), code=code)
        store.erase(codes[1], 1)  # erased files stay listed (the store held them)
        each: dict[str, Any] = {c: {f.sha256 for f in store.files(c)} for c in codes}
        assert store.hashes([*codes, codes[0]]) == {c: h for c, h in each.items() if h}
        assert len(store.hashes(codes)[codes[2]]) == 3
        assert store.hashes([]) == {}
    finally:
        store.close()
