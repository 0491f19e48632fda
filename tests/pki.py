"""A test certificate hierarchy modelled on the Government Cipher Committee's (Ban Cơ yếu Chính phủ):
a root CA, a subordinate CA that issues official-duty certificates (chứng thư số công vụ) to
officers and office seals, and the CRLs the subordinate CA publishes.

Every key is fixed: the RSA keys are the PEM files in tests/pki_keys/ (made once with OpenSSL), the
ECDSA keys are derived from a name by SHA-256. Nothing here is a real certificate authority.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

KEYS = Path(__file__).parent / "pki_keys"
# the curve order of P-256: an ECDSA private scalar is in [1, n-1]
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

NOT_BEFORE = datetime(2024, 1, 1, tzinfo=UTC)
NOT_AFTER = datetime(2029, 1, 1, tzinfo=UTC)


def rsa_key(name: str) -> rsa.RSAPrivateKey:
    """A fixed RSA key: root (3072 bits), ca, officer-rsa, officer-rsa-2, seal (2048), weak (1024)."""
    key = serialization.load_pem_private_key((KEYS / f"{name}.pem").read_bytes(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def ec_key(name: str) -> ec.EllipticCurvePrivateKey:
    """A fixed ECDSA P-256 key derived from `name`."""
    scalar = int.from_bytes(hashlib.sha256(f"test-ec-key:{name}".encode()).digest(), "big")
    return ec.derive_private_key(scalar % (P256_ORDER - 1) + 1, ec.SECP256R1())


def name(*, common: str, organization: str | None = None, unit: str | None = None) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")]
    if organization:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    if unit:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common))
    return x509.Name(attributes)


def _serial(label: str) -> int:
    return int.from_bytes(hashlib.sha256(f"serial:{label}".encode()).digest()[:16], "big") >> 1


@dataclass
class Issued:
    """A certificate and its private key."""

    certificate: x509.Certificate
    private: PrivateKey

    @property
    def der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)


@dataclass
class Hierarchy:
    """Root → subordinate CA → officers and seals. `chain(issued)` is what a key is registered with:
    the leaf, then the subordinate CA (the root is the deployment's trust anchor)."""

    root: Issued
    ca: Issued
    issued: dict[str, Issued] = field(default_factory=dict)

    @classmethod
    def build(cls, *, label: str = "Test") -> Hierarchy:
        root_key = rsa_key("root")
        root_name = name(
            common=f"Root CA chuyên dùng Chính phủ ({label})",
            organization="Ban Cơ yếu Chính phủ",
        )
        root = _certificate(
            subject=root_name,
            issuer=root_name,
            public=root_key.public_key(),
            signer=root_key,
            serial=_serial(f"{label}:root"),
            ca_path_length=1,
            not_before=datetime(2020, 1, 1, tzinfo=UTC),
            not_after=datetime(2045, 1, 1, tzinfo=UTC),
        )
        ca_key = rsa_key("ca")
        ca = _certificate(
            subject=name(
                common=f"Cục Chứng thực số và BMTT ({label})",
                organization="Ban Cơ yếu Chính phủ",
            ),
            issuer=root_name,
            public=ca_key.public_key(),
            signer=root_key,
            serial=_serial(f"{label}:ca"),
            ca_path_length=0,
            not_before=datetime(2022, 1, 1, tzinfo=UTC),
            not_after=datetime(2040, 1, 1, tzinfo=UTC),
        )
        return cls(Issued(root, root_key), Issued(ca, ca_key))

    def issue(
        self,
        label: str,
        *,
        office: str,
        private: PrivateKey | None = None,
        common: str | None = None,
        not_before: datetime = NOT_BEFORE,
        not_after: datetime = NOT_AFTER,
        digital_signature: bool = True,
        hash_algorithm: hashes.HashAlgorithm | None = None,
        issuer: Issued | None = None,
    ) -> Issued:
        """An official-duty certificate for an officer (or a seal) of `office` (the office's
        name goes in O). Its key is `private`, else the ECDSA key derived from `label`."""
        key = private if private is not None else ec_key(label)
        parent = issuer or self.ca
        certificate = _certificate(
            subject=name(common=common or f"Cán bộ thử nghiệm {label}", organization=office),
            issuer=parent.certificate.subject,
            public=key.public_key(),
            signer=parent.private,
            serial=_serial(label),
            ca_path_length=None,
            not_before=not_before,
            not_after=not_after,
            digital_signature=digital_signature,
            hash_algorithm=hash_algorithm,
        )
        issued = Issued(certificate, key)
        self.issued[label] = issued
        return issued

    def chain(self, issued: Issued) -> list[bytes]:
        """The DER certificates a key is registered with: leaf first, then the subordinate CA."""
        return [issued.der, self.ca.der]

    def crl(
        self,
        revoked: list[tuple[Issued, datetime]],
        *,
        this_update: datetime,
        next_update: datetime | None = None,
        number: int = 1,
    ) -> bytes:
        """A DER CRL of the subordinate CA listing `revoked` with their revocation dates."""
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.ca.certificate.subject)
            .last_update(this_update)
            .next_update(next_update or this_update + timedelta(days=7))
            .add_extension(x509.CRLNumber(number), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    self.ca.private.public_key()  # type: ignore[arg-type]
                ),
                critical=False,
            )
        )
        for issued, when in revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(issued.certificate.serial_number)
                .revocation_date(when)
                .build()
            )
        return builder.sign(self.ca.private, hashes.SHA256()).public_bytes(
            serialization.Encoding.DER
        )

    def anchors(self, directory: Path) -> Path:
        """Write the root certificate as a trust-anchor directory holds it (PEM); returns the dir."""
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "root.pem").write_bytes(
            self.root.certificate.public_bytes(serialization.Encoding.PEM)
        )
        return directory


