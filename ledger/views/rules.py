"""The projection's rules: one per dossier event, each a change to the rows its dossier has in the
views' tables (`tables.py`).

The rules of a batch of entries work on the batch's rows in memory (`Batch`): the location rows of
the dossiers the entries name, and the legs of those whose dispatches they settle, are read when
the batch starts, with a SELECT per table (`reads`; none of a dossier the batch receives before
its other entries: it has no rows yet); every row the rules add or change is written
once when it ends (`Batch.write`), a statement per table for all its rows, in the projector's
transaction for the batch (on PostgreSQL the rows it adds by binary COPY, `Batch.copy`). A
dossier's rows are therefore read and written once a batch, however many of its entries the batch
holds. A row is copied when the batch first changes it, and that copy, the batch's alone, changed
in place after (as the rows the rules make and hand over: `receive`, `send`).

A rule that finds the rows not as the log says they must be (no location row to move, no earlier
dispatch to settle, a dossier received twice) raises ProjectionStopped: the projector applies
nothing of that batch and stops there, naming the entry (a receipt of a dossier whose row the batch
did not read is refused by the table's key instead, when the batch is written: the projector
stops there too, applying nothing of it). Registry statements only list their subject
(`registered`).

The rules read a statement's fields as `Facts`: a trusted decode of the stored statement bytes
(`facts`), into the fields they read and nothing else. The ledger checked every field of a
statement (canonical form, kinds, values) and its signature when it recorded it; the projection
reads its own log and does not check them again (the audit is what re-checks a stored log).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any, Protocol, TypeVar

import msgspec

from domain.dossier import Dossier
from domain.statement import family
from ledger.errors import LedgerError
from ledger.statements import signing
from ledger.stores.database import Cursor
from ledger.views import months
from ledger.views.tables import LEGS, LOCATION, Leg, Location, Table

R = TypeVar("R")


class ProjectionStopped(LedgerError):
    code = "projection-stopped"
    title_vi = "Bảng tra cứu dừng lại"
    title_en = "Projection stopped"


class Document(msgspec.Struct, frozen=True):
    """A document a statement lists: the rules read its SHA-256 only."""

    sha256: bytes


class Body(msgspec.Struct, frozen=True):
    """The body fields the rules read, of whichever kind has them (absent from the others):
    the receipt's channel and documents, a dispatch's purpose, the dispatch a settlement names,
    a key's officer."""

    channel: str = ""
    documents: tuple[Document, ...] = ()
    purpose: str = ""
    dispatch: bytes = b""
    officer: str | None = None


class Facts(msgspec.Struct, frozen=True):
    """The fields of a recorded statement the rules read (`facts` decodes them)."""

    kind: str
    subject: str
    seq: int
    office: str
    officer: str
    at: int
    body: Body

    @property
    def family(self) -> str:
        return family(self.kind)


class Said(msgspec.Struct, frozen=True):
    """The fields of a dossier event's stored state the rules read (the event's own, beside its
    statement's; absent from the kinds that have none of them): read straight from the state
    the log stores, without making the domain event."""

    raw: bytes
    office: str = ""
    procedure: str = ""
    procedure_version: int = 0
    appointed: int = 0
    sender: str = ""
    addressee: str = ""
    by: str = ""
    missing: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()
    outcome: str = ""


class Signed(msgspec.Struct, frozen=True):
    """The one field of a registry event's stored state the rules read: its statement."""

    raw: bytes


_FACTS = msgspec.msgpack.Decoder(Facts).decode
_SAID = msgspec.msgpack.Decoder(Said).decode
_SIGNED = msgspec.msgpack.Decoder(Signed).decode


def said(state: bytes, dossier: bool) -> Said | Signed:
    """The fields the rules read of an event's stored state (a dossier event's, or a registry
    event's), decoded without making the domain event; raises ProjectionStopped if the state
    does not hold them."""
    try:
        return _SAID(state) if dossier else _SIGNED(state)
    except msgspec.DecodeError as problem:  # ValidationError is one
        raise ProjectionStopped(f"the stored event cannot be read: {problem}") from None


