"""The inspector's pages: the stall dashboard (filters, most overdue first, a count per kind that
leads to the dossiers behind it) and a dossier's page (its timeline and control slip)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.http.access import ServicesDep, may_read_dossier, may_read_office
from api.http.problems import Forbidden
from api.http.services import Services
from api.http.web.officer import offices_today
from api.http.web.pages import language, office_name, render
from api.http.web.paging import page_number, page_of
from api.http.web.session import caller
from api.http.web.words import say
from api.texts import kind_label
from domain.errors import DomainError
from domain.identifier import is_identifier
from domain.instant import local_date
from ledger.stores.tokens import Token
from ledger.views.sla import RULES, Inspector
from ledger.views.timeline import timeline

router = APIRouter(include_in_schema=False)


@router.get("/giam-sat")
def stall_dashboard(
    request: Request,
    services: ServicesDep,
    rule: str = "",
    procedure: str = "",
    office: str = "",
    page: str = "1",
) -> HTMLResponse:
    token = caller(request, services)
    lang = language(request)
    now = services.clock.now()
    inspector = services.inspector()
    if token.role not in ("inspector", "officer") or not token.office:
        forbidden = say("forbidden", lang)
        return render(request, "stalls.html", 403, problem=forbidden, token=token)
    number = page_number(page)
    if number is None:
        bad = say("bad_page", lang, page=page)
        return render(request, "stalls.html", 400, problem=bad, token=token)
    if rule and rule not in RULES:
        bad = say("bad_rule", lang, rule=rule)
        return render(request, "stalls.html", 400, problem=bad, token=token)
    if procedure and not is_identifier(procedure):
        bad = say("bad_procedure", lang)
        return render(request, "stalls.html", 422, problem=bad, token=token)
    office = office or token.office  # or a drill-down to one office of the caller's subtree
    refused = office_refusal(services, token, office, inspector, now, lang)
    if refused is not None:
        return render(request, "stalls.html", refused[0], problem=refused[1], token=token)
    day = local_date(now)
    every = inspector.stalls(now, office=office, procedure=procedure or None)
    counts = {name: sum(1 for s in every if s.rule == name) for name in RULES}
    shown = [s for s in every if not rule or s.rule == rule]
    here = "" if office == token.office else f"&office={quote(office, safe='')}"
    if procedure:
        here += f"&procedure={quote(procedure, safe='')}"
    kept = [("rule", rule)] if rule else []  # what the pages of the list keep
    kept += [("office", office)] if office != token.office else []
    kept += [("procedure", procedure)] if procedure else []
    return render(
        request,
        "stalls.html",
        problem=None,
        shown=page_of(shown, number, "/giam-sat", kept),
        counts=counts,
        rules=RULES,
        rule=rule,
        token=token,
        office_label=office_name(services, office, now),
        here=here,
        procedures=[
            (subject, services.ledger.procedure(subject).versions[-1]["name_vi"])
            for subject in services.views().subjects("procedure")
        ],
        procedure=procedure,
        office=lambda o: office_name(services, o, now),
        chosen=office,
        offices=[
            o for o in offices_today(services, now) if inspector.within(o["id"], token.office, day)
        ],
        closed=closed_offices(services, inspector, token.office, now),
    )


def office_refusal(
    services: Services, token: Token, office: str, inspector: Inspector, now: int, lang: str
) -> tuple[int, str] | None:
    """Why `token` may not see the lists of `office`, in words, with the status to answer; None
    if it may (an inspector or officer: its own office, or one of its subtree)."""
    if not is_identifier(office):  # no office has that id; it never reaches the database
        return 422, say("bad_office", lang)
    try:
        services.ledger.office(office)
    except DomainError:
        return 404, say("unknown_office", lang, office=office)
    try:
        may_read_office(token, office, inspector, local_date(now))
    except Forbidden:
        return 403, say("office_outside", lang, office=office_name(services, office, now))
    return None


def closed_offices(
    services: Services, inspector: Inspector, root: str, now: int
) -> list[dict[str, str]]:
    """The offices of `root`'s subtree that are no longer in operation (merged or dissolved, as
    the districts on 1/7/2025), by name: a dossier can still be stalled at one."""
    day = local_date(now)
    closed = [
        {"id": subject, "name": office_name(services, subject, now)}
        for subject in services.views().subjects("office")
        if not services.ledger.office(subject).active_on(day)
        and inspector.within(subject, root, day)
    ]
    return sorted(closed, key=lambda o: o["name"])


@router.get("/ho-so/{code:path}")
def dossier_page(code: str, request: Request, services: ServicesDep) -> HTMLResponse:
    token = caller(request, services)
    lang = language(request)
    now = services.clock.now()
    inspector = services.inspector()
    if not is_identifier(code):  # no dossier has that code; it never reaches the database
        return render(request, "dossier.html", 422, problem=code, steps=[], slip=None, token=token)
    try:
        services.ledger.dossier(code)
        may_read_dossier(token, code, inspector, now)
    except (DomainError, Forbidden):
        return render(request, "dossier.html", 404, problem=code, steps=[], slip=None, token=token)
    return render(
        request,
        "dossier.html",
        problem=None,
        code=code,
        steps=timeline(services.ledger, code).steps,
        slip=inspector.slip(code, now),
        kind=lambda kind: kind_label(kind, lang),
        office=lambda o, at: office_name(services, o, at),
        token=token,
    )
