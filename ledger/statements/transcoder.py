"""A msgpack transcoder for stored event state, plugged in through the Application's hook.

This is storage encoding, not the signed format: signed statement bytes travel inside it verbatim
as a bin value and are never re-encoded. Extension types keep the types eventsourcing needs back
exactly: UUID (1), timezone-aware datetime as ISO 8601 text (2), tuple (3).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import msgpack
from eventsourcing.persistence import Transcoder

_UUID, _DATETIME, _TUPLE = 1, 2, 3


def _default(value: Any) -> Any:
    if isinstance(value, UUID):
        return msgpack.ExtType(_UUID, value.bytes)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise TypeError(f"naive datetime {value.isoformat()} cannot be stored")
        return msgpack.ExtType(_DATETIME, value.isoformat().encode())
    if isinstance(value, tuple):
        return msgpack.ExtType(_TUPLE, _pack(list(value)))
    raise TypeError(f"cannot store a {type(value).__name__} in an event")


def _ext_hook(code: int, data: bytes) -> Any:
    if code == _UUID:
        return UUID(bytes=data)
    if code == _DATETIME:
        return datetime.fromisoformat(data.decode())
    if code == _TUPLE:
        return tuple(_unpack(data))
    raise ValueError(f"unknown msgpack extension type {code} in stored event")


def _pack(value: Any) -> bytes:
    return msgpack.packb(value, default=_default, use_bin_type=True, strict_types=True)


def _unpack(data: bytes) -> Any:
    return msgpack.unpackb(data, ext_hook=_ext_hook, raw=False, strict_map_key=False)


class MsgpackTranscoder(Transcoder):
    def encode(self, obj: Any) -> bytes:
        return _pack(obj)

    def decode(self, data: bytes) -> Any:
        return _unpack(data)
