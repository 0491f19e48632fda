"""Signing in to the pages with an API token: the token is checked, then kept in an HttpOnly,
SameSite=Strict cookie for the browser session (never in a URL, never readable by scripts).
A page that needs a caller sends the browser to the sign-in page and back."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.access import ServicesDep
from api.services import Services
from api.tokens import Token, TokenRefused
from api.web.pages import language, render
from api.web.words import say

router = APIRouter(include_in_schema=False)
COOKIE = "lienthong_session"


class SignInFirst(Exception):
    """The page needs a signed-in caller; the handler sends the browser to sign in."""

    def __init__(self, back: str) -> None:
        super().__init__(back)
        self.back = back


def caller(request: Request, found: Services) -> Token:
    text = request.cookies.get(COOKIE)
    if text:
        try:
            return found.tokens_seen.authenticate(text, found.clock.now())
        except TokenRefused:
            pass
    raise SignInFirst(
        str(request.url.path) + (f"?{request.url.query}" if request.url.query else "")
    )


def to_sign_in(_request: Request, problem: Exception) -> Response:
    assert isinstance(problem, SignInFirst)
    return RedirectResponse(f"/dang-nhap?back={quote(problem.back)}", status_code=303)


def _safe(back: str) -> str:
    """Only a path of this site (not //elsewhere or a full URL) is a place to go back to."""
    return back if back.startswith("/") and not back.startswith("//") else "/giam-sat"


@router.get("/dang-nhap")
def sign_in_form(request: Request, back: str = "/giam-sat") -> HTMLResponse:
    return render(request, "sign_in.html", problem=None, back=_safe(back))


@router.post("/dang-nhap")
def sign_in(
    request: Request,
    found: ServicesDep,
    token: Annotated[str, Form(max_length=256)] = "",
    back: Annotated[str, Form(max_length=512)] = "/giam-sat",
) -> Response:
    lang = language(request)
    try:
        found.tokens_seen.authenticate(token.strip(), found.clock.now())
    except TokenRefused as refused:
        problem = say("bad_token", lang, reason=refused.title(lang))
        return render(request, "sign_in.html", 401, problem=problem, back=_safe(back))
    response = RedirectResponse(_safe(back), status_code=303)
    response.set_cookie(
        COOKIE,
        token.strip(),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/dang-xuat")
def sign_out() -> Response:
    response = RedirectResponse("/dang-nhap", status_code=303)
    response.delete_cookie(COOKIE)
    return response
