"""Uploads no recorded statement names yet: each office's quota of them, and their expiry.

An upload no recorded statement names yet is *pending*: each office may hold a quota of them (a
number of files and of bytes), and one still unnamed when it expires (24 hours after it arrived,
by default) is removed with its blob — so uploads under codes that are never received do not
stay. `clean` removes those, and what a crash left behind: uploads cut off under .incoming and
blobs no file names (the blob store tells them from live uploads by the claim each writer holds;
ledger/stores/blobs.py). A part of FileStore (store.py).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from itertools import groupby
from typing import TYPE_CHECKING

from ledger.errors import FileQuotaExceeded
from ledger.stores.blobs import Removed
from ledger.stores.database import DDL_LOCK, Cursor
from ledger.stores.files.records import FileRecords, StoredFile

if TYPE_CHECKING:
    from ledger.application import Ledger

EXPIRE_BATCH = 20  # expired pending uploads an upload removes on its way in, at most

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


class PendingFiles(FileRecords):
    """The pending uploads of the files kept: quota, settling and expiry (a part of FileStore)."""

    max_bytes: int
    quota: Quota
    named: Named | None

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
