"""C2SP signed notes, transparency-log checkpoints and witness cosignatures.

The formats of c2sp.org/signed-note, c2sp.org/tlog-checkpoint and c2sp.org/tlog-cosignature:

- A signed note is UTF-8 text that ends in a newline, one blank line, then one or more signature
  lines "— <key name> <base64(key hash[4] ‖ payload)>\\n" (U+2014 EM DASH, a space; standard padded
  base64). No ASCII control character but newline appears anywhere in it. The text may hold blank
  lines: the last blank line of the note separates the text from the signatures.
- Key hash = SHA-256(key name ‖ 0x0A ‖ key type ‖ 32-byte public key)[:4]. A verifier key is
  "<key name>+<8 hex digits of the key hash>+<base64(key type ‖ public key)>".
- Ed25519 (type 0x01): payload = Ed25519 signature over the note text, i.e. the UTF-8 bytes up to
  and including its final newline, without the blank line.
- cosignature/v1 (type 0x04): payload = 8-byte big-endian timestamp ‖ Ed25519 signature over
  "cosignature/v1\\ntime <timestamp>\\n" ‖ the checkpoint's note text.
- A checkpoint's note text: origin, tree size in decimal, base64 root hash, extension lines; each
  line non-empty and ending in a newline.

Whatever is malformed or does not verify raises NoteError, whose message names the line, the key
and the rule broken.
"""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import ClassVar

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ED25519 = 0x01
COSIGNATURE_V1 = 0x04
KEY_TYPES = {ED25519: "Ed25519", COSIGNATURE_V1: "cosignature/v1"}
MAX_SIGNATURES = 100  # the spec makes verifiers accept at least 16; Go's sumdb/note stops at 100
MAX_NOTE_BYTES = 1 << 20
MAX_TREE_SIZE = (1 << 64) - 1
MAX_TIMESTAMP = (1 << 63) - 1
SIGNATURE_PREFIX = "\u2014 "
COSIGNATURE_HEADER = "cosignature/v1\n"

_CONTROL = re.compile("[\x00-\x09\x0b-\x1f]")
_KEY_HASH = re.compile("[0-9a-fA-F]{8}")
_TREE_SIZE = re.compile("0|[1-9][0-9]*")


class NoteError(ValueError):
    """A note, verifier key, checkpoint or cosignature that is malformed or does not verify."""


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


class Cosigner(_Signer):
    """A witness: cosigns checkpoints as cosignature/v1 (type 0x04)."""

    kind = COSIGNATURE_V1

    def cosign(self, checkpoint_text: str, timestamp: int) -> str:
        """The cosignature line, ending in a newline: the witness states that at `timestamp`
        (POSIX seconds) this checkpoint is the largest consistent one it has seen of the log."""
        Checkpoint.parse(checkpoint_text)
        message = cosignature_message(checkpoint_text, timestamp)
        return self._line(timestamp.to_bytes(8, "big") + self._private_key.sign(message))


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


def _ed25519_verifies(public_key: bytes, signature: bytes, message: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def _index(verifiers: Sequence[Verifier]) -> dict[tuple[str, bytes], Verifier]:
    if not verifiers:
        raise NoteError("opening a note needs at least one trusted verifier key")
    return {(key.name, key.key_hash): key for key in verifiers}


def _check_name(name: str, where: str) -> None:
    if not name:
        raise NoteError(f"{where}: the key name is empty")
    for char in name:
        if char == "+" or char.isspace() or unicodedata.category(char) in ("Cc", "Cs"):
            raise NoteError(
                f"{where}: key name {name!r} holds {char!r}; a key name holds no '+', spaces or "
                "control characters"
            )


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


def _check_text(text: str, what: str) -> bytes:
    """The UTF-8 bytes of a note text, once it obeys the rules of every note text."""
    if not text:
        raise NoteError(f"the {what} is empty; it is at least one line")
    if not text.endswith("\n"):
        raise NoteError(f"the {what} does not end in a newline")
    control = _CONTROL.search(text)
    if control:
        number = text.count("\n", 0, control.start()) + 1
        raise NoteError(
            f"the {what}, line {number}: control character U+{ord(control.group()):04X}"
        )
    data = _utf8(text, f"the {what}")
    if len(data) > MAX_NOTE_BYTES:
        raise NoteError(f"the {what} is {len(data)} bytes; a note is at most {MAX_NOTE_BYTES}")
    return data


def _check_line(value: str, what: str) -> None:
    if not value:
        raise NoteError(f"{what} is empty")
    if "\n" in value or _CONTROL.search(value):
        raise NoteError(f"{what} {value!r} holds a newline or control character")
    _utf8(value, what)


def _note_string(note: str | bytes) -> str:
    size = len(note) if isinstance(note, bytes) else len(_utf8(note, "the note"))
    if size > MAX_NOTE_BYTES:
        raise NoteError(f"the note is {size} bytes; a note is at most {MAX_NOTE_BYTES}")
    if isinstance(note, str):
        return note
    try:
        return note.decode("utf-8")
    except UnicodeDecodeError as problem:
        raise NoteError(
            f"the note is not UTF-8: {problem.reason} at byte {problem.start}"
        ) from None


def _utf8(text: str, what: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as problem:
        raise NoteError(f"{what} is not UTF-8: {problem.reason} at {problem.start}") from None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _b64decode(text: str, what: str) -> bytes:
    """Standard padded base64, canonical (no stray bits), so one payload has one spelling."""
    try:
        data = base64.b64decode(text, validate=True)
    except ValueError as problem:
        raise NoteError(f"{what} is not standard padded base64: {problem}") from None
    if _b64(data) != text:
        raise NoteError(f"{what} is not canonical base64: {text!r}")
    return data
