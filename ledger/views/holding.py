"""How long each office held each dossier before handing it on, in working time: what the map of
offices (bản đồ nhiệt) shows as an office's holding time, and the list behind it.

Working time, not the clock's: a dossier taken in on a Friday afternoon and handed on on Monday
morning was held a few working hours, not three days; the pages say it in working days
(`api.texts.working_span`), so the time they are given must be working time
(`ledger/views/durations.py`). One pass over the hops."""

from __future__ import annotations

from ledger.views import queries
from ledger.views.sla import Inspector


def held_by_office(inspector: Inspector, start: int, end: int) -> dict[str, list[tuple[str, int]]]:
    """For every office that handed a dossier on within [start, end): each such dossier, with
    the working seconds it held it — from its receipt or acknowledgement (or a refused or
    recalled handover's return) to the dispatch. Offices that handed nothing on are absent."""
    view = inspector.projector.view
    received = queries.receipts(view)
    held: dict[str, list[tuple[str, int]]] = {}
    arrival: tuple[str, int] | None = None
    current = None
    for code, sender, dispatched_at, addressee, outcome, ended_at in queries.handovers(view):
        if code != current:
            current, arrival = code, received.get(code)
        if arrival is not None and arrival[0] == sender and start <= dispatched_at < end:
            worked = inspector.working_seconds(arrival[1], dispatched_at)
            held.setdefault(sender, []).append((code, worked))
        if outcome == "acknowledged" and ended_at is not None:
            arrival = (addressee, ended_at)
        elif outcome in ("rejected", "recalled") and ended_at is not None:
            arrival = (sender, ended_at)  # back with the sender: its time starts again
        else:
            arrival = None
    return held
