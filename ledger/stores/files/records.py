"""The files kept: their rows, their keys, erasure and the access log.

A file is stored once per (dossier code, SHA-256 of the plaintext), under the dossier's file key:
an AES-256-GCM key of its own, kept wrapped by a key derived from the data key (the applicant
records' key family). Erasing a dossier's personal data destroys its file key and its files; the
log, which holds only the hashes, stays whole: their hashes stay listed, marked erased, and later
uploads to the dossier are refused. Every download, served or refused, is written to the access
log. A part of FileStore (store.py).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ledger.errors import FileCorrupted, FileErased
from ledger.stores.blobs import Blobs
from ledger.stores.database import Database

FILE_KEY_AAD = b"lienthong file key v1\n"
HASHES_AT_ONCE = 900  # dossier codes asked in one query by `FileRecords.hashes`
WRAPPING_LABEL = b"lienthong file wrapping key v1"

TABLES = (
    "CREATE TABLE IF NOT EXISTS lienthong_files ("
    "code TEXT NOT NULL, sha256 BYTEA NOT NULL, size BIGINT NOT NULL, blob BYTEA NOT NULL, "
    "uploaded_at BIGINT NOT NULL, office TEXT, officer TEXT, erased_at BIGINT, "
    "PRIMARY KEY (code, sha256))",
    "CREATE TABLE IF NOT EXISTS lienthong_file_keys ("
    "code TEXT PRIMARY KEY, wrapped BYTEA, erased_at BIGINT)",
    # each new file's key until the views have seen it (ledger/views/marks.py): a file that
    # completes the scans a receipt listed makes the dossier digitised in the office reports
    "CREATE TABLE IF NOT EXISTS lienthong_files_unseen ("
    "code TEXT NOT NULL, sha256 BYTEA NOT NULL, PRIMARY KEY (code, sha256))",
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


class FileRecords(Database):
    """The rows of the files kept, their keys and the access log (a part of FileStore)."""

    blobs: Blobs
    _wrapping_key: bytes

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

    def hashes(self, codes: Iterable[str]) -> dict[str, set[bytes]]:
        """For each of `codes` with files: the SHA-256s of the files kept for it, erased ones
        too (what `files` lists), asked HASHES_AT_ONCE codes a query rather than one each."""
        wanted = sorted(set(codes))
        found: dict[str, set[bytes]] = {}
        for first in range(0, len(wanted), HASHES_AT_ONCE):
            batch = wanted[first : first + HASHES_AT_ONCE]
            rows = self.query(
                "SELECT code, sha256 FROM lienthong_files "  # noqa: S608
                f"WHERE code IN ({', '.join('?' for _ in batch)})",
                batch,
            )
            for code, sha256 in rows:
                found.setdefault(str(code), set()).add(bytes(sha256))
        return found

    def missing(self, code: str, hashes: list[bytes]) -> list[bytes]:
        """Those of `hashes` not held for `code` (never uploaded, or erased), in order."""
        held = {f.sha256 for f in self.files(code) if not f.erased}
        return [h for h in hashes if h not in held]

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
