"""What every wire model shares: the text and instant rules of their fields, the JSON form of a
statement, a problem (RFC 9457) and a page of results (the conventions: api/http/schemas)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from domain.identifier import MAX_LENGTH, PATTERN
from domain.instant import RANGE, in_range, to_datetime
from domain.statement import Statement

T = TypeVar("T")

# control characters other than the line feed: no field of a statement holds them (ledger/statements/schema)
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")


def storable(value: str) -> str:
    """`value` if it can be stored and shown: no control character but the line feed, no lone
    surrogate (UTF-8, hence every database and file, cannot hold one). ValueError otherwise."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("holds a lone surrogate, which is not a character") from None
    found = _CONTROL.search(value)
    if found:
        raise ValueError(f"holds the control character U+{ord(found.group()):04X}")
    return value


def is_storable(value: str) -> bool:
    try:
        storable(value)
    except ValueError:
        return False
    return True


def storable_tree(value: Any, path: str = "body") -> Any:
    """`storable` on every text (map keys included) of a JSON value; ValueError naming where."""
    if isinstance(value, str):
        try:
            return storable(value)
        except ValueError as problem:
            raise ValueError(f"{path} {problem}") from None
    if isinstance(value, dict):
        for key, item in value.items():
            storable_tree(key, f"{path} key {key!r}")
            storable_tree(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            storable_tree(item, f"{path}[{index}]")
    return value


def in_instant_range(at: int | None) -> int | None:
    """`at` if it is an instant the ledger handles (or None); ValueError otherwise."""
    if at is not None and not in_range(at):
        raise ValueError(f"{at} is outside the instants this ledger handles: {RANGE}")
    return at


StorableText = Annotated[str, AfterValidator(storable)]
Identifier = Annotated[str, Field(min_length=1, max_length=MAX_LENGTH, pattern=PATTERN)]


def iso(at: int | None) -> str | None:
    return None if at is None else to_datetime(at).isoformat()


def jsonable(value: Any) -> Any:
    """A decoded statement value as JSON: bytes as hex, everything else as it is."""
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    return value


def statement_json(statement: Statement) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "v": statement.v,
        "kind": statement.kind,
        "subject": statement.subject,
        "seq": statement.seq,
        "prev": statement.prev.hex(),
        "office": statement.office,
        "officer": statement.officer,
        "key": statement.key,
        "at": statement.at,
        "at_iso": iso(statement.at),
        "body": jsonable(dict(statement.body)),
    }
    if statement.seen is not None:
        fields["seen"] = {"size": statement.seen.size, "root": statement.seen.root.hex()}
    return fields


class Problem(BaseModel):
    """RFC 9457 problem details, as every refusal is given (`application/problem+json`)."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": "/problems/stale-head",
                    "title": "Hồ sơ đã thay đổi; hãy ký lại trên trạng thái mới",
                    "status": 409,
                    "detail": "000.00.01.H59-250602-0001 is at seq 3; the statement claims seq 3 "
                    "on another head: re-sign on the current head",
                    "instance": "/v1/statements",
                    "code": "stale-head",
                    "current": {
                        "subject": "000.00.01.H59-250602-0001",
                        "seq": 3,
                        "head": "9f" * 32,
                    },
                }
            ]
        },
    )
    type: str = Field(..., description="/problems/<code>: stable per kind of refusal")
    title: str = Field(..., description="in the caller's language (Accept-Language; vi default)")
    status: int
    detail: str = Field(..., description="what exactly was wrong")
    instance: str
    code: str


class Page(BaseModel, Generic[T]):
    items: list[T]
    next: str | None = Field(None, description="cursor for the next page; null on the last one")
