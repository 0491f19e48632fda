"""The file store: a dossier's files received, kept and opened.

Only a dossier code that passes the identifier rule gets files. An upload of bytes already held
is discarded and answered with the file already kept; a new one is pending, within its office's
quota (pending.py), until a recorded statement names it. The sealed chunks live in a directory
(the default) or, on PostgreSQL, in a table of chunk rows; what is stored, the file keys and the
access log are tables beside the log (records.py).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

from domain.identifier import check_identifier
from ledger.errors import FileCorrupted, FileErased, FileIncomplete, FileNotUploaded
from ledger.stores.applicants import DataKey
from ledger.stores.blobs import Blobs, DatabaseBlobs, DirectoryBlobs
from ledger.stores.database import Cursor
from ledger.stores.files.pending import EXPIRE_BATCH, Named, PendingFiles, Quota
from ledger.stores.files.records import (
    ACCESS_INDEX,
    ACCESS_TABLE,
    COLUMNS,
    IDENTITY,
    TABLES,
    WRAPPING_LABEL,
    StoredFile,
    _stored,
)
from ledger.stores.files.streams import Download, Upload

DEFAULT_MAX_BYTES = 50 * 1024 * 1024


class FileStore(PendingFiles):
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
                cursor.execute(  # for the views, in the file's own transaction (views/marks.py)
                    "INSERT INTO lienthong_files_unseen (code, sha256) VALUES (?, ?) "
                    "ON CONFLICT (code, sha256) DO NOTHING",
                    (code, sha256),
                )
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

    # downloads ----------------------------------------------------------------------------------

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
