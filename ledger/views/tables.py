"""The views' tables, in the ledger's own database (a SQLite file or the PostgreSQL schema; an
in-memory SQLite database beside a `memory:` ledger):

- `lienthong_location` — one row per dossier: status (held, in transit, awaiting a supplement,
  closed), custodian, or sender and addressee while in transit, since when, appointed time,
  procedure and version, the suspended time so far, and what the office reports count without
  reading the dossier's history: the time appointed at receipt and the first apology's instant,
  whether its scans are all in the file store and the citizen's rating (`marks.py`);
- `lienthong_legs` — one row per hop (giao – nhận): the dispatch, who sent it, to whom, when, and
  how it ended (acknowledged, rejected, recalled) by whom and when — the lines of the control slip;
- `lienthong_suspensions` — each time a dossier awaited a supplement, from and to;
- `lienthong_receipt_scans` — the documents (SHA-256) each dossier's receipt listed: what the
  office report's "digitised at receipt" compares with the file store;
- `lienthong_notices` — each notice signed to the applicant (an apology with a new date or an
  extension, a refusal at reception, a stop), with its kind and time: what the notices report
  counts without reading the dossiers' histories;
- `lienthong_subjects` — the registry's subjects (offices, officers, keys, procedures), listed;
- `lienthong_month_received`, `_ended`, `_decided` — figures per receiving office and month of
  receipt, kept by the projector with the location rows they sum (`months.py`);
- `lienthong_turn_deadlines` — each held dossier's level deadline, kept for the stall query with
  what it was counted from (`turns.py`): a cache, not rebuilt from the log but counted again;
- `lienthong_tracking` — the log position each projection has applied.

Only the views package reads or writes them: the projector's rules (`rules.py`) write them, the
queries (`queries.py`) read them. Their layout has a number (`LAYOUT`): a database whose views
have another one gets them made again, empty, and the projector rebuilds them from the log; a
read-only store (a replica) refuses to read another layout.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from operator import attrgetter
from types import NoneType, UnionType
from typing import (
    TYPE_CHECKING,
    Annotated,
    Any,
    Generic,
    Literal,
    TypeVar,
    get_args,
    get_origin,
    get_type_hints,
)

from ledger.errors import ViewsNotReady
from ledger.stores.database import DDL_LOCK, Database
from ledger.views import months

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

# the views' table layout: a stored layout of another number is rebuilt. 5: the location row keeps
# the time appointed at receipt and the first apology, and the receipt's scans have a table;
# 6: the notices signed to applicants have a table; 7: figures kept per receiving office and
# month (`months.py`); 8: the location row says whether the dossier is digitised and how it was
# rated (`marks.py`), and the month cells count them
LAYOUT = 8


@dataclass(frozen=True)
class Sql:
    """A column's SQL type, in a row's field annotation. The column is nullable exactly when the
    field may be None; NOT NULL otherwise (a primary key says neither: it cannot be null)."""

    type: str
    primary_key: bool = False


TEXT, INTEGER, BIGINT, BYTEA = Sql("TEXT"), Sql("INTEGER"), Sql("BIGINT"), Sql("BYTEA")
Status = Literal["held", "in_transit", "suspended", "closed"]


@dataclass(frozen=True, kw_only=True)
class Location:
    """A dossier's row of `lienthong_location`: where it is. Its fields are the table's columns,
    in order; the table's DDL, its column list and the mapping from a row follow from them."""

    code: Annotated[str, Sql("TEXT", primary_key=True)]
    procedure: Annotated[str, TEXT]
    version: Annotated[int, INTEGER]
    status: Annotated[Status, TEXT]
    received_by: Annotated[str, TEXT]
    received_at: Annotated[int, BIGINT]
    custodian: Annotated[str | None, TEXT]
    transit_from: Annotated[str | None, TEXT]
    transit_to: Annotated[str | None, TEXT]
    since: Annotated[int, BIGINT]
    appointed: Annotated[int, BIGINT]
    suspended_since: Annotated[int | None, BIGINT]
    suspended_us: Annotated[int, BIGINT]
    hops: Annotated[int, INTEGER]
    decided: Annotated[str | None, TEXT]
    decided_at: Annotated[int | None, BIGINT]
    closed_at: Annotated[int | None, BIGINT]
    channel: Annotated[str, TEXT]
    # when the custodian took it in (receipt or acknowledgement): its turn began
    held_since: Annotated[int, BIGINT]
    last_seq: Annotated[int, INTEGER]
    # the appointed time signed at receipt: an apology or an extension moves `appointed`, not this
    appointed_at_receipt: Annotated[int, BIGINT]
    # when the first apology slip (a delay notice or an extension request) was signed; None: none
    first_apology_at: Annotated[int | None, BIGINT]
    # 1 once the receipt listed scans and the file store holds every one of them (số hoá hồ sơ),
    # else 0; and the citizen's rating (1-5) once the dossier is decided and rated, else None:
    # what the stores beside the log tell the views (`marks.py`), for the report's figures
    digitised: Annotated[int, INTEGER] = 0
    score: Annotated[int | None, INTEGER] = None


