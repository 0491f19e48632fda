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

Only a dossier code that passes the identifier rule gets files. An upload no recorded statement
names yet is *pending*: each office may hold a quota of them (a number of files and of bytes),
and one still unnamed when it expires (24 hours after it arrived, by default) is removed with its
blob — so uploads under codes that are never received do not stay. `clean` removes those, and
what a crash left behind: uploads cut off under .incoming and blobs no file names (the blob
store tells them from live uploads by the claim each writer holds; ledger/stores/blobs.py).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from domain.identifier import check_identifier
from ledger.errors import (
    FileCorrupted,
    FileErased,
    FileHashMismatch,
    FileIncomplete,
    FileNotUploaded,
    FileQuotaExceeded,
    FileTooLarge,
)
from ledger.stores.applicants import DataKey
from ledger.stores.blobs import CHUNK, Blobs, BlobWriter, DatabaseBlobs, DirectoryBlobs, Removed
from ledger.stores.database import DDL_LOCK, Cursor, Database

if TYPE_CHECKING:
    from ledger.application import Ledger

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
EXPIRE_BATCH = 20  # expired pending uploads an upload removes on its way in, at most
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
# Uploads no recorded statement names yet, by office. Made with the rows of the files kept before
# it existed, so that those too are held to the rule (the named ones leave it at the first check).
PENDING_TABLE = (
    "CREATE TABLE lienthong_file_pending (code TEXT NOT NULL, sha256 BYTEA NOT NULL, "
    "office TEXT, size BIGINT NOT NULL, uploaded_at BIGINT NOT NULL, PRIMARY KEY (code, sha256))"
)
PENDING_FROM_FILES = (
    "INSERT INTO lienthong_file_pending (code, sha256, office, size, uploaded_at) "
    "SELECT code, sha256, office, size, uploaded_at FROM lienthong_files WHERE erased_at IS NULL"
)
INDEXES = (
    "CREATE INDEX IF NOT EXISTS lienthong_file_pending_office ON lienthong_file_pending (office)",
    "CREATE INDEX IF NOT EXISTS lienthong_file_pending_age ON lienthong_file_pending (uploaded_at)",
    "CREATE INDEX IF NOT EXISTS lienthong_files_blob ON lienthong_files (blob)",
)
EXISTS = {
    "sqlite": "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?",
    "postgres": "SELECT count(to_regclass(?))",
}
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
class Quota:
    """What one office may hold of uploads no recorded statement names yet, and for how long."""

    files: int = 200
    bytes: int = 1024 * 1024 * 1024
    hours: float = 24

    @property
    def lifetime(self) -> int:
        """Microseconds a pending upload is kept."""
        return int(self.hours * 3600 * 1_000_000)


# The SHA-256 of every document the recorded statements of a dossier list (empty if none).
Named = Callable[[str], Collection[bytes]]


def named_in(ledger: Ledger) -> Named:
    """`Named` read from the ledger: the documents of the dossier's statements, of every kind
    (a receipt, a dispatch, an acknowledgement, a supplement, a decision)."""

    def named(code: str) -> set[bytes]:
        return {
            document["sha256"]
            for entry in ledger.history("dossier", code)
            for document in entry.statement.body.get("documents") or ()
        }

    return named


