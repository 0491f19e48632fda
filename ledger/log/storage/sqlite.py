"""The log in SQLite: four tables beside eventsourcing's stored events, in its database.

The recorder inserts the events first, which takes SQLite's write lock, and then reads the tree's
size and appends the leaves and nodes in the same transaction: any failure rolls back the events
with them. One query reads the size, checks the registry and fetches the nodes the save combines
with (for the size the recorder expects, tree._Appends). Queries are bound in chunks under
SQLite's parameter limit.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteFactory

from ledger.log.merkle import NodeId
from ledger.log.storage import tree
from ledger.log.storage.tree import LeafRef, RegistryChanged, StoredCheckpoint, _Appends

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


# bound parameters per query: well under SQLITE_MAX_VARIABLE_NUMBER (999 before SQLite 3.32)
PARAMETERS = 800


def _pairs_query(table: str, count: int) -> str:
    where = " OR ".join(["(originator_id = ? AND originator_version = ?)"] * count)
    return f"SELECT originator_id FROM {table} WHERE {where}"  # noqa: S608 — fixed text


def _node_query(table: str, count: int) -> str:
    where = " OR ".join(["(level = ? AND node_index = ?)"] * count)
    return f"SELECT level, node_index, hash FROM {table} WHERE {where}"  # noqa: S608 — fixed text


@lru_cache(maxsize=64)
def _state_query(events_table: str, pairs: int, nodes: int) -> str:
    """One query, run under the write lock: the tree's last leaf index (a row tagged 0), the
    registry subjects among `pairs` (id, next version) that have that version (rows tagged 1) and
    the stored nodes among `nodes` (level, index) (rows tagged 2)."""
    parts = ["SELECT 0, max(leaf_index), NULL, NULL FROM lienthong_leaves"]
    if pairs:
        select = f"SELECT 1, originator_id, NULL, NULL FROM {events_table}"  # noqa: S608 — fixed text
        parts.append(
            select
            + " WHERE "
            + " OR ".join(["(originator_id = ? AND originator_version = ?)"] * pairs)
        )
    if nodes:
        select = "SELECT 2, level, node_index, hash FROM lienthong_nodes"
        parts.append(select + " WHERE " + " OR ".join(["(level = ? AND node_index = ?)"] * nodes))
    return " UNION ALL ".join(parts)


class SQLiteLogRecorder(_Appends, SQLiteApplicationRecorder):
    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), *SQLITE_TABLES]

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        leaves = tree._leaf_hashes(stored_events, kwargs)
        # inserting the events first takes SQLite's write lock: the reads below are current
        ids = super()._insert_events(c, stored_events, **kwargs)
        size, siblings = self._state(c, tree._relied_on(kwargs), len(leaves))
        nodes = tree._grow(size, siblings, leaves)
        self._appended(size, len(leaves))
        c.executemany(
            "INSERT INTO lienthong_leaves VALUES (?, ?, ?)",
            [
                (size + offset, tree._uuid(event.originator_id).hex, event.originator_version)
                for offset, event in enumerate(stored_events)
            ],
        )
        c.executemany(
            "INSERT INTO lienthong_nodes VALUES (?, ?, ?)",
            [(level, index, value) for (level, index), value in nodes],
        )
        return ids

    def _state(
        self, c: SQLiteCursor, read: dict[UUID, int], count: int
    ) -> tuple[int, dict[NodeId, bytes]]:
        """The tree's size and the stored nodes appending `count` leaves combines with;
        RegistryChanged if a subject the checks read has an event after the version read (its
        next one). One query when the recorder's expected size is right and the query is small,
        else the size, the registry and the nodes apart."""
        guess, guessed = self._guess(count)
        if 2 * (len(read) + len(guessed)) > PARAMETERS:
            self._require_unchanged(c, read)
            size = self._size(c)
            needed = tree._siblings(size, count)
            return size, dict(zip(needed, self._fetch(c, needed), strict=True))
        c.execute(
            _state_query(self.events_table_name, len(read), len(guessed)),
            [
                *(
                    part
                    for aggregate_id, version in read.items()
                    for part in (aggregate_id.hex, version + 1)
                ),
                *(part for node in guessed for part in node),
            ],
        )
        last: int | None = None
        changed: list[UUID] = []
        found: dict[NodeId, bytes] = {}
        for tag, first, second, value in c.fetchall():
            if tag == 0:
                last = first
            elif tag == 1:
                changed.append(UUID(hex=first))
            else:
                found[(first, second)] = bytes(value)
        if changed:
            raise RegistryChanged(changed)
        size = 0 if last is None else last + 1
        if size != guess:  # a first save, or another writer appended since: read its nodes
            needed = tree._siblings(size, count)
            return size, dict(zip(needed, self._fetch(c, needed), strict=True))
        if len(found) < len(set(guessed)):
            raise tree._missing(guessed, found)
        return size, {node: found[node] for node in guessed}

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
            raise tree._missing(ids, found)
        return [found[node] for node in ids]

    @contextmanager
    def _read(self) -> Iterator[SQLiteCursor]:
        with self.datastore.transaction(commit=False) as c:
            yield c

    def select_events_of(self, originator_ids: Sequence[UUID]) -> dict[UUID, list[StoredEvent]]:
        """Every stored event of each of these subjects, in version order, in one query per
        chunk (a group's subjects read at once: tree.LogStore)."""
        found: dict[UUID, list[StoredEvent]] = {}
        with self._read() as c:
            for start in range(0, len(originator_ids), PARAMETERS):
                chunk = originator_ids[start : start + PARAMETERS]
                marks = ", ".join("?" * len(chunk))
                c.execute(
                    f"SELECT originator_id, originator_version, topic, state "  # noqa: S608
                    f"FROM {self.events_table_name} WHERE originator_id IN ({marks}) "
                    f"ORDER BY originator_id, originator_version",
                    [aggregate_id.hex for aggregate_id in chunk],
                )
                for row in c.fetchall():
                    event = StoredEvent(
                        originator_id=self.convert_originator_id(row["originator_id"]),
                        originator_version=row["originator_version"],
                        topic=row["topic"],
                        state=row["state"],
                    )
                    found.setdefault(tree._uuid(event.originator_id), []).append(event)
        return found

    def tree_size(self) -> int:
        with self._read() as c:
            return self._size(c)

    @staticmethod
    def _size(c: SQLiteCursor) -> int:
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
