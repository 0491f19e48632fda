"""What the command line and the HTTP API say about a key and its certificates: the kind of key
(how its statements are signed), and of each DER certificate its subject, issuer, validity and
SHA-256 fingerprint (the digest a `key.registered` names it by). Reads only; the checks are the
ledger's (ledger/statements/certificates.py)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from domain.instant import format_local, from_datetime, in_range
from ledger.statements.signing import key_id

KeyKind = Literal["ed25519", "rsa-pss", "ecdsa-p256", "unknown"]


def key_kind(public_key: bytes) -> KeyKind:
    """ed25519 (a 32-byte key), rsa-pss or ecdsa-p256 (a DER SubjectPublicKeyInfo): how the
    key's statements are signed (ledger/statements/signing.py); "unknown" for anything else."""
    if len(public_key) == 32:
        return "ed25519"
    try:
        loaded = serialization.load_der_public_key(public_key)
    except ValueError:
        return "unknown"
    if isinstance(loaded, rsa.RSAPublicKey):
        return "rsa-pss"
    if isinstance(loaded, ec.EllipticCurvePublicKey) and isinstance(loaded.curve, ec.SECP256R1):
        return "ecdsa-p256"
    return "unknown"


@dataclass(frozen=True)
class CertificateInfo:
    subject: str  # RFC 4514 text: it holds the officer's name, shown only to who may see it
    issuer: str
    serial: str  # hex
    not_before: datetime  # UTC (a certificate may say 9999-12-31: no instant of the ledger)
    not_after: datetime
    sha256: str  # hex of the SHA-256 of the DER: the certificate's fingerprint
    key: str  # the key id of its public key (what a key.registered of this certificate names)
    self_signed: bool


def describe(der: bytes) -> CertificateInfo:
    """What a DER certificate says of itself (ValueError if it is not one)."""
    certificate = x509.load_der_x509_certificate(der)
    public = certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return CertificateInfo(
        subject=certificate.subject.rfc4514_string(),
        issuer=certificate.issuer.rfc4514_string(),
        serial=f"{certificate.serial_number:x}",
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        sha256=hashlib.sha256(der).hexdigest(),
        key=key_id(public),
        self_signed=certificate.subject == certificate.issuer,
    )


def local_text(moment: datetime) -> str:
    """dd/mm/yyyy HH:MM in Vietnam time, as the other commands write instants; a moment past
    the ledger's instants (a certificate "valid until 9999") as ISO 8601 in UTC."""
    at = from_datetime(moment)
    return format_local(at) if in_range(at) else moment.isoformat()
