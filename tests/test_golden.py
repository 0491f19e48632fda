"""Golden vectors: the exact bytes, hashes, key ids and signatures of version-1 statements.

tests/golden/vectors.json was generated once by tests/golden/make_vectors.py. Each vector is rebuilt
here from its readable fields with today's code and must come out byte for byte the same. A failure
means the statement format changed: every stored signature would stop verifying.

Vectors with a `scheme` are signed with a certificate key (ECDSA P-256 or RSA-PSS): their signatures
are randomised, so the pinned one must verify — and any changed byte must not — rather than be
reproduced. The golden certificates and CRL beside them are checked against the ledger's rules, and
a ledger whose trust anchor is the golden root records the whole certificate series.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from domain.statement import Seen, Statement
from ledger.application import Ledger
from ledger.clock import SimulatedClock
from ledger.config import LedgerSettings
from ledger.errors import BadSignature, UnknownTrustAnchor
from ledger.log.audit import audit
from ledger.statements import certificates, schema
from ledger.statements.authoring import Signer
from ledger.statements.certificates import CertificateValidation, Revocation
from ledger.statements.signing import SigningKey, key_id, statement_hash, verify
from tests.golden import make_vectors
from tests.pki import Hierarchy, ec_key, rsa_key

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = json.loads((ROOT / "tests" / "golden" / "vectors.json").read_text(encoding="utf-8"))
VECTORS: list[dict[str, Any]] = DOCUMENT["vectors"]
SPECIFICATION = ROOT / "docs" / "log-format.md"


def value(notation: Any) -> Any:
    """Field values from the vectors' JSON notation ({"bin": hex} is a byte string)."""
    if isinstance(notation, dict):
        if set(notation) == {"bin"}:
            return bytes.fromhex(notation["bin"])
        return {key: value(item) for key, item in notation.items()}
    if isinstance(notation, list):
        return [value(item) for item in notation]
    return notation


def statement_of(vector: dict[str, Any]) -> Statement:
    fields = value(vector["fields"])
    seen = fields.get("seen")
    return Statement(
        kind=fields["kind"],
        subject=fields["subject"],
        seq=fields["seq"],
        prev=fields["prev"],
        office=fields["office"],
        officer=fields["officer"],
        key=fields["key"],
        at=fields["at"],
        body=fields["body"],
        seen=Seen(seen["size"], seen["root"]) if seen else None,
        v=fields["v"],
    )


def by_name(name: str) -> dict[str, Any]:
    return next(vector for vector in VECTORS if vector["name"] == name)


ED25519 = [vector for vector in VECTORS if "scheme" not in vector]
CERTIFICATE_SIGNED = [vector for vector in VECTORS if "scheme" in vector]
CERTIFICATE_KEYS = ["key-registered-certificate-ecdsa", "key-registered-certificate-rsa"]
# each certificate-signed vector, the registration of its key
REGISTERED_BY = {
    "dossier-received-ecdsa": "key-registered-certificate-ecdsa",
    "dossier-received-rsa-pss": "key-registered-certificate-rsa",
}


def _ids(vectors: list[dict[str, Any]]) -> list[str]:
    return [vector["name"] for vector in vectors]


each_vector = pytest.mark.parametrize("vector", VECTORS, ids=_ids(VECTORS))
each_ed25519 = pytest.mark.parametrize("vector", ED25519, ids=_ids(ED25519))
each_certificate_signed = pytest.mark.parametrize(
    "vector", CERTIFICATE_SIGNED, ids=_ids(CERTIFICATE_SIGNED)
)


def der(item: dict[str, str]) -> bytes:
    """A DER object of the vectors ({"sha256", "der"}), its digest checked."""
    data = bytes.fromhex(item["der"])
    assert hashlib.sha256(data).hexdigest() == item["sha256"]
    return data


