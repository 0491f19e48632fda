"""Golden vectors: the exact bytes, hashes, key ids and signatures of version-1 statements.

tests/golden/vectors.json was generated once by tests/golden/make_vectors.py. Each vector is rebuilt
here from its readable fields with today's code and must come out byte for byte the same. A failure
means the statement format changed: every stored signature would stop verifying.
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
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from domain.statement import Seen, Statement
from ledger.statements import schema
from ledger.statements.signing import SigningKey, key_id, statement_hash, verify

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


each_vector = pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])


def test_the_vectors_cover_what_the_format_promises() -> None:
    names = {vector["name"] for vector in VECTORS}
    assert {"authority-genesis", "handover-dispatched", "handover-recalled-seen"} <= names
    assert any("seen" in vector["fields"] for vector in VECTORS)
    assert DOCUMENT["signing_prefix"] == b"lienthong statement v1\n".hex()


@each_vector
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
def test_build_gives_the_pinned_bytes_hash_and_signature(vector: dict[str, Any]) -> None:
    raw = schema.build(statement_of(vector))
    assert raw.hex() == vector["statement"]
    assert statement_hash(raw).hex() == vector["sha256"]
    assert hashlib.sha256(raw).hexdigest() == vector["sha256"]
    key = SigningKey.from_seed(bytes.fromhex(vector["seed"]))
    assert key.sign(raw).hex() == vector["signature"]


@each_vector
def test_the_pinned_signature_verifies(vector: dict[str, Any]) -> None:
    raw = bytes.fromhex(vector["statement"])
    public_key = bytes.fromhex(vector["public_key"])
    signature = bytes.fromhex(vector["signature"])
    verify(public_key, raw, signature)
    # The same check with nothing from the ledger but the prefix, spelled out.
    Ed25519PublicKey.from_public_bytes(public_key).verify(
        signature, b"lienthong statement v1\n" + raw
    )


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
    """docs/log-format.md copies the vectors; its hex must be these, byte for byte."""
    text = re.sub(r"\s+", "", SPECIFICATION.read_text(encoding="utf-8"))
    for vector in VECTORS:
        for name in ("seed", "public_key", "key_id", "statement", "sha256", "signature"):
            assert vector[name] in text, f"{vector['name']}: {name} differs from the specification"
