"""Generate the golden vectors of the version-1 statement format; prints JSON on stdout.

Run by hand from the repository root, once, when a vector is added:

    python -m tests.golden.make_vectors --write

(`--write` rewrites tests/golden/vectors.json after reading the signatures it pins; without it the
JSON goes to stdout. Not `> tests/golden/vectors.json`: the shell would empty the file before the
pinned signatures are read.) Add vectors only at the end, then check with
`git diff tests/golden/vectors.json` that every earlier vector is unchanged.

The vectors then pin the bytes: tests/test_golden.py rebuilds each one from its fields and requires
the very same bytes, hash, key id and signature. Never regenerate them to make a failing test pass;
a difference means the format changed, which needs a new format version.

Ed25519 signatures are deterministic, so they are reproduced. ECDSA and RSA-PSS signatures are
randomised (ECDSA's nonce, PSS's salt): for the vectors signed with certificate keys, the statement
bytes, hash and key id are reproduced, and the signature first made is pinned — kept from the file
on every later run while it still verifies over the same bytes — as one valid signature that must
verify. The golden certificates and CRL are signed by the RSA test CAs with PKCS#1 v1.5 (SHA-256),
which is deterministic, with fixed names, serials and validity: they are rebuilt byte for byte.

Notation in the JSON: a byte string is written {"bin": "<lowercase hex>"}; text, integers, lists
and maps are written as themselves.
"""

from __future__ import annotations

import hashlib
import json
import sys
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from domain.instant import from_datetime
from domain.statement import Seen, Statement
from ledger.errors import BadSignature
from ledger.statements import schema
from ledger.statements.signing import (
    SIGNING_PREFIX,
    CertificateSigningKey,
    SigningKey,
    key_id,
    spki_of,
    statement_hash,
    verify,
)
from tests.pki import ec_key, rsa_key

VECTORS_FILE = Path(__file__).with_name("vectors.json")

AUTHORITY_SEED_LABEL = "lienthong golden authority"
OFFICER_SEED_LABEL = "lienthong golden officer"

AT = 1748826000000000  # 2025-06-02 01:00:00 UTC = 08:00 in Vietnam (UTC+7)
MINUTE = 60 * 1_000_000
DAY = 24 * 60 * MINUTE

DOSSIER = "000.00.29.H59-250602-0001"
OFFICE = "29266"  # Thị trấn Càng Long, a commune of Càng Long district, Trà Vinh
OFFICER = "cb-29266"
DISTRICT = "844"  # Huyện Càng Long
AGENCY = "000.00.29.H59"  # the office's agency identifier, the first part of DOSSIER
NOTE = (
    "Chuyển hồ sơ lên Phòng Lao động – Thương binh và Xã hội huyện Càng Long thẩm định; "
    "đã kiểm tra đủ thành phần."
)
DOCUMENT = {
    "name": "Tờ khai đề nghị hưởng chế độ ưu đãi giáo dục",
    "sha256": hashlib.sha256(b"lienthong golden document 1").digest(),
}

# Official-duty certificates (chứng thư số công vụ). Test keys only (tests/pki.py): the root and
# the subordinate CA sign with RSA PKCS#1 v1.5 SHA-256, so every certificate and the CRL come out
# the same bytes on every run. Nothing here is a real certificate authority.
OFFICE_NAME = "Thị trấn Càng Long"
ECDSA_OFFICER = OFFICER  # the golden officer, now also holding an official-duty certificate
RSA_OFFICER = "cb-29266-2"
ECDSA_KEY_LABEL = "golden officer"  # tests/pki.py ec_key(label)
RSA_KEY_NAME = "officer-rsa"  # tests/pki.py rsa_key(name): tests/pki_keys/officer-rsa.pem
ECDSA_SCHEME = "ecdsa-p256-sha256"
RSA_PSS_SCHEME = "rsa-pss-sha256"
CRL_THIS_UPDATE = datetime(2025, 6, 2, 0, 0, tzinfo=UTC)  # 07:00 in Vietnam, the day of AT
CRL_NEXT_UPDATE = datetime(2025, 6, 9, 0, 0, tzinfo=UTC)
REVOKED_AT = datetime(2025, 5, 20, 3, 0, tzinfo=UTC)


