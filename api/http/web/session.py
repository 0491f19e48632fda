"""Signing in to the pages with an API token. The token is checked once, then a server-side session
is opened (ledger/stores/sessions.py); the browser's cookie holds only the session's id, HttpOnly,
SameSite=Strict, Path=/, Secure on https (never the token, never in a URL, never readable by
scripts). Signing out revokes the session: the old cookie is refused from then on.

The sign-in form carries a CSRF token bound to a cookie of its own (api/http/web/csrf.py), so another
site cannot sign a browser in as someone else. A page that needs a caller sends the browser to
the sign-in page and back, saying why in the page's language: the page needs signing in, or the
session has ended; signing out lands there too, saying so. Signed in with no page to go back to,
the browser goes to the role's home (api/http/web/frame.py)."""

from __future__ import annotations

import re
import secrets
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.http.access import ServicesDep
from api.http.problems import refusal
from api.http.services import Services
from api.http.web import frame
from api.http.web.csrf import (
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    SIGN_IN_PATH,
    CrossSiteRefused,
    token_for,
)
from api.http.web.pages import language, render
from api.http.web.words import say
from ledger.stores.sessions import SessionEnded, SessionStore
from ledger.stores.tokens import Token, TokenRefused

router = APIRouter(include_in_schema=False)
COOKIE = SESSION_COOKIE
_SIGN_IN_SECRET = re.compile(r"[A-Za-z0-9_-]{43}")
# why the sign-in form is shown (?why=) → the words it says above the form (sign_in.html shows an
# ended session as a problem, role=alert, the others as a notice, role=status)
REASONS = {
    "needed": "frame_sign_in_needed",
    "ended": "frame_session_ended",
    "out": "frame_signed_out",
}


class SignInFirst(Exception):
    """The page needs a signed-in caller; the handler sends the browser to sign in. `ended`: the
    browser had a session, and it is no longer in force."""

    def __init__(self, back: str, ended: bool = False) -> None:
        super().__init__(back)
        self.back = back
        self.ended = ended


def sessions(request: Request) -> SessionStore:
    store = request.app.state.sessions
    assert isinstance(store, SessionStore)
    return store


def caller(request: Request, services: Services) -> Token:
    """The token of the session the request's cookie names, if that session is in force."""
    text = request.cookies.get(COOKIE)
    if text:
        try:
            token = sessions(request).authenticate(text, services.clock.now()).token
        except SessionEnded:
            pass
        else:
            request.state.caller = token  # the frame's too (api/http/web/frame.py)
            return token
    raise SignInFirst(
        str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""),
        ended=bool(text),
    )


def to_sign_in(_request: Request, problem: Exception) -> Response:
    """To the sign-in form, saying why, and back here after. The cookie of an ended session is
    left alone: a replica that has not yet seen a new session must not sign its browser out."""
    assert isinstance(problem, SignInFirst)
    why = "ended" if problem.ended else "needed"
    return RedirectResponse(f"{SIGN_IN_PATH}?back={quote(problem.back)}&why={why}", status_code=303)


def cross_site_refused(request: Request, problem: Exception) -> Response:
    """A refused form is answered with the sign-in page, in words, and a fresh form; a script's
    request (JSON) with the problem."""
    assert isinstance(problem, CrossSiteRefused)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return refusal(request, problem)
    problem_text = say("cross_site", language(request))
    return sign_in_page(request, 403, problem_text, "")


def _safe(back: str) -> str:
    """Only a path of this site (not //elsewhere or a full URL) is a place to go back to; "" for
    anything else: the role's home, once signed in."""
    return back if back.startswith("/") and not back.startswith("//") else ""


def _cookie(response: Response, request: Request, name: str, value: str, path: str = "/") -> None:
    response.set_cookie(
        name,
        value,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path=path,
    )


def _forget(response: Response, request: Request, name: str, path: str = "/") -> None:
    response.delete_cookie(
        name, path=path, httponly=True, samesite="strict", secure=request.url.scheme == "https"
    )


def sign_in_page(
    request: Request, status: int, problem: str | None, back: str, why: str = ""
) -> HTMLResponse:
    """The sign-in form, its token bound to the browser's sign-in cookie (made if it has none);
    above it, `problem`, or else why it is shown (`why`, a key of REASONS; others are ignored)."""
    secret = request.cookies.get(SIGN_IN_COOKIE, "")
    fresh = _SIGN_IN_SECRET.fullmatch(secret) is None
    if fresh:
        secret = secrets.token_urlsafe(32)
    request.state.csrf = token_for(secret)
    response = render(
        request,
        "sign_in.html",
        status,
        problem=problem,
        back=_safe(back),
        reason=None if problem else REASONS.get(why),
    )
    if fresh:
        _cookie(response, request, SIGN_IN_COOKIE, secret, SIGN_IN_PATH)
    return response


@router.get(SIGN_IN_PATH)
def sign_in_form(request: Request, back: str = "", why: str = "") -> HTMLResponse:
    return sign_in_page(request, 200, None, back, why)


@router.post(SIGN_IN_PATH)
def sign_in(
    request: Request,
    services: ServicesDep,
    token: Annotated[str, Form(max_length=256)] = "",
    back: Annotated[str, Form(max_length=512)] = "",
) -> Response:
    """Open a session for a token in force (the form's CSRF token is checked before this runs)."""
    lang = language(request)
    now = services.clock.now()
    try:
        checked = services.tokens.authenticate(token.strip(), now)
    except TokenRefused as refused:
        problem = say("bad_token", lang, reason=refused.title(lang))
        return sign_in_page(request, 401, problem, back)
    if services.read_only:
        return sign_in_page(request, 503, say("sign_in_read_only", lang), back)
    store = sessions(request)
    previous = request.cookies.get(COOKIE)
    if previous:  # signing in again, perhaps as someone else: the old session ends
        store.revoke(previous, now)
    response = RedirectResponse(_safe(back) or frame.home(checked.role), status_code=303)
    _cookie(response, request, COOKIE, store.open(checked, now))
    _forget(response, request, SIGN_IN_COOKIE, SIGN_IN_PATH)
    return response


@router.post("/dang-xuat")
def sign_out(request: Request, services: ServicesDep) -> Response:
    """Revoke the session (the form's CSRF token is checked before this runs)."""
    if services.read_only:
        problem = say("sign_in_read_only", language(request))
        return sign_in_page(request, 503, problem, "")
    text = request.cookies.get(COOKIE)
    if text:
        sessions(request).revoke(text, services.clock.now())
    response = RedirectResponse(f"{SIGN_IN_PATH}?why=out", status_code=303)
    _forget(response, request, COOKIE)
    return response
