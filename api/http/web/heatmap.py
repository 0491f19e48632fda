"""The inspector's map of offices (bản đồ nhiệt): every office of the subtree on the office tree,
with its dossiers resolved early / on time / late, its late rate, and the median time it held a
dossier before handing it on — colour-coded, each number leading to the dossiers behind it — and
its on-time rate drawn as a bar (server-drawn SVG, no script); and below, the national index's
indicators the ledger can know for the whole subtree (ledger/views/reports.py)."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.http.access import ServicesDep, may_read_office
from api.http.services import Services
from api.http.web.officer import offices_today
from api.http.web.oversight import office_refusal
from api.http.web.pages import language, office_name, render
from api.http.web.paging import page_number, page_of
from api.http.web.session import caller
from api.http.web.words import say
from domain.instant import local_date, start_of
from ledger.views.reports import UNKNOWABLE
from ledger.views.rollup import dwell_by_office, results_by_office, stalls_by_office
from ledger.views.sla import Inspector, decisions, office_report

router = APIRouter(include_in_schema=False)
HOUR_US = 3600 * 1_000_000
RESULTS = ("early", "on_time", "late")


def monthly(inspector: Inspector, office: str, first: date, last: date) -> list[dict[str, Any]]:
    """The office's (and its subtree's) on-time rate month by month, [first, last): one pass
    over its decisions in the period, each counted in the month (Vietnam time) it was made."""
    by_month: dict[str, Counter[str]] = {}
    for decision in decisions(inspector, office, start_of(first), start_of(last)):
        by_month.setdefault(f"{local_date(decision.decided_at):%m/%Y}", Counter())[
            decision.result
        ] += 1
    months = []
    start = first
    while start < last:
        counted = by_month.get(f"{start:%m/%Y}", Counter())
        decided = counted["early"] + counted["on_time"] + counted["late"]
        rate = (counted["early"] + counted["on_time"]) / decided if decided else None
        months.append({"month": f"{start:%m/%Y}", "rate": rate, "decided": decided})
        start = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return months


def shade(rate: float | None) -> str:
    """A background for a share (a late rate): white at 0, dark red from 50 %; the text black or
    white, whichever keeps the contrast WCAG AA asks for (4.5 : 1)."""
    if rate is None:
        return "background:#f2f2f2"
    level = min(rate / 0.5, 1.0)
    colour = (round(255 - 105 * level), round(255 - 255 * level), round(255 - 255 * level))
    background = _luminance(colour)
    on_black, on_white = (background + 0.05) / 0.05, 1.05 / (background + 0.05)
    text = "#000" if on_black >= on_white else "#fff"
    return f"background:rgb{colour};color:{text}"


def _luminance(colour: tuple[int, int, int]) -> float:
    """WCAG relative luminance of an sRGB colour."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(c) for c in colour)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def rows_for(services: Services, root: str, start: int, end: int, now: int) -> list[dict[str, Any]]:
    inspector = services.inspector()
    dwell = dwell_by_office(inspector, start, end)
    day = local_date(now)
    # past their appointed date now, where they are now: the list a number on the map leads to
    late_now = inspector.stalls(now, office=root, rule="past_appointed")
    overdue = stalls_by_office(inspector, late_now, now)
    results = results_by_office(inspector, start, end)
    rows = []
    for office in offices_today(services, now):
        if not inspector.within(office["id"], root, day):
            continue
        counted = results.get(office["id"], Counter())
        early, on_time, late = counted["early"], counted["on_time"], counted["late"]
        decided = early + on_time + late
        held = dwell.get(office["id"], [])
        rows.append(
            {
                **office,
                "early": early,
                "on_time": on_time,
                "late": late,
                "decided": decided,
                "late_rate": late / decided if decided else None,
                "on_time_rate": (early + on_time) / decided if decided else None,
                "overdue": overdue[office["id"]],
                "dwell_hours": statistics.median(t for _, t in held) / HOUR_US if held else None,
                "handed_on": len(held),
            }
        )
    return rows


def period(now: int, months: int) -> tuple[date, date]:
    """The first day of the `months` calendar months that end with this one, and tomorrow."""
    today = local_date(now)
    first = today.replace(day=1)
    for _ in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    return first, today + timedelta(days=1)


