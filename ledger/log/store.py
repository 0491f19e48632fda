"""Where the transparency log lives: leaves and tree nodes written in the same transaction as events.

Every stored event is one leaf. The recorders below extend eventsourcing's application recorders so
that inserting events also appends their leaves to the Merkle tree, inside the same database
transaction and under the same write lock:

- `leaves` maps the dense leaf index (0, 1, 2 …) to the event (aggregate id and version);
- `nodes` keeps every perfect subtree hash (level 0 = the leaf hashes), so the root at any size,
  an inclusion proof or a consistency proof reads O(log n) rows;
- `checkpoints` keeps every signed checkpoint note issued, and `cosignatures` the witnesses'
  cosignature lines beside the checkpoint they cosign.

The leaf hashes come from the application (`leaves=` keyword of `save`): a save without one leaf
hash per event is refused before anything is written. The leaf index is never derived from the
store's notification ids (PostgreSQL sequences skip numbers after a failed insert).

A save is atomic on every backend: whatever fails in the leaf step (a tree node missing, any
error), neither the events nor their leaves are stored.

A save also says which registry subjects its statements' checks relied on, and the version each
was read at (`unchanged=` keyword of `save`). Under the same write lock, one query confirms that
none of them has a later event; if one has (another server recorded a key's revocation, an
officer's departure … after the checks read the registry), nothing is stored and `RegistryChanged`
is raised, for the ledger to check the statements again.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from threading import RLock
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.persistence import (
    ApplicationRecorder,
    IntegrityError,
    InterfaceError,
    OperationalError,
    ProgrammingError,
    StoredEvent,
)
from eventsourcing.popo import POPOApplicationRecorder, POPOFactory
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresFactory
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteFactory
from eventsourcing.utils import retry
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier

from ledger.log import merkle
from ledger.log.merkle import NodeId
from ledger.stores.database import DDL_LOCK_KEY, postgres_connection


@dataclass(frozen=True)
class StoredCheckpoint:
    size: int
    note: str
    issued_at: int  # the ledger's clock, microseconds since the epoch


@dataclass(frozen=True)
class LeafRef:
    """Which event a leaf is."""

    index: int
    originator_id: UUID
    originator_version: int
    leaf_hash: bytes  # as stored in the tree when the entry was recorded


class TreeMissing(ProgrammingError):
    """A node the tree needs is not stored: the log's tables were damaged outside the ledger."""


class RegistryChanged(IntegrityError):
    """A registry subject the save's checks relied on has changed since they read it: another
    writer recorded a statement on it in between. Nothing of the save was stored."""

    def __init__(self, changed: Sequence[UUID]) -> None:
        super().__init__(
            f"{len(changed)} registry subject(s) the checks read changed before the save: "
            + ", ".join(str(aggregate_id) for aggregate_id in changed)
        )
        self.changed = list(changed)


class LogStore(Protocol):
    """What the rest of the ledger needs from the recorder about the log."""

    def tree_size(self) -> int: ...
    def fetch_nodes(self, ids: Sequence[NodeId]) -> list[bytes]: ...
    def leaf_index(self, originator_id: UUID, version: int) -> int | None: ...
    def leaf_refs(self, start: int, limit: int) -> list[LeafRef]: ...
    def put_checkpoint(self, checkpoint: StoredCheckpoint) -> bool: ...
    def checkpoints(self, start_size: int = 0, limit: int = 1000) -> list[StoredCheckpoint]: ...
    def checkpoint(self, size: int | None = None) -> StoredCheckpoint | None: ...
    def put_cosignature(self, size: int, witness: str, line: str, recorded_at: int) -> bool: ...
    def cosignatures(self, size: int) -> list[str]: ...
    def last_append_start(self) -> int: ...


class _Appends:
    """Remembers, per thread, the leaf index the calling thread's latest append started at: a
    save's leaves are consecutive, so its receipts know their log positions with no query."""

    def _appended(self, start: int) -> None:
        local = self.__dict__.setdefault("_appends", threading.local())
        local.start = start

    def last_append_start(self) -> int:
        """The first leaf index of this thread's latest save (call it right after the save)."""
        return int(self.__dict__["_appends"].start)


