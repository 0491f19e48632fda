"""From the ledger's objects to the wire models of api/http/schemas.py."""

from __future__ import annotations

from api.http.schemas import BudgetOut, LocationOut, ReportOut, SlipBlockOut, SlipOut, StallOut, iso
from ledger.views.projector import Location
from ledger.views.sla import ControlSlip, OfficeReport, Stall


def location_out(
    found: Location, *, deadline: int | None = None, as_of: int | None = None
) -> LocationOut:
    return LocationOut(
        code=found.code,
        procedure=found.procedure,
        version=found.version,
        status=found.status,  # type: ignore[arg-type]  # the projection writes only these
        received_by=found.received_by,
        received_at=found.received_at,
        received_at_iso=iso(found.received_at),
        custodian=found.custodian,
        transit_from=found.transit_from,
        transit_to=found.transit_to,
        since=found.since,
        since_iso=iso(found.since),
        held_since=found.held_since,
        appointed=found.appointed,
        appointed_iso=iso(found.appointed),
        level_deadline=deadline,
        level_deadline_iso=iso(deadline),
        suspended_since=found.suspended_since,
        suspended_seconds=found.suspended_us // 1_000_000,
        hops=found.hops,
        decided=found.decided,
        decided_at=found.decided_at,
        closed_at=found.closed_at,
        channel=found.channel,
        last_seq=found.last_seq,
        as_of=as_of,
    )


def stall_out(stall: Stall) -> StallOut:
    return StallOut(
        code=stall.code,
        rule=stall.rule,
        since=stall.since,
        since_iso=iso(stall.since),
        over_seconds=stall.over_seconds,
        office=stall.office,
        procedure=stall.procedure,
        level=stall.level,
    )


def slip_out(slip: ControlSlip) -> SlipOut:
    blocks = [
        SlipBlockOut(
            **{
                name: getattr(block, name)
                for name in SlipBlockOut.model_fields
                if name not in ("budget", "deadline_iso")
            },
            budget=None
            if block.budget is None
            else BudgetOut(
                level=block.budget.level, days=block.budget.days, day_type=block.budget.day_type
            ),
            deadline_iso=iso(block.deadline),
        )
        for block in slip.blocks
    ]
    return SlipOut(location=location_out(slip.location), blocks=blocks, at=slip.at)


def report_out(report: OfficeReport) -> ReportOut:
    return ReportOut(
        office=report.office,
        start=report.start,
        end=report.end,
        received=dict(report.received),
        carried_over=report.carried_over,
        early=report.early,
        on_time=report.on_time,
        late=report.late,
        resolved=report.resolved,
        on_time_rate=report.on_time_rate,
        pending_within=report.pending_within,
        pending_overdue=report.pending_overdue,
    )
