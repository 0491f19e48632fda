"""How long each office held each dossier before handing it on, in working time: what the map of
offices (bản đồ nhiệt) shows as an office's holding time, and the list behind it.

Working time, not the clock's: a dossier taken in on a Friday afternoon and handed on on Monday
morning was held a few working hours, not three days; the pages say it in working days
(`api.texts.working_span`), so the time they are given must be working time
(`ledger/views/durations.py`). One pass over the hops."""

from __future__ import annotations

from ledger.views import queries
from ledger.views.sla import Inspector


def held_by_office(
    inspector: Inspector, start: int, end: int, *, office: str | None = None
) -> dict[str, list[tuple[str, int]]]:
    """For every office that handed a dossier on within [start, end) (only `office`, if given):
    each such dossier, in code and hop order, with the working seconds it held it — from its
    receipt or acknowledgement (or a refused or recalled handover's return) to the dispatch.
    Offices that handed nothing on are absent. Only the hops dispatched in the period are read,
    each with the hop before it (`queries.handed_on`)."""
    held: dict[str, list[tuple[str, int]]] = {}
    for hop in queries.handed_on(inspector.projector.view, start, end, office):
        arrival = _arrival(hop)
        if arrival is not None and arrival[0] == hop.sender:
            worked = inspector.working_seconds(arrival[1], hop.dispatched_at)
            held.setdefault(hop.sender, []).append((hop.code, worked))
    return held


def _arrival(hop: queries.HandedOn) -> tuple[str, int] | None:
    """Where and since when the dossier was held when `hop` was dispatched, as far as the hop
    before it tells: the receipt, before any; the addressee from an acknowledgement; the sender,
    back from a refused or recalled handover; none after a hop not settled (or settled by
    nothing the rules know)."""
    if hop.hop == 1:
        return hop.received_by, hop.received_at
    before_from, before_to, ended_at = hop.before_from, hop.before_to, hop.before_ended_at
    if before_from is None or before_to is None or ended_at is None:
        return None  # no hop before it, or one not settled
    if hop.before_outcome == "acknowledged":
        return before_to, ended_at
    if hop.before_outcome in ("rejected", "recalled"):
        return before_from, ended_at  # back with the sender: its time starts again
    return None
