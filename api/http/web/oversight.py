"""The inspector's pages: the stall dashboard — one row per stalled dossier with all its problems,
most overdue first; filters by kind, procedure and office; a count of dossiers per kind that
leads to the dossiers behind it — and a dossier's page (its timeline and control slip). The JSON
API (/v1/stalls) lists one item per stall; the grouping by dossier is the page's."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.http.access import ServicesDep, may_read_dossier, may_read_office
from api.http.problems import Forbidden
from api.http.services import Services
from api.http.web import paging
from api.http.web.officer import offices_today
from api.http.web.pages import language, office_name, procedure_name, render
from api.http.web.paging import Page, page_number, page_of
from api.http.web.session import caller
from api.http.web.words import say
from api.texts import kind_label
from domain.errors import DomainError
from domain.identifier import is_identifier
from domain.instant import local_date, start_of
from ledger.stores.tokens import Token
from ledger.views import dashboard
from ledger.views.sla import RULES, Inspector, Stall
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
    counts = dashboard.counts(inspector, now, office=office, procedure=procedure or None)
    here, kept = filters_kept(token.office, office, rule, procedure)
    shown = stalled_page(inspector, now, counts, number, kept, office, rule, procedure)
    return render(
        request,
        "stalls.html",
        problem=None,
        shown=replace(shown, rows=[described(services, row) for row in shown.rows]),
        counts=counts,
        rules=RULES,
        rule=rule,
        token=token,
        here=here,
        procedures=procedure_choices(services, lang),
        procedure=procedure,
        chosen=office,
        offices=office_choices(services, inspector, token.office, now),
    )


@dataclass(frozen=True)
class Stalled:
    """A stalled dossier as the dashboard lists it, once: every stall rule it breaks (`problems`,
    most overdue first) — a dossier sent and not acknowledged for days is usually past its
    appointed date too, and is one dossier to chase, not two."""

    code: str
    procedure: str
    problems: tuple[Stall, ...]


def stalled_page(
    inspector: Inspector,
    now: int,
    counts: dict[str, int],
    number: int,
    kept: list[tuple[str, str]],
    office: str,
    rule: str,
    procedure: str,
) -> Page:
    """Page `number` of the dashboard's list (past the end, the last page), as `page_of` makes
    it of the whole list — `stalled_dossiers` of every stall — from the count of the dossiers
    listed (`counts`: of the rule asked for, or "" stalled at all) and the page's dossiers alone
    (`dashboard.page`): the list is never built."""
    size = paging.PAGE_ROWS
    total = counts[rule]
    pages = max(1, -(-total // size))
    number = min(number, pages)
    first = (number - 1) * size
    found = dashboard.page(
        inspector,
        now,
        start=first,
        size=size,
        office=office,
        procedure=procedure or None,
        rule=rule or None,
    )
    rows = [Stalled(problems[0].code, problems[0].procedure, tuple(problems)) for problems in found]
    listed = f"/giam-sat?{urlencode([*kept, ('page', '')])}"
    return Page(rows, total, first, number, pages, listed)


def whole_list_counts(
    inspector: Inspector,
    at: int,
    *,
    office: str | None = None,
    level: str | None = None,
    procedure: str | None = None,
) -> dict[str, int]:
    """`dashboard.counts` as the page counted before it: over the whole list of stalls. The
    reference tests/test_dashboard_sql.py and bench/dashboard.py compare the page with."""
    return dossier_counts(inspector.stalls(at, office=office, level=level, procedure=procedure))


def whole_list_page(
    inspector: Inspector,
    now: int,
    counts: dict[str, int],
    number: int,
    kept: list[tuple[str, str]],
    office: str,
    rule: str,
    procedure: str,
) -> Page:
    """`stalled_page` as the page was made before it: every stall of the office and procedure,
    grouped by dossier, then paged (the reference, as `whole_list_counts`)."""
    every = inspector.stalls(now, office=office, procedure=procedure or None)
    return page_of(stalled_dossiers(every, rule or None), number, "/giam-sat", kept)


def stalled_dossiers(stalls: list[Stall], rule: str | None = None) -> list[Stalled]:
    """`stalls` (most overdue first, as `Inspector.stalls` gives them) as one entry per dossier,
    in the order of its most overdue stall; with `rule`, only the dossiers that break it, in the
    order of their stall of that rule, each still with all its problems. The page reads only
    its dossiers (`stalled_page`); this, over the whole list, is what it is compared with
    (tests/test_dashboard_sql.py)."""
    problems: dict[str, list[Stall]] = {}
    for stall in stalls:
        problems.setdefault(stall.code, []).append(stall)
    order = [s.code for s in stalls if s.rule == rule] if rule else list(problems)
    return [
        Stalled(code, problems[code][0].procedure, tuple(problems[code]))
        for code in dict.fromkeys(order)
    ]


def dossier_counts(stalls: list[Stall]) -> dict[str, int]:
    """How many dossiers break each rule, and ("") how many are stalled at all: dossiers, not
    stalls, so that "Tất cả" is the length of the list it leads to. The page counts them in SQL
    (`dashboard.counts`); this, over the whole list, is what it is compared with."""
    counts = {"": len({s.code for s in stalls})}
    counts.update({name: len({s.code for s in stalls if s.rule == name}) for name in RULES})
    return counts


def described(services: Services, stalled: Stalled) -> dict[str, Any]:
    """A row of the dashboard: the dossier, its procedure, where it waits, its appointed date
    and its problems, each by the name the page gives it — a dossier decided but past its
    appointed date is "đã có kết quả, chưa trả" (`rule_decided_unreturned`), its result waiting
    to be handed to the applicant, not its handling."""
    location = services.views().location(stalled.code)
    decided = location is not None and location.decided is not None
    return {
        "code": stalled.code,
        "procedure": stalled.procedure,
        "version": location.version if location is not None else None,
        "office": stalled.problems[0].office,
        "appointed": location.appointed if location is not None else None,
        "problems": [
            {
                "label": "rule_decided_unreturned"
                if decided and stall.rule == "past_appointed"
                else f"rule_{stall.rule}",
                "stall": stall,
            }
            for stall in stalled.problems
        ],
    }


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


def procedure_choices(services: Services, lang: str) -> list[tuple[str, str]]:
    """Every procedure, by code, with the name of its latest version in the page's language."""
    return [
        (subject, procedure_name(services, subject, None, lang))
        for subject in services.views().subjects("procedure")
    ]