def facts(raw: bytes) -> Facts:
    """The fields the rules read of a statement the ledger recorded, decoded from its stored
    bytes without checking them again (every other field skipped); raises ProjectionStopped if
    the bytes do not hold them."""
    try:
        return _FACTS(raw)
    except msgspec.DecodeError as problem:  # ValidationError is one
        raise ProjectionStopped(f"the stored statement cannot be read: {problem}") from None


# the events whose rule settles an earlier dispatch (`_settled`): the batch reads their legs
SETTLING = (Dossier.Acknowledged, Dossier.Rejected, Dossier.Recalled)
Query = tuple[str, Sequence[Any]]
SQLITE_CODES = 500  # codes a SELECT lists on SQLite: its limit was 999 parameters before 3.32


class Batch:
    """The rows a batch's rules read and change, in memory, and the rows they add: written by
    `write`, each once, when the batch ends."""

    def __init__(self, locations: Iterable[Location] = (), legs: Iterable[Leg] = ()) -> None:
        # the rows as the batch has left them so far: location by code, leg by (code, dispatch)
        self.locations = {row.code: row for row in locations}
        self.legs = {(leg.code, leg.dispatch): leg for leg in legs}
        # keys of the rows to insert (added by the batch) and to update (read, then changed),
        # in the order the batch came to them (dicts as ordered sets)
        self._added: dict[str, None] = {}
        self._changed: dict[str, None] = {}
        self._added_legs: dict[tuple[str, bytes], None] = {}
        self._changed_legs: dict[tuple[str, bytes], None] = {}
        # suspensions the batch began, (code, started_at) -> ended_at; the end of those it read
        self._suspensions: dict[tuple[str, int], int | None] = {}
        self._resumed: list[tuple[int, str]] = []
        self.scans: list[tuple[str, bytes]] = []  # (code, sha256)
        self.notices: list[tuple[str, int, str, int]] = []  # (code, seq, kind, at)
        self.subjects: list[tuple[str, str, str | None]] = []  # (family, subject, owner)
        # keys of the rows only this batch holds (received, sent, or copied when first changed):
        # a later change sets their fields in place rather than copying the row again
        self._own: set[str] = set()
        self._own_legs: set[tuple[str, bytes]] = set()
        # the location rows the batch read and then changed, as it read them: what the figures
        # kept per month (`months.py`) counted them as
        self._before: dict[str, Location] = {}

    @classmethod
    def of(cls, locations: Iterable[Sequence[Any]], legs: Iterable[Sequence[Any]]) -> Batch:
        """A batch of the rows `reads` selected."""
        return cls(map(LOCATION.of, locations), map(LEGS.of, legs))

    # --- locations ----------------------------------------------------------------------------

    def location(self, code: str) -> Location:
        row = self.locations.get(code)
        if row is None:
            raise ProjectionStopped(f"dossier {code}: the views hold no earlier entry it follows")
        return row

    def read(self, rows: Iterable[Sequence[Any]]) -> None:
        """Rows selected after the batch began (`marks.settle`), held as those `reads` selected;
        a row the batch holds already stays as the batch has it."""
        for row in map(LOCATION.of, rows):
            self.locations.setdefault(row.code, row)

    def receive(self, row: Location) -> None:
        if row.code in self.locations:
            raise ProjectionStopped(f"dossier {row.code} has a location row already")
        self.locations[row.code] = row  # the batch's own from now on: see `change`
        self._own.add(row.code)
        self._added[row.code] = None

    def change(self, code: str, **values: Any) -> Location:
        """The dossier's location row with `values` changed: a copy the batch then holds, or,
        once it does, that copy changed in place."""
        row = self.location(code)
        if code in self._own:
            _set(row, values)
        else:
            if code not in self._added:
                self._before[code] = row
            row = self.locations[code] = LOCATION.replace(row, **values)
            self._own.add(code)
        if code not in self._added:
            self._changed[code] = None
        return row

    # --- legs ---------------------------------------------------------------------------------

    def leg(self, code: str, dispatch: bytes) -> Leg:
        leg = self.legs.get((code, dispatch))
        if leg is None:
            raise ProjectionStopped(f"dossier {code}: the views hold no earlier entry it follows")
        return leg

    def send(self, leg: Leg) -> None:
        key = (leg.code, leg.dispatch)
        if key in self.legs:
            raise ProjectionStopped(f"dossier {leg.code} has a leg of this dispatch already")
        self.legs[key] = leg  # the batch's own from now on: see `settle`
        self._own_legs.add(key)
        self._added_legs[key] = None

    def settle(self, code: str, dispatch: bytes, **values: Any) -> Leg:
        """The leg of the dispatch with `values` changed (as `change` changes a location)."""
        key = (code, dispatch)
        leg = self.leg(code, dispatch)
        if key in self._own_legs:
            _set(leg, values)
        else:
            leg = self.legs[key] = LEGS.replace(leg, **values)
            self._own_legs.add(key)
        if key not in self._added_legs:
            self._changed_legs[key] = None
        return leg

    # --- suspensions --------------------------------------------------------------------------

    def suspend(self, code: str, at: int) -> None:
        if (code, at) in self._suspensions:
            raise ProjectionStopped(f"dossier {code} has a suspension from {at} already")
        self._suspensions[code, at] = None

    def resume(self, code: str, at: int) -> None:
        """Ends the dossier's suspensions not ended yet: those the batch began, and those it
        read (by an UPDATE, in turn with the others it ends)."""
        for (suspended, started), ended in self._suspensions.items():
            if suspended == code and ended is None:
                self._suspensions[suspended, started] = at
        self._resumed.append((at, code))

    def spans(self, code: str) -> list[tuple[int, int | None]]:
        """(from, to) of each supplement window of the dossier the batch began, by start."""
        return sorted(
            (started, ended) for (of, started), ended in self._suspensions.items() if of == code
        )

    # --- the end of the batch -----------------------------------------------------------------

    def changes(self, *, postgres: bool = False) -> list[tuple[str, list[tuple[Any, ...]]]]:
        """Every row added or changed, each once: (statement, rows) per table and kind of
        change, in the order they must be written; on PostgreSQL a dossier's resumptions as one
        (`write`)."""
        resumed = self._resumed
        if postgres:  # one UPDATE for all: each dossier's first resumption, the one that counts
            first: dict[str, int] = {}
            for at, code in resumed:
                first.setdefault(code, at)
            resumed = [(at, code) for code, at in first.items()]
        return [
            (LOCATION.insert, [LOCATION.values(self.locations[code]) for code in self._added]),
            (
                LOCATION.update,
                [LOCATION.update_values(self.locations[code]) for code in self._changed],
            ),
            (LEGS.insert, [LEGS.values(self.legs[key]) for key in self._added_legs]),
            (LEGS.update, [LEGS.update_values(self.legs[key]) for key in self._changed_legs]),
            # before the suspensions begun in this batch are inserted: it ends only those read
            # (a dossier's later resumptions in the batch find none of them open any more)
            (RESUME, resumed),
            (SUSPEND, [(code, at, ended) for (code, at), ended in self._suspensions.items()]),
            (SCAN, self.scans),  # a hash listed twice is one scan
            (NOTICE, self.notices),
            (SUBJECT, self.subjects),
            # the figures kept per receiving office and month, moved by the rows' changes
            *months.deltas(
                (self.locations[code] for code in self._added),
                ((self._before[code], self.locations[code]) for code in self._changed),
            ).items(),
        ]

    def write(self, cursor: Cursor, *, postgres: bool = False) -> None:
        """Every row added or changed, each once: a statement per table and kind of change; on
        PostgreSQL one statement for all its rows (`BULK`: their columns sent as arrays), on
        SQLite the statement once per row (no round trips there)."""
        for sql, rows in self.changes(postgres=postgres):
            if not rows:
                continue
            if postgres:
                cursor.execute(BULK[sql], tuple(map(list, zip(*rows, strict=True))))
            else:
                cursor.executemany(sql, rows)

    def copy(self, cursor: Copying) -> None:
        """`write` on PostgreSQL with the rows added to the tables that take them all (no ON
        CONFLICT: a row already there is refused, as by `write`'s INSERT) sent by binary COPY
        (`COPIED`). The other statements go first, as `write` sends them and in its order (the
        resumptions before the supplement windows begun in the batch are added): in a pipeline,
        without waiting, which the first COPY then leaves (COPY has no pipeline mode); then a
        COPY per table, each waiting for its result."""
        copies = []
        for sql, rows in self.changes(postgres=True):
            if not rows:
                continue
            if sql in COPIED:
                copies.append((COPIED[sql], rows))
            else:
                cursor.execute(BULK[sql], tuple(map(list, zip(*rows, strict=True))))
        for (copy, types), rows in copies:
            cursor.copy(copy, types, rows)


