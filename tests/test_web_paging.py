"""Long lists come a page at a time (a province's run to thousands): on the stall dashboard (a
row per stalled dossier), behind the numbers on the map and on an officer's desk, every dossier
is on exactly one page, in the order of the whole list; the pages keep the filters; a page past
the end shows the last one; a page that is not a number is refused in words. On a few hundred
simulated dossiers, over HTTP (no browser needed)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from api.http.services import Services
from api.http.web import paging
from api.http.web.heatmap import period
from domain.instant import start_of
from ledger.clock import SimulatedClock
from ledger.simulation.simulator import SIMULATION_TOLERANCE_SECONDS, simulate
from ledger.views.holding import held_by_office
from ledger.views.sla import decisions
from tests.apiworld import PROVINCE, settings_for
from tests.websession import sign_in

ROWS = 7  # per page here, so that a few hundred dossiers make several pages
LINK = re.compile(r'<td><a href="/ho-so/([^"]+)">')


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Services]]:
    yield from signed_in_site(tmp_path_factory.mktemp("paging"))


def signed_in_site(directory: Path) -> Iterator[tuple[TestClient, Services]]:
    """The app on 300 simulated dossiers (a year to 30/6/2026), a province inspector signed in
    to its pages: the client and the services, for as long as the caller holds them."""
    settings = settings_for(f"sqlite:///{directory / 'sim.db'}", directory)
    ledger = replace(settings.ledger, clock_tolerance_seconds=SIMULATION_TOLERANCE_SECONDS)
    clock = SimulatedClock(0)
    app = create_app(replace(settings, ledger=ledger), clock=clock)
    with TestClient(app) as http:
        services: Services = app.state.services
        simulate(services.ledger, clock, dossiers=300, seed=11, years=1)
        _record, token = services.tokens.create(
            "inspector", office=PROVINCE, now=clock.now(), valid_seconds=86400
        )
        assert sign_in(http, token, "/giam-sat").status_code == 200
        yield http, services


@pytest.fixture(autouse=True)
def few_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paging, "PAGE_ROWS", ROWS)


def codes(html: str) -> list[str]:
    return LINK.findall(html)


def test_every_stalled_dossier_is_on_exactly_one_page_in_order(
    dashboard: tuple[TestClient, Services],
) -> None:
    http, services = dashboard
    stalls = services.inspector().stalls(services.clock.now(), office=PROVINCE)
    expected = list(dict.fromkeys(s.code for s in stalls))  # each dossier once, most overdue first
    assert len(expected) > 2 * ROWS  # enough for three pages or more
    pages = -(-len(expected) // ROWS)
    seen: list[str] = []
    for number in range(1, pages + 1):
        answer = http.get(f"/giam-sat?page={number}")
        assert answer.status_code == 200
        seen += codes(answer.text)
        assert f"Trang {number}/{pages}" in answer.text
        assert ('rel="prev"' in answer.text) == (number > 1)
        assert ('rel="next"' in answer.text) == (number < pages)
    assert seen == expected
    first = http.get("/giam-sat").text
    assert codes(first) == expected[:ROWS]
    assert f"Hồ sơ 1–{ROWS} trên {len(expected)}" in first
    past = http.get(f"/giam-sat?page={pages + 5}")  # the list shrank since the link was made
    assert codes(past.text) == expected[(pages - 1) * ROWS :]


def test_the_pages_keep_the_filters(dashboard: tuple[TestClient, Services]) -> None:
    http, services = dashboard
    every = services.inspector().stalls(services.clock.now(), office=PROVINCE)
    rule = max({s.rule for s in every}, key=lambda r: sum(s.rule == r for s in every))
    expected = [s.code for s in every if s.rule == rule]
    assert len(expected) > ROWS
    answer = http.get(f"/giam-sat?rule={rule}")
    assert f'href="/giam-sat?rule={rule}&amp;page=2"' in answer.text
    second = http.get(f"/giam-sat?rule={rule}&page=2")
    assert codes(second.text) == expected[ROWS : 2 * ROWS]


@pytest.mark.parametrize("page", ["0", "x", "-1", "1.5"])
def test_a_page_that_is_not_a_number_is_refused_in_words(
    dashboard: tuple[TestClient, Services], page: str
) -> None:
    http, _services = dashboard
    answer = http.get("/giam-sat", params={"page": page})
    assert answer.status_code == 400
    assert f"Số trang không hợp lệ: {page}." in answer.text
    assert codes(answer.text) == []


NEXT = re.compile(r'<a rel="next" href="([^"]+)">')


def every_page(http: TestClient, address: str) -> list[str]:
    """The codes listed on `address` and on every page its "next" links lead to."""
    seen: list[str] = []
    while True:
        answer = http.get(address)
        assert answer.status_code == 200
        seen += codes(answer.text)
        following = NEXT.search(answer.text)
        if following is None:
            return seen
        address = following.group(1).replace("&amp;", "&")


def test_the_dossiers_behind_a_number_on_the_map_come_a_page_at_a_time(
    dashboard: tuple[TestClient, Services],
) -> None:
    http, services = dashboard
    inspector, now = services.inspector(), services.clock.now()
    first, last = period(now, 12)
    decided = decisions(inspector, PROVINCE, start_of(first), start_of(last))
    on_time = [code for code, result, _at, _appointed in decided if result == "on_time"]
    assert len(on_time) > ROWS
    address = f"/giam-sat/ket-qua?office={PROVINCE}&result=on_time"
    assert every_page(http, address) == on_time
    assert f"({len(on_time)})" in http.get(address).text  # the heading counts them all
    held = held_by_office(inspector, start_of(first), start_of(last))[PROVINCE]
    assert len(held) > ROWS
    longest_first = [code for code, t in sorted(held, key=lambda row: -row[1])]
    assert every_page(http, f"/giam-sat/giu?office={PROVINCE}") == longest_first
    for path in ("/giam-sat/ket-qua", "/giam-sat/giu"):
        refused = http.get(path, params={"page": "0"})
        assert refused.status_code == 400
        assert "Số trang không hợp lệ: 0." in refused.text


def test_a_result_that_is_not_one_of_the_three_is_refused_in_words(
    dashboard: tuple[TestClient, Services],
) -> None:
    http, _services = dashboard
    refused = http.get("/giam-sat/ket-qua", params={"result": "soon"})
    assert refused.status_code == 400
    assert "Không có kết quả «soon»" in refused.text


@pytest.mark.parametrize(
    ("address", "status", "said"),
    [
        ("/giam-sat?rule=slow", 400, "Không có loại chậm «slow»"),
        ("/giam-sat/ket-qua?office=nope", 404, "Không có cơ quan mã nope."),
        ("/giam-sat/giu?office=nope", 404, "Không có cơ quan mã nope."),
    ],
)
def test_an_unknown_kind_of_stall_or_office_is_refused_in_words(
    dashboard: tuple[TestClient, Services], address: str, status: int, said: str
) -> None:
    http, _services = dashboard
    refused = http.get(address)
    assert refused.status_code == status
    assert said in refused.text
    assert codes(refused.text) == []


def test_the_dossiers_an_office_holds_come_a_page_at_a_time_the_soonest_promised_first(
    dashboard: tuple[TestClient, Services], monkeypatch: pytest.MonkeyPatch
) -> None:
    http, services = dashboard
    monkeypatch.setattr(paging, "PAGE_ROWS", 1)  # a year on, offices hold a few dossiers each
    views = services.views()
    officers = {subject: services.ledger.officer(subject) for subject in views.subjects("officer")}
    postings = {  # an office, and one of its officers
        officer.postings[-1][1]: subject
        for subject, officer in officers.items()
        if officer.postings[-1][1] is not None
    }
    office = max(postings, key=lambda office: len(views.held_by(office)))
    held = [location.code for location in views.held_by(office)]
    assert len(held) > 2  # several pages
    desk = TestClient(http.app)  # the same server, another browser: the officer's
    _record, token = services.tokens.create(
        "officer",
        office=office,
        officer=postings[office],
        now=services.clock.now(),
        valid_seconds=86400,
    )
    assert sign_in(desk, token, "/can-bo").status_code == 200
    first = desk.get("/can-bo").text
    assert codes(first) == held[:1]
    assert f"Trang 1/{len(held)}" in first
    assert every_page(desk, "/can-bo") == held
    assert f"({len(held)})" in desk.get("/can-bo?page=2").text  # the heading counts them all
    refused = desk.get("/can-bo", params={"page": "x"})
    assert refused.status_code == 400
    assert "Số trang không hợp lệ: x." in refused.text
    assert codes(refused.text) == []