def office_choices(
    services: Services, inspector: Inspector, root: str, now: int
) -> list[dict[str, Any]]:
    """The offices of `root`'s subtree to narrow the dashboard to, each once: those in operation
    today as a tree, depth first (`depth` for the indent), then those no longer in operation
    (merged or dissolved, as the districts on 1/7/2025: a dossier can still wait at one), by
    name, each with the office it answered to on its last day (`parent`) — two wards called
    "Phường 1" were in two different towns."""
    day = local_date(now)
    seen: set[str] = set()
    choices: list[dict[str, Any]] = []
    for office in offices_today(services, now):
        if office["id"] not in seen and inspector.within(office["id"], root, day):
            seen.add(office["id"])
            indent = "\u00a0" * 3 * office["depth"]  # kept by the browser, as spaces are not
            choices.append({**office, "indent": indent, "parent": "", "closed": False})
    closed = []
    for subject in services.views().subjects("office"):
        if subject in seen:
            continue
        found = inspector.office_of(subject)  # the registry as the inspector read it, once
        if found is None or found.active_on(day) or not inspector.within(subject, root, day):
            continue
        seen.add(subject)
        last = (found.ended or day) - timedelta(days=1)
        parent = found.parent_on(last)
        closed.append(
            {
                "id": subject,
                "name": found.name_on(max(last, found.established)),
                "parent": office_name(services, parent, start_of(last)) if parent else "",
                "depth": 0,
                "indent": "",
                "closed": True,
            }
        )
    closed.sort(key=lambda o: (o["name"], o["parent"]))
    return choices + closed


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