RESUME = "UPDATE lienthong_suspensions SET ended_at = ? WHERE code = ? AND ended_at IS NULL"
SUSPEND = "INSERT INTO lienthong_suspensions (code, started_at, ended_at) VALUES (?, ?, ?)"
SCAN = (
    "INSERT INTO lienthong_receipt_scans (code, sha256) VALUES (?, ?) "
    "ON CONFLICT (code, sha256) DO NOTHING"
)
NOTICE = "INSERT INTO lienthong_notices (code, seq, kind, at) VALUES (?, ?, ?, ?)"
SUBJECT = (
    "INSERT INTO lienthong_subjects (family, subject, owner) VALUES (?, ?, ?) "
    "ON CONFLICT (family, subject) DO NOTHING"
)


def _arrays(types: Sequence[str]) -> str:
    """The rows of arrays of these SQL types, one parameter each, sent in binary (`%b`: no
    quoting of each text element): `unnest(%b::text[], ...)`."""
    return f"unnest({', '.join(f'%b::{kind.lower()}[]' for kind in types)})"


def _insert(table: Table[Any], conflict: str = "") -> str:
    return (
        f"INSERT INTO {table.name} ({table.select}) "  # noqa: S608 — names from declarations
        f"SELECT * FROM {_arrays([column.sql.type for column in table.columns])}{conflict}"
    )