def _certificate(
    *,
    subject: x509.Name,
    issuer: x509.Name,
    public: rsa.RSAPublicKey | ec.EllipticCurvePublicKey,
    signer: PrivateKey,
    serial: int,
    ca_path_length: int | None,
    not_before: datetime,
    not_after: datetime,
    digital_signature: bool = True,
    hash_algorithm: hashes.HashAlgorithm | None = None,
) -> x509.Certificate:
    is_ca = ca_path_length is not None
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public)
        .serial_number(serial)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=ca_path_length), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=digital_signature and not is_ca,
                content_commitment=digital_signature and not is_ca,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=is_ca,
                crl_sign=is_ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(
                signer.public_key()  # type: ignore[arg-type]
            ),
            critical=False,
        )
    )
    if not is_ca:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.EMAIL_PROTECTION, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
    return builder.sign(signer, hash_algorithm or hashes.SHA256())


def sha1_signed(hierarchy: Hierarchy, label: str, *, office: str) -> Issued:
    """An officer certificate the CA signed with SHA-1 (RSA PKCS#1 v1.5), which `cryptography`
    will not make: made with SHA-256, then its signature algorithm and signature replaced."""
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives.asymmetric import padding

    made = hierarchy.issue(label, office=office)
    certificate = asn1_x509.Certificate.load(made.der)
    tbs = certificate["tbs_certificate"]
    tbs["signature"] = asn1_x509.SignedDigestAlgorithm({"algorithm": "sha1_rsa"})
    ca_private = hierarchy.ca.private
    assert isinstance(ca_private, rsa.RSAPrivateKey)
    signature = ca_private.sign(  # a weak hash on purpose: the test of its refusal
        tbs.dump(force=True), padding.PKCS1v15(), hashes.SHA1()  # noqa: S303
    )
    rebuilt = asn1_x509.Certificate(
        {
            "tbs_certificate": tbs,
            "signature_algorithm": asn1_x509.SignedDigestAlgorithm({"algorithm": "sha1_rsa"}),
            "signature_value": signature,
        }
    )
    issued = Issued(x509.load_der_x509_certificate(rebuilt.dump()), made.private)
    hierarchy.issued[label] = issued
    return issued
