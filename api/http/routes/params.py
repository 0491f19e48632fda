"""Parameters shared by routes: identifiers, instants, days and cursors, each refused with its name.

Every path or query parameter that names a dossier, office, officer, key, procedure or level takes
the one identifier rule (domain/identifier.py) as its `pattern`, so a value that breaks it (a NUL,
a space, markup, 129 characters) is a 422 problem before anything reads the database. Every
instant lies in the range domain/instant.py gives, or is a 422 problem naming the parameter."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import Path, Query

from api.http.problems import BadRequest
from domain.identifier import MAX_LENGTH, PATTERN
from domain.instant import RANGE, from_datetime, in_range

IDENTIFIER_RULE = "letters, digits and . _ : / @ + -, starting with a letter or digit"
DossierCode = Annotated[
    str,
    Path(
        max_length=MAX_LENGTH,
        pattern=PATTERN,
        description=f"the dossier code (mã hồ sơ): {IDENTIFIER_RULE}",
        examples=["000.00.01.H59-250602-0001"],
    ),
]
OfficeId = Annotated[
    str,
    Path(
        max_length=MAX_LENGTH,
        pattern=PATTERN,
        description=f"office id: {IDENTIFIER_RULE}",
        examples=["844"],
    ),
]
RegistryId = Annotated[
    str, Path(max_length=MAX_LENGTH, pattern=PATTERN, description=f"an id: {IDENTIFIER_RULE}")
]
OfficeFilter = Annotated[
    str | None,
    Query(
        max_length=MAX_LENGTH,
        pattern=PATTERN,
        description="this office and the offices below it",
    ),
]
ProcedureFilter = Annotated[
    str | None, Query(max_length=MAX_LENGTH, pattern=PATTERN, description="procedure code")
]
LevelFilter = Annotated[
    str | None,
    Query(max_length=64, pattern=PATTERN, description="commune, district, province …"),
]

Limit = Annotated[int, Query(ge=1, le=500, description="how many items per page")]
NumericCursor = Annotated[
    str | None,
    Query(pattern=r"^[0-9]{1,18}$", description="from the previous page's `next`"),
]
InstantText = Annotated[
    str | None,
    Query(
        max_length=64,
        pattern=r"^([0-9]{1,19}|[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|[+-][0-9]{2}:?[0-9]{2}))$",
        description="an instant: ISO 8601 with a timezone (2025-06-02T07:30:00+07:00) or "
        "integer microseconds since the epoch",
        examples=["2025-06-02T07:30:00+07:00"],
    ),
]
DayText = Annotated[
    str | None,
    Query(
        pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
        description="a day, YYYY-MM-DD",
        examples=["2025-07-01"],
    ),
]


def instant(text: str | None, name: str) -> int | None:
    """The instant `text` names (ISO 8601 with a zone, or microseconds), None if absent;
    BadRequest naming `name` if it is not one, or lies outside the range the ledger handles."""
    if text is None or text == "":
        return None
    if text.isdigit():
        return within_range(int(text), name, text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"{name}: {text!r} is not an ISO 8601 time or microseconds") from None
    if moment.tzinfo is None:
        raise BadRequest(f"{name}: {text!r} has no timezone (add +07:00 or Z)")
    return within_range(from_datetime(moment), name, text)


def within_range(at: int, name: str, text: str) -> int:
    if not in_range(at):
        raise BadRequest(f"{name}: {text!r} is outside the instants this ledger handles: {RANGE}")
    return at


def day(text: str | None, name: str) -> date | None:
    if text is None or text == "":
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"{name}: {text!r} is not a day written YYYY-MM-DD") from None


def position(cursor: str | None) -> int:
    """A numeric cursor (a log position, a sequence number, an offset); 0 when absent."""
    if cursor is None or cursor == "":
        return 0
    if not cursor.isdigit() or len(cursor) > 18:
        raise BadRequest(f"cursor {cursor!r} is not one this API gave out")
    return int(cursor)
