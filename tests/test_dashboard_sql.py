"""The stall dashboard (`/giam-sat`) from the views' ranges (`ledger/views/dashboard.py`) answers as
it did from the whole list of stalls — `dossier_counts` and `stalled_dossiers` over every stall
(api/http/web/oversight.py), kept as the reference:

- the counts of dossiers per rule, and of dossiers stalled at all, with no filter, for the
  province, for districts dissolved on 1/7/2025 (dossiers still waiting there), for communes
  their dossiers were passed back to, for offices of the stalls' lines up, for each level, for a
  procedure — with the kept level deadlines as they are, emptied (each counted again), and
  written from a later instant than judged (a supplement begun after it);
- the dossiers of a page, each with every problem it has, in order: for each rule and for all,
  pages at the start, in the middle, across the end and past it, in the default chunks and in
  chunks of one or two rows;
- the map's count per office of the dossiers past their appointed time, for the offices above
  (`past_appointed_by_office`, against `rollup.stalls_by_office` of the list);
- over HTTP, the whole page — counts, rows, pager — as the reference builds it, for pages, rules,
  procedures and offices; and every refusal of the page, in words.

On the simulator's traffic (~14 months to 30/6/2026: the 1/7/2025 reform, supplements, transits),
at instants around points of the log (tests/test_stalls_sql.py), on SQLite, PostgreSQL and in
memory."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.http.services import Services
from api.http.web import oversight, paging
from api.http.web.oversight import dossier_counts, stalled_dossiers
from domain.instant import MICROS, local_date
from ledger.application import Ledger
from ledger.reference.calendar import load_calendar
from ledger.views import dashboard, stalls
from ledger.views.projector import Projector
from ledger.views.rollup import stalls_by_office
from ledger.views.sla import Inspector
from ledger.views.stalls import RULES, Stall
from ledger.views.tables import TURN_DEADLINES
from tests.apiworld import PROVINCE
from tests.test_stalls_sql import _catch_up_to, _cuts, _instants_near, replica_views
from tests.test_stalls_sql import _simulated as simulated
from tests.test_web_paging import LINK, ROWS, signed_in_site
from tests.websession import sign_in

CALENDAR = load_calendar()
DAY = 24 * 3600 * MICROS


def _simulated(database_url: str) -> Ledger:
    return simulated(database_url, dossiers=140)


def _fields(found: tuple[Stall, ...] | list[Stall]) -> list[tuple[object, ...]]:
    return [
        (s.code, s.rule, s.since, s.over_seconds, s.office, s.procedure, s.level, s.received_by)
        for s in found
    ]


def _dissolved(inspector: Inspector, at: int, every: list[Stall]) -> list[str]:
    """The offices no longer active at `at` that stalled dossiers still wait at."""
    day = local_date(at)
    return sorted(
        {
            s.office
            for s in every
            if (found := inspector.office_of(s.office)) is not None and not found.active_on(day)
        }
    )


def _filters(inspector: Inspector, at: int, every: list[Stall]) -> list[dict[str, Any]]:
    """No filter; the province; two dissolved offices and two offices that received dossiers
    waiting at one (a commune a dissolved district passed them back to, say); offices of the
    stalls' lines up; each level; two procedures; a procedure within an office."""
    day = local_date(at)
    dissolved = _dissolved(inspector, at, every)
    passed_back = sorted(
        {
            s.received_by
            for s in every
            if s.office in dissolved and _passes_back(inspector, s.office)
        }
    )
    lineage = sorted(
        {
            office
            for s in every
            for office in inspector.lineage(
                s.office, day, procedure=s.procedure, received_by=s.received_by
            )
        }
    )
    offices = [PROVINCE, *dissolved[:2], *passed_back[:2], *lineage[:3]]
    found: list[dict[str, Any]] = [{}]
    found += [{"office": office} for office in dict.fromkeys(offices)]
    found += [{"level": level} for level in sorted({s.level or "" for s in every})]
    procedures = sorted({s.procedure for s in every})[:2]
    found += [{"procedure": p} for p in procedures]
    found += [{"office": PROVINCE, "procedure": p} for p in procedures[:1]]
    return found


def _passes_back(inspector: Inspector, office: str) -> bool:
    found = inspector.office_of(office)
    return found is not None and found.passes_to_receiver


def _left_at_closed_offices(inspector: Inspector, at: int) -> None:
    """Every third open dossier (in code order) moved in the views to an office no longer active
    at `at` — held there, or sent there — the offices taken in turn: as the views hold the
    dossiers that were open at a district when it was dissolved on 1/7/2025 (the simulated
    traffic at this size has none open then). Who answers for them depends on their procedure
    and the office that received them (`Inspector.within`). The kept level deadlines are
    emptied (counted again for the new holders)."""
    day = local_date(at)
    view = inspector.projector.view
    closed = [
        subject
        for (subject,) in view.query(
            "SELECT subject FROM lienthong_subjects WHERE family = 'office' ORDER BY subject"
        )
        if (found := inspector.office_of(subject)) is not None and not found.active_on(day)
    ]
    # the districts first (they pass their dossiers back to the office that received each),
    # then the merged communes and departments (to their successor, for each procedure)
    closed.sort(key=lambda subject: not _passes_back(inspector, subject))
    assert _passes_back(inspector, closed[0])  # the districts dissolved on 1/7/2025
    rows = view.query(
        "SELECT code, status FROM lienthong_location WHERE status <> 'closed' ORDER BY code"
    )
    with view.transaction() as cursor:
        for number, (code, status) in enumerate(rows[::3]):
            column = "transit_to" if status == "in_transit" else "custodian"
            cursor.execute(
                f"UPDATE lienthong_location SET {column} = ? WHERE code = ?",  # noqa: S608
                (closed[number % len(closed)], code),
            )
    _empty_kept(inspector)


