"""The citizen's pages: look a dossier up by its code and receipt secret, and rate its handling
once it is decided.

Plain HTML forms, no JavaScript: they work on any browser and on a slow line. The language is
Vietnamese unless `?lang=en` asked for English (kept in a cookie); times are shown in
Asia/Ho_Chi_Minh as dd/mm/yyyy HH:MM."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

import segno
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from api.http.access import ServicesDep
from api.http.lookup import citizen_lookup, citizen_rating, stored_code
from api.http.problems import NotFound, RateLimited
from api.http.schemas.common import is_storable
from api.http.services import Services
from api.http.web import frame
from api.http.web.csrf import form_token
from api.http.web.slip import slip_view
from api.http.web.words import say
from api.texts import days_left_text, working_span
from domain.errors import DomainError
from domain.identifier import is_identifier
from domain.instant import local_date, to_datetime
from ledger.errors import ReadOnly
from ledger.stores.ratings import AlreadyRated, NotYetDecided
from ledger.views.durations import days_left

router = APIRouter(include_in_schema=False)
pages = Environment(loader=PackageLoader("api.http", "templates"), autoescape=select_autoescape())
LANGS = ("vi", "en")


def language(request: Request) -> str:
    """?lang= first, then the cookie; else Vietnamese, whatever the browser's own language (an
    office PC set up in English still serves Vietnamese officers)."""
    asked = request.query_params.get("lang") or request.cookies.get("lang")
    return asked if asked in LANGS else "vi"


def when(at: int | None) -> str:
    """dd/mm/yyyy HH:MM in Asia/Ho_Chi_Minh."""
    return "" if at is None else f"{to_datetime(at):%d/%m/%Y %H:%M}"


def render(request: Request, template: str, status: int = 200, **values: Any) -> HTMLResponse:
    lang = language(request)
    other = "en" if lang == "vi" else "vi"
    services: Services = request.app.state.services
    # an office's label and a procedure's name, read from the registry once per page (a page
    # of stalls names the same few offices and procedures row after row)
    labels: dict[tuple[str | None, int | None], str] = {}
    names: dict[tuple[str, int | None], str] = {}

    def label(office: str | None, at: int | None = None) -> str:
        if (office, at) not in labels:
            labels[office, at] = _office_label(request, office, at, lang)
        return labels[office, at]

    def name(key: str, version: int | None = None) -> str:
        if (key, version) not in names:
            names[key, version] = procedure_name(services, key, version, lang)
        return names[key, version]

    html = pages.get_template(template).render(
        lang=lang,
        t=lambda key, **more: say(key, lang, **more),
        switch_url=f"{request.url.path}?{urlencode({**request.query_params, 'lang': other})}",
        when=when,
        span=lambda seconds: working_span(seconds, lang),
        office_label=label,
        procedure_name=name,
        left=lambda until: _left(request, until, lang),
        # a control slip's issuer, turns in words, signers and QR code (api/http/web/slip.py)
        slip_view=lambda slip: slip_view(request, request.app.state.services, slip, lang),
        read_only=read_only(request),
        csrf_token=form_token(request),  # the forms' and scripts' proof of coming from here
        # the frame: who is signed in, their menu, the home (api/http/web/frame.py)
        **frame.values(request, lang, label),
        **values,
    )
    response = HTMLResponse(html, status_code=status)
    if request.query_params.get("lang") in LANGS:
        response.set_cookie("lang", lang, max_age=365 * 86400, samesite="lax")
    return response


def _left(request: Request, until: int, lang: str) -> str:
    """The working days from now to `until`, in words, counted as a deadline is
    (ledger/views/durations.py): "còn 3 ngày làm việc", "quá hạn 2 ngày làm việc"."""
    services: Services = request.app.state.services
    return days_left_text(days_left(services.calendar, services.clock.now(), until), lang)


def _office_label(request: Request, office: str | None, at: int | None, lang: str) -> str:
    services: Services = request.app.state.services
    return office_label(services, office, services.clock.now() if at is None else at, lang)


def read_only(request: Request) -> bool:
    """Whether this server reads a replica and records nothing (`serve --read-only`): its pages
    say so, and the forms that would record are shown disabled."""
    services = getattr(request.app.state, "services", None)
    return bool(getattr(services, "read_only", False))


@router.get("/")
def home() -> Response:
    return RedirectResponse("/tra-cuu", status_code=303)


@router.get("/tra-cuu")
def lookup_form(request: Request, code: str = "") -> HTMLResponse:
    """The lookup form; `?code=` (the receipt's QR code) fills the code in, when it is one."""
    code = code.strip()
    return render(request, "lookup.html", code=code if is_identifier(code) else "", problem=None)


@router.post("/tra-cuu")
def lookup_result(
    request: Request,
    services: ServicesDep,
    code: Annotated[str, Form(max_length=128)] = "",
    secret: Annotated[str, Form(max_length=64)] = "",
) -> HTMLResponse:
    return _answer(request, services, code.strip(), secret.strip())


@router.post("/tra-cuu/danh-gia")
def rate(
    request: Request,
    services: ServicesDep,
    code: Annotated[str, Form(max_length=128)] = "",
    secret: Annotated[str, Form(max_length=64)] = "",
    score: Annotated[str, Form(max_length=8)] = "",
) -> HTMLResponse:
    """The citizen's rating of a decided dossier (ledger/stores/ratings.py), sent from the
    lookup's answer; answered with that answer again, saying what became of the rating."""
    lang = language(request)
    code, secret = code.strip(), secret.strip()
    if score.strip() not in ("1", "2", "3", "4", "5"):
        return _answer(request, services, code, secret, 422, say("rate_bad_score", lang))
    refused = _refused(request, code, secret)
    if refused is not None:
        return refused
    code = stored_code(services, code)
    try:
        citizen_rating(services, request, code, secret, int(score))
    except (NotFound, RateLimited):
        return _answer(request, services, code, secret)  # the lookup's own answer
    except AlreadyRated:
        return _answer(request, services, code, secret, 409, say("rate_already", lang))
    except NotYetDecided:
        return _answer(request, services, code, secret, 409, say("rate_not_decided", lang))
    except ReadOnly:
        return _answer(request, services, code, secret, 503, say("rate_read_only", lang))
    return _answer(request, services, code, secret, 200, say("rate_thanks", lang))


def _refused(request: Request, code: str, secret: str) -> HTMLResponse | None:
    """The lookup form again with what is wrong with its fields; None if nothing is."""
    lang = language(request)
    if not code or not secret:
        return render(request, "lookup.html", 422, code=code, problem=say("missing_fields", lang))
    if not is_identifier(code):  # nothing has that code, and it never reaches the database
        return render(request, "lookup.html", 422, code="", problem=say("bad_code", lang))
    if not is_storable(secret):
        return render(request, "lookup.html", 422, code=code, problem=say("bad_secret", lang))
    return None


def _answer(
    request: Request,
    services: Services,
    code: str,
    secret: str,
    status: int = 200,
    rating_message: str | None = None,
) -> HTMLResponse:
    """The lookup's answer for `code` (in any letter case: stored_code) and `secret`: where the
    dossier is, how many working days are left, where to collect the result, its slip, and the
    rating form once it is decided and until it is rated."""
    lang = language(request)
    refused = _refused(request, code, secret)
    if refused is not None:
        return refused
    typed, code = code, stored_code(services, code)
    try:
        result = citizen_lookup(services, request, code, secret)
    except NotFound:
        return render(request, "lookup.html", 404, code=typed, problem=say("not_found", lang))
    except RateLimited as limited:
        problem = say("too_many", lang, seconds=limited.retry_after)
        response = render(request, "lookup.html", 429, code=typed, problem=problem)
        response.headers["Retry-After"] = str(limited.retry_after)
        return response
    now = services.clock.now()
    slip = services.inspector().slip(code, now)
    # the result is collected where the dossier was handed in: the receiving office's one-stop desk
    received_by = slip.location.received_by if slip is not None else None
    version = slip.location.version if slip is not None else None
    waiting = result.status not in ("closed", "suspended") and result.appointed is not None
    return render(
        request,
        "lookup_result.html",
        status,
        result=result,
        waiting=waiting,
        overdue=waiting and days_left(services.calendar, now, result.appointed) < 0,
        collect=office_label(services, received_by, now, lang) if received_by else "",
        slip=slip,
        procedure_label=procedure_name(services, result.procedure, version, lang),
        secret=secret,
        rated=services.ratings.rated(code) is not None,
        rating_message=rating_message,
    )


def public_base(request: Request, services: Services) -> str:
    """The address printed on paper: LIENTHONG_PUBLIC_URL if set, else the request's own."""
    return (services.settings.public_url or str(request.base_url)).rstrip("/")


def office_name(services: Services, office: str | None, at: int) -> str:
    if office is None:
        return ""
    try:
        return services.ledger.office(office).name_on(local_date(at))
    except DomainError:
        return office


def office_label(services: Services, office: str | None, at: int, lang: str) -> str:
    """An office as a person reads it: its name on the day of `at`, and, once it has ended, how
    and into what ("Huyện Càng Long — giải thể 1/7/2025, nay thuộc Sở Nội vụ tỉnh Vĩnh Long"); the
    id alone only if the registry does not know it."""
    if office is None:
        return ""
    try:
        found = services.ledger.office(office)
    except DomainError:
        return office
    day = local_date(at)
    name = found.name_on(day if found.active_on(day) else found.established)
    if found.ended is None or found.active_on(day):
        return name
    ended = f"{found.ended.day}/{found.ended.month}/{found.ended.year}"
    # merged: into its successor; dissolved: its area is now its last parent's (or what that
    # parent merged into), as a district's is the province's since 1/7/2025
    now_under = found.successor or found.parent_on(found.ended - timedelta(days=1))
    seen: set[str] = set()
    while now_under is not None and now_under not in seen:
        seen.add(now_under)
        try:
            above = services.ledger.office(now_under)
        except DomainError:
            break
        if above.active_on(day) or above.successor is None:
            break
        now_under = above.successor
    if now_under is None:
        return say("office_dissolved", lang, name=name, day=ended)
    successor = office_name(services, now_under, at)
    return say("office_merged", lang, name=name, day=ended, successor=successor)


def procedure_name(services: Services, procedure: str, version: int | None, lang: str) -> str:
    """A procedure's name in the page's language (of `version`, else of its latest version); its
    key only if the registry does not know it."""
    try:
        found = services.ledger.procedure(procedure)
        chosen = found.get_version(version if version is not None else found.versions[-1]["version"])
    except DomainError:
        return procedure
    return chosen.name_en if lang == "en" else chosen.name_vi


def qr_svg(url: str, title: str) -> Markup:
    """The QR code of `url` as inline SVG (medium error correction: it survives a poor print)."""
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=3, xmldecl=False, title=title)
    return Markup(out.getvalue().decode())  # noqa: S704 — segno's own SVG, the URL escaped
