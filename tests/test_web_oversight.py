"""The inspector's pages in a real browser: signing in with a token (kept in an HttpOnly cookie),
the stall dashboard finds the demo's planted stalled dossier (one row per dossier, whatever the
rules it breaks), a count leads to the dossiers behind it, and a dossier's page shows its
timeline and control slip."""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Iterable, Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from api.texts import working_span
from domain.instant import local_date, start_of
from ledger.views.sla import Stall, office_report
from tests.apiworld import PROVINCE, demo_code
from tests.browser import Site, open_site, token

CODE = demo_code(701)
LABELS = {
    "unacknowledged": "Đã giao, chưa ai nhận",
    "over_level_budget": "Quá thời gian của cấp",
    "past_appointed": "Quá ngày hẹn trả",
    "due_soon": "Sắp đến hạn",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with open_site(tmp_path_factory.mktemp("web-oversight"), CODE) as opened:
        yield opened


def dossiers(stalls: Iterable[Stall]) -> list[str]:
    """The codes of the dossiers `stalls` are of, each once, in the order of the first."""
    return list(dict.fromkeys(s.code for s in stalls))


def signed_in(site: Site, text: str, start: str = "/giam-sat") -> Any:
    page = site.browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto(f"{site.url}{start}")
    assert page.url.startswith(f"{site.url}/dang-nhap")  # sent to sign in first
    page.get_by_label("Mã truy cập").fill(text)
    page.get_by_role("button", name="Đăng nhập").click()
    return page


def test_an_inspector_signs_in_and_finds_the_planted_stalled_dossier(site: Site) -> None:
    expected = dossiers(site.services.inspector().stalls(site.clock.now(), office=PROVINCE))
    assert expected, "the demo plants at least one stalled dossier"
    page = signed_in(site, token(site, "inspector", PROVINCE))
    assert page.url == f"{site.url}/giam-sat"  # back where it was going
    assert page.get_by_role("heading", level=1).inner_text() == "Hồ sơ chậm, tắc"
    rows = page.locator("tbody tr")
    assert rows.count() == len(expected)  # a row per dossier
    assert rows.first.locator("a").inner_text() == expected[0]  # most overdue first
    cookie = next(c for c in page.context.cookies() if c["name"] == "lienthong_session")
    assert (cookie["httpOnly"], cookie["sameSite"]) == (True, "Strict")
    assert page.evaluate("document.cookie") == ""  # scripts cannot read the token
    page.close()


def test_a_count_leads_to_the_dossiers_behind_it_and_on_to_the_control_slip(site: Site) -> None:
    stalls = site.services.inspector().stalls(site.clock.now(), office=PROVINCE)
    rule = stalls[0].rule
    behind = [s.code for s in stalls if s.rule == rule]
    page = signed_in(site, token(site, "inspector", PROVINCE))
    kinds = page.get_by_role("navigation", name="Loại chậm")
    kinds.get_by_role("link", name=f"{LABELS[rule]} ({len(behind)})").click()
    assert page.url.endswith(f"/giam-sat?rule={rule}")
    assert [a.inner_text() for a in page.locator("tbody a").all()] == behind
    page.locator("tbody a").first.click()
    assert page.get_by_role("heading", level=1).inner_text() == f"Hồ sơ {behind[0]}"
    slip = page.get_by_role("region", name="Phiếu kiểm soát quá trình giải quyết hồ sơ")
    assert slip.locator("tbody tr").count() >= 1
    assert "đúng" in page.locator("table").first.inner_text()  # the timeline's signatures
    page.close()


def test_a_wrong_token_is_refused_in_words_and_a_consumer_sees_no_dashboard(site: Site) -> None:
    page = site.browser.new_page()
    page.goto(f"{site.url}/dang-nhap")
    page.get_by_label("Mã truy cập").fill("lt1_not_a_token")
    page.get_by_role("button", name="Đăng nhập").click()
    assert "Mã truy cập không dùng được" in page.get_by_role("alert").inner_text()
    page.close()
    page = signed_in(site, token(site, "consumer", None))
    assert page.get_by_role("alert").inner_text() == "Mã truy cập này không được xem trang này."
    page.get_by_role("button", name="Đăng xuất").click()
    assert page.url.startswith(f"{site.url}/dang-nhap")
    page.goto(f"{site.url}/giam-sat")
    assert page.url.startswith(f"{site.url}/dang-nhap")  # signed out: the cookie is gone
    page.close()


def test_signing_in_never_sends_the_browser_to_another_site(site: Site) -> None:
    page = site.browser.new_page()
    page.goto(f"{site.url}/dang-nhap?back=//evil.example/steal")
    page.get_by_label("Mã truy cập").fill(token(site, "inspector", PROVINCE))
    page.get_by_role("button", name="Đăng nhập").click()
    assert page.url == f"{site.url}/giam-sat"
    page.close()


def test_the_map_of_offices_colours_late_rates_and_draws_on_time_rates(site: Site) -> None:
    page = signed_in(site, token(site, "inspector", PROVINCE), "/giam-sat/ban-do")
    assert page.get_by_role("heading", level=1).inner_text() == "Bản đồ nhiệt các cơ quan"
    rows = page.locator("table.heat tbody tr")
    assert rows.count() >= 2  # the province and the offices below it, on today's tree
    assert rows.first.locator("th").inner_text() == site.services.ledger.office(PROVINCE).name_on(
        local_date(site.clock.now())
    )
    province = {
        name: int(value)
        for name, value in zip(
            ["early", "on_time", "late"],
            rows.first.locator("td").all_inner_texts()[:3],
            strict=True,
        )
    }
    today = local_date(site.clock.now())
    first = today.replace(day=1)
    for _ in range(11):
        first = (first - timedelta(days=1)).replace(day=1)
    last = today + timedelta(days=1)
    report = office_report(site.services.inspector(), PROVINCE, start_of(first), start_of(last))
    assert province == {"early": report.early, "on_time": report.on_time, "late": report.late}
    bars = page.get_by_role("img", name="Tỷ lệ đúng hạn theo cơ quan").locator("rect")
    decided = [r for r in rows.all() if sum(int(c) for c in r.locator("td").all_inner_texts()[:3])]
    assert bars.count() == len(decided)
    page.close()


def test_a_number_on_the_map_leads_to_the_dossiers_behind_it(
    site: Site, tmp_path_factory: pytest.TempPathFactory
) -> None:
    with open_site(tmp_path_factory.mktemp("web-map"), CODE, site.browser) as late:
        late.clock.advance(60 * 86_400)  # two months on: the dossier is past its appointed date
        page = signed_in(late, token(late, "inspector", PROVINCE), "/giam-sat/ban-do")
        overdue = page.locator("table.heat tbody td a.overdue-now")
        assert overdue.count() >= 1
        count = int(overdue.first.inner_text())
        overdue.first.click()
        assert "rule=past_appointed" in page.url
        codes = page.locator("tbody tr td:first-child a").all_inner_texts()
        assert len(codes) == count
        assert late.code in codes
        page.close()


def test_a_resolved_count_on_the_map_leads_to_its_dossiers_and_their_slips(site: Site) -> None:
    page = signed_in(site, token(site, "inspector", PROVINCE), "/giam-sat/ban-do")
    counts = page.locator("table.heat tbody td a:not(.overdue-now)")
    assert counts.count() >= 1  # the demo decided dossiers in the past year
    count = int(counts.first.inner_text())
    counts.first.click()
    codes = page.locator("tbody td a")
    assert codes.count() == count
    codes.first.click()
    assert page.get_by_role(
        "region", name="Phiếu kiểm soát quá trình giải quyết hồ sơ"
    ).is_visible()
    page.close()


def test_the_on_time_rate_is_drawn_month_by_month(site: Site) -> None:
    page = signed_in(site, token(site, "inspector", PROVINCE), "/giam-sat/ban-do?months=6")
    chart = page.get_by_role("img", name="Tỷ lệ đúng hạn theo tháng (%)")
    assert chart.locator("g").count() == 6  # one per month, the months without decisions empty
    today = local_date(site.clock.now())
    month_starts = [today.replace(day=1)]
    while len(month_starts) < 6:
        month_starts.insert(0, (month_starts[0] - timedelta(days=1)).replace(day=1))
    month_starts.append(today + timedelta(days=1))
    expected = []
    for start, after in itertools.pairwise(month_starts):
        r = office_report(site.services.inspector(), PROVINCE, start_of(start), start_of(after))
        if r.early + r.on_time + r.late:
            expected.append(f"{start:%m/%Y}")
    titles = [t.split(":")[0] for t in chart.locator("rect.month title").all_text_contents()]
    assert titles == expected
    page.close()


def test_the_dashboard_filters_by_procedure(site: Site) -> None:
    stalls = site.services.inspector().stalls(site.clock.now(), office=PROVINCE)
    procedure = stalls[0].procedure
    page = signed_in(site, token(site, "inspector", PROVINCE))
    page.get_by_label("Thủ tục").select_option(procedure)
    page.get_by_role("button", name="Lọc").click()
    shown = page.locator("tbody tr td:first-child a").all_inner_texts()
    assert shown == dossiers(s for s in stalls if s.procedure == procedure)
    page.close()


def test_a_median_holding_time_leads_to_the_dossiers_it_is_the_median_of(site: Site) -> None:
    page = signed_in(site, token(site, "inspector", PROVINCE), "/giam-sat/ban-do")
    held = page.locator("table.heat tbody td a.held")
    assert held.count() >= 1
    median = held.first.inner_text()
    held.first.click()
    cells = page.locator("tbody td:nth-child(2)")
    seconds = [int(s) for s in cells.evaluate_all("cells => cells.map(c => c.dataset.seconds)")]
    assert seconds == sorted(seconds, reverse=True)
    assert median == working_span(round(statistics.median(seconds)), "vi")  # in working time
    assert cells.first.inner_text() == working_span(seconds[0], "vi")
    page.locator("tbody td a").first.click()
    assert page.get_by_role(
        "region", name="Phiếu kiểm soát quá trình giải quyết hồ sơ"
    ).is_visible()
    page.close()


def test_switching_language_keeps_the_filters(site: Site) -> None:
    page = signed_in(site, token(site, "inspector", PROVINCE), "/giam-sat?rule=unacknowledged")
    page.get_by_role("link", name="English").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Stalled dossiers"
    assert "rule=unacknowledged" in page.url
    page.close()


def test_the_dashboard_narrows_to_one_office_of_the_subtree_and_keeps_it(site: Site) -> None:
    inspector, now = site.services.inspector(), site.clock.now()
    page = signed_in(site, token(site, "inspector", PROVINCE))
    choices = page.get_by_label("Cơ quan").locator("option")
    offices = list(choices.evaluate_all("els => els.map(e => e.value)"))
    assert offices[0] == PROVINCE  # today's tree under the inspector, then closed offices
    assert len(offices) > 1
    office = next(o for o in offices[1:] if inspector.stalls(now, office=o))
    expected = inspector.stalls(now, office=office)
    page.get_by_label("Cơ quan").select_option(office)
    page.get_by_role("button", name="Lọc").click()
    assert page.locator("tbody tr td:first-child a").all_inner_texts() == dossiers(expected)
    rule = expected[0].rule
    page.get_by_role("navigation", name="Loại chậm").get_by_role(
        "link", name=LABELS[rule], exact=False
    ).click()
    assert parse_qs(urlsplit(page.url).query)["office"] == [office]
    assert page.get_by_label("Cơ quan").input_value() == office  # still chosen
    shown = page.locator("tbody tr td:first-child a").all_inner_texts()
    assert shown == [s.code for s in expected if s.rule == rule]
    page.close()


def test_an_unknown_office_or_one_outside_the_subtree_is_refused_in_words(site: Site) -> None:
    page = signed_in(site, token(site, "inspector", PROVINCE))
    response = page.goto(f"{site.url}/giam-sat?office=nope")
    assert response is not None
    assert response.status == 404
    assert page.get_by_role("alert").inner_text() == "Không có cơ quan mã nope."
    page.close()
    commune = next(s.office for s in site.services.inspector().stalls(site.clock.now()))
    page = signed_in(site, token(site, "inspector", commune))
    response = page.goto(f"{site.url}/giam-sat?office={PROVINCE}")
    assert response is not None
    assert response.status == 403
    assert "không thuộc phạm vi giám sát" in page.get_by_role("alert").inner_text()
    assert page.locator("tbody tr").count() == 0  # nothing of the province shown
    page.close()
