"""Verifier keys, and the signers that hold their private halves.

Key hash = SHA-256(key name ‖ 0x0A ‖ key type ‖ 32-byte public key)[:4]. A verifier key is
"<key name>+<8 hex digits of the key hash>+<base64(key type ‖ public key)>". A signer writes its
signature lines "— <key name> <base64(key hash[4] ‖ payload)>\\n"; for Ed25519 (type 0x01) the
payload is the Ed25519 signature over the note text.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import ClassVar

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger.log.note.text import (
    ED25519,
    KEY_TYPES,
    SIGNATURE_PREFIX,
    NoteError,
    _b64,
    _b64decode,
    _check_name,
    _check_text,
)

_KEY_HASH = re.compile("[0-9a-fA-F]{8}")


def key_hash(name: str, kind: int, public_key: bytes) -> bytes:
    """SHA-256(name ‖ 0x0A ‖ kind ‖ public key)[:4]: how signature lines name their key."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([kind]) + public_key).digest()[:4]


@dataclass(frozen=True)
class Verifier:
    """A public key that signature lines name by `name` and `key_hash`: what a verifier trusts."""

    name: str
    key_hash: bytes
    public_key: bytes
    kind: int = ED25519

    def __post_init__(self) -> None:
        _check_name(self.name, "verifier key")
        _check_key(self.name, self.kind, self.public_key)
        expected = key_hash(self.name, self.kind, self.public_key)
        if self.key_hash != expected:
            raise NoteError(
                f"verifier key {self.name}: key hash {self.key_hash.hex()} is not the hash of "
                f"its key, {expected.hex()}"
            )

    def line(self) -> str:
        """The verifier key string: name+hex key hash+base64(kind ‖ public key)."""
        return f"{self.name}+{self.key_hash.hex()}+{_b64(bytes([self.kind]) + self.public_key)}"


def verifier(name: str, public_key: bytes, kind: int = ED25519) -> Verifier:
    _check_name(name, "verifier key")
    _check_key(name, kind, public_key)
    return Verifier(name, key_hash(name, kind, public_key), public_key, kind)


def parse_verifier(text: str) -> Verifier:
    """Parse a verifier key string, checking its name, key type, key length and key hash.

    It splits on the first two '+' only: the base64 of the key may hold '+' itself.
    """
    parts = text.split("+", 2)
    if len(parts) != 3:
        raise NoteError(f"verifier key {text!r} is not <name>+<key hash>+<base64 key>")
    name, hash_hex, encoded = parts
    _check_name(name, f"verifier key {text!r}")
    if not _KEY_HASH.fullmatch(hash_hex):
        raise NoteError(f"verifier key {name}: key hash {hash_hex!r} is not 8 hexadecimal digits")
    raw = _b64decode(encoded, f"verifier key {name}: the key")
    if not raw:
        raise NoteError(f"verifier key {name}: the key is empty, not a type byte and a public key")
    kind, public_key = raw[0], raw[1:]
    _check_key(name, kind, public_key)
    computed = key_hash(name, kind, public_key)
    if bytes.fromhex(hash_hex) != computed:
        raise NoteError(
            f"verifier key {name}: it states key hash {hash_hex} but its key hashes to "
            f"{computed.hex()}"
        )
    return Verifier(name, computed, public_key, kind)


class _Signer:
    """An Ed25519 private key and its key name, signing as one key type."""

    kind: ClassVar[int]

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        self._private_key = private_key
        self._verifier = verifier(name, private_key.public_key().public_bytes_raw(), self.kind)

    @property
    def name(self) -> str:
        return self._verifier.name

    @property
    def verifier(self) -> Verifier:
        return self._verifier

    def _line(self, payload: bytes) -> str:
        return f"{SIGNATURE_PREFIX}{self.name} {_b64(self._verifier.key_hash + payload)}\n"


class NoteSigner(_Signer):
    """Signs note texts with Ed25519 (type 0x01)."""

    kind = ED25519

    def sign(self, text: str) -> str:
        """The signature line, ending in a newline, over the UTF-8 bytes of `text`."""
        return self._line(self._private_key.sign(_check_text(text, "note text")))


def _check_key(name: str, kind: int, public_key: bytes) -> None:
    if kind not in KEY_TYPES:
        raise NoteError(
            f"verifier key {name}: unknown key type 0x{kind:02x}; known are 0x01 (Ed25519) and "
            "0x04 (cosignature/v1)"
        )
    if len(public_key) != 32:
        raise NoteError(
            f"verifier key {name}: an Ed25519 public key is 32 bytes, not {len(public_key)}"
        )


def _ed25519_verifies(public_key: bytes, signature: bytes, message: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True
