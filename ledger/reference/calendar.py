"""The working-day calendar the ledger uses: the `holidays` package plus the override table.

ledger/reference/data/calendar_overrides.csv holds a `# version: V` line, then rows of `date` (ISO),
`kind` (`day_off` or `working_day`), `name_vi`, `name_en`, `status`, `document` and `source`. A
row's status is `confirmed`, naming in `document` the announcement that set the day, or
`provisional`, when none was found (docs/law.md, "Working days and holidays"); every row says in
`source` where it comes from. What each row corrects and the dates still to verify are in
ledger/reference/data/SOURCES.md.
"""

from __future__ import annotations

import csv
from datetime import date
from functools import cache
from importlib import resources

from domain.calendar import Override, WorkCalendar

OVERRIDES_FILE = "calendar_overrides.csv"
KINDS = {"day_off": False, "working_day": True}
STATUSES = ("confirmed", "provisional")
COLUMNS = ["date", "kind", "name_vi", "name_en", "status", "document", "source"]
_VERSION = "# version:"


@cache
def load_calendar() -> WorkCalendar:
    """The calendar with the packaged override table; built once per process."""
    text = resources.files("ledger.reference").joinpath("data", OVERRIDES_FILE).read_text(encoding="utf-8")
    version, overrides = read_overrides(text)
    return WorkCalendar(overrides, version=version)


def read_overrides(text: str) -> tuple[str, list[Override]]:
    """The table's version and rows; raises ValueError naming the line of any bad row."""
    lines = text.splitlines()
    if not lines or not lines[0].startswith(_VERSION):
        raise ValueError(f"{OVERRIDES_FILE}: the first line must be '{_VERSION} …'")
    version = lines[0].removeprefix(_VERSION).strip().split()[0]
    reader = csv.DictReader(lines[1:])
    if reader.fieldnames != COLUMNS:
        raise ValueError(f"{OVERRIDES_FILE}: columns must be {COLUMNS}, not {reader.fieldnames}")
    return version, [_override(row, number) for number, row in enumerate(reader, start=3)]


def _override(row: dict[str, str], line: int) -> Override:
    try:
        day = date.fromisoformat(row["date"])
        working = KINDS[row["kind"]]
    except (ValueError, KeyError):
        raise ValueError(
            f"{OVERRIDES_FILE} line {line}: needs an ISO date and a kind in {sorted(KINDS)}, "
            f"not {row['date']!r}, {row['kind']!r}"
        ) from None
    status = row["status"] or ""
    document, source = (row["document"] or "").strip(), (row["source"] or "").strip()
    if status not in STATUSES:
        raise ValueError(
            f"{OVERRIDES_FILE} line {line}: needs a status in {list(STATUSES)}, not {status!r}"
        )
    if status == "confirmed" and not document:
        raise ValueError(
            f"{OVERRIDES_FILE} line {line}: a confirmed day names the document that announced it"
        )
    if not source:
        raise ValueError(f"{OVERRIDES_FILE} line {line}: needs its source")
    return Override(
        day,
        working,
        row["name_vi"],
        row["name_en"],
        source,
        provisional=status == "provisional",
        document=document,
    )
