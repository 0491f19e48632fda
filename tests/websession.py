"""Signing in to the pages over HTTP (no browser), the way a browser does: the sign-in form first,
for its CSRF token and the cookie it is bound to, then the form posted from this site's origin."""

from __future__ import annotations

import re

import httpx
from fastapi.testclient import TestClient

ORIGIN = "http://testserver"  # TestClient's own: the pages' origin in these tests
SAME_SITE = {"Origin": ORIGIN}
_CSRF_FIELD = re.compile(r'<input type="hidden" name="csrf" value="([^"]*)">')
_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]*)">')


def csrf_field(html: str) -> str:
    """The CSRF token of the (first) form on a page."""
    found = _CSRF_FIELD.search(html)
    assert found is not None, "the page has no form with a CSRF token"
    return found.group(1)


def csrf_meta(html: str) -> str:
    """The CSRF token a page gives its scripts."""
    found = _CSRF_META.search(html)
    assert found is not None, "the page gives its scripts no CSRF token"
    return found.group(1)


def sign_in(
    http: TestClient, token: str, back: str = "/giam-sat", follow_redirects: bool = True
) -> httpx.Response:
    """Sign `http` in with `token`; the answer to the form (303 to `back`, or followed)."""
    form = http.get("/dang-nhap", params={"back": back})
    assert form.status_code == 200, form.text
    response: httpx.Response = http.post(
        "/dang-nhap",
        data={"token": token, "back": back, "csrf": csrf_field(form.text)},
        headers=SAME_SITE,
        follow_redirects=follow_redirects,
    )
    return response
