"""The Content-Security-Policy in a real browser: every page, its scripts working, with not one
violation reported by Chromium; and a script slipped into a page is refused by it (the policy is
in force, not only sent)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ledger.simulation.demo import demo_log_key
from tests.apiworld import COMMUNE, COMMUNE_OFFICER, PROVINCE, demo_code
from tests.browser import Site, enrolled_officer, open_site, token

CODE = demo_code(801)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with open_site(tmp_path_factory.mktemp("web-csp"), CODE) as opened:
        opened.services.ledger.issue_checkpoint(demo_log_key())
        yield opened


def watched(page: Any) -> list[str]:
    """What Chromium reports the policy refused on `page`, from now on."""
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return refused


def signed_in(site: Site, role: str, office: str | None = None) -> Any:
    page = site.browser.new_page(viewport={"width": 1366, "height": 768})
    refused = watched(page)
    page.goto(f"{site.url}/dang-nhap")
    page.locator("#token").fill(token(site, role, office))
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/giam-sat")
    return page, refused


def test_the_citizens_pages_and_their_scripts_run_under_the_policy(site: Site) -> None:
    page = site.browser.new_page()
    refused = watched(page)
    page.add_init_script("window.print = () => { window.printed = true; };")
    page.goto(f"{site.url}/tra-cuu")
    page.get_by_label("Mã hồ sơ").fill(CODE)
    page.get_by_label("Mã bí mật").fill(site.secret)
    with page.expect_navigation():
        page.get_by_role("button", name="Tra cứu").click()
    page.get_by_role("button", name="In phiếu").click()
    assert page.evaluate("window.printed") is True  # the print button's handler (print.js)
    page.goto(f"{site.url}/xac-minh/{CODE}")
    page.locator("details.technical summary").click()  # the check waits behind the verdict
    page.locator("#browser-run").click()
    page.locator("#browser-result .verified").wait_for()  # verify-page.js and verify.js ran
    page.goto(f"{site.url}/docs")  # its own inline script is allowed by its hash
    assert refused == []
    page.close()


def test_the_staffs_pages_and_their_scripts_run_under_the_policy(site: Site) -> None:
    inspector, refused = signed_in(site, "inspector", PROVINCE)
    for path in ("/giam-sat", f"/ho-so/{CODE}", "/giam-sat/ban-do"):
        inspector.goto(f"{site.url}{path}")
        assert inspector.locator("main h1").count() == 1, path
    # the map's colours are style attributes, which the policy allows (and nothing else inline)
    shaded = inspector.locator("table.heat td[style]").first
    assert shaded.evaluate("cell => getComputedStyle(cell).backgroundColor") != "rgba(0, 0, 0, 0)"
    officer = enrolled_officer(site, COMMUNE, COMMUNE_OFFICER)  # enrol.js and officer.js ran
    officer_refused = watched(officer)
    pages = ("/can-bo", "/can-bo/tiep-nhan", f"/can-bo/giao/{CODE}", f"/can-bo/bien-nhan/{CODE}")
    for path in (*pages, "/can-bo/khoa"):
        officer.goto(f"{site.url}{path}")
    officer.get_by_role("status").filter(has_text="đã được phê duyệt").wait_for()
    assert refused == officer_refused == []


def test_a_script_slipped_into_a_page_is_refused_by_the_browser(site: Site) -> None:
    page = site.browser.new_page()
    refused = watched(page)

    def slip_in(route: Any) -> None:
        answer = route.fetch()
        body = answer.text().replace("</main>", "<script>window.slipped = true;</script></main>")
        route.fulfill(response=answer, body=body)

    page.route("**/tra-cuu", slip_in)
    page.goto(f"{site.url}/tra-cuu")
    assert page.evaluate("window.slipped") is None
    assert any("inline script" in text for text in refused), refused
    page.close()
