"""A dossier's files: kept by content hash, encrypted at rest per dossier, streamed in and out.

Statements name each document by the SHA-256 of its bytes; this store keeps those bytes, so a
dossier's scans travel with its custody. A file is stored once per (dossier code, SHA-256 of the
plaintext), under the dossier's file key: an AES-256-GCM key of its own, kept wrapped by a key
derived from the data key (the applicant records' key family). Erasing a dossier's personal data
destroys its file key and its files; the log, which holds only the hashes, stays whole.

A stored file is a blob with a random 16-byte id: a sequence of sealed chunks, CHUNK bytes of
plaintext each (the last one shorter, possibly empty), each sealed as nonce (12 random bytes) ‖
ciphertext ‖ tag with associated data FILE_AAD ‖ blob id ‖ index (8 bytes, big-endian) ‖ final
(1 byte). A chunk cannot be moved, dropped, cut short or taken from another blob without failing
its tag, and a blob of another dossier does not open under this dossier's key. The table of
files maps (code, SHA-256 of the plaintext) to its blob; an upload of bytes already held is
discarded and answered with the file already kept.

Uploads stream: the bytes are hashed, size-capped and sealed chunk by chunk, written to a place
of their own, and kept only when complete and equal to the declared hash. Downloads check the
whole file first (every tag, the hash, the size) and only then stream it, decrypting again: a
damaged file is named in an error, and no byte of it is served.

The sealed chunks live in a directory (the default) or, on PostgreSQL, in a table of chunk rows;
what is stored, the file keys and the access log are tables beside the log.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ledger.applicants import DataKey
from ledger.blobs import CHUNK, Blobs, BlobWriter, DatabaseBlobs, DirectoryBlobs
from ledger.database import Database
from ledger.errors import (
    FileCorrupted,
    FileErased,
    FileHashMismatch,
    FileIncomplete,
    FileNotUploaded,
    FileTooLarge,
)

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
FILE_AAD = b"lienthong file chunk v1\n"
FILE_KEY_AAD = b"lienthong file key v1\n"
WRAPPING_LABEL = b"lienthong file wrapping key v1"

TABLES = (
    "CREATE TABLE IF NOT EXISTS lienthong_files ("
    "code TEXT NOT NULL, sha256 BYTEA NOT NULL, size BIGINT NOT NULL, blob BYTEA NOT NULL, "
    "uploaded_at BIGINT NOT NULL, office TEXT, officer TEXT, erased_at BIGINT, "
    "PRIMARY KEY (code, sha256))",
    "CREATE TABLE IF NOT EXISTS lienthong_file_keys ("
    "code TEXT PRIMARY KEY, wrapped BYTEA, erased_at BIGINT)",
)
ACCESS_TABLE = (
    "CREATE TABLE IF NOT EXISTS lienthong_file_access ({id}, code TEXT NOT NULL, "
    "sha256 BYTEA NOT NULL, at BIGINT NOT NULL, office TEXT, officer TEXT, token TEXT, "
    "outcome TEXT NOT NULL)"
)
ACCESS_INDEX = (
    "CREATE INDEX IF NOT EXISTS lienthong_file_access_code ON lienthong_file_access (code)"
)
IDENTITY = {
    "sqlite": "id INTEGER PRIMARY KEY AUTOINCREMENT",
    "postgres": "id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
}
COLUMNS = "code, sha256, size, blob, uploaded_at, office, officer, erased_at"


@dataclass(frozen=True)
class StoredFile:
    code: str
    sha256: bytes
    size: int
    blob: bytes
    uploaded_at: int
    office: str | None
    officer: str | None
    erased: bool = False


@dataclass(frozen=True)
class Access:
    id: int
    code: str
    sha256: bytes
    at: int
    office: str | None
    officer: str | None
    token: str | None
    outcome: str  # served | refused | erased | corrupted


# --- the store ------------------------------------------------------------------------------------


class FileStore(Database):
    """Files of dossiers, their keys and who downloaded them. Times are integer microseconds
    since the epoch, passed in by the caller. `directory` keeps the blobs in files; without one,
    a PostgreSQL database keeps them in a table (SQLite needs a directory)."""

    def __init__(
        self,
        database_url: str,
        data_key: DataKey,
        *,
        directory: Path | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        read_only: bool = False,
    ) -> None:
        super().__init__(database_url, read_only=read_only)
        self.max_bytes = max_bytes
        self._wrapping_key = data_key.derive(WRAPPING_LABEL)
        self.create((*TABLES, ACCESS_TABLE.format(id=IDENTITY[self.kind]), ACCESS_INDEX))
        if directory is not None:
            self.blobs: Blobs = DirectoryBlobs(directory, read_only=read_only)
        elif self.kind == "postgres":
            self.blobs = DatabaseBlobs(database_url, read_only=read_only)
        else:
            raise ValueError("a file store on SQLite keeps its files in a directory: name one")

    # uploads ----------------------------------------------------------------------------------

    def receive(
        self, code: str, declared: bytes | None, *, office: str | None, officer: str | None
    ) -> Upload:
        """Start an upload of one file of dossier `code`; `declared` is the SHA-256 the caller
        says the bytes have (checked at the end), or None to take the bytes' own. FileErased if
        the dossier's files were erased."""
        key = self._file_key(code, create=True)
        blob = secrets.token_bytes(16)
        return Upload(self, code, declared, key, blob, self.blobs.writer(blob), (office, officer))

    def _keep(self, upload: Upload, sha256: bytes, now: int) -> tuple[StoredFile, bool]:
        """Record a complete, checked upload; (the file kept, whether it is new). Bytes already
        held for the dossier keep their first blob; the new one is discarded."""
        with self.transaction() as cursor:
            cursor.execute(
                "INSERT INTO lienthong_files (code, sha256, size, blob, uploaded_at, office, "
                "officer) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (code, sha256) DO NOTHING",
                (upload.code, sha256, upload.size, upload.blob, now, *upload.uploader),
            )
            new = cursor.rowcount == 1
        stored = self.stored(upload.code, sha256)
        if stored is None or stored.erased:
            raise FileErased(f"the files of dossier {upload.code} were erased")
        if not new:
            self.blobs.delete([upload.blob])
        return stored, new

    # reads ------------------------------------------------------------------------------------

    def stored(self, code: str, sha256: bytes) -> StoredFile | None:
        rows = self.query(
            f"SELECT {COLUMNS} FROM lienthong_files WHERE code = ? AND sha256 = ?",  # noqa: S608
            (code, sha256),
        )
        return _stored(rows[0]) if rows else None

    def files(self, code: str) -> list[StoredFile]:
        rows = self.query(
            f"SELECT {COLUMNS} FROM lienthong_files WHERE code = ? "  # noqa: S608
            "ORDER BY uploaded_at, sha256",
            (code,),
        )
        return [_stored(row) for row in rows]

    def missing(self, code: str, hashes: list[bytes]) -> list[bytes]:
        """Those of `hashes` not held for `code` (never uploaded, or erased), in order."""
        held = {f.sha256 for f in self.files(code) if not f.erased}
        return [h for h in hashes if h not in held]

    def open(self, code: str, sha256: bytes) -> Download:
        """The file, checked whole before a byte is given out: FileNotUploaded, FileErased, or
        FileCorrupted naming the file and what is wrong with it."""
        stored = self.stored(code, sha256)
        if stored is None:
            raise FileNotUploaded(f"dossier {code} has no file {sha256.hex()}")
        if stored.erased:
            raise FileErased(f"the files of dossier {code} were erased")
        download = Download(self.blobs, stored, self._file_key(code, create=False))
        for _chunk in download:  # every tag, then the hash and the size (Download checks them)
            pass
        return download

    def check_all(self) -> Iterator[tuple[StoredFile, str | None]]:
        """Every file held (not erased), with what is wrong with it (None if it is sound)."""
        rows = self.query(
            f"SELECT {COLUMNS} FROM lienthong_files WHERE erased_at IS NULL "  # noqa: S608
            "ORDER BY code, sha256"
        )
        for row in rows:
            stored = _stored(row)
            try:
                self.open(stored.code, stored.sha256)
            except (FileCorrupted, FileErased) as problem:
                yield stored, str(problem)
            else:
                yield stored, None

    # erasure and the access log -----------------------------------------------------------------

    def erase(self, code: str, now: int) -> int:
        """Destroy the dossier's file key and its blobs; returns how many files it held. Their
        hashes stay listed, marked erased; later uploads to the dossier are refused."""
        blobs = [f.blob for f in self.files(code) if not f.erased]
        with self.transaction() as cursor:
            cursor.execute(
                "INSERT INTO lienthong_file_keys (code, wrapped, erased_at) VALUES (?, NULL, ?) "
                "ON CONFLICT (code) DO UPDATE SET wrapped = NULL, "
                "erased_at = COALESCE(lienthong_file_keys.erased_at, excluded.erased_at)",
                (code, now),
            )
            cursor.execute(
                "UPDATE lienthong_files SET erased_at = ? WHERE code = ? AND erased_at IS NULL",
                (now, code),
            )
        self.blobs.delete(blobs)
        return len(blobs)

    def log_access(
        self,
        file: tuple[str, bytes],
        at: int,
        *,
        office: str | None,
        officer: str | None,
        token: str | None,
        outcome: str,
    ) -> None:
        with self.transaction() as cursor:
            cursor.execute(
                "INSERT INTO lienthong_file_access (code, sha256, at, office, officer, token, "
                "outcome) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (*file, at, office, officer, token, outcome),
            )

    def accesses(self, code: str | None = None, after: int = 0, limit: int = 100) -> list[Access]:
        """The access log in order, after the entry with id `after`: of one dossier, or all."""
        where, params = (
            ("id > ?", [after]) if code is None else ("id > ? AND code = ?", [after, code])
        )
        rows = self.query(
            "SELECT id, code, sha256, at, office, officer, token, outcome FROM "  # noqa: S608
            f"lienthong_file_access WHERE {where} ORDER BY id LIMIT ?",
            (*params, limit),
        )
        return [
            Access(int(r[0]), r[1], bytes(r[2]), int(r[3]), r[4], r[5], r[6], r[7]) for r in rows
        ]

    # keys -------------------------------------------------------------------------------------

    def _file_key(self, code: str, *, create: bool) -> AESGCM:
        rows = self.query(
            "SELECT wrapped, erased_at FROM lienthong_file_keys WHERE code = ?", (code,)
        )
        if rows and rows[0][1] is not None:
            raise FileErased(f"the files of dossier {code} were erased")
        aad = FILE_KEY_AAD + code.encode()
        if not rows:
            if not create:
                raise FileCorrupted(f"dossier {code} has files but no file key")
            nonce = secrets.token_bytes(12)
            fresh = AESGCM.generate_key(bit_length=256)
            wrapped = nonce + AESGCM(self._wrapping_key).encrypt(nonce, fresh, aad)
            with self.transaction() as cursor:
                cursor.execute(
                    "INSERT INTO lienthong_file_keys (code, wrapped) VALUES (?, ?) "
                    "ON CONFLICT (code) DO NOTHING",
                    (code, wrapped),
                )
            return self._file_key(code, create=False)  # the one kept, if another won the race
        sealed = bytes(rows[0][0])
        try:
            key = AESGCM(self._wrapping_key).decrypt(sealed[:12], sealed[12:], aad)
        except (InvalidTag, ValueError):
            raise FileCorrupted(
                f"the file key of dossier {code} does not decrypt: another data key, or altered"
            ) from None
        return AESGCM(key)


