"""Certificates and revocation data kept beside the log (side data referenced by hash).

A key registered with an official-duty certificate names its chain in `key.registered` by the
SHA-256 of each DER certificate, and a `revocation.recorded` statement names a CRL or an OCSP
response the same way; the bytes themselves are kept here. Certificates carry the officer's name
(personal data, which statements never hold); keeping them out of the log lets them be withheld
from the public while the log stays whole. Everything here is content-addressed: a row is its
SHA-256, so nothing kept can be changed without the hash in the log noticing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from ledger.errors import BadCertificate
from ledger.stores.database import Database

TABLES = (
    "CREATE TABLE IF NOT EXISTS lienthong_pki_objects ("
    "sha256 BYTEA PRIMARY KEY, kind TEXT NOT NULL, der BYTEA NOT NULL, added_at BIGINT NOT NULL)",
)
KINDS = ("certificate", "crl", "ocsp")
MAX_OBJECT_BYTES = 8 * 1024 * 1024  # a large CA's full CRL


class PkiStore(Database):
    def __init__(self, database_url: str, *, read_only: bool = False) -> None:
        super().__init__(database_url, read_only=read_only)
        self.create(TABLES)

    def put(self, kind: str, der: bytes, added_at: int) -> bytes:
        """Keep `der`; returns its SHA-256. Keeping the same bytes again changes nothing."""
        if kind not in KINDS:
            raise BadCertificate(f"side data is one of {', '.join(KINDS)}, not {kind!r}")
        if not der or len(der) > MAX_OBJECT_BYTES:
            raise BadCertificate(f"a {kind} is 1 to {MAX_OBJECT_BYTES} bytes, not {len(der)}")
        digest = hashlib.sha256(der).digest()
        with self.transaction() as cursor:
            cursor.execute(
                "INSERT INTO lienthong_pki_objects (sha256, kind, der, added_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING",
                (digest, kind, der, added_at),
            )
        return digest

    def get(self, digest: bytes) -> bytes | None:
        rows = self.query("SELECT der FROM lienthong_pki_objects WHERE sha256 = ?", (digest,))
        return bytes(rows[0][0]) if rows else None

    def kind_of(self, digest: bytes) -> str | None:
        """The kind the object was kept as (certificate, crl or ocsp), None if none is kept."""
        rows = self.query("SELECT kind FROM lienthong_pki_objects WHERE sha256 = ?", (digest,))
        return str(rows[0][0]) if rows else None

    def require(self, digests: Iterable[bytes], what: str) -> list[bytes]:
        """The DER of each digest, in order; BadCertificate naming the first one not kept."""
        found: list[bytes] = []
        for index, digest in enumerate(digests):
            der = self.get(digest)
            if der is None:
                raise BadCertificate(
                    f"{what} {index + 1} (SHA-256 {digest.hex()}) is not kept by this ledger: "
                    f"upload it before the statement that names it"
                )
            found.append(der)
        return found

    def all_certificates(self) -> list[bytes]:
        rows = self.query(
            "SELECT der FROM lienthong_pki_objects WHERE kind = 'certificate' ORDER BY sha256"
        )
        return [bytes(row[0]) for row in rows]
