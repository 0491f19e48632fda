"""A day of the province's inspector, in a real browser, on a small world of its own
(tests/inspectorworld.py): the map of offices sorted by its late rate puts the slowest office
first, and its late count opens its dossiers and their slips; the months picked narrow the map
and its charts say when there is nothing to draw; sorted by what is overdue now, the count opens
the stall dashboard, a row per dossier with every problem it has, the decided one named for what
waits. Sorting is links in the column heads: no script runs it. The pages keep to the
accessibility rules and the Content-Security-Policy."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from api.http.app import create_app
from api.http.services import Services
from api.http.web.pages import procedure_name
from tests.apiworld import settings_for
from tests.browser import chromium, live
from tests.inspectorworld import LATE, PROVINCE, STALLED, UNRETURNED, WEEKEND, build

RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@dataclass
class Day:
    url: str
    services: Services
    page: Any  # the inspector's browser, signed in
    refused: list[str]  # what the Content-Security-Policy refused


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Day]:
    directory: Path = tmp_path_factory.mktemp("browser-inspector-day")
    database = f"sqlite:///{directory / 'ledger.db'}"
    world = build(database)
    world.ledger.close()
    app = create_app(settings_for(database, directory), clock=world.clock)
    with chromium() as browser, live(app) as url:
        services: Services = app.state.services
        context = browser.new_context(viewport={"width": 1366, "height": 768})
        page = context.new_page()
        refused: list[str] = []
        page.on(
            "console",
            lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
        )
        text = services.tokens.create(
            "inspector", office=PROVINCE, now=world.clock.now(), valid_seconds=86400
        )[1]
        page.goto(f"{url}/giam-sat/ban-do?lang=vi")
        page.get_by_label("Mã truy cập").fill(text)
        page.get_by_role("button", name="Đăng nhập").click()
        page.wait_for_url("**/giam-sat/ban-do*")
        yield Day(url, services, page, refused)
        context.close()


def violations(page: Any) -> list[str]:
    results = Axe().run(page, options=RULES)
    return [
        f"{v['id']}: {[n['target'] for n in v['nodes']]}" for v in results.response["violations"]
    ]


def first_office(page: Any) -> str:
    return str(page.locator("table.heat tbody tr").first.locator("th").inner_text())


def test_the_slowest_office_is_found_by_sorting_and_its_dossiers_opened(day: Day) -> None:
    page = day.page
    page.goto(f"{day.url}/giam-sat/ban-do")
    assert first_office(page) == "Tỉnh Trà Vinh"  # the tree, from the top
    page.get_by_role("link", name="Tỷ lệ quá hạn").click()
    rate = page.get_by_role("columnheader", name="Tỷ lệ quá hạn")
    assert rate.get_attribute("aria-sort") == "descending"
    assert first_office(page).startswith("Xã Mỹ Cẩm")  # its one decided dossier was late
    assert "Huyện Càng Long" in first_office(page)  # with the office it answers to
    slowest = page.locator("table.heat tbody tr").first
    assert "100 %" in slowest.inner_text()
    assert violations(page) == []
    slowest.get_by_role("link", name="Xã Mỹ Cẩm: 1 Quá hạn").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Quá hạn: Xã Mỹ Cẩm (1)"
    row = page.locator("tbody tr").first
    assert procedure_name(day.services, "merit-education-preference", 1, "vi") in row.inner_text()
    row.get_by_role("link", name=LATE).click()
    assert page.get_by_role("heading", level=1).inner_text() == f"Hồ sơ {LATE}"
    slip = page.get_by_role("region", name="Phiếu kiểm soát quá trình giải quyết hồ sơ")
    assert slip.is_visible()
    page.go_back()
    page.go_back()
    page.get_by_role("link", name="Tỷ lệ quá hạn").click()  # again: the other way round
    assert rate.get_attribute("aria-sort") == "ascending"
    assert first_office(page).startswith("Thị trấn Càng Long")  # none late
    assert day.refused == []


def test_the_months_picked_narrow_the_map_and_keep_the_sort(day: Day) -> None:
    page = day.page
    page.goto(f"{day.url}/giam-sat/ban-do?sort=late_rate")
    page.get_by_label("Từ tháng").fill("2025-04")
    page.get_by_label("Đến tháng").fill("2025-04")
    page.get_by_role("button", name="Xem").click()
    assert "Từ 01/04/2025 đến 07/04/2025" in page.locator("main").inner_text()
    assert page.get_by_text("Chưa có số liệu.").count() == 2  # nothing decided in April
    rate = page.get_by_role("columnheader", name="Tỷ lệ quá hạn")
    assert rate.get_attribute("aria-sort") == "descending"  # still sorted
    page.get_by_label("Từ tháng").fill("2025-03")
    page.get_by_label("Đến tháng").fill("2025-03")
    page.get_by_role("button", name="Xem").click()
    assert first_office(page).startswith("Xã Mỹ Cẩm")
    assert page.get_by_text("Chưa có số liệu.").count() == 0
    assert violations(page) == []


def test_what_is_overdue_now_opens_a_row_per_dossier_with_all_its_problems(day: Day) -> None:
    page = day.page
    page.goto(f"{day.url}/giam-sat/ban-do")
    page.get_by_role("link", name="Đang quá hạn").click()
    assert first_office(page) == "Tỉnh Trà Vinh"  # everything below it counts for it
    count = page.locator("table.heat tbody tr").first.locator("a.overdue-now")
    overdue = int(count.inner_text())
    count.click()
    assert page.get_by_role("heading", level=1).inner_text() == "Hồ sơ chậm, tắc"
    rows = page.locator("tbody tr")
    assert rows.count() == overdue  # one per dossier
    codes = page.locator("tbody tr td:first-child a").all_inner_texts()
    assert set(codes) == {STALLED, UNRETURNED, WEEKEND}
    stalled = rows.filter(has_text=STALLED)
    assert stalled.locator("ul.problems li").count() == 2  # sent and not acknowledged, and late
    unreturned = rows.filter(has_text=UNRETURNED)
    assert "Đã có kết quả, chưa trả" in unreturned.inner_text()
    assert "merit-education-preference" not in page.locator("main").inner_text()
    assert violations(page) == []
    page.get_by_role("navigation", name="Loại chậm").get_by_role("link", name="Tất cả (3)").click()
    assert page.locator("tbody tr").count() == 3
    assert day.refused == []
