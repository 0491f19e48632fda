"""The frame of every page (templates/base.html): who is signed in, by their post and office, the
menu of their role with the page at hand marked, and the home the site's title leads to.

Who is signed in is read from the session the browser's cookie names, the one a page's `caller()`
checked (api/http/web/session.py) or, on the pages anyone may open (the lookup, the verification
page, the sign-in form), looked up here; a session that has ended shows the frame of someone
signed out. The header names an officer by the title and office the registry holds for them, not
by a person's name: the registry holds none (domain/officer.py: personal data stays out of signed
statements), and a token's label says what the token is for, not who holds it (docs/web.md,
"The frame")."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from api.http.web.csrf import SESSION_COOKIE
from api.http.web.words import say
from domain.errors import DomainError
from ledger.stores.sessions import SessionEnded, SessionStore
from ledger.stores.tokens import Token

# each role's pages, its home first; what a role may open (api/http/access.py and the pages' own
# checks): a registrar may not read the inspector's pages, so they are not on its menu
ROLE_PAGES: dict[str, tuple[tuple[str, str], ...]] = {
    "officer": (
        ("/can-bo", "frame_desk"),
        ("/can-bo/tiep-nhan", "frame_receive"),
        ("/can-bo/khoa", "frame_key"),
    ),
    "inspector": (("/giam-sat", "frame_stalls"), ("/giam-sat/ban-do", "frame_map")),
    "registrar": (("/quan-tri/khoa", "frame_enrolments"),),
}
PUBLIC_PAGES = (("/tra-cuu", "frame_lookup"), ("/xac-minh", "frame_verify"))
SIGN_IN = ("/dang-nhap", "sign_in")
CITIZEN_HOME = "/tra-cuu"
# pages reached from a menu page other than the one their path falls under
SECTIONS = {"/giam-sat/ket-qua": "/giam-sat/ban-do", "/giam-sat/giu": "/giam-sat/ban-do"}


@dataclass(frozen=True)
class Link:
    """One entry of the menu: where it goes, its words' key, and aria-current: "page" on the page
    itself, "true" on the menu page a page is part of (a dossier's acts on the desk), else None."""

    href: str
    word: str
    current: str | None


def home(role: str | None) -> str:
    """Where the site's title leads: the role's first page; the citizen's lookup for anyone else."""
    pages = ROLE_PAGES.get(role or "")
    return pages[0][0] if pages else CITIZEN_HOME


def menu(role: str | None, path: str) -> list[Link]:
    """The role's pages, then everyone's (and the sign-in form for someone signed out)."""
    pages = ROLE_PAGES.get(role or "", ()) + PUBLIC_PAGES + (() if role else (SIGN_IN,))
    hrefs = [href for href, _word in pages]
    section = None
    if path not in hrefs:
        section = SECTIONS.get(path) or max(
            (href for href in hrefs if path.startswith(href + "/")), key=len, default=None
        )
    return [
        Link(href, word, "page" if href == path else "true" if href == section else None)
        for href, word in pages
    ]


def signed_in(request: Request) -> Token | None:
    """The token of the session in force the request's cookie names; None if there is none."""
    known = getattr(request.state, "caller", None)
    if isinstance(known, Token):
        return known
    text = request.cookies.get(SESSION_COOKIE)
    store = getattr(request.app.state, "sessions", None)
    services = getattr(request.app.state, "services", None)
    if not text or not isinstance(store, SessionStore) or services is None:
        return None
    try:
        token = store.authenticate(text, services.clock.now()).token
    except SessionEnded:
        return None
    request.state.caller = token
    return token


def who(services: Any, token: Token, lang: str, office: Callable[[str], str]) -> str:
    """The header's words for who is signed in: an officer by title and office ("Công chức Văn
    hóa - Xã hội, Xã Càng Long"), an inspector by office ("Thanh tra — Sở Nội vụ"), the other
    roles by role. `office` names an office as a person reads it."""
    where = office(token.office) if token.office else ""
    if token.role == "officer":
        title = ""
        if token.officer:
            try:
                title = services.ledger.officer(token.officer).title_at(services.clock.now())
            except DomainError:
                title = ""
        if not title:
            return say("frame_who_officer_untitled", lang, office=where)
        if where and where not in title:
            return say("frame_who_officer", lang, title=title, office=where)
        return str(title)
    if token.role == "inspector":
        return say("frame_who_inspector", lang, office=where)
    return say(f"frame_who_{token.role}", lang)


def primary_url(request: Request, services: Any) -> str | None:
    """On a read-only server reached by an address of its own, this page at the site's public
    address (LIENTHONG_PUBLIC_URL), where the proxy sends what records to the primary; else
    None: there is no other address to offer."""
    public = (services.settings.public_url or "").rstrip("/")
    if not public or public == str(request.base_url).rstrip("/"):
        return None
    return public + request.url.path


def values(request: Request, lang: str, office: Callable[[str], str]) -> dict[str, Any]:
    """What base.html needs: the signed-in token, who it is in words, the menu, the home, the
    primary's address on a read-only server, and whether to offer signing out."""
    token = signed_in(request)
    services = getattr(request.app.state, "services", None)
    role = token.role if token is not None else None
    read_only = bool(getattr(services, "read_only", False))
    own_csrf = not isinstance(getattr(request.state, "csrf", None), str)
    return {
        "frame_user": token,
        "frame_who": "" if token is None else who(services, token, lang, office),
        "frame_menu": menu(role, request.url.path),
        "frame_home": home(role),
        "frame_primary": primary_url(request, services) if read_only and token else None,
        # not on the sign-in form, whose forms carry the sign-in cookie's token, not the session's:
        # there, signing in again is what ends the session in force
        "frame_sign_out": token is not None and own_csrf,
    }
