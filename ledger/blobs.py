"""Where a file store keeps its sealed blobs: a directory of files, or a PostgreSQL table.

A blob is written once, from start to end, where nothing reads it, and kept by `commit` (a file
renamed into place after fsync; or one committed transaction of chunk rows). `abort` leaves
nothing. `chunks` gives a blob's sealed chunks back in order, SEALED bytes at most each; a blob
that is not there is FileCorrupted. The sealing itself is ledger/files.py's.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Protocol

import psycopg

from ledger.config import persistence_env
from ledger.database import DDL_LOCK, postgres_connection
from ledger.errors import FileCorrupted

CHUNK = 64 * 1024  # plaintext bytes per sealed chunk
SEALED = 12 + CHUNK + 16  # nonce, ciphertext, tag

CHUNK_TABLE = (
    "CREATE TABLE IF NOT EXISTS lienthong_file_chunks ("
    "blob BYTEA NOT NULL, n INTEGER NOT NULL, data BYTEA NOT NULL, PRIMARY KEY (blob, n))"
)


class BlobWriter(Protocol):
    def write(self, sealed: bytes) -> None: ...
    def commit(self) -> None: ...
    def abort(self) -> None: ...


class Blobs(Protocol):
    def writer(self, blob: bytes) -> BlobWriter: ...
    def chunks(self, blob: bytes) -> Iterator[bytes]: ...
    def delete(self, blobs: list[bytes]) -> None: ...


def _missing(blob: bytes) -> FileCorrupted:
    return FileCorrupted(f"blob {blob.hex()} is missing from the file store")


class DirectoryBlobs:
    """One file of sealed chunks per blob, `root`/<2 hex>/<blob id in hex>. An upload is written
    under `root`/.incoming and renamed into place once complete and checked."""

    def __init__(self, root: Path, *, read_only: bool = False) -> None:
        self.root = root
        self.incoming = root / ".incoming"
        if not read_only:
            self.incoming.mkdir(parents=True, exist_ok=True)

    def path(self, blob: bytes) -> Path:
        return self.root / blob.hex()[:2] / blob.hex()

    def writer(self, blob: bytes) -> BlobWriter:
        return _FileWriter(self.incoming, self.path(blob))

    def chunks(self, blob: bytes) -> Iterator[bytes]:
        try:
            handle = open(self.path(blob), "rb")  # noqa: SIM115 — closed by the with below
        except FileNotFoundError:
            raise _missing(blob) from None
        with handle:
            while sealed := handle.read(SEALED):
                yield sealed

    def delete(self, blobs: list[bytes]) -> None:
        for blob in blobs:
            self.path(blob).unlink(missing_ok=True)


class _FileWriter:
    def __init__(self, incoming: Path, target: Path) -> None:
        self.target = target
        self.handle: IO[bytes] = tempfile.NamedTemporaryFile(  # noqa: SIM115 — commit or abort
            dir=incoming, prefix="upload-", delete=False
        )

    def write(self, sealed: bytes) -> None:
        self.handle.write(sealed)

    def commit(self) -> None:
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.handle.close()
        self.target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.handle.name, self.target)

    def abort(self) -> None:
        self.handle.close()
        Path(self.handle.name).unlink(missing_ok=True)


class DatabaseBlobs:
    """Sealed chunks as rows of a PostgreSQL table: each upload in one transaction on a
    connection of its own (the store's shared connection stays free for others), read back
    through a server-side cursor, a few chunks at a time."""

    def __init__(self, database_url: str, *, read_only: bool = False) -> None:
        self.env = persistence_env(database_url)
        if not read_only:
            with self._connect() as connection:
                connection.execute(DDL_LOCK)
                connection.execute(CHUNK_TABLE)

    def _connect(self) -> psycopg.Connection[Any]:
        return postgres_connection(self.env, autocommit=False)

    def writer(self, blob: bytes) -> BlobWriter:
        return _RowWriter(self._connect(), blob)

    def chunks(self, blob: bytes) -> Iterator[bytes]:
        with self._connect() as connection, connection.cursor(name="chunks") as cursor:
            cursor.itersize = 64  # 4 MiB a fetch
            cursor.execute(
                "SELECT n, data FROM lienthong_file_chunks WHERE blob = %s ORDER BY n", (blob,)
            )
            count = 0
            for n, data in cursor:
                if n != count:
                    raise FileCorrupted(f"blob {blob.hex()} lacks its chunk {count}")
                count += 1
                yield bytes(data)
            if count == 0:
                raise _missing(blob)

    def delete(self, blobs: list[bytes]) -> None:
        with self._connect() as connection:
            connection.execute("DELETE FROM lienthong_file_chunks WHERE blob = ANY(%s)", (blobs,))


class _RowWriter:
    """One COPY … FROM STDIN per blob, rows streamed as the chunks come (a round trip per
    chunk would cost more than sealing it), committed at the end."""

    def __init__(self, connection: psycopg.Connection[Any], blob: bytes) -> None:
        self.connection, self.blob, self.n = connection, blob, 0
        self.cursor = connection.cursor()
        self.copying = self.cursor.copy(
            "COPY lienthong_file_chunks (blob, n, data) FROM STDIN (FORMAT BINARY)"
        )
        self.copy = self.copying.__enter__()
        self.copy.set_types(["bytea", "int4", "bytea"])

    def write(self, sealed: bytes) -> None:
        self.copy.write_row((self.blob, self.n, sealed))
        self.n += 1

    def commit(self) -> None:
        try:
            self.copying.__exit__(None, None, None)
            self.connection.commit()
        finally:
            self.connection.close()

    def abort(self) -> None:
        try:
            self.copying.__exit__(RuntimeError, RuntimeError("upload aborted"), None)
        except Exception:  # noqa: S110 — the COPY is being abandoned: its error is expected
            pass
        finally:
            self.connection.rollback()
            self.connection.close()
