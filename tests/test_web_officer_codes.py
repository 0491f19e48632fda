"""The officer's pages that name a dossier in their address — the dispatch form and the scan
upload — take only codes that pass the identifier rule: anything else is refused in words before
the read models or the file store see it (a NUL had reached PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from tests.apiworld import Api, open_api
from tests.websession import SAME_SITE, csrf_meta, sign_in

BAD_CODES = ["ab\x00cd", "../../etc/passwd", "<script>alert(1)</script>", "mã-hồ-sơ"]


def in_path(code: str) -> str:
    """The code as one escaped path segment (dots too, so no client resolves `..`)."""
    return quote(code, safe="").replace(".", "%2E")


@pytest.fixture
def officer_web(database_url: str, tmp_path: Path) -> Iterator[tuple[Api, TestClient]]:
    with open_api(database_url, tmp_path) as api:
        http = TestClient(api.http.app)
        assert (
            sign_in(http, api.tokens["officer"], "/can-bo", follow_redirects=False).status_code
            == 303
        )
        http.headers.update({**SAME_SITE, "X-CSRF-Token": csrf_meta(http.get("/can-bo").text)})
        yield api, http


@pytest.mark.parametrize("code", BAD_CODES)
def test_the_dispatch_form_refuses_a_code_that_breaks_the_identifier_rule_in_words(
    officer_web: tuple[Api, TestClient], code: str
) -> None:
    _api, http = officer_web
    response = http.get("/can-bo/giao/" + in_path(code))
    assert response.status_code == 422
    assert "Mã hồ sơ không đúng dạng" in response.text


@pytest.mark.parametrize("code", BAD_CODES)
def test_the_scan_upload_refuses_a_code_that_breaks_the_identifier_rule(
    officer_web: tuple[Api, TestClient], code: str
) -> None:
    api, http = officer_web
    response = http.put(f"/can-bo/tep/{in_path(code)}/{'0' * 64}", content=b"scan")
    assert response.status_code == 422
    assert response.json()["code"] == "bad-identifier"
    assert api.services.files.query("SELECT count(*) FROM lienthong_files")[0][0] == 0
