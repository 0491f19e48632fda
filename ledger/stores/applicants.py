"""Applicant records: the personal data behind the `applicant` commitment of a `dossier.received`
statement, kept encrypted beside the log and never in it.

Each dossier has an AES-256-GCM key of its own, stored wrapped by the store's data key. Erasing a
record deletes that key and the ciphertexts; the commitment stays, so the log stays whole and
verifiable, but nobody can open the record any more.

A sealed value is nonce (12 random bytes) ‖ AES-GCM ciphertext and tag, with associated data:
- the dossier key, under the wrapping key: KEY_AAD ‖ code (UTF-8);
- the record, under the dossier key: RECORD_AAD ‖ code ‖ commitment (32 bytes); the plaintext is
  the canonical msgpack of {"details": details, "salt": salt};
- the receipt secret, under the dossier key: SECRET_AAD ‖ code ‖ commitment; plaintext its ASCII.
The prefixes differ, so no sealed value is accepted in place of another or for another dossier.
The wrapping key and the receipt secrets' HMAC key are HMAC-SHA256(data key, label), one each.

A record is pending from `propose` until `confirm`, which the caller makes once the ledger has
recorded the statement; pending records older than a day are purged at the next proposal.
A pending record belongs to the office and officer who proposed it: for an hour (HOLD_MICROS)
nobody else may replace it (ApplicantHeld), so a receipt being signed cannot have its details
swapped by another office between prepare and submit. `confirm` marks only the record committing
to what the recorded statement signed, proposed in the statement's office; `read` and
`check_secret`, given that signed commitment, serve nothing that commits to anything else
(ApplicantMismatch). Records kept before owners were recorded have none (NULL): any office may
replace or confirm them, as before.
SQLite overwrites deleted bytes (secure_delete); PostgreSQL keeps a deleted row until VACUUM, and
backups keep what they copied: erasure is complete once those are gone.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from domain.instant import format_local
from ledger.errors import (
    ApplicantErased,
    ApplicantExists,
    ApplicantHeld,
    ApplicantMismatch,
    ApplicantUnreadable,
    BadApplicantDetails,
    BadKeyFile,
    UnknownApplicant,
)
from ledger.statements import canonical
from ledger.statements.signing import read_key_file, write_key_file
from ledger.stores.database import DDL_LOCK, Database

SALT_BYTES = 32
PENDING_MICROS = 24 * 3600 * 1_000_000
# how long a pending record is its proposer's alone: far longer than signing takes (a statement
# more than the clock tolerance, ten minutes by default, from the ledger's clock is refused anyway),
# short enough that nobody can hold a dossier code against its office for long
HOLD_MICROS = 3600 * 1_000_000
RECEIPT_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32: no I, L, O, U
SECRET_LENGTH = 10
DATA_KEY_TYPE = "lienthong-applicant-data-key"
KEY_AAD = b"lienthong applicant key v1\n"
RECORD_AAD = b"lienthong applicant record v1\n"
SECRET_AAD = b"lienthong receipt secret v1\n"
SECRET_MAC = b"lienthong receipt secret mac v1\n"
# what a citizen may type: any case, spaces and dashes, and I, L, O for 1, 1, 0 (as Crockford reads)
_TYPED = str.maketrans("ILO", "110", " -")

TABLES = (
    "CREATE TABLE IF NOT EXISTS lienthong_applicants ("
    "code TEXT PRIMARY KEY, commitment BYTEA NOT NULL, record BYTEA, proposed_at BIGINT NOT NULL, "
    "recorded_at BIGINT, secret BYTEA, secret_mac BYTEA, erased_at BIGINT, office TEXT, "
    "officer TEXT)",
    "CREATE INDEX IF NOT EXISTS lienthong_applicants_pending "
    "ON lienthong_applicants (proposed_at) WHERE recorded_at IS NULL",
    "CREATE TABLE IF NOT EXISTS lienthong_applicant_keys ("
    "code TEXT PRIMARY KEY, wrapped BYTEA NOT NULL)",
)
# pending records nobody confirmed within a day: their statement was never recorded
PURGE_PENDING = (
    "DELETE FROM lienthong_applicant_keys WHERE code IN (SELECT code "
    "FROM lienthong_applicants WHERE recorded_at IS NULL AND proposed_at < ?)",
    "DELETE FROM lienthong_applicants WHERE recorded_at IS NULL AND proposed_at < ?",
)
# columns added since the table was first made, each added to a table that lacks it (by
# ALTER TABLE ADD COLUMN: the rows kept stay as they are, with NULL in the new column)
ADDED_COLUMNS = (("office", "TEXT"), ("officer", "TEXT"))
# a pending record is replaced by its own proposer, or by anyone once it is no longer held (or was
# kept without a proposer); a recorded one, or one another caller holds, is left as it is (and no
# row counts as changed)
PUT_PENDING = (
    "INSERT INTO lienthong_applicants (code, commitment, record, proposed_at, office, officer) "
    "VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (code) DO UPDATE SET commitment = excluded.commitment, record = excluded.record, "
    "proposed_at = excluded.proposed_at, erased_at = NULL, office = excluded.office, "
    "officer = excluded.officer "
    "WHERE lienthong_applicants.recorded_at IS NULL AND ("
    "lienthong_applicants.office IS NULL OR lienthong_applicants.proposed_at < ? OR "
    "(lienthong_applicants.office = excluded.office "
    "AND lienthong_applicants.officer = excluded.officer))"
)
PUT_KEY = (
    "INSERT INTO lienthong_applicant_keys (code, wrapped) VALUES (?, ?) "
    "ON CONFLICT (code) DO UPDATE SET wrapped = excluded.wrapped"
)


def applicant_commitment(salt: bytes, details: Mapping[str, str]) -> bytes:
    """The `applicant` field of `dossier.received`: SHA-256(salt ‖ canonical msgpack of details).

    `salt` is 32 bytes (ValueError otherwise). `details` maps text to text, keys and values in
    Unicode NFC; it is encoded as one msgpack map, keys sorted by their UTF-8 bytes, each string
    in its shortest str form (ledger.statements.canonical). BadApplicantDetails if it is not such a map."""
    if len(salt) != SALT_BYTES:
        raise ValueError(f"an applicant salt is {SALT_BYTES} bytes, not {len(salt)}")
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in details.items()):
        raise BadApplicantDetails("applicant details map text to text")
    try:
        return hashlib.sha256(salt + canonical.encode(details)).digest()
    except ValueError as problem:
        raise BadApplicantDetails(f"applicant details {problem}") from None


@dataclass(frozen=True)
class DataKey:
    """The store's key-encryption key: 32 secret bytes from which the wrapping and MAC keys come."""

    secret: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.secret) != 32:
            raise ValueError(f"a data key is 32 bytes, not {len(self.secret)}")

    @classmethod
    def generate(cls) -> DataKey:
        return cls(secrets.token_bytes(32))

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the key file with mode 0600; FileExistsError rather than overwrite a key."""
        document = {"type": DATA_KEY_TYPE, "seed": base64.b64encode(self.secret).decode()}
        write_key_file(Path(path), document)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> DataKey:
        """The key in a data key file; BadKeyFile naming the file and the problem."""
        _document, secret = read_key_file(Path(path), DATA_KEY_TYPE, "data key")
        if len(secret) != 32:
            raise BadKeyFile(f"{path} holds {len(secret)} key bytes; a data key is 32")
        return cls(secret)

    def derive(self, label: bytes) -> bytes:
        """HMAC-SHA256(secret, label): a key of its own for each use of the data key."""
        return hmac.digest(self.secret, label, "sha256")


@dataclass(frozen=True)
class Proposal:
    """What the dossier.received statement commits to: `commitment` = applicant_commitment(salt, …)."""

    code: str
    salt: bytes
    commitment: bytes


@dataclass(frozen=True)
class ApplicantRecord:
    code: str
    details: dict[str, str]
    salt: bytes
    commitment: bytes
    recorded: bool


class ApplicantStore(Database):
    """Encrypted applicant records, one per dossier code, with their receipt secrets.
    Times are integer microseconds since the epoch, passed in by the caller."""

    def __init__(self, database_url: str, data_key: DataKey, *, read_only: bool = False) -> None:
        super().__init__(database_url, read_only=read_only)
        self._wrapping_key = data_key.derive(b"lienthong applicant wrapping key v1")
        self._mac_key = data_key.derive(b"lienthong receipt secret mac key v1")
        if self.kind == "sqlite" and not read_only:
            self.query("PRAGMA secure_delete = ON")
        self.create(TABLES)
        self._add_columns()

    def _add_columns(self) -> None:
        """Give a table made by an earlier version the columns added since (ADDED_COLUMNS)."""
        if self.read_only:
            return
        with self.transaction() as cursor:
            if self.kind == "postgres":
                cursor.execute(DDL_LOCK)  # servers starting together take turns
                cursor.execute(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_schema = current_schema() AND table_name = ?",
                    ("lienthong_applicants",),
                )
                present = {str(row[0]) for row in cursor.fetchall()}
            else:
                cursor.execute("PRAGMA table_info(lienthong_applicants)")
                present = {str(row[1]) for row in cursor.fetchall()}
            for name, kind in ADDED_COLUMNS:
                if name not in present:
                    cursor.execute(f"ALTER TABLE lienthong_applicants ADD COLUMN {name} {kind}")

    def propose(
        self, code: str, details: Mapping[str, str], now: int, *, office: str, officer: str
    ) -> Proposal:
        """Store `details` as the pending record of `code`, under a new salt and a new dossier key,
        proposed by `officer` of `office`. It replaces a pending record the same officer proposed,
        or one nobody has held for HOLD_MICROS. ApplicantExists if the code's record was recorded,
        ApplicantHeld if another officer's pending record is held; nothing is stored then."""
        salt = secrets.token_bytes(SALT_BYTES)
        commitment = applicant_commitment(salt, details)
        dossier_key = AESGCM.generate_key(bit_length=256)
        plain = canonical.encode({"details": details, "salt": salt})
        record = _seal(dossier_key, plain, RECORD_AAD + code.encode() + commitment)
        wrapped = _seal(self._wrapping_key, dossier_key, KEY_AAD + code.encode())
        with self.transaction() as cursor:
            for purge in PURGE_PENDING:
                cursor.execute(purge, (now - PENDING_MICROS,))
            cursor.execute(
                PUT_PENDING, (code, commitment, record, now, office, officer, now - HOLD_MICROS)
            )
            if cursor.rowcount != 1:
                cursor.execute(
                    "SELECT recorded_at, proposed_at, office, officer FROM lienthong_applicants "
                    "WHERE code = ?",
                    (code,),
                )
                raise _not_replaced(code, cursor.fetchone())
            cursor.execute(PUT_KEY, (code, wrapped))
        return Proposal(code, salt, commitment)

    def confirm(self, code: str, commitment: bytes, now: int, *, office: str) -> str | None:
        """Mark the record of `code` with `commitment`, proposed in `office` (the recorded
        statement's), recorded and return its receipt secret: ten characters of RECEIPT_ALPHABET,
        the same on every call. None if there is no such record (or it was erased): the
        statement's applicant data is kept elsewhere."""
        rows = self.query(
            "SELECT a.recorded_at, a.secret, k.wrapped FROM lienthong_applicants a "
            "JOIN lienthong_applicant_keys k ON k.code = a.code "
            "WHERE a.code = ? AND a.commitment = ? AND a.erased_at IS NULL "
            "AND (a.office IS NULL OR a.office = ?)",
            (code, commitment, office),
        )
        if not rows:
            return None
        recorded_at, sealed_secret, wrapped = rows[0]
        dossier_key = self._unwrap(code, wrapped)
        aad = SECRET_AAD + code.encode() + commitment
        if recorded_at is not None:
            return _open(dossier_key, sealed_secret, aad, code).decode("ascii")
        secret = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(SECRET_LENGTH))
        sealed, mac = _seal(dossier_key, secret.encode(), aad), self._mac(code, secret)
        with self.transaction() as cursor:
            cursor.execute(
                "UPDATE lienthong_applicants SET recorded_at = ?, secret = ?, secret_mac = ? "
                "WHERE code = ? AND commitment = ? AND recorded_at IS NULL AND erased_at IS NULL",
                (now, sealed, mac, code, commitment),
            )
            if cursor.rowcount == 1:
                return secret
        # confirmed (or erased) meanwhile: read again
        return self.confirm(code, commitment, now, office=office)

    def check_secret(self, code: str, secret: str, signed: bytes | None = None) -> bool:
        """Whether `secret` is the receipt secret of the recorded, unerased record of `code` —
        with `signed`, of the one committing to it (the recorded statement's commitment) —
        compared in constant time. Case, spaces, dashes and I/L/O for 1/1/0 are forgiven."""
        typed = secret.strip().upper().translate(_TYPED)
        if len(typed) != SECRET_LENGTH or not set(typed) <= set(RECEIPT_ALPHABET):
            return False
        rows = self.query(
            "SELECT secret_mac, commitment FROM lienthong_applicants "
            "WHERE code = ? AND secret_mac IS NOT NULL AND erased_at IS NULL",
            (code,),
        )
        if not rows or (signed is not None and bytes(rows[0][1]) != signed):
            return False
        return hmac.compare_digest(bytes(rows[0][0]), self._mac(code, typed))

    def read(self, code: str, signed: bytes | None = None) -> ApplicantRecord:
        """The decrypted record of `code`. Routes serving it give `signed`, the commitment of the
        recorded dossier.received: ApplicantMismatch if the record commits to anything else, and
        nothing of it is decrypted. UnknownApplicant if there is none, ApplicantErased if it was
        erased, ApplicantUnreadable if it does not decrypt with this store's data key or does not
        match its own commitment."""
        rows = self.query(
            "SELECT a.commitment, a.record, a.recorded_at, a.erased_at, k.wrapped "
            "FROM lienthong_applicants a LEFT JOIN lienthong_applicant_keys k ON k.code = a.code "
            "WHERE a.code = ?",
            (code,),
        )
        if not rows:
            raise UnknownApplicant(f"there is no applicant record for dossier {code}")
        commitment, record, recorded_at, erased_at, wrapped = rows[0]
        if erased_at is not None:
            raise ApplicantErased(f"the applicant record of dossier {code} was erased")
        commitment = bytes(commitment)
        if signed is not None and commitment != signed:
            raise ApplicantMismatch(
                f"the applicant record kept for dossier {code} commits to {commitment.hex()[:16]}…, "
                f"but its recorded dossier.received signed {signed.hex()[:16]}…: the record is "
                f"not the one the receiving officer signed, and is not served"
            )
        dossier_key = self._unwrap(code, wrapped)
        plain = _open(dossier_key, record, RECORD_AAD + code.encode() + commitment, code)
        value = canonical.decode(plain, max_bytes=len(plain))  # authentic: this store wrote it
        details, salt = dict(value["details"]), bytes(value["salt"])
        if applicant_commitment(salt, details) != commitment:
            raise ApplicantUnreadable(f"dossier {code}'s record does not match its commitment")
        return ApplicantRecord(code, details, salt, commitment, recorded_at is not None)

    def receipt_secret(self, code: str, signed: bytes) -> str:
        """The receipt secret of the recorded record of `code` committing to `signed` (the
        recorded dossier.received's commitment), decrypted: what the receipt printed for the
        applicant, printed again. UnknownApplicant if there is no recorded record, ApplicantErased
        if it was erased, ApplicantMismatch if it commits to anything else."""
        rows = self.query(
            "SELECT a.commitment, a.secret, a.erased_at, k.wrapped FROM lienthong_applicants a "
            "LEFT JOIN lienthong_applicant_keys k ON k.code = a.code WHERE a.code = ?",
            (code,),
        )
        if not rows:
            raise UnknownApplicant(f"there is no applicant record for dossier {code}")
        commitment, sealed, erased_at, wrapped = rows[0]
        if erased_at is not None:
            raise ApplicantErased(f"the applicant record of dossier {code} was erased")
        if bytes(commitment) != signed:
            raise ApplicantMismatch(
                f"the applicant record kept for dossier {code} is not the one its recorded "
                f"dossier.received signed; its receipt secret is not served"
            )
        if sealed is None:
            raise UnknownApplicant(f"dossier {code}'s applicant record was never recorded")
        aad = SECRET_AAD + code.encode() + signed
        return _open(self._unwrap(code, wrapped), sealed, aad, code).decode("ascii")

    def erase(self, code: str, now: int) -> None:
        """Delete the dossier's key, the record and the receipt secret; the commitment stays, with
        the time of erasure. Erasing again changes nothing; UnknownApplicant if there is no record."""
        with self.transaction() as cursor:
            cursor.execute("DELETE FROM lienthong_applicant_keys WHERE code = ?", (code,))
            cursor.execute(
                "UPDATE lienthong_applicants SET record = NULL, secret = NULL, secret_mac = NULL, "
                "erased_at = COALESCE(erased_at, ?) WHERE code = ?",
                (now, code),
            )
            if cursor.rowcount != 1:
                raise UnknownApplicant(f"there is no applicant record for dossier {code}")

    def erased_at(self, code: str) -> int | None:
        """When the record of `code` was erased; None if it was not, or there is no record."""
        rows = self.query("SELECT erased_at FROM lienthong_applicants WHERE code = ?", (code,))
        return None if not rows or rows[0][0] is None else int(rows[0][0])

    def _unwrap(self, code: str, wrapped: bytes | None) -> bytes:
        return _open(self._wrapping_key, wrapped, KEY_AAD + code.encode(), code)

    def _mac(self, code: str, secret: str) -> bytes:
        """HMAC-SHA256(MAC key, SECRET_MAC ‖ code ‖ the secret's ten ASCII characters)."""
        return hmac.digest(self._mac_key, SECRET_MAC + code.encode() + secret.encode(), "sha256")


