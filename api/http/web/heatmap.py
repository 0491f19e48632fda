"""The inspector's map of offices (bản đồ nhiệt): every office of the subtree on the office tree,
with its dossiers resolved early / on time / late, its late rate, and the median working time it
held a dossier before handing it on — coloured against a target the page states, each number
leading to the dossiers behind it, the table sortable by each column (on the server: links in the
column heads, no script) — its on-time rate drawn as a bar (server-drawn SVG, no script); and
below, the national index's indicators the ledger can know for the whole subtree
(ledger/views/reports.py). The period is a run of whole months, chosen from a month to a month."""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.http.access import ServicesDep, may_read_office
from api.http.services import Services
from api.http.web.officer import offices_today
from api.http.web.oversight import office_refusal
from api.http.web.pages import language, render
from api.http.web.paging import page_number, page_of
from api.http.web.session import caller
from api.http.web.words import say
from domain.instant import local_date, start_of
from ledger.views.dashboard import past_appointed_by_office
from ledger.views.holding import held_dossiers, held_times
from ledger.views.reports import UNKNOWABLE, decided_by_month, paged_decisions
from ledger.views.rollup import results_by_office
from ledger.views.sla import WORKING_DAY_SECONDS, Inspector, office_report

router = APIRouter(include_in_schema=False)
MAP = "/giam-sat/ban-do"  # where a refused query is put right: the map of the last 12 months
RESULTS = ("early", "on_time", "late")
# the map's colour scales, against the targets the page states (words: map_scale_*): a late rate
# of 0 % is the target and white, 20 % or more the darkest red; holding a dossier up to one
# working day (the one-stop desk forwards by the next working day) is white, ten or more darkest
LATE_TARGET, LATE_WORST = 0.0, 0.20
HOLD_TARGET_DAYS, HOLD_WORST_DAYS = 1, 10
# the columns the overview sorts by, and the order each starts in when its head is first chosen:
# the office by name A to Z, every figure largest first (the slowest office at the top)
SORTS = {
    "office": "asc",
    "early": "desc",
    "on_time": "desc",
    "late": "desc",
    "late_rate": "desc",
    "dwell": "desc",
    "overdue": "desc",
}
ORDERS = ("asc", "desc")
MONTH = re.compile(r"(\d{4})-(\d{2})")
LONGEST_MONTHS = 60


def monthly(inspector: Inspector, office: str, first: date, last: date) -> list[dict[str, Any]]:
    """The office's (and its subtree's) on-time rate month by month, [first, last): its
    decisions in the period counted by result in each month (Vietnam time), from the figures
    kept per month (`decided_by_month`)."""
    by_month = {
        f"{month:02d}/{year}": counted
        for (year, month), counted in decided_by_month(
            inspector, office, start_of(first), start_of(last)
        ).items()
    }
    months = []
    start = first
    while start < last:
        counted = by_month.get(f"{start:%m/%Y}", Counter())
        decided = counted["early"] + counted["on_time"] + counted["late"]
        rate = (counted["early"] + counted["on_time"]) / decided if decided else None
        months.append({"month": f"{start:%m/%Y}", "rate": rate, "decided": decided})
        start = _next_month(start)
    return months


def shade(rate: float | None) -> str:
    """A background for a late rate against its target: white at the target (0 %), darker red
    up to the worst (20 %) and the darkest from there; grey where there is no rate."""
    if rate is None:
        return "background:#f2f2f2"
    return _red((rate - LATE_TARGET) / (LATE_WORST - LATE_TARGET))


def hold_shade(seconds: int | None) -> str:
    """A background for a holding time in working seconds against its target: white up to one
    working day, darker red up to ten, the darkest from there; grey where there is none. An
    office's own time, not measured against the others': a few minutes are white whatever the
    other offices took."""
    if seconds is None:
        return "background:#f2f2f2"
    days = seconds / WORKING_DAY_SECONDS
    return _red((days - HOLD_TARGET_DAYS) / (HOLD_WORST_DAYS - HOLD_TARGET_DAYS))


def _red(level: float) -> str:
    """White at 0, dark red at 1 and beyond; the text black or white, whichever keeps the
    contrast WCAG AA asks for (4.5 : 1)."""
    level = min(max(level, 0.0), 1.0)
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


def scale() -> list[dict[str, str]]:
    """The legend of the late-rate colours: the target, three steps, and the worst."""
    steps = [LATE_TARGET + (LATE_WORST - LATE_TARGET) * i / 4 for i in range(5)]
    return [{"rate": f"{rate * 100:.0f} %", "style": shade(rate)} for rate in steps]


