"""One connection to the ledger's own database, for the side tables kept beside the log.

The read models, the API's tokens and the encrypted applicant records live in the same SQLite file
or PostgreSQL schema as the log, each store on a connection of its own. SQL is written with `?`
placeholders (PostgreSQL's `%s` are substituted) and `BYTEA` columns (SQLite's `BLOB`).
A `memory:` database URL gives an in-memory SQLite database private to the store.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
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
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


class Database:
    """A connection, serialised by a lock so threads may share it. A `read_only` store (on a
    PostgreSQL replica) creates nothing: the primary made its tables."""

    def __init__(self, database_url: str, *, read_only: bool = False) -> None:
        env = persistence_env(database_url)
        self.read_only = read_only
        self._lock = threading.RLock()
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
    def transaction(self) -> Iterator[Cursor]:
        with self._lock:
            if self.kind == "postgres":
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
    def __init__(self, cursor: Any, sql: Callable[[str], str]) -> None:
        self._cursor, self._sqltext = cursor, sql

    @property
    def rowcount(self) -> int:
        return int(self._cursor.rowcount)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._cursor.execute(self._sqltext(sql), params)

    def fetchone(self) -> Any:
        return self._cursor.fetchone()

    def fetchall(self) -> list[Any]:
        return list(self._cursor.fetchall())
