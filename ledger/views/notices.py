"""The notices an office and the offices below it signed to applicants over a period: apologies
with a new date or an extension, refusals at reception and stops — and the dossiers extended more
than once, which the 2018 rules forbade and for which Decree 118/2025 is unconfirmed (docs/law.md,
"Re-appointment"), so the ledger records them and an inspector can find them here.

A dossier counts for the office that received it, and for every office that office answered to on
the day of receipt (`sla.Inspector.within`), as in the office report (`reports.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from domain.instant import local_date
from ledger.views import queries

if TYPE_CHECKING:
    from ledger.views.sla import Inspector

APOLOGIES = ("dossier.delay_notified", "dossier.extension_requested")


@dataclass(frozen=True, kw_only=True)
class NoticeCounts:
    """Over [start, end): dossiers that got an apology with a new date or an extension, were
    refused at reception, or stopped; and the dossiers asked to be extended more than once, with
    one of those asks in the period (`extended_again`, by code)."""

    office: str
    start: int
    end: int
    apologised: int = 0
    refused: int = 0
    stopped: int = 0
    extended_again: list[str] = field(default_factory=list)


def notice_counts(inspector: Inspector, office: str, start: int, end: int) -> NoticeCounts:
    """Each dossier received by `office` or below it (on its day of receipt) before `end`, by
    the notices signed to its applicant in [start, end): read from the notices' view
    (`lienthong_notices`), so the cost follows the notices, not the dossiers or their histories."""
    if end <= start:
        raise ValueError("a period must end after it starts")
    by_code: dict[str, list[tuple[str, bool]]] = {}
    for code, received_by, received_at, kind, at in queries.notices_before(
        inspector.projector.view, end
    ):
        if inspector.within(received_by, office, local_date(received_at)):
            by_code.setdefault(code, []).append((kind, start <= at))
    apologised = refused = stopped = 0
    again: list[str] = []
    for code, kinds in by_code.items():
        within = [kind for kind, inside in kinds if inside]
        apologised += any(kind in APOLOGIES for kind in within)
        refused += "dossier.refused" in within
        stopped += "dossier.stopped" in within
        extensions = [kind for kind, _inside in kinds if kind == "dossier.extension_requested"]
        if len(extensions) > 1 and "dossier.extension_requested" in within:
            again.append(code)
    return NoticeCounts(
        office=office,
        start=start,
        end=end,
        apologised=apologised,
        refused=refused,
        stopped=stopped,
        extended_again=again,
    )
