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
from ledger.views import aggregates, queries

if TYPE_CHECKING:
    from ledger.views.sla import Inspector

EXTENSION = "dossier.extension_requested"
APOLOGIES = ("dossier.delay_notified", EXTENSION)
REFUSED, STOPPED = "dossier.refused", "dossier.stopped"
# the period's notices by their index of instants, each one's dossier looked up by key (CROSS
# JOIN: SQLite keeps that order; it would read every dossier of the office and look its notices
# up — 600 against ~40 ms at 1,000,000 dossiers)
JOINED = "n.at >= ? AND n.at < ? AND l.code = n.code"


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
    the notices signed to its applicant in [start, end): two SQL aggregates over the notices'
    view (`lienthong_notices`, by its index of instants), each notice's dossier looked up by key
    and kept if `aggregates.Pieces.under` the office selects it — so the cost follows the
    period's notices, not the dossiers, every notice before the period or their histories. The
    reference, one notice at a time, is `_notice_counts_by_rows`
    (tests/test_report_sql.py holds them equal)."""
    if end <= start:
        raise ValueError("a period must end after it starts")
    view = inspector.projector.view
    under, params = aggregates.pieces(inspector).under(office)
    kinds = ", ".join("?" for _ in APOLOGIES)
    found = view.query(
        f"SELECT COUNT(DISTINCT CASE WHEN n.kind IN ({kinds}) THEN n.code END), "  # noqa: S608
        "COUNT(DISTINCT CASE WHEN n.kind = ? THEN n.code END), "
        "COUNT(DISTINCT CASE WHEN n.kind = ? THEN n.code END) "
        f"FROM lienthong_notices n CROSS JOIN lienthong_location l WHERE {JOINED} "
        f"AND {under}",
        [*APOLOGIES, REFUSED, STOPPED, start, end, *params],
    )
    apologised, refused, stopped = (int(n or 0) for n in found[0])
    # asked to be extended more than once before `end`, one of those asks in the period
    again = view.query(
        "SELECT DISTINCT n.code FROM lienthong_notices n "  # noqa: S608
        f"CROSS JOIN lienthong_location l WHERE {JOINED} AND n.kind = ? "
        f"AND {under} AND (SELECT COUNT(*) FROM lienthong_notices e WHERE e.code = n.code "
        "AND e.kind = ? AND e.at < ?) > 1 ORDER BY n.code",
        [start, end, EXTENSION, *params, EXTENSION, end],
    )
    return NoticeCounts(
        office=office,
        start=start,
        end=end,
        apologised=apologised,
        refused=refused,
        stopped=stopped,
        extended_again=[str(code) for (code,) in again],
    )


def _notice_counts_by_rows(inspector: Inspector, office: str, start: int, end: int) -> NoticeCounts:
    """The reference `notice_counts`: every notice before `end` read, each dossier judged in
    Python by `Inspector.within` (kept for tests/test_report_sql.py)."""
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
        refused += REFUSED in within
        stopped += STOPPED in within
        extensions = [kind for kind, _inside in kinds if kind == EXTENSION]
        if len(extensions) > 1 and EXTENSION in within:
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