@dataclass(frozen=True)
class Cleaned:
    """What `clean` removed: pending uploads past their time, and what crashes left."""

    expired: list[StoredFile] = field(default_factory=list)
    leftovers: list[Removed] = field(default_factory=list)

    @property
    def size(self) -> int:
        return sum(f.size for f in self.expired) + sum(r.size for r in self.leftovers)

    def __bool__(self) -> bool:
        return bool(self.expired or self.leftovers)

    def summary(self) -> str:
        """One line for a log: counts, bytes and the dossier codes."""
        codes = sorted({f.code for f in self.expired})
        return (
            f"removed {len(self.expired)} unnamed upload(s) past their time"
            f"{' (' + ', '.join(codes) + ')' if codes else ''} and {len(self.leftovers)} "
            f"crash leftover(s): {self.size:,} bytes"
        )


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
    a PostgreSQL database keeps them in a table (SQLite needs a directory). `named` tells which
    uploads a recorded statement names; without it none is ever taken for unnamed (nothing
    expires, and the quota counts every upload until `clean` is given one)."""

    def __init__(
        self,
        database_url: str,
        data_key: DataKey,
        *,
        directory: Path | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        quota: Quota | None = None,
        named: Named | None = None,
        read_only: bool = False,
    ) -> None:
        super().__init__(database_url, read_only=read_only)
        self.max_bytes = max_bytes
        self.quota = quota or Quota()
        self.named = named
        self._wrapping_key = data_key.derive(WRAPPING_LABEL)
        self.create((*TABLES, ACCESS_TABLE.format(id=IDENTITY[self.kind]), ACCESS_INDEX))
        self._create_pending()
        if directory is not None:
            self.blobs: Blobs = DirectoryBlobs(directory, read_only=read_only)
        elif self.kind == "postgres":
            self.blobs = DatabaseBlobs(database_url, read_only=read_only)
        else:
            raise ValueError("a file store on SQLite keeps its files in a directory: name one")

    def _create_pending(self) -> None:
        if self.read_only:
            return
        with self.transaction() as cursor:
            if self.kind == "postgres":
                cursor.execute(DDL_LOCK)
            cursor.execute(EXISTS[self.kind], ("lienthong_file_pending",))
            if not cursor.fetchone()[0]:
                cursor.execute(
                    PENDING_TABLE
                    if self.kind == "postgres"
                    else PENDING_TABLE.replace("BYTEA", "BLOB")
                )
                cursor.execute(PENDING_FROM_FILES)
            for statement in INDEXES:
                cursor.execute(statement)

    # uploads ----------------------------------------------------------------------------------

    def receive(
        self,
        code: str,
        declared: bytes | None,
        *,
        office: str | None,
        officer: str | None,
        now: int,
        announced: int | None = None,
    ) -> Upload:
        """Start an upload of one file of dossier `code`; `declared` is the SHA-256 the caller
        says the bytes have (checked at the end), or None to take the bytes' own; `announced`,
        the size the request says it brings, if it does. BadIdentifier for a code that breaks
        the identifier rule; FileQuotaExceeded if the office's pending uploads fill its quota
        (bytes held already are sent again whatever the quota: they take no more room);
        FileErased if the dossier's files were erased. Expired pending uploads go first."""
        check_identifier(code, "dossier code")
        self.expire(now, limit=EXPIRE_BATCH)
        held = declared is not None and self.stored(code, declared) is not None
        room = self.max_bytes if held else self._room(office, now, announced)
        key, wrapped = self._file_key(code, create=True)
        blob = secrets.token_bytes(16)
        return Upload(
            self, code, declared, (key, wrapped), blob, self.blobs.writer(blob), (office, officer)
        ).within(room)

    def _keep(self, upload: Upload, sha256: bytes, now: int) -> tuple[StoredFile, bool]:
        """Record a complete, checked upload; (the file kept, whether it is new). Bytes already
        held for the dossier keep their first blob (the new one is discarded) and their time
        as a pending upload starts again. A new file is pending, within its office's quota."""
        code, office = upload.code, upload.uploader[0]
        with self.transaction() as cursor:
            self._same_key(cursor, code, upload.wrapped)
            cursor.execute(
                "INSERT INTO lienthong_files (code, sha256, size, blob, uploaded_at, office, "
                "officer) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (code, sha256) DO NOTHING",
                (code, sha256, upload.size, upload.blob, now, *upload.uploader),
            )
            new = cursor.rowcount == 1
            if new:
                cursor.execute(
                    "INSERT INTO lienthong_file_pending (code, sha256, office, size, "
                    "uploaded_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (code, sha256) DO UPDATE "
                    "SET office = excluded.office, size = excluded.size, "
                    "uploaded_at = excluded.uploaded_at",
                    (code, sha256, office, upload.size, now),
                )
                self._within_quota(cursor, office, now)
            else:
                cursor.execute(
                    "UPDATE lienthong_file_pending SET uploaded_at = ? WHERE code = ? AND "
                    "sha256 = ?",
                    (now, code, sha256),
                )
        stored = self.stored(code, sha256)
        if stored is None or stored.erased:
            raise FileErased(f"the files of dossier {code} were erased")
        if not new:
            self.blobs.delete([upload.blob])
        return stored, new

    def _same_key(self, cursor: Cursor, code: str, wrapped: bytes) -> None:
        """The dossier's file key is still the one the upload sealed with: kept again if its
        last pending file expired while this one arrived; refused if erased, or replaced."""
        cursor.execute(
            "INSERT INTO lienthong_file_keys (code, wrapped) VALUES (?, ?) "
            "ON CONFLICT (code) DO NOTHING",
            (code, wrapped),
        )
        cursor.execute("SELECT wrapped, erased_at FROM lienthong_file_keys WHERE code = ?", (code,))
        kept, erased_at = cursor.fetchone()
        if erased_at is not None:
            raise FileErased(f"the files of dossier {code} were erased")
        if bytes(kept) != wrapped:
            raise FileIncomplete(
                f"the file key of dossier {code} changed while the file arrived (its unnamed "
                f"uploads expired meanwhile): nothing was kept; send the file again"
            )

    # the quota and expiry of pending uploads ----------------------------------------------------

    def pending(self, office: str | None) -> tuple[int, int]:
        """(how many, how many bytes) of `office`'s uploads are pending."""
        rows = self.query(
            "SELECT count(*), coalesce(sum(size), 0) FROM lienthong_file_pending WHERE office = ?",
            (office,),
        )
        return int(rows[0][0]), int(rows[0][1])

    def _room(self, office: str | None, now: int, announced: int | None) -> int:
        """The bytes `office` may still upload as pending; FileQuotaExceeded if none. Uploads
        named since they came are let go first, when the quota looks full."""
        if office is None:
            return self.max_bytes
        count, size = self.pending(office)
        if self._over(count + 1, size + (announced or 0)) and self.named is not None:
            self.settle(office)
            count, size = self.pending(office)
        if self._over(count + 1, size + (announced or 0)):
            raise self._quota_exceeded(office, count, size, now)
        return self.quota.bytes - size

    def _over(self, count: int, size: int) -> bool:
        return count > self.quota.files or size > self.quota.bytes

    def _within_quota(self, cursor: Cursor, office: str | None, now: int) -> None:
        """Checked again as the file is kept (with the other uploads of the office that were
        kept meanwhile), in the transaction that keeps it."""
        if office is None:
            return
        cursor.execute(
            "SELECT count(*), coalesce(sum(size), 0) FROM lienthong_file_pending WHERE office = ?",
            (office,),
        )
        count, size = cursor.fetchone()
        if self._over(int(count), int(size)):
            raise self._quota_exceeded(office, int(count) - 1, int(size), now)

    def _quota_exceeded(self, office: str, count: int, size: int, now: int) -> FileQuotaExceeded:
        quota = self.quota
        return FileQuotaExceeded(
            f"office {office} holds {count} upload(s), {size:,} bytes, that no recorded statement "
            f"names yet; its quota is {quota.files} files and {quota.bytes:,} bytes: submit the "
            f"statements that list them, or wait — an upload no statement names is removed "
            f"{quota.hours:g} h after it arrived"
        )

    def settle(self, office: str) -> int:
        """Let go of `office`'s pending uploads that a recorded statement names now (they are
        kept as the dossier's files); how many."""
        assert self.named is not None
        rows = self.query(
            "SELECT code, sha256 FROM lienthong_file_pending WHERE office = ? ORDER BY code",
            (office,),
        )
        settled = 0
        for code, group in groupby(rows, key=lambda row: str(row[0])):
            named = self.named(code)
            for _code, sha256 in group:
                if bytes(sha256) in named:
                    self._let_go(code, bytes(sha256))
                    settled += 1
        return settled

    def expire(self, now: int, *, limit: int | None = None) -> list[StoredFile]:
        """Remove the pending uploads older than the quota's hours that no recorded statement
        names, with their blobs (oldest first; `limit` at most); the named ones are let go and
        kept. Nothing without `named`. Returns the files removed."""
        if self.named is None or self.read_only:
            return []
        rows = self.query(
            "SELECT code, sha256 FROM lienthong_file_pending WHERE uploaded_at <= ? "
            "ORDER BY uploaded_at, code, sha256 LIMIT ?",
            (now - self.quota.lifetime, 2**62 if limit is None else limit),
        )
        removed, names = [], {}
        for code, sha256 in rows:
            if code not in names:
                names[code] = self.named(code)
            if bytes(sha256) in names[code]:
                self._let_go(code, bytes(sha256))
            elif (gone := self._remove(code, bytes(sha256))) is not None:
                removed.append(gone)
        return removed

    def _let_go(self, code: str, sha256: bytes) -> None:
        with self.transaction() as cursor:
            cursor.execute(
                "DELETE FROM lienthong_file_pending WHERE code = ? AND sha256 = ?", (code, sha256)
            )

    def _remove(self, code: str, sha256: bytes) -> StoredFile | None:
        """Remove one pending file, its blob, and the dossier's file key if it was its last."""
        stored = self.stored(code, sha256)
        with self.transaction() as cursor:
            cursor.execute(
                "DELETE FROM lienthong_file_pending WHERE code = ? AND sha256 = ?", (code, sha256)
            )
            cursor.execute(
                "DELETE FROM lienthong_files WHERE code = ? AND sha256 = ? AND erased_at IS NULL",
                (code, sha256),
            )
            if cursor.rowcount != 1 or stored is None:
                return None
            cursor.execute(
                "DELETE FROM lienthong_file_keys WHERE code = ? AND erased_at IS NULL AND NOT "
                "EXISTS (SELECT 1 FROM lienthong_files WHERE code = ?)",
                (code, code),
            )
        self.blobs.delete([stored.blob])
        return stored

    def clean(self, now: int, named: Named | None = None) -> Cleaned:
        """Remove what no longer belongs: the pending uploads past their time that no recorded
        statement names (by `named`, or the store's own), then what crashes left — uploads cut
        off under .incoming, blobs no kept file names — leaving alone what live uploads, in
        this process or another, are writing."""
        if self.read_only:
            return Cleaned()
        if named is not None:
            self.named = named
        expired = self.expire(now)
        return Cleaned(expired, self.blobs.sweep(self._unnamed_blobs))

    def _unnamed_blobs(self, blobs: list[bytes]) -> set[bytes]:
        """Those of `blobs` that no kept, unerased file names."""
        marks = ", ".join("?" * len(blobs))
        rows = self.query(
            f"SELECT blob FROM lienthong_files WHERE erased_at IS NULL AND blob IN ({marks})",  # noqa: S608
            blobs,
        )
        return set(blobs) - {bytes(row[0]) for row in rows}

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
        download = Download(self.blobs, stored, self._file_key(code, create=False)[0])
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
            cursor.execute("DELETE FROM lienthong_file_pending WHERE code = ?", (code,))
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

    def _file_key(self, code: str, *, create: bool) -> tuple[AESGCM, bytes]:
        """The dossier's file key, and the wrapped form it is kept in."""
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
        return AESGCM(key), sealed


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
        key: tuple[AESGCM, bytes],
        blob: bytes,
        writer: BlobWriter,
        uploader: tuple[str | None, str | None],
    ) -> None:
        self.store, self.code, self.declared = store, code, declared
        self.key, self.wrapped = key
        self.blob, self.writer, self.uploader = blob, writer, uploader
        self.hash = hashlib.sha256()
        self.size = 0
        self.room = store.max_bytes
        self.index = 0
        self.buffer = bytearray()
        self.closed = False

    def within(self, room: int) -> Upload:
        """Refuse the upload as it arrives past `room` bytes: what its office's quota leaves."""
        self.room = room
        return self

    def write(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.store.max_bytes:
            self.abort()
            raise FileTooLarge(
                f"a file may hold {self.store.max_bytes:,} bytes at most; this one is larger"
            )
        if self.size > self.room:
            self.abort()
            quota = self.store.quota
            raise FileQuotaExceeded(
                f"office {self.uploader[0]} may hold {quota.bytes:,} bytes of uploads that no "
                f"recorded statement names yet; this file would take it past them: submit the "
                f"statements that list its other uploads, or wait — an upload no statement "
                f"names is removed {quota.hours:g} h after it arrived"
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
        try:
            self.writer.commit()
            return self.store._keep(self, digest, now)
        except BaseException:
            self.store.blobs.delete([self.blob])
            raise
        finally:
            self.writer.release()

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