def _update(table: Table[Any]) -> str:
    """UPDATE by key from arrays of `update_values` order: every other column, then the key."""
    types = {column.name: column.sql.type for column in table.columns}
    others = [name for name in table.names if name not in table.key]
    order = [*others, *table.key]
    return (
        f"UPDATE {table.name} AS t SET "  # noqa: S608 — names from declarations
        f"{', '.join(f'{name} = v.{name}' for name in others)} "
        f"FROM {_arrays([types[name] for name in order])} AS v ({', '.join(order)}) "
        f"WHERE {' AND '.join(f't.{name} = v.{name}' for name in table.key)}"
    )


def _row(name: str, columns: dict[str, str], conflict: str = "") -> str:
    return (
        f"INSERT INTO {name} ({', '.join(columns)}) "  # noqa: S608 — fixed names
        f"SELECT * FROM {_arrays(list(columns.values()))}{conflict}"
    )


# On PostgreSQL, each of the statements above once for all its rows: their columns as arrays
# (psycopg placeholders: these statements are PostgreSQL's alone)
BULK = {
    LOCATION.insert: _insert(LOCATION),
    LOCATION.update: _update(LOCATION),
    LEGS.insert: _insert(LEGS),
    LEGS.update: _update(LEGS),
    RESUME: "UPDATE lienthong_suspensions AS t SET ended_at = v.ended_at "  # noqa: S608
    f"FROM {_arrays(['BIGINT', 'TEXT'])} AS v (ended_at, code) "
    "WHERE t.code = v.code AND t.ended_at IS NULL",
    SUSPEND: _row(
        "lienthong_suspensions", {"code": "TEXT", "started_at": "BIGINT", "ended_at": "BIGINT"}
    ),
    SCAN: _row(
        "lienthong_receipt_scans",
        {"code": "TEXT", "sha256": "BYTEA"},
        " ON CONFLICT (code, sha256) DO NOTHING",
    ),
    NOTICE: _row(
        "lienthong_notices", {"code": "TEXT", "seq": "INTEGER", "kind": "TEXT", "at": "BIGINT"}
    ),
    SUBJECT: _row(
        "lienthong_subjects",
        {"family": "TEXT", "subject": "TEXT", "owner": "TEXT"},
        " ON CONFLICT (family, subject) DO NOTHING",
    ),
    **months.BULK,
}


