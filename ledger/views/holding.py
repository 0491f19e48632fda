"""How long each office held each dossier before handing it on, in working time: what the map of
offices (bản đồ nhiệt) shows as an office's holding time, and the list behind it.

Working time, not the clock's: a dossier taken in on a Friday afternoon and handed on on Monday
morning was held a few working hours, not three days; the pages say it in working days
(`api.texts.working_span`), so the time they are given must be working time
(`ledger/views/durations.py`). One pass over the hops."""

from __future__ import annotations

import heapq
import threading
import weakref
from array import array
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from itertools import islice
from typing import Any, overload

from domain.instant import MICROS
from ledger.views import months, queries, turns
from ledger.views.sla import Inspector

DAY, OFFSET = months.DAY, months.OFFSET  # a day in microseconds; Vietnam's offset from UTC


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


# --- the map's figures: how many dossiers each office handed on, and its median holding time ----

Held = dict[str, list[int]]  # office -> the working seconds of each dossier it handed on

# The holding times of the hops dispatched in a stretch of time — a (Vietnam) month, or a day —
# no statement can still be dated in, per views store, calendar (`turns.basis`), stretch and
# office asked for (None: every office, the times alone): they cannot change any more
# (`_stretch`). At most `KEPT` stretches per store (the map's longest period by months and its
# last month by days, for every office and for a few asked for alone), the oldest asked for
# dropped first.
_CLOSED: weakref.WeakKeyDictionary[
    object, OrderedDict[tuple[str | None, int, int, str | None], dict[str, Any]]
] = weakref.WeakKeyDictionary()
KEPT = 400
_KEEPING = threading.Lock()


def held_times(inspector: Inspector, start: int, end: int) -> Held:
    """For every office that handed a dossier on within [start, end): the working seconds it
    held each one (`held_by_office`'s times, in no order). For a period of whole (Vietnam)
    days, the stretches no statement can still be dated in — whole months, else days — are
    counted once and kept (`_stretch`): a request counts only the days since."""
    if (start + OFFSET) % DAY or (end + OFFSET) % DAY:
        return {
            o: [w for _, w in rows] for o, rows in held_by_office(inspector, start, end).items()
        }
    found: dict[str, array[int]] = {}
    for part in _stretches(inspector, start, end, None):
        for office, times in part.items():
            if office in found:
                found[office].extend(times)
            else:
                found[office] = array("q", times)
    return {office: times.tolist() for office, times in found.items()}


def _longest(row: tuple[str, int]) -> tuple[int, str]:
    return -row[1], row[0]  # the longest held first, then by code


class Ranked(Sequence[tuple[str, int]]):
    """Lists each ranked longest held first, then by code (`_longest`), as one list in that
    order: merged only as far as the rows asked for (a page of the held list reads its rows and
    those before them, not the whole period's)."""

    def __init__(self, parts: list[list[tuple[str, int]]]) -> None:
        self._length = sum(map(len, parts))
        self._merged = heapq.merge(*parts, key=_longest)
        self._seen: list[tuple[str, int]] = []

    def __len__(self) -> int:
        return self._length

    @overload
    def __getitem__(self, index: int) -> tuple[str, int]: ...

    @overload
    def __getitem__(self, index: slice) -> list[tuple[str, int]]: ...

    def __getitem__(self, index: int | slice) -> tuple[str, int] | list[tuple[str, int]]:
        if isinstance(index, slice):
            start, stop, step = index.indices(self._length)
            self._read(stop if step > 0 else start + 1)
            return self._seen[start:stop:step]
        at = index if index >= 0 else self._length + index
        if not 0 <= at < self._length:
            raise IndexError("held list index out of range")
        self._read(at + 1)
        return self._seen[at]

    def _read(self, wanted: int) -> None:
        """The first `wanted` rows merged, if they are not yet."""
        if len(self._seen) < wanted:
            self._seen.extend(islice(self._merged, wanted - len(self._seen)))


def held_dossiers(inspector: Inspector, start: int, end: int, office: str) -> Ranked:
    """`held_by_office(…, office=office)`'s list for `office`: each dossier it handed on within
    [start, end), with the working seconds it held it, longest first, then by code. For a period
    of whole days, from the stretches of `held_times` (each ranked once, when counted), merged
    only as far as the rows read (`Ranked`)."""
    if (start + OFFSET) % DAY or (end + OFFSET) % DAY:
        rows = held_by_office(inspector, start, end, office=office).get(office, [])
        return Ranked([sorted(rows, key=_longest)])
    return Ranked([part.get(office, []) for part in _stretches(inspector, start, end, office)])


def _stretches(
    inspector: Inspector, start: int, end: int, office: str | None
) -> Iterator[dict[str, Any]]:
    """[start, end) cut into whole months closed, else days, each's holding times
    (`_stretch`)."""
    view = inspector.projector.view
    latest = view.query("SELECT MAX(dispatched_at) FROM lienthong_legs")[0][0]
    margin = 2 * inspector.ledger.settings.clock_tolerance_seconds * MICROS
    # the views hold every statement dated before this instant (`_stretch`)
    settled = -1 if latest is None else int(latest) - margin
    basis = turns.basis(inspector.calendar)  # what the times are counted on: once a request
    at = start
    while at < end:
        month = months.whole(at)
        after = None if month is None else months.first_instant(month + 1)
        if after is None or after > end or after >= settled:
            after = at + DAY  # a day: not a whole month of the period, or not closed yet
        yield _stretch(inspector, (basis, at, after, office), settled)
        at = after


def _stretch(
    inspector: Inspector, key: tuple[str | None, int, int, str | None], settled: int
) -> dict[str, Any]:
    """The holding times of the hops dispatched in [start, end) (`key`: the calendar's basis,
    start, end, office) — of every office, as arrays of times; of `office` only, with each
    dossier's code, longest first (`_longest`) — kept once the stretch is closed, that
    is when it ends before `settled`: the latest dispatch the views hold less twice the clock
    tolerance. Every statement is recorded within the tolerance of the instant it carries, so
    every statement dated before `settled` was recorded before that dispatch, and the views,
    which apply the log in order, hold it. A hop dispatched then and what it is counted from
    (the receipt, or the settlement of the hop before it, which comes before the dispatch) no
    longer change; the count is the calendar's (`turns.basis`, part of the key)."""
    view = inspector.projector.view
    _, start, end, office = key
    with _KEEPING:  # requests are answered in threads: one at a time here
        kept = _CLOSED.setdefault(view, OrderedDict())
        if key in kept:
            kept.move_to_end(key)
            return kept[key]
    held = held_by_office(inspector, start, end, office=office)
    found: dict[str, Any] = (
        {sender: sorted(rows, key=_longest) for sender, rows in held.items()}
        if office is not None
        else {sender: array("q", (worked for _, worked in rows)) for sender, rows in held.items()}
    )
    if key[0] is not None and end < settled:
        with _KEEPING:
            kept[key] = found
            while len(kept) > KEPT:
                kept.popitem(last=False)
    return found
