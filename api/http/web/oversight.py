"""The inspector's pages: the stall dashboard (filters, most overdue first, a count per kind that
leads to the dossiers behind it) and a dossier's page (its timeline and control slip)."""

from __future__ import annotations

from typing import Any
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
    now = services.clock.now()
    inspector = services.inspector()
    number = page_number(page)
    office = office or token.office or ""  # or a drill-down to one office of the caller's subtree
    lang = language(request)
    refused = query_refusal(token, number, page, rule, procedure, lang) or office_refusal(
        services, token, office, inspector, now, lang
    )
    if refused is not None:
        return render(request, "stalls.html", refused[0], problem=refused[1], token=token)
    assert number is not None  # query_refusal saw to it
    assert token.office is not None
    every = inspector.stalls(now, office=office, procedure=procedure or None)
    here, kept = filters_kept(token.office, office, rule, procedure)
    return render(
        request,
        "stalls.html",
        problem=None,
        shown=page_of([s for s in every if not rule or s.rule == rule], number, "/giam-sat", kept),
        counts={name: sum(1 for s in every if s.rule == name) for name in RULES},
        rules=RULES,
        rule=rule,
        token=token,
        office_label=office_name(services, office, now),
        here=here,
        procedures=procedure_choices(services),
        procedure=procedure,
        office=lambda o: office_name(services, o, now),
        chosen=office,
        offices=offices_within(services, inspector, token.office, now),
        closed=closed_offices(services, inspector, token.office, now),
    )


def query_refusal(
    token: Token, number: int | None, page: str, rule: str, procedure: str, lang: str
) -> tuple[int, str] | None:
    """Why the dashboard cannot answer this token or this query, in words, with the status to
    answer; None if it can. In the order checked: a token of no office's inspector or officer
    (403), a page that is not a number (400), an unknown kind of stall (400), a procedure code no
    procedure can have (422). The office asked for is office_refusal's to judge."""
    if token.role not in ("inspector", "officer") or not token.office:
        return 403, say("forbidden", lang)
    if number is None:
        return 400, say("bad_page", lang, page=page)
    if rule and rule not in RULES:
        return 400, say("bad_rule", lang, rule=rule)
    if procedure and not is_identifier(procedure):
        return 422, say("bad_procedure", lang)
    return None


def filters_kept(
    home: str, office: str, rule: str, procedure: str
) -> tuple[str, list[tuple[str, str]]]:
    """The filters the dashboard's links keep: for the links to each kind of stall, the office
    (unless it is the caller's own, `home`) and the procedure, as a query-string tail; for the
    pages of the list, the kind of stall too, as parameters."""
    here = "" if office == home else f"&office={quote(office, safe='')}"
    if procedure:
        here += f"&procedure={quote(procedure, safe='')}"
    kept = [("rule", rule)] if rule else []
    kept += [("office", office)] if office != home else []
    kept += [("procedure", procedure)] if procedure else []
    return here, kept


def procedure_choices(services: Services) -> list[tuple[str, str]]:
    """Every procedure, by code, with the Vietnamese name of its latest version."""
    return [
        (subject, services.ledger.procedure(subject).versions[-1]["name_vi"])
        for subject in services.views().subjects("procedure")
    ]


def offices_within(
    services: Services, inspector: Inspector, root: str, now: int
) -> list[dict[str, Any]]:
    """The offices in operation today (as a tree, depth first) in `root`'s subtree."""
    day = local_date(now)
    return [o for o in offices_today(services, now) if inspector.within(o["id"], root, day)]


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
