"""The citizen's rating on the lookup's answer, in a real browser: offered once the dossier is
decided, five labelled choices used with the keyboard alone, the accessibility rules kept, and
once it is sent the thanks in place of the form."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from api.client import Client
from ledger.simulation.demo import demo_key
from ledger.statements.signing import SigningKey
from tests.apiworld import DOCUMENT, FILES, PROVINCE, PROVINCE_OFFICER, demo_code
from tests.browser import Site, open_site, token

CODE = demo_code(951)
RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
DECISION = {"outcome": "approved", "reference": "QĐ 12/QĐ-UBND", "documents": []}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with open_site(tmp_path_factory.mktemp("web-rating"), CODE) as opened:
        yield opened


def decide(site: Site) -> None:
    """The commune sends the dossier to the province, which takes it and decides."""
    commune_token = token(site, "officer", site.commune_key.office, site.commune_key.officer)
    province_token = token(site, "officer", PROVINCE, PROVINCE_OFFICER)
    province_key = SigningKey(demo_key(PROVINCE_OFFICER).private, PROVINCE_OFFICER, PROVINCE)
    commune = Client(site.url, commune_token, files=FILES)
    province = Client(site.url, province_token, files=FILES)
    try:
        sent = commune.record(
            site.commune_key,
            "handover.dispatched",
            CODE,
            {"to": PROVINCE, "purpose": "process", "documents": [DOCUMENT]},
        )
        body = {"dispatch": sent["digest"], "documents": [DOCUMENT]}
        province.record(province_key, "handover.acknowledged", CODE, body)
        province.record(province_key, "dossier.decided", CODE, DECISION)
    finally:
        commune.close()
        province.close()
    site.services.projector.catch_up()


def look_up(site: Site) -> Any:
    page = site.browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto(f"{site.url}/tra-cuu")
    page.get_by_label("Mã hồ sơ").fill(CODE)
    page.get_by_label("Mã bí mật").fill(site.secret)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    return page


def test_a_citizen_rates_a_decided_dossier_with_the_keyboard(site: Site) -> None:
    page = look_up(site)
    assert page.get_by_role("heading", name="Đánh giá mức độ hài lòng").count() == 0
    page.close()
    decide(site)
    page = look_up(site)
    form = page.get_by_role("group", name="Mức độ hài lòng")
    assert form.get_by_role("radio").count() == 5
    results = Axe().run(page, options=RULES)
    assert results.response["violations"] == []
    form.get_by_label("4 — Hài lòng").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Gửi đánh giá").press("Enter")
    assert "Đánh giá của bạn đã được ghi nhận" in page.get_by_role("status").inner_text()
    assert page.get_by_role("group", name="Mức độ hài lòng").count() == 0
    kept = site.services.ratings.rated(CODE)
    assert kept is not None
    assert kept.score == 4
    page.close()