def _leaf_hashes(stored_events: Sequence[StoredEvent], kwargs: dict[str, Any]) -> list[bytes]:
    """The leaf hashes passed with a save, checked before anything is written."""
    leaves = kwargs.get("leaves")
    if leaves is None or len(leaves) != len(stored_events):
        raise ProgrammingError(
            f"every event recorded is a leaf of the log: this save has {len(stored_events)} "
            f"events and {0 if leaves is None else len(leaves)} leaf hashes"
        )
    for leaf in leaves:
        if not isinstance(leaf, bytes) or len(leaf) != merkle.HASH_SIZE:
            raise ProgrammingError("a leaf hash is 32 bytes")
    return list(leaves)


def _relied_on(kwargs: dict[str, Any]) -> dict[UUID, int]:
    """The registry subjects the save's checks read (aggregate id → version read)."""
    return dict(kwargs.get("unchanged") or {})


def _pairs_query(table: str, count: int) -> str:
    where = " OR ".join(["(originator_id = ? AND originator_version = ?)"] * count)
    return f"SELECT originator_id FROM {table} WHERE {where}"  # noqa: S608 — fixed text


def _siblings(size: int, count: int) -> list[NodeId]:
    """The stored nodes that appending `count` leaves to a tree of `size` combines with: for each
    new leaf, the left sibling at every level where it completes a subtree, less those the
    appended leaves make themselves. About one node per leaf, not the whole frontier."""
    needed: list[NodeId] = []
    for index in range(size, size + count):
        level = 0
        while (index >> level) & 1:
            sibling = (level, (index >> level) - 1)
            if (sibling[1] + 1) << level <= size:  # made before this save
                needed.append(sibling)
            level += 1
    return needed


def _grow(
    size: int, siblings: dict[NodeId, bytes], leaves: Sequence[bytes]
) -> list[tuple[NodeId, bytes]]:
    """The nodes (leaves included) that appending `leaves` to a tree of `size` adds, given the
    stored `siblings` they combine with."""
    known = dict(siblings)
    added: list[tuple[NodeId, bytes]] = []
    for offset, leaf in enumerate(leaves):
        index, level, value = size + offset, 0, leaf
        known[(0, index)] = value
        added.append(((0, index), value))
        while (index >> level) & 1:
            value = merkle.node_hash(known[(level, (index >> level) - 1)], value)
            level += 1
            node = (level, index >> level)
            known[node] = value
            added.append((node, value))
    return added


def _missing(ids: Sequence[NodeId], found: dict[NodeId, bytes]) -> TreeMissing:
    absent = [node for node in ids if node not in found]
    return TreeMissing(
        f"the log's tree has no stored node (level, index) {absent[0]}"
        f"{f' and {len(absent) - 1} more' if len(absent) > 1 else ''}: the log tables were changed "
        f"outside the ledger; run `lienthong verify`"
    )


# --- memory -------------------------------------------------------------------------------------


