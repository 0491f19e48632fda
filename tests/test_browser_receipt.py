"""The commune's one-stop officer receives a dossier in a real browser and hands the applicant a
printed receipt: the code the server made is on the form before anything is signed, "Tiếp nhận
và ký" pressed twice records once, the officer lands on the receipt (form 01) with the receipt
secret, prints it — on paper the receipt alone — and goes on to hand the dossier over, or to
receive another one under a new code."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from typing import Any

import pytest

from domain.instant import local_date
from tests.apiworld import COMMUNE, COMMUNE_AGENCY, COMMUNE_OFFICER, demo_code
from tests.browser import Site, enrolled_officer, made_code, open_site

SCAN = b"%PDF-1.7 don de nghi, quet tai bo phan mot cua"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with open_site(tmp_path_factory.mktemp("browser-receipt"), demo_code(1201)) as opened:
        yield opened


@pytest.fixture(scope="module")
def commune(site: Site) -> Iterator[Any]:
    """The commune officer's browser: signed in, its key made there and approved; the page's
    print() only notes that it was called."""
    page = enrolled_officer(site, COMMUNE, COMMUNE_OFFICER)
    page.add_init_script("window.print = () => { window.printed = true; };")
    yield page
    page.context.close()


def test_the_officer_receives_and_hands_the_applicant_a_printed_receipt(
    site: Site, commune: Any
) -> None:
    page = commune
    page.goto(f"{site.url}/can-bo/tiep-nhan")
    code = made_code(page)  # before anything is signed
    day = local_date(site.clock.now())
    assert re.fullmatch(rf"{re.escape(COMMUNE_AGENCY)}-{day:%y%m%d}-\d{{4}}", code)
    assert page.locator("input#code").count() == 0  # no code is typed
    page.get_by_label("Thủ tục").select_option(index=0)
    page.get_by_label("Họ và tên").fill("Phạm Văn E")
    page.get_by_label("Tệp quét của giấy tờ").first.set_input_files(
        files=[{"name": "don.pdf", "mimeType": "application/pdf", "buffer": SCAN}]
    )
    submitted: list[str] = []
    page.on(
        "request", lambda r: submitted.append(r.url) if r.url.endswith("/can-bo/ky/gui") else None
    )

    page.get_by_role("button", name="Tiếp nhận và ký").dblclick()  # pressed twice
    page.wait_for_url(f"{site.url}/can-bo/bien-nhan/{code}?moi=1")

    assert len(submitted) == 1
    history = site.services.ledger.history("dossier", code)
    assert [entry.statement.kind for entry in history] == ["dossier.received"]
    assert history[0].statement.body["documents"][0]["sha256"] == hashlib.sha256(SCAN).digest()
    page.get_by_role("status").filter(has_text="Đã tiếp nhận và ký").wait_for()
    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text().lower() == "giấy tiếp nhận hồ sơ và hẹn trả kết quả"
    secret = page.locator("#secret").inner_text()
    assert site.services.applicants.check_secret(code, secret)
    receipt = page.locator("article.receipt")
    assert code in receipt.inner_text()
    assert "Phạm Văn E" in receipt.inner_text()
    assert "Bộ phận Một cửa — Xã Càng Long" in receipt.inner_text()
    assert receipt.locator("svg").count() == 1  # the QR code of the lookup

    page.emulate_media(media="print")  # on paper: the receipt alone
    assert receipt.is_visible()
    assert page.locator("#secret").is_visible()
    for other in ("body > header", "#received-note", "p.receipt-actions"):
        assert not page.locator(other).first.is_visible(), other
    page.emulate_media(media="screen")
    assert page.locator("p.receipt-actions").is_visible()
    page.get_by_role("button", name="In giấy tiếp nhận").click()
    assert page.evaluate("window.printed") is True

    page.get_by_role("link", name="Giao hồ sơ này").click()
    page.wait_for_url(f"{site.url}/can-bo/giao/{code}")

    page.goto(f"{site.url}/can-bo/bien-nhan/{code}")  # printed again later: the same secret
    assert page.locator("#secret").inner_text() == secret
    assert page.locator("#received-note").count() == 0
    page.get_by_role("link", name="Tiếp nhận hồ sơ khác").click()
    page.wait_for_url(f"{site.url}/can-bo/tiep-nhan")
    assert made_code(page) not in (code, "")  # a fresh form, under a new code


def test_an_answer_lost_on_a_bad_line_leads_to_the_same_receipt_when_pressed_again(
    site: Site, commune: Any
) -> None:
    page = commune
    page.goto(f"{site.url}/can-bo/tiep-nhan")
    code = made_code(page)
    page.get_by_label("Họ và tên").fill("Đỗ Thị G")
    page.get_by_label("Tệp quét của giấy tờ").first.set_input_files(
        files=[{"name": "don.pdf", "mimeType": "application/pdf", "buffer": SCAN}]
    )

    def recorded_then_cut(route: Any) -> None:
        route.fetch()  # the server records it …
        route.abort()  # … and the answer never arrives

    page.route("**/can-bo/ky/gui", recorded_then_cut)
    page.get_by_role("button", name="Tiếp nhận và ký").click()
    page.get_by_role("alert").filter(has_text="kết nối").wait_for()  # said in the officer's words
    page.unroute("**/can-bo/ky/gui")
    assert len(site.services.ledger.history("dossier", code)) == 1

    page.get_by_role("button", name="Tiếp nhận và ký").click()  # pressed again
    page.wait_for_url(f"{site.url}/can-bo/bien-nhan/{code}?moi=1")
    assert len(site.services.ledger.history("dossier", code)) == 1  # recorded once
    secret = page.locator("#secret").inner_text()
    assert site.services.applicants.check_secret(code, secret)  # and the secret is not lost