def _pages(size: int) -> list[tuple[int, int]]:
    """(start, length): the first dossier, a first page, one in the middle, one across the end,
    one past it, the whole list."""
    return [(0, 1), (0, 3), (2, 3), (max(size - 2, 0), 5), (size + 3, 4), (0, size)]


def _empty_kept(inspector: Inspector) -> None:
    with inspector.projector.view.transaction() as cursor:
        cursor.execute(f"DELETE FROM {TURN_DEADLINES}")  # noqa: S608


def _tiny_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every range read one row, then two at a time."""
    monkeypatch.setattr(stalls, "first_chunk", lambda stop: 1)
    monkeypatch.setattr(stalls, "MOST_ROWS", 2)


@pytest.mark.parametrize("chunks", ["default", "tiny"])
def test_the_counts_and_pages_are_those_of_the_whole_list(
    database_url: str, chunks: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if chunks == "tiny":
        _tiny_chunks(monkeypatch)
    ledger = _simulated(database_url)
    projector = Projector(ledger)
    try:
        compared = {"counts": 0, "pages": 0, "dissolved": 0, "passed back": 0, "map": 0}
        by_rule: dict[str, int] = dict.fromkeys(RULES, 0)
        cuts = _cuts(ledger, 2)
        for position, when in cuts:
            _catch_up_to(projector, position)
            inspector = Inspector(ledger, projector, CALENDAR)
            instants = list(_instants_near(inspector, when))[::3]
            if position == cuts[-1][0]:  # (no event is applied after it)
                _left_at_closed_offices(inspector, when)
            for number, at in enumerate(instants):
                every = inspector.stalls(at)
                dissolved = _dissolved(inspector, at, every)
                for filters in _filters(inspector, at, every):
                    if number % 3 == 1:  # each held dossier's deadline counted again
                        _empty_kept(inspector)
                    counted = dashboard.counts(inspector, at, **filters)
                    whole = inspector.stalls(at, **filters)
                    assert counted == dossier_counts(whole), (at, filters)
                    compared["counts"] += 1
                    office = filters.get("office")
                    if office is not None and len(filters) == 1:  # the map's overdue counts
                        late = [s for s in whole if s.rule == "past_appointed"]
                        assert dashboard.past_appointed_by_office(
                            inspector, at, office
                        ) == stalls_by_office(inspector, late, at), (at, office)
                        compared["map"] += len(late)
                    # dossiers left at a closed office, counted for the office asked for: by
                    # their procedure and the office that received them
                    at_closed = [s for s in whole if office and s.office in dissolved]
                    compared["dissolved"] += len(at_closed)
                    compared["passed back"] += sum(s.office != office for s in at_closed)
                    for stall in whole:
                        by_rule[stall.rule] += 1
                    for rule in (None, *RULES):
                        expected = stalled_dossiers(whole, rule)
                        for start, size in _pages(len(expected)):
                            found = dashboard.page(
                                inspector, at, start=start, size=size, rule=rule, **filters
                            )
                            wanted = expected[start : start + size]
                            assert [_fields(problems) for problems in found] == [
                                _fields(d.problems) for d in wanted
                            ], (at, filters, rule, start, size)
                            compared["pages"] += 1
        assert min(by_rule.values()) >= 10, by_rule  # dossiers of every rule were counted
        # the offices no longer active were drilled down to, and the ones they passed back to
        assert compared["dissolved"] >= 20, compared
        assert compared["passed back"] >= 10, compared
        assert compared["map"] >= 20, compared  # the map's counts compared over stalls
    finally:
        projector.close()
        ledger.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_read_only_views_count_as_the_whole_list_and_keep_no_deadline(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    with replica_views(backend, tmp_path, request) as (projector, inspector, instants):
        late = 0
        for at in instants:
            whole = inspector.stalls(at)
            counted = dashboard.counts(inspector, at)
            assert counted == dossier_counts(whole)
            late += counted["over_level_budget"]
            expected = stalled_dossiers(whole)
            found = dashboard.page(inspector, at, start=0, size=len(expected))
            assert [_fields(problems) for problems in found] == [
                _fields(d.problems) for d in expected
            ]
        assert late > 0  # the deadlines were counted, each time
        assert projector.view.query(f"SELECT count(*) FROM {TURN_DEADLINES}")[0][0] == 0  # noqa: S608


def test_a_page_of_dossiers_from_a_negative_start_or_of_a_negative_length_is_refused(
    database_url: str,
) -> None:
    ledger = _simulated(database_url)
    projector = Projector(ledger)
    try:
        (position, at), *_ = _cuts(ledger, 1)
        _catch_up_to(projector, position)
        inspector = Inspector(ledger, projector, CALENDAR)
        for start, size in [(-1, 3), (0, -1)]:
            with pytest.raises(ValueError, match="neither may be negative"):
                dashboard.page(inspector, at, start=start, size=size)
        with pytest.raises(ValueError, match="unknown stall rule 'slow'"):
            dashboard.page(inspector, at, start=0, size=3, rule="slow")
        assert dashboard.page(inspector, at, start=0, size=0) == []
    finally:
        projector.close()
        ledger.close()


# --- over HTTP ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Services]]:
    """tests/test_web_paging.py's site: 300 simulated dossiers, the province inspector in."""
    yield from signed_in_site(tmp_path_factory.mktemp("dashboard"))