@dataclass(frozen=True, kw_only=True)
class Leg:
    """A hop's row of `lienthong_legs` (primary key: code, hop), declared as Location is."""

    code: Annotated[str, TEXT]
    hop: Annotated[int, INTEGER]
    dispatch: Annotated[bytes, BYTEA]
    from_office: Annotated[str, TEXT]
    from_officer: Annotated[str, TEXT]
    to_office: Annotated[str, TEXT]
    purpose: Annotated[str, TEXT]
    dispatched_at: Annotated[int, BIGINT]
    # acknowledged | rejected | recalled | None while in transit
    outcome: Annotated[str | None, TEXT]
    by_office: Annotated[str | None, TEXT]
    by_officer: Annotated[str | None, TEXT]
    ended_at: Annotated[int | None, BIGINT]
    missing: Annotated[int, INTEGER]
    extra: Annotated[int, INTEGER]


@dataclass(frozen=True)
class Column:
    name: str
    sql: Sql
    nullable: bool

    def definition(self) -> str:
        constraint = (
            " PRIMARY KEY" if self.sql.primary_key else "" if self.nullable else " NOT NULL"
        )
        return f"{self.name} {self.sql.type}{constraint}"


Row = TypeVar("Row", bound="DataclassInstance")


class Table(Generic[Row]):
    """A table whose rows are a dataclass declared as Location is: its DDL, column list, insert,
    update by key and the mapping from a selected row, all from the dataclass's fields."""

    def __init__(self, name: str, row: type[Row], *, key: tuple[str, ...] = ()) -> None:
        self.name, self.row = name, row
        hints = get_type_hints(row, include_extras=True)
        self.columns = tuple(_column(field.name, hints[field.name]) for field in fields(row))
        self.names = tuple(column.name for column in self.columns)
        self.select = ", ".join(self.names)  # the column list, in the declared order
        self.ddl = (
            f"CREATE TABLE IF NOT EXISTS {name} ("
            + ", ".join(column.definition() for column in self.columns)
            + (f", PRIMARY KEY ({', '.join(key)})" if key else "")
            + ")"
        )
        placeholders = ", ".join("?" for _ in self.names)
        # names from the declaration above, never from input
        self.insert = f"INSERT INTO {name} ({self.select}) VALUES ({placeholders})"  # noqa: S608
        # the key: `key`, or the column declared the primary key
        self.key = key or tuple(column.name for column in self.columns if column.sql.primary_key)
        self._others = tuple(name for name in self.names if name not in self.key)
        self.update = (
            f"UPDATE {name} SET {', '.join(f'{other} = ?' for other in self._others)} "  # noqa: S608
            f"WHERE {' AND '.join(f'{column} = ?' for column in self.key)}"
        )
        self._binary_names = [column.name for column in self.columns if column.sql.type == "BYTEA"]
        if len(self.names) < 2:  # attrgetter of one name gives a value, not a tuple
            raise ValueError(f"{name}: a table of one column has no row to update")
        self._values = attrgetter(*self.names)
        self._update_values = attrgetter(*self._others, *self.key)
        self._known = frozenset(self.names)

    def of(self, selected: Sequence[Any]) -> Row:
        """The row selected as `select`: made as `replace` makes a copy, without a call of
        `__init__` (a query of open dossiers makes tens of thousands)."""
        values = dict(zip(self.names, selected, strict=True))
        for name in self._binary_names:
            values[name] = bytes(values[name])  # a memoryview from some drivers
        row = object.__new__(self.row)
        row.__dict__.update(values)  # the row class is frozen: set as its own __init__ does
        return row

    def values(self, row: Row) -> tuple[Any, ...]:
        """The row's values in `select` order, for `insert`."""
        return self._values(row)

    def update_values(self, row: Row) -> tuple[Any, ...]:
        """The row's values for `update`: every column's but the key's, then the key's."""
        return self._update_values(row)

    def replace(self, row: Row, **values: Any) -> Row:
        """A copy of the row with `values` changed: `dataclasses.replace`, without its call of
        `__init__` (several times faster, for a row changed at each entry of a projection)."""
        unknown = values.keys() - self._known
        if unknown:
            raise TypeError(f"{self.row.__name__} has no field {', '.join(sorted(unknown))}")
        changed = object.__new__(self.row)
        # the row class is frozen: its attributes are set as its own __init__ sets them
        changed.__dict__.update(row.__dict__)
        changed.__dict__.update(values)
        return changed


def _column(name: str, hint: Any) -> Column:
    sql = next(extra for extra in hint.__metadata__ if isinstance(extra, Sql))
    python = get_args(hint)[0]
    nullable = get_origin(python) is UnionType and NoneType in get_args(python)
    return Column(name, sql, nullable)


LOCATION = Table("lienthong_location", Location)
LEGS = Table("lienthong_legs", Leg, key=("code", "hop"))
LOCATION_COLUMNS = LOCATION.select
LEG_COLUMNS = LEGS.select

