"""Where a file store keeps its sealed blobs: a directory of files, or a PostgreSQL table.

A blob is written once, from start to end, where nothing reads it, and kept by `commit` (a file
renamed into place after fsync; or one committed transaction of chunk rows). `abort` leaves
nothing. `chunks` gives a blob's sealed chunks back in order, SEALED bytes at most each; a blob
that is not there is FileCorrupted. The sealing itself is ledger/stores/files/streams.py's.

A writer claims its blob from the first byte until `release` (after the file store has kept its
row, or deleted the blob): an exclusive `flock` on the upload's file, which the rename into place
keeps; on PostgreSQL a session advisory lock on the writer's connection. The operating system or
the database drops a claim when its process dies, so `sweep` can tell what a crash left (an
upload half-written under .incoming, a blob whose row was never kept) from what a live upload is
writing, in this process or another, and removes only the former.
"""

from __future__ import annotations

import fcntl
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO, Any, Protocol

import psycopg

from ledger.config import persistence_env
from ledger.errors import FileCorrupted
from ledger.stores.database import DDL_LOCK, postgres_connection

CHUNK = 64 * 1024  # plaintext bytes per sealed chunk
SEALED = 12 + CHUNK + 16  # nonce, ciphertext, tag

CHUNK_TABLE = (
    "CREATE TABLE IF NOT EXISTS lienthong_file_chunks ("
    "blob BYTEA NOT NULL, n INTEGER NOT NULL, data BYTEA NOT NULL, PRIMARY KEY (blob, n))"
)


SWEEP_BATCH = 500  # blob ids asked about at a time
BLOB_NAME = re.compile(r"[0-9a-f]{32}")
# PostgreSQL advisory locks of the two-key form (kept apart from the one-key DDL lock): the first
# key says "a file store blob", the second is taken from the blob id
CLAIM_CLASS = 0x6C74_6662  # "ltfb"

# Given blob ids, those that no kept (and not erased) file names: the file store's answer.
Unnamed = Callable[[list[bytes]], set[bytes]]


@dataclass(frozen=True)
class Removed:
    """What a sweep removed: an upload a crash cut off (`incoming`, by its file name) or a blob no
    file names (`blob`, by its id in hex), and the bytes it took."""

    what: str  # incoming | blob
    name: str
    size: int


class BlobWriter(Protocol):
    def write(self, sealed: bytes) -> None: ...
    def commit(self) -> None: ...
    def release(self) -> None: ...
    def abort(self) -> None: ...


class Blobs(Protocol):
    def writer(self, blob: bytes) -> BlobWriter: ...
    def chunks(self, blob: bytes) -> Iterator[bytes]: ...
    def delete(self, blobs: list[bytes]) -> None: ...
    def sweep(self, unnamed: Unnamed) -> list[Removed]: ...


def _missing(blob: bytes) -> FileCorrupted:
    return FileCorrupted(f"blob {blob.hex()} is missing from the file store")


class DirectoryBlobs:
    """One file of sealed chunks per blob, `root`/<2 hex>/<blob id in hex>. An upload is written
    under `root`/.incoming and renamed into place once complete and checked.

    An upload's file is created and locked while the .incoming directory is locked shared, and a
    sweep of .incoming holds it exclusively: no sweep sees an upload's file between its creation
    and its lock."""

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

    def sweep(self, unnamed: Unnamed) -> list[Removed]:
        """Remove the uploads under .incoming that no live writer claims (a crash cut them off,
        empty or partial), then the blobs no file names that no live writer claims."""
        removed = []
        gate = os.open(self.incoming, os.O_RDONLY)
        try:
            fcntl.flock(gate, fcntl.LOCK_EX)  # no upload is between creating and locking its file
            for path in sorted(self.incoming.glob("upload-*")):
                size = _remove_unclaimed(path)
                if size is not None:
                    removed.append(Removed("incoming", path.name, size))
        finally:
            os.close(gate)
        for batch in self._kept_in_batches():
            for blob in sorted(unnamed(batch)):
                size = _remove_unclaimed(self.path(blob), partial(_unnamed, unnamed, blob))
                if size is not None:
                    removed.append(Removed("blob", blob.hex(), size))
        return removed

    def _kept_in_batches(self) -> Iterator[list[bytes]]:
        batch: list[bytes] = []
        for folder in sorted(self.root.glob("[0-9a-f][0-9a-f]")):
            for path in sorted(folder.iterdir()):
                if BLOB_NAME.fullmatch(path.name) and path.name.startswith(folder.name):
                    batch.append(bytes.fromhex(path.name))
                    if len(batch) == SWEEP_BATCH:
                        yield batch
                        batch = []
        if batch:
            yield batch


