"""The store read directly, read-only: what lets the audit's workers read their own ranges.

A worker process opens its own read connection (a SQLite file opened read-only, or the PostgreSQL
database with its schema) and is handed a range of notification ids; it reads those rows itself,
so the stored states never pass through the main process. The main process reads only each
entry's place: its notification id, aggregate and version (`keys`), to pair it with the tree's
leaves. A store that other processes cannot open (the in-memory one, a SQLite database in
memory) has no address: its rows go through the main process as before.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import quote
from uuid import UUID

from ledger.config import persistence_env

if TYPE_CHECKING:
    from ledger.application import Ledger

# (notification id, aggregate id as 32 hex digits, version, topic, stored state)
StoredRow = tuple[int, str, int, str, bytes]


class Address(NamedTuple):
    """How another process opens the ledger's store read-only (it crosses to the workers)."""

    backend: str  # "sqlite" | "postgres"
    target: str  # the SQLite file's absolute path, or the PostgreSQL connection string
    schema: str  # PostgreSQL's schema ("" for SQLite)
    events: str  # the stored events' table


class EntryKey(NamedTuple):
    """An entry's place in the log, without its state: what the main process pairs. The aggregate
    id is kept as the store's text (no UUID made per entry): 32 hex digits in SQLite, the
    canonical form in PostgreSQL, the same in `Leaf`."""

    id: int
    originator_id: str
    originator_version: int


@dataclass(slots=True)
class Leaf:
    """The tree's record of a leaf, as `LeafRef`, its aggregate id as the store's text."""

    index: int
    originator_id: str
    originator_version: int
    leaf_hash: bytes


def address_of(ledger: Ledger) -> Address | None:
    """The address of the ledger's store, or None if no other process can open it."""
    env = persistence_env(ledger.settings.database_url)
    module = env.get("PERSISTENCE_MODULE", "")
    events = getattr(ledger.recorder, "events_table_name", "")
    if not events:
        return None
    if module.endswith(":SQLiteLogFactory"):
        path = env["SQLITE_DBNAME"]
        if path == ":memory:" or "mode=memory" in path or path.startswith("file:"):
            return None
        return Address("sqlite", os.path.abspath(path), "", events)
    if module.endswith(":PostgresLogFactory"):
        datastore: Any = getattr(ledger.recorder, "datastore", None)
        schema = getattr(datastore, "schema", "") or "public"
        conninfo = " ".join(
            f"{name}={_quoted(env[setting])}"
            for name, setting in (
                ("dbname", "POSTGRES_DBNAME"),
                ("host", "POSTGRES_HOST"),
                ("port", "POSTGRES_PORT"),
                ("user", "POSTGRES_USER"),
                ("password", "POSTGRES_PASSWORD"),
            )
            if env.get(setting)
        )
        return Address("postgres", conninfo, schema, events)
    return None


def _quoted(value: str) -> str:
    """A libpq connection-string value, quoted."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


class Reader:
    """A read-only connection to the store at `address`."""

    def __init__(self, address: Address) -> None:
        self.address = address
        self._connection: Any
        if address.backend == "sqlite":
            self._connection = sqlite3.connect(
                f"file:{quote(address.target)}?mode=ro", uri=True, check_same_thread=False
            )
            table = _sqlite_name(address.events)
            self._keys_query = (
                f"SELECT rowid, originator_id, originator_version FROM {table} "  # noqa: S608
                f"WHERE rowid >= ? ORDER BY rowid LIMIT ?"
            )
            self._leaves_query = (
                "SELECT l.leaf_index, l.originator_id, l.originator_version, n.hash "
                "FROM lienthong_leaves l LEFT JOIN lienthong_nodes n "
                "ON n.level = 0 AND n.node_index = l.leaf_index "
                "WHERE l.leaf_index >= ? ORDER BY l.leaf_index LIMIT ?"
            )
            self._rows_query = (
                f"SELECT rowid, originator_id, originator_version, topic, state "  # noqa: S608
                f"FROM {table} WHERE rowid >= ? AND rowid <= ? ORDER BY rowid"
            )
        elif address.backend == "postgres":
            import psycopg
            from psycopg import sql

            self._connection = psycopg.connect(address.target, autocommit=True)
            self._connection.read_only = True
            name = sql.Identifier(address.schema, address.events)
            self._keys_query = (
                sql.SQL(
                    "SELECT notification_id, originator_id::text, originator_version FROM {} "
                    "WHERE notification_id >= %s ORDER BY notification_id LIMIT %s"
                )
                .format(name)
                .as_string(self._connection)
            )
            self._leaves_query = (
                sql.SQL(
                    "SELECT l.leaf_index, l.originator_id::text, l.originator_version, n.hash "
                    "FROM {} l LEFT JOIN {} n ON n.level = 0 AND n.node_index = l.leaf_index "
                    "WHERE l.leaf_index >= %s ORDER BY l.leaf_index LIMIT %s"
                )
                .format(
                    sql.Identifier(address.schema, "lienthong_leaves"),
                    sql.Identifier(address.schema, "lienthong_nodes"),
                )
                .as_string(self._connection)
            )
            self._rows_query = (
                sql.SQL(
                    "SELECT notification_id, originator_id, originator_version, topic, state "
                    "FROM {} WHERE notification_id >= %s AND notification_id <= %s "
                    "ORDER BY notification_id"
                )
                .format(name)
                .as_string(self._connection)
            )
        else:
            raise ValueError(f"no reader for a {address.backend} store")

    def keys(self, start: int, limit: int) -> list[EntryKey]:
        """The places of the entries from notification id `start` on, `limit` of them."""
        found = self._connection.execute(self._keys_query, (start, limit)).fetchall()
        return list(map(EntryKey._make, found))

    def leaves(self, start: int, limit: int) -> list[Leaf]:
        """The tree's records of the leaves from index `start` on, `limit` of them."""
        found = self._connection.execute(self._leaves_query, (start, limit)).fetchall()
        return [
            Leaf(index, oid, version, bytes(value or b"")) for index, oid, version, value in found
        ]

    def rows(self, first: int, last: int) -> list[StoredRow]:
        """The stored entries of notification ids `first` to `last`, in order."""
        found: Sequence[tuple[Any, ...]] = self._connection.execute(
            self._rows_query, (first, last)
        ).fetchall()
        if self.address.backend == "sqlite":
            return found  # type: ignore[return-value]  # (int, text, int, text, bytes) rows
        return [
            (i, _hex(oid), version, topic, bytes(state)) for i, oid, version, topic, state in found
        ]

    def close(self) -> None:
        self._connection.close()


def _sqlite_name(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"unexpected table name {name!r}")
    return name


def as_uuid(value: UUID | str) -> UUID:
    """An aggregate id as read by `Reader` (text) or by the recorder (a UUID), as a UUID."""
    return value if isinstance(value, UUID) else UUID(str(value))


def _hex(value: UUID | str) -> str:
    return value.hex if isinstance(value, UUID) else UUID(str(value)).hex