# PostgreSQL's names of the columns' types, for a binary COPY's `set_types`
_COPY_TYPES = {"TEXT": "text", "INTEGER": "int4", "BIGINT": "int8", "BYTEA": "bytea"}


def _copy(name: str, columns: dict[str, str]) -> tuple[str, list[str]]:
    """A binary COPY into these columns, and their types as `set_types` names them."""
    return (
        f"COPY {name} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)",
        [_COPY_TYPES[kind] for kind in columns.values()],
    )


def _copy_table(table: Table[Any]) -> tuple[str, list[str]]:
    return _copy(table.name, {column.name: column.sql.type for column in table.columns})


# On PostgreSQL (`Batch.copy`), the INSERTs whose rows are sent by binary COPY instead: those of
# tables that take every row (a row already there is refused, as by the INSERT). The scans and the
# registry's subjects keep their INSERT ... ON CONFLICT DO NOTHING (COPY has no ON CONFLICT).
COPIED = {
    LOCATION.insert: _copy_table(LOCATION),
    LEGS.insert: _copy_table(LEGS),
    SUSPEND: _copy(
        "lienthong_suspensions", {"code": "TEXT", "started_at": "BIGINT", "ended_at": "BIGINT"}
    ),
    NOTICE: _copy(
        "lienthong_notices", {"code": "TEXT", "seq": "INTEGER", "kind": "TEXT", "at": "BIGINT"}
    ),
}


class Copying(Cursor, Protocol):
    """A cursor that can also COPY rows in (PostgreSQL, outside a pipeline)."""

    def copy(self, sql: str, types: Sequence[str], rows: Iterable[Sequence[Any]]) -> None: ...


@dataclass(frozen=True)
class Reads:
    """The SELECTs of the rows the rules of a batch read (`reads`), and the batch of their rows."""

    queries: Sequence[Query]
    located: int  # how many of the queries select location rows; the others select legs

    def batch(self, results: Sequence[Iterable[Sequence[Any]]]) -> Batch:
        """The batch of the rows the queries returned, in their order."""
        return Batch.of(
            chain.from_iterable(results[: self.located]),
            chain.from_iterable(results[self.located :]),
        )


def reads(kind: str, entries: Iterable[tuple[type[Any], Facts]]) -> Reads:
    """The SELECTs of the rows the rules of these (event class, statement) entries read: the location
    rows of the dossiers they name and the legs of those whose dispatches they settle; none for
    a batch that needs neither. `kind`: the database's, postgres or sqlite.

    A dossier whose receipt comes in the batch before any other of its entries has no rows in
    the views yet (its receipt makes them): none are read for it. Were one there all the same
    (the views out of step with the log), the receipt's INSERT fails on the table's key and the
    batch applies nothing."""
    codes: dict[str, None] = {}
    settling: dict[str, None] = {}
    fresh: set[str] = set()  # dossiers the batch receives before any other entry of theirs
    for event, statement in entries:
        if issubclass(event, Dossier.Event):
            code = statement.subject
            if code in fresh:
                continue
            if code not in codes:
                if issubclass(event, Dossier.Received):
                    fresh.add(code)
                    continue
                codes[code] = None
            if issubclass(event, SETTLING):
                settling[code] = None
    located = [
        (f"SELECT {LOCATION.select} FROM lienthong_location WHERE {where}", listed)  # noqa: S608
        for where, listed in one_of(kind, list(codes))
    ]
    settled = [
        (f"SELECT {LEGS.select} FROM lienthong_legs WHERE {where}", listed)  # noqa: S608
        for where, listed in one_of(kind, list(settling))
    ]
    return Reads(located + settled, len(located))