TABLES = [
    "CREATE TABLE IF NOT EXISTS lienthong_tracking ("
    "projection TEXT PRIMARY KEY, position BIGINT NOT NULL)",
    LOCATION.ddl,
    LEGS.ddl,
    "CREATE TABLE IF NOT EXISTS lienthong_suspensions ("
    "code TEXT NOT NULL, started_at BIGINT NOT NULL, ended_at BIGINT, "
    "PRIMARY KEY (code, started_at))",
    "CREATE TABLE IF NOT EXISTS lienthong_subjects ("
    "family TEXT NOT NULL, subject TEXT NOT NULL, owner TEXT, PRIMARY KEY (family, subject))",
    "CREATE TABLE IF NOT EXISTS lienthong_receipt_scans ("
    "code TEXT NOT NULL, sha256 BYTEA NOT NULL, PRIMARY KEY (code, sha256))",
    "CREATE TABLE IF NOT EXISTS lienthong_notices ("
    "code TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL, at BIGINT NOT NULL, "
    "PRIMARY KEY (code, seq))",
    "CREATE INDEX IF NOT EXISTS lienthong_notices_at ON lienthong_notices (at)",
    "CREATE INDEX IF NOT EXISTS lienthong_location_custodian ON lienthong_location (custodian)",
    "CREATE INDEX IF NOT EXISTS lienthong_location_transit ON lienthong_location (transit_to)",
    "CREATE INDEX IF NOT EXISTS lienthong_location_status ON lienthong_location (status)",
    # the stall query's ranges (`stalls.py`): in transit since, and the appointed time, by status
    # — the latter with what the map and the stalls page count the range by (`dashboard.py`:
    # holder, procedure, receiving office), read from the index alone
    "CREATE INDEX IF NOT EXISTS lienthong_location_transit_since "
    "ON lienthong_location (status, since)",
    "CREATE INDEX IF NOT EXISTS lienthong_location_appointed "
    "ON lienthong_location (status, appointed, received_at, procedure, received_by, custodian, "
    "transit_to)",
]
# each held dossier's level deadline, kept for the stall query: a cache (`turns.py`)
TURN_DEADLINES = "lienthong_turn_deadlines"
TABLES += [
    f"CREATE TABLE IF NOT EXISTS {TURN_DEADLINES} (code TEXT PRIMARY KEY, "
    "last_seq INTEGER NOT NULL, basis TEXT NOT NULL, valid_from BIGINT NOT NULL, deadline BIGINT)",
    f"CREATE INDEX IF NOT EXISTS {TURN_DEADLINES}_deadline ON {TURN_DEADLINES} (deadline)",
    # the dossiers open at a past instant (`asof.py`): not closed, or closed after it
    "CREATE INDEX IF NOT EXISTS lienthong_location_closed "
    "ON lienthong_location (closed_at, received_at)",
    # the held dossiers whose kept deadline is stale, found from these two alone (`turns.py`)
    "CREATE INDEX IF NOT EXISTS lienthong_location_held "
    "ON lienthong_location (status, code, last_seq, received_at, procedure)",
    f"CREATE INDEX IF NOT EXISTS {TURN_DEADLINES}_kept "
    f"ON {TURN_DEADLINES} (code, last_seq, basis, valid_from)",
    # the office report's and the map's aggregates (`reports.py`, `aggregates.py`), each read
    # from an index alone: an office's dossiers received in a period, with their channel; those
    # decided in one (or not yet: NULL), with what judging them and the open ones needs — by
    # receiving office (a report: a range per office below it), and across them all (the map);
    # with the marks the report counts (`marks.py`)
    "CREATE INDEX IF NOT EXISTS lienthong_location_office_received "
    "ON lienthong_location (received_by, received_at, channel, digitised, code)",
    "CREATE INDEX IF NOT EXISTS lienthong_location_office_decided "
    "ON lienthong_location (received_by, decided_at, received_at, appointed, closed_at, "
    "appointed_at_receipt, first_apology_at, procedure, version, score, code)",
    "CREATE INDEX IF NOT EXISTS lienthong_location_decided "
    "ON lienthong_location (decided_at, received_at, received_by, appointed, closed_at, "
    "appointed_at_receipt, first_apology_at, procedure, version, score, code)",
    # the hops dispatched in a period, by whom: the offices' holding times (`holding.py`)
    "CREATE INDEX IF NOT EXISTS lienthong_legs_dispatched "
    "ON lienthong_legs (dispatched_at, from_office)",
    # the figures kept per receiving office and month (`months.py`)
    *months.TABLES,
]
VIEW_TABLES = (
    "lienthong_location",
    "lienthong_legs",
    "lienthong_suspensions",
    "lienthong_subjects",
    "lienthong_receipt_scans",
    "lienthong_notices",
    months.RECEIVED,
    months.ENDED,
    months.DECIDED,
)


def location_of(row: Sequence[Any]) -> Location:
    """A `lienthong_location` row, selected as LOCATION_COLUMNS."""
    return LOCATION.of(row)


def leg_of(row: Sequence[Any]) -> Leg:
    """A `lienthong_legs` row, selected as LEG_COLUMNS."""
    return LEGS.of(row)


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
                for table in (*VIEW_TABLES, "lienthong_tracking", TURN_DEADLINES):
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
