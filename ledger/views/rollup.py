"""Every office's results at once, for the map of offices (bản đồ nhiệt).

`ledger.views.reports.office_report` answers for one office with one pass over the dossiers; a map of
the province's 150-odd offices would make as many passes. Here one pass over the dossiers
decided in a period counts each one for the office that received it and for every office above
that one on the day of receipt (`Inspector.lineage`), which is exactly how `office_report`
counts its early, on-time and late dossiers. The offices' holding times, in working time, are
`ledger/views/holding.py`'s."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from domain.instant import local_date
from ledger.views import queries
from ledger.views.deadlines import judge
from ledger.views.sla import Inspector
from ledger.views.stalls import Stall


def results_by_office(inspector: Inspector, start: int, end: int) -> dict[str, Counter[str]]:
    """For every office: its dossiers decided in [start, end), counted by result (early,
    on_time, late); offices with none are absent."""
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