def rows_for(services: Services, root: str, start: int, end: int, now: int) -> list[dict[str, Any]]:
    """Every office in operation today in `root`'s subtree, in the tree's order, with its
    figures for [start, end) and its dossiers past their appointed date now."""
    inspector = services.inspector()
    held = held_times(inspector, start, end)
    day = local_date(now)
    # past their appointed date now, where they are now: the list a number on the map leads to
    overdue = past_appointed_by_office(inspector, now, root)
    results = results_by_office(inspector, start, end)
    rows = []
    for office in offices_today(services, now):
        if not inspector.within(office["id"], root, day):
            continue
        counted = results.get(office["id"], Counter())
        early, on_time, late = counted["early"], counted["on_time"], counted["late"]
        decided = early + on_time + late
        times = held.get(office["id"], [])
        found = inspector.office_of(office["id"])  # the registry as the inspector read it, once
        parent = found.parent_on(day) if found is not None else None
        above = inspector.office_of(parent) if parent else None
        rows.append(
            {
                **office,
                "parent": (above.name_on(day) if above is not None else parent) if parent else "",
                "early": early,
                "on_time": on_time,
                "late": late,
                "decided": decided,
                "late_rate": late / decided if decided else None,
                "on_time_rate": (early + on_time) / decided if decided else None,
                "overdue": overdue[office["id"]],
                "dwell": round(statistics.median(times)) if times else None,
                "handed_on": len(times),
            }
        )
    return rows


def sorted_rows(rows: list[dict[str, Any]], sort: str, order: str) -> list[dict[str, Any]]:
    """`rows` by `sort` in `order`: the office by name, a figure by its value; the offices with
    no figure (no dossier decided or handed on) last either way, in the tree's order."""
    if sort == "office":
        return sorted(rows, key=lambda r: r["name"].casefold(), reverse=order == "desc")
    known = [r for r in rows if r[sort] is not None]
    known.sort(key=lambda r: r[sort], reverse=order == "desc")  # stable: ties in tree order
    return known + [r for r in rows if r[sort] is None]


def sort_links(sort: str, order: str, period: list[tuple[str, str]]) -> dict[str, dict[str, str]]:
    """For each column head: the address that sorts by it (the other way round if the table is
    sorted by it already) and its aria-sort ("" where it is not the column sorted by)."""
    heads = {}
    for column, first in SORTS.items():
        chosen = column == sort
        then = ("asc" if order == "desc" else "desc") if chosen else first
        query = "&".join(f"{k}={v}" for k, v in [*period, ("sort", column), ("order", then)])
        heads[column] = {
            "href": f"/giam-sat/ban-do?{query}",
            "aria": ("ascending" if order == "asc" else "descending") if chosen else "",
        }
    return heads


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _month(text: str) -> date | None:
    """The first day of the month `text` names as an <input type=month> sends it (2025-07)."""
    found = MONTH.fullmatch(text)
    if found is None or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 1:
        return None
    return date(int(found.group(1)), int(found.group(2)), 1)