class MemoryLogRecorder(_Appends, POPOApplicationRecorder):
    def __init__(self) -> None:
        super().__init__()
        self._nodes: dict[NodeId, bytes] = {}
        self._leaves: list[LeafRef] = []
        self._leaf_of: dict[tuple[UUID, int], int] = {}
        self._checkpoints: dict[int, StoredCheckpoint] = {}
        self._cosignatures: dict[int, dict[str, str]] = {}
        self._log_lock = RLock()

    def _insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        leaves = _leaf_hashes(stored_events, kwargs)
        with self._database_lock:
            changed = [
                aggregate_id
                for aggregate_id, version in _relied_on(kwargs).items()
                if version + 1 in self._stored_events_index.get(str(aggregate_id), {})
            ]
            if changed:
                raise RegistryChanged(changed)
            # the leaf step is worked out before anything is stored: if it fails (a node
            # missing, any error), the events are not stored either
            size = len(self._leaves)
            needed = _siblings(size, len(leaves))
            found = dict(zip(needed, self.fetch_nodes(needed), strict=True))
            nodes = _grow(size, found, leaves)
            refs = [
                LeafRef(size + offset, _uuid(event.originator_id), event.originator_version, leaf)
                for offset, (event, leaf) in enumerate(zip(stored_events, leaves, strict=True))
            ]
            ids = super()._insert_events(stored_events, **kwargs)  # a version clash: nothing stored
            self._nodes.update(nodes)
            self._leaves.extend(refs)
            self._leaf_of.update(
                ((ref.originator_id, ref.originator_version), ref.index) for ref in refs
            )
            self._appended(size)
            return ids

    def tree_size(self) -> int:
        with self._database_lock:
            return len(self._leaves)

    def fetch_nodes(self, ids: Sequence[NodeId]) -> list[bytes]:
        with self._database_lock:
            try:
                return [self._nodes[node] for node in ids]
            except KeyError:
                raise _missing(ids, self._nodes) from None

    def leaf_index(self, originator_id: UUID, version: int) -> int | None:
        with self._database_lock:
            return self._leaf_of.get((originator_id, version))

    def leaf_refs(self, start: int, limit: int) -> list[LeafRef]:
        with self._database_lock:
            return [
                replace(ref, leaf_hash=self._nodes.get((0, ref.index), b""))
                for ref in self._leaves[start : start + limit]
            ]

    def put_checkpoint(self, checkpoint: StoredCheckpoint) -> bool:
        with self._log_lock:
            if checkpoint.size in self._checkpoints:
                return False
            self._checkpoints[checkpoint.size] = checkpoint
            return True

    def checkpoints(self, start_size: int = 0, limit: int = 1000) -> list[StoredCheckpoint]:
        with self._log_lock:
            sizes = sorted(size for size in self._checkpoints if size >= start_size)
            return [self._checkpoints[size] for size in sizes[:limit]]

    def checkpoint(self, size: int | None = None) -> StoredCheckpoint | None:
        with self._log_lock:
            if size is None:
                size = max(self._checkpoints, default=None)
            return None if size is None else self._checkpoints.get(size)

    def put_cosignature(self, size: int, witness: str, line: str, recorded_at: int) -> bool:
        with self._log_lock:
            lines = self._cosignatures.setdefault(size, {})
            if lines.get(witness) == line:
                return False
            lines[witness] = line
            return True

    def cosignatures(self, size: int) -> list[str]:
        with self._log_lock:
            return [line for _, line in sorted(self._cosignatures.get(size, {}).items())]


class MemoryFactory(POPOFactory):
    def application_recorder(self) -> MemoryLogRecorder:
        return MemoryLogRecorder()


# --- SQLite -------------------------------------------------------------------------------------

SQLITE_TABLES = [
    "CREATE TABLE IF NOT EXISTS lienthong_leaves ("
    "leaf_index INTEGER PRIMARY KEY, originator_id TEXT NOT NULL, "
    "originator_version INTEGER NOT NULL, UNIQUE (originator_id, originator_version))",
    "CREATE TABLE IF NOT EXISTS lienthong_nodes ("
    "level INTEGER NOT NULL, node_index INTEGER NOT NULL, hash BLOB NOT NULL, "
    "PRIMARY KEY (level, node_index)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS lienthong_checkpoints ("
    "size INTEGER PRIMARY KEY, note TEXT NOT NULL, issued_at INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS lienthong_cosignatures ("
    "size INTEGER NOT NULL, witness TEXT NOT NULL, line TEXT NOT NULL, "
    "recorded_at INTEGER NOT NULL, PRIMARY KEY (size, witness))",
]


def _node_query(table: str, count: int) -> str:
    where = " OR ".join(["(level = ? AND node_index = ?)"] * count)
    return f"SELECT level, node_index, hash FROM {table} WHERE {where}"  # noqa: S608 — fixed text