def test_the_vectors_cover_what_the_format_promises() -> None:
    names = {vector["name"] for vector in VECTORS}
    assert {"authority-genesis", "handover-dispatched", "handover-recalled-seen"} <= names
    assert {
        *CERTIFICATE_KEYS,
        "revocation-recorded",
        "dossier-received-ecdsa",
        "dossier-received-rsa-pss",
    } <= names
    assert {vector["scheme"] for vector in CERTIFICATE_SIGNED} == {
        "ecdsa-p256-sha256",
        "rsa-pss-sha256",
    }
    assert any("seen" in vector["fields"] for vector in VECTORS)
    assert DOCUMENT["signing_prefix"] == b"lienthong statement v1\n".hex()


def test_the_first_vectors_are_where_they_were() -> None:
    """Vectors are only ever added at the end: the first five keep their places (the leaves of
    docs/log-format.md section 11 are the first four)."""
    assert _ids(VECTORS)[:5] == [
        "authority-genesis",
        "dossier-received",
        "handover-dispatched",
        "handover-recalled-seen",
        "office-established-agency",
    ]
    assert all("scheme" not in vector for vector in VECTORS[:5])


def test_the_generator_gives_this_file() -> None:
    """tests/golden/make_vectors.py, run today, gives the very file: the golden certificates and
    CRL are rebuilt byte for byte, and the randomised signatures are the ones pinned."""
    assert make_vectors.vectors() == DOCUMENT


@each_ed25519
def test_seed_public_key_and_key_id(vector: dict[str, Any]) -> None:
    seed = bytes.fromhex(vector["seed"])
    assert seed == hashlib.sha256(vector["seed_label"].encode("ascii")).digest()
    key = SigningKey.from_seed(seed)
    assert key.public_key.hex() == vector["public_key"]
    assert key.key_id == vector["key_id"] == key_id(key.public_key)
    # Key id = first 16 bytes of SHA-256("lienthong key v1\n" ‖ public key), lowercase hex.
    independent = hashlib.sha256(b"lienthong key v1\n" + key.public_key).digest()[:16].hex()
    assert vector["key_id"] == independent
    assert vector["fields"]["key"] == vector["key_id"]


@each_vector
def test_build_gives_the_pinned_bytes_and_hash(vector: dict[str, Any]) -> None:
    raw = schema.build(statement_of(vector))
    assert raw.hex() == vector["statement"]
    assert statement_hash(raw).hex() == vector["sha256"]
    assert hashlib.sha256(raw).hexdigest() == vector["sha256"]


@each_ed25519
def test_the_ed25519_signature_is_reproduced(vector: dict[str, Any]) -> None:
    raw = bytes.fromhex(vector["statement"])
    key = SigningKey.from_seed(bytes.fromhex(vector["seed"]))
    assert key.sign(raw).hex() == vector["signature"]


PREFIX = b"lienthong statement v1\n"


def spelled_out(vector: dict[str, Any], message: bytes, signature: bytes) -> None:
    """Verify `message` (the prefix ‖ the statement bytes) with nothing from the ledger: the
    algorithm of each scheme spelled out (docs/log-format.md section 6.2); InvalidSignature."""
    public_key = bytes.fromhex(vector["public_key"])
    scheme = vector.get("scheme", "ed25519")
    if scheme == "ed25519":
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
        return
    loaded = serialization.load_der_public_key(public_key)
    if scheme == "ecdsa-p256-sha256":
        assert isinstance(loaded, ec.EllipticCurvePublicKey)
        assert isinstance(loaded.curve, ec.SECP256R1)
        if len(signature) != 64:
            raise InvalidSignature
        r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        loaded.verify(encode_dss_signature(r, s), message, ec.ECDSA(hashes.SHA256()))
        return
    assert scheme == "rsa-pss-sha256"
    assert isinstance(loaded, rsa.RSAPublicKey)
    if len(signature) != loaded.key_size // 8:
        raise InvalidSignature
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
    loaded.verify(signature, message, pss, hashes.SHA256())


