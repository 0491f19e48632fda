"""Databases recorded once per test session, and copied for each test that asks for one.

Recording the same thing again for every test — the demo for each API test, the small world for
each ledger test — was most of the suite's time on SQLite and PostgreSQL. A template is recorded
once, the first time a test asks for it, by the very code the test would have run; each test then
gets a copy of its own, as fresh and as private as before:

- SQLite: the template file is copied with SQLite's backup API (WAL included) to the test's path;
- PostgreSQL: the test's schema is given its tables by the product's own code (`structure`), then
  every table's rows and every sequence's position are copied from the template schema, in one
  transaction of one round trip.

The copy holds the rows recording would have written — statements, log, checkpoints, views — so
a test opens a database recorded by the code under test, as a server restarting on it would.
Only a fresh database takes a template (no SQLite file yet; a schema without tables): a test that
prepared its database itself (a crash left behind, a table of an older layout) records as before.
`memory:` has nothing to copy: it records as before, and is fast.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import sql

from ledger.config import persistence_env
from ledger.stores.database import postgres_connection

T = TypeVar("T")
# (the template's database URL, a directory of its own) -> what the test needs besides the rows
Record = Callable[[str, Path], T]
# a fresh database's URL and the test's directory -> nothing; the tables exist afterwards
Structure = Callable[[str, Path], None]


@dataclass(frozen=True)
class Template(Generic[T]):
    url: str
    state: T
    tables: tuple[str, ...] = ()  # PostgreSQL: the template schema's tables
    sequences: tuple[tuple[str, int, bool], ...] = ()  # PostgreSQL: name, last value, is_called


def backend(url: str) -> str:
    env = persistence_env(url)
    if "SQLITE_DBNAME" in env:
        return "sqlite"
    if "POSTGRES_DBNAME" in env:
        return "postgres"
    return "memory"


def _with_schema(url: str, schema: str) -> str:
    parts = urlsplit(url)
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    query["schema"] = schema
    return urlunsplit(parts._replace(query=urlencode(query)))


def _server(url: str) -> str:
    """A PostgreSQL URL without its schema: templates are kept per database."""
    return _with_schema(url, "").split("?", 1)[0]


def _names(connection: psycopg.Connection[Any], schema: str, kind: str) -> list[str]:
    rows = connection.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relkind = %s ORDER BY c.relname",
        (schema, kind),
    ).fetchall()
    return [row[0] for row in rows]


@dataclass
class Templates:
    """The session's templates, by name and database; `close` removes them."""

    _made: dict[tuple[str, str], Template[Any]] = field(default_factory=dict)
    _directory: Path | None = None
    _schemas: list[tuple[str, str]] = field(default_factory=list)  # (server URL, schema)

    def restore(
        self, name: str, url: str, directory: Path, record: Record[T], structure: Structure
    ) -> T | None:
        """Fill the fresh database at `url` with a copy of template `name` (recorded first with
        `record` if no test asked for it yet) and return the recorder's state; None, with nothing
        done, when the database is `memory:` or not fresh: the caller then records as before."""
        kind = backend(url)
        if kind == "memory" or not _fresh(url):
            return None
        template = self.made(name, url)
        if template is None:
            template = self._made[(name, "sqlite" if kind == "sqlite" else _server(url))] = (
                self._record(name, url, record)
            )
        if kind == "sqlite":
            _copy_sqlite(template.url, url)
        else:
            structure(url, directory)
            _copy_postgres(template, url)
        state: T = template.state
        return state

    def made(self, name: str, url: str) -> Template[Any] | None:
        """Template `name` for databases like `url`, if a test has asked for it."""
        kind = backend(url)
        return self._made.get((name, "sqlite" if kind == "sqlite" else _server(url)))

    def _record(self, name: str, url: str, record: Record[T]) -> Template[T]:
        if self._directory is None:
            self._directory = Path(tempfile.mkdtemp(prefix="lienthong-templates-"))
        directory = self._directory / f"{name}-{uuid.uuid4().hex[:8]}"
        directory.mkdir()
        if backend(url) == "sqlite":
            location = f"sqlite:///{directory / 'template.db'}"
            return Template(location, record(location, directory))
        schema = f"template_{name}_{uuid.uuid4().hex[:8]}"
        server = _server(url)
        with psycopg.connect(server, autocommit=True) as connection:
            connection.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        self._schemas.append((server, schema))
        location = _with_schema(url, schema)
        state = record(location, directory)
        with psycopg.connect(server, autocommit=True) as connection:
            tables = tuple(_names(connection, schema, "r"))
            sequences = tuple(
                (
                    sequence,
                    *connection.execute(
                        sql.SQL("SELECT last_value, is_called FROM {}").format(
                            sql.Identifier(schema, sequence)
                        )
                    ).fetchone(),
                )  # type: ignore[misc]
                for sequence in _names(connection, schema, "S")
            )
        return Template(location, state, tables, sequences)

    def close(self) -> None:
        for server, schema in self._schemas:
            try:
                with psycopg.connect(server, autocommit=True) as connection:
                    connection.execute(
                        sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
                    )
            except psycopg.OperationalError:
                pass  # the server went away: nothing left to drop there
        self._schemas.clear()
        self._made.clear()
        if self._directory is not None:
            shutil.rmtree(self._directory, ignore_errors=True)
            self._directory = None


def _fresh(url: str) -> bool:
    env = persistence_env(url)
    if "SQLITE_DBNAME" in env:
        return not Path(env["SQLITE_DBNAME"]).exists()
    schema = env.get("POSTGRES_SCHEMA", "public")
    with postgres_connection(env, autocommit=True) as connection:
        return not _names(connection, schema, "r")


def _copy_sqlite(template: str, url: str) -> None:
    source = sqlite3.connect(persistence_env(template)["SQLITE_DBNAME"])
    target = sqlite3.connect(persistence_env(url)["SQLITE_DBNAME"])
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


def _copy_postgres(template: Template[Any], url: str) -> None:
    schema = persistence_env(url).get("POSTGRES_SCHEMA", "public")
    source = persistence_env(template.url)["POSTGRES_SCHEMA"]
    with postgres_connection(persistence_env(url), autocommit=False) as connection:
        made = set(_names(connection, schema, "r"))
        missing = [table for table in template.tables if table not in made]
        assert not missing, f"the structure step made no {missing} for the template's rows"
        statements = [
            sql.SQL("TRUNCATE {}").format(
                sql.SQL(", ").join(sql.Identifier(schema, table) for table in template.tables)
            )
        ]
        statements += [
            sql.SQL("INSERT INTO {} OVERRIDING SYSTEM VALUE SELECT * FROM {}").format(
                sql.Identifier(schema, table), sql.Identifier(source, table)
            )
            for table in template.tables
        ]
        statements += [
            sql.SQL("SELECT setval({}, {}, {})").format(
                sql.Literal(f'"{schema}"."{sequence}"'), sql.Literal(value), sql.Literal(called)
            )
            for sequence, value, called in template.sequences
        ]
        connection.execute(sql.SQL("; ").join(statements))
        connection.commit()


TEMPLATES = Templates()