@router.get("/giam-sat/ket-qua")
def decided_list(
    request: Request,
    services: ServicesDep,
    office: str = "",
    result: str = "late",
    months: int = 12,
    page: str = "1",
) -> HTMLResponse:
    """The dossiers behind a number on the map: decided early, on time or late at an office."""
    token = caller(request, services)
    lang = language(request)
    now = services.clock.now()
    if token.role != "inspector" or token.office is None:
        return render(request, "decided.html", 403, problem=say("forbidden", lang), token=token)
    if result not in RESULTS:
        bad = say("bad_result", lang, result=result)
        return render(request, "decided.html", 400, problem=bad, token=token)
    number = page_number(page)
    if number is None:
        return render(
            request, "decided.html", 400, problem=say("bad_page", lang, page=page), token=token
        )
    inspector = services.inspector()
    office = office or token.office
    refused = office_refusal(services, token, office, inspector, now, lang)
    if refused is not None:
        return render(request, "decided.html", refused[0], problem=refused[1], token=token)
    months = max(1, min(months, 60))
    first, last = period(now, months)
    rows = [
        decision
        for decision in decisions(inspector, office, start_of(first), start_of(last))
        if decision.result == result
    ]
    kept = [("office", office), ("result", result), ("months", str(months))]
    return render(
        request,
        "decided.html",
        problem=None,
        token=token,
        shown=page_of(rows, number, "/giam-sat/ket-qua", kept),
        result=result,
        office_label=office_name(services, office, now),
    )


@router.get("/giam-sat/giu")
def held_list(
    request: Request, services: ServicesDep, office: str = "", months: int = 12, page: str = "1"
) -> HTMLResponse:
    """The dossiers behind an office's median holding time: each one it handed on in the
    period, with how long it held it, longest first."""
    token = caller(request, services)
    lang = language(request)
    now = services.clock.now()
    if token.role != "inspector" or token.office is None:
        return render(request, "held.html", 403, problem=say("forbidden", lang), token=token)
    number = page_number(page)
    if number is None:
        return render(
            request, "held.html", 400, problem=say("bad_page", lang, page=page), token=token
        )
    inspector = services.inspector()
    office = office or token.office
    refused = office_refusal(services, token, office, inspector, now, lang)
    if refused is not None:
        return render(request, "held.html", refused[0], problem=refused[1], token=token)
    first, last = period(now, max(1, min(months, 60)))
    held = dwell_by_office(inspector, start_of(first), start_of(last)).get(office, [])
    rows = sorted(((code, t / HOUR_US) for code, t in held), key=lambda row: -row[1])
    kept = [("office", office), ("months", str(months))]
    return render(
        request,
        "held.html",
        problem=None,
        token=token,
        shown=page_of(rows, number, "/giam-sat/giu", kept),
        office_label=office_name(services, office, now),
    )


@router.get("/giam-sat/ban-do")
def heatmap(request: Request, services: ServicesDep, months: int = 12) -> HTMLResponse:
    token = caller(request, services)
    lang = language(request)
    now = services.clock.now()
    if token.role != "inspector" or token.office is None:
        return render(request, "heatmap.html", 403, problem=say("forbidden", lang), token=token)
    inspector = services.inspector()
    may_read_office(token, token.office, inspector, local_date(now))
    months = max(1, min(months, 60))
    first, last = period(now, months)
    rows = rows_for(services, token.office, start_of(first), start_of(last), now)
    by_month = monthly(inspector, token.office, first, last)
    longest = max((r["dwell_hours"] for r in rows if r["dwell_hours"] is not None), default=0.0)
    for row in rows:  # holding time shaded against the office that holds dossiers longest
        hours = row["dwell_hours"]
        row["dwell_shade"] = shade(None if hours is None or not longest else hours / longest / 2)
    report = office_report(
        inspector,
        token.office,
        start_of(first),
        start_of(last),
        scans=services.files,
        ratings=services.ratings,
    )
    return render(
        request,
        "heatmap.html",
        problem=None,
        token=token,
        rows=rows,
        shade=shade,
        first=first,
        last=last - timedelta(days=1),
        months=months,
        by_month=by_month,
        report=report,
        unknowable=[vi if lang == "vi" else en for vi, en in UNKNOWABLE.values()],
        percent=percent,
    )


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.0f} %"