def _stored(row: Any) -> StoredFile:
    code, sha256, size, blob, uploaded_at, office, officer, erased_at = row
    return StoredFile(
        code,
        bytes(sha256),
        int(size),
        bytes(blob),
        int(uploaded_at),
        office,
        officer,
        erased_at is not None,
    )


def _aad(blob: bytes, index: int, final: bool) -> bytes:
    return FILE_AAD + blob + index.to_bytes(8, "big") + bytes([final])


class Upload:
    """One file arriving: `write` its bytes as they come, then `finish` (or `abort`). Chunks are
    sealed and written as they fill, where nothing reads them; only `finish`, once the size and
    the hash are checked, makes the file exist. Any refusal leaves nothing behind."""

    def __init__(
        self,
        store: FileStore,
        code: str,
        declared: bytes | None,
        key: AESGCM,
        blob: bytes,
        writer: BlobWriter,
        uploader: tuple[str | None, str | None],
    ) -> None:
        self.store, self.code, self.declared, self.key = store, code, declared, key
        self.blob, self.writer, self.uploader = blob, writer, uploader
        self.hash = hashlib.sha256()
        self.size = 0
        self.index = 0
        self.buffer = bytearray()
        self.closed = False

    def write(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.store.max_bytes:
            self.abort()
            raise FileTooLarge(
                f"a file may hold {self.store.max_bytes:,} bytes at most; this one is larger"
            )
        self.hash.update(data)
        self.buffer += data
        while len(self.buffer) > CHUNK:  # the last chunk waits for finish: it is sealed final
            self._seal(bytes(self.buffer[:CHUNK]), final=False)
            del self.buffer[:CHUNK]

    def _seal(self, plain: bytes, *, final: bool) -> None:
        nonce = secrets.token_bytes(12)
        aad = _aad(self.blob, self.index, final)
        self.writer.write(nonce + self.key.encrypt(nonce, plain, aad))
        self.index += 1

    def finish(self, now: int, expected_size: int | None = None) -> tuple[StoredFile, bool]:
        """Check and keep the file: (the file kept, whether it is new). FileIncomplete if fewer
        (or more) bytes came than `expected_size` announced, FileHashMismatch if they are not the
        declared hash's; either way nothing is kept."""
        digest = self.hash.digest()
        if expected_size is not None and self.size != expected_size:
            self.abort()
            raise FileIncomplete(
                f"the upload announced {expected_size:,} bytes and {self.size:,} arrived"
            )
        if self.declared is not None and digest != self.declared:
            self.abort()
            raise FileHashMismatch(
                f"the bytes have SHA-256 {digest.hex()}, not the declared {self.declared.hex()}"
            )
        self._seal(bytes(self.buffer), final=True)
        self.closed = True
        self.writer.commit()
        try:
            return self.store._keep(self, digest, now)
        except BaseException:
            self.store.blobs.delete([self.blob])
            raise

    def abort(self) -> None:
        if not self.closed:
            self.closed = True
            self.writer.abort()


class Download:
    """A stored file's plaintext, chunk by chunk. Each pass checks every chunk's tag and, at the
    end, the size and the SHA-256: FileCorrupted names the file and what failed."""

    def __init__(self, blobs: Blobs, stored: StoredFile, key: AESGCM) -> None:
        self.blobs, self.stored, self.key = blobs, stored, key

    @property
    def size(self) -> int:
        return self.stored.size

    def __iter__(self) -> Iterator[bytes]:
        stored = self.stored
        name = f"file {stored.sha256.hex()} of dossier {stored.code}"
        digest, size, final = hashlib.sha256(), 0, False
        for index, sealed in enumerate(self.blobs.chunks(stored.blob)):
            if final:
                raise FileCorrupted(f"{name} has chunks after its last one")
            plain = self._open(sealed, index, name)
            if plain is None:  # not a middle chunk: the last one, or a damaged one
                plain, final = self._open(sealed, index, name, final=True), True
            assert plain is not None
            digest.update(plain)
            size += len(plain)
            yield plain
        if not final:
            raise FileCorrupted(f"{name} is cut short: its last chunk is missing")
        if size != stored.size or digest.digest() != stored.sha256:
            raise FileCorrupted(f"{name} does not hash to its name: its bytes were altered")

    def _open(self, sealed: bytes, index: int, name: str, final: bool = False) -> bytes | None:
        try:
            return self.key.decrypt(sealed[:12], sealed[12:], _aad(self.stored.blob, index, final))
        except (InvalidTag, ValueError):
            if not final:
                return None  # perhaps the last chunk: the caller tries it as the final one
            raise FileCorrupted(
                f"{name}: chunk {index} fails its check (altered, moved or from another file)"
            ) from None