def one_of(kind: str, codes: list[str]) -> list[tuple[str, tuple[Any, ...]]]:
    """`code` is one of `codes`: conditions and their parameters, one for them all on
    PostgreSQL, one per `SQLITE_CODES` on SQLite (which limits a statement's parameters)."""
    if not codes:
        return []
    if kind == "postgres":
        return [("code = ANY(?)", (codes,))]
    chunks = (codes[i : i + SQLITE_CODES] for i in range(0, len(codes), SQLITE_CODES))
    return [(f"code IN ({', '.join('?' for _ in chunk)})", tuple(chunk)) for chunk in chunks]


# --- the rules --------------------------------------------------------------------------------

_COLUMNS: dict[type[Any], frozenset[str]] = {
    Location: frozenset(LOCATION.names),
    Leg: frozenset(LEGS.names),
}


def _set(row: Location | Leg, values: dict[str, Any]) -> None:
    """Sets fields of a row only a batch holds, in place (as `Table.replace` sets those of its
    copy: the class is frozen to everyone else); TypeError for a name that is no column."""
    columns = _COLUMNS[type(row)]
    if not values.keys() <= columns:
        raise TypeError(f"{type(row).__name__} has no column {', '.join(values.keys() - columns)}")
    row.__dict__.update(values)


def made(kind: type[R], **values: Any) -> R:
    """A new row (Location or Leg) of every column's value: made as `Table.replace` makes a
    changed one, without the frozen dataclass's `__init__` (which sets each field through
    `object.__setattr__`: twice as slow, for the rows a rebuild adds). Every column must be
    named, and no other (TypeError)."""
    columns = _COLUMNS[kind]
    if values.keys() != columns:
        unknown, missing = sorted(values.keys() - columns), sorted(columns - values.keys())
        raise TypeError(
            f"{kind.__name__}: "
            + "; ".join(
                [
                    *(f"no column {name}" for name in unknown),
                    *(f"{name} not given" for name in missing),
                ]
            )
        )
    row = object.__new__(kind)
    row.__dict__.update(values)  # as the class's own __init__ sets them
    return row


def _received(batch: Batch, event: Any, statement: Facts) -> None:
    batch.receive(
        made(
            Location,
            code=statement.subject,
            procedure=event.procedure,
            version=event.procedure_version,
            status="held",
            received_by=event.office,
            received_at=statement.at,
            custodian=event.office,
            transit_from=None,
            transit_to=None,
            since=statement.at,
            appointed=event.appointed,
            suspended_since=None,
            suspended_us=0,
            hops=0,
            decided=None,
            decided_at=None,
            closed_at=None,
            channel=statement.body.channel,
            held_since=statement.at,
            last_seq=statement.seq,
            appointed_at_receipt=event.appointed,
            first_apology_at=None,
            digitised=0,  # the file store is asked when the batch ends (`marks.settle`)
            score=None,
        )
    )
    batch.scans.extend(
        (statement.subject, document.sha256) for document in statement.body.documents
    )


def _dispatched(batch: Batch, event: Any, statement: Facts) -> None:
    code = statement.subject
    hop = batch.location(code).hops + 1
    batch.send(
        made(
            Leg,
            code=code,
            hop=hop,
            dispatch=signing.statement_hash(event.raw),
            from_office=event.sender,
            from_officer=statement.officer,
            to_office=event.addressee,
            purpose=statement.body.purpose,
            dispatched_at=statement.at,
            outcome=None,
            by_office=None,
            by_officer=None,
            ended_at=None,
            missing=0,
            extra=0,
        )
    )
    _move(batch, statement, "in_transit", None, event.sender, event.addressee, hops=hop)