@each_vector
def test_the_pinned_signature_verifies(vector: dict[str, Any]) -> None:
    raw = bytes.fromhex(vector["statement"])
    public_key = bytes.fromhex(vector["public_key"])
    signature = bytes.fromhex(vector["signature"])
    verify(public_key, raw, signature)
    spelled_out(vector, PREFIX + raw, signature)


def flipped(data: bytes, position: int) -> bytes:
    changed = bytearray(data)
    changed[position] ^= 0x01
    return bytes(changed)


@each_vector
def test_a_changed_byte_fails(vector: dict[str, Any]) -> None:
    """One bit changed in the statement or in the signature, or the prefix left out: the
    signature no longer verifies, by the ledger's check nor by the one spelled out."""
    raw = bytes.fromhex(vector["statement"])
    public_key = bytes.fromhex(vector["public_key"])
    signature = bytes.fromhex(vector["signature"])
    for position in (0, len(raw) // 2, len(raw) - 1):
        with pytest.raises(BadSignature):
            verify(public_key, flipped(raw, position), signature)
        with pytest.raises(InvalidSignature):
            spelled_out(vector, PREFIX + flipped(raw, position), signature)
    for position in (0, len(signature) // 2, len(signature) - 1):
        with pytest.raises(BadSignature):
            verify(public_key, raw, flipped(signature, position))
        with pytest.raises(InvalidSignature):
            spelled_out(vector, PREFIX + raw, flipped(signature, position))
    with pytest.raises(InvalidSignature):  # the signature is over the prefix, not the bare bytes
        spelled_out(vector, raw, signature)
    with pytest.raises(BadSignature):  # a byte short
        verify(public_key, raw, signature[:-1])


@each_certificate_signed
def test_certificate_key_ids_hash_the_subject_public_key_info(vector: dict[str, Any]) -> None:
    spki = bytes.fromhex(vector["public_key"])
    assert len(spki) != 32  # never an Ed25519 key's length: the two kinds of key id cannot meet
    loaded = serialization.load_der_public_key(spki)
    assert (
        loaded.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        == spki
    )
    independent = hashlib.sha256(b"lienthong key v1\n" + spki).digest()[:16].hex()
    assert vector["key_id"] == independent == key_id(spki) == vector["fields"]["key"]
    registration = by_name(REGISTERED_BY[vector["name"]])
    assert registration["fields"]["subject"] == vector["key_id"]
    assert registration["fields"]["body"]["public_key"] == {"bin": vector["public_key"]}
    source = ec_key("golden officer") if vector["scheme"] == "ecdsa-p256-sha256" else None
    private = source or rsa_key("officer-rsa")
    assert loaded.public_numbers() == private.public_key().public_numbers()  # type: ignore[union-attr]
    assert vector["key_source"] in (
        'tests/pki.py ec_key("golden officer")',
        'tests/pki.py rsa_key("officer-rsa")',
    )


def test_the_ecdsa_signature_is_r_then_s_not_der() -> None:
    vector = by_name("dossier-received-ecdsa")
    raw, signature = bytes.fromhex(vector["statement"]), bytes.fromhex(vector["signature"])
    assert len(signature) == 64
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    with pytest.raises(BadSignature):  # the same signature in DER (X9.62) form is refused
        verify(bytes.fromhex(vector["public_key"]), raw, encode_dss_signature(r, s))
    with pytest.raises(BadSignature):  # s ‖ r is not r ‖ s
        verify(bytes.fromhex(vector["public_key"]), raw, signature[32:] + signature[:32])


def test_the_rsa_signature_is_pss_with_a_32_byte_salt_and_never_pkcs1_v1_5() -> None:
    vector = by_name("dossier-received-rsa-pss")
    raw, signature = bytes.fromhex(vector["statement"]), bytes.fromhex(vector["signature"])
    public = serialization.load_der_public_key(bytes.fromhex(vector["public_key"]))
    assert isinstance(public, rsa.RSAPublicKey)
    assert public.key_size == 2048
    assert len(signature) == 256
    message = PREFIX + raw
    for salt in (0, 20, 64):  # the salt length is part of the rule: 32, SHA-256's output
        with pytest.raises(InvalidSignature):
            public.verify(
                signature,
                message,
                padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=salt),
                hashes.SHA256(),
            )
    with pytest.raises(InvalidSignature):  # MGF1 with SHA-1 is not MGF1-SHA-256
        public.verify(
            signature,
            message,
            padding.PSS(mgf=padding.MGF1(hashes.SHA1()), salt_length=32),  # noqa: S303
            hashes.SHA256(),
        )
    spelled_out(vector, message, signature)
    v1_5 = rsa_key("officer-rsa").sign(message, padding.PKCS1v15(), hashes.SHA256())
    with pytest.raises(BadSignature):  # a PKCS#1 v1.5 signature of the same bytes: refused
        verify(bytes.fromhex(vector["public_key"]), raw, v1_5)


@pytest.mark.parametrize("name", CERTIFICATE_KEYS)
def test_the_golden_certificates_are_what_key_registered_names(name: str) -> None:
    vector = by_name(name)
    body = value(vector["fields"])["body"]
    chain = [der(item) for item in vector["chain"]]
    assert body["certificates"] == [hashlib.sha256(item).digest() for item in chain]
    assert body["role"] == "officer"
    assert vector["fields"]["office"] == vector["fields"]["officer"] == "authority"
    # public_key is the DER SubjectPublicKeyInfo of the first certificate's key, as it is in the
    # certificate
    leaf = x509.load_der_x509_certificate(chain[0])
    assert body["public_key"] == leaf.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert body["public_key"] in chain[0]
    certificates.check_registration(chain, body["public_key"], max_chain=3)
    with pytest.raises(Exception, match="at most 2"):  # leaf, CA and the anchor left out: 3
        certificates.check_registration(chain, body["public_key"], max_chain=2)
    # the office by name in O and by agency identifier in OU; no other office
    assert certificates.names_office(chain[0], ["Thị trấn Càng Long"])
    assert certificates.names_office(chain[0], ["000.00.29.H59"])
    assert not certificates.names_office(chain[0], ["Xã Mỹ Cẩm"])
    # every certificate signed with RSA PKCS#1 v1.5 SHA-256: deterministic, hence reproducible
    anchor = der(vector["anchor"])
    for certificate in [*chain, anchor]:
        loaded = x509.load_der_x509_certificate(certificate)
        assert loaded.signature_algorithm_oid == x509.SignatureAlgorithmOID.RSA_WITH_SHA256
    assert leaf.issuer == x509.load_der_x509_certificate(chain[1]).subject


def test_the_golden_crl_is_what_revocation_recorded_names() -> None:
    vector = by_name("revocation-recorded")
    fields = value(vector["fields"])
    crl = der(vector["crl"])
    assert fields["body"] == {
        "format": "crl",
        "sha256": hashlib.sha256(crl).digest(),
        "produced": certificates.produced_at(Revocation("crl", crl)),
    }
    issuer_spki = bytes.fromhex(vector["issuer_public_key"])
    assert fields["subject"] == key_id(issuer_spki)
    [ca] = {item["der"] for name in CERTIFICATE_KEYS for item in by_name(name)["chain"][1:]}
    ca_der = bytes.fromhex(ca)
    assert certificates.key_id_of(ca_der) == fields["subject"]
    certificates.check_issued_by(Revocation("crl", crl), ca_der)
    assert fields["at"] > fields["body"]["produced"]


@each_certificate_signed
def test_the_certificate_chain_holds_at_the_statement_time(vector: dict[str, Any]) -> None:
    registration = by_name(REGISTERED_BY[vector["name"]])
    chain = [der(item) for item in registration["chain"]]
    anchor = der(registration["anchor"])
    crl = Revocation("crl", der(by_name("revocation-recorded")["crl"]))
    at = vector["fields"]["at"]
    CertificateValidation([anchor], 4).validate(chain, [crl], at)
    with pytest.raises(UnknownTrustAnchor):  # another deployment's root: refused
        CertificateValidation([Hierarchy.build().root.der], 4).validate(chain, [crl], at)


def golden_ledger(anchors: Path) -> tuple[Ledger, SimulatedClock, Signer]:
    """A ledger begun with the golden genesis, its registry made with the golden authority key
    as the certificate vectors need it: the commune with its agency identifier under its
    district, both officers in it, the procedure."""
    genesis = by_name("authority-genesis")
    clock = SimulatedClock(genesis["fields"]["at"])
    ledger = Ledger(LedgerSettings(database_url="memory:", trust_anchors=str(anchors)), clock=clock)
    ledger.record(bytes.fromhex(genesis["statement"]), bytes.fromhex(genesis["signature"]))
    clock.advance(60)
    authority = Signer.authority(ledger, SigningKey.from_seed(bytes.fromhex(genesis["seed"])))
    authority.record(
        "office.established",
        "844",
        {"name": "Huyện Càng Long", "level": "district", "effective": "2019-01-01"},
    )
    office = value(by_name("office-established-agency")["fields"])["body"]
    authority.record("office.established", "29266", office)
    for officer in ("cb-29266", "cb-29266-2"):
        authority.record(
            "officer.enrolled",
            officer,
            {"office": "29266", "title": "Công chức một cửa", "effective": clock.now()},
        )
    authority.record(
        "procedure.published",
        "merit-education-preference",
        {
            "version": 1,
            "name_vi": "Ưu đãi trong giáo dục đào tạo",
            "name_en": "Education preference for families of people with merit",
            "route": [{"level": "commune", "days": 3, "day_type": "working"}],
            "decides": ["commune"],
            "legal_basis": "Decree 131/2021/NĐ-CP Art. 97(2)",
            "effective": "2022-02-15",
        },
    )
    return ledger, clock, authority


def record_vector(ledger: Ledger, clock: SimulatedClock, name: str) -> None:
    vector = by_name(name)
    clock.set(vector["fields"]["at"])
    ledger.record(bytes.fromhex(vector["statement"]), bytes.fromhex(vector["signature"]))


def keep_side_data(ledger: Ledger) -> None:
    for name in CERTIFICATE_KEYS:
        for item in by_name(name)["chain"]:
            assert ledger.keep_pki("certificate", der(item)).hex() == item["sha256"]
    crl = by_name("revocation-recorded")["crl"]
    assert ledger.keep_pki("crl", der(crl)).hex() == crl["sha256"]


def test_a_ledger_trusting_the_golden_root_records_the_certificate_vectors(
    tmp_path: Path,
) -> None:
    """The certificate vectors as they are, bytes and pinned signatures, recorded in order by a
    ledger whose trust anchor is the golden root; its audit then passes."""
    anchors = tmp_path / "anchors"
    anchors.mkdir()
    (anchors / "root.der").write_bytes(der(by_name(CERTIFICATE_KEYS[0])["anchor"]))
    ledger, clock, _authority = golden_ledger(anchors)
    keep_side_data(ledger)
    for name in (
        *CERTIFICATE_KEYS,
        "revocation-recorded",
        "dossier-received-ecdsa",
        "dossier-received-rsa-pss",
    ):
        record_vector(ledger, clock, name)
    for name in REGISTERED_BY:
        fields = by_name(name)["fields"]
        dossier = ledger.dossier(fields["subject"])
        assert dossier.custodian == "29266"
        assert ledger.key(fields["key"]).certificates == tuple(
            value(by_name(REGISTERED_BY[name])["fields"])["body"]["certificates"]
        )
    report = audit(ledger, workers=1)
    assert report.ok, [finding.describe() for finding in report.findings]


def test_a_ledger_trusting_another_root_refuses_the_golden_certificate_key(
    tmp_path: Path,
) -> None:
    anchors = Hierarchy.build().anchors(tmp_path / "other")
    ledger, clock, _authority = golden_ledger(anchors)
    keep_side_data(ledger)
    size = ledger.logstore.tree_size()
    with pytest.raises(UnknownTrustAnchor):
        record_vector(ledger, clock, CERTIFICATE_KEYS[0])
    assert ledger.logstore.tree_size() == size


@each_vector
def test_parse_returns_the_same_fields(vector: dict[str, Any]) -> None:
    parsed = schema.parse(bytes.fromhex(vector["statement"]))
    assert parsed == statement_of(vector)
    assert schema.build(parsed).hex() == vector["statement"]


@each_vector
def test_text_typed_decomposed_is_signed_composed(vector: dict[str, Any]) -> None:
    """A signer's NFD input (as some keyboards produce) is normalised before it is signed."""

    def decomposed(item: Any) -> Any:
        if isinstance(item, str):
            return unicodedata.normalize("NFD", item)
        if isinstance(item, dict):
            return {key: decomposed(inner) for key, inner in item.items()}
        if isinstance(item, list):
            return [decomposed(inner) for inner in item]
        return item

    statement = statement_of(vector)
    typed = dataclasses.replace(statement, body=decomposed(dict(statement.body)))
    assert schema.build(typed).hex() == vector["statement"]


def test_dispatch_note_is_vietnamese_in_nfc() -> None:
    note = by_name("handover-dispatched")["fields"]["body"]["note"]
    assert unicodedata.is_normalized("NFC", note)
    assert note != unicodedata.normalize("NFD", note)  # it has diacritics to normalise
    assert note.encode("utf-8").hex() in by_name("handover-dispatched")["statement"]


def test_the_vectors_chain() -> None:
    genesis = by_name("authority-genesis")["fields"]
    assert genesis["seq"] == 1
    assert genesis["prev"] == {"bin": "00" * 32}
    assert genesis["office"] == genesis["officer"] == genesis["subject"] == "authority"
    assert genesis["body"]["public_key"]["bin"] == by_name("authority-genesis")["public_key"]
    chain = [
        by_name(name)
        for name in ("dossier-received", "handover-dispatched", "handover-recalled-seen")
    ]
    assert chain[0]["fields"]["prev"] == {"bin": "00" * 32}
    for earlier, later in itertools.pairwise(chain):
        assert later["fields"]["seq"] == earlier["fields"]["seq"] + 1
        assert later["fields"]["prev"] == {"bin": earlier["sha256"]}
    assert chain[2]["fields"]["body"]["dispatch"] == {"bin": chain[1]["sha256"]}


def test_the_specification_quotes_the_vectors() -> None:
    """docs/log-format.md copies the vectors; its hex must be these, byte for byte: the signer's
    seed (Ed25519) or SubjectPublicKeyInfo, the statement, its hash, the signature, and the
    SHA-256 of every certificate and CRL kept beside the log."""
    text = re.sub(r"\s+", "", SPECIFICATION.read_text(encoding="utf-8"))
    for vector in VECTORS:
        for name in ("seed", "public_key", "key_id", "statement", "sha256", "signature"):
            if name in vector:
                assert vector[name] in text, (
                    f"{vector['name']}: {name} differs from the specification"
                )
        for item in [*vector.get("chain", []), vector.get("anchor"), vector.get("crl")]:
            if item is not None:
                assert item["sha256"] in text, f"{vector['name']}: a DER's SHA-256 is not quoted"
        if "issuer_public_key" in vector:
            assert vector["issuer_public_key"] in text
