"""The citizen on a phone (390×844, touch), in a real Chromium: looks a dossier up typing its code in
lower case, reads its status, "Còn N ngày làm việc" and where to collect the result, with labels
above values and nothing to scroll sideways, and no officer id anywhere; opens the verification
page from the slip and reads its plain verdict first; and the dossier's page, printed, is the
control slip alone — its issuing office, QR code and the lines for "Người giao" and "Người nhận".
The pages pass the accessibility rules at that width.

Its own small scenario on the demo's registry: one dossier received at the commune through the
API, its code made by the circular's rule for the commune and the day."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from api.client import Client
from api.http.app import create_app
from api.http.services import Services
from api.texts import days_left_text
from domain.instant import local_date
from ledger.clock import SimulatedClock
from ledger.statements.signing import SigningKey
from ledger.views.durations import days_left
from tests.apiworld import (
    APPLICANT,
    COMMUNE,
    COMMUNE_OFFICER,
    FILES,
    PROVINCE,
    RECEIVED_BODY,
    demo_database,
    settings_for,
)
from tests.browser import chromium, live

PHONE = {"width": 390, "height": 844}
RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@dataclass
class Town:
    url: str
    services: Services
    clock: SimulatedClock
    browser: Any
    code: str
    secret: str


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Town]:
    directory: Path = tmp_path_factory.mktemp("citizen-phone")
    database = f"sqlite:///{directory / 'ledger.db'}"
    recorded = demo_database(database, directory)
    app = create_app(settings_for(database, directory), clock=recorded.clock)
    with chromium() as browser, live(app) as url:
        services: Services = app.state.services
        demo = recorded.bind(services)
        clock = recorded.clock
        day = local_date(clock.now())
        agency = services.ledger.office(COMMUNE).code_agency_on(day)
        code = f"{agency}-{day:%y%m%d}-0901"
        _record, token = services.tokens.create(
            "officer", office=COMMUNE, officer=COMMUNE_OFFICER, now=clock.now(), valid_seconds=86400
        )
        signer = demo.officers[COMMUNE_OFFICER]
        key = SigningKey(signer.key.private, COMMUNE_OFFICER, signer.office)
        client = Client(url, token, files=FILES)
        try:
            receipt = client.record(key, "dossier.received", code, RECEIVED_BODY, applicant=APPLICANT)
        finally:
            client.close()
        yield Town(url, services, clock, browser, code, receipt["receipt_secret"])


def phone(town: Town) -> Any:
    context = town.browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    return context.new_page()


def scrolls_sideways(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth > window.innerWidth"))


def violations(page: Any) -> list[str]:
    results = Axe().run(page, options=RULES)
    return [f"{v['id']}: {[n['target'] for n in v['nodes']]}" for v in results.response["violations"]]


def looked_up(town: Town) -> Any:
    """The citizen's answer, the code typed in lower case and the secret as printed."""
    page = phone(town)
    page.goto(f"{town.url}/tra-cuu?lang=vi")
    assert not scrolls_sideways(page)
    page.get_by_label("Mã hồ sơ").fill(town.code.lower())
    page.get_by_label("Mã bí mật").fill(town.secret)
    with page.expect_navigation():
        page.get_by_role("button", name="Tra cứu").tap()
    return page


def test_a_citizen_reads_on_a_phone_how_many_working_days_are_left(town: Town) -> None:
    page = looked_up(town)
    assert page.get_by_role("heading", level=1).inner_text() == f"Hồ sơ {town.code}"
    location = town.services.views().location(town.code)
    assert location is not None
    left = days_left(town.services.calendar, town.clock.now(), location.appointed)
    said = days_left_text(left, "vi")
    facts = page.locator("dl.facts")
    assert facts.get_by_text(said[:1].upper() + said[1:], exact=True).is_visible()
    office = town.services.ledger.office(COMMUNE).name_on(local_date(town.clock.now()))
    assert facts.get_by_text(f"Bộ phận Một cửa — {office}", exact=True).is_visible()
    assert "Đang được xử lý" in facts.inner_text()
    # labels above values: each label's box is above its value's, not beside it
    label = facts.get_by_text("Nơi nhận kết quả", exact=True).bounding_box()
    value = facts.get_by_text(f"Bộ phận Một cửa — {office}", exact=True).bounding_box()
    assert value["y"] >= label["y"] + label["height"] - 1
    assert abs(value["x"] - label["x"]) < 2
    assert not scrolls_sideways(page)
    assert COMMUNE_OFFICER not in page.content()  # no officer id, not even in the markup
    assert RECEIVED_BODY["procedure"] not in page.content()  # nor the procedure's key
    # the slip below reads as cards on the phone: each cell headed by its column's name
    slip = page.get_by_role("region", name="Phiếu kiểm soát quá trình giải quyết hồ sơ")
    first = slip.locator("tbody td").first
    assert first.evaluate("cell => getComputedStyle(cell, '::before').content") == '"Tên cơ quan"'
    assert violations(page) == []
    page.context.close()


def test_the_verification_page_s_verdict_is_the_first_thing_read(town: Town) -> None:
    page = looked_up(town)
    slip = page.get_by_role("region", name="Phiếu kiểm soát quá trình giải quyết hồ sơ")
    with page.expect_navigation():
        slip.locator("figcaption a").tap()
    assert page.url.endswith(f"/xac-minh/{town.code}")
    text = page.locator("main").inner_text()
    heading = "Xác minh hồ sơ"
    assert text.startswith(heading)
    first = text[len(heading) :].strip().splitlines()[0]
    assert first.startswith(f"✔ Hồ sơ {town.code} được xác minh:")
    for technical in ("bản khai", "Merkle", ".bundle", "checkpoint"):
        assert technical not in first
    # the technical details wait behind their summary, and open when asked
    details = page.locator("details.technical")
    assert not page.get_by_label("Tệp gói kiểm toán (.bundle)").is_visible()
    details.locator("summary").tap()
    assert page.get_by_label("Tệp gói kiểm toán (.bundle)").is_visible()
    assert "bản khai" in details.inner_text()
    assert not scrolls_sideways(page)
    assert violations(page) == []
    page.context.close()


def test_printing_the_dossier_s_page_prints_the_slip_alone(town: Town) -> None:
    context = town.browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    inspector = town.services.tokens.create(
        "inspector", office=PROVINCE, now=town.clock.now(), valid_seconds=86400
    )[1]
    page.goto(f"{town.url}/dang-nhap?lang=vi")
    page.locator("#token").fill(inspector)
    page.locator("form button[type=submit]").click()
    page.goto(f"{town.url}/ho-so/{town.code}")
    heading = page.get_by_role("heading", level=1)
    timeline = page.locator("table.steps")
    assert heading.is_visible()
    assert timeline.is_visible()
    page.emulate_media(media="print")
    slip = page.locator("section.slip")
    assert slip.is_visible()
    for hidden in (heading, timeline, page.locator("body > header"), page.locator("[data-print]")):
        assert not hidden.is_visible()
    assert page.get_by_role("link", name="Xác minh hồ sơ", exact=True).is_hidden()
    office = town.services.ledger.office(COMMUNE).name_on(local_date(town.clock.now()))
    assert slip.locator(".slip-issuer").inner_text().upper().startswith(office.upper())
    assert slip.locator("figure.qr svg").is_visible()
    signers = slip.locator(".signers").first
    assert signers.get_by_text("Người giao", exact=False).is_visible()
    assert signers.get_by_text("Người nhận", exact=False).is_visible()
    room = signers.locator(".sign").first.bounding_box()
    assert room["height"] >= 40  # room to sign on paper
    context.close()
