"""Signatures, key ids, key files and envelopes."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain.statement import Statement
from ledger.errors import BadEnvelope, BadKeyFile, BadSignature, LedgerError
from ledger.statements import schema
from ledger.statements.signing import (
    KEY_ID_PREFIX,
    SIGNING_PREFIX,
    Envelope,
    SigningKey,
    key_id,
    statement_hash,
    verify,
)

SEED = hashlib.sha256(b"lienthong signing tests").digest()
KEY = SigningKey.from_seed(SEED, "cb-29266", "29266")
OTHER = SigningKey.from_seed(hashlib.sha256(b"lienthong signing tests, another key").digest())
RAW = schema.build(
    Statement(
        kind="handover.rejected",
        subject="000.00.29.H59-250602-0001",
        seq=3,
        prev=hashlib.sha256(b"dispatch").digest(),
        office="844",
        officer="cb-844",
        key=KEY.key_id,
        at=1748840400000000,
        body={
            "dispatch": hashlib.sha256(b"dispatch").digest(),
            "reason": "Thiếu bản sao giấy khai sinh",
        },
    )
)
SIGNATURE = KEY.sign(RAW)


def flipped(data: bytes, bit: int) -> bytes:
    changed = bytearray(data)
    changed[bit // 8] ^= 1 << (bit % 8)
    return bytes(changed)


# --- signatures ---------------------------------------------------------------------------------


def test_a_signature_verifies() -> None:
    assert len(SIGNATURE) == 64
    verify(KEY.public_key, RAW, SIGNATURE)


def test_signatures_are_deterministic() -> None:
    assert SigningKey.from_seed(SEED).sign(RAW) == SIGNATURE


def test_a_flipped_bit_anywhere_in_the_statement_is_refused() -> None:
    for bit in range(0, len(RAW) * 8, 7):  # every byte, each of its bits in turn
        with pytest.raises(BadSignature, match=f"does not verify with key {KEY.key_id}"):
            verify(KEY.public_key, flipped(RAW, bit), SIGNATURE)


def test_every_flipped_bit_in_the_signature_is_refused() -> None:
    for bit in range(len(SIGNATURE) * 8):
        with pytest.raises(BadSignature, match="does not verify"):
            verify(KEY.public_key, RAW, flipped(SIGNATURE, bit))


@pytest.mark.parametrize("length", [0, 63, 65, 128])
def test_a_signature_of_the_wrong_length_is_refused(length: int) -> None:
    with pytest.raises(BadSignature, match=f"64 bytes, not {length}"):
        verify(KEY.public_key, RAW, (SIGNATURE * 2)[:length])


def test_another_key_does_not_verify() -> None:
    with pytest.raises(BadSignature, match=OTHER.key_id):
        verify(OTHER.public_key, RAW, SIGNATURE)
    with pytest.raises(BadSignature):
        verify(KEY.public_key, RAW, OTHER.sign(RAW))


def test_the_signature_is_over_the_prefix_and_the_bytes() -> None:
    assert SIGNING_PREFIX == b"lienthong statement v1\n"
    private = Ed25519PrivateKey.from_private_bytes(SEED)
    assert private.sign(b"lienthong statement v1\n" + RAW) == SIGNATURE
    verify(KEY.public_key, RAW, private.sign(SIGNING_PREFIX + RAW))


def test_a_signature_over_the_bare_bytes_does_not_verify() -> None:
    """Domain separation: a key's signature on anything else is never a statement signature."""
    bare = Ed25519PrivateKey.from_private_bytes(SEED).sign(RAW)
    with pytest.raises(BadSignature):
        verify(KEY.public_key, RAW, bare)
    # Nor does a statement signature verify the bare bytes with a plain Ed25519 check.
    from cryptography.exceptions import InvalidSignature

    with pytest.raises(InvalidSignature):
        Ed25519PrivateKey.from_private_bytes(SEED).public_key().verify(SIGNATURE, RAW)


def test_a_public_key_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(BadSignature):
        verify(KEY.public_key[:31], RAW, SIGNATURE)


# --- key ids and hashes -------------------------------------------------------------------------


def test_key_id_derivation() -> None:
    assert KEY_ID_PREFIX == b"lienthong key v1\n"
    expected = hashlib.sha256(b"lienthong key v1\n" + KEY.public_key).digest()[:16].hex()
    assert key_id(KEY.public_key) == KEY.key_id == expected
    assert len(expected) == 32
    assert expected == expected.lower()
    assert expected != hashlib.sha256(KEY.public_key).digest()[:16].hex()
    assert key_id(OTHER.public_key) != KEY.key_id


def test_statement_hash_is_sha256_of_the_bytes() -> None:
    assert statement_hash(RAW) == hashlib.sha256(RAW).digest()
    assert len(statement_hash(RAW)) == 32