def _not_replaced(code: str, row: Any) -> ApplicantExists | ApplicantHeld:
    """Why a proposal stored nothing: the record is recorded, or another officer holds it."""
    recorded_at, proposed_at, office, officer = row
    if recorded_at is not None:
        return ApplicantExists(f"the applicant record of dossier {code} is already recorded")
    until = format_local(int(proposed_at) + HOLD_MICROS)
    return ApplicantHeld(
        f"officer {officer} of office {office} is receiving dossier {code} and holds its "
        f"applicant details until {until}; nobody else may replace them. Check the "
        f"dossier code: if it is right, ask office {office}, or try again after {until}"
    )


def _seal(key: bytes, plain: bytes, aad: bytes) -> bytes:
    nonce = secrets.token_bytes(12)
    return nonce + AESGCM(key).encrypt(nonce, plain, aad)


def _open(key: bytes, sealed: bytes | None, aad: bytes, code: str) -> bytes:
    try:
        if sealed is None:
            raise InvalidTag
        return AESGCM(key).decrypt(bytes(sealed[:12]), bytes(sealed[12:]), aad)
    except (InvalidTag, ValueError):
        raise ApplicantUnreadable(
            f"dossier {code}'s applicant record does not decrypt: it was stored under another "
            f"data key, or its stored bytes were altered"
        ) from None
