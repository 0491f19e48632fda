"""The rules every note text and key name obey, the limits, and canonical base64.

Every part of a note is checked against these first: a note's text is UTF-8, ends in a newline and
holds no ASCII control character but newline; a key name holds no '+', spaces or control
characters; a payload has one base64 spelling. Whatever breaks a rule raises NoteError, whose
message names the line, the key and the rule broken.
"""

from __future__ import annotations

import base64
import re
import unicodedata

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


class NoteError(ValueError):
    """A note, verifier key, checkpoint or cosignature that is malformed or does not verify."""


def _check_name(name: str, where: str) -> None:
    if not name:
        raise NoteError(f"{where}: the key name is empty")
    for char in name:
        if char == "+" or char.isspace() or unicodedata.category(char) in ("Cc", "Cs"):
            raise NoteError(
                f"{where}: key name {name!r} holds {char!r}; a key name holds no '+', spaces or "
                "control characters"
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