class SQLiteLogRecorder(_Appends, SQLiteApplicationRecorder):
    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), *SQLITE_TABLES]

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        leaves = _leaf_hashes(stored_events, kwargs)
        # inserting the events first takes SQLite's write lock: the reads below are current
        ids = super()._insert_events(c, stored_events, **kwargs)
        self._require_unchanged(c, _relied_on(kwargs))
        c.execute("SELECT max(leaf_index) FROM lienthong_leaves")
        last = c.fetchone()[0]
        size = 0 if last is None else last + 1
        self._appended(size)
        needed = _siblings(size, len(leaves))
        siblings = dict(zip(needed, self._fetch(c, needed), strict=True))
        c.executemany(
            "INSERT INTO lienthong_leaves VALUES (?, ?, ?)",
            [
                (size + offset, _uuid(event.originator_id).hex, event.originator_version)
                for offset, event in enumerate(stored_events)
            ],
        )
        c.executemany(
            "INSERT INTO lienthong_nodes VALUES (?, ?, ?)",
            [(level, index, value) for (level, index), value in _grow(size, siblings, leaves)],
        )
        return ids

    def _require_unchanged(self, c: SQLiteCursor, read: dict[UUID, int]) -> None:
        """RegistryChanged if a subject has an event after the version read (its next one)."""
        pairs = [(aggregate_id.hex, version + 1) for aggregate_id, version in read.items()]
        changed: list[UUID] = []
        for start in range(0, len(pairs), 200):  # two parameters each: SQLite's limit
            chunk = pairs[start : start + 200]
            c.execute(
                _pairs_query(self.events_table_name, len(chunk)),
                [part for pair in chunk for part in pair],
            )
            changed.extend(UUID(hex=row[0]) for row in c.fetchall())
        if changed:
            raise RegistryChanged(changed)

    @staticmethod
    def _fetch(c: SQLiteCursor, ids: Sequence[NodeId]) -> list[bytes]:
        found: dict[NodeId, bytes] = {}
        for start in range(0, len(ids), 400):  # SQLite's bound-parameter limit
            chunk = ids[start : start + 400]
            c.execute(
                _node_query("lienthong_nodes", len(chunk)),
                [part for node in chunk for part in node],
            )
            found.update(((level, index), bytes(value)) for level, index, value in c.fetchall())
        if len(found) < len(set(ids)):
            raise _missing(ids, found)
        return [found[node] for node in ids]

    @contextmanager
    def _read(self) -> Iterator[SQLiteCursor]:
        with self.datastore.transaction(commit=False) as c:
            yield c

    def tree_size(self) -> int:
        with self._read() as c:
            c.execute("SELECT max(leaf_index) FROM lienthong_leaves")
            last = c.fetchone()[0]
        return 0 if last is None else int(last) + 1

    def fetch_nodes(self, ids: Sequence[NodeId]) -> list[bytes]:
        with self._read() as c:
            return self._fetch(c, ids)

    def leaf_index(self, originator_id: UUID, version: int) -> int | None:
        with self._read() as c:
            c.execute(
                "SELECT leaf_index FROM lienthong_leaves "
                "WHERE originator_id = ? AND originator_version = ?",
                (originator_id.hex, version),
            )
            row = c.fetchone()
        return None if row is None else int(row[0])

    def leaf_refs(self, start: int, limit: int) -> list[LeafRef]:
        with self._read() as c:
            c.execute(
                "SELECT l.leaf_index, l.originator_id, l.originator_version, n.hash "
                "FROM lienthong_leaves l LEFT JOIN lienthong_nodes n "
                "ON n.level = 0 AND n.node_index = l.leaf_index "
                "WHERE l.leaf_index >= ? ORDER BY l.leaf_index LIMIT ?",
                (start, limit),
            )
            return [
                LeafRef(index, UUID(hex=oid), version, bytes(value or b""))
                for index, oid, version, value in c.fetchall()
            ]

    def put_checkpoint(self, checkpoint: StoredCheckpoint) -> bool:
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                "INSERT OR IGNORE INTO lienthong_checkpoints VALUES (?, ?, ?)",
                (checkpoint.size, checkpoint.note, checkpoint.issued_at),
            )
            return bool(c.sqlite_cursor.rowcount)

    def checkpoints(self, start_size: int = 0, limit: int = 1000) -> list[StoredCheckpoint]:
        with self._read() as c:
            c.execute(
                "SELECT size, note, issued_at FROM lienthong_checkpoints WHERE size >= ? "
                "ORDER BY size LIMIT ?",
                (start_size, limit),
            )
            return [StoredCheckpoint(*row) for row in c.fetchall()]

    def checkpoint(self, size: int | None = None) -> StoredCheckpoint | None:
        with self._read() as c:
            if size is None:
                c.execute(
                    "SELECT size, note, issued_at FROM lienthong_checkpoints "
                    "ORDER BY size DESC LIMIT 1"
                )
            else:
                c.execute(
                    "SELECT size, note, issued_at FROM lienthong_checkpoints WHERE size = ?",
                    (size,),
                )
            row = c.fetchone()
        return None if row is None else StoredCheckpoint(*row)

    def put_cosignature(self, size: int, witness: str, line: str, recorded_at: int) -> bool:
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                "INSERT INTO lienthong_cosignatures VALUES (?, ?, ?, ?) "
                "ON CONFLICT (size, witness) DO UPDATE SET line = excluded.line, "
                "recorded_at = excluded.recorded_at WHERE line != excluded.line",
                (size, witness, line, recorded_at),
            )
            return bool(c.sqlite_cursor.rowcount)

    def cosignatures(self, size: int) -> list[str]:
        with self._read() as c:
            c.execute(
                "SELECT line FROM lienthong_cosignatures WHERE size = ? ORDER BY witness",
                (size,),
            )
            return [row[0] for row in c.fetchall()]


