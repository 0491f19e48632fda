"""Reads for oversight: stalled dossiers, an office's inbox, an office's report."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from api.http.access import Caller, ServicesDep, may_read_office
from api.http.problems import BadRequest, Forbidden
from api.http.render import location_out, report_out, stall_out
from api.http.routes.params import (
    DayText,
    InstantText,
    LevelFilter,
    Limit,
    NumericCursor,
    OfficeFilter,
    OfficeId,
    ProcedureFilter,
    day,
    instant,
    position,
)
from api.http.schemas.common import Page
from api.http.schemas.dossiers import LocationOut, ReportOut, StallOut
from domain.instant import local_date, start_of
from ledger.views.notices import notice_counts
from ledger.views.sla import office_report

router = APIRouter(tags=["oversight"])
Rule = Literal["unacknowledged", "over_level_budget", "past_appointed", "due_soon"]  # sla.RULES
# office ids may hold a slash (29266/2025), so the routes below take `{office:path}`
Office = OfficeId
Cursor = NumericCursor


@router.get(
    "/stalls",
    response_model=Page[StallOut],
    summary="Stalled dossiers, most overdue first: unacknowledged in transit, over the level's "
    "budget, past the appointed date, or due soon",
)
def stalls(
    services: ServicesDep,
    token: Caller,
    office: OfficeFilter = None,
    level: LevelFilter = None,
    procedure: ProcedureFilter = None,
    rule: Annotated[Rule | None, Query(description="one stall rule")] = None,
    as_of: InstantText = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> Page[StallOut]:
    moment = instant(as_of, "as_of")
    inspector = services.inspector()
    now = services.clock.now()
    at = now if moment is None else moment  # 0 is an instant too (the epoch), not "now"
    if office is None:
        if token.role == "consumer":
            raise Forbidden("a consumer token does not read stalls")
        office = token.office if token.role in ("officer", "inspector") else None
    if office is not None:
        services.ledger.office(office)  # UnknownOffice → 404, as for the inbox and the report
        may_read_office(token, office, inspector, local_date(now))
    start = position(cursor)
    # the page and the stall after it, if any (read only as far as that from current views)
    found_stalls = inspector.stalls(
        at,
        office=office,
        level=level,
        procedure=procedure,
        rule=rule,
        current=at == now,
        limit=limit,
        offset=start,
    )
    page = found_stalls[:limit]
    more = len(found_stalls) > limit
    return Page(items=[stall_out(s) for s in page], next=str(start + limit) if more else None)


@router.get(
    "/offices/{office:path}/inbox",
    response_model=Page[LocationOut],
    summary="Dossiers sent to the office (or to an office that has ended and whose dossiers "
    "passed to it) and not yet acknowledged or refused, oldest first",
)
def inbox(
    office: Office, services: ServicesDep, token: Caller, cursor: Cursor = None, limit: Limit = 100
) -> Page[LocationOut]:
    inspector = services.inspector()
    services.ledger.office(office)
    now = services.clock.now()
    may_read_office(token, office, inspector, local_date(now))
    waiting = inspector.inbox(office, now)
    start = position(cursor)
    page = waiting[start : start + limit]
    more = start + limit < len(waiting)
    return Page(items=[location_out(w) for w in page], next=str(start + limit) if more else None)


@router.get(
    "/offices/{office:path}/report",
    response_model=ReportOut,
    summary="Báo cáo tình hình giải quyết hồ sơ: received, resolved early / on time / late, "
    "pending, for the office and the offices below it over [start, end)",
)
def report(
    office: Office,
    services: ServicesDep,
    token: Caller,
    start: DayText = None,
    end: DayText = None,
) -> ReportOut:
    inspector = services.inspector()
    services.ledger.office(office)
    now = services.clock.now()
    may_read_office(token, office, inspector, local_date(now))
    first = day(start, "start") or local_date(now).replace(day=1)
    last = day(end, "end") or local_date(now) + timedelta(days=1)
    if last <= first:
        raise BadRequest(f"end ({last}) must come after start ({first})")
    found = office_report(
        inspector,
        office,
        start_of(first),
        start_of(last),
        scans=services.files,
        ratings=services.ratings,
    )
    return report_out(found, notice_counts(inspector, office, start_of(first), start_of(last)))
