"""The inspector's pages over HTTP (no browser), on a small world of their own
(tests/inspectorworld.py): the stall dashboard lists each stalled dossier once with all its
problems, counts dossiers, names a decided dossier past its date "đã có kết quả, chưa trả", its
procedure by name and its due date; the office filter lists each office once, a closed one with
the office it answered to; the map of offices sorts by each column on the server, counts the
months chosen, colours against the target it states, says "Chưa có số liệu" where a chart has
nothing to draw, and gives holding times in working time; every bad query is refused in words.
The JSON API still lists one item per stall."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from api.http.services import Services
from api.http.web.heatmap import LATE_WORST, SORTS, hold_shade, shade
from api.http.web.pages import when
from api.texts import working_span
from domain.instant import from_datetime, local_date
from ledger.views.holding import held_by_office
from ledger.views.sla import WORKING_DAY_SECONDS
from tests.apiworld import settings_for
from tests.inspectorworld import (
    COMMUNE,
    DISTRICT,
    FRIDAY,
    LATE,
    MONDAY,
    PROVINCE,
    STALLED,
    TOWN,
    UNRETURNED,
    WEEKEND,
    build,
)
from tests.websession import sign_in

ROW = re.compile(r"<tr>(.*?)</tr>", re.S)
CODE = re.compile(r'<td><a href="/ho-so/([^"]+)">')
HEAD_ROW = re.compile(r'<th scope="row"[^>]*>([^<]+)')
OPTION = re.compile(r'<option value="([^"]*)"[^>]*>([^<]*)</option>')
WHITE = "background:rgb(255, 255, 255)"
DARKEST = "background:rgb(150, 0, 0)"
PROCEDURE_NAME = "Ưu đãi trong giáo dục đào tạo"


class Site:
    def __init__(self, http: TestClient, services: Services) -> None:
        self.http = http
        self.services = services

    def get(self, path: str, **params: str) -> str:
        """The page at `path`, in Vietnamese unless `lang` says otherwise (the choice is kept
        in a cookie: each test says its own)."""
        answer = self.http.get(path, params={"lang": "vi", **params})
        assert answer.status_code == 200, answer.text
        return str(answer.text)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    directory: Path = tmp_path_factory.mktemp("web-inspector")
    database = f"sqlite:///{directory / 'ledger.db'}"
    world = build(database)
    world.ledger.close()
    app = create_app(settings_for(database, directory), clock=world.clock)
    with TestClient(app) as http:
        services: Services = app.state.services
        text = services.tokens.create(
            "inspector", office=PROVINCE, now=world.clock.now(), valid_seconds=86400
        )[1]
        assert sign_in(http, text, "/giam-sat").status_code == 200
        yield Site(http, services)


def table_rows(page: str) -> list[str]:
    """The rows of the page's first table body."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return ROW.findall(body)


def codes(page: str) -> list[str]:
    """The codes of the dossiers in the page's table, in order."""
    return CODE.findall(page.split("<tbody>", 1)[1].split("</tbody>", 1)[0])


def text(fragment: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment))).strip()


def row_of(page: str, code: str) -> str:
    (row,) = [r for r in table_rows(page) if f'href="/ho-so/{code}"' in r]
    return text(row)


# --- the stall dashboard -------------------------------------------------------------------


def test_each_stalled_dossier_is_one_row_with_all_its_problems(site: Site) -> None:
    stalls = site.services.inspector().stalls(site.services.clock.now(), office=PROVINCE)
    dossiers = list(dict.fromkeys(s.code for s in stalls))  # most overdue first
    assert len(stalls) > len(dossiers)  # some dossiers break two rules
    page = site.get("/giam-sat")
    assert codes(page) == dossiers
    stalled = row_of(page, STALLED)
    assert "Đã giao, chưa ai nhận" in stalled
    assert "Quá ngày hẹn trả" in stalled
    assert f"Tất cả ({len(dossiers)})" in page  # dossiers, not stalls


