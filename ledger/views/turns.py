"""The level deadline of each held dossier's turn, kept in the views so that "held past its level's
budget" (`stalls.py`, `over_level_budget`) is an index range — `deadline < now` — instead of a
deadline counted for every held dossier at every query.

A held dossier's deadline (`Inspector.level_deadline`) does not depend on the instant it is judged
at once every supplement window of the dossier has begun by then (a held dossier awaits none: each
window is closed), so it is kept with what it was counted from, in `lienthong_turn_deadlines`:

- `last_seq` — the dossier's location row as it was (every event of a dossier moves its `last_seq`:
  its custodian, turn, hops, supplements and decision are all the row's or its legs');
- `basis` — the working calendar it was counted on (`basis`: its version, office hours, overrides
  and the holidays package's version); a registry office's level and a procedure version's route
  never change once recorded;
- `valid_from` — the latest beginning of a supplement window of the dossier: before it, the
  window's part up to the instant judged counts, so the deadline is counted again (and one
  counted at an instant before it is not kept).

A stall query counts again, in Python, the held dossiers whose row is missing or was kept from
another `last_seq`, `basis` or a later `valid_from` — after an event of the dossier, a calendar
other than the one kept, a rebuild — and writes what it counted (not on a replica's read-only
views: there it only counts); it drops the rows left by dossiers no longer held as it meets them.
The rows are a cache: emptying the table changes no answer.
"""

from __future__ import annotations

import hashlib
import heapq
import sqlite3
from collections.abc import Iterator, Sequence
from importlib.metadata import version
from typing import TYPE_CHECKING, Any

import psycopg

from domain.calendar import WorkCalendar
from ledger.stores.database import Database
from ledger.views.queries import Candidate, Resume, among, in_order, in_order_params
from ledger.views.rules import one_of
from ledger.views.tables import LOCATION, TURN_DEADLINES, Location, location_of

if TYPE_CHECKING:
    from ledger.views.sla import Inspector

TABLE = TURN_DEADLINES  # its DDL is `tables.py`'s
_HOLIDAYS = version("holidays")  # the package that names the public holidays
_COLUMNS = ", ".join(f"l.{name}" for name in LOCATION.names)
UPSERT = (
    f"INSERT INTO {TABLE} (code, last_seq, basis, valid_from, deadline) "  # noqa: S608
    "VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (code) DO UPDATE SET last_seq = excluded.last_seq, basis = excluded.basis, "
    "valid_from = excluded.valid_from, deadline = excluded.deadline"
)