class SQLiteLogFactory(SQLiteFactory):
    application_recorder_class = SQLiteLogRecorder


# --- PostgreSQL ---------------------------------------------------------------------------------


class PostgresLogRecorder(_Appends, PostgresApplicationRecorder):
    def __init__(self, datastore: Any, *, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        if self.datastore.enable_db_functions:  # that insert path skips the hooks below
            raise ProgrammingError(
                "POSTGRES_ENABLE_DB_FUNCTIONS would record events without their leaves in the "
                "transparency log: leave it unset"
            )
        self._names = {
            "schema": Identifier(self.datastore.schema),
            "events": Identifier(self.events_table_name),
            "leaves": Identifier("lienthong_leaves"),
            "nodes": Identifier("lienthong_nodes"),
            "checkpoints": Identifier("lienthong_checkpoints"),
            "cosignatures": Identifier("lienthong_cosignatures"),
        }
        self.sql_create_statements.extend(
            self._sql(text)
            for text in (
                "CREATE TABLE IF NOT EXISTS {schema}.{leaves} ("
                "leaf_index bigint PRIMARY KEY, originator_id uuid NOT NULL, "
                "originator_version bigint NOT NULL, UNIQUE (originator_id, originator_version))",
                "CREATE TABLE IF NOT EXISTS {schema}.{nodes} ("
                "level smallint NOT NULL, node_index bigint NOT NULL, hash bytea NOT NULL, "
                "PRIMARY KEY (level, node_index))",
                "CREATE TABLE IF NOT EXISTS {schema}.{checkpoints} ("
                "size bigint PRIMARY KEY, note text NOT NULL, issued_at bigint NOT NULL)",
                "CREATE TABLE IF NOT EXISTS {schema}.{cosignatures} ("
                "size bigint NOT NULL, witness text NOT NULL, line text NOT NULL, "
                "recorded_at bigint NOT NULL, PRIMARY KEY (size, witness))",
            )
        )

    def _sql(self, text: str) -> Composed:
        return SQL(text).format(**self._names)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """The events and their leaves in one transaction that any failure rolls back whole.

        The library's own `insert_events` catches whatever is raised after the events INSERT,
        lets its transaction block end normally (which commits) and raises afterwards: a failure
        in the leaf step (a tree node missing, any Python error) would leave the events stored
        without their leaves. Here every exception leaves the transaction block, which rolls
        the events back with the leaves; database errors still surface as the library's
        classes (a version clash is its IntegrityError)."""
        with (
            self.datastore.get_connection() as conn,
            conn.pipeline() as pipeline,
            conn.transaction(),
        ):
            with conn.cursor() as curs:
                self._insert_events(curs, stored_events, **kwargs)
            if not stored_events:
                return None
            with conn.cursor() as curs:
                self._insert_stored_events(curs, stored_events, **kwargs)
                pipeline.sync()
                return self._fetch_ids_after_insert_events(curs, stored_events, **kwargs)

    def _insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        _leaf_hashes(stored_events, kwargs)  # refuse a save without its leaves before any write

    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        # the library takes its table lock and queues the events INSERT; the leaves follow in
        # the same transaction, on a cursor of their own (the library reads the notification ids
        # from `curs` afterwards). The lock serialises writers: leaves are appended one
        # transaction at a time, in commit order. A version clash on the events surfaces here,
        # at the first read, as the IntegrityError the library expects.
        super()._insert_stored_events(curs, stored_events, **kwargs)
        # sync the pipeline here (a nested pipeline block syncs as it ends): a clash surfaces
        # as the insert's own error. Left to the first read below, the read's "pipeline
        # aborted" could be raised in its place, depending on when the results arrive.
        with curs.connection.pipeline():
            pass
        leaves = _leaf_hashes(stored_events, kwargs)
        read = _relied_on(kwargs)
        with curs.connection.cursor() as tree:
            # one round trip under the lock: the tree's size, and which registry subjects the
            # checks read have an event after the version read (their next one)
            tree.execute(
                self._sql(
                    "SELECT (SELECT max(leaf_index) FROM {schema}.{leaves}) AS last, "
                    "ARRAY(SELECT e.originator_id FROM {schema}.{events} e "
                    "JOIN unnest(%s::uuid[], %s::bigint[]) AS r(originator_id, originator_version) "
                    "ON e.originator_id = r.originator_id "
                    "AND e.originator_version = r.originator_version) AS changed"
                ),
                (list(read), [version + 1 for version in read.values()]),
            )
            row = tree.fetchone() or {"last": None, "changed": []}
            if row["changed"]:
                raise RegistryChanged([_uuid(aggregate_id) for aggregate_id in row["changed"]])
            size = 0 if row["last"] is None else int(row["last"]) + 1
            self._appended(size)
            needed = _siblings(size, len(leaves))
            siblings = dict(zip(needed, self._fetch(tree, needed), strict=True))
            tree.executemany(
                self._sql("INSERT INTO {schema}.{leaves} VALUES (%s, %s, %s)"),
                [
                    (size + offset, _uuid(event.originator_id), event.originator_version)
                    for offset, event in enumerate(stored_events)
                ],
            )
            tree.executemany(
                self._sql("INSERT INTO {schema}.{nodes} VALUES (%s, %s, %s)"),
                [(level, index, value) for (level, index), value in _grow(size, siblings, leaves)],
            )

    def _fetch(self, curs: Cursor[DictRow], ids: Sequence[NodeId]) -> list[bytes]:
        if not ids:
            return []
        curs.execute(
            self._sql(
                "SELECT n.level, n.node_index, n.hash FROM {schema}.{nodes} n "
                "JOIN unnest(%s::smallint[], %s::bigint[]) AS w(level, node_index) "
                "ON n.level = w.level AND n.node_index = w.node_index"
            ),
            ([level for level, _ in ids], [index for _, index in ids]),
        )
        found = {(row["level"], row["node_index"]): bytes(row["hash"]) for row in curs.fetchall()}
        if len(found) < len(set(ids)):
            raise _missing(ids, found)
        return [found[node] for node in ids]

    @contextmanager
    def _read(self) -> Iterator[Cursor[DictRow]]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            yield curs

    def tree_size(self) -> int:
        with self._read() as curs:
            curs.execute(self._sql("SELECT max(leaf_index) AS last FROM {schema}.{leaves}"))
            row = curs.fetchone()
        return 0 if row is None or row["last"] is None else int(row["last"]) + 1

    def fetch_nodes(self, ids: Sequence[NodeId]) -> list[bytes]:
        with self._read() as curs:
            return self._fetch(curs, ids)

    def leaf_index(self, originator_id: UUID, version: int) -> int | None:
        with self._read() as curs:
            curs.execute(
                self._sql(
                    "SELECT leaf_index FROM {schema}.{leaves} "
                    "WHERE originator_id = %s AND originator_version = %s"
                ),
                (originator_id, version),
            )
            row = curs.fetchone()
        return None if row is None else int(row["leaf_index"])

    def leaf_refs(self, start: int, limit: int) -> list[LeafRef]:
        with self._read() as curs:
            curs.execute(
                self._sql(
                    "SELECT l.leaf_index, l.originator_id, l.originator_version, n.hash "
                    "FROM {schema}.{leaves} l LEFT JOIN {schema}.{nodes} n "
                    "ON n.level = 0 AND n.node_index = l.leaf_index "
                    "WHERE l.leaf_index >= %s ORDER BY l.leaf_index LIMIT %s"
                ),
                (start, limit),
            )
            return [
                LeafRef(
                    row["leaf_index"],
                    row["originator_id"],
                    row["originator_version"],
                    bytes(row["hash"] or b""),
                )
                for row in curs.fetchall()
            ]

    def put_checkpoint(self, checkpoint: StoredCheckpoint) -> bool:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(
                self._sql(
                    "INSERT INTO {schema}.{checkpoints} VALUES (%s, %s, %s) "
                    "ON CONFLICT (size) DO NOTHING"
                ),
                (checkpoint.size, checkpoint.note, checkpoint.issued_at),
            )
            return curs.rowcount > 0

    def checkpoints(self, start_size: int = 0, limit: int = 1000) -> list[StoredCheckpoint]:
        with self._read() as curs:
            curs.execute(
                self._sql(
                    "SELECT size, note, issued_at FROM {schema}.{checkpoints} WHERE size >= %s "
                    "ORDER BY size LIMIT %s"
                ),
                (start_size, limit),
            )
            return [
                StoredCheckpoint(row["size"], row["note"], row["issued_at"])
                for row in curs.fetchall()
            ]

    def checkpoint(self, size: int | None = None) -> StoredCheckpoint | None:
        with self._read() as curs:
            if size is None:
                curs.execute(
                    self._sql(
                        "SELECT size, note, issued_at FROM {schema}.{checkpoints} "
                        "ORDER BY size DESC LIMIT 1"
                    )
                )
            else:
                curs.execute(
                    self._sql(
                        "SELECT size, note, issued_at FROM {schema}.{checkpoints} WHERE size = %s"
                    ),
                    (size,),
                )
            row = curs.fetchone()
        return None if row is None else StoredCheckpoint(row["size"], row["note"], row["issued_at"])

    def put_cosignature(self, size: int, witness: str, line: str, recorded_at: int) -> bool:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(
                self._sql(
                    "INSERT INTO {schema}.{cosignatures} AS c VALUES (%s, %s, %s, %s) "
                    "ON CONFLICT (size, witness) DO UPDATE SET line = excluded.line, "
                    "recorded_at = excluded.recorded_at WHERE c.line <> excluded.line"
                ),
                (size, witness, line, recorded_at),
            )
            return curs.rowcount > 0

    def cosignatures(self, size: int) -> list[str]:
        with self._read() as curs:
            curs.execute(
                self._sql(
                    "SELECT line FROM {schema}.{cosignatures} WHERE size = %s ORDER BY witness"
                ),
                (size,),
            )
            return [row["line"] for row in curs.fetchall()]


class PostgresLogFactory(PostgresFactory):
    application_recorder_class = PostgresLogRecorder

    def application_recorder(self) -> ApplicationRecorder:
        """The recorder, its tables (and types and functions) created under an advisory lock:
        two servers starting together would otherwise collide in the DDL ("tuple concurrently
        updated" as both replace the same function)."""
        if not self.env_create_table():
            return super().application_recorder()
        names = ("HOST", "PORT", "DBNAME", "USER", "PASSWORD", "SCHEMA")
        env = {f"POSTGRES_{n}": self.env.get(f"POSTGRES_{n}") or "" for n in names}
        env = {key: value for key, value in env.items() if value}
        with postgres_connection(env, autocommit=True) as turn:
            turn.execute("SELECT pg_advisory_lock(%s)", (DDL_LOCK_KEY,))
            try:
                return super().application_recorder()
            finally:
                turn.execute("SELECT pg_advisory_unlock(%s)", (DDL_LOCK_KEY,))


def _uuid(value: UUID | str) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))