def test_each_kind_counts_dossiers_and_lists_them_with_all_their_problems(site: Site) -> None:
    stalls = site.services.inspector().stalls(site.services.clock.now(), office=PROVINCE)
    page = site.get("/giam-sat")
    for rule, label in [
        ("unacknowledged", "Đã giao, chưa ai nhận"),
        ("over_level_budget", "Quá thời gian của cấp"),
        ("past_appointed", "Quá ngày hẹn trả"),
    ]:
        behind = list(dict.fromkeys(s.code for s in stalls if s.rule == rule))
        assert f"{label} ({len(behind)})" in page
        assert codes(site.get("/giam-sat", rule=rule)) == behind
    unacknowledged = site.get("/giam-sat", rule="unacknowledged")
    assert "Quá ngày hẹn trả" in row_of(unacknowledged, STALLED)  # its other problem too


@pytest.mark.parametrize(
    ("lang", "decided", "undecided"),
    [
        ("vi", "Đã có kết quả, chưa trả", "Quá ngày hẹn trả"),
        ("en", "Decided, result not handed over", "Past the promised date"),
    ],
)
def test_a_decided_dossier_past_its_date_is_named_for_what_waits(
    site: Site, lang: str, decided: str, undecided: str
) -> None:
    page = site.get("/giam-sat", lang=lang)
    assert decided in row_of(page, UNRETURNED)
    assert undecided not in row_of(page, UNRETURNED)
    assert undecided in row_of(page, STALLED)  # not decided: its handling is late
    assert decided not in row_of(page, STALLED)


def test_a_row_names_the_procedure_and_the_due_date_and_counts_in_working_days(
    site: Site,
) -> None:
    now = site.services.clock.now()
    stall = site.services.inspector().stalls(now, office=PROVINCE, rule="unacknowledged")[0]
    location = site.services.views().location(stall.code)
    assert location is not None
    page = site.get("/giam-sat")
    row = row_of(page, stall.code)
    assert PROCEDURE_NAME in row
    assert location.procedure not in row  # not its key
    assert when(location.appointed) in row  # the due date, and the working days since it
    calendar = site.services.calendar
    days = calendar.working_days_between(local_date(location.appointed), local_date(now))
    assert f"quá hạn {days} ngày làm việc" in row
    assert f"quá {working_span(stall.over_seconds, 'vi')}" in row
    assert stall.over_seconds > WORKING_DAY_SECONDS
    assert "giờ làm việc" not in row  # over a day: in days


def test_the_json_api_still_lists_one_item_per_stall(site: Site) -> None:
    now = site.services.clock.now()
    stalls = site.services.inspector().stalls(now, office=PROVINCE)
    bearer = site.services.tokens.create("inspector", office=PROVINCE, now=now, valid_seconds=60)[1]
    answer = site.http.get("/v1/stalls", headers={"Authorization": f"Bearer {bearer}"})
    assert answer.status_code == 200, answer.text
    items = answer.json()["items"]
    assert [(i["code"], i["rule"]) for i in items] == [(s.code, s.rule) for s in stalls]


def test_the_office_filter_lists_each_office_once_a_closed_one_with_its_parent(
    site: Site,
) -> None:
    page = site.get("/giam-sat")
    select = page.split('<select id="office"', 1)[1].split("</select>", 1)[0]
    options = [(value, html.unescape(label).strip()) for value, label in OPTION.findall(select)]
    values = [value for value, _ in options]
    labels = [label for _, label in options]
    assert len(values) == len(set(values))  # each office once
    assert len(labels) == len(set(labels))  # and each told apart from the others
    assert "Phường 1 — Huyện Càng Long" in labels
    assert "Phường 1 — Huyện Cầu Kè" in labels
    assert {TOWN, COMMUNE, DISTRICT, PROVINCE} <= set(values)
    assert all(not label.startswith(("844", "845", "8")) for label in labels)  # names, not ids


def test_the_dashboard_s_refusals_are_in_words(site: Site) -> None:
    answer = site.http.get("/giam-sat", params={"rule": "slow", "lang": "vi"})
    assert answer.status_code == 400
    assert "Không có loại chậm «slow»" in answer.text


# --- the map of offices --------------------------------------------------------------------


def offices_in_order(page: str) -> list[str]:
    body = page.split('<table class="heat">', 1)[1].split("</table>", 1)[0]
    return [html.unescape(name).strip() for name in HEAD_ROW.findall(body)]


def head(page: str, label: str) -> str:
    """The column head of the map's table whose link reads `label`."""
    heads = page.split('<table class="heat">', 1)[1].split("</thead>", 1)[0]
    (found,) = [h for h in re.findall(r"<th scope=\"col\".*?</th>", heads) if f">{label}</a>" in h]
    return html.unescape(found)


