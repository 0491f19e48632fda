"""Checkpoints (c2sp.org/tlog-checkpoint) and witnesses' cosignatures (c2sp.org/tlog-cosignature).

A checkpoint's note text: origin, tree size in decimal, base64 root hash, extension lines; each
line non-empty and ending in a newline. A witness cosigns a checkpoint as cosignature/v1: it
states that at its timestamp this checkpoint is the largest consistent one it has seen of the log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ledger.log.note.keys import Verifier, _Signer
from ledger.log.note.signed import (
    Signature,
    _verify_cosignature,
    cosignature_message,
    parse_signature_line,
)
from ledger.log.note.text import (
    COSIGNATURE_V1,
    KEY_TYPES,
    MAX_TREE_SIZE,
    NoteError,
    _b64,
    _b64decode,
    _check_line,
    _check_text,
)

_TREE_SIZE = re.compile("0|[1-9][0-9]*")


class Cosigner(_Signer):
    """A witness: cosigns checkpoints as cosignature/v1 (type 0x04)."""

    kind = COSIGNATURE_V1

    def cosign(self, checkpoint_text: str, timestamp: int) -> str:
        """The cosignature line, ending in a newline: the witness states that at `timestamp`
        (POSIX seconds) this checkpoint is the largest consistent one it has seen of the log."""
        Checkpoint.parse(checkpoint_text)
        message = cosignature_message(checkpoint_text, timestamp)
        return self._line(timestamp.to_bytes(8, "big") + self._private_key.sign(message))


def verify_cosignature(
    line_or_signature: Signature | str, checkpoint_text: str, verifier: Verifier
) -> int:
    """Verify a witness's cosignature/v1 over `checkpoint_text`; return its timestamp."""
    if verifier.kind != COSIGNATURE_V1:
        raise NoteError(
            f"{verifier.name} is not a witness key: its type is 0x{verifier.kind:02x} "
            f"({KEY_TYPES[verifier.kind]}), not 0x04 (cosignature/v1)"
        )
    signature = line_or_signature
    if isinstance(signature, str):
        signature = parse_signature_line(signature, "cosignature line")
    if (signature.name, signature.key_hash) != (verifier.name, verifier.key_hash):
        raise NoteError(
            f"the cosignature is by {signature.name} ({signature.key_hash.hex()}), not by "
            f"witness {verifier.name} ({verifier.key_hash.hex()})"
        )
    return _verify_cosignature(verifier, checkpoint_text, signature)


@dataclass(frozen=True)
class Checkpoint:
    """A log's signed state: its origin, tree size and root hash, and opaque extension lines."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_line(self.origin, "the origin")
        if not 0 <= self.size <= MAX_TREE_SIZE:
            raise NoteError(f"a tree size is from 0 to 2^64 - 1, not {self.size}")
        if len(self.root) != 32:
            raise NoteError(f"a root hash is 32 bytes, not {len(self.root)}")
        for extension in self.extensions:
            _check_line(extension, "an extension line")

    def text(self) -> str:
        """The note text: "<origin>\\n<size>\\n<base64 root>\\n" and the extension lines."""
        lines = (self.origin, str(self.size), _b64(self.root), *self.extensions)
        return "".join(f"{line}\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Parse a checkpoint's note text (open the note first: its text is untrusted until then)."""
        _check_text(text, "checkpoint text")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise NoteError(
                f"a checkpoint has three lines (origin, tree size, root hash), not {len(lines)}"
            )
        origin, size, root, *extensions = lines
        if not origin:
            raise NoteError("line 1: the origin is empty")
        if not _TREE_SIZE.fullmatch(size):
            raise NoteError(f"line 2: tree size {size!r} is not a decimal without leading zeros")
        if len(size) > len(str(MAX_TREE_SIZE)) or int(size) > MAX_TREE_SIZE:
            raise NoteError(f"line 2: tree size {size} exceeds 2^64 - 1")
        root_hash = _b64decode(root, "line 3: the root hash")
        if len(root_hash) != 32:
            raise NoteError(f"line 3: the root hash is {len(root_hash)} bytes, not 32")
        for number, extension in enumerate(extensions, start=4):
            if not extension:
                raise NoteError(f"line {number}: an extension line is empty")
        return cls(origin, int(size), root_hash, tuple(extensions))
