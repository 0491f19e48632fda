"""One connection to the ledger's own database, for the side tables kept beside the log.

The read models, the API's tokens and the encrypted applicant records live in the same SQLite file
or PostgreSQL schema as the log, each store on a connection of its own. SQL is written with `?`
placeholders (PostgreSQL's `%s` are substituted) and `BYTEA` columns (SQLite's `BLOB`).
A `memory:` database URL gives an in-memory SQLite database private to the store.

On PostgreSQL a transaction may run in pipeline mode (`transaction(pipeline=True)`): a statement is
sent without waiting for its result, so a run of INSERTs and UPDATEs costs one round trip, not one
each. Whatever reads a result waits for everything sent before it: a fetch, `rowcount` (so a
check of it stays right) and the commit, which raises the error of any statement that failed.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from typing import Any, Protocol

import psycopg
from psycopg import sql as pgsql

from ledger.config import persistence_env

DDL_LOCK_KEY = 7405431  # PostgreSQL advisory lock: one process creates tables at a time
DDL_LOCK = f"SELECT pg_advisory_xact_lock({DDL_LOCK_KEY})"


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    def execute(self, sql: str, params: Sequence[Any] = ...) -> Any: ...
    def executemany(self, sql: str, params: Sequence[Sequence[Any]]) -> None: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def select_each(self, queries: Sequence[tuple[str, Sequence[Any]]]) -> list[list[Any]]: ...


class Database:
    """A connection, serialised by a lock so threads may share it. A `read_only` store (on a
    PostgreSQL replica) creates nothing: the primary made its tables."""

    def __init__(self, database_url: str, *, read_only: bool = False) -> None:
        env = persistence_env(database_url)
        self.read_only = read_only
        self._lock = threading.RLock()
        # the database this connection is to, for `same_database`: None for one only this
        # connection sees (in memory)
        shared = env.get("SQLITE_DBNAME", "") not in ("", ":memory:") or "POSTGRES_DBNAME" in env
        self._named = database_url if shared and "mode=memory" not in database_url else None
        if "SQLITE_DBNAME" in env:
            self.kind = "sqlite"
            self._sqlite = sqlite3.connect(
                env["SQLITE_DBNAME"], timeout=30, isolation_level=None, check_same_thread=False
            )
            self._sqlite.execute("PRAGMA journal_mode=WAL")
        elif "POSTGRES_DBNAME" in env:
            self.kind = "postgres"
            self._pg = postgres_connection(env, autocommit=True)
        else:  # memory:
            self.kind = "sqlite"
            self._sqlite = sqlite3.connect(
                ":memory:", isolation_level=None, check_same_thread=False
            )

    def same_database(self, other: Database) -> bool:
        """Whether `other` is a connection to this very database, so that one query may join
        their tables: both opened on the same URL of a SQLite file or a PostgreSQL database (and
        schema). An in-memory database is its own connection's alone."""
        return self._named is not None and self._named == other._named

    def create(self, statements: Iterable[str]) -> None:
        """Run CREATE TABLE / INDEX statements (written with BYTEA) in one transaction; nothing
        on a read-only store."""
        if self.read_only:
            return
        with self.transaction() as cursor:
            if self.kind == "postgres":
                # servers starting together would race on IF NOT EXISTS (a duplicate pg_type row):
                # creators take turns
                cursor.execute(DDL_LOCK)
            for statement in statements:
                cursor.execute(
                    statement if self.kind == "postgres" else statement.replace("BYTEA", "BLOB")
                )

    def _sql(self, text: str) -> str:
        return text.replace("?", "%s") if self.kind == "postgres" else text

    @contextmanager
    def transaction(self, *, pipeline: bool = False) -> Iterator[Cursor]:
        """A cursor in a transaction, committed when the block ends, rolled back if it raises.
        `pipeline`: on PostgreSQL, statements are sent without waiting for their results (see
        the module's docstring); nothing changes on SQLite, which has no round trips."""
        with self._lock:
            if self.kind == "postgres":
                if pipeline:
                    with self._pipelined() as pipelined:
                        yield pipelined
                    return
                with self._pg.transaction(), self._pg.cursor() as pg_cursor:
                    yield _Translating(pg_cursor, self._sql)
            else:
                cursor = self._sqlite.cursor()
                cursor.execute("BEGIN IMMEDIATE")
                try:
                    yield _Translating(cursor, self._sql)
                except BaseException:
                    self._sqlite.rollback()
                    raise
                self._sqlite.commit()

    @contextmanager
    def _pipelined(self) -> Iterator[Cursor]:
        """A PostgreSQL transaction in pipeline mode, begun and ended by statements sent in the
        pipeline: BEGIN goes out with the first statements and COMMIT with the last, so a
        transaction that reads results once costs two round trips. (psycopg's `transaction()`
        in a pipeline waits on entering and on leaving it: three round trips more.) A failed
        statement skips all that follows it up to the next wait, COMMIT included, and is raised
        there; the transaction is then rolled back. The cursor's first `copy` leaves the
        pipeline (COPY has none), waiting for what was sent before it: the transaction goes on
        outside it, each statement then waiting for its result."""
        with ExitStack() as piped, self._pg.cursor() as pg_cursor:
            pg_pipeline = piped.enter_context(self._pg.pipeline())
            translating = _Translating(
                pg_cursor, self._sql, pg_pipeline, self._pg.cursor, leave=piped.close
            )
            pg_cursor.execute("BEGIN")
            try:
                yield translating
                pg_cursor.execute("COMMIT")
                if translating.pipelined:
                    pg_pipeline.sync()
            except BaseException:
                # what a failed statement made the server skip is reported as aborted: read, it
                # leaves the transaction open and aborted, and ROLLBACK ends it (after a failed
                # COMMIT, it only warns that none is open). A connection too broken for that is
                # unusable anyway: the error raised is the one that ended the block.
                if translating.pipelined:
                    with suppress(psycopg.Error):
                        pg_pipeline.sync()
                with suppress(psycopg.Error):
                    pg_cursor.execute("ROLLBACK")
                    if translating.pipelined:
                        pg_pipeline.sync()
                raise

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            if self.kind == "postgres":
                with self._pg.cursor() as cursor:
                    cursor.execute(self._sql(sql), params)
                    return list(cursor.fetchall())
            return list(self._sqlite.execute(sql, params).fetchall())

    def close(self) -> None:
        with suppress(Exception):
            (self._pg if self.kind == "postgres" else self._sqlite).close()


