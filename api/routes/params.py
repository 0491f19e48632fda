"""Query parameters shared by routes: instants, days and cursors, each refused with its name."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import Query

from api.problems import BadRequest
from domain.instant import from_datetime

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
    if text is None or text == "":
        return None
    if text.isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"{name}: {text!r} is not an ISO 8601 time or microseconds") from None
    if moment.tzinfo is None:
        raise BadRequest(f"{name}: {text!r} has no timezone (add +07:00 or Z)")
    return from_datetime(moment)


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
