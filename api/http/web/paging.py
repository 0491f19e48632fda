"""Long lists a page at a time: a province's stalled dossiers, or the dossiers behind a number
on the map, run to thousands; an office PC on a slow line gets a hundred at once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

PAGE_ROWS = 100


@dataclass(frozen=True)
class Page:
    """One page of a list: its rows, where they start in the whole list, and the address of
    the list's pages without the number (the template appends it)."""

    rows: Sequence[Any]
    total: int
    first: int
    number: int
    pages: int
    listed: str


def page_number(text: str) -> int | None:
    """The page asked for, or None if `text` is not a page number (1, 2, …)."""
    return int(text) if text.isdigit() and int(text) >= 1 else None


def page_of(rows: Sequence[Any], number: int, path: str, kept: list[tuple[str, str]]) -> Page:
    """Page `number` of `rows`; past the end (the list shrank since the link was made), the
    last page. `kept` are the query parameters every page of the list keeps (its filters)."""
    size = PAGE_ROWS
    pages = max(1, -(-len(rows) // size))
    number = min(number, pages)
    first = (number - 1) * size
    listed = f"{path}?{urlencode([*kept, ('page', '')])}"
    return Page(rows[first : first + size], len(rows), first, number, pages, listed)
