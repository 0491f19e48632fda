"""Official-duty certificates of the test hierarchy (tests/pki.py) for a key whose private half is
on a token: the certificate authority is given only the public key, as a real one is given a
certificate request, and signs the certificate with its own fixed key."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tests.pki import NOT_AFTER, NOT_BEFORE, Hierarchy, _certificate, _serial, name


@dataclass(frozen=True)
class TokenCertificate:
    """A certificate whose private key stays on a token."""

    certificate: x509.Certificate

    @property
    def der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)


def issue_for_public_key(
    hierarchy: Hierarchy, label: str, *, office: str, spki: bytes, common: str | None = None
) -> TokenCertificate:
    """An official-duty certificate of `office` (its name in O) for the key `spki` (DER
    SubjectPublicKeyInfo), issued by the hierarchy's subordinate CA; `hierarchy.ca.der` follows it
    in the chain a key is registered with."""
    public = serialization.load_der_public_key(spki)
    assert isinstance(public, rsa.RSAPublicKey | ec.EllipticCurvePublicKey)
    certificate = _certificate(
        subject=name(common=common or f"Cán bộ thử nghiệm {label}", organization=office),
        issuer=hierarchy.ca.certificate.subject,
        public=public,
        signer=hierarchy.ca.private,
        serial=_serial(label),
        ca_path_length=None,
        not_before=NOT_BEFORE,
        not_after=NOT_AFTER,
    )
    return TokenCertificate(certificate)


def chain_for(hierarchy: Hierarchy, issued: TokenCertificate) -> list[bytes]:
    """The DER certificates the key is registered with: leaf first, then the subordinate CA."""
    return [issued.der, hierarchy.ca.der]
