"""Read models (projections): where every dossier is, and every hop it made, built from the log.

Tables, in the ledger's own database (a SQLite file or the PostgreSQL schema; an in-memory SQLite
database beside a `memory:` ledger):

- `lienthong_location` — one row per dossier: status (held, in transit, awaiting a supplement,
  closed), custodian, or sender and addressee while in transit, since when, appointed time,
  procedure and version, the suspended time so far;
- `lienthong_legs` — one row per hop (giao – nhận): the dispatch, who sent it, to whom, when, and
  how it ended (acknowledged, rejected, recalled) by whom and when — the lines of the control slip;
- `lienthong_tracking` — the log position each projection has applied.

Exactly once: a batch of entries is applied and the tracking position moved in one transaction,
guarded by the position it started from, so a crash mid-batch leaves nothing half-applied and a
restart carries on from the last committed position; two projectors never apply one entry twice.
An entry the projection cannot apply stops it with the entry named: it never skips one silently.
Following new entries: PostgreSQL wakes the projector through LISTEN/NOTIFY (the store's own
subscription); SQLite has none, so the projector polls. `rebuild` empties the tables and applies
the whole log again. Command handlers never write here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from domain.dossier import Dossier
from domain.signed import SignedAggregate, subject_id
from domain.statement import Statement
from ledger.application import Ledger
from ledger.errors import LedgerError, ReadOnly, ViewsNotReady
from ledger.statements import schema, signing
from ledger.stores.database import DDL_LOCK, Cursor, Database

NAME = "dossiers"
LAYOUT = 4  # the views' table layout: a stored layout of another number is rebuilt
BATCH = 500

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


class ProjectionStopped(LedgerError):
    code = "projection-stopped"
    title_vi = "Bảng tra cứu dừng lại"
    title_en = "Projection stopped"


class ProjectionRaced(ProjectionStopped):
    """Another projector (another server process) applied this batch first: nothing is wrong,
    the batch is not applied twice, and `catch_up` carries on from the new position."""

    code = "projection-raced"
    title_vi = "Bảng tra cứu đã được cập nhật bởi tiến trình khác"
    title_en = "Another projector applied these entries first"


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


# --- the view's database --------------------------------------------------------------------


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


# --- the projection -------------------------------------------------------------------------

LOCATION_COLUMNS = (
    "code, procedure, version, status, received_by, received_at, custodian, transit_from, "
    "transit_to, since, appointed, suspended_since, suspended_us, hops, decided, decided_at, "
    "closed_at, channel, held_since, last_seq"
)
LEG_COLUMNS = (
    "code, hop, dispatch, from_office, from_officer, to_office, purpose, dispatched_at, outcome, "
    "by_office, by_officer, ended_at, missing, extra"
)


class Projector:
    """Applies the log to the views, a batch per transaction, exactly once."""

    def __init__(
        self, ledger: Ledger, view: ViewStore | None = None, *, read_only: bool = False
    ) -> None:
        self.ledger = ledger
        self.view = view or ViewStore(ledger.settings.database_url, read_only=read_only)
        self.read_only = self.view.read_only
        self._changed = threading.Condition()
        self._catching = threading.RLock()
        if self.read_only:
            return  # the primary's projector keeps the views; they arrive by replication
        with self.view.transaction() as cursor:
            cursor.execute(
                "INSERT INTO lienthong_tracking (projection, position) VALUES (?, 0) "
                "ON CONFLICT (projection) DO NOTHING",
                (NAME,),
            )

    def position(self) -> int:
        rows = self.view.query(
            "SELECT position FROM lienthong_tracking WHERE projection = ?", (NAME,)
        )
        return int(rows[0][0]) if rows else 0

    def catch_up(self, progress: Callable[[int], None] | None = None, batch: int = BATCH) -> int:
        """Apply every entry recorded after the tracked position; returns how many. Calls from
        several threads of one projector take turns. A read-only projector applies nothing: on
        a replica the views are as current as replication has made them."""
        if self.read_only:
            return 0
        with self._catching:
            return self._catch_up(progress, batch)

    def _catch_up(self, progress: Callable[[int], None] | None, batch: int) -> int:
        applied = 0
        while True:
            start = self.position()
            notifications = self.ledger.recorder.select_notifications(start + 1, batch)
            if not notifications:
                return applied
            try:
                self.apply(notifications, start)
            except ProjectionRaced:
                continue  # another process applied them: carry on from where it got to
            applied += len(notifications)
            if progress is not None:
                progress(len(notifications))
            with self._changed:
                self._changed.notify_all()

    def apply(self, notifications: Sequence[Any], start: int) -> None:
        """Apply a batch in one transaction, moving the tracking from `start` to the batch's last
        position; refuses (and applies nothing) if another projector moved it meanwhile."""
        with self.view.transaction() as cursor:
            # the position is claimed first (a row lock on PostgreSQL; SQLite's write lock is
            # already held): a batch read from a stale position is refused before it is applied
            lock = " FOR UPDATE" if self.view.kind == "postgres" else ""
            cursor.execute(
                f"SELECT position FROM lienthong_tracking WHERE projection = ?{lock}",  # noqa: S608
                (NAME,),
            )
            row = cursor.fetchone()
            if row is None or int(row[0]) != start:
                raise ProjectionRaced(
                    f"another projector applied entries after {start} meanwhile (the views are "
                    f"at {None if row is None else row[0]}); this batch is not applied twice"
                )
            for notification in notifications:
                try:
                    event = self.ledger.mapper.to_domain_event(notification)
                    self._apply(cursor, event)
                except Exception as problem:
                    raise ProjectionStopped(
                        f"the projection cannot apply log entry {notification.id} "
                        f"({notification.topic}): {problem}; it stops here and applies nothing "
                        f"of this batch"
                    ) from problem
            cursor.execute(
                "UPDATE lienthong_tracking SET position = ? WHERE projection = ? AND position = ?",
                (notifications[-1].id, NAME, start),
            )
            if cursor.rowcount != 1:
                raise ProjectionRaced(
                    f"another projector applied entries after {start} meanwhile; this batch is "
                    f"not applied twice"
                )

    def _apply(self, cursor: Cursor, event: Any) -> None:
        if not isinstance(event, Dossier.Event):
            if isinstance(event, SignedAggregate.Created) and isinstance(
                event, SignedAggregate.Event
            ):
                _registered(cursor, schema.parse(event.raw))
            return  # registry statements only list the registry's subjects
        statement = schema.parse(event.raw)
        handler = _HANDLERS.get(type(event))
        if handler is None:
            raise ProjectionStopped(f"no projection rule for {type(event).__qualname__}")
        handler(cursor, event, statement)

    def rebuild(self, progress: Callable[[int], None] | None = None) -> int:
        """Empty the views and apply the whole log again."""
        if self.read_only:
            raise ReadOnly("the views of a replica are rebuilt on the primary")
        with self.view.transaction() as cursor:
            for table in VIEW_TABLES:
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608 — fixed table names
            cursor.execute(
                "UPDATE lienthong_tracking SET position = 0 WHERE projection = ?", (NAME,)
            )
        return self.catch_up(progress)

    def wait_for(self, position: int, timeout: float) -> bool:
        """Block until the views have applied `position` (while `follow` runs in a thread)."""
        with self._changed:
            return self._changed.wait_for(lambda: self.position() >= position, timeout)

    def follow(self, stop: threading.Event, poll_seconds: float = 0.5) -> None:
        """Keep the views current until `stop` is set: PostgreSQL wakes on LISTEN/NOTIFY, SQLite
        polls every `poll_seconds`. On PostgreSQL a NOTIFY sent while the listener was not yet
        listening reaches nobody: a catch-up every `poll_seconds` there too picks such an entry
        up anyway."""
        if poll_seconds <= 0:
            raise ValueError(f"poll_seconds must be positive, not {poll_seconds}")
        self.catch_up()
        if self.view.kind == "postgres":
            subscription = self.ledger.recorder.subscribe(gt=self.position())

            failed: list[BaseException] = []

            def stop_listening() -> None:
                try:
                    while not stop.wait(poll_seconds):
                        self.catch_up()
                except BaseException as problem:  # raised again by `follow` below
                    failed.append(problem)
                finally:
                    subscription.stop()

            stopper = threading.Thread(target=stop_listening)
            stopper.start()
            try:
                with subscription:
                    for notification in subscription:
                        if stop.is_set():
                            break
                        if notification.id > self.position():
                            self.catch_up()
            finally:
                stop.set()
                stopper.join()
            if failed:
                raise failed[0]
            return
        while not stop.is_set():
            if not self.catch_up():
                stop.wait(poll_seconds)

    def close(self) -> None:
        self.view.close()

    # --- reads ---------------------------------------------------------------------------

    def location(self, code: str) -> Location | None:
        rows = self.view.query(
            f"SELECT {LOCATION_COLUMNS} FROM lienthong_location WHERE code = ?",  # noqa: S608
            (code,),
        )
        return Location(*rows[0]) if rows else None

    def legs(self, code: str) -> list[Leg]:
        rows = self.view.query(
            f"SELECT {LEG_COLUMNS} FROM lienthong_legs WHERE code = ? ORDER BY hop",  # noqa: S608
            (code,),
        )
        return [_leg(row) for row in rows]

    def inbox(self, office: str) -> list[Location]:
        """Dispatches to `office` awaiting its acknowledgement, oldest first."""
        rows = self.view.query(
            f"SELECT {LOCATION_COLUMNS} FROM lienthong_location "  # noqa: S608
            "WHERE status = 'in_transit' AND transit_to = ? ORDER BY since, code",
            (office,),
        )
        return [Location(*row) for row in rows]

    def held_by(self, office: str) -> list[Location]:
        """Dossiers `office` holds (processing or suspended), the one promised soonest first."""
        rows = self.view.query(
            f"SELECT {LOCATION_COLUMNS} FROM lienthong_location "  # noqa: S608
            "WHERE custodian = ? AND status IN ('held', 'suspended') ORDER BY appointed, code",
            (office,),
        )
        return [Location(*row) for row in rows]

    def subjects(
        self, family: str, *, owner: str | None = None, after: str = "", limit: int = 1000
    ) -> list[str]:
        """The registry's subjects of a family (offices, officers, keys, procedures) in id order,
        after `after`; keys of one officer with `owner`."""
        where = "family = ? AND subject > ?" + (" AND owner = ?" if owner is not None else "")
        params: list[Any] = [family, after, *([owner] if owner is not None else [])]
        rows = self.view.query(
            f"SELECT subject FROM lienthong_subjects WHERE {where} "  # noqa: S608
            "ORDER BY subject LIMIT ?",
            (*params, limit),
        )
        return [str(row[0]) for row in rows]

    def location_as_of(self, code: str, instant: int) -> Location | None:
        """Where the dossier was at `instant` (by the handover times its statements carry): its
        history up to then, through the same rules, into a scratch view. None if not yet
        received then. Raises UnknownDossier for a code with no history."""
        self.ledger.dossier(code)  # raises UnknownDossier
        scratch = ViewStore("memory:")
        try:
            with scratch.transaction() as cursor:
                events: Iterator[Any] = iter(self.ledger.events.get(subject_id("dossier", code)))
                for event in events:
                    statement = schema.parse(event.raw)
                    if statement.at > instant:
                        break
                    self._apply(cursor, event)
            return Projector(self.ledger, scratch).location(code)
        finally:
            scratch.close()

    def suspensions(self, code: str) -> list[tuple[int, int | None]]:
        """(from, to) of each time the dossier awaited a supplement; `to` None while it does."""
        rows = self.view.query(
            "SELECT started_at, ended_at FROM lienthong_suspensions WHERE code = ? "
            "ORDER BY started_at",
            (code,),
        )
        return [(int(start), None if end is None else int(end)) for start, end in rows]

    def dump(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every view, in key order: for comparing two builds."""
        return {
            "location": [
                tuple(row)
                for row in self.view.query(
                    f"SELECT {LOCATION_COLUMNS} FROM lienthong_location ORDER BY code"  # noqa: S608
                )
            ],
            "legs": [
                tuple(vars(_leg(row)).values())
                for row in self.view.query(
                    f"SELECT {LEG_COLUMNS} FROM lienthong_legs ORDER BY code, hop"  # noqa: S608
                )
            ],
            "suspensions": [
                tuple(row)
                for row in self.view.query(
                    "SELECT code, started_at, ended_at FROM lienthong_suspensions "
                    "ORDER BY code, started_at"
                )
            ],
            "subjects": [
                tuple(row)
                for row in self.view.query(
                    "SELECT family, subject, owner FROM lienthong_subjects ORDER BY family, subject"
                )
            ],
        }


