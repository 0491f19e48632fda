"""Where every open dossier was at a past instant, from the rows the views already hold — the
dossier's location row, its legs (one per hop) and its supplement windows — instead of replaying
each dossier's history (`Projector.as_of`).

A dossier received by the instant `at` and not closed by then (the dossiers `queries.open_at`
names) was, at `at`:

- in transit, if its last hop dispatched by `at` was not settled by then: from the hop's sender to
  its addressee since the dispatch;
- otherwise held by the office of its last hop settled by then — the addressee that acknowledged
  it, or the sender a refused or recalled dispatch came back to — since the settlement (the
  receiving office since the receipt, before any hop); its turn began at the last
  acknowledgement (the receipt, before any);
- awaiting a supplement, if a window began by `at` had not ended by then; the time awaited so far
  is the windows ended by then;
- decided, if the decision was signed by then; appointed for the time signed at receipt until
  the first apology slip, and for the time the last apology names once every apology is signed.

Each statement counts from the instant it carries, as the replay does as long as a dossier's
statements follow each other in time. They need not: the ledger accepts a statement dated
within its clock tolerance of its own clock, so two statements of a dossier recorded in turn may
carry instants up to twice the tolerance apart in the other order, and the replay stops at the
first statement dated after `at`. So a dossier is replayed — its history through the projection's
rules, as the dossier page does — when the views cannot answer for it exactly:

- one of its instants lies within twice the clock tolerance of `at` (a statement recorded after
  it may carry an earlier instant on the other side of `at`);
- its hops do not follow one another by `at` (a hop dispatched by then after one that was not
  settled by then, or a hop missing before one dispatched by then);
- an apology slip was signed by `at` and another after it (the views keep the appointed time the
  last apology names, not each one's).

A server whose tolerance was once larger than it is now answers with the tolerance it has now.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ledger.views import queries
from ledger.views.tables import LEGS, LOCATION, Leg, Location

if TYPE_CHECKING:
    from ledger.views.sla import Inspector

Span = tuple[int, int | None]  # a supplement window: from, to (None: not ended)


@dataclass(frozen=True)
class Then:
    """A dossier as it was at an instant: its location row, its hops dispatched by then (a hop
    settled after it without its settlement) and its supplement windows begun by then (one
    ended after it without its end). `replayed`: answered by replaying its history."""

    location: Location
    legs: tuple[Leg, ...]
    spans: tuple[Span, ...]
    replayed: bool = False


def open_at(inspector: Inspector, at: int, *, margin: int | None = None) -> list[Then]:
    """Every dossier received by `at` and not closed by then, as it was at `at`, in code order:
    from the views' rows (four SELECTs), replaying only the dossiers they cannot answer for —
    those with an instant within `margin` microseconds of `at` among them (default: twice the
    ledger's clock tolerance, the most two statements recorded in turn can go back in time)."""
    view = inspector.projector.view
    if margin is None:
        margin = 2 * inspector.ledger.settings.clock_tolerance_seconds * 1_000_000
    rows = sorted(queries.open_rows_at(view, at), key=_code)
    legs: defaultdict[str, list[Leg]] = defaultdict(list)
    for leg in sorted(queries.open_legs_at(view, at), key=_hop):
        legs[leg.code].append(leg)
    spans: defaultdict[str, list[Span]] = defaultdict(list)
    for code, started, ended in sorted(queries.open_suspensions_at(view, at)):
        spans[code].append((started, ended))
    apologies: defaultdict[str, list[int]] = defaultdict(list)
    for code, signed in queries.open_apologies_at(view, at):
        apologies[code].append(signed)
    found: list[Then] = []
    for row in rows:
        then = _from_views(row, legs[row.code], spans[row.code], apologies[row.code], at, margin)
        if then is None:
            then = inspector.projector.as_of(row.code, at)
            if then is None or then.location.status == "closed":
                continue
        found.append(then)
    return found


def _code(row: Location) -> str:
    return row.code


def _hop(leg: Leg) -> tuple[str, int]:
    return leg.code, leg.hop


def _from_views(
    row: Location,
    legs: Sequence[Leg],
    spans: Sequence[Span],
    apologies: Sequence[int],
    at: int,
    margin: int,
) -> Then | None:
    """The dossier of `row` at `at` from its rows; None if they cannot tell exactly (then its
    history is replayed)."""
    if _near(at - margin, at + margin, row, legs, spans, apologies):
        return None
    taken = [leg for leg in legs if leg.dispatched_at <= at]
    if [leg.hop for leg in taken] != list(range(1, len(taken) + 1)):
        return None  # a hop dispatched by `at` after a later one
    if any(leg.ended_at is None or leg.ended_at > at for leg in taken[:-1]):
        return None  # a hop dispatched by `at` before the one before it was settled
    begun = [(start, end if end is not None and end <= at else None) for start, end in spans]
    begun = [span for span in begun if span[0] <= at]
    signed = [moment for moment in apologies if moment <= at]
    if signed and len(signed) < len(apologies):
        return None  # the appointed time of an apology between: not kept in the views
    location = _located(row, taken, begun, at, appointed=row.appointed if signed else None)
    if location is None:
        return None
    hops = tuple(_as_then(leg, at) for leg in taken)
    return Then(location, hops, tuple(begun))


def _located(
    row: Location, taken: Sequence[Leg], spans: Sequence[Span], at: int, *, appointed: int | None
) -> Location | None:
    last = taken[-1] if taken else None
    open_spans = [start for start, end in spans if end is None]
    if len(open_spans) > 1:
        return None
    suspended_us = sum(end - start for start, end in spans if end is not None)
    acknowledged = [leg for leg in taken if leg.outcome == "acknowledged" and _settled(leg, at)]
    held_since = acknowledged[-1].ended_at if acknowledged else row.received_at
    assert held_since is not None  # settled
    decided = row.decided_at is not None and row.decided_at <= at
    common = {
        "appointed": row.appointed_at_receipt if appointed is None else appointed,
        "suspended_us": suspended_us,
        "hops": len(taken),
        "decided": row.decided if decided else None,
        "decided_at": row.decided_at if decided else None,
        "closed_at": None,
        "held_since": held_since,
        "first_apology_at": row.first_apology_at if appointed is not None else None,
    }
    if last is not None and not _settled(last, at):
        if open_spans:
            return None  # awaiting a supplement while in transit: not as the rules have it
        return LOCATION.replace(
            row,
            status="in_transit",
            custodian=None,
            transit_from=last.from_office,
            transit_to=last.to_office,
            since=last.dispatched_at,
            suspended_since=None,
            **common,
        )
    if last is None:
        custodian, since = row.received_by, row.received_at
    else:
        assert last.ended_at is not None  # settled
        since = last.ended_at
        taker = last.by_office if last.outcome == "acknowledged" else last.from_office
        if taker is None:
            return None  # settled by no office: not as the rules record a settlement
        custodian = taker
    return LOCATION.replace(
        row,
        status="suspended" if open_spans else "held",
        custodian=custodian,
        transit_from=None,
        transit_to=None,
        since=since,
        suspended_since=open_spans[0] if open_spans else None,
        **common,
    )


def _settled(leg: Leg, at: int) -> bool:
    return leg.ended_at is not None and leg.ended_at <= at


def _as_then(leg: Leg, at: int) -> Leg:
    """The hop as it was at `at`: a settlement after it not yet made."""
    if leg.ended_at is None or leg.ended_at <= at:
        return leg
    return LEGS.replace(
        leg, outcome=None, by_office=None, by_officer=None, ended_at=None, missing=0, extra=0
    )


def _near(
    low: int,
    high: int,
    row: Location,
    legs: Iterable[Leg],
    spans: Iterable[Span],
    apologies: Iterable[int],
) -> bool:
    """Does an instant a statement of the dossier carries, as far as the views hold them, lie
    after `low` and up to `high`?"""
    for moment in (row.received_at, row.decided_at, row.closed_at, *apologies):
        if moment is not None and low < moment <= high:
            return True
    for leg in legs:
        if low < leg.dispatched_at <= high:
            return True
        if leg.ended_at is not None and low < leg.ended_at <= high:
            return True
    return any(
        low < start <= high or (end is not None and low < end <= high) for start, end in spans
    )