def test_the_map_lists_the_tree_until_a_column_is_chosen(site: Site) -> None:
    page = site.get("/giam-sat/ban-do")
    assert offices_in_order(page)[0] == "Tỉnh Trà Vinh"  # the tree, from the top
    assert "aria-sort" not in page.split("</thead>", 1)[0]


def test_sorting_by_the_late_rate_puts_the_slowest_office_first(site: Site) -> None:
    page = site.get("/giam-sat/ban-do", sort="late_rate")
    order = offices_in_order(page)
    assert order[0].startswith("Xã Mỹ Cẩm")  # 1 late of 1
    assert order[-1] == "Huyện Cầu Kè"  # nothing decided: last either way
    late_rate = head(page, "Tỷ lệ quá hạn")
    assert 'aria-sort="descending"' in late_rate
    assert "sort=late_rate&order=asc" in late_rate  # chosen again: the other way round
    assert page.count("aria-sort=") == 1
    ascending = offices_in_order(site.get("/giam-sat/ban-do", sort="late_rate", order="asc"))
    assert ascending[0].startswith("Thị trấn Càng Long")  # 0 late
    assert ascending[-1] == "Huyện Cầu Kè"
    assert 'aria-sort="ascending"' in site.get("/giam-sat/ban-do", sort="late_rate", order="asc")


@pytest.mark.parametrize("column", list(SORTS))
def test_every_column_sorts_and_says_so(site: Site, column: str) -> None:
    page = site.get("/giam-sat/ban-do", sort=column)
    heads = page.split("</thead>", 1)[0]
    (sorted_head,) = re.findall(
        r"<th scope=\"col\" aria-sort=\"(\w+)\"><a href=\"([^\"]+)\"", heads
    )
    expected = "descending" if SORTS[column] == "desc" else "ascending"
    assert sorted_head[0] == expected
    assert f"sort={column}&amp;" in sorted_head[1]
    assert len(offices_in_order(page)) == 5  # the province, two districts, two communes


def test_sorting_by_name_is_alphabetical(site: Site) -> None:
    order = offices_in_order(site.get("/giam-sat/ban-do", sort="office"))
    assert order == sorted(order, key=str.casefold)


def test_sorting_by_what_is_overdue_now_leads_to_those_dossiers(site: Site) -> None:
    page = site.get("/giam-sat/ban-do", sort="overdue")
    assert offices_in_order(page)[0] == "Tỉnh Trà Vinh"  # everything below it counts for it
    link = re.search(r'class="overdue-now" href="([^"]+)">(\d+)<', page)
    assert link is not None
    listed = site.get(html.unescape(link.group(1)))
    assert len(table_rows(listed)) == int(link.group(2))  # dossiers, each once


@pytest.mark.parametrize(
    ("params", "said"),
    [
        ({"sort": "speed"}, "Không sắp xếp được theo «speed»"),
        ({"sort": "late", "order": "up"}, "Thứ tự «up» không hợp lệ"),
        ({"start": "2025-13"}, "Tháng «2025-13» không đúng dạng năm-tháng"),
        ({"end": "tháng 3"}, "Tháng «tháng 3» không đúng dạng năm-tháng"),
        ({"end": "2025-05"}, "Tháng 05/2025 chưa đến"),
        ({"start": "2025-04", "end": "2025-03"}, "Tháng bắt đầu (04/2025) sau tháng kết thúc"),
        ({"start": "2020-01", "end": "2025-03"}, "Kỳ dài hơn 60 tháng"),
        ({"months": "0"}, "Số tháng «0» không hợp lệ"),
        ({"months": "x"}, "Số tháng «x» không hợp lệ"),
    ],
)
def test_a_bad_sort_or_period_is_refused_in_words_with_the_way_back(
    site: Site, params: dict[str, str], said: str
) -> None:
    answer = site.http.get("/giam-sat/ban-do", params={"lang": "vi", **params})
    assert answer.status_code == 400
    alert = answer.text.split('role="alert">', 1)[1].split("</p>", 1)[0]
    assert said in html.unescape(alert)
    assert 'href="/giam-sat/ban-do"' in alert  # the map of the last twelve months
    assert '<table class="heat">' not in answer.text