def seeded(label: str) -> tuple[bytes, SigningKey]:
    seed = hashlib.sha256(label.encode("ascii")).digest()
    return seed, SigningKey.from_seed(seed)


def readable(value: Any) -> Any:
    """The JSON notation of a field value: bytes as {"bin": hex}."""
    if isinstance(value, bytes):
        return {"bin": value.hex()}
    if isinstance(value, dict):
        return {key: readable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [readable(item) for item in value]
    return value


def fields_of(statement: Statement) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "v": statement.v,
        "kind": statement.kind,
        "subject": statement.subject,
        "seq": statement.seq,
        "prev": statement.prev,
        "office": statement.office,
        "officer": statement.officer,
        "key": statement.key,
        "at": statement.at,
        "body": dict(statement.body),
    }
    if statement.seen is not None:
        fields["seen"] = {"size": statement.seen.size, "root": statement.seen.root}
    return readable(fields)


def golden_serial(label: str) -> int:
    """A fixed positive certificate serial of at most 127 bits."""
    return (
        int.from_bytes(
            hashlib.sha256(f"lienthong golden serial {label}".encode()).digest()[:16], "big"
        )
        >> 1
    )


def x509_name(*attributes: tuple[x509.ObjectIdentifier, str]) -> x509.Name:
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in attributes])


ROOT_NAME = x509_name(
    (NameOID.COUNTRY_NAME, "VN"),
    (NameOID.ORGANIZATION_NAME, "Ban Cơ yếu Chính phủ"),
    (NameOID.COMMON_NAME, "Root CA thử nghiệm (lienthong golden vectors)"),
)
CA_NAME = x509_name(
    (NameOID.COUNTRY_NAME, "VN"),
    (NameOID.ORGANIZATION_NAME, "Ban Cơ yếu Chính phủ"),
    (NameOID.COMMON_NAME, "CA công vụ thử nghiệm (lienthong golden vectors)"),
)


