"""Ed25519 signatures over statements, key ids, key files and envelopes.

Signature = Ed25519(private key, SIGNING_PREFIX ‖ statement bytes). The prefix separates this use of
a key from any other, so a statement signature can never be replayed as anything else.
Key id = lowercase hex of the first 16 bytes of SHA-256(KEY_ID_PREFIX ‖ 32-byte public key).

Signing uses `cryptography`; every verification (recording, audit, bundles) uses libsodium through
PyNaCl: one verifier everywhere, so what the ledger accepted the audit accepts, and libsodium
verifies about twice as fast (docs/performance.md). libsodium also refuses small-order public keys
and non-canonical signatures.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nacl.bindings import crypto_sign_open
from nacl.exceptions import BadSignatureError

from ledger.errors import BadEnvelope, BadKeyFile, BadSignature

SIGNING_PREFIX = b"lienthong statement v1\n"
KEY_ID_PREFIX = b"lienthong key v1\n"


def key_id(public_key: bytes) -> str:
    """The id by which statements name a key."""
    return hashlib.sha256(KEY_ID_PREFIX + public_key).digest()[:16].hex()


def statement_hash(statement: bytes) -> bytes:
    """SHA-256 of the canonical statement bytes: what `prev` and dispatch references name."""
    return hashlib.sha256(statement).digest()


def private_seed(private: Ed25519PrivateKey) -> bytes:
    """The 32-byte seed of an Ed25519 private key (what key files keep)."""
    return private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def write_key_file(path: Path, document: dict[str, Any]) -> None:
    """Write a JSON key file with mode 0600; FileExistsError rather than overwrite a key."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=2)
        handle.write("\n")


def read_key_file(path: Path, key_type: str | None, what: str) -> tuple[dict[str, Any], bytes]:
    """A key file's JSON document and its seed; BadKeyFile naming the file and the problem.
    `key_type` None accepts a file without a type (officer and authority keys)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(document, dict):
            raise TypeError("it is not a JSON object")
        if key_type is not None and document.get("type") != key_type:
            raise ValueError(f"its type is {document.get('type')!r}, not {key_type!r}")
        return document, base64.b64decode(document["seed"], validate=True)
    except FileNotFoundError:
        raise BadKeyFile(f"{what} file {path} does not exist") from None
    except OSError as problem:
        raise BadKeyFile(f"cannot read {what} file {path}: {problem.strerror}") from None
    except (ValueError, KeyError, TypeError, binascii.Error) as problem:
        raise BadKeyFile(f"{path} is not a Liên thông {what} file: {problem}") from None


@dataclass(frozen=True)
class SigningKey:
    """A private Ed25519 key with the officer and office it signs for (as its key file says)."""

    private: Ed25519PrivateKey
    officer: str = ""
    office: str = ""

    @classmethod
    def from_seed(cls, seed: bytes, officer: str = "", office: str = "") -> SigningKey:
        """Deterministic keys for tests and demo data: the seed is the 32-byte private key."""
        return cls(Ed25519PrivateKey.from_private_bytes(seed), officer, office)

    @classmethod
    def generate(cls, officer: str = "", office: str = "") -> SigningKey:
        return cls(Ed25519PrivateKey.generate(), officer, office)

    @property
    def public_key(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    @property
    def key_id(self) -> str:
        return key_id(self.public_key)

    def sign(self, statement: bytes) -> bytes:
        return self.private.sign(SIGNING_PREFIX + statement)

    def save(self, path: Path) -> None:
        """Write the key file with mode 0600, refusing to overwrite an existing file."""
        write_key_file(
            path,
            {
                "type": "lienthong-ed25519-private-key",
                "key": self.key_id,
                "officer": self.officer,
                "office": self.office,
                "public_key": base64.b64encode(self.public_key).decode(),
                "seed": base64.b64encode(private_seed(self.private)).decode(),
            },
        )

    @classmethod
    def load(cls, path: Path) -> SigningKey:
        document, seed = read_key_file(path, None, "key")
        try:
            key = cls.from_seed(seed, document.get("officer", ""), document.get("office", ""))
        except ValueError as problem:
            raise BadKeyFile(f"{path} is not a Liên thông key file: {problem}") from None
        if document.get("key") not in (None, key.key_id):
            raise BadKeyFile(f"{path} names key {document['key']} but holds key {key.key_id}")
        return key


def verify(public_key: bytes, statement: bytes, signature: bytes) -> None:
    """Raise BadSignature unless `signature` is the key's signature over the statement."""
    if len(signature) != 64:
        raise BadSignature(f"a signature is 64 bytes, not {len(signature)}")
    if len(public_key) != 32:
        raise BadSignature(f"an Ed25519 public key is 32 bytes, not {len(public_key)}")
    try:
        crypto_sign_open(signature + SIGNING_PREFIX + statement, public_key)
    except (BadSignatureError, ValueError):
        raise BadSignature(f"the signature does not verify with key {key_id(public_key)}") from None


@dataclass(frozen=True)
class Envelope:
    """A signed statement in transit: the canonical bytes and the signature over them."""

    statement: bytes
    signature: bytes

    def to_json(self) -> str:
        return json.dumps(
            {
                "statement": base64.b64encode(self.statement).decode(),
                "signature": base64.b64encode(self.signature).decode(),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Envelope:
        try:
            document: Any = json.loads(text)
            return cls(
                base64.b64decode(document["statement"], validate=True),
                base64.b64decode(document["signature"], validate=True),
            )
        except (ValueError, KeyError, TypeError, binascii.Error) as problem:
            raise BadEnvelope(
                f"an envelope is a JSON object with base64 'statement' and 'signature': {problem}"
            ) from None