def _months_back(day: date, count: int) -> date:
    """The first day of the month `count` months before `day`'s."""
    months = day.year * 12 + day.month - 1 - count
    return date(months // 12, months % 12 + 1, 1)


def period(now: int, months: int) -> tuple[date, date]:
    """The first day of the `months` calendar months that end with this one, and tomorrow."""
    today = local_date(now)
    return _months_back(today, months - 1), today + timedelta(days=1)


@dataclass(frozen=True)
class Period:
    """The months the map and its lists count: from `first` to the day before `after`."""

    first: date
    after: date


def chosen_period(
    now: int, start: str, end: str, months: str, lang: str
) -> Period | tuple[int, str]:
    """The period the page is asked for, from its first day to the day after its last: from the month
    `start` to the month `end` (2025-07), the later one today at most (tomorrow is the end);
    without them, the `months` months ending with this one (12 unless said). Or, refused: the
    status and why, in words — a month not written as year-month, one still to come, `start`
    after `end`, more than 60 months, a count of months that is not 1 to 60."""
    today = local_date(now)
    this_month = today.replace(day=1)
    if not start and not end:
        count = int(months) if months.isdigit() else 0
        if not 1 <= count <= LONGEST_MONTHS:
            return 400, say("map_bad_months", lang, months=months, most=LONGEST_MONTHS)
        return Period(*period(now, count))
    last = _month(end) if end else this_month
    if last is None:
        return 400, say("map_bad_month", lang, month=end)
    first = _month(start) if start else _months_back(last, 11)
    if first is None:
        return 400, say("map_bad_month", lang, month=start)
    if last > this_month:
        return 400, say("map_month_ahead", lang, month=f"{last:%m/%Y}")
    if first > last:
        return 400, say("map_months_reversed", lang, first=f"{first:%m/%Y}", last=f"{last:%m/%Y}")
    if (last.year - first.year) * 12 + last.month - first.month + 1 > LONGEST_MONTHS:
        return 400, say("map_too_long", lang, most=LONGEST_MONTHS)
    return Period(first, min(_next_month(last), today + timedelta(days=1)))


def period_kept(first: date, last: date) -> list[tuple[str, str]]:
    """The query parameters that ask for the period [first, last) again."""
    return [("start", f"{first:%Y-%m}"), ("end", f"{last - timedelta(days=1):%Y-%m}")]


@router.get("/giam-sat/ket-qua")
def decided_list(
    request: Request,
    services: ServicesDep,
    office: str = "",
    result: str = "late",
    start: str = "",
    end: str = "",
    months: str = "12",
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
        return render(request, "decided.html", 400, problem=bad, token=token, fix=MAP)
    number = page_number(page)
    if number is None:
        return render(
            request, "decided.html", 400, problem=say("bad_page", lang, page=page), token=token
        )
    chosen = chosen_period(now, start, end, months, lang)
    if not isinstance(chosen, Period):
        return render(request, "decided.html", chosen[0], problem=chosen[1], token=token, fix=MAP)
    first, last = chosen.first, chosen.after
    inspector = services.inspector()
    office = office or token.office
    refused = office_refusal(services, token, office, inspector, now, lang)
    if refused is not None:
        return render(request, "decided.html", refused[0], problem=refused[1], token=token)
    # read a page at a time: one COUNT and one page of rows (`page_of` takes its slice)
    rows = paged_decisions(inspector, office, start_of(first), start_of(last), result=result)
    kept = [("office", office), ("result", result), *period_kept(first, last)]
    return render(
        request,
        "decided.html",
        problem=None,
        token=token,
        shown=page_of(rows, number, "/giam-sat/ket-qua", kept),
        result=result,
        office=office,
        first=first,
        last=last - timedelta(days=1),
        back=period_kept(first, last),
    )


@router.get("/giam-sat/giu")
def held_list(
    request: Request,
    services: ServicesDep,
    office: str = "",
    start: str = "",
    end: str = "",
    months: str = "12",
    page: str = "1",
) -> HTMLResponse:
    """The dossiers behind an office's median holding time: each one it handed on in the
    period, with the working time it held it, longest first."""
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
    chosen = chosen_period(now, start, end, months, lang)
    if not isinstance(chosen, Period):
        return render(request, "held.html", chosen[0], problem=chosen[1], token=token, fix=MAP)
    first, last = chosen.first, chosen.after
    inspector = services.inspector()
    office = office or token.office
    refused = office_refusal(services, token, office, inspector, now, lang)
    if refused is not None:
        return render(request, "held.html", refused[0], problem=refused[1], token=token)
    rows = held_dossiers(inspector, start_of(first), start_of(last), office)  # longest first
    kept = [("office", office), *period_kept(first, last)]
    return render(
        request,
        "held.html",
        problem=None,
        token=token,
        shown=page_of(rows, number, "/giam-sat/giu", kept),
        office=office,
        first=first,
        last=last - timedelta(days=1),
        back=period_kept(first, last),
    )


@router.get("/giam-sat/ban-do")
def heatmap(
    request: Request,
    services: ServicesDep,
    start: str = "",
    end: str = "",
    months: str = "12",
    sort: str = "",
    order: str = "",
) -> HTMLResponse:
    token = caller(request, services)
    lang = language(request)
    now = services.clock.now()
    if token.role != "inspector" or token.office is None:
        return render(request, "heatmap.html", 403, problem=say("forbidden", lang), token=token)
    if sort and sort not in SORTS:
        bad = say("map_bad_sort", lang, sort=sort)
        return render(request, "heatmap.html", 400, problem=bad, token=token, fix=MAP)
    if order and order not in ORDERS:
        bad = say("map_bad_order", lang, order=order)
        return render(request, "heatmap.html", 400, problem=bad, token=token, fix=MAP)
    chosen = chosen_period(now, start, end, months, lang)
    if not isinstance(chosen, Period):
        return render(request, "heatmap.html", chosen[0], problem=chosen[1], token=token, fix=MAP)
    first, last = chosen.first, chosen.after
    inspector = services.inspector()
    may_read_office(token, token.office, inspector, local_date(now))
    rows = rows_for(services, token.office, start_of(first), start_of(last), now)
    if sort:
        rows = sorted_rows(rows, sort, order or SORTS[sort])
    by_month = monthly(inspector, token.office, first, last)
    report = office_report(
        inspector,
        token.office,
        start_of(first),
        start_of(last),
        scans=services.files,
        ratings=services.ratings,
    )
    kept = period_kept(first, last)
    return render(
        request,
        "heatmap.html",
        problem=None,
        token=token,
        rows=rows,
        shade=shade,
        hold_shade=hold_shade,
        scale=scale(),
        late_worst=f"{LATE_WORST * 100:.0f} %",
        hold_target=HOLD_TARGET_DAYS,
        hold_worst=HOLD_WORST_DAYS,
        first=first,
        last=last - timedelta(days=1),
        this_month=f"{local_date(now):%Y-%m}",
        kept="&".join(f"{k}={v}" for k, v in kept),
        sort=sort,
        order=order or SORTS.get(sort, "asc"),
        heads=sort_links(sort, order or SORTS.get(sort, "asc"), kept),
        by_month=by_month,
        report=report,
        unknowable=[vi if lang == "vi" else en for vi, en in UNKNOWABLE.values()],
        percent=percent,
    )


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.0f} %"