def _leg(row: Sequence[Any]) -> Leg:
    values = list(row)
    values[2] = bytes(values[2])  # a memoryview from some drivers
    return Leg(*values)


# --- one rule per event -----------------------------------------------------------------------


def _received(cursor: Cursor, event: Any, statement: Statement) -> None:
    cursor.execute(
        f"INSERT INTO lienthong_location ({LOCATION_COLUMNS}) "  # noqa: S608
        "VALUES (?, ?, ?, 'held', ?, ?, ?, NULL, NULL, ?, ?, NULL, 0, 0, NULL, NULL, NULL, ?, ?, ?)",
        (
            statement.subject,
            event.procedure,
            event.procedure_version,
            event.office,
            statement.at,
            event.office,
            statement.at,
            event.appointed,
            statement.body["channel"],
            statement.at,
            statement.seq,
        ),
    )


def _dispatched(cursor: Cursor, event: Any, statement: Statement) -> None:
    code = statement.subject
    cursor.execute("SELECT hops FROM lienthong_location WHERE code = ?", (code,))
    hop = int(_row(cursor, code)[0]) + 1
    cursor.execute(
        f"INSERT INTO lienthong_legs ({LEG_COLUMNS}) "  # noqa: S608
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, NULL, 0, 0)",
        (
            code,
            hop,
            signing.statement_hash(event.raw),
            event.sender,
            statement.officer,
            event.addressee,
            statement.body["purpose"],
            statement.at,
        ),
    )
    _move(cursor, statement, "in_transit", None, event.sender, event.addressee, hops=hop)


