"""The verification page in a real browser: a bundle checked against the log's key says plainly
that it verifies, with its steps; a tampered bundle says it does not, and what failed; the QR
code's address verifies the dossier it names. Then the browser's own check (api/http/static/verify.js),
which needs no trust in the server: the same verdicts, reached in the page, against a log key the
reader may paste."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace

import pytest
from playwright.sync_api import Page

from ledger.log import bundle
from ledger.log.tlog import LogKey
from ledger.simulation.demo import DEMO_LOG_ORIGIN, demo_log_key
from tests.apiworld import demo_code
from tests.browser import Site, open_site

CODE = demo_code(601)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with open_site(tmp_path_factory.mktemp("web-verify"), CODE) as opened:
        opened.services.ledger.issue_checkpoint(demo_log_key())
        yield opened


def exported(site: Site) -> bytes:
    return bundle.export(site.services.ledger, CODE).encode()


def tampered(site: Site) -> bytes:
    """The bundle with one bit of the dossier's last statement flipped."""
    decoded = bundle.Bundle.decode(exported(site))
    last = decoded.entries[-1]
    forged = bytearray(last.statement)
    forged[-5] ^= 0x01
    changed = replace(
        decoded, entries=(*decoded.entries[:-1], replace(last, statement=bytes(forged)))
    )
    return changed.encode()


def upload(site: Site, data: bytes) -> object:
    page = site.browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto(f"{site.url}/xac-minh")
    page.get_by_label("Tệp gói kiểm toán").set_input_files(
        files=[{"name": "ho-so.bundle", "mimeType": "application/msgpack", "buffer": data}]
    )
    page.get_by_role("button", name="Xác minh").click()
    return page


def test_a_sound_bundle_verifies_and_shows_its_steps(site: Site) -> None:
    page = upload(site, exported(site))
    status = page.locator("p.verified").inner_text()
    assert f"Hồ sơ {CODE} được xác minh" in status
    rows = page.locator("tbody tr")
    assert rows.count() == 1
    assert "Tiếp nhận hồ sơ" in rows.first.inner_text()
    assert rows.first.inner_text().rstrip().endswith("đúng")
    # how it was checked, and the log's key, wait behind the verdict's technical details
    assert demo_log_key().verifier.line() not in page.locator("main").inner_text()
    page.locator("details.technical summary").click()
    assert demo_log_key().verifier.line() in page.locator("main").inner_text()
    page.close()


def test_a_tampered_bundle_is_rejected_and_says_what_failed(site: Site) -> None:
    page = upload(site, tampered(site))
    assert f"KHÔNG xác minh được hồ sơ {CODE}" in page.get_by_role("alert").inner_text()
    page.get_by_text("Lý do", exact=True).click()  # what failed, behind the plain verdict
    alert = page.get_by_role("alert").inner_text()
    assert "not in the log at this checkpoint" in alert
    assert page.locator("p.verified").count() == 0
    page.close()


def test_a_file_that_is_not_a_bundle_is_named_as_such(site: Site) -> None:
    page = upload(site, b"%PDF-1.7 a scan, not a bundle")
    assert "không phải là gói kiểm toán" in page.get_by_role("alert").inner_text()
    # the browser's check still starts from the log's key, on every answer of the page
    assert page.locator("#browser-key").input_value() == demo_log_key().verifier.line()
    page.close()


def test_the_address_of_the_slips_qr_code_verifies_its_dossier(site: Site) -> None:
    page = site.browser.new_page()
    page.goto(f"{site.url}/xac-minh/{CODE}?lang=en")
    assert f"Dossier {CODE} verifies" in page.locator("p.verified").inner_text()
    assert "Dossier received" in page.locator("tbody").inner_text()
    missing = page.goto(f"{site.url}/xac-minh/000.66.29.H59-250708-0699")
    assert missing is not None
    assert missing.status == 404
    page.close()


def technical(page: Page) -> None:
    """Open the verdict's technical details, where the browser's own check is, if there is a
    verdict (without one, the check is in plain view)."""
    details = page.locator("details.technical")
    if details.count() and details.get_attribute("open") is None:
        details.locator("summary").click()


def browser_verdict(page: Page) -> str:
    """Press the browser's own check and wait for its verdict (not the "checking" line)."""
    technical(page)
    page.get_by_role("button", name="Kiểm tra trong trình duyệt").click()
    verdict = page.locator("#browser-result .verified, #browser-result .problem")
    verdict.wait_for()
    return verdict.inner_text()


def test_the_browser_checks_the_dossiers_bundle_itself_and_it_verifies(site: Site) -> None:
    page = site.browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto(f"{site.url}/xac-minh/{CODE}")
    assert page.get_by_label("Khóa công khai của sổ cái để kiểm tra").input_value() == (
        demo_log_key().verifier.line()
    )
    said = browser_verdict(page)
    assert "Trình duyệt đã tự kiểm tra" in said
    assert f"của hồ sơ {CODE}" in said
    assert page.locator("#browser-result .verified").count() == 1
    page.close()


def test_the_browser_rejects_a_tampered_file_without_sending_it(site: Site) -> None:
    page = site.browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto(f"{site.url}/xac-minh?lang=en")
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url))
    page.get_by_label("Audit bundle file").set_input_files(
        files=[
            {"name": "ho-so.bundle", "mimeType": "application/msgpack", "buffer": tampered(site)}
        ]
    )
    page.get_by_role("button", name="Check in this browser").click()
    verdict = page.locator("#browser-result .problem")
    verdict.wait_for()
    said = verdict.inner_text()
    assert "This browser could NOT verify this bundle" in said
    assert "its Merkle proof does not lead to the checkpoint's root" in said
    assert "the statement's signature does not hold" in said
    assert sent == []  # checked where it is, not uploaded
    page.close()


def test_the_browser_refuses_a_checkpoint_not_signed_by_the_key_it_was_given(site: Site) -> None:
    other = LogKey.from_seed(DEMO_LOG_ORIGIN, hashlib.sha256(b"another log's key").digest())
    page = site.browser.new_page()
    page.goto(f"{site.url}/xac-minh/{CODE}")
    technical(page)
    page.get_by_label("Khóa công khai của sổ cái để kiểm tra").fill(other.verifier.line())
    said = browser_verdict(page)
    assert "Trình duyệt KHÔNG xác minh được gói này" in said
    assert f"Checkpoint không có chữ ký của khóa {DEMO_LOG_ORIGIN}" in said
    page.get_by_label("Khóa công khai của sổ cái để kiểm tra").fill("not a key")
    assert "không đúng dạng khóa xác minh" in browser_verdict(page)
    page.close()


def test_without_a_file_or_a_dossier_the_browser_asks_for_a_file(site: Site) -> None:
    page = site.browser.new_page()
    page.goto(f"{site.url}/xac-minh")
    assert "Hãy chọn một tệp gói kiểm toán ở trên." in browser_verdict(page)
    page.close()


def test_the_dossiers_bundle_downloads_as_a_file(site: Site) -> None:
    page = site.browser.new_page()
    got = page.request.get(f"{site.url}/xac-minh/tai/{CODE}")
    assert got.status == 200
    assert got.headers["content-disposition"] == f'attachment; filename="{CODE}.bundle"'
    assert got.body() == exported(site)
    missing = page.request.get(f"{site.url}/xac-minh/tai/000.66.29.H59-250708-0699")
    assert missing.status == 404
    page.close()