def _unnamed(unnamed: Unnamed, blob: bytes) -> bool:
    return blob in unnamed([blob])


def _remove_unclaimed(path: Path, still: Callable[[], bool] | None = None) -> int | None:
    """Remove `path` if no writer holds its lock and `still()` holds once the lock is ours; the
    bytes it took, or None if it was left (claimed, gone, or no longer to be removed)."""
    try:
        handle = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return None  # a live upload, here or in another process
        if (
            still is not None and not still()
        ):  # asked again once claimed: kept meanwhile, then its writer let go
            return None
        size = os.fstat(handle).st_size
        path.unlink(missing_ok=True)
        return size
    finally:
        os.close(handle)


class _FileWriter:
    def __init__(self, incoming: Path, target: Path) -> None:
        self.target = target
        gate = os.open(incoming, os.O_RDONLY)
        try:
            fcntl.flock(gate, fcntl.LOCK_SH)  # a sweep of .incoming waits until the file is ours
            self.handle: IO[bytes] = tempfile.NamedTemporaryFile(  # noqa: SIM115 — see release
                dir=incoming, prefix="upload-", delete=False
            )
            fcntl.flock(self.handle.fileno(), fcntl.LOCK_EX)
        finally:
            os.close(gate)

    def write(self, sealed: bytes) -> None:
        self.handle.write(sealed)

    def commit(self) -> None:
        """Put the blob in place; it stays claimed (the lock follows the file) until release."""
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.handle.name, self.target)

    def release(self) -> None:
        self.handle.close()

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

    def sweep(self, unnamed: Unnamed) -> list[Removed]:
        """Remove the blobs no file names that no live writer claims. (An upload a crash cut
        off leaves nothing here: its transaction never committed.)"""
        removed = []
        with self._connect() as connection:
            connection.autocommit = True
            for batch in self._kept_in_batches():
                for blob in sorted(unnamed(batch)):
                    size = self._remove_unclaimed(connection, blob, unnamed)
                    if size is not None:
                        removed.append(Removed("blob", blob.hex(), size))
        return removed

    def _kept_in_batches(self) -> Iterator[list[bytes]]:
        with self._connect() as connection, connection.cursor(name="blobs") as cursor:
            cursor.itersize = SWEEP_BATCH
            cursor.execute("SELECT DISTINCT blob FROM lienthong_file_chunks ORDER BY blob")
            batch: list[bytes] = []
            for (blob,) in cursor:
                batch.append(bytes(blob))
                if len(batch) == SWEEP_BATCH:
                    yield batch
                    batch = []
            if batch:
                yield batch

    @staticmethod
    def _remove_unclaimed(
        connection: psycopg.Connection[Any], blob: bytes, unnamed: Unnamed
    ) -> int | None:
        claimed = connection.execute(
            "SELECT pg_try_advisory_lock(%s, %s)", (CLAIM_CLASS, _claim_key(blob))
        ).fetchone()
        if not (claimed and claimed[0]):
            return None  # a live upload (or one whose key collides with it: next sweep)
        try:
            if blob not in unnamed([blob]):
                return None
            row = connection.execute(
                "WITH gone AS (DELETE FROM lienthong_file_chunks WHERE blob = %s "
                "RETURNING octet_length(data) AS size) SELECT count(*), sum(size) FROM gone",
                (blob,),
            ).fetchone()
            return int(row[1] or 0) if row and row[0] else None
        finally:
            connection.execute("SELECT pg_advisory_unlock(%s, %s)", (CLAIM_CLASS, _claim_key(blob)))


def _claim_key(blob: bytes) -> int:
    return int.from_bytes(blob[:4], "big", signed=True)


class _RowWriter:
    """One COPY … FROM STDIN per blob, rows streamed as the chunks come (a round trip per
    chunk would cost more than sealing it), committed at the end. The connection holds the
    blob's claim (a session advisory lock) until release."""

    def __init__(self, connection: psycopg.Connection[Any], blob: bytes) -> None:
        self.connection, self.blob, self.n = connection, blob, 0
        connection.execute("SELECT pg_advisory_lock(%s, %s)", (CLAIM_CLASS, _claim_key(blob)))
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
        except BaseException:
            self.connection.close()
            raise

    def release(self) -> None:
        self.connection.close()  # the claim goes with the session

    def abort(self) -> None:
        try:
            self.copying.__exit__(RuntimeError, RuntimeError("upload aborted"), None)
        except Exception:  # noqa: S110 — the COPY is being abandoned: its error is expected
            pass
        finally:
            self.connection.rollback()
            self.connection.close()
