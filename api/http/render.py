"""From the ledger's objects to the wire models of api/http/schemas/."""

from __future__ import annotations

from typing import Any

from api.http.schemas.common import iso
from api.http.schemas.dossiers import (
    BudgetOut,
    CutoffOut,
    FormOut,
    IndexOut,
    JudgedByOut,
    LocationOut,
    NoticeCountsOut,
    NoticeOut,
    ReportOut,
    SlipBlockOut,
    SlipOut,
    StallOut,
    UnknowableOut,
)
from ledger.views.notices import NoticeCounts
from ledger.views.reports import UNKNOWABLE
from ledger.views.sla import ControlSlip, OfficeReport, Stall
from ledger.views.slip import Notice
from ledger.views.tables import LOCATION, Location

# columns of the location row the API does not show: the marks the office report counts
# (ledger/views/marks.py). A citizen's rating is counted, never shown dossier by dossier (an
# officer must not learn who rated the office badly); whether the scans are all kept is the file
# listing's to say.
HIDDEN = frozenset({"digitised", "score"})


def location_out(
    found: Location, *, deadline: int | None = None, as_of: int | None = None
) -> LocationOut:
    """Every column of the row as it is (a test holds the model to the row's declaration) but
    the report's marks (`HIDDEN`), each instant with its ISO reading, the suspended time in
    seconds."""
    wire: dict[str, Any] = {
        name: getattr(found, name) for name in LOCATION.names if name not in HIDDEN
    }
    suspended_us = wire.pop("suspended_us")
    for instant in ("received_at", "since", "appointed"):
        wire[f"{instant}_iso"] = iso(wire[instant])
    return LocationOut(
        **wire,
        suspended_seconds=suspended_us // 1_000_000,
        level_deadline=deadline,
        level_deadline_iso=iso(deadline),
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
    form = slip.form
    return SlipOut(
        location=location_out(slip.location),
        blocks=blocks,
        at=slip.at,
        form=FormOut(
            type=form.type.value,
            number=form.number,
            name_vi=form.name_vi,
            name_en=form.name_en,
            circular=form.circular.number,
        ),
        legal_basis_vi=slip.legal_basis("vi"),
        legal_basis_en=slip.legal_basis("en"),
        cutoff=(
            CutoffOut(time=slip.cutoff.text, source=slip.cutoff.source)
            if slip.cutoff is not None
            else None
        ),
        notices=[notice_out(notice) for notice in slip.notices],
        provisional=slip.provisional or None,
    )


def notice_out(notice: Notice) -> NoticeOut:
    form = notice.form
    return NoticeOut(
        kind=notice.kind,
        office=notice.office,
        officer=notice.officer,
        at=notice.at,
        at_iso=iso(notice.at),
        reason=notice.reason,
        appointed=notice.appointed,
        appointed_iso=iso(notice.appointed),
        form=None
        if form is None
        else FormOut(
            type=form.type.value,
            number=form.number,
            name_vi=form.name_vi,
            name_en=form.name_en,
            circular=form.circular.number,
        ),
    )


def report_out(report: OfficeReport, notices: NoticeCounts | None = None) -> ReportOut:
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
        index=index_out(report),
        notices=None
        if notices is None
        else NoticeCountsOut(
            apologised=notices.apologised,
            refused=notices.refused,
            stopped=notices.stopped,
            extended_again=list(notices.extended_again),
        ),
        provisional=report.provisional,
        with_cutoff=report.with_cutoff,
        without_cutoff=report.resolved - report.with_cutoff,
        judged_by=[
            JudgedByOut(
                procedure=judged.procedure,
                version=judged.version,
                resolved=n,
                provisional=judged.provisional or None,
                cutoff=None
                if judged.cutoff is None
                else CutoffOut(time=judged.cutoff.text, source=judged.cutoff.source),
            )
            for judged, n in report.judged_by.items()
        ],
    )


def index_out(report: OfficeReport) -> IndexOut:
    figures = report.index
    return IndexOut(
        received_online=report.received.get("online", 0),
        online_rate=report.online_rate,
        digitised=figures.digitised,
        digitised_rate=report.digitised_rate,
        late_at_receipt=figures.late_at_receipt,
        late_apologised=figures.late_apologised,
        apology_rate=report.apology_rate,
        ratings=(
            None
            if figures.ratings is None
            else {str(score): n for score, n in figures.ratings.items()}
        ),
        rated=figures.rated,
        dissatisfied=figures.dissatisfied,
        satisfaction_rate=report.satisfaction_rate,
        unknowable=[
            UnknowableOut(indicator=code, title_vi=vi, title_en=en)
            for code, (vi, en) in UNKNOWABLE.items()
        ],
    )
