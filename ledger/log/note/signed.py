"""Signed notes: a text, one blank line, then one or more signature lines.

The last blank line of the note separates its text from its signatures. Parsing a note checks its
form and verifies nothing; opening it verifies every signature line whose key name and key hash
match a trusted verifier key, and keeps the other lines unverified, as the spec requires. A
cosignature/v1 line (type 0x04) is verified like any other, by its witness key: its payload is an
8-byte big-endian timestamp ‖ an Ed25519 signature over "cosignature/v1\\ntime <timestamp>\\n" ‖
the checkpoint's note text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ledger.log.note.keys import NoteSigner, Verifier, _ed25519_verifies
from ledger.log.note.text import (
    _CONTROL,
    COSIGNATURE_HEADER,
    COSIGNATURE_V1,
    MAX_SIGNATURES,
    MAX_TIMESTAMP,
    SIGNATURE_PREFIX,
    NoteError,
    _b64decode,
    _check_name,
    _check_text,
    _note_string,
)


def cosignature_message(checkpoint_text: str, timestamp: int) -> bytes:
    """The bytes a cosignature/v1 signs: header line, time line, then the checkpoint note text."""
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise NoteError(f"a cosignature timestamp is from 0 to 2^63 - 1, not {timestamp}")
    data = _check_text(checkpoint_text, "checkpoint text")
    return f"{COSIGNATURE_HEADER}time {timestamp}\n".encode() + data


def sign_note(text: str, *signers: NoteSigner) -> str:
    """The signed note: `text`, a blank line, then one signature line per signer."""
    if not signers:
        raise NoteError("a signed note needs at least one signer")
    if len(signers) > MAX_SIGNATURES:
        raise NoteError(f"a note carries at most {MAX_SIGNATURES} signatures, not {len(signers)}")
    note = text + "\n" + "".join(signer.sign(text) for signer in signers)
    _note_string(note)  # refuses a note too large for parse_note to take back
    return note


@dataclass(frozen=True)
class Signature:
    """One signature line of a note, parsed but not verified."""

    name: str
    key_hash: bytes
    signature: bytes  # the payload after the key hash
    line: str  # as written: "— <name> <base64>\n"


@dataclass(frozen=True)
class Note:
    """A parsed note; `verified_by` names the trusted keys whose signatures verified."""

    text: str
    signatures: tuple[Signature, ...]
    verified_by: tuple[str, ...] = ()


def parse_signature_line(line: str, where: str = "signature line") -> Signature:
    """Parse one "— <key name> <base64>" line (with or without its newline); verify nothing."""
    body = line.removesuffix("\n")
    control = _CONTROL.search(body) or re.search("\n", body)
    if control:
        raise NoteError(f"{where}: control character U+{ord(control.group()):04X}")
    if not body.startswith(SIGNATURE_PREFIX):
        raise NoteError(
            f"{where}: a signature line starts with '— ' (U+2014 EM DASH, space), not {body[:2]!r}"
        )
    name, space, encoded = body.removeprefix(SIGNATURE_PREFIX).partition(" ")
    if not space or not encoded:
        raise NoteError(f"{where}: a signature line is '— <key name> <base64>', not {body!r}")
    _check_name(name, where)
    payload = _b64decode(encoded, f"{where}: the signature by {name}")
    if len(payload) < 5:
        raise NoteError(
            f"{where}: the signature by {name} is {len(payload)} bytes; it needs a 4-byte key "
            "hash and a signature"
        )
    return Signature(name, payload[:4], payload[4:], body + "\n")


def parse_note(note: str | bytes) -> Note:
    """Split a note into its text and signature lines, checking its form; verify nothing."""
    text_of_note = _note_string(note)
    control = _CONTROL.search(text_of_note)
    if control:
        number = text_of_note.count("\n", 0, control.start()) + 1
        raise NoteError(
            f"line {number}: control character U+{ord(control.group()):04X}; a note holds no "
            "ASCII control character but newline"
        )
    if not text_of_note.endswith("\n"):
        raise NoteError("the note does not end in a newline")
    split = text_of_note.rfind("\n\n")
    if split < 0:
        raise NoteError("the note has no blank line between its text and its signature lines")
    text, block = text_of_note[: split + 1], text_of_note[split + 2 :]
    lines = block.split("\n")[:-1]
    if not lines:
        raise NoteError("the note has no signature lines after its last blank line")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"the note has {len(lines)} signature lines; at most {MAX_SIGNATURES}")
    first = text.count("\n") + 2
    return Note(
        text,
        tuple(parse_signature_line(line, f"line {first + i}") for i, line in enumerate(lines)),
    )


def open_note(note: str | bytes, verifiers: Sequence[Verifier]) -> Note:
    """Parse a note and verify every signature line whose key name and key hash match a verifier.

    Lines by other keys are kept in `signatures` but not verified, as the spec requires. Raises
    NoteError if a matching line does not verify, or if no line matches a verifier.
    """
    trusted = _index(verifiers)
    parsed = parse_note(note)
    verified: list[str] = []
    for signature in parsed.signatures:
        key = trusted.get((signature.name, signature.key_hash))
        if key is None:
            continue
        _verify(key, parsed.text, signature)
        if key.name not in verified:
            verified.append(key.name)
    if not verified:
        signers = dict.fromkeys(f"{s.name} ({s.key_hash.hex()})" for s in parsed.signatures)
        known = ", ".join(f"{v.name} ({v.key_hash.hex()})" for v in trusted.values())
        raise NoteError(
            f"the note has no signature by a trusted key ({known}); it is signed by "
            f"{', '.join(signers)}"
        )
    return replace(parsed, verified_by=tuple(verified))


def _verify(key: Verifier, text: str, signature: Signature) -> None:
    if key.kind == COSIGNATURE_V1:
        _verify_cosignature(key, text, signature)
        return
    if not _ed25519_verifies(key.public_key, signature.signature, text.encode("utf-8")):
        raise NoteError(f"signature by {key.name} does not verify (key hash {key.key_hash.hex()})")


def _verify_cosignature(key: Verifier, checkpoint_text: str, signature: Signature) -> int:
    payload = signature.signature
    if len(payload) != 8 + 64:
        raise NoteError(
            f"cosignature by {key.name} does not verify: it is {len(payload)} bytes after the "
            "key hash, not 8 (timestamp) + 64 (signature)"
        )
    timestamp = int.from_bytes(payload[:8], "big")
    if timestamp > MAX_TIMESTAMP:
        raise NoteError(f"cosignature by {key.name}: its timestamp {timestamp} exceeds 2^63 - 1")
    message = cosignature_message(checkpoint_text, timestamp)
    if not _ed25519_verifies(key.public_key, payload[8:], message):
        raise NoteError(f"cosignature by {key.name} does not verify (time {timestamp})")
    return timestamp


def _index(verifiers: Sequence[Verifier]) -> dict[tuple[str, bytes], Verifier]:
    if not verifiers:
        raise NoteError("opening a note needs at least one trusted verifier key")
    return {(key.name, key.key_hash): key for key in verifiers}
