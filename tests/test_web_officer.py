"""The officer's pages in a real browser, with a key made in that browser: enrolment shows the
fingerprint and waits for a registrar's approval; the addressee acknowledges a handover, or
refuses it with a reason, signing in the browser; and the page refuses to sign bytes that do not
say what it shows."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from typing import Any

import pytest

from api.client import Client
from ledger.statements import authoring, signing
from tests.apiworld import (
    APPLICANT,
    COMMUNE,
    COMMUNE_OFFICER,
    DOCUMENT,
    FILES,
    PROVINCE,
    PROVINCE_AGENCY,
    PROVINCE_OFFICER,
    RECEIVED_BODY,
    demo_code,
)
from tests.browser import Site, approve, made_code, open_site, token

CODE = demo_code(801)
REFUSED = demo_code(802)
FORGED = demo_code(803)
ONWARD = demo_code(804)
OFFLINE = demo_code(805)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with open_site(tmp_path_factory.mktemp("web-officer"), CODE) as opened:
        yield opened


@pytest.fixture(scope="module")
def officer_page(site: Site) -> Iterator[Any]:
    """The province officer's browser, signed in, with a key made there and approved."""
    context = site.browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.goto(f"{site.url}/can-bo/khoa")
    page.get_by_label("Mã truy cập").fill(token(site, "officer", PROVINCE, PROVINCE_OFFICER))
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_role("button", name="Tạo khóa ký trên máy này").click()
    state = page.get_by_role("status")
    state.filter(has_text="đang chờ").wait_for()
    shown = page.locator("#fingerprint").inner_text()
    (request,) = site.services.enrolments.all()
    assert shown == " ".join(request.key_id[i : i + 4] for i in range(0, 32, 4))
    registrar = context.browser.new_page()  # another browser profile: the registrar's
    registrar.goto(f"{site.url}/quan-tri/khoa")
    registrar.get_by_label("Mã truy cập").fill(token(site, "registrar"))
    registrar.get_by_role("button", name="Đăng nhập").click()
    assert request.public_key.hex() in registrar.locator("main").inner_text()
    registrar.close()
    approve(site, PROVINCE_OFFICER, request.key_id, request.public_key)
    page.reload()
    page.get_by_role("status").filter(has_text="đã được phê duyệt").wait_for()
    yield page
    context.close()


def commune_sends(site: Site, code: str) -> None:
    client = Client(site.url, token(site, "officer", COMMUNE, COMMUNE_OFFICER), files=FILES)
    try:
        if code != site.code:
            client.record(
                site.commune_key, "dossier.received", code, RECEIVED_BODY, applicant=APPLICANT
            )
        client.record(
            site.commune_key,
            "handover.dispatched",
            code,
            {"to": PROVINCE, "purpose": "process", "documents": [DOCUMENT]},
        )
    finally:
        client.close()


def handover(page: Any, code: str) -> Any:
    return page.locator("form.handover").filter(has_text=code)


def last(site: Site, code: str) -> Any:
    return site.services.ledger.history("dossier", code)[-1].statement


def test_the_addressee_acknowledges_with_the_key_made_in_its_browser(
    site: Site, officer_page: Any
) -> None:
    commune_sends(site, CODE)
    page = officer_page
    page.goto(f"{site.url}/can-bo")
    form = handover(page, CODE)
    assert "Xã Càng Long" in form.locator("h3").inner_text()
    assert not form.get_by_label("Đơn đề nghị").is_checked()  # the officer ticks what arrived
    form.get_by_label("Đơn đề nghị").check()
    form.get_by_role("button", name="Nhận hồ sơ và ký").click()
    page.get_by_role("link", name=CODE, exact=True).wait_for()  # now among those it holds
    assert handover(page, CODE).count() == 0
    statement = last(site, CODE)
    (request,) = site.services.enrolments.all()
    assert (statement.kind, statement.office, statement.officer, statement.key) == (
        "handover.acknowledged",
        PROVINCE,
        PROVINCE_OFFICER,
        request.key_id,
    )
    assert [d["name"] for d in statement.body["documents"]] == ["Đơn đề nghị"]


def test_a_lost_connection_is_said_in_words_and_pressing_again_records_once(
    site: Site, officer_page: Any
) -> None:
    commune_sends(site, OFFLINE)
    page = officer_page
    page.goto(f"{site.url}/can-bo")
    form = handover(page, OFFLINE)
    page.context.set_offline(True)
    try:
        form.get_by_role("button", name="Nhận hồ sơ và ký").click()
        said = form.get_by_role("alert")
        said.filter(has_text="mất kết nối").wait_for()
        assert said.inner_text().startswith("Không gửi được: mất kết nối với máy chủ.")
        assert last(site, OFFLINE).kind == "handover.dispatched"  # nothing reached the server
    finally:
        page.context.set_offline(False)
    form.get_by_role("button", name="Nhận hồ sơ và ký").click()
    page.get_by_role("link", name=OFFLINE, exact=True).wait_for()  # now among those it holds
    kinds = [entry.statement.kind for entry in site.services.ledger.history("dossier", OFFLINE)]
    assert kinds == ["dossier.received", "handover.dispatched", "handover.acknowledged"]