def _settled(outcome: str) -> Callable[[Cursor, Any, Statement], None]:
    def settle(cursor: Cursor, event: Any, statement: Statement) -> None:
        code = statement.subject
        cursor.execute(
            "SELECT hop, from_office FROM lienthong_legs WHERE code = ? AND dispatch = ?",
            (code, statement.body["dispatch"]),
        )
        hop, sender = _row(cursor, code)
        missing = len(getattr(event, "missing", []))
        extra = len(getattr(event, "extra", []))
        cursor.execute(
            "UPDATE lienthong_legs SET outcome = ?, by_office = ?, by_officer = ?, ended_at = ?, "
            "missing = ?, extra = ? WHERE code = ? AND hop = ?",
            (
                outcome,
                statement.office,
                statement.officer,
                statement.at,
                missing,
                extra,
                code,
                hop,
            ),
        )
        custodian = event.by if outcome == "acknowledged" else sender
        _move(cursor, statement, "held", custodian, None, None)
        if outcome == "acknowledged":  # a new turn begins; a refused or recalled one goes on
            cursor.execute(
                "UPDATE lienthong_location SET held_since = ? WHERE code = ?",
                (statement.at, code),
            )

    return settle


def _suspended(cursor: Cursor, _event: Any, statement: Statement) -> None:
    cursor.execute(
        "INSERT INTO lienthong_suspensions (code, started_at, ended_at) VALUES (?, ?, NULL)",
        (statement.subject, statement.at),
    )
    cursor.execute(
        "UPDATE lienthong_location SET status = 'suspended', suspended_since = ?, last_seq = ? "
        "WHERE code = ?",
        (statement.at, statement.seq, statement.subject),
    )


