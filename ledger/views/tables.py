"""The views' tables, in the ledger's own database (a SQLite file or the PostgreSQL schema; an
in-memory SQLite database beside a `memory:` ledger):

- `lienthong_location` — one row per dossier: status (held, in transit, awaiting a supplement,
  closed), custodian, or sender and addressee while in transit, since when, appointed time,
  procedure and version, the suspended time so far;
- `lienthong_legs` — one row per hop (giao – nhận): the dispatch, who sent it, to whom, when, and
  how it ended (acknowledged, rejected, recalled) by whom and when — the lines of the control slip;
- `lienthong_suspensions` — each time a dossier awaited a supplement, from and to;
- `lienthong_subjects` — the registry's subjects (offices, officers, keys, procedures), listed;
- `lienthong_tracking` — the log position each projection has applied.

Only the views package reads or writes them: the projector's rules (`rules.py`) write them, the
queries (`queries.py`) read them. Their layout has a number (`LAYOUT`): a database whose views
have another one gets them made again, empty, and the projector rebuilds them from the log; a
read-only store (a replica) refuses to read another layout.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ledger.errors import ViewsNotReady
from ledger.stores.database import DDL_LOCK, Database

LAYOUT = 4  # the views' table layout: a stored layout of another number is rebuilt

TABLES = [
    "CREATE TABLE IF NOT EXISTS lienthong_tracking ("
    "projection TEXT PRIMARY KEY, position BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS lienthong_location ("
    "code TEXT PRIMARY KEY, procedure TEXT NOT NULL, version INTEGER NOT NULL, "
    "status TEXT NOT NULL, received_by TEXT NOT NULL, received_at BIGINT NOT NULL, "
    "custodian TEXT, transit_from TEXT, transit_to TEXT, since BIGINT NOT NULL, "
    "appointed BIGINT NOT NULL, suspended_since BIGINT, suspended_us BIGINT NOT NULL, "
    "hops INTEGER NOT NULL, decided TEXT, decided_at BIGINT, closed_at BIGINT, "
    "channel TEXT NOT NULL, held_since BIGINT NOT NULL, last_seq INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS lienthong_legs ("
    "code TEXT NOT NULL, hop INTEGER NOT NULL, dispatch BYTEA NOT NULL, "
    "from_office TEXT NOT NULL, from_officer TEXT NOT NULL, to_office TEXT NOT NULL, "
    "purpose TEXT NOT NULL, dispatched_at BIGINT NOT NULL, outcome TEXT, by_office TEXT, "
    "by_officer TEXT, ended_at BIGINT, missing INTEGER NOT NULL, extra INTEGER NOT NULL, "
    "PRIMARY KEY (code, hop))",
    "CREATE TABLE IF NOT EXISTS lienthong_suspensions ("
    "code TEXT NOT NULL, started_at BIGINT NOT NULL, ended_at BIGINT, "
    "PRIMARY KEY (code, started_at))",
    "CREATE TABLE IF NOT EXISTS lienthong_subjects ("
    "family TEXT NOT NULL, subject TEXT NOT NULL, owner TEXT, PRIMARY KEY (family, subject))",
    "CREATE INDEX IF NOT EXISTS lienthong_location_custodian ON lienthong_location (custodian)",
    "CREATE INDEX IF NOT EXISTS lienthong_location_transit ON lienthong_location (transit_to)",
    "CREATE INDEX IF NOT EXISTS lienthong_location_status ON lienthong_location (status)",
]
VIEW_TABLES = (
    "lienthong_location",
    "lienthong_legs",
    "lienthong_suspensions",
    "lienthong_subjects",
)


@dataclass(frozen=True)
class Location:
    code: str
    procedure: str
    version: int
    status: str  # held | in_transit | suspended | closed
    received_by: str
    received_at: int
    custodian: str | None
    transit_from: str | None
    transit_to: str | None
    since: int
    appointed: int
    suspended_since: int | None
    suspended_us: int
    hops: int
    decided: str | None
    decided_at: int | None
    closed_at: int | None
    channel: str
    held_since: int  # when the custodian took it in (receipt or acknowledgement): its turn began
    last_seq: int


@dataclass(frozen=True)
class Leg:
    code: str
    hop: int
    dispatch: bytes
    from_office: str
    from_officer: str
    to_office: str
    purpose: str
    dispatched_at: int
    outcome: str | None  # acknowledged | rejected | recalled | None while in transit
    by_office: str | None
    by_officer: str | None
    ended_at: int | None
    missing: int
    extra: int


LOCATION_COLUMNS = (
    "code, procedure, version, status, received_by, received_at, custodian, transit_from, "
    "transit_to, since, appointed, suspended_since, suspended_us, hops, decided, decided_at, "
    "closed_at, channel, held_since, last_seq"
)
LEG_COLUMNS = (
    "code, hop, dispatch, from_office, from_officer, to_office, purpose, dispatched_at, outcome, "
    "by_office, by_officer, ended_at, missing, extra"
)


def location_of(row: Sequence[Any]) -> Location:
    """A `lienthong_location` row, selected as LOCATION_COLUMNS."""
    return Location(*row)


def leg_of(row: Sequence[Any]) -> Leg:
    """A `lienthong_legs` row, selected as LEG_COLUMNS."""
    values = list(row)
    values[2] = bytes(values[2])  # a memoryview from some drivers
    return Leg(*values)


class ViewStore(Database):
    """The projection's tables, on one connection of their own. A read-only store (on a
    replica) reads the tables the primary's projector keeps; their layout must be this one."""

    def __init__(self, database_url: str, *, read_only: bool = False) -> None:
        super().__init__(database_url, read_only=read_only)
        if read_only:
            self._check_layout()
            return
        with self.transaction() as cursor:
            if self.kind == "postgres":  # processes starting together take turns (see create)
                cursor.execute(DDL_LOCK)
            # tables of another layout (an older version of these views) are dropped and made
            # again, empty: the projector then rebuilds them from the log
            cursor.execute(
                "CREATE TABLE IF NOT EXISTS lienthong_views_layout (layout INTEGER NOT NULL)"
            )
            cursor.execute("SELECT layout FROM lienthong_views_layout")
            row = cursor.fetchone()
            if row is None or int(row[0]) != LAYOUT:
                for table in (*VIEW_TABLES, "lienthong_tracking"):
                    cursor.execute(f"DROP TABLE IF EXISTS {table}")
                cursor.execute("DELETE FROM lienthong_views_layout")
                cursor.execute("INSERT INTO lienthong_views_layout VALUES (?)", (LAYOUT,))
        self.create(TABLES)

    def _check_layout(self) -> None:
        try:
            rows = self.query("SELECT layout FROM lienthong_views_layout")
        except Exception as problem:  # no such table: the primary never ran this version
            raise ViewsNotReady(
                "this database has no read models yet: start a writable server (the primary) "
                "on it first"
            ) from problem
        if not rows or int(rows[0][0]) != LAYOUT:
            found = rows[0][0] if rows else "none"
            raise ViewsNotReady(
                f"the read models on this database have layout {found}, this server reads "
                f"layout {LAYOUT}: upgrade the primary first, and let it rebuild them"
            )
