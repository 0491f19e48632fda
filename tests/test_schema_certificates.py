"""The statement format's fields for official-duty certificates (docs/log-format.md section 5.2):
`key.registered`'s `public_key` (32 bytes, or a DER SubjectPublicKeyInfo of at most 2048 bytes) and
optional `certificates` (1 to 8 SHA-256 digests), and the `revocation.recorded` kind. Each refusal
by its class and the field it names, by the writer (`schema.build`) and the reader (`schema.parse`)
alike; then the ledger's own rule that a key without certificates is a 32-byte Ed25519 key."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest

from domain.errors import Refusal
from domain.statement import Statement
from ledger.errors import BadField, MissingField, UnknownField
from ledger.statements import canonical, schema
from ledger.statements.signing import SigningKey, key_id, spki_of
from tests.pki import ec_key, rsa_key
from tests.world import World

AT = 1748826000000000  # 2025-06-02 08:00 in Vietnam
EC_SPKI = spki_of(ec_key("golden officer").public_key())  # 91 bytes
RSA_SPKI = spki_of(rsa_key("officer-rsa").public_key())  # 294 bytes
DIGEST = hashlib.sha256(b"a certificate").digest()


def fields(kind: str, subject: str, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "v": 1,
        "kind": kind,
        "subject": subject,
        "seq": 1,
        "prev": bytes(32),
        "office": "authority",
        "officer": "authority",
        "key": "ce41e7a0334caa1d41e8128b87afb920",
        "at": AT,
        "body": body,
    }


def statement(kind: str, subject: str, body: dict[str, Any]) -> Statement:
    return Statement(**fields(kind, subject, body))


def key_body(public_key: Any = EC_SPKI, **more: Any) -> dict[str, Any]:
    body = {"officer": "cb-29266", "public_key": public_key, "role": "officer", "effective": AT}
    body.update(more)
    return body


def revocation_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"format": "crl", "sha256": DIGEST, "produced": AT - 3_600_000_000}
    body.update(changes)
    return {name: item for name, item in body.items() if item is not None}


def both_refuse(error: type[Refusal], kind: str, body: dict[str, Any], names: str) -> None:
    """The writer refuses to build it and the reader refuses its canonical bytes, by `error`,
    the message naming `names` (a regular expression)."""
    with pytest.raises(error, match=names):
        schema.build(statement(kind, "s", body))
    raw = canonical.encode(fields(kind, "s", body))  # the bytes a careless writer would send
    with pytest.raises(error, match=names):
        schema.parse(raw)


def accepted(kind: str, body: dict[str, Any]) -> Statement:
    raw = schema.build(statement(kind, "s", body))
    parsed = schema.parse(raw)
    assert schema.build(parsed) == raw
    return parsed


# --- key.registered: public_key ----------------------------------------------------------------


@pytest.mark.parametrize("size", [32, 91, 294, 2048])
def test_public_key_of_32_to_2048_bytes_is_a_field_value(size: int) -> None:
    public_key = {91: EC_SPKI, 294: RSA_SPKI}.get(size, bytes(range(256)) * 8)[:size]
    parsed = accepted("key.registered", key_body(public_key))
    assert parsed.body["public_key"] == public_key


@pytest.mark.parametrize("size", [0, 31, 2049])
def test_public_key_outside_32_to_2048_bytes_is_refused_by_name(size: int) -> None:
    both_refuse(
        BadField,
        "key.registered",
        key_body(bytes(size)),
        rf"statement\.body\.public_key .*not {size} bytes",
    )


def test_public_key_as_text_is_refused() -> None:
    both_refuse(BadField, "key.registered", key_body(EC_SPKI.hex()), r"body\.public_key .*not str")


def test_public_key_in_json_is_hex_of_any_length() -> None:
    body = schema.from_json("key.registered", {**key_body(), "public_key": RSA_SPKI.hex()})
    assert body["public_key"] == RSA_SPKI
    with pytest.raises(BadField, match=r"body\.public_key must be bytes written in hex"):
        schema.from_json("key.registered", {**key_body(), "public_key": "3059zz"})


# --- key.registered: certificates --------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 2, 8])
def test_one_to_eight_certificate_digests_are_accepted(count: int) -> None:
    digests = [hashlib.sha256(bytes([n])).digest() for n in range(count)]
    parsed = accepted("key.registered", key_body(certificates=digests))
    assert parsed.body["certificates"] == digests


@pytest.mark.parametrize("count", [0, 9])
def test_no_certificate_or_more_than_eight_is_refused(count: int) -> None:
    both_refuse(
        BadField,
        "key.registered",
        key_body(certificates=[DIGEST] * count),
        rf"statement\.body\.certificates has {count} items; between 1 and 8",
    )


@pytest.mark.parametrize("size", [0, 31, 33, 64])
def test_a_certificate_digest_not_32_bytes_is_refused_by_its_place(size: int) -> None:
    both_refuse(
        BadField,
        "key.registered",
        key_body(certificates=[DIGEST, bytes(size)]),
        rf"statement\.body\.certificates\[1\] must be 32 bytes, not {size} bytes",
    )


def test_certificates_that_are_not_a_list_of_bytes_are_refused() -> None:
    both_refuse(
        BadField,
        "key.registered",
        key_body(certificates=DIGEST),
        r"body\.certificates must be a list",
    )
    both_refuse(
        BadField,
        "key.registered",
        key_body(certificates=[DIGEST.hex()]),
        r"body\.certificates\[0\] must be 32 bytes, not str",
    )


def test_an_unknown_field_beside_certificates_is_refused() -> None:
    both_refuse(
        UnknownField,
        "key.registered",
        key_body(certificates=[DIGEST], chain=[DIGEST]),
        r"statement\.body has unknown field\(s\) 'chain'",
    )


def test_a_key_without_certificates_keeps_the_bytes_it_always_had() -> None:
    """`certificates` is optional and absent from an Ed25519 registration: its bytes are those of
    the four-field body, as recorded before the field existed."""
    key = SigningKey.from_seed(bytes(range(32)))
    body = key_body(key.public_key)
    raw = schema.build(statement("key.registered", key.key_id, body))
    assert raw == canonical.encode(fields("key.registered", key.key_id, body))
    assert b"certificates" not in raw
    assert "certificates" not in schema.parse(raw).body


def test_certificates_sort_first_in_the_body() -> None:
    raw = schema.build(
        statement("key.registered", key_id(EC_SPKI), key_body(certificates=[DIGEST]))
    )
    body = raw[raw.index(b"body") + 4 :]
    assert body.startswith(b"\x85\xaccertificates\x91\xc4\x20" + DIGEST + b"\xa9effective")


# --- revocation.recorded ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["crl", "ocsp"])
def test_revocation_recorded_of_a_crl_or_an_ocsp_response(kind: str) -> None:
    parsed = accepted("revocation.recorded", revocation_body(format=kind))
    assert parsed.body == {"format": kind, "sha256": DIGEST, "produced": AT - 3_600_000_000}
    assert parsed.family == "revocation"


@pytest.mark.parametrize("kind", ["CRL", "pem", "der", "", "delta-crl"])
def test_revocation_recorded_of_another_format_is_refused(kind: str) -> None:
    both_refuse(
        BadField,
        "revocation.recorded",
        revocation_body(format=kind),
        rf"statement\.body\.format is {re.escape(repr(kind))}; it must be one of crl, ocsp",
    )


@pytest.mark.parametrize("missing", ["format", "sha256", "produced"])
def test_revocation_recorded_without_a_field_is_refused(missing: str) -> None:
    both_refuse(
        MissingField,
        "revocation.recorded",
        revocation_body(**{missing: None}),
        rf"statement\.body lacks the required field '{missing}'",
    )


@pytest.mark.parametrize("size", [0, 31, 33])
def test_revocation_recorded_digest_not_32_bytes_is_refused(size: int) -> None:
    both_refuse(
        BadField,
        "revocation.recorded",
        revocation_body(sha256=bytes(size)),
        rf"statement\.body\.sha256 must be 32 bytes, not {size} bytes",
    )


@pytest.mark.parametrize("produced", [-1, 253370739599999999 + 1, "2025-06-02T00:00:00Z", True])
def test_revocation_recorded_produced_is_an_instant(produced: Any) -> None:
    both_refuse(
        BadField,
        "revocation.recorded",
        revocation_body(produced=produced),
        r"statement\.body\.produced",
    )


@pytest.mark.parametrize("extra", ["next_update", "der", "issuer"])
def test_revocation_recorded_with_an_unknown_field_is_refused(extra: str) -> None:
    both_refuse(
        UnknownField,
        "revocation.recorded",
        revocation_body(**{extra: DIGEST}),
        rf"statement\.body has unknown field\(s\) '{extra}'",
    )


def test_revocation_recorded_in_json() -> None:
    body = schema.from_json(
        "revocation.recorded",
        {"format": "ocsp", "sha256": DIGEST.hex(), "produced": "2025-06-02T07:00:00+07:00"},
    )
    assert body == {"format": "ocsp", "sha256": DIGEST, "produced": 1748822400000000}


# --- the ledger: without certificates, a key is 32 bytes ----------------------------------------


def test_a_key_registered_without_certificates_must_be_32_bytes() -> None:
    """The format accepts 32 to 2048 bytes in `public_key`; the ledger accepts more than 32 only
    with `certificates` naming the chain, and records nothing otherwise."""
    world = World.build("memory:")
    size = world.ledger.logstore.tree_size()
    with pytest.raises(
        BadField, match=r"body\.public_key is 91 bytes: a key registered without certificates"
    ):
        world.authority.record("key.registered", key_id(EC_SPKI), key_body(EC_SPKI))
    assert world.ledger.logstore.tree_size() == size


def test_a_32_byte_key_with_certificates_is_refused() -> None:
    """With `certificates`, `public_key` must be the DER SubjectPublicKeyInfo of the first one's
    key: 32 bytes never are."""
    world = World.build("memory:")
    key = SigningKey.from_seed(bytes(range(32)))
    size = world.ledger.logstore.tree_size()
    with pytest.raises(Refusal, match="SubjectPublicKeyInfo"):
        world.authority.record(
            "key.registered", key.key_id, key_body(key.public_key, certificates=[DIGEST])
        )
    assert world.ledger.logstore.tree_size() == size