def _resumed(cursor: Cursor, _event: Any, statement: Statement) -> None:
    cursor.execute(
        "UPDATE lienthong_suspensions SET ended_at = ? WHERE code = ? AND ended_at IS NULL",
        (statement.at, statement.subject),
    )
    cursor.execute(
        "UPDATE lienthong_location SET status = 'held', "
        "suspended_us = suspended_us + (? - suspended_since), suspended_since = NULL, "
        "last_seq = ? WHERE code = ?",
        (statement.at, statement.seq, statement.subject),
    )


def _reappointed(cursor: Cursor, event: Any, statement: Statement) -> None:
    cursor.execute(
        "UPDATE lienthong_location SET appointed = ?, last_seq = ? WHERE code = ?",
        (event.appointed, statement.seq, statement.subject),
    )


def _decided(cursor: Cursor, event: Any, statement: Statement) -> None:
    cursor.execute(
        "UPDATE lienthong_location SET decided = ?, decided_at = ?, last_seq = ? WHERE code = ?",
        (event.outcome, statement.at, statement.seq, statement.subject),
    )


def _closed(cursor: Cursor, _event: Any, statement: Statement) -> None:
    cursor.execute(
        "UPDATE lienthong_location SET status = 'closed', closed_at = ?, last_seq = ? "
        "WHERE code = ?",
        (statement.at, statement.seq, statement.subject),
    )