def test_the_month_picker_chooses_the_months_counted(site: Site) -> None:
    default = site.get("/giam-sat/ban-do")
    assert 'type="month"' in default
    assert 'name="start" type="month" max="2025-04" value="2024-05"' in default  # 12 months
    assert 'name="end" type="month" max="2025-04" value="2025-04"' in default
    march = site.get("/giam-sat/ban-do", start="2025-03", end="2025-03")
    assert "Từ 01/03/2025 đến 31/03/2025" in march
    assert f"office={COMMUNE}&amp;result=late&amp;start=2025-03&amp;end=2025-03" in march
    april = site.get("/giam-sat/ban-do", start="2025-04", end="2025-04")
    assert "Từ 01/04/2025 đến 07/04/2025" in april  # to today
    assert "result=late" not in april  # nothing decided in April
    assert april.count("Chưa có số liệu.") == 2  # neither chart has anything to draw
    assert march.count("Chưa có số liệu.") == 0
    sorted_april = site.get("/giam-sat/ban-do", start="2025-04", end="2025-04", sort="late")
    assert "start=2025-04&amp;end=2025-04&amp;sort=late_rate" in sorted_april  # heads keep it


def test_the_lists_behind_the_numbers_keep_the_months(site: Site) -> None:
    march = {"office": COMMUNE, "result": "late", "start": "2025-03", "end": "2025-03"}
    listed = site.get("/giam-sat/ket-qua", **march)
    assert codes(listed) == [LATE]
    assert PROCEDURE_NAME in row_of(listed, LATE)  # by name, not its key
    assert "merit-education-preference" not in listed
    assert 'href="/giam-sat/ban-do?start=2025-03&amp;end=2025-03"' in listed
    april = site.get("/giam-sat/ket-qua", **{**march, "start": "2025-04", "end": "2025-04"})
    assert codes(april) == []
    refused = site.http.get(
        "/giam-sat/giu", params={"start": "2025-04", "end": "2025-01", "lang": "vi"}
    )
    assert refused.status_code == 400
    assert "sau tháng kết thúc" in refused.text


def test_the_colours_are_measured_against_the_stated_target() -> None:
    assert shade(0.0).startswith(WHITE)  # the target
    assert shade(LATE_WORST).startswith(DARKEST)
    assert shade(1.0).startswith(DARKEST)
    assert not shade(LATE_WORST / 2).startswith((WHITE, DARKEST))
    assert hold_shade(0).startswith(WHITE)  # a dossier held no time at all is not the worst
    assert hold_shade(WORKING_DAY_SECONDS).startswith(WHITE)
    assert hold_shade(10 * WORKING_DAY_SECONDS).startswith(DARKEST)
    assert not hold_shade(5 * WORKING_DAY_SECONDS).startswith((WHITE, DARKEST))


def test_the_map_states_its_target_and_paints_by_it(site: Site) -> None:
    page = site.get("/giam-sat/ban-do")
    assert "mục tiêu 0 %" in page
    assert "từ 20 % trở lên đỏ đậm nhất" in page
    heat = page.split('<table class="heat">', 1)[1]
    rows = dict(zip(offices_in_order(page), table_rows(heat), strict=True))
    town = rows["Thị trấn Càng Long"]
    cells = re.findall(r'<td style="([^"]+)">', town)
    assert cells[0].startswith(WHITE)  # 0 % late: the target met
    assert cells[1].startswith(WHITE)  # held an hour: not the darkest red of the map
    commune = re.findall(r'<td style="([^"]+)">', rows["Xã Mỹ Cẩm"])
    assert commune[0].startswith(DARKEST)  # 100 % late


def test_holding_times_are_working_time(site: Site) -> None:
    inspector = site.services.inspector()
    held = dict(held_by_office(inspector, 0, site.services.clock.now())[COMMUNE])
    friday, monday = from_datetime(FRIDAY), from_datetime(MONDAY)
    assert (monday - friday) // 1_000_000 > 2 * 86400  # a weekend between
    assert held[WEEKEND] == inspector.working_seconds(friday, monday) == 2 * 3600
    page = site.get("/giam-sat/giu", office=COMMUNE)
    assert "2 giờ làm việc" in row_of(page, WEEKEND)
    assert codes(page) == sorted(held, key=lambda code: -held[code])  # the longest held first
