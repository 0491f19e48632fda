"""The browser's own check of a bundle (api/http/static/verify.js) applies the revocation rule in log
order, as the server's replay does: the bundle vector of tests/golden/bundles.json whose entry was
recorded after its key's revocation is refused in the page, in the page's words (Vietnamese
first, English on request), naming the entry and the revocation; the vector whose key was revoked
after its entries verifies. The vectors are checked against their own log key, pasted in the
key field, as a reader checks a bundle from another server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.apiworld import demo_code
from tests.browser import Site, open_site

CODE = demo_code(611)
VECTORS = json.loads((Path(__file__).parent / "golden" / "bundles.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with open_site(tmp_path_factory.mktemp("web-verify-revocation"), CODE) as opened:
        yield opened


def check_in_the_browser(site: Site, vector: dict[str, Any], lang: str) -> tuple[Page, str]:
    """Choose the vector's file, paste its log key, and press the browser's own check."""
    page = site.browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto(f"{site.url}/xac-minh?lang={lang}")
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url))
    page.locator("#file").set_input_files(
        files=[
            {
                "name": "ho-so.bundle",
                "mimeType": "application/msgpack",
                "buffer": bytes.fromhex(vector["bundle"]),
            }
        ]
    )
    page.locator("#browser-key").fill(VECTORS["log_key"])
    page.locator("#browser-run").click()
    verdict = page.locator("#browser-result .verified, #browser-result .problem")
    verdict.wait_for()
    assert sent == []  # checked where it is, not uploaded
    return page, verdict.inner_text()


def test_the_browser_refuses_an_entry_signed_after_its_keys_revocation_in_vietnamese(
    site: Site,
) -> None:
    revoked = VECTORS["revoked"]
    page, said = check_in_the_browser(site, revoked, "vi")

    assert "Trình duyệt KHÔNG xác minh được gói này" in said
    assert (
        f"Mục ở vị trí {revoked['entry']}: khóa ký {revoked['key']} đã bị thu hồi (việc thu hồi "
        f"được ghi ở vị trí {revoked['revocation']}); không bản khai nào ký bằng khóa này được "
        f"chấp nhận nữa, bất kể ngày ghi trên bản khai."
    ) in said
    assert page.locator("#browser-result .verified").count() == 0
    page.close()


def test_the_browser_says_it_in_english_with_the_servers_words(site: Site) -> None:
    revoked = VECTORS["revoked"]
    page, said = check_in_the_browser(site, revoked, "en")

    assert (
        f"Entry at position {revoked['entry']}: the signing key {revoked['key']} was revoked"
    ) in said
    assert "nothing signed with it is accepted any more, whatever its date" in said
    page.close()


def test_the_browser_verifies_a_bundle_whose_key_was_revoked_after_its_entries(
    site: Site,
) -> None:
    page, said = check_in_the_browser(site, VECTORS["sound"], "vi")

    assert "Trình duyệt đã tự kiểm tra" in said
    assert page.locator("#browser-result .verified").count() == 1
    page.close()