@pytest.fixture(autouse=True)
def few_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paging, "PAGE_ROWS", ROWS)


def _same(text: str) -> str:
    """The page without what differs from one answer to the next (a CSP nonce, a CSRF field)."""
    return re.sub(r'(nonce|value)="[A-Za-z0-9_\-+/=]{16,}"', r'\1=""', text)


def test_the_page_over_http_is_the_one_the_whole_list_made(
    site: tuple[TestClient, Services], monkeypatch: pytest.MonkeyPatch
) -> None:
    http, services = site
    now = services.clock.now()
    _left_at_closed_offices(services.inspector(), now)
    inspector = services.inspector()
    every = inspector.stalls(now, office=PROVINCE)
    dossiers = list(dict.fromkeys(s.code for s in every))
    pages = -(-len(dossiers) // ROWS)
    assert pages >= 3
    closed = _dissolved(inspector, now, every)
    passed_back = [s for s in every if s.office in closed and _passes_back(inspector, s.office)]
    commune, procedure = passed_back[0].received_by, every[0].procedure
    addresses = [f"/giam-sat?page={n}" for n in (1, 2, pages, pages + 5)]
    addresses += [f"/giam-sat?rule={rule}" for rule in RULES]
    addresses += [f"/giam-sat?rule={rule}&page=2" for rule in RULES]
    addresses += [f"/giam-sat?procedure={procedure}", f"/giam-sat?procedure={procedure}&page=2"]
    drilled = [f"/giam-sat?office={office}" for office in closed[:3]]
    drilled += [f"/giam-sat?office={commune}", f"/giam-sat?office={commune}&rule=past_appointed"]
    for address in addresses + drilled:
        answer = http.get(address)
        assert answer.status_code == 200, address
        if address in drilled:  # dossiers waiting at a closed office, or passed back
            assert LINK.findall(answer.text), address
        with monkeypatch.context() as before:
            before.setattr(oversight, "stalled_page", oversight.whole_list_page)
            before.setattr(dashboard, "counts", oversight.whole_list_counts)
            reference = http.get(address)
        assert reference.status_code == 200
        assert _same(answer.text) == _same(reference.text), address
    first = http.get("/giam-sat").text
    assert LINK.findall(first) == dossiers[:ROWS]
    assert f"Hồ sơ 1–{ROWS} trên {len(dossiers)}" in first
    assert f"Tất cả ({len(dossiers)})" in first


@pytest.mark.parametrize(
    ("role", "address", "status", "said"),
    [
        ("consumer", "/giam-sat", 403, "Mã truy cập này không được xem trang này."),
        ("inspector", "/giam-sat?page=0", 400, "Số trang không hợp lệ: 0."),
        ("inspector", "/giam-sat?page=x", 400, "Số trang không hợp lệ: x."),
        ("inspector", "/giam-sat?rule=slow", 400, "Không có loại chậm «slow»"),
        ("inspector", "/giam-sat?procedure=th%E1%BB%A7", 422, "Mã thủ tục không đúng dạng"),
        ("inspector", "/giam-sat?office=c%C3%B4ng", 422, "Mã cơ quan không đúng dạng"),
        ("inspector", "/giam-sat?office=nope", 404, "Không có cơ quan mã nope."),
        ("commune", f"/giam-sat?office={PROVINCE}", 403, "không thuộc phạm vi giám sát"),
    ],
)
def test_every_refusal_of_the_page_is_in_words(
    site: tuple[TestClient, Services], role: str, address: str, status: int, said: str
) -> None:
    http, services = site
    now = services.clock.now()
    every = services.inspector().stalls(now, office=PROVINCE)
    office: str | None = None if role == "consumer" else PROVINCE
    if role == "commune":
        role, office = "inspector", every[0].received_by
    _record, text = services.tokens.create(role, office=office, now=now, valid_seconds=86400)
    other = TestClient(http.app)  # a browser of its own (the app is already started)
    sign_in(other, text, "/giam-sat")
    refused = other.get(address + ("&" if "?" in address else "?") + "lang=vi")
    assert refused.status_code == status
    assert said in refused.text
    assert LINK.findall(refused.text) == []