def _move(
    cursor: Cursor,
    statement: Statement,
    status: str,
    custodian: str | None,
    sender: str | None,
    addressee: str | None,
    hops: int | None = None,
) -> None:
    cursor.execute(
        "UPDATE lienthong_location SET status = ?, custodian = ?, transit_from = ?, "
        "transit_to = ?, since = ?, hops = COALESCE(?, hops), last_seq = ? WHERE code = ?",
        (
            status,
            custodian,
            sender,
            addressee,
            statement.at,
            hops,
            statement.seq,
            statement.subject,
        ),
    )
    if cursor.rowcount != 1:
        raise ProjectionStopped(f"dossier {statement.subject} has no location row to move")


def _row(cursor: Cursor, code: str) -> Any:
    row = cursor.fetchone()
    if row is None:
        raise ProjectionStopped(f"dossier {code}: the views hold no earlier entry it follows")
    return row


def _registered(cursor: Cursor, statement: Statement) -> None:
    """A new registry subject (office, officer, key, procedure): listed, with a key's officer."""
    owner = statement.body.get("officer") if statement.family == "key" else None
    cursor.execute(
        "INSERT INTO lienthong_subjects (family, subject, owner) VALUES (?, ?, ?) "
        "ON CONFLICT (family, subject) DO NOTHING",
        (statement.family, statement.subject, owner),
    )


_HANDLERS: dict[type[Any], Callable[[Cursor, Any, Statement], None]] = {
    Dossier.Received: _received,
    Dossier.Dispatched: _dispatched,
    Dossier.Acknowledged: _settled("acknowledged"),
    Dossier.Rejected: _settled("rejected"),
    Dossier.Recalled: _settled("recalled"),
    Dossier.SupplementRequested: _suspended,
    Dossier.SupplementReceived: _resumed,
    Dossier.DelayNotified: _reappointed,
    Dossier.Decided: _decided,
    Dossier.ResultReturned: _closed,
    Dossier.Withdrawn: _closed,
}
