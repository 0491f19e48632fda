"""Canonical msgpack: the one byte form of a value, so that hashes and signatures are stable.

Rules (docs/log-format.md states them for implementers in other languages):
- maps have string keys, sorted by their UTF-8 bytes, with no duplicates;
- integers use the shortest msgpack form (positive fixint, uint 8/16/32/64; negative fixint,
  int 8/16/32/64 only for negative values);
- strings are UTF-8 in Unicode NFC, in the shortest str form; byte strings use bin;
- booleans, arrays, maps, strings, bytes and integers only: no nil, no floats, no extension types.
`decode` refuses any input whose canonical re-encoding differs from it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

import msgpack
import msgspec

from ledger.errors import (
    MalformedStatement,
    NonCanonicalStatement,
    OversizedStatement,
    TruncatedStatement,
)

DEFAULT_MAX_BYTES = 64 * 1024
MAX_DEPTH = 16  # statements nest four levels at most; deeper input is refused, never recursed into
_INT_MIN = -(2**63)
_INT_MAX = 2**64 - 1
_EXACT_DECODE = msgspec.msgpack.Decoder().decode
_EXACT_ENCODE = msgspec.msgpack.Encoder().encode


def encode(value: Any) -> bytes:
    """The canonical bytes of `value`; raises ValueError naming what cannot be encoded."""
    return msgpack.packb(_canonical(value, "$"), use_bin_type=True)


def _canonical(value: Any, path: str) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        if not _INT_MIN <= value <= _INT_MAX:
            raise ValueError(f"{path}: integer {value} does not fit in 64 bits")
        return value
    if isinstance(value, str):
        if unicodedata.normalize("NFC", value) != value:
            raise ValueError(f"{path}: text is not in Unicode NFC")
        return value
    if isinstance(value, bytes):
        return value
    if isinstance(value, Mapping):
        for key in value:
            if not isinstance(key, str):
                raise ValueError(f"{path}: map key {key!r} is not a string")
            if unicodedata.normalize("NFC", key) != key:
                raise ValueError(f"{path}: map key {key!r} is not in Unicode NFC")
        return {
            key: _canonical(value[key], f"{path}.{key}")
            for key in sorted(value, key=lambda k: k.encode("utf-8"))
        }
    if isinstance(value, Sequence):
        return [_canonical(item, f"{path}[{index}]") for index, item in enumerate(value)]
    raise ValueError(f"{path}: {type(value).__name__} values cannot be encoded (no nil, no floats)")


def decode(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Any:
    """Decode canonical msgpack; refuses oversized, truncated, trailing, malformed and
    non-canonical input with a `MalformedStatement` subclass naming the problem."""
    if len(data) > max_bytes:
        raise OversizedStatement(f"statement is {len(data)} bytes; the limit is {max_bytes}")
    if not data:
        raise TruncatedStatement("statement is empty")
    unpacker = msgpack.Unpacker(
        raw=False, strict_map_key=True, use_list=True, max_buffer_size=max(len(data), 1)
    )
    unpacker.feed(data)
    try:
        value = unpacker.unpack()
    except msgpack.OutOfData:
        raise TruncatedStatement(
            f"statement ends early: {len(data)} bytes do not hold a complete value"
        ) from None
    except (ValueError, TypeError, msgpack.UnpackException) as problem:
        reason = str(problem) or type(problem).__name__
        raise MalformedStatement(f"statement is not valid msgpack: {reason}") from None
    trailing = len(data) - unpacker.tell()
    if trailing:
        raise MalformedStatement(f"statement has {trailing} trailing bytes after the value")
    # One pass that only answers yes or no (no path text built): the types, the depth, NFC text
    # and sorted map keys. Python orders text by code point, which is UTF-8 byte order. Where it
    # says no, the slow pass names the problem. Then msgpack re-encodes the value as decoded (map
    # order kept): any non-shortest form or duplicate key makes the bytes differ.
    if not _canonical_shape(value, 0):
        _check_types(value, "$", 0)
    if not _canonical_shape(value, 0) or msgpack.packb(value, use_bin_type=True) != data:
        raise NonCanonicalStatement(
            "statement is not in canonical form (map keys must be sorted by UTF-8 bytes and "
            "unique, integers and strings in their shortest form)"
        )
    return value


def decode_exact(data: bytes) -> Any:
    """The value msgpack `data` holds if msgspec's codec reads it and writes the very same bytes
    back; None if not (nor for nil, which no statement is). It refuses nothing and names nothing:
    the first step of a fast path whose caller checks the rest, or falls back to `decode`.

    The same bytes back mean one value with nothing after it, each integer, string, byte string,
    array and map in its shortest form (msgspec writes the forms msgpack's `packb` writes), and no
    duplicate map key. Not checked here, as `decode` checks them: the types (nil, floats, extension
    types and keys that are not text come back as such), NFC text, sorted keys, the depth, the
    size. Input msgspec cannot read (malformed, nested past its recursion limit, not bytes) is
    None."""
    try:
        value = _EXACT_DECODE(data)
    except (msgspec.DecodeError, RecursionError, TypeError):
        return None
    return value if _EXACT_ENCODE(value) == data else None


def _canonical_shape(value: Any, depth: int) -> bool:
    """Yes if every value is of an allowed type, text is NFC, map keys are sorted text, and
    nothing nests deeper than MAX_DEPTH; scalars are checked in the loop, not by recursion."""
    kind = type(value)
    if kind is dict:
        keys = list(value)
        for key in keys:
            if type(key) is not str or not (key.isascii() or unicodedata.is_normalized("NFC", key)):
                return False
        if keys != sorted(keys):
            return False
        items: Any = value.values()
    elif kind is list:
        items = value
    else:
        return _canonical_scalar(value)
    if depth >= MAX_DEPTH and value:  # its items would lie deeper than allowed
        return False
    for item in items:
        kind = type(item)
        if kind is dict or kind is list:
            if not _canonical_shape(item, depth + 1):
                return False
        elif not _canonical_scalar(item):
            return False
    return True


def _canonical_scalar(value: Any) -> bool:
    kind = type(value)
    if kind is str:
        return value.isascii() or unicodedata.is_normalized("NFC", value)
    return kind is bytes or kind is int or kind is bool


def _check_types(value: Any, path: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise MalformedStatement(f"{path}: nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise MalformedStatement(f"{path}: map key {key!r} is not a string")
            _check_text(key, f"{path} key {key!r}")
            _check_types(item, f"{path}.{key}", depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_types(item, f"{path}[{index}]", depth + 1)
    elif isinstance(value, str):
        _check_text(value, path)
    elif not isinstance(value, bytes | int):  # bool is an int
        kind = "nil" if value is None else type(value).__name__
        raise MalformedStatement(f"{path}: {kind} values are not allowed in statements")


def _check_text(text: str, path: str) -> None:
    if unicodedata.normalize("NFC", text) != text:
        raise NonCanonicalStatement(f"{path}: text is not in Unicode NFC")
