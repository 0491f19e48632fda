"""The office report's counts as SQL aggregates: which dossiers count for an office, told by
index ranges the registry gives once, not by judging every dossier in Python.

A dossier counts for the office that received it and for every office that one answered to on
the day of receipt (`Inspector.lineage`, with no procedure: `reports.py`). That chain depends on
the day only through the registry's dates — the days offices were established, ended, or changed
parent (`domain/office.py`): between two such days (a *piece* of time) the chain of every office
stays the same. So the dossiers that count for an office are those received by one of the
offices whose chain holds it in a piece, during that piece: a few `received_by IN (…) AND
received_at` ranges (`Pieces.under`), after which every figure is a COUNT or a SUM over them.
The map's counts for every office at once group by (receiving office, piece) and spread each
group along its chain (`Pieces.spread`): a few hundred groups, not a million rows.

`judge` (`deadlines.py`) is written here in SQL (`RESULT`): a decision is early when its local
(Vietnam, UTC+7 all year) date is before the appointed time's, on time when not after the
appointed time, late otherwise — instants are microseconds from the epoch, never negative, so
integer division is the local day.
"""

from __future__ import annotations

import weakref
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from domain.instant import start_of
from ledger.views import months
from ledger.views.stalls import registered_offices

if TYPE_CHECKING:
    from ledger.views.sla import Inspector

DAY, OFFSET = months.DAY, months.OFFSET  # a day in microseconds; Vietnam's offset from UTC


def local_day(column: str) -> str:
    """The Vietnam civil day of an instant column, as a day count from the epoch."""
    return f"(({column} + {OFFSET}) / {DAY})"


# `deadlines.judge(decided_at, appointed, decided_at)` for a decided dossier (appointed is never
# NULL in the location table: `tables.Location`)
RESULT = (
    f"CASE WHEN {local_day('decided_at')} < {local_day('appointed')} THEN 'early' "
    "WHEN decided_at <= appointed THEN 'on_time' ELSE 'late' END"
)
# decided after the time appointed at receipt, and of those, with an apology slip before it
LATE_AT_RECEIPT = "CASE WHEN decided_at > appointed_at_receipt THEN 1 ELSE 0 END"
APOLOGISED = (
    "CASE WHEN decided_at > appointed_at_receipt AND first_apology_at IS NOT NULL "
    "AND first_apology_at <= decided_at THEN 1 ELSE 0 END"
)


def open_at(at: int) -> list[tuple[str, list[Any]]]:
    """The conditions (each a range of one index) of a dossier received before `at` and neither
    decided nor closed (withdrawn) before it (`reports._open`): undecided, or decided from `at`
    on — two parts, so that each is a range of the decisions' index."""
    closed = "(closed_at IS NULL OR closed_at >= ?)"
    return [
        (f"decided_at IS NULL AND received_at < ? AND {closed}", [at, at]),
        (f"decided_at >= ? AND received_at < ? AND {closed}", [at, at, at]),
    ]


