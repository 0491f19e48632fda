"""Every office's results at once, for the map of offices (bản đồ nhiệt).

`ledger.views.reports.office_report` answers for one office; a map of the province's 150-odd
offices would ask as many times. Here one SELECT counts the dossiers decided in a period by
receiving office, piece of time (`aggregates.Pieces`: the registry's chains do not change within
one) and result, and each group counts for the office that received it and for every office above
that one on the day of receipt (`Inspector.lineage`), which is exactly how `office_report`
counts its early, on-time and late dossiers. The offices' holding times, in working time, are
`ledger/views/holding.py`'s."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from domain.instant import local_date
from ledger.views import aggregates, months, queries
from ledger.views.deadlines import judge
from ledger.views.sla import Inspector
from ledger.views.stalls import Stall


def results_by_office(inspector: Inspector, start: int, end: int) -> dict[str, Counter[str]]:
    """For every office: its dossiers decided in [start, end), counted by result (early,
    on_time, late); offices with none are absent. One SELECT grouped by receiving office, piece
    of time (`aggregates.Pieces`) and result; each group then counted along its chain. For a
    period of whole months, the groups are summed from the cells kept per receiving office and
    month (`months.py`), and only the months a day of the registry cuts are read row by row."""
    found = aggregates.pieces(inspector)
    view = inspector.projector.view
    piece, params = found.piece()
    first, after = months.whole(start), months.whole(end)
    groups: list[tuple[str, int, tuple[str, int]]] = []
    # the dossiers counted from their rows: all of them, or for whole months those received in
    # a month the registry cuts (none: None)
    from_rows: tuple[str, list[Any]] | None = ("1 = 1", [])
    if first is not None and after is not None:
        cut = found.cut
        for received_by, received_month, result, n in view.query(
            f"SELECT received_by, received_month, result, SUM(n) FROM {months.DECIDED} "  # noqa: S608
            "WHERE decided_month >= ? AND decided_month < ? AND received_month < ? "
            "GROUP BY 1, 2, 3 HAVING SUM(n) <> 0",
            [first, after, after],
        ):
            if int(received_month) not in cut:
                at = found.piece_of_month(int(received_month))
                groups.append((str(received_by), at, (str(result), int(n))))
        from_rows = found.in_cut()
    if from_rows is not None:
        for received_by, piece_of, result, n in view.query(
            f"SELECT received_by, {piece}, {aggregates.RESULT}, COUNT(*) "  # noqa: S608
            "FROM lienthong_location WHERE decided_at >= ? AND decided_at < ? AND received_at < ? "
            f"AND {from_rows[0]} GROUP BY 1, 2, 3",
            [*params, start, end, end, *from_rows[1]],
        ):
            groups.append((str(received_by), int(piece_of), (str(result), int(n))))
    counts: dict[str, Counter[str]] = {}
    for office, results in found.spread(groups).items():
        counted = counts[office] = Counter()
        for result, n in results:
            counted[result] += n
    return counts


def _results_by_office_by_rows(
    inspector: Inspector, start: int, end: int
) -> dict[str, Counter[str]]:
    """The reference `results_by_office`, one decided dossier at a time (kept for
    tests/test_report_sql.py)."""
    rows = queries.decided_between(inspector.projector.view, start, end)
    counts: dict[str, Counter[str]] = {}
    for received_by, received_at, appointed, decided_at in rows:
        result = judge(decided_at, appointed, decided_at)
        if result is None:
            continue
        for office in inspector.lineage(received_by, local_date(received_at)):
            counts.setdefault(office, Counter())[result] += 1
    return counts


def stalls_by_office(inspector: Inspector, stalls: Iterable[Stall], at: int) -> Counter[str]:
    """For every office: how many of `stalls` sit at it or at an office answering to it at `at`."""
    day = local_date(at)
    return Counter(
        office
        for stall in stalls
        for office in inspector.lineage(
            stall.office, day, procedure=stall.procedure, received_by=stall.received_by
        )
    )
