"""The frame in a real browser on a phone's screen (390×844): the menu is reached and followed with
the keyboard alone, in the order it is read, the page at hand marked; header and menu wrap, so no
page scrolls sideways; and an axe check of the frame passes on the phone, signed in and out."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from api.http.app import create_app
from api.http.services import Services
from ledger.clock import SimulatedClock
from tests.apiworld import COMMUNE, COMMUNE_OFFICER, demo_database, settings_for
from tests.browser import chromium, live

PHONE = {"width": 390, "height": 844}
RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@dataclass
class Site:
    url: str
    services: Services
    clock: SimulatedClock
    browser: Any


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A live server on a copy of the demo's registry and dossiers (nothing more is recorded:
    the frame needs only an officer the registry knows), and a browser."""
    directory = tmp_path_factory.mktemp("browser-frame")
    database = f"sqlite:///{directory / 'ledger.db'}"
    recorded = demo_database(database, directory)
    app = create_app(settings_for(database, directory), clock=recorded.clock)
    with chromium() as browser, live(app) as url:
        services: Services = app.state.services
        recorded.bind(services)
        yield Site(url, services, recorded.clock, browser)


def token(site: Site, role: str, office: str | None = None, officer: str | None = None) -> str:
    return site.services.tokens.create(
        role, office=office, officer=officer, now=site.clock.now(), valid_seconds=86400
    )[1]


def focused(page: Any) -> str:
    """What has the focus: a link's or button's words, else an input's id."""
    text: str = page.evaluate(
        "document.activeElement.id && document.activeElement.tagName === 'INPUT'"
        " ? '#' + document.activeElement.id : document.activeElement.textContent.trim()"
    )
    return text


def tab_through(page: Any, count: int) -> list[str]:
    stops = []
    for _ in range(count):
        page.keyboard.press("Tab")
        stops.append(focused(page))
    return stops


def sideways(page: Any) -> int:
    """How far the page scrolls sideways: 0 when it fits the screen."""
    wide: int = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    return wide


def off_screen(page: Any) -> list[str]:
    """The frame's links and buttons that do not lie wholly within the screen's width."""
    found: list[str] = page.evaluate(
        "[...document.querySelectorAll('header a, header button')]"
        ".filter(e => { const r = e.getBoundingClientRect();"
        " return r.left < 0 || r.right > window.innerWidth; })"
        ".map(e => e.textContent.trim())"
    )
    return found


def test_a_citizen_tabs_through_the_menu_to_the_lookup_form_on_a_phone(site: Site) -> None:
    page = site.browser.new_page(viewport=PHONE)
    page.goto(f"{site.url}/tra-cuu")
    assert tab_through(page, 8) == [
        "Bỏ qua, đến nội dung chính",
        "Liên thông — theo dõi hồ sơ",
        "English",
        "Tra cứu",
        "Xác minh",
        "Đăng nhập",
        "#code",
        "#secret",
    ]
    assert sideways(page) == 0
    assert off_screen(page) == []
    marked = page.get_by_role("navigation", name="Các trang chính").locator("[aria-current]")
    assert marked.evaluate_all("es => es.map(e => [e.textContent, e.ariaCurrent])") == [
        ["Tra cứu", "page"]
    ]
    # back to "Xác minh" with Shift+Tab, and Enter follows it
    for _ in range(3):
        page.keyboard.press("Shift+Tab")
    assert focused(page) == "Xác minh"
    page.keyboard.press("Enter")
    page.wait_for_url(f"{site.url}/xac-minh")
    current = page.locator('nav a[aria-current="page"]')
    assert current.inner_text() == "Xác minh"
    assert sideways(page) == 0
    page.close()


def test_an_officer_goes_through_the_menu_by_keyboard_on_a_phone(site: Site) -> None:
    page = site.browser.new_page(viewport=PHONE)
    page.goto(f"{site.url}/dang-nhap?back=/can-bo/khoa")
    page.locator("#token").fill(token(site, "officer", COMMUNE, COMMUNE_OFFICER))
    page.locator("#token").press("Enter")
    page.wait_for_url(f"{site.url}/can-bo/khoa")
    title = site.services.ledger.officer(COMMUNE_OFFICER).title_at(site.clock.now())
    who = page.locator("#who").inner_text()
    assert title in who
    assert COMMUNE not in who
    assert COMMUNE_OFFICER not in who
    menu = page.get_by_role("navigation", name="Các trang chính")
    assert menu.get_by_role("link").all_inner_texts() == [
        "Việc của tôi",
        "Tiếp nhận",
        "Khóa ký",
        "Tra cứu",
        "Xác minh",
    ]
    assert menu.get_by_role("link", name="Khóa ký").get_attribute("aria-current") == "page"
    assert sideways(page) == 0
    assert off_screen(page) == []
    # the skip link, the title, the sign-out button, the language, then the menu in its order
    assert tab_through(page, 6) == [
        "Bỏ qua, đến nội dung chính",
        "Liên thông — theo dõi hồ sơ",
        "Đăng xuất",
        "English",
        "Việc của tôi",
        "Tiếp nhận",
    ]
    page.keyboard.press("Enter")  # "Tiếp nhận", the receipt form, now the page marked
    page.wait_for_url(f"{site.url}/can-bo/tiep-nhan")
    assert menu.locator("[aria-current]").all_inner_texts() == ["Tiếp nhận"]
    assert off_screen(page) == []
    page.keyboard.press("Tab")  # the skip link, then the title: the officer's home, the desk
    page.keyboard.press("Tab")
    assert focused(page) == "Liên thông — theo dõi hồ sơ"
    page.keyboard.press("Enter")
    page.wait_for_url(f"{site.url}/can-bo")
    page.close()


@pytest.mark.parametrize("signed_in", [False, True])
def test_the_frame_passes_the_accessibility_rules_on_a_phone(site: Site, signed_in: bool) -> None:
    page = site.browser.new_page(viewport=PHONE)
    if signed_in:
        page.goto(f"{site.url}/dang-nhap?back=/can-bo/khoa")
        page.locator("#token").fill(token(site, "officer", COMMUNE, COMMUNE_OFFICER))
        page.locator("#token").press("Enter")
        page.wait_for_url(f"{site.url}/can-bo/khoa")
    else:
        page.goto(f"{site.url}/dang-nhap?why=needed")
    results = Axe().run(page, context={"include": [["header"]]}, options=RULES)
    assert [v["id"] for v in results.response["violations"]] == []
    page.close()
