"""The browser's own check of a bundle (api/http/static/verify.js) in Chromium, with statements signed
by certificate keys: RSA-PSS and ECDSA P-256 signatures verified by the browser's WebCrypto, and the
page saying that the certificate chains are checked by `lienthong verify-bundle`, not here —
Vietnamese first, English on request. A 1024-bit RSA key and an ECDSA P-384 key are refused by
name. The bundles are tests/js/cert-fixtures.json's (tests/js/make_cert_fixtures.py), chosen as a
file and checked against their own log key, as a reader checks a bundle from another server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.apiworld import demo_code
from tests.browser import Site, open_site

CODE = demo_code(621)
HERE = Path(__file__).parent
FIXTURES = json.loads((HERE / "js" / "cert-fixtures.json").read_text("utf-8"))
GOLDEN = json.loads((HERE / "golden" / "bundles.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with open_site(tmp_path_factory.mktemp("web-verify-certificates"), CODE) as opened:
        yield opened


def check_in_the_browser(site: Site, bundle: str, log_key: str, lang: str) -> tuple[str, str]:
    """Choose the bundle's file, paste its log key, press the browser's own check: what the
    verdict says, and the note on certificates ('' when there is none)."""
    page = site.browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto(f"{site.url}/xac-minh?lang={lang}")
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url))
    page.locator("#file").set_input_files(
        files=[
            {
                "name": "ho-so.bundle",
                "mimeType": "application/msgpack",
                "buffer": bytes.fromhex(bundle),
            }
        ]
    )
    page.locator("#browser-key").fill(log_key)
    page.locator("#browser-run").click()
    verdict = page.locator("#browser-result .verified, #browser-result .problem")
    verdict.wait_for()
    assert sent == []  # checked where it is, not uploaded
    note = page.locator("#browser-certificates")
    said = verdict.inner_text(), note.inner_text() if note.count() else ""
    page.close()
    return said


def test_certificate_signatures_verify_in_the_browser_and_it_says_the_chains_are_checked_elsewhere(
    site: Site,
) -> None:
    verdict, note = check_in_the_browser(
        site, FIXTURES["bundles"]["sound"]["bundle"], FIXTURES["log_key"], "vi"
    )

    assert "Trình duyệt đã tự kiểm tra" in verdict
    assert f"của hồ sơ {FIXTURES['dossier']}" in verdict
    assert "Số bản khai được ký bằng khóa của chứng thư số: 2." in note
    assert "Trình duyệt đã kiểm tra chữ ký của các bản khai này ngay tại đây." in note
    assert (
        "lệnh lienthong verify-bundle kiểm tra chuỗi này với các chứng thư gốc tin cậy của hệ thống"
    ) in note


def test_the_note_on_certificate_chains_in_english(site: Site) -> None:
    verdict, note = check_in_the_browser(
        site, FIXTURES["bundles"]["sound"]["bundle"], FIXTURES["log_key"], "en"
    )

    assert "Checked by this browser" in verdict
    assert "Statements signed with the key of a certificate: 2." in note
    assert "The certificate chains (up to a trust anchor, validity, revocation)" in note
    assert "lienthong verify-bundle checks them with the deployment's trust anchors" in note


def test_a_bundle_signed_with_ed25519_keys_only_says_nothing_of_certificates(site: Site) -> None:
    verdict, note = check_in_the_browser(site, GOLDEN["sound"]["bundle"], GOLDEN["log_key"], "vi")

    assert "Trình duyệt đã tự kiểm tra" in verdict
    assert note == ""


def test_an_entry_signed_with_a_1024_bit_rsa_key_is_refused_by_name(site: Site) -> None:
    weak = FIXTURES["bundles"]["weak"]
    verdict, note = check_in_the_browser(site, weak["bundle"], FIXTURES["log_key"], "vi")

    assert "Trình duyệt KHÔNG xác minh được gói này" in verdict
    assert (
        f"Mục ở vị trí {weak['size'] - 1}: khóa {weak['last_key']} là khóa RSA 1024 bit, dưới "
        f"mức tối thiểu 2048 bit, nên chữ ký của bản khai không được công nhận."
    ) in verdict
    assert "Số bản khai được ký bằng khóa của chứng thư số: 1." in note  # the RSA 2048 one


def test_an_entry_signed_with_an_unsupported_key_is_refused_by_name_in_english(
    site: Site,
) -> None:
    unsupported = FIXTURES["bundles"]["unsupported"]
    verdict, _note = check_in_the_browser(site, unsupported["bundle"], FIXTURES["log_key"], "en")

    assert "This browser could NOT verify this bundle" in verdict
    assert (
        f"Entry at position {unsupported['size'] - 1}: the key {unsupported['last_key']} is not "
        f"of a kind accepted (Ed25519, RSA of at least 2048 bits signing with RSA-PSS, or ECDSA "
        f"P-256), so the statement's signature is not accepted."
    ) in verdict
