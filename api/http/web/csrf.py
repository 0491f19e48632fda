"""Requests from another site are refused: every form and script that changes something through
the pages' cookie proves it came from this site's own pages.

Two checks, on every request to the pages but GET, HEAD and OPTIONS (`same_site`, a dependency
of the pages' routers):

1. **Origin.** `Origin`, or `Referer` when a browser sends no `Origin`, must be this server's own
   origin (the request's scheme and host, or LIENTHONG_PUBLIC_URL's). A request that carries the
   session cookie, or signs in, must send one of them (every browser does on a POST).
2. **A token.** A request that carries the session cookie must carry the session's CSRF token,
   in the form field `csrf` or the header `X-CSRF-Token` (the pages' scripts). Signing in must
   carry the sign-in form's token, bound the same way to a cookie of its own that the sign-in
   page sets (so another site cannot sign a browser in as someone else: login CSRF).

A token is HMAC-SHA256(the cookie's secret value, a fixed label): another site can neither read
the cookie nor compute it, and it changes with every session. Nothing more is stored.

The public forms (the lookup, the verification page) carry no cookie and need no token; a foreign
`Origin` is refused there too. Requests with a bearer token (the JSON API under /v1) are not
authenticated by a cookie and never reach this check.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import ClassVar
from urllib.parse import urlsplit

from fastapi import Request

from api.http.problems import ApiError

SESSION_COOKIE = "lienthong_session"
SIGN_IN_COOKIE = "lienthong_sign_in"  # the sign-in form's own, before any session
SIGN_IN_PATH = "/dang-nhap"
FIELD = "csrf"
HEADER = "X-CSRF-Token"
SAFE = ("GET", "HEAD", "OPTIONS")
_LABEL = b"lienthong csrf v1"


class CrossSiteRefused(ApiError):
    """A request to the pages that did not come from this site's own pages, or whose form has
    outlived its session; nothing was done."""

    code: ClassVar[str] = "cross-site-refused"
    title_vi: ClassVar[str] = "Yêu cầu không đến từ trang của hệ thống này"
    title_en: ClassVar[str] = "The request did not come from this site's pages"
    status: ClassVar[int] = 403


def token_for(secret: str) -> str:
    """The CSRF token bound to a cookie's secret value."""
    mac = hmac.new(secret.encode(), _LABEL, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def form_token(request: Request) -> str:
    """The token the page's forms and scripts send back: the sign-in form's if the handler chose
    one (`request.state.csrf`), else the session's; "" without a session."""
    chosen = getattr(request.state, "csrf", None)
    if isinstance(chosen, str):
        return chosen
    session = request.cookies.get(SESSION_COOKIE)
    return token_for(session) if session else ""


def own_origins(request: Request, public_url: str) -> set[str]:
    """The origins this server's pages are served from."""
    origins = {f"{request.url.scheme}://{request.url.netloc}".lower()}
    if public_url:
        parts = urlsplit(public_url)
        origins.add(f"{parts.scheme}://{parts.netloc}".lower())
    return origins


def origin_of(request: Request) -> str | None:
    """The origin the browser says the request came from: `Origin`, else `Referer`'s."""
    origin = request.headers.get("origin")
    if origin is not None:
        return origin.strip().lower()
    referer = request.headers.get("referer")
    if referer:
        parts = urlsplit(referer)
        return f"{parts.scheme}://{parts.netloc}".lower()
    return None


async def same_site(request: Request) -> None:
    """Refuse (CrossSiteRefused) an unsafe request to the pages that another site could have
    sent; see the module's docstring."""
    if request.method in SAFE:
        return
    signing_in = request.url.path == SIGN_IN_PATH
    secret = request.cookies.get(SIGN_IN_COOKIE if signing_in else SESSION_COOKIE)
    with_cookie = signing_in or secret is not None
    services = getattr(request.app.state, "services", None)
    public_url = str(getattr(getattr(services, "settings", None), "public_url", "") or "")
    origin = origin_of(request)
    if origin is None and with_cookie:
        raise CrossSiteRefused("the request says neither its Origin nor its Referer")
    if origin is not None and origin not in own_origins(request, public_url):
        raise CrossSiteRefused(f"the request comes from another site ({origin})")
    if not with_cookie:
        return
    sent = request.headers.get(HEADER) or await _form_field(request)
    if not secret or not sent or not hmac.compare_digest(sent, token_for(secret)):
        raise CrossSiteRefused(
            "the form's security token is missing or is not this session's: reload the page"
        )


async def _form_field(request: Request) -> str:
    """The `csrf` field of a form body (read once; FastAPI reads the same parsed form)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return ""
    value = (await request.form()).get(FIELD)
    return value if isinstance(value, str) else ""
