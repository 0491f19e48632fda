"""The transparency log's own formats: the leaf of an entry, the log key and its checkpoints.

A leaf is one recorded entry: the statement bytes exactly as signed, the signer's signature and the
ledger's `recorded_at`, as a canonical msgpack map (docs/log-format.md §11). Its leaf hash is the
RFC 9162 SHA-256(0x00 ‖ leaf). A checkpoint is a C2SP tlog-checkpoint — origin, size, base64 root —
in a signed note, signed by the log key: a key of its own, never the authority key.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

import msgpack
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.errors import BadKeyFile
from ledger.log import merkle, note
from ledger.statements import canonical, signing

LEAF_VERSION = 1
LOG_KEY_TYPE = "lienthong-log-key"


def leaf_data(statement: bytes, signature: bytes, recorded_at: int) -> bytes:
    """The bytes of one leaf: what the ledger recorded, and when."""
    if type(statement) is bytes and type(signature) is bytes and type(recorded_at) is int:
        # keys already in canonical order, values of canonical types: msgpack's own encoding
        # is the canonical one (this runs once per entry when recording and auditing)
        return msgpack.packb(
            {
                "recorded_at": recorded_at,
                "signature": signature,
                "statement": statement,
                "v": LEAF_VERSION,
            },
            use_bin_type=True,
        )
    return canonical.encode(
        {
            "recorded_at": recorded_at,
            "signature": signature,
            "statement": statement,
            "v": LEAF_VERSION,
        }
    )


def entry_leaf_hash(statement: bytes, signature: bytes, recorded_at: int) -> bytes:
    return merkle.leaf_hash(leaf_data(statement, signature, recorded_at))


def check_origin(origin: str) -> str:
    """A log's origin names it in every checkpoint and is its key name: one line of printable
    text without spaces or '+' (C2SP key names)."""
    if not origin or any(ch.isspace() or ch == "+" or not ch.isprintable() for ch in origin):
        raise ValueError(
            f"a log origin is one word of printable text without spaces or '+', e.g. "
            f"'lienthong.travinh.gov.vn/log', not {origin!r}"
        )
    return origin


@dataclass(frozen=True)
class LogKey:
    """The key that signs the log's checkpoints; its name is the log's origin."""

    origin: str
    private: Ed25519PrivateKey

    @classmethod
    def from_seed(cls, origin: str, seed: bytes) -> LogKey:
        return cls(check_origin(origin), Ed25519PrivateKey.from_private_bytes(seed))

    @classmethod
    def generate(cls, origin: str) -> LogKey:
        return cls(check_origin(origin), Ed25519PrivateKey.generate())

    @property
    def public_key(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    @property
    def signer(self) -> note.NoteSigner:
        return note.NoteSigner(self.origin, self.private)

    @property
    def verifier(self) -> note.Verifier:
        """The log's public verifier key (C2SP vkey), to publish."""
        return note.verifier(self.origin, self.public_key)

    def sign_checkpoint(self, size: int, root: bytes) -> str:
        return note.sign_note(note.Checkpoint(self.origin, size, root).text(), self.signer)

    def save(self, path: Path) -> None:
        """Write the key file with mode 0600, refusing to overwrite an existing file."""
        signing.write_key_file(
            path,
            {
                "type": LOG_KEY_TYPE,
                "origin": self.origin,
                "verifier": self.verifier.line(),
                "seed": base64.b64encode(signing.private_seed(self.private)).decode(),
            },
        )

    @classmethod
    def load(cls, path: Path) -> LogKey:
        document, seed = signing.read_key_file(path, LOG_KEY_TYPE, "log key")
        try:
            return cls.from_seed(document["origin"], seed)
        except (ValueError, KeyError, TypeError, note.NoteError) as problem:
            raise BadKeyFile(f"{path} is not a Liên thông log key file: {problem}") from None


def read_verifier(text_or_path: str) -> note.Verifier:
    """A verifier key given as the C2SP text itself or as a file holding it (or a log key file)."""
    text = text_or_path.strip()
    path = Path(text)
    if "+" not in text or path.is_file():
        try:
            content = path.read_text(encoding="utf-8").strip()
        except OSError as problem:
            raise BadKeyFile(
                f"{text_or_path!r} is neither a verifier key (name+hash+key) nor a readable "
                f"file: {problem.strerror}"
            ) from None
        if content.startswith("{"):
            return LogKey.load(path).verifier
        text = content
    try:
        return note.parse_verifier(text)
    except note.NoteError as problem:
        raise BadKeyFile(f"not a verifier key: {problem}") from None