def test_the_seed_is_the_private_key() -> None:
    private = Ed25519PrivateKey.from_private_bytes(SEED)
    assert KEY.public_key == private.public_key().public_bytes_raw()
    assert (KEY.officer, KEY.office) == ("cb-29266", "29266")


def test_generated_keys_differ() -> None:
    assert SigningKey.generate().key_id != SigningKey.generate().key_id


# --- key files ----------------------------------------------------------------------------------


def test_key_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "cb-29266.key"
    KEY.save(path)
    loaded = SigningKey.load(path)
    assert loaded.public_key == KEY.public_key
    assert (loaded.officer, loaded.office, loaded.key_id) == ("cb-29266", "29266", KEY.key_id)
    assert loaded.sign(RAW) == SIGNATURE
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["type"] == "lienthong-ed25519-private-key"
    assert document["key"] == KEY.key_id
    assert base64.b64decode(document["public_key"]) == KEY.public_key
    assert base64.b64decode(document["seed"]) == SEED


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_key_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "k.key"
    old = os.umask(0)
    try:
        KEY.save(path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_key_file_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "k.key"
    KEY.save(path)
    before = path.read_bytes()
    with pytest.raises(FileExistsError):
        OTHER.save(path)
    assert path.read_bytes() == before
    assert SigningKey.load(path).key_id == KEY.key_id


def good_document() -> dict[str, str]:
    return {
        "type": "lienthong-ed25519-private-key",
        "key": KEY.key_id,
        "officer": "cb-29266",
        "office": "29266",
        "public_key": base64.b64encode(KEY.public_key).decode(),
        "seed": base64.b64encode(SEED).decode(),
    }


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "not a Li\u00ean th\u00f4ng key file"),
        (b"not json", "not a Li\u00ean th\u00f4ng key file"),
        (b"\xff\xfe\x00", "not a Li\u00ean th\u00f4ng key file"),
        (b"[1, 2]", "not a Li\u00ean th\u00f4ng key file"),
        (b'"seed"', "not a Li\u00ean th\u00f4ng key file"),
        (json.dumps({**good_document(), "seed": "not base64!"}).encode(), "not a Li"),
        (json.dumps({**good_document(), "seed": "AAAA"}).encode(), "32 bytes"),
        (json.dumps({k: v for k, v in good_document().items() if k != "seed"}).encode(), "'seed'"),
        (json.dumps({**good_document(), "key": "00" * 16}).encode(), f"holds key {KEY.key_id}"),
        (json.dumps(good_document()).encode()[:-10], "not a Li"),
    ],
)
def test_a_corrupt_key_file_is_refused(tmp_path: Path, content: bytes, words: str) -> None:
    path = tmp_path / "corrupt.key"
    path.write_bytes(content)
    with pytest.raises(BadKeyFile) as caught:
        SigningKey.load(path)
    assert words in str(caught.value)
    assert str(path) in str(caught.value)


def test_a_missing_key_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BadKeyFile, match="does not exist"):
        SigningKey.load(tmp_path / "absent.key")


def test_a_good_key_file_written_by_hand_loads(tmp_path: Path) -> None:
    path = tmp_path / "hand.key"
    path.write_text(json.dumps(good_document()), encoding="utf-8")
    assert SigningKey.load(path).key_id == KEY.key_id


def test_a_directory_is_not_a_key_file(tmp_path: Path) -> None:
    with pytest.raises(LedgerError):
        SigningKey.load(tmp_path)


# --- envelopes ----------------------------------------------------------------------------------


def test_envelope_round_trip() -> None:
    envelope = Envelope(RAW, SIGNATURE)
    text = envelope.to_json()
    document = json.loads(text)
    assert set(document) == {"statement", "signature"}
    assert base64.b64decode(document["statement"]) == RAW
    assert base64.b64decode(document["signature"]) == SIGNATURE
    assert Envelope.from_json(text) == envelope
    verify(KEY.public_key, Envelope.from_json(text).statement, Envelope.from_json(text).signature)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "junk",
        "[]",
        "1",
        "null",
        '"statement"',
        "{}",
        '{"statement": "AAAA"}',
        '{"signature": "AAAA"}',
        '{"statement": "!!!!", "signature": "AAAA"}',
        '{"statement": "AAAA", "signature": "AA A"}',
        '{"statement": 5, "signature": "AAAA"}',
        '{"statement": "AAAA", "signature": null}',
        '{"statement": "AAA", "signature": "AAAA"}',
    ],
)
def test_junk_is_not_an_envelope(text: str) -> None:
    with pytest.raises(BadEnvelope, match="an envelope is a JSON object with base64"):
        Envelope.from_json(text)
