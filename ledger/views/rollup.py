"""Every office's results at once, for the map of offices (bản đồ nhiệt).

`ledger.views.reports.office_report` answers for one office with one pass over the dossiers; a map of
the province's 150-odd offices would make as many passes. Here one pass over the dossiers
decided in a period counts each one for the office that received it and for every office above
that one on the day of receipt (`Inspector.lineage`), which is exactly how `office_report`
counts its early, on-time and late dossiers. One pass over the hops gives every office's holding
times, for the map's median."""

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


def dwell_by_office(inspector: Inspector, start: int, end: int) -> dict[str, list[tuple[str, int]]]:
    """How long each office held each dossier before dispatching it within [start, end), as
    (code, microseconds): from its receipt or acknowledgement (or a refused handover's return)
    to the dispatch."""
    received = queries.receipts(inspector.projector.view)
    held: dict[str, list[tuple[str, int]]] = {}
    arrival: tuple[str, int] | None = None
    current = None
    for code, sender, dispatched_at, addressee, outcome, ended_at in queries.handovers(
        inspector.projector.view
    ):
        if code != current:
            current, arrival = code, received.get(code)
        if arrival is not None and arrival[0] == sender and start <= dispatched_at < end:
            held.setdefault(sender, []).append((code, dispatched_at - arrival[1]))
        if outcome == "acknowledged" and ended_at is not None:
            arrival = (addressee, ended_at)
        elif outcome in ("rejected", "recalled") and ended_at is not None:
            arrival = (sender, ended_at)  # back with the sender: its time starts again
        else:
            arrival = None
    return held