def postgres_connection(env: dict[str, str], *, autocommit: bool) -> psycopg.Connection[Any]:
    """A connection to the PostgreSQL database and schema of `persistence_env(url)`."""
    connection = psycopg.connect(
        host=env["POSTGRES_HOST"],
        port=int(env["POSTGRES_PORT"]),
        dbname=env["POSTGRES_DBNAME"],
        user=env["POSTGRES_USER"],
        password=env.get("POSTGRES_PASSWORD") or None,
        autocommit=autocommit,
    )
    schema_name = env.get("POSTGRES_SCHEMA", "public")
    connection.execute(pgsql.SQL("SET search_path TO {}").format(pgsql.Identifier(schema_name)))
    if not autocommit:
        connection.commit()  # the SET opened a transaction: start the caller's afresh
    return connection


def refuses_writes(problem: BaseException | None) -> bool:
    """Whether an error (or one it was raised from) is PostgreSQL refusing a write in a
    read-only transaction: a hot standby, or a role whose transactions are read-only."""
    while problem is not None:
        if isinstance(problem, psycopg.errors.ReadOnlySqlTransaction):
            return True
        problem = problem.__cause__ or problem.__context__
    return False


class _Translating:
    """A cursor taking `?` placeholders; on a PostgreSQL pipeline (`pipeline`, with `cursors`
    to open more cursors on its connection) `rowcount` first waits for the results sent."""

    def __init__(
        self,
        cursor: Any,
        sql: Callable[[str], str],
        pipeline: psycopg.Pipeline | None = None,
        cursors: Callable[[], Any] | None = None,
        leave: Callable[[], None] | None = None,
    ) -> None:
        self._cursor, self._sqltext = cursor, sql
        self._pipeline, self._cursors = pipeline, cursors
        self._leave = leave  # ends the pipeline (waiting for what was sent), for a COPY

    @property
    def pipelined(self) -> bool:
        return self._pipeline is not None

    @property
    def rowcount(self) -> int:
        if self._pipeline is not None:
            self._pipeline.sync()  # the count is only known once the statement's result is in
        return int(self._cursor.rowcount)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._cursor.execute(self._sqltext(sql), params)

    def executemany(self, sql: str, params: Sequence[Sequence[Any]]) -> None:
        """The statement once per parameter set (psycopg sends them all before reading a
        result, with or without a pipeline); for one set, a plain execute (outside a pipeline,
        psycopg would open one for it, and wait twice)."""
        if len(params) == 1:
            self._cursor.execute(self._sqltext(sql), params[0])
        else:
            self._cursor.executemany(self._sqltext(sql), params)

    def select_each(self, queries: Sequence[tuple[str, Sequence[Any]]]) -> list[list[Any]]:
        """The rows of each query, run in order. On a PostgreSQL pipeline each has a cursor of
        its own and all are sent before the first is read: one round trip for them all."""
        if self._cursors is None:
            results = []
            for sql, params in queries:
                self._cursor.execute(self._sqltext(sql), params)
                results.append(list(self._cursor.fetchall()))
            return results
        cursors = [self._cursors() for _ in queries]
        try:
            for cursor, (sql, params) in zip(cursors, queries, strict=True):
                cursor.execute(self._sqltext(sql), params)
            return [list(cursor.fetchall()) for cursor in cursors]
        finally:
            for cursor in cursors:
                cursor.close()

    def copy(self, sql: str, types: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        """PostgreSQL: `COPY ... FROM STDIN (FORMAT BINARY)` of `rows`, their columns dumped as
        `types` (PostgreSQL type names). A refused row (a key already there) is raised when the
        COPY ends. In a pipeline, the first COPY leaves it (COPY has no pipeline mode): what was
        sent before it is waited for, and a refusal of it raised, first."""
        if self._pipeline is not None:
            if self._leave is None:
                raise RuntimeError("this pipeline cannot be left for a COPY")
            leave, self._leave = self._leave, None
            self._pipeline = self._cursors = None
            leave()
        with self._cursor.copy(sql) as copy:
            copy.set_types(types)
            for row in rows:
                copy.write_row(row)

    def fetchone(self) -> Any:
        return self._cursor.fetchone()

    def fetchall(self) -> list[Any]:
        return list(self._cursor.fetchall())
