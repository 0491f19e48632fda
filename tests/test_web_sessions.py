"""Signing in to the pages, over HTTP: a server-side session whose id alone is in the cookie, ended
by signing out, by idleness, by age and with its token; every request that could change something
proves it came from this site's own pages (Origin and a CSRF token), signing in included; and the
security headers on every answer. The attacks are other sites' forms and scripts: they are made
here as a browser would send them, with the victim's cookies.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.http.headers import POLICY
from ledger.stores.sessions import MICROS, SessionEnded, SessionStore, digest
from ledger.stores.tokens import TokenStore
from tests.apiworld import Api, open_api
from tests.websession import SAME_SITE, csrf_field, csrf_meta, sign_in

EVIL = {"Origin": "https://evil.example"}
PAGE = "/giam-sat"  # an inspector's page


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    with open_api(f"sqlite:///{tmp_path / 'ledger.db'}", tmp_path) as opened:
        yield opened


def browser(api: Api) -> TestClient:
    """A browser of its own on the app (its own cookies)."""
    return TestClient(api.http.app)


def signed_in(api: Api, role: str = "inspector") -> TestClient:
    http = browser(api)
    assert sign_in(http, api.tokens[role], PAGE, follow_redirects=False).status_code == 303
    return http


def session_rows(api: Api) -> list[tuple[bytes, str]]:
    rows = api.services.tokens.database.query("SELECT digest, token FROM lienthong_sessions")
    return [(bytes(row[0]), str(row[1])) for row in rows]


def is_sign_in(response: httpx.Response) -> bool:
    return response.status_code == 303 and response.headers["location"].startswith("/dang-nhap")


# --- sessions ----------------------------------------------------------------------------------


def test_the_cookie_holds_a_fresh_session_id_and_never_the_token(api: Api) -> None:
    http = browser(api)
    token = api.tokens["inspector"]
    answer = sign_in(http, token, PAGE, follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, PAGE)
    (set_cookie,) = [h for h in answer.headers.get_list("set-cookie") if "lienthong_session" in h]
    session_id = http.cookies["lienthong_session"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", session_id)  # 256 random bits
    assert token not in set_cookie
    assert session_id not in token
    attributes = {part.strip().lower() for part in set_cookie.split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/"} <= attributes
    assert "secure" not in attributes  # plain http here; https sets it
    token_id = token.split("_")[1]
    assert session_rows(api) == [(digest(session_id), token_id)]  # kept hashed, with its token


def test_over_https_the_session_cookie_is_secure(api: Api) -> None:
    http = TestClient(api.http.app, base_url="https://testserver")
    form = http.get("/dang-nhap")
    answer = http.post(
        "/dang-nhap",
        data={"token": api.tokens["inspector"], "back": PAGE, "csrf": csrf_field(form.text)},
        headers={"Origin": "https://testserver"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    (set_cookie,) = [h for h in answer.headers.get_list("set-cookie") if "lienthong_session" in h]
    assert "secure" in {part.strip().lower() for part in set_cookie.split(";")}


def test_signing_out_revokes_the_session_so_the_old_cookie_is_refused(api: Api) -> None:
    http = signed_in(api)
    old = http.cookies["lienthong_session"]
    page = http.get(PAGE)
    assert page.status_code == 200
    out = http.post(
        "/dang-xuat",
        data={"csrf": csrf_field(page.text)},
        headers=SAME_SITE,
        follow_redirects=False,
    )
    assert is_sign_in(out)
    replayed = browser(api)  # a copy of the cookie, kept by whoever had it
    replayed.cookies.set("lienthong_session", old, domain="testserver.local")
    assert is_sign_in(replayed.get(PAGE, follow_redirects=False))


def test_a_revoked_token_ends_its_sessions(api: Api) -> None:
    http = signed_in(api)
    assert http.get(PAGE).status_code == 200
    api.services.tokens.revoke(api.tokens["inspector"].split("_")[1], api.clock.now())
    assert is_sign_in(http.get(PAGE, follow_redirects=False))


def test_an_expired_token_ends_its_sessions(api: Api) -> None:
    _record, token = api.services.tokens.create(
        "inspector", office="86", now=api.clock.now(), valid_seconds=3600
    )
    http = browser(api)
    assert sign_in(http, token, PAGE).status_code == 200
    api.clock.advance(3599)
    assert http.get(PAGE, follow_redirects=False).status_code == 200
    api.clock.advance(1)
    assert is_sign_in(http.get(PAGE, follow_redirects=False))


def test_a_session_unused_for_twelve_hours_has_ended_while_one_in_use_goes_on(api: Api) -> None:
    http = signed_in(api)
    for _ in range(3):  # used every 11 hours: still in force after 33
        api.clock.advance(11 * 3600)
        assert http.get(PAGE, follow_redirects=False).status_code == 200
    api.clock.advance(12 * 3600)
    assert is_sign_in(http.get(PAGE, follow_redirects=False))


def test_no_session_outlives_a_week_however_often_it_is_used(api: Api) -> None:
    http = signed_in(api)
    answers = []
    for _ in range(16):  # 176 hours, used every 11
        api.clock.advance(11 * 3600)
        answers.append(http.get(PAGE, follow_redirects=False).status_code)
    assert answers == [200] * 15 + [303]  # 165 h in force; 176 h past the week's 168


# --- another site's forms and scripts ------------------------------------------------------


def test_refuses_a_sign_in_posted_from_another_site(api: Api) -> None:
    # login CSRF: the attacker's page posts the attacker's token into the victim's browser
    victim = browser(api)
    attack = victim.post(
        "/dang-nhap",
        data={"token": api.tokens["inspector"], "back": PAGE},
        headers=EVIL,
        follow_redirects=False,
    )
    assert attack.status_code == 403
    assert "lienthong_session" not in victim.cookies
    # even with a sign-in form's token and cookie the attacker fetched into the victim's browser
    form = victim.get("/dang-nhap")
    attack = victim.post(
        "/dang-nhap",
        data={"token": api.tokens["inspector"], "back": PAGE, "csrf": csrf_field(form.text)},
        headers=EVIL,
        follow_redirects=False,
    )
    assert attack.status_code == 403
    assert "lienthong_session" not in victim.cookies
    assert session_rows(api) == []


def test_refuses_a_sign_in_without_its_forms_token_bound_to_this_browser(api: Api) -> None:
    victim, attacker = browser(api), browser(api)
    victims_form, attackers_form = victim.get("/dang-nhap"), attacker.get("/dang-nhap")
    data = {"token": api.tokens["inspector"], "back": PAGE}
    for sent in ({}, {"csrf": "x" * 43}, {"csrf": csrf_field(attackers_form.text)}):
        answer = victim.post("/dang-nhap", data={**data, **sent}, headers=SAME_SITE)
        assert answer.status_code == 403, sent
    token = {"csrf": csrf_field(victims_form.text)}
    unsaid = victim.post("/dang-nhap", data={**data, **token})  # neither Origin nor Referer
    assert unsaid.status_code == 403
    assert session_rows(api) == []
    referred = victim.post(
        "/dang-nhap",
        data={**data, **token},
        headers={"Referer": "http://testserver/dang-nhap?back=%2Fgiam-sat"},
        follow_redirects=False,
    )
    assert (referred.status_code, referred.headers["location"]) == (303, PAGE)


def test_a_refused_form_is_answered_in_words_with_a_fresh_sign_in_form(api: Api) -> None:
    victim = browser(api)
    answer = victim.post("/dang-nhap", data={"token": api.tokens["inspector"]}, headers=EVIL)
    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("text/html")
    assert "được gửi từ một trang khác" in answer.text
    retry = victim.post(
        "/dang-nhap",
        data={"token": api.tokens["inspector"], "back": PAGE, "csrf": csrf_field(answer.text)},
        headers=SAME_SITE,
    )
    assert retry.status_code == 200  # the fresh form signs in


def test_refuses_a_cross_site_request_to_an_officers_form(api: Api) -> None:
    officer = signed_in(api, "officer")
    page = officer.get("/can-bo/khoa")
    token = {"X-CSRF-Token": csrf_meta(page.text)}
    wanted = {"public_key": "11" * 32}
    for headers in ({**EVIL, **token}, EVIL, SAME_SITE, {**SAME_SITE, "X-CSRF-Token": "x" * 43}):
        refused = officer.post("/can-bo/khoa", json=wanted, headers=headers)
        assert refused.status_code == 403, headers
        assert refused.json()["code"] == "cross-site-refused"
    upload = officer.put(f"/can-bo/tep/000.66.29.H59-250708-0001/{'0' * 64}", content=b"x")
    assert upload.status_code == 403
    assert api.services.enrolments.all() == []
    enrolled = officer.post("/can-bo/khoa", json=wanted, headers={**SAME_SITE, **token})
    assert enrolled.status_code == 200, enrolled.text
    assert len(api.services.enrolments.all()) == 1


def test_refuses_a_cross_site_sign_out(api: Api) -> None:
    http = signed_in(api)
    token = csrf_field(http.get(PAGE).text)
    refused = http.post("/dang-xuat", data={"csrf": token}, headers=EVIL)
    assert refused.status_code == 403
    assert http.get(PAGE, follow_redirects=False).status_code == 200  # still signed in


def test_a_bearer_token_request_needs_no_csrf_token(api: Api) -> None:
    signed_in(api)  # a session cookie in the same browser changes nothing for the JSON API
    answer = api.http.get("/v1/me", headers={**api.headers("officer"), **EVIL})
    assert answer.status_code == 200
    posted = api.http.post("/v1/public/lookup", json={"code": "x", "secret": "y"}, headers=EVIL)
    assert posted.json()["code"] != "cross-site-refused"


def test_the_public_forms_need_no_token_but_refuse_another_sites_origin(api: Api) -> None:
    form = {"code": "000.66.29.H59-250708-0999", "secret": "ABCDEFGHJK"}
    assert api.http.post("/tra-cuu", data=form).status_code == 404
    assert api.http.post("/tra-cuu", data=form, headers=SAME_SITE).status_code == 404
    assert api.http.post("/tra-cuu", data=form, headers=EVIL).status_code == 403
    assert api.http.post("/tra-cuu", data=form, headers={"Origin": "null"}).status_code == 403


def test_a_signed_in_browser_still_uses_the_public_forms(api: Api) -> None:
    # its session cookie goes with them, so their forms carry the session's token
    officer = signed_in(api, "officer")
    looked_up = officer.post(
        "/tra-cuu",
        data={
            "code": "000.66.29.H59-250708-0999",
            "secret": "ABCDEFGHJK",
            "csrf": csrf_field(officer.get("/tra-cuu").text),
        },
        headers=SAME_SITE,
    )
    assert looked_up.status_code == 404  # the lookup's own answer
    checked = officer.post(
        "/xac-minh",
        data={"csrf": csrf_field(officer.get("/xac-minh").text)},
        files={"file": ("x.bundle", b"not a bundle", "application/msgpack")},
        headers=SAME_SITE,
    )
    assert checked.status_code == 422  # the verification's own answer: not a bundle
    assert "bundle" in checked.text.lower() or "gói" in checked.text


# --- the security headers ----------------------------------------------------------------------


def test_every_answer_carries_the_security_headers(api: Api) -> None:
    officer = signed_in(api, "officer")
    answers = [
        api.http.get("/tra-cuu"),
        api.http.get("/dang-nhap"),
        api.http.get("/xac-minh"),
        officer.get("/can-bo"),
        officer.get("/can-bo/tiep-nhan"),
        api.http.get("/static/officer.js"),
        api.http.get("/v1/me", headers=api.headers("officer")),
        api.http.get("/no-such-page"),
        api.http.post("/tra-cuu", data={}, headers=EVIL),
    ]
    for answer in answers:
        where = answer.request.url.path
        assert answer.headers["content-security-policy"] == POLICY, where
        assert answer.headers["x-content-type-options"] == "nosniff", where
        assert answer.headers["x-frame-options"] == "DENY", where
        assert answer.headers["referrer-policy"] == "same-origin", where
    directives = dict(part.strip().split(" ", 1) for part in POLICY.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["form-action"] == "'self'"


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


def test_the_pages_hold_no_inline_script_handler_or_style_element(api: Api) -> None:
    officer, registrar = signed_in(api, "officer"), signed_in(api, "registrar")
    inspector = signed_in(api, "inspector")
    pages = [
        api.http.get("/tra-cuu"),
        api.http.get("/dang-nhap"),
        api.http.get("/xac-minh"),
        officer.get("/can-bo"),
        officer.get("/can-bo/tiep-nhan"),
        officer.get("/can-bo/khoa"),
        registrar.get("/quan-tri/khoa"),
        inspector.get("/giam-sat"),
        inspector.get("/giam-sat/ban-do"),
    ]
    for page in pages:
        where = page.request.url.path
        assert page.status_code == 200, where
        assert INLINE_SCRIPT.search(page.text) is None, where
        assert HANDLER.search(page.text) is None, where
        assert "<style" not in page.text, where


def test_the_documentation_page_runs_only_its_own_inline_script(api: Api) -> None:
    docs = api.http.get("/docs")
    (script,) = re.findall(r"<script>(.*?)</script>", docs.text, re.S)
    digest_b64 = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    policy = docs.headers["content-security-policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == f"'self' https://cdn.jsdelivr.net 'sha256-{digest_b64}'"
    assert directives["frame-ancestors"] == "'none'"
    assert docs.headers["x-frame-options"] == "DENY"


# --- the store, on every backend -----------------------------------------------------------------


def test_the_sessions_table_joins_an_existing_database_and_works_on_every_backend(
    database_url: str,
) -> None:
    before = TokenStore(database_url)  # a database made before sessions existed
    try:
        token, _text = before.create("inspector", office="86", now=0, valid_seconds=86_400)
        sessions = SessionStore(before, idle_seconds=3600, longest_seconds=7200)
        opened = sessions.open(token, now=0)
        assert sessions.authenticate(opened, now=10 * MICROS).token == token
        assert sessions.authenticate(opened, now=3599 * MICROS).token == token  # noted its use
        assert sessions.authenticate(opened, now=7000 * MICROS).token == token
        with pytest.raises(SessionEnded, match="expired"):
            sessions.authenticate(opened, now=7200 * MICROS)
        other = sessions.open(token, now=0)
        sessions.revoke(other, now=1)
        with pytest.raises(SessionEnded, match="signed out"):
            sessions.authenticate(other, now=2)
        for junk in ("", "a\x00b", "x" * 43, "é" * 43):
            with pytest.raises(SessionEnded):
                sessions.authenticate(junk, now=2)
        again = SessionStore(before, idle_seconds=3600, longest_seconds=7200)  # created once
        assert again.authenticate(opened, now=7100 * MICROS).token == token
    finally:
        before.close()