@dataclass(frozen=True)
class Pieces:
    """The registry's time cut at every day an office's chain may change: `bounds`, the first
    instant of each such day, in order; `days`, a day inside each piece (one more than the
    bounds: before the first, between each two, after the last); `offices`, every office of the
    registry."""

    inspector: Inspector
    bounds: tuple[int, ...]
    days: tuple[date, ...]
    offices: tuple[str, ...]
    # `runs` of each office asked for (a report asks twice: `under` and `months_under`)
    _runs: dict[str, list[tuple[int, int, tuple[str, ...]]]] = field(
        init=False, default_factory=dict, compare=False, repr=False
    )

    def piece(self) -> tuple[str, list[Any]]:
        """The SQL of a row's piece (0, 1, …) by its receipt, and its parameters."""
        if not self.bounds:
            return "0", []
        whens = " ".join(f"WHEN received_at < ? THEN {n}" for n in range(len(self.bounds)))
        return f"CASE {whens} ELSE {len(self.bounds)} END", list(self.bounds)

    def chain(self, received_by: str, piece: int) -> tuple[str, ...]:
        """The offices a dossier received by `received_by` in piece `piece` counts for."""
        return self.inspector.lineage(received_by, self.days[piece])

    def runs(self, office: str) -> list[tuple[int, int, tuple[str, ...]]]:
        """(first piece, last piece, offices) of each run of pieces in which the same offices
        answer to `office` (`under`), runs of none left out; worked out once per office."""
        if office in self._runs:
            return self._runs[office]
        runs: list[tuple[int, int, tuple[str, ...]]] = []
        candidates = sorted({*self.offices, office})
        for piece in range(len(self.days)):
            members = tuple(x for x in candidates if office in self.chain(x, piece))
            if runs and runs[-1][2] == members:
                runs[-1] = (runs[-1][0], piece, members)
            else:
                runs.append((piece, piece, members))
        found = self._runs[office] = [run for run in runs if run[2]]
        return found

    def under(self, office: str) -> tuple[str, list[Any]]:
        """The SQL condition of the dossiers received by `office` or an office below it on the
        day of receipt, and its parameters: for each run of pieces in which the same offices
        answer to it, those offices and that run's receipt range."""
        terms: list[str] = []
        params: list[Any] = []
        for first, last, members in self.runs(office):
            parts = []
            if first > 0:
                parts.append("received_at >= ?")
                params.append(self.bounds[first - 1])
            if last < len(self.bounds):
                parts.append("received_at < ?")
                params.append(self.bounds[last])
            parts.append(f"received_by IN ({', '.join('?' for _ in members)})")
            params.extend(members)
            terms.append("(" + " AND ".join(parts) + ")")
        return ("(" + " OR ".join(terms) + ")" if terms else "1 = 0"), params

    # --- the figures kept per month (`months.py`) ---------------------------------------------

    @property
    def cut(self) -> tuple[int, ...]:
        """The months a day of the registry cuts (a bound that is not a month's first instant):
        their dossiers do not all count along one chain, so they are counted from their rows."""
        return tuple(sorted({months.month(b) for b in self.bounds if months.whole(b) is None}))

    def months_under(self, office: str) -> tuple[str, list[Any]]:
        """`under` for the cells kept per month: the months of receipt wholly inside each run,
        but for the months `cut` names (counted from their rows: `in_cut`)."""
        terms: list[str] = []
        params: list[Any] = []
        for first, last, members in self.runs(office):
            parts = []
            if first > 0:  # from the first month that begins at the bound or after it
                bound = self.bounds[first - 1]
                parts.append("received_month >= ?")
                params.append(months.month(bound) + (months.whole(bound) is None))
            if last < len(self.bounds):  # to the month the run's end falls in
                parts.append("received_month < ?")
                params.append(months.month(self.bounds[last]))
            parts.append(f"received_by IN ({', '.join('?' for _ in members)})")
            params.extend(members)
            terms.append("(" + " AND ".join(parts) + ")")
        if not terms:
            return "1 = 0", params
        if self.cut:  # a run may go across a day that cuts a month for other offices only
            marks = ", ".join("?" for _ in self.cut)
            return f"(({' OR '.join(terms)}) AND received_month NOT IN ({marks}))", [
                *params,
                *self.cut,
            ]
        return "(" + " OR ".join(terms) + ")", params

    def in_cut(self) -> tuple[str, list[Any]] | None:
        """The condition of a dossier received in a month `cut` names; None if none is."""
        if not self.cut:
            return None
        terms = " OR ".join("(received_at >= ? AND received_at < ?)" for _ in self.cut)
        params = [
            b for m in self.cut for b in (months.first_instant(m), months.first_instant(m + 1))
        ]
        return f"({terms})", params

    def piece_of_month(self, month: int) -> int:
        """The piece a month no day of the registry cuts lies in."""
        return bisect_right(self.bounds, months.first_instant(month))

    def spread(self, groups: Iterable[tuple[str, int, Any]]) -> dict[str, list[Any]]:
        """For every office: the values of the (received_by, piece, value) groups whose chain
        holds it."""
        found: dict[str, list[Any]] = {}
        for received_by, piece, value in groups:
            for office in self.chain(received_by, int(piece)):
                found.setdefault(office, []).append(value)
        return found


_PIECES: weakref.WeakKeyDictionary[Inspector, Pieces] = weakref.WeakKeyDictionary()


def pieces(inspector: Inspector) -> Pieces:
    """The registry's pieces of time (`Pieces`), worked out once per inspector (which reads the
    registry once for its lifetime too): the days every office of the registry — and every office
    named as a parent or successor of one — was established, ended or changed parent."""
    if inspector not in _PIECES:
        known: set[str] = set()
        waiting = registered_offices(inspector)
        days: set[date] = set()
        while waiting:
            subject = waiting.pop()
            if subject in known:
                continue
            known.add(subject)
            office = inspector.office_of(subject)
            if office is None:
                continue
            days.add(office.established)
            if office.ended is not None:
                days.add(office.ended)
            for since, parent in office.parents:
                days.add(since)
                if parent is not None:
                    waiting.append(parent)
            if office.successor is not None:
                waiting.append(office.successor)
        ordered = sorted(days)
        inside = [ordered[0] - timedelta(days=1), *ordered] if ordered else [date(2000, 1, 1)]
        _PIECES[inspector] = Pieces(
            inspector,
            tuple(start_of(day) for day in ordered),
            tuple(inside),
            tuple(sorted(known)),
        )
    return _PIECES[inspector]


def where(*conditions: tuple[str, Sequence[Any]]) -> tuple[str, list[Any]]:
    """Conditions joined with AND, and their parameters in order."""
    return " AND ".join(sql for sql, _ in conditions), [p for _, ps in conditions for p in ps]