def _settled(outcome: str) -> Callable[[Batch, Any, Facts], None]:
    def settle(batch: Batch, event: Any, statement: Facts) -> None:
        leg = batch.settle(
            statement.subject,
            statement.body.dispatch,
            outcome=outcome,
            by_office=statement.office,
            by_officer=statement.officer,
            ended_at=statement.at,
            missing=len(getattr(event, "missing", [])),
            extra=len(getattr(event, "extra", [])),
        )
        if outcome == "acknowledged":  # a new turn begins; a refused or recalled one goes on
            _move(batch, statement, "held", event.by, None, None, held_since=statement.at)
        else:
            _move(batch, statement, "held", leg.from_office, None, None)

    return settle


def _suspended(batch: Batch, _event: Any, statement: Facts) -> None:
    batch.suspend(statement.subject, statement.at)
    batch.change(
        statement.subject,
        status="suspended",
        suspended_since=statement.at,
        last_seq=statement.seq,
    )


def _resumed(batch: Batch, _event: Any, statement: Facts) -> None:
    batch.resume(statement.subject, statement.at)
    row = batch.location(statement.subject)
    if row.suspended_since is None:
        raise ProjectionStopped(f"dossier {row.code} is not awaiting a supplement in the views")
    batch.change(
        row.code,
        status="held",
        suspended_us=row.suspended_us + (statement.at - row.suspended_since),
        suspended_since=None,
        last_seq=statement.seq,
    )


def _reappointed(batch: Batch, event: Any, statement: Facts) -> None:
    """An apology slip (a delay notice, or from 15/9/2025 an extension request): the new
    appointed time, and the earliest apology's instant (statements' times need not follow their
    order in the chain, so the earliest, not merely the first recorded)."""
    earliest = batch.location(statement.subject).first_apology_at
    batch.change(
        statement.subject,
        appointed=event.appointed,
        last_seq=statement.seq,
        first_apology_at=statement.at if earliest is None else min(earliest, statement.at),
    )


def _noticed(
    then: Callable[[Batch, Any, Facts], None],
) -> Callable[[Batch, Any, Facts], None]:
    """A notice signed to the applicant (apology, extension, refusal, stop): listed with its kind
    and time, then `then` applied."""

    def apply(batch: Batch, event: Any, statement: Facts) -> None:
        batch.notices.append((statement.subject, statement.seq, statement.kind, statement.at))
        then(batch, event, statement)

    return apply


def _decided(batch: Batch, event: Any, statement: Facts) -> None:
    batch.change(
        statement.subject, decided=event.outcome, decided_at=statement.at, last_seq=statement.seq
    )


def _closed(batch: Batch, _event: Any, statement: Facts) -> None:
    batch.change(statement.subject, status="closed", closed_at=statement.at, last_seq=statement.seq)


def _move(
    batch: Batch,
    statement: Facts,
    status: str,
    custodian: str | None,
    sender: str | None,
    addressee: str | None,
    **values: Any,
) -> None:
    batch.change(
        statement.subject,
        status=status,
        custodian=custodian,
        transit_from=sender,
        transit_to=addressee,
        since=statement.at,
        last_seq=statement.seq,
        **values,
    )


def registered(batch: Batch, statement: Facts) -> None:
    """A new registry subject (office, officer, key, procedure): listed, with a key's officer."""
    owner = statement.body.officer if statement.family == "key" else None
    batch.subjects.append((statement.family, statement.subject, owner))


HANDLERS: dict[type[Any], Callable[[Batch, Any, Facts], None]] = {
    Dossier.Received: _received,
    Dossier.Dispatched: _dispatched,
    Dossier.Acknowledged: _settled("acknowledged"),
    Dossier.Rejected: _settled("rejected"),
    Dossier.Recalled: _settled("recalled"),
    Dossier.SupplementRequested: _suspended,
    Dossier.SupplementReceived: _resumed,
    Dossier.DelayNotified: _noticed(_reappointed),
    Dossier.Decided: _decided,
    Dossier.ResultReturned: _closed,
    Dossier.Withdrawn: _closed,
    Dossier.Refused: _noticed(_closed),
    Dossier.ExtensionRequested: _noticed(_reappointed),
    Dossier.Stopped: _noticed(_closed),
}