def basis(calendar: Any) -> str | None:
    """What a kept deadline was counted on: a digest of the calendar's version, office hours,
    overrides and the holidays package's version. None for a calendar that is not a
    `WorkCalendar` (nothing is kept then: every deadline is counted)."""
    if not isinstance(calendar, WorkCalendar):
        return None
    text = repr(
        (
            calendar.version,
            calendar.office_hours,
            sorted(calendar.overrides.items()),
            _HOLIDAYS,
        )
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def past_deadline(
    inspector: Inspector,
    at: int,
    procedure: str | None,
    offices: Sequence[str] | None = None,
) -> list[tuple[Candidate, int]]:
    """The held dossiers received by `at` (of `procedure`, if given) whose level deadline is
    before `at`, with it; of those kept, only the ones held by one of `offices`, if given."""
    kept_on = basis(inspector.calendar)
    view = inspector.projector.view
    where, params = _held(at, procedure)
    if kept_on is None:  # nothing kept for this calendar: each held dossier counted
        return _uncached(inspector, at, where, params)
    stale = _stale(view, kept_on, at, procedure)
    late = view.query(
        f"SELECT d.code, d.deadline, d.last_seq, l.last_seq, l.status, l.received_at, "  # noqa: S608
        f"l.procedure, l.received_by, l.custodian, l.transit_to, l.since, l.appointed FROM {TABLE} d "
        "LEFT JOIN lienthong_location l ON l.code = d.code "
        "WHERE d.deadline < ? AND d.basis = ? AND d.valid_from <= ?"
        + (" AND (l.procedure = ? OR l.code IS NULL)" if procedure is not None else "")
        + among("l.custodian", offices),
        (at, kept_on, at) + ((procedure,) if procedure is not None else ()) + tuple(offices or ()),
    )
    counted = _counted(inspector, at, [location_of(row) for row in stale])
    found: dict[str, tuple[Candidate, int]] = {}
    gone: list[tuple[str, int]] = []  # rows kept for a dossier no longer held as it was
    for code, deadline, kept_seq, last_seq, status, received_at, *row in late:
        if status != "held" or last_seq != kept_seq:  # (None: no such dossier any more)
            gone.append((code, kept_seq))
            continue
        if received_at <= at and (procedure is None or row[0] == procedure):
            found[code] = (Candidate(code, *row), int(deadline))
    for location, counted_deadline, _ in counted:
        if counted_deadline is not None and at > counted_deadline:
            found[location.code] = (_candidate(location), counted_deadline)  # newer than kept
    # kept: the deadlines counted with every supplement window begun (before one began, the
    # deadline counted then is not the one it has from then on)
    keep = sorted(
        (location.code, location.last_seq, kept_on, valid_from, deadline)
        for location, deadline, valid_from in counted
        if valid_from <= at
    )
    if not view.read_only and (keep or gone):
        _write(view, keep, sorted(gone))
    return list(found.values())


def past_deadline_in_order(
    inspector: Inspector,
    at: int,
    procedure: str | None,
    offices: Sequence[str] | None = None,
    *,
    chunk: int = 256,
    most: int = 4096,
) -> Iterator[tuple[Candidate, int]]:
    """`past_deadline`'s dossiers in the order of their deadlines: the stale ones counted again
    (all of them, first), merged in with the kept ones read in (deadline, code) order, `chunk`
    rows at a time, twice as many each time up to `most` — as far as the reader reads. A kept
    row of a dossier counted again is passed over (what was counted is newer); the kept rows of
    dossiers no longer held as they were are dropped as they are met."""
    kept_on = basis(inspector.calendar)
    view = inspector.projector.view
    where, params = _held(at, procedure)
    if kept_on is None:  # nothing kept for this calendar: each held dossier counted
        found = _uncached(inspector, at, where, params)
        yield from sorted(found, key=lambda pair: (pair[1], pair[0].code))
        return
    stale = _stale(view, kept_on, at, procedure)
    counted = _counted(inspector, at, [location_of(row) for row in stale])
    keep = sorted(
        (location.code, location.last_seq, kept_on, valid_from, deadline)
        for location, deadline, valid_from in counted
        if valid_from <= at
    )
    if not view.read_only and keep:
        _write(view, keep, [])
    recounted = {location.code for location, _, _ in counted}
    late = sorted(
        (
            (_candidate(location), deadline)
            for location, deadline, _ in counted
            if deadline is not None and at > deadline
        ),
        key=lambda pair: (pair[1], pair[0].code),
    )
    kept = _kept_in_order(inspector, at, kept_on, procedure, offices, recounted, chunk, most)
    yield from heapq.merge(late, kept, key=lambda pair: pair[1])


def recounted_unkept(
    inspector: Inspector, at: int, procedure: str | None
) -> tuple[str, list[tuple[Candidate, int]]] | None:
    """For counting the held dossiers past their level deadline from the kept rows alone
    (`dashboard.py`): the stale ones (received by `at`, of `procedure` if given) counted again and
    kept, as `past_deadline` does, and the basis the kept rows are read on; with those of them
    past their deadline at `at` that the kept rows do not hold now — the deadlines counted with a
    supplement window still to begin, or all of them when nothing was written (read-only views,
    a write refused). None: nothing is kept for this calendar (`past_deadline` counts each)."""
    kept_on = basis(inspector.calendar)
    if kept_on is None:
        return None
    view = inspector.projector.view
    stale = _stale(view, kept_on, at, procedure)
    counted = _counted(inspector, at, [location_of(row) for row in stale])
    keep = sorted(
        (location.code, location.last_seq, kept_on, valid_from, deadline)
        for location, deadline, valid_from in counted
        if valid_from <= at
    )
    written = not view.read_only and bool(keep) and _write(view, keep, [])
    return kept_on, [
        (_candidate(location), deadline)
        for location, deadline, valid_from in counted
        if deadline is not None and at > deadline and not (written and valid_from <= at)
    ]


def _kept_in_order(
    inspector: Inspector,
    at: int,
    kept_on: str,
    procedure: str | None,
    offices: Sequence[str] | None,
    recounted: set[str],
    chunk: int,
    most: int,
) -> Iterator[tuple[Candidate, int]]:
    """The kept deadlines before `at` of held dossiers (not counted again), in (deadline, code)
    order, read `chunk` rows at a time (twice as many each time, up to `most`)."""
    view = inspector.projector.view
    resume: Resume | None = None
    size = chunk
    columns = (
        "d.code, d.deadline, d.last_seq, l.last_seq, l.status, l.received_at, l.procedure, "
        "l.received_by, l.custodian, l.transit_to, l.since, l.appointed"
    )
    while True:
        if procedure is None and offices is None:
            # the chunk of deadlines first, then their dossiers: a planner that misjudges how
            # many deadlines are past would otherwise join them all before taking the first
            rows = view.query(
                f"SELECT {columns} FROM (SELECT code, deadline, last_seq FROM {TABLE} "  # noqa: S608
                "WHERE deadline < ? AND basis = ? AND valid_from <= ?"
                + in_order("deadline", size, resume)
                + ") d LEFT JOIN lienthong_location l ON l.code = d.code "
                "ORDER BY d.deadline, d.code",
                (at, kept_on, at, *in_order_params(size, resume)),
            )
        else:
            rows = view.query(
                f"SELECT {columns} FROM {TABLE} d "  # noqa: S608
                "LEFT JOIN lienthong_location l ON l.code = d.code "
                "WHERE d.deadline < ? AND d.basis = ? AND d.valid_from <= ?"
                + (" AND (l.procedure = ? OR l.code IS NULL)" if procedure is not None else "")
                + among("l.custodian", offices)
                + in_order("d.deadline", size, resume, code="d.code"),
                (at, kept_on, at)
                + ((procedure,) if procedure is not None else ())
                + tuple(offices or ())
                + in_order_params(size, resume),
            )
        gone: list[tuple[str, int]] = []  # rows kept for a dossier no longer held as it was
        found: list[tuple[Candidate, int]] = []
        for code, deadline, kept_seq, last_seq, status, received_at, *row in rows:
            if status != "held" or last_seq != kept_seq:  # (None: no such dossier any more)
                gone.append((code, kept_seq))
                continue
            if code in recounted:
                continue
            if received_at <= at and (procedure is None or row[0] == procedure):
                found.append((Candidate(code, *row), int(deadline)))
        if not view.read_only and gone:
            _write(view, [], sorted(gone))
        yield from found
        if len(rows) < size:
            return
        resume = (int(rows[-1][1]), str(rows[-1][0]))
        size = min(2 * size, most)


def _held(at: int, procedure: str | None, alias: str = "l") -> tuple[str, tuple[Any, ...]]:
    """The condition, and its parameters, on the location rows (named `alias`) of the dossiers
    held and received by `at`, of `procedure` if given."""
    where = f"{alias}.status = 'held' AND {alias}.received_at <= ?" + (
        f" AND {alias}.procedure = ?" if procedure is not None else ""
    )
    return where, (at,) + ((procedure,) if procedure is not None else ())


def _stale(view: Database, kept_on: str, at: int, procedure: str | None) -> list[Any]:
    """The location rows of the held dossiers (received by `at`, of `procedure` if given) whose
    deadline is not kept as their row, the calendar `kept_on` and `at` allow: none kept, or kept
    from another `last_seq`, another calendar, or a later supplement. Their codes are found from
    two indexes alone (`lienthong_location_held`, `lienthong_turn_deadlines_kept`; on
    PostgreSQL once the tables are vacuumed, as a server's autovacuum does), and only then their
    rows, usually none."""
    where, params = _held(at, procedure, "h")
    codes = [
        str(code)
        for (code,) in view.query(
            f"SELECT h.code FROM lienthong_location h LEFT JOIN {TABLE} d "  # noqa: S608
            "ON d.code = h.code AND d.last_seq = h.last_seq AND d.basis = ? "
            f"AND d.valid_from <= ? WHERE d.code IS NULL AND {where}",
            (kept_on, at, *params),
        )
    ]
    rows: list[Any] = []
    for condition, listed in one_of(view.kind, codes):
        rows += view.query(
            f"SELECT {_COLUMNS} FROM lienthong_location l WHERE l.{condition}",  # noqa: S608
            listed,
        )
    return rows


def _uncached(
    inspector: Inspector, at: int, where: str, params: tuple[Any, ...]
) -> list[tuple[Candidate, int]]:
    """With nothing kept (a calendar that is not a `WorkCalendar`): each held dossier of `where`
    counted, those past their deadline at `at`, with it."""
    rows = inspector.projector.view.query(
        f"SELECT {_COLUMNS} FROM lienthong_location l WHERE {where}",  # noqa: S608
        params,
    )
    counted = _counted(inspector, at, [location_of(row) for row in rows])
    return [
        (_candidate(found), deadline)
        for found, deadline, _ in counted
        if deadline is not None and at > deadline
    ]


def _candidate(found: Location) -> Candidate:
    return Candidate(
        found.code,
        found.procedure,
        found.received_by,
        found.custodian,
        found.transit_to,
        found.since,
        found.appointed,
    )


def _write(view: Database, keep: list[tuple[Any, ...]], gone: list[tuple[str, int]]) -> bool:
    """Keep the deadlines counted, drop the rows of dossiers no longer held as they were: in code
    order, so that two processes writing at once lock rows in the same order (no deadlock). A
    write the database refuses (a lock held too long by another process, say) changes no
    answer: what was counted is counted again at the next query. False: refused."""
    try:
        with view.transaction() as cursor:
            if keep:
                cursor.executemany(UPSERT, keep)
            if gone:
                cursor.executemany(
                    f"DELETE FROM {TABLE} WHERE code = ? AND last_seq = ?",  # noqa: S608
                    gone,
                )
    except (sqlite3.Error, psycopg.Error):  # a cache: the answer does not depend on it
        return False
    return True


def _counted(
    inspector: Inspector, at: int, held: list[Location]
) -> list[tuple[Location, int | None, int]]:
    """(dossier, level deadline, the latest beginning of its supplement windows) for each."""
    counted = []
    for location in held:
        windows = (
            inspector.projector.suspensions(location.code)
            if location.suspended_us or location.suspended_since is not None
            else []
        )
        valid_from = max((begin for begin, _ in windows), default=0)
        counted.append((location, inspector.level_deadline(location, at), valid_from))
    return counted