def certificate(
    *,
    subject: x509.Name,
    issuer: x509.Name,
    public: rsa.RSAPublicKey | ec.EllipticCurvePublicKey,
    signer: rsa.RSAPrivateKey,
    serial: str,
    not_before: datetime,
    not_after: datetime,
    path_length: int | None,
) -> bytes:
    """A DER certificate, RSA PKCS#1 v1.5 SHA-256 signed: the same bytes on every run."""
    is_ca = path_length is not None
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public)
        .serial_number(golden_serial(serial))
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=path_length), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=not is_ca,
                content_commitment=not is_ca,
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
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()),
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
    return builder.sign(signer, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def officer_name(common: str) -> x509.Name:
    """An officer's subject: the office by name in O and by agency identifier in OU."""
    return x509_name(
        (NameOID.COUNTRY_NAME, "VN"),
        (NameOID.LOCALITY_NAME, "Trà Vinh"),
        (NameOID.ORGANIZATION_NAME, OFFICE_NAME),
        (NameOID.ORGANIZATIONAL_UNIT_NAME, AGENCY),
        (NameOID.COMMON_NAME, common),
    )


def golden_pki() -> dict[str, bytes]:
    """The golden hierarchy: root → CA → two officers (ECDSA P-256, RSA 2048), and a CRL of
    the CA. DER, by name."""
    root_key, ca_key = rsa_key("root"), rsa_key("ca")
    leaf_from, leaf_to = datetime(2024, 1, 1, tzinfo=UTC), datetime(2029, 1, 1, tzinfo=UTC)
    found = {
        "root": certificate(
            subject=ROOT_NAME,
            issuer=ROOT_NAME,
            public=root_key.public_key(),
            signer=root_key,
            serial="root",
            not_before=datetime(2020, 1, 1, tzinfo=UTC),
            not_after=datetime(2045, 1, 1, tzinfo=UTC),
            path_length=1,
        ),
        "ca": certificate(
            subject=CA_NAME,
            issuer=ROOT_NAME,
            public=ca_key.public_key(),
            signer=root_key,
            serial="ca",
            not_before=datetime(2022, 1, 1, tzinfo=UTC),
            not_after=datetime(2040, 1, 1, tzinfo=UTC),
            path_length=0,
        ),
        "officer-ecdsa": certificate(
            subject=officer_name("Nguyễn Văn Mẫu"),
            issuer=CA_NAME,
            public=ec_key(ECDSA_KEY_LABEL).public_key(),
            signer=ca_key,
            serial="officer-ecdsa",
            not_before=leaf_from,
            not_after=leaf_to,
            path_length=None,
        ),
        "officer-rsa": certificate(
            subject=officer_name("Trần Thị Mẫu"),
            issuer=CA_NAME,
            public=rsa_key(RSA_KEY_NAME).public_key(),
            signer=ca_key,
            serial="officer-rsa",
            not_before=leaf_from,
            not_after=leaf_to,
            path_length=None,
        ),
    }
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(CA_NAME)
        .last_update(CRL_THIS_UPDATE)
        .next_update(CRL_NEXT_UPDATE)
        .add_extension(x509.CRLNumber(1), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .add_revoked_certificate(  # an earlier certificate of no golden key, revoked
            x509.RevokedCertificateBuilder()
            .serial_number(golden_serial("revoked officer"))
            .revocation_date(REVOKED_AT)
            .build()
        )
        .sign(ca_key, hashes.SHA256())
    )
    found["crl"] = crl.public_bytes(serialization.Encoding.DER)
    return found


def side(der: bytes) -> dict[str, str]:
    """A DER object kept beside the log, as the vectors give it: its SHA-256 and its bytes."""
    return {"sha256": hashlib.sha256(der).hexdigest(), "der": der.hex()}


def pinned_signatures() -> dict[str, tuple[str, str]]:
    """The randomised signatures already pinned: vector name → (statement hex, signature hex)."""
    if not VECTORS_FILE.exists():
        return {}
    text = VECTORS_FILE.read_text(encoding="utf-8")
    if not text.strip():
        raise SystemExit(
            f"{VECTORS_FILE} is empty: run `python -m tests.golden.make_vectors --write`, not a "
            f"shell redirect into the file (it empties the file before the pinned signatures "
            f"are read)"
        )
    return {
        item["name"]: (item["statement"], item["signature"])
        for item in json.loads(text)["vectors"]
        if "scheme" in item
    }


def certificate_vector(
    name: str,
    description: str,
    scheme: str,
    source: str,
    private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
    statement: Statement,
    pinned: dict[str, tuple[str, str]],
) -> dict[str, Any]:
    """A statement signed with a certificate key: the bytes pinned, one valid signature pinned."""
    key = CertificateSigningKey(private)
    raw = schema.build(statement)
    signature = key.sign(raw)
    if name in pinned and pinned[name][0] == raw.hex():
        kept = bytes.fromhex(pinned[name][1])
        try:
            verify(key.public_key, raw, kept)
            signature = kept
        except BadSignature:
            pass
    verify(key.public_key, raw, signature)
    return {
        "name": name,
        "description": description,
        "scheme": scheme,
        "key_source": source,
        "public_key": key.public_key.hex(),
        "key_id": key.key_id,
        "fields": fields_of(statement),
        "statement": raw.hex(),
        "sha256": statement_hash(raw).hex(),
        "signature": signature.hex(),
    }


def vector(name: str, description: str, label: str, statement: Statement) -> dict[str, Any]:
    seed, key = seeded(label)
    raw = schema.build(statement)
    return {
        "name": name,
        "description": description,
        "seed_label": label,
        "seed": seed.hex(),
        "public_key": key.public_key.hex(),
        "key_id": key.key_id,
        "fields": fields_of(statement),
        "statement": raw.hex(),
        "sha256": statement_hash(raw).hex(),
        "signature": key.sign(raw).hex(),
    }


def vectors() -> dict[str, Any]:
    _, authority = seeded(AUTHORITY_SEED_LABEL)
    _, officer = seeded(OFFICER_SEED_LABEL)
    assert unicodedata.is_normalized("NFC", NOTE)
    assert unicodedata.is_normalized("NFC", DOCUMENT["name"])

    genesis = Statement(
        kind="authority.established",
        subject="authority",
        seq=1,
        prev=bytes(32),
        office="authority",
        officer="authority",
        key=authority.key_id,
        at=AT,
        body={"public_key": authority.public_key},
    )
    received = Statement(
        kind="dossier.received",
        subject=DOSSIER,
        seq=1,
        prev=bytes(32),
        office=OFFICE,
        officer=OFFICER,
        key=officer.key_id,
        at=AT + 5 * MINUTE,
        body={
            "procedure": "merit-education-preference",
            "version": 1,
            "applicant": hashlib.sha256(b"lienthong golden applicant").digest(),
            "channel": "direct",
            "documents": [DOCUMENT],
            "appointed": AT + 21 * DAY,
        },
    )
    received_hash = statement_hash(schema.build(received))
    dispatched = Statement(
        kind="handover.dispatched",
        subject=DOSSIER,
        seq=2,
        prev=received_hash,
        office=OFFICE,
        officer=OFFICER,
        key=officer.key_id,
        at=AT + 2 * 60 * MINUTE,
        body={"to": DISTRICT, "purpose": "process", "documents": [DOCUMENT], "note": NOTE},
    )
    dispatched_hash = statement_hash(schema.build(dispatched))
    recalled = Statement(
        kind="handover.recalled",
        subject=DOSSIER,
        seq=3,
        prev=dispatched_hash,
        office=OFFICE,
        officer=OFFICER,
        key=officer.key_id,
        at=AT + 3 * 60 * MINUTE,
        body={"dispatch": dispatched_hash, "reason": "Gửi nhầm đơn vị nhận; thu hồi để gửi lại."},
        seen=Seen(4096, hashlib.sha256(b"lienthong golden checkpoint").digest()),
    )
    office = Statement(
        kind="office.established",
        subject=OFFICE,
        seq=1,
        prev=bytes(32),
        office="authority",
        officer="authority",
        key=authority.key_id,
        at=AT - DAY,
        body={
            "name": "Thị trấn Càng Long",
            "level": "commune",
            "parent": DISTRICT,
            "effective": "2019-01-01",
            "agency": AGENCY,
        },
    )
    pki = golden_pki()
    ecdsa_private, rsa_private = ec_key(ECDSA_KEY_LABEL), rsa_key(RSA_KEY_NAME)
    ecdsa_spki, rsa_spki = spki_of(ecdsa_private.public_key()), spki_of(rsa_private.public_key())
    ca_spki = spki_of(rsa_key("ca").public_key())
    digest = {label: hashlib.sha256(der).digest() for label, der in pki.items()}

    def registered(officer_id: str, spki: bytes, leaf: str, at: int) -> Statement:
        return Statement(
            kind="key.registered",
            subject=key_id(spki),
            seq=1,
            prev=bytes(32),
            office="authority",
            officer="authority",
            key=authority.key_id,
            at=at,
            body={
                "officer": officer_id,
                "public_key": spki,
                "role": "officer",
                "effective": at,
                "certificates": [digest[leaf], digest["ca"]],
            },
        )

    registered_ecdsa = registered(ECDSA_OFFICER, ecdsa_spki, "officer-ecdsa", AT + 10 * MINUTE)
    registered_rsa = registered(RSA_OFFICER, rsa_spki, "officer-rsa", AT + 11 * MINUTE)
    revocation = Statement(
        kind="revocation.recorded",
        subject=key_id(ca_spki),
        seq=1,
        prev=bytes(32),
        office="authority",
        officer="authority",
        key=authority.key_id,
        at=AT + 12 * MINUTE,
        body={"format": "crl", "sha256": digest["crl"], "produced": from_datetime(CRL_THIS_UPDATE)},
    )

    def received_by(officer_id: str, spki: bytes, number: int, at: int) -> Statement:
        return Statement(
            kind="dossier.received",
            subject=f"{AGENCY}-250602-{number:04d}",
            seq=1,
            prev=bytes(32),
            office=OFFICE,
            officer=officer_id,
            key=key_id(spki),
            at=at,
            body={
                "procedure": "merit-education-preference",
                "version": 1,
                "applicant": hashlib.sha256(
                    f"lienthong golden applicant {number}".encode()
                ).digest(),
                "channel": "direct",
                "documents": [DOCUMENT],
                "appointed": at + 21 * DAY,
            },
        )

    received_ecdsa = received_by(ECDSA_OFFICER, ecdsa_spki, 2, AT + 30 * MINUTE)
    received_rsa = received_by(RSA_OFFICER, rsa_spki, 3, AT + 35 * MINUTE)
    pinned = pinned_signatures()
    return {
        "format": "Liên thông statement format, version 1",
        "notation": 'A byte string is written {"bin": "<lowercase hex>"}; all other values as '
        "themselves. Every hex value is lowercase.",
        "signing_prefix": SIGNING_PREFIX.hex(),
        "vectors": [
            vector(
                "authority-genesis",
                "The genesis statement: the authority key establishes itself, self-signed.",
                AUTHORITY_SEED_LABEL,
                genesis,
            ),
            vector(
                "dossier-received",
                "A commune officer receives a dossier (seq 1): the statement that the dispatch "
                "below chains to.",
                OFFICER_SEED_LABEL,
                received,
            ),
            vector(
                "handover-dispatched",
                "The same officer dispatches the dossier to the district (seq 2, prev = hash of "
                "dossier-received), with a Vietnamese note in NFC.",
                OFFICER_SEED_LABEL,
                dispatched,
            ),
            vector(
                "handover-recalled-seen",
                "The sender recalls the dispatch (seq 3, prev and body.dispatch = hash of "
                "handover-dispatched), carrying the optional seen checkpoint.",
                OFFICER_SEED_LABEL,
                recalled,
            ),
            vector(
                "office-established-agency",
                "The authority establishes the commune that received the dossier above, with its "
                "electronic agency identifier, the first part of the dossier's code (the optional "
                "agency field).",
                AUTHORITY_SEED_LABEL,
                office,
            ),
            vector(
                "key-registered-certificate-ecdsa",
                "The authority registers the golden officer's official-duty certificate key "
                "(ECDSA P-256): public_key is the DER SubjectPublicKeyInfo of the certificate's "
                "key, certificates the SHA-256 of the officer's certificate, then of the CA's "
                "(the root, the trust anchor, left out). The DER certificates are under chain "
                "and anchor.",
                AUTHORITY_SEED_LABEL,
                registered_ecdsa,
            )
            | {
                "chain": [side(pki["officer-ecdsa"]), side(pki["ca"])],
                "anchor": side(pki["root"]),
            },
            vector(
                "key-registered-certificate-rsa",
                "The authority registers another officer's official-duty certificate key (RSA "
                "2048): the same as above, public_key a 294-byte SubjectPublicKeyInfo (bin 16).",
                AUTHORITY_SEED_LABEL,
                registered_rsa,
            )
            | {
                "chain": [side(pki["officer-rsa"]), side(pki["ca"])],
                "anchor": side(pki["root"]),
            },
            vector(
                "revocation-recorded",
                "The authority records a CRL of the CA that issued both officers' certificates: "
                "subject is the key id of the CA's SubjectPublicKeyInfo (issuer_public_key), "
                "produced the CRL's thisUpdate. The DER CRL is under crl.",
                AUTHORITY_SEED_LABEL,
                revocation,
            )
            | {"crl": side(pki["crl"]), "issuer_public_key": ca_spki.hex()},
            certificate_vector(
                "dossier-received-ecdsa",
                "The golden officer receives a dossier and signs with the certificate key "
                "registered above: ECDSA P-256 with SHA-256 over the prefixed bytes, the "
                "signature r ‖ s (64 bytes). ECDSA is randomised: the signature pinned is one "
                "valid signature, to verify, not to reproduce.",
                ECDSA_SCHEME,
                f'tests/pki.py ec_key("{ECDSA_KEY_LABEL}")',
                ecdsa_private,
                received_ecdsa,
                pinned,
            ),
            certificate_vector(
                "dossier-received-rsa-pss",
                "The second officer receives a dossier and signs with the RSA certificate key "
                "registered above: RSA-PSS, SHA-256, MGF1-SHA-256, salt 32 bytes, the signature "
                "256 bytes. PSS is randomised: the signature pinned is one valid signature, to "
                "verify, not to reproduce.",
                RSA_PSS_SCHEME,
                f'tests/pki.py rsa_key("{RSA_KEY_NAME}")',
                rsa_private,
                received_rsa,
                pinned,
            ),
        ],
    }


if __name__ == "__main__":
    text = json.dumps(vectors(), ensure_ascii=False, indent=2) + "\n"
    if sys.argv[1:] == ["--write"]:
        VECTORS_FILE.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
