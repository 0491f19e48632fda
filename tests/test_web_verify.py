"""The verification page in a real browser: a bundle checked against the log's key says plainly
that it verifies, with its steps; a tampered bundle says it does not, and what failed; the QR
code's address verifies the dossier it names."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from ledger import bundle
from ledger.demo import demo_log_key
from tests.browser import Site, open_site

CODE = "000.66.29.H59-250708-0601"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with open_site(tmp_path_factory.mktemp("web-verify"), CODE) as opened:
        opened.services.ledger.issue_checkpoint(demo_log_key())
        yield opened


def exported(site: Site) -> bytes:
    return bundle.export(site.services.ledger, CODE).encode()


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
    status = page.get_by_role("status").inner_text()
    assert f"Hồ sơ {CODE} được xác minh" in status
    rows = page.locator("tbody tr")
    assert rows.count() == 1
    assert "Tiếp nhận hồ sơ" in rows.first.inner_text()
    assert rows.first.inner_text().rstrip().endswith("đúng")
    assert demo_log_key().verifier.line() in page.locator("main").inner_text()
    page.close()


def test_a_tampered_bundle_is_rejected_and_says_what_failed(site: Site) -> None:
    data = exported(site)
    decoded = bundle.Bundle.decode(data)
    last = decoded.entries[-1]
    forged = bytearray(last.statement)
    forged[-5] ^= 0x01  # one bit of the dossier's statement
    changed = replace(
        decoded, entries=(*decoded.entries[:-1], replace(last, statement=bytes(forged)))
    )
    page = upload(site, changed.encode())
    alert = page.get_by_role("alert").inner_text()
    assert f"KHÔNG xác minh được hồ sơ {CODE}" in alert
    assert "not in the log at this checkpoint" in alert
    assert page.get_by_role("status").count() == 0
    page.close()


def test_a_file_that_is_not_a_bundle_is_named_as_such(site: Site) -> None:
    page = upload(site, b"%PDF-1.7 a scan, not a bundle")
    assert "không phải là gói kiểm toán" in page.get_by_role("alert").inner_text()
    page.close()


def test_the_address_of_the_slips_qr_code_verifies_its_dossier(site: Site) -> None:
    page = site.browser.new_page()
    page.goto(f"{site.url}/xac-minh/{CODE}?lang=en")
    assert f"Dossier {CODE} verifies" in page.get_by_role("status").inner_text()
    assert "Dossier received" in page.locator("tbody").inner_text()
    missing = page.goto(f"{site.url}/xac-minh/000.66.29.H59-250708-0699")
    assert missing is not None
    assert missing.status == 404
    page.close()
