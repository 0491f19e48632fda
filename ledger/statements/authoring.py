"""Building and signing statements on the current head: for the command line, demos and tests.

The server never signs for an officer; these helpers run where the key is (an officer's own
machine, or demo and test tooling that holds demo keys openly).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from domain.statement import AUTHORITY, Statement, family
from ledger.application import Ledger, Receipt
from ledger.reference.calendar import load_calendar
from ledger.statements import certificates, schema
from ledger.statements.signing import Envelope, SigningKey, StatementKey, key_id, spki_of
from ledger.views.sla import appointed_for


def prepare(
    ledger: Ledger,
    kind: str,
    subject: str,
    body: Mapping[str, Any],
    *,
    office: str,
    officer: str,
    key: str,
    at: int | None = None,
    seq: int | None = None,
    prev: bytes | None = None,
) -> bytes:
    """Canonical bytes of a statement built on the subject's current head (unless given).
    A `dossier.received` without `appointed` gets the appointed return time the law gives:
    the procedure version's budgets counted on the working-day calendar from `at`."""
    head_seq, head = ledger.head(family(kind), subject)
    at = ledger.clock.now() if at is None else at
    if kind == "dossier.received" and "appointed" not in body:
        version = ledger.procedure(body["procedure"]).get_version(body["version"])
        body = {**body, "appointed": appointed_for(version, at, load_calendar())}
    return schema.build(
        Statement(
            kind=kind,
            subject=subject,
            seq=head_seq + 1 if seq is None else seq,
            prev=head if prev is None else prev,
            office=office,
            officer=officer,
            key=key,
            at=at,
            body=body,
        )
    )


@dataclass(frozen=True)
class Signer:
    """One signing identity: a key and the officer and office it signs for."""

    ledger: Ledger
    key: StatementKey
    officer: str
    office: str

    @classmethod
    def authority(cls, ledger: Ledger, key: StatementKey) -> Signer:
        return cls(ledger, key, AUTHORITY, AUTHORITY)

    def envelope(self, kind: str, subject: str, body: Mapping[str, Any], **head: Any) -> Envelope:
        raw = prepare(
            self.ledger,
            kind,
            subject,
            body,
            office=self.office,
            officer=self.officer,
            key=self.key.key_id,
            **head,
        )
        return Envelope(raw, self.key.sign(raw))

    def record(self, kind: str, subject: str, body: Mapping[str, Any], **head: Any) -> Receipt:
        envelope = self.envelope(kind, subject, body, **head)
        return self.ledger.record(envelope.statement, envelope.signature)


def initialise(ledger: Ledger, authority_key: SigningKey) -> Receipt:
    """Record the genesis statement: the authority key, self-signed."""
    return Signer(ledger, authority_key, AUTHORITY, AUTHORITY).record(
        "authority.established",
        AUTHORITY,
        {"public_key": authority_key.public_key},
    )


def register_certificate_key(
    signer: Signer,
    officer: str,
    chain: Sequence[bytes],
    *,
    role: str = "officer",
    effective: int | None = None,
) -> Receipt:
    """Enrol an official-duty certificate: keep its chain (DER, the officer's certificate first)
    beside the log, then record `key.registered` naming each certificate by its SHA-256.
    `signer` is the authority or a registrar."""
    ledger = signer.ledger
    public_key = spki_of(certificates.load_certificate(chain[0]).public_key())  # type: ignore[arg-type]
    digests = [ledger.keep_pki("certificate", der) for der in chain]
    return signer.record(
        "key.registered",
        key_id(public_key),
        {
            "officer": officer,
            "public_key": public_key,
            "role": role,
            "effective": ledger.clock.now() if effective is None else effective,
            "certificates": digests,
        },
    )


def record_revocation(signer: Signer, kind: str, der: bytes) -> Receipt:
    """Record a CRL or an OCSP response of a CA: kept beside the log, then `revocation.recorded`
    on the issuing CA (named by its key id). `signer` is the authority or a registrar."""
    ledger = signer.ledger
    item = certificates.Revocation(kind, der)
    issuer = ledger.issuer_key_id(item)
    digest = ledger.keep_pki(kind, der)
    return signer.record(
        "revocation.recorded",
        issuer,
        {"format": kind, "sha256": digest, "produced": certificates.produced_at(item)},
    )
