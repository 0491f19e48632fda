"""Every read of the views' tables (`tables.py`): the projector's reads, the open dossiers the
stall rules judge, the receipts and decisions the office reports and the map of offices count
(each a SELECT or two: no report reads a dossier's history), and the handovers behind the map's
holding times. Each takes the view's database and answers with rows as of its last committed
batch; none writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from ledger.stores.database import Database
from ledger.views.tables import (
    LEG_COLUMNS,
    LEGS,
    LOCATION,
    LOCATION_COLUMNS,
    Leg,
    Location,
    leg_of,
    location_of,
)

# (code, received_by, received_at, channel, appointed, decided_at, closed_at)
Receipt = tuple[str, str, int, str, int, int | None, int | None]


def location(view: Database, code: str) -> Location | None:
    rows = view.query(
        f"SELECT {LOCATION_COLUMNS} FROM lienthong_location WHERE code = ?",  # noqa: S608
        (code,),
    )
    return location_of(rows[0]) if rows else None


def legs(view: Database, code: str) -> list[Leg]:
    rows = view.query(
        f"SELECT {LEG_COLUMNS} FROM lienthong_legs WHERE code = ? ORDER BY hop",  # noqa: S608
        (code,),
    )
    return [leg_of(row) for row in rows]


def inbox(view: Database, office: str) -> list[Location]:
    """Dispatches to `office` awaiting its acknowledgement, oldest first."""
    rows = view.query(
        f"SELECT {LOCATION_COLUMNS} FROM lienthong_location "  # noqa: S608
        "WHERE status = 'in_transit' AND transit_to = ? ORDER BY since, code",
        (office,),
    )
    return [location_of(row) for row in rows]


def sent_from(view: Database, office: str) -> list[Location]:
    """Dispatches from `office` its addressee has not acknowledged (nor refused) yet, the one
    waiting longest first."""
    rows = view.query(
        f"SELECT {LOCATION_COLUMNS} FROM lienthong_location "  # noqa: S608
        "WHERE status = 'in_transit' AND transit_from = ? ORDER BY since, code",
        (office,),
    )
    return [location_of(row) for row in rows]


def addressees(view: Database) -> list[str]:
    """The offices an open dispatch is addressed to."""
    rows = view.query(
        "SELECT DISTINCT transit_to FROM lienthong_location "
        "WHERE status = 'in_transit' AND transit_to IS NOT NULL ORDER BY transit_to"
    )
    return [str(row[0]) for row in rows]


def holders(view: Database) -> list[str]:
    """The offices holding an open dossier (processing or suspended)."""
    rows = view.query(
        "SELECT DISTINCT custodian FROM lienthong_location "
        "WHERE status IN ('held', 'suspended') AND custodian IS NOT NULL ORDER BY custodian"
    )
    return [str(row[0]) for row in rows]


def held_by(view: Database, office: str) -> list[Location]:
    """Dossiers `office` holds (processing or suspended), the one promised soonest first."""
    rows = view.query(
        f"SELECT {LOCATION_COLUMNS} FROM lienthong_location "  # noqa: S608
        "WHERE custodian = ? AND status IN ('held', 'suspended') ORDER BY appointed, code",
        (office,),
    )
    return [location_of(row) for row in rows]


def open_now(view: Database, at: int) -> list[Location]:
    """The dossiers open as the views hold them now (held, in transit or suspended), received by
    `at`, in code order."""
    rows = view.query(
        f"SELECT {LOCATION_COLUMNS} FROM lienthong_location "  # noqa: S608
        "WHERE status IN ('held', 'in_transit', 'suspended') AND received_at <= ? "
        "ORDER BY code",
        (at,),
    )
    return [location_of(row) for row in rows]


class Candidate(NamedTuple):
    """What the stall rules read of an open dossier that may be stalled (`stalls.py`)."""

    code: str
    procedure: str
    received_by: str
    custodian: str | None
    transit_to: str | None
    since: int
    appointed: int


_CANDIDATE = "code, procedure, received_by, custodian, transit_to, since, appointed"


# the office a stall of a dossier names when it is not in transit to be acknowledged: who holds
# it, else (in transit) the addressee (`stalls.py`: custodian or transit_to or "")
HOLDER = "COALESCE(NULLIF(custodian, ''), NULLIF(transit_to, ''), '')"


# where a chunk of a range read in order resumes: after (the instant it is ordered by, code)
Resume = tuple[int, str]


def unacknowledged_by(
    view: Database,
    at: int,
    latest: int,
    procedure: str | None,
    offices: Sequence[str] | None = None,
    *,
    chunk: int | None = None,
    resume: Resume | None = None,
) -> list[Candidate]:
    """The dossiers in transit, received by `at`, dispatched at `latest` or before (an index
    range: `lienthong_location_transit_since`), of `procedure` if given, addressed to one of
    `offices` if given. With `chunk`: at most that many, in (since, code) order, after `resume`
    if given — and those addressed to no office too (the caller passes over them: asked for in
    SQL, that condition, met by nearly all of them, can turn a planner from the ordered range
    to reading them all)."""
    rows = view.query(
        f"SELECT {_CANDIDATE} FROM lienthong_location "  # noqa: S608
        "WHERE status = 'in_transit' AND since <= ? "
        + ("AND transit_to IS NOT NULL " if chunk is None else "")
        + "AND received_at <= ?"
        + (" AND procedure = ?" if procedure is not None else "")
        + among("transit_to", offices)
        + in_order("since", chunk, resume),
        (latest, at)
        + ((procedure,) if procedure is not None else ())
        + tuple(offices or ())
        + in_order_params(chunk, resume),
    )
    return [Candidate(*row) for row in rows]


def appointed_by(
    view: Database,
    at: int,
    latest: int,
    procedure: str | None,
    offices: Sequence[str] | None = None,
    *,
    after: int | None = None,
    chunk: int | None = None,
    resume: Resume | None = None,
) -> list[Candidate]:
    """The open dossiers (held, in transit or suspended) received by `at` whose appointed time is
    `latest` or before — and at or after `after`, if given (index ranges:
    `lienthong_location_appointed`) — of `procedure` if given, held by (or, in transit, sent to)
    one of `offices` if given. With `chunk`: at most that many, in (appointed, code) order,
    after `resume` if given — each status's range read in that order on its own, as far as the
    chunk (one index range for the three statuses comes in status order: it would be read whole
    and sorted), and the three merged."""
    where = (
        "appointed <= ? AND received_at <= ?"
        + (" AND appointed >= ?" if after is not None else "")
        + (" AND procedure = ?" if procedure is not None else "")
        + among(HOLDER, offices)
    )
    params = (
        (latest, at)
        + ((after,) if after is not None else ())
        + ((procedure,) if procedure is not None else ())
        + tuple(offices or ())
    )
    if chunk is None:
        rows = view.query(
            f"SELECT {_CANDIDATE} FROM lienthong_location "  # noqa: S608
            f"WHERE status IN ('held', 'in_transit', 'suspended') AND {where}",
            params,
        )
        return [Candidate(*row) for row in rows]
    part = (
        f"SELECT {_CANDIDATE} FROM lienthong_location WHERE status = ? AND {where}"  # noqa: S608
        + in_order("appointed", chunk, resume)
    )
    statuses = ("held", "in_transit", "suspended")
    union = " UNION ALL ".join(
        f"SELECT * FROM ({part}) AS s{n}"  # noqa: S608
        for n in range(len(statuses))
    )
    values: list[Any] = []
    for status in statuses:
        values += [status, *params, *in_order_params(chunk, resume)]
    rows = view.query(f"{union} ORDER BY appointed, code LIMIT ?", (*values, chunk))
    return [Candidate(*row) for row in rows]


def in_order(column: str, chunk: int | None, resume: Resume | None, code: str = "code") -> str:
    """The end of a range read in (`column`, `code`) order, `chunk` rows at a time, each chunk
    after the last row of the one before (`resume`): nothing when not read in chunks. Its
    parameters: `in_order_params`."""
    if chunk is None:
        return ""
    after = f" AND {column} >= ? AND ({column} > ? OR {code} > ?)" if resume is not None else ""
    return f"{after} ORDER BY {column}, {code} LIMIT ?"


def in_order_params(chunk: int | None, resume: Resume | None) -> tuple[Any, ...]:
    if chunk is None:
        return ()
    return ((resume[0], resume[0], resume[1]) if resume is not None else ()) + (chunk,)


def among(column: str, offices: Sequence[str] | None) -> str:
    """The condition that `column` is one of `offices` (none if None)."""
    if offices is None:
        return ""
    return f" AND {column} IN ({', '.join('?' for _ in offices)})" if offices else " AND 1 = 0"


def open_at(view: Database, at: int) -> list[str]:
    """The codes of the dossiers received by `at` and not closed by then, in code order."""
    rows = view.query(
        "SELECT code FROM lienthong_location WHERE received_at <= ? "
        "AND (closed_at IS NULL OR closed_at > ?) ORDER BY code",
        (at, at),
    )
    return [str(code) for (code,) in rows]


def subjects(
    view: Database, family: str, *, owner: str | None = None, after: str = "", limit: int = 1000
) -> list[str]:
    """The registry's subjects of a family (offices, officers, keys, procedures) in id order,
    after `after`; keys of one officer with `owner`."""
    where = "family = ? AND subject > ?" + (" AND owner = ?" if owner is not None else "")
    params: list[Any] = [family, after, *([owner] if owner is not None else [])]
    rows = view.query(
        f"SELECT subject FROM lienthong_subjects WHERE {where} "  # noqa: S608
        "ORDER BY subject LIMIT ?",
        (*params, limit),
    )
    return [str(row[0]) for row in rows]


def suspensions(view: Database, code: str) -> list[tuple[int, int | None]]:
    """(from, to) of each time the dossier awaited a supplement; `to` None while it does."""
    rows = view.query(
        "SELECT started_at, ended_at FROM lienthong_suspensions WHERE code = ? ORDER BY started_at",
        (code,),
    )
    return [(int(start), None if end is None else int(end)) for start, end in rows]


def received_before(view: Database, end: int) -> list[Receipt]:
    """(code, received_by, received_at, channel, appointed, decided_at, closed_at) of every
    dossier received before `end`, in code order."""
    return view.query(
        "SELECT code, received_by, received_at, channel, appointed, decided_at, closed_at "
        "FROM lienthong_location WHERE received_at < ? ORDER BY code",
        (end,),
    )


class Reported(NamedTuple):
    """What the office report reads of a dossier: where and when it was received, how, the
    version it was received under, the time appointed at receipt and now, when it was decided or
    closed, and the earliest apology slip (None: none)."""

    code: str
    received_by: str
    received_at: int
    channel: str
    procedure: str
    version: int
    appointed: int
    appointed_at_receipt: int
    decided_at: int | None
    closed_at: int | None
    first_apology_at: int | None


def reported_before(view: Database, end: int) -> list[Reported]:
    """The report's row (`Reported`) of every dossier received before `end`, in code order:
    one SELECT, no history read."""
    rows = view.query(
        f"SELECT {', '.join(Reported._fields)} FROM lienthong_location "  # noqa: S608
        "WHERE received_at < ? ORDER BY code",
        (end,),
    )
    return [Reported(*row) for row in rows]


def receipt_scans(view: Database, start: int, end: int) -> dict[str, set[bytes]]:
    """For every dossier received in [start, end) whose receipt listed documents: their
    SHA-256s."""
    rows = view.query(
        "SELECT s.code, s.sha256 FROM lienthong_receipt_scans s "
        "JOIN lienthong_location l ON l.code = s.code "
        "WHERE l.received_at >= ? AND l.received_at < ?",
        (start, end),
    )
    listed: dict[str, set[bytes]] = {}
    for code, sha256 in rows:
        listed.setdefault(code, set()).add(bytes(sha256))
    return listed


def notices_before(view: Database, end: int) -> list[tuple[str, str, int, str, int]]:
    """(code, received_by, received_at, kind, at) of every notice signed to an applicant before
    `end` (apology, extension, refusal at reception, stop), in code and time order."""
    return view.query(
        "SELECT n.code, l.received_by, l.received_at, n.kind, n.at FROM lienthong_notices n "
        "JOIN lienthong_location l ON l.code = n.code WHERE n.at < ? ORDER BY n.code, n.at, n.seq",
        (end,),
    )


def decided_between(view: Database, start: int, end: int) -> list[tuple[str, int, int, int]]:
    """(received_by, received_at, appointed, decided_at) of the dossiers decided in
    [start, end) and received before `end`."""
    return view.query(
        "SELECT received_by, received_at, appointed, decided_at FROM lienthong_location "
        "WHERE decided_at >= ? AND decided_at < ? AND received_at < ?",
        (start, end, end),
    )


class HandedOn(NamedTuple):
    """A hop dispatched in a period, with the hop before it (None: none) and the receipt: what
    tells where the dossier was held until the dispatch (`holding.py`)."""

    code: str
    hop: int
    sender: str
    dispatched_at: int
    before_from: str | None
    before_to: str | None
    before_outcome: str | None
    before_ended_at: int | None
    received_by: str
    received_at: int


def handed_on(view: Database, start: int, end: int, sender: str | None) -> list[HandedOn]:
    """Every hop dispatched in [start, end) (by `sender` only, if given), in code and hop order,
    each with the hop before it and the dossier's receipt: an index range on the dispatch
    instant (`lienthong_legs_dispatched`), not every hop of the log."""
    by = "" if sender is None else " AND g.from_office = ?"
    rows = view.query(
        "SELECT g.code, g.hop, g.from_office, g.dispatched_at, "  # noqa: S608 — fixed clauses
        "p.from_office, p.to_office, p.outcome, p.ended_at, l.received_by, l.received_at "
        "FROM lienthong_legs g "
        "JOIN lienthong_location l ON l.code = g.code "
        "LEFT JOIN lienthong_legs p ON p.code = g.code AND p.hop = g.hop - 1 "
        f"WHERE g.dispatched_at >= ? AND g.dispatched_at < ?{by} ORDER BY g.code, g.hop",
        (start, end) if sender is None else (start, end, sender),
    )
    return [HandedOn(*row) for row in rows]


def dump(view: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every view, in key order: for comparing two builds."""
    return {
        "location": [
            tuple(row)
            for row in view.query(
                f"SELECT {LOCATION_COLUMNS} FROM lienthong_location ORDER BY code"  # noqa: S608
            )
        ],
        "legs": [
            tuple(vars(leg_of(row)).values())
            for row in view.query(
                f"SELECT {LEG_COLUMNS} FROM lienthong_legs ORDER BY code, hop"  # noqa: S608
            )
        ],
        "suspensions": [
            tuple(row)
            for row in view.query(
                "SELECT code, started_at, ended_at FROM lienthong_suspensions "
                "ORDER BY code, started_at"
            )
        ],
        "subjects": [
            tuple(row)
            for row in view.query(
                "SELECT family, subject, owner FROM lienthong_subjects ORDER BY family, subject"
            )
        ],
        "receipt_scans": [
            (code, bytes(sha256))
            for code, sha256 in view.query(
                "SELECT code, sha256 FROM lienthong_receipt_scans ORDER BY code, sha256"
            )
        ],
        "notices": [
            tuple(row)
            for row in view.query(
                "SELECT code, seq, kind, at FROM lienthong_notices ORDER BY code, seq"
            )
        ],
    }