def test_the_addressee_refuses_with_a_reason_and_signs_it(site: Site, officer_page: Any) -> None:
    commune_sends(site, REFUSED)
    page = officer_page
    page.goto(f"{site.url}/can-bo")
    form = handover(page, REFUSED)
    form.get_by_role("button", name="Từ chối nhận và ký").click()
    assert form.get_by_role("alert").inner_text() == "Hãy ghi lý do từ chối."
    assert last(site, REFUSED).kind == "handover.dispatched"  # nothing signed without a reason
    form.get_by_label("Lý do từ chối").fill("Thiếu bản chụp CCCD")
    form.get_by_role("button", name="Từ chối nhận và ký").click()
    page.get_by_text("Không có hồ sơ nào đang chuyển đến.").wait_for()
    statement = last(site, REFUSED)
    assert (statement.kind, statement.body["reason"]) == (
        "handover.rejected",
        "Thiếu bản chụp CCCD",
    )


def test_the_page_refuses_to_sign_bytes_that_say_something_else(
    site: Site, officer_page: Any
) -> None:
    commune_sends(site, FORGED)
    page = officer_page
    page.goto(f"{site.url}/can-bo")
    (request,) = site.services.enrolments.all()
    dispatch = site.services.views().legs(FORGED)[-1].dispatch
    forged = authoring.prepare(  # what a compromised server might ask the officer to sign
        site.services.ledger,
        "handover.acknowledged",
        FORGED,
        {"dispatch": dispatch, "documents": []},  # "nothing arrived"
        office=PROVINCE,
        officer=PROVINCE_OFFICER,
        key=request.key_id,
    )
    page.route(
        "**/can-bo/ky/chuan-bi",
        lambda route: route.fulfill(json={"statement": base64.b64encode(forged).decode()}),
    )
    before = len(site.services.ledger.history("dossier", FORGED))
    form = handover(page, FORGED)
    form.get_by_label("Đơn đề nghị").check()  # the officer saw it arrive; the bytes say it did not
    form.get_by_role("button", name="Nhận hồ sơ và ký").click()
    alert = form.get_by_role("alert")
    alert.wait_for()
    assert "KHÔNG KÝ" in alert.inner_text()
    assert "statement.body.documents" in alert.inner_text()
    page.unroute("**/can-bo/ky/chuan-bi")
    assert len(site.services.ledger.history("dossier", FORGED)) == before
    assert signing.statement_hash(forged) not in {
        signing.statement_hash(e.raw) for e in site.services.ledger.history("dossier", FORGED)
    }


def test_the_holder_hands_the_dossier_on_to_an_office_chosen_from_todays_tree(
    site: Site, officer_page: Any
) -> None:
    commune_sends(site, ONWARD)
    page = officer_page
    page.goto(f"{site.url}/can-bo")
    handover(page, ONWARD).get_by_label("Đơn đề nghị").check()
    handover(page, ONWARD).get_by_role("button", name="Nhận hồ sơ và ký").click()
    page.get_by_role("link", name=f"Giao {ONWARD}").click()
    assert page.get_by_role("heading", level=1).inner_text() == f"Giao hồ sơ {ONWARD}"
    addressee = page.get_by_label("Giao cho cơ quan")
    names = addressee.locator("option").all_inner_texts()
    assert any(name.endswith("Xã Càng Long") for name in names)
    assert not any("Huyện Càng Long" in name for name in names)  # dissolved on 1/7/2025
    addressee.select_option(COMMUNE)
    page.get_by_label("Mục đích").select_option("return")
    page.get_by_role("button", name="Giao hồ sơ và ký").click()
    page.wait_for_url(re.compile(r"/can-bo\?da-giao="))
    statement = last(site, ONWARD)
    (request,) = site.services.enrolments.all()
    assert (statement.kind, statement.body["to"], statement.body["purpose"], statement.key) == (
        "handover.dispatched",
        COMMUNE,
        "return",
        request.key_id,
    )
    assert [d["name"] for d in statement.body["documents"]] == ["Đơn đề nghị"]


def test_a_receipt_in_the_browser_uploads_the_scan_and_keeps_the_applicant_off_the_log(
    site: Site, officer_page: Any
) -> None:
    scan = b"%PDF-1.7 don de nghi (scan)"
    page = officer_page
    page.goto(f"{site.url}/can-bo")
    page.get_by_role("link", name="Tiếp nhận hồ sơ mới").click()
    code = made_code(page)  # the province's code, made by the server
    assert code.startswith(f"{PROVINCE_AGENCY}-")
    procedure = page.get_by_label("Thủ tục")
    procedure.select_option(index=0)
    assert "Ngày hẹn trả theo quy định" in page.locator("#appointed").inner_text()
    page.get_by_label("Họ và tên").fill("Nguyễn Văn C")
    page.get_by_label("Số định danh cá nhân / CCCD").fill("084190000099")
    page.get_by_label("Tệp quét của giấy tờ").first.set_input_files(
        files=[{"name": "don.pdf", "mimeType": "application/pdf", "buffer": scan}]
    )
    page.get_by_role("button", name="Tiếp nhận và ký").click()
    page.wait_for_url(re.compile(r"/can-bo/bien-nhan/"))  # the receipt, with the secret
    secret = page.locator("#secret").inner_text()
    statement = last(site, code)
    (request,) = site.services.enrolments.all()
    assert (statement.kind, statement.office, statement.key) == (
        "dossier.received",
        PROVINCE,
        request.key_id,
    )
    assert statement.body["documents"] == [
        {"name": "Đơn đề nghị", "sha256": hashlib.sha256(scan).digest()}
    ]
    raw = site.services.ledger.history("dossier", code)[-1].raw
    assert b"Nguy" not in raw  # personal data stays off the log
    assert b"084190000099" not in raw
    assert site.services.applicants.read(code).details["full_name"] == "Nguyễn Văn C"
    assert b"".join(site.services.files.open(code, hashlib.sha256(scan).digest())) == scan
    assert site.services.applicants.check_secret(code, secret)
