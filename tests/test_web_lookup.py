"""The citizen's lookup page in a real browser: Vietnamese first with an English switch, plain
form with labels, keyboard only, dd/mm/yyyy in Vietnam time, the same answer for a wrong secret
as for an unknown code, and no personal data on the page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.apiworld import APPLICANT, demo_code
from tests.browser import Site, open_site

CODE = demo_code(501)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with open_site(tmp_path_factory.mktemp("web-lookup"), CODE) as opened:
        yield opened


def look_up(site: Site, code: str, secret: str, lang: str = "") -> Any:
    page = site.browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto(f"{site.url}/tra-cuu{'?lang=' + lang if lang else ''}")
    page.get_by_label("Mã hồ sơ" if lang != "en" else "Dossier code").fill(code)
    page.get_by_label("Mã bí mật" if lang != "en" else "Secret").fill(secret)
    with page.expect_navigation():  # the form's answer, not the form still on screen
        page.keyboard.press("Enter")
    return page


def test_a_citizen_finds_where_the_dossier_is_and_the_promised_date(site: Site) -> None:
    page = look_up(site, CODE, site.secret.lower())  # any case, as typed
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.get_by_role("heading", level=1).inner_text() == f"Hồ sơ {CODE}"
    text = page.locator("main").inner_text()
    assert "Đang được xử lý" in text
    assert "Xã Càng Long" in text
    assert re.search(r"Ngày hẹn trả kết quả\s+\d{2}/\d{2}/\d{4} 23:59", text), text
    for personal in APPLICANT.values():  # nothing about the applicant
        assert personal not in page.content()
    page.close()


def test_a_wrong_secret_and_an_unknown_code_get_the_same_answer(site: Site) -> None:
    answers = []
    for code, secret in ((CODE, "ZZZZZZZZZZ"), ("000.66.29.H59-250708-0999", site.secret)):
        page = look_up(site, code, secret)
        answers.append(page.get_by_role("alert").inner_text())
        assert page.get_by_label("Mã hồ sơ").input_value() == code  # kept for correcting
        page.close()
    assert answers[0] == answers[1]
    assert "Không tìm thấy hồ sơ" in answers[0]


def test_the_page_switches_to_english_and_remembers_it(site: Site) -> None:
    page = site.browser.new_page()
    page.goto(f"{site.url}/tra-cuu")
    page.get_by_role("link", name="English").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Look up a dossier"
    page.goto(f"{site.url}/tra-cuu")  # the cookie keeps the choice
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_label("Dossier code").fill(CODE)
    page.get_by_label("Secret").fill(site.secret)
    page.get_by_role("button", name="Look up").click()
    assert "Being processed" in page.locator("main").inner_text()
    page.get_by_role("link", name="Tiếng Việt").click()
    assert page.locator("html").get_attribute("lang") == "vi"
    page.close()


def test_the_form_is_used_with_the_keyboard_alone_on_an_office_screen(site: Site) -> None:
    page = site.browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto(f"{site.url}/tra-cuu")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Bỏ qua, đến nội dung chính"
    focus = []
    for _ in range(8):  # the site's name, the language switch, the menu's three, then the form
        page.keyboard.press("Tab")
        focus.append(page.evaluate("document.activeElement.id || document.activeElement.tagName"))
    assert focus == ["A", "A", "A", "A", "A", "code", "secret", "BUTTON"]
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.type(CODE)
    page.keyboard.press("Tab")
    page.keyboard.type(site.secret)
    page.keyboard.press("Enter")
    assert page.get_by_role("heading", level=1).inner_text() == f"Hồ sơ {CODE}"
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= 1366  # nothing to scroll sideways on a 1366×768 screen
    page.close()


def test_an_empty_form_is_answered_in_words_not_an_error_page(site: Site) -> None:
    page = site.browser.new_page()
    page.goto(f"{site.url}/tra-cuu")
    page.evaluate("document.querySelectorAll('input').forEach(i => i.removeAttribute('required'))")
    page.get_by_role("button", name="Tra cứu").click()
    assert page.get_by_role("alert").inner_text() == "Hãy nhập cả mã hồ sơ và mã bí mật."
    page.close()


def test_every_input_has_a_label_and_every_page_says_its_language(site: Site) -> None:
    page = site.browser.new_page()
    page.goto(f"{site.url}/tra-cuu")
    unlabelled = page.evaluate(
        "[...document.querySelectorAll('input')].filter(i => !i.labels.length).length"
    )
    assert unlabelled == 0
    assert page.title() == "Tra cứu hồ sơ — Liên thông — theo dõi hồ sơ"
    page.close()


def test_the_printable_control_slip_carries_a_qr_code_of_its_verification_page(
    site: Site,
) -> None:
    page = look_up(site, CODE, site.secret)
    slip = page.get_by_role("region", name="Phiếu kiểm soát quá trình giải quyết hồ sơ")
    assert "Xã Càng Long" in slip.locator("tbody").inner_text()
    assert slip.locator("svg title").text_content().startswith("Quét mã để xác minh")
    link = slip.locator("figcaption a")
    assert link.get_attribute("href") == f"{site.url}/xac-minh/{CODE}"
    page.emulate_media(media="print")  # on paper: the slip, not the site's navigation and form
    assert not page.get_by_role("link", name="English").is_visible()
    assert not page.get_by_role("button", name="In phiếu").is_visible()
    assert slip.is_visible()
    link.click()
    assert f"Hồ sơ {CODE} được xác minh" in page.locator("p.verified").inner_text()
    page.close()