# --- a past instant (`asof.py`): the open dossiers' rows, hops, windows and apologies ------------

# received by the instant and not closed by then (the instant given twice)
_OPEN_AT = "l.received_at <= ? AND (l.closed_at IS NULL OR l.closed_at > ?)"
_LOCATED = ", ".join(f"l.{name}" for name in LOCATION.names)
_LEGGED = ", ".join(f"g.{name}" for name in LEGS.names)
# the notices that move the appointed time (`rules._reappointed`)
APOLOGIES = ("dossier.delay_notified", "dossier.extension_requested")


# Each is an index range (`lienthong_location_closed`: not closed, or closed after the instant)
# and, for the hops, windows and notices, a lookup of each dossier's by its key; in no order (an
# ORDER BY code would walk every row in code order instead).


def open_rows_at(view: Database, at: int) -> list[Location]:
    """The location rows of the dossiers received by `at` and not closed by then, as the views
    hold them now."""
    rows = view.query(
        f"SELECT {_LOCATED} FROM lienthong_location l WHERE {_OPEN_AT}",  # noqa: S608
        (at, at),
    )
    return [location_of(row) for row in rows]


def open_legs_at(view: Database, at: int) -> list[Leg]:
    """Every hop of those dossiers."""
    rows = view.query(
        f"SELECT {_LEGGED} FROM lienthong_location l "  # noqa: S608
        f"JOIN lienthong_legs g ON g.code = l.code WHERE {_OPEN_AT}",
        (at, at),
    )
    return [leg_of(row) for row in rows]


def open_suspensions_at(view: Database, at: int) -> list[tuple[str, int, int | None]]:
    """(code, from, to) of every supplement window of those dossiers."""
    rows = view.query(
        "SELECT s.code, s.started_at, s.ended_at FROM lienthong_location l "  # noqa: S608
        f"JOIN lienthong_suspensions s ON s.code = l.code WHERE {_OPEN_AT}",
        (at, at),
    )
    return [(str(code), int(start), None if end is None else int(end)) for code, start, end in rows]


def open_apologies_at(view: Database, at: int) -> list[tuple[str, int]]:
    """(code, instant) of every apology slip (a delay notice, an extension request) of those
    dossiers that have one."""
    rows = view.query(
        "SELECT n.code, n.at FROM lienthong_location l "  # noqa: S608
        f"JOIN lienthong_notices n ON n.code = l.code WHERE {_OPEN_AT} "
        "AND l.first_apology_at IS NOT NULL AND n.kind IN (?, ?)",
        (at, at, *APOLOGIES),
    )
    return [(str(code), int(moment)) for code, moment in rows]
