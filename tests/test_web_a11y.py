"""Every page passes axe-core's WCAG 2.1 A and AA rules in Chromium (labels, names, contrast,
landmarks, language), in Vietnamese and in English, and fits a 1366×768 screen without
scrolling sideways."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.apiworld import COMMUNE, COMMUNE_OFFICER, PROVINCE, demo_code
from tests.browser import Site, open_site, token

CODE = demo_code(901)
RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with open_site(tmp_path_factory.mktemp("web-a11y"), CODE) as opened:
        yield opened


def signed_in_page(site: Site, text: str | None, lang: str) -> Any:
    context = site.browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.goto(f"{site.url}/tra-cuu?lang={lang}")
    if text is not None:
        page.goto(f"{site.url}/dang-nhap")
        page.locator("#token").fill(text)
        page.locator("form button[type=submit]").click()
    return page


def violations(page: Any) -> list[str]:
    results = Axe().run(page, options=RULES)
    return [
        f"{v['id']}: {v['help']} — {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
    ]


PAGES = {
    None: ["/tra-cuu", "/xac-minh", f"/xac-minh/{CODE}", "/dang-nhap"],
    "inspector": [
        "/giam-sat",
        "/giam-sat/ban-do",
        "/giam-sat/ket-qua?result=early",
        "/giam-sat/giu",
        f"/ho-so/{CODE}",
    ],
    "officer": [
        "/can-bo",
        "/can-bo/khoa",
        "/can-bo/tiep-nhan",
        f"/can-bo/giao/{CODE}",
        f"/can-bo/bien-nhan/{CODE}",
    ],
    "registrar": ["/quan-tri/khoa"],
}
WIDTH = 1366


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("role", list(PAGES))
def test_every_page_passes_the_accessibility_rules(site: Site, role: str | None, lang: str) -> None:
    text = None
    if role == "inspector":
        text = token(site, "inspector", PROVINCE)
    elif role == "officer":
        text = token(site, "officer", COMMUNE, COMMUNE_OFFICER)
    elif role == "registrar":
        text = token(site, "registrar")
    page = signed_in_page(site, text, lang)
    found = {}
    for path in PAGES[role]:
        response = page.goto(f"{site.url}{path}")
        found[path] = violations(page)
        if response.status != 200:
            found[path].append(f"answered {response.status}")
        wide = page.evaluate("document.documentElement.scrollWidth")
        if wide > WIDTH:
            found[path].append(f"{wide} px wide: scrolls sideways on a {WIDTH}×768 screen")
    page.context.close()
    assert found == {path: [] for path in PAGES[role]}


def test_the_lookup_result_and_its_slip_pass_the_accessibility_rules(site: Site) -> None:
    page = signed_in_page(site, None, "vi")
    page.goto(f"{site.url}/tra-cuu")
    page.locator("#code").fill(CODE)
    page.locator("#secret").fill(site.secret)
    page.locator("form button[type=submit]").click()
    page.get_by_role("heading", level=1).wait_for()
    assert violations(page) == []
    page.context.close()


def test_the_check_does_fail_a_page_that_breaks_the_rules(site: Site) -> None:
    page = signed_in_page(site, None, "vi")
    page.set_content('<html><body><input><p style="color:#bbb">mờ</p></body></html>')
    found = " ".join(violations(page))
    for rule in ("html-has-lang", "label", "color-contrast"):
        assert rule in found
    page.context.close()


def test_every_shade_of_the_map_keeps_its_text_readable() -> None:
    from api.http.web.heatmap import _luminance, shade

    for step in range(101):
        style = shade(step / 100)
        red, green, blue = (int(c) for c in style.split("rgb(")[1].split(")")[0].split(","))
        background = _luminance((red, green, blue))
        text = 0.0 if style.endswith("#000") else 1.0
        lighter, darker = max(background, text), min(background, text)
        assert (lighter + 0.05) / (darker + 0.05) >= 4.5, style
