"""The log in PostgreSQL: four tables beside eventsourcing's stored events, in its schema.

The recorder runs the insert's transaction itself (eventsourcing's own would commit the events of
a save whose leaf step failed): the events, the registry check, the leaves and the nodes go in one
transaction under the library's table lock, which any failure rolls back whole. A save is two
round trips: the lock, one query (the tree's size, the registry check, the nodes the save combines
with at the size the recorder expects) and the events INSERT; then the leaves and the nodes in one
statement and the COMMIT (three, when another writer appended since the recorder's last save).
The tables are created under an advisory lock, so that servers starting together do not collide
in the DDL.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from eventsourcing.persistence import (
    ApplicationRecorder,
    InterfaceError,
    OperationalError,
    ProgrammingError,
    StoredEvent,
)
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresFactory,
)
from eventsourcing.utils import retry
from psycopg import Connection, Cursor, Pipeline
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier

from ledger.log.merkle import NodeId
from ledger.log.storage import tree
from ledger.log.storage.tree import LeafRef, RegistryChanged, StoredCheckpoint, _Appends
from ledger.stores.database import DDL_LOCK_KEY, postgres_connection

BEGIN = SQL("BEGIN")
COMMIT = SQL("COMMIT")


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
        # the statements of a save, composed once
        self._state_statement = self._sql(
            "SELECT (SELECT max(leaf_index) FROM {schema}.{leaves}) AS last, "
            "ARRAY(SELECT e.originator_id FROM {schema}.{events} e "
            "JOIN unnest(%s::uuid[], %s::bigint[]) AS r(originator_id, originator_version) "
            "ON e.originator_id = r.originator_id "
            "AND e.originator_version = r.originator_version) AS changed, "
            "ARRAY(SELECT n.hash FROM unnest(%s::smallint[], %s::bigint[]) "
            "WITH ORDINALITY AS w(level, node_index, place) LEFT JOIN {schema}.{nodes} n "
            "ON n.level = w.level AND n.node_index = w.node_index ORDER BY w.place) AS hashes"
        )
        self._append_statement = self._sql(
            "WITH appended AS (INSERT INTO {schema}.{leaves} "
            "SELECT * FROM unnest(%s::bigint[], %s::uuid[], %s::bigint[])) "
            "INSERT INTO {schema}.{nodes} SELECT * FROM unnest(%s::smallint[], %s::bigint[], "
            "%s::bytea[])"
        )
        self._fetch_statement = self._sql(
            "SELECT n.level, n.node_index, n.hash FROM {schema}.{nodes} n "
            "JOIN unnest(%s::smallint[], %s::bigint[]) AS w(level, node_index) "
            "ON n.level = w.level AND n.node_index = w.node_index"
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
        without their leaves. Here every exception leaves the connection's block, which rolls
        the events back with the leaves; database errors still surface as the library's
        classes (a version clash is its IntegrityError).

        The transaction is begun and committed by statements in the pipeline (psycopg's
        transaction block would sync the pipeline as it starts and ends, three round trips
        more), so that a save is two round trips: BEGIN, the library's table lock, the query of
        `_state_statement` and the events INSERT; then one statement for the leaves and the
        nodes, and COMMIT."""
        leaves = tree._leaf_hashes(stored_events, kwargs)  # refused before any write
        if not stored_events:
            return None
        # the pool's connection block rolls back whatever this one began, on any exception
        with self.datastore.get_connection() as conn, conn.pipeline() as pipeline:
            return self._append(conn, pipeline, stored_events, leaves, tree._relied_on(kwargs))

    def _append(
        self,
        conn: Connection[DictRow],
        pipeline: Pipeline,
        stored_events: Sequence[StoredEvent],
        leaves: Sequence[bytes],
        read: dict[UUID, int],
    ) -> Sequence[int] | None:
        guess, guessed = self._guess(len(leaves))
        with conn.cursor() as curs, conn.cursor() as log_cursor:
            curs.execute(BEGIN, prepare=False)
            # what the library's _insert_stored_events does (lock the events table, notify,
            # insert the events), with the log's query between the lock and the INSERT: under
            # the lock, the reads are current and the leaves are appended one transaction at a
            # time, in commit order. The INSERT is queued last, so that a version clash is the
            # first error the sync raises (the library's IntegrityError) and leaves no other
            # result behind it.
            self._lock_table(curs)
            self._notify_channel(curs)
            log_cursor.execute(
                self._state_statement,
                (
                    list(read),
                    [version + 1 for version in read.values()],
                    [level for level, _ in guessed],
                    [index for _, index in guessed],
                ),
                prepare=True,
            )
            PostgresAggregateRecorder._insert_stored_events(self, curs, stored_events)
            pipeline.sync()
            ids = self._fetch_ids_after_insert_events(curs, stored_events)
            size, siblings = self._state(log_cursor, guess, guessed, len(leaves))
            nodes = tree._grow(size, siblings, leaves)
            self._appended(size, len(leaves))
            log_cursor.execute(
                self._append_statement,
                (
                    list(range(size, size + len(stored_events))),
                    [tree._uuid(event.originator_id) for event in stored_events],
                    [event.originator_version for event in stored_events],
                    [level for (level, _), _ in nodes],
                    [index for (_, index), _ in nodes],
                    [value for _, value in nodes],
                ),
                prepare=True,
            )
            # a failure of the statement above (or of the commit) is raised by the sync as
            # the pipeline ends; the COMMIT is then skipped and the block rolls back
            curs.execute(COMMIT, prepare=False)
        return ids

    def _state(
        self, log_cursor: Cursor[DictRow], guess: int, guessed: list[NodeId], count: int
    ) -> tuple[int, dict[NodeId, bytes]]:
        """The tree's size and the stored nodes appending `count` leaves combines with, from
        the result of `_state_statement`; RegistryChanged if a registry subject the checks read
        has an event after the version read (its next one). When the size is not the one
        expected (a first save, or another writer appended since), the nodes for the true size
        are read by a second query."""
        row = log_cursor.fetchone()
        assert row is not None  # one row, always
        if row["changed"]:
            raise RegistryChanged([tree._uuid(aggregate_id) for aggregate_id in row["changed"]])
        size = 0 if row["last"] is None else int(row["last"]) + 1
        if size != guess:
            needed = tree._siblings(size, count)
            return size, dict(zip(needed, self._fetch(log_cursor, needed), strict=True))
        found = {
            node: bytes(value)
            for node, value in zip(guessed, row["hashes"], strict=True)
            if value is not None
        }
        if len(found) < len(set(guessed)):
            raise tree._missing(guessed, found)
        return size, {node: found[node] for node in guessed}

    def _fetch(self, curs: Cursor[DictRow], ids: Sequence[NodeId]) -> list[bytes]:
        if not ids:
            return []
        curs.execute(
            self._fetch_statement, ([level for level, _ in ids], [index for _, index in ids])
        )
        found = {(row["level"], row["node_index"]): bytes(row["hash"]) for row in curs.fetchall()}
        if len(found) < len(set(ids)):
            raise tree._missing(ids, found)
        return [found[node] for node in ids]

    @contextmanager
    def _read(self) -> Iterator[Cursor[DictRow]]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            yield curs

    def select_events_of(self, originator_ids: Sequence[UUID]) -> dict[UUID, list[StoredEvent]]:
        """Every stored event of each of these subjects, in version order, in one round trip (a
        group's subjects read at once: tree.LogStore)."""
        found: dict[UUID, list[StoredEvent]] = {}
        with self._read() as curs:
            curs.execute(
                self._sql(
                    "SELECT originator_id, originator_version, topic, state "
                    "FROM {schema}.{events} WHERE originator_id = ANY(%s::uuid[]) "
                    "ORDER BY originator_id, originator_version"
                ),
                (list(originator_ids),),
            )
            for row in curs.fetchall():
                event = StoredEvent(
                    originator_id=row["originator_id"],
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=bytes(row["state"]),
                )
                found.setdefault(tree._uuid(event.originator_id), []).append(event)
        return found

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
