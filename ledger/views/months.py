"""Figures kept by the projector per receiving office and month (tổng hợp theo tháng): what the
office report, the map of offices and its monthly rates count, for a period of whole months,
without reading every dossier of the period.

Each dossier's location row contributes to one cell of each of three tables, keyed by the office
that received it and the month (Vietnam time) it was received in:

- `lienthong_month_received` — (received_by, received_month, channel): how many dossiers, and
  how many of them are digitised (their receipt's scans all in the file store, `marks.py`);
- `lienthong_month_ended` — (received_by, received_month, ended_month, appointed_month): how
  many, by the month the dossier was decided or closed (withdrawn), whichever came first
  (`OPEN`, a month after every other, while neither), and the month of its appointed time —
  the dossiers open at the start of a month, and those of them past their appointed time;
- `lienthong_month_decided` — (received_by, received_month, decided_month, procedure, version,
  result), for a decided dossier: how many, how many were decided after the time appointed at
  receipt, and how many of those had an apology slip before the decision (`aggregates`'
  `RESULT`, `LATE_AT_RECEIPT`, `APOLOGISED`, in Python here), and how many the citizens rated
  1, 2, … 5 (`rated_1` … `rated_5`, `marks.py`).

The projector's batch (`rules.Batch`) knows each row it changes as it read it and as it leaves
it: it adds the cells of the row as left and takes away those of the row as read (`deltas`), in
the same transaction as the rows and the tracking, so the cells are exactly the sum over the
location table — a rebuild empties them with it.

Every figure the pages count is a sum over dossiers, so over the months of receipt: for a period
of whole months, the cells of the months whose dossiers count for the office by one chain of
offices (`aggregates.Pieces`: a month no day of the registry cuts) are summed, and the dossiers
received in a month the registry cuts are counted from their rows, as before
(`aggregates.Pieces.months_under`, `in_cut`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from operator import add, attrgetter, sub
from typing import TYPE_CHECKING

from domain.instant import MICROS, VIETNAM, from_datetime

if TYPE_CHECKING:
    from ledger.views.tables import Location

DAY = 86_400 * MICROS
OFFSET = 7 * 3600 * MICROS  # Vietnam time: UTC+7, no daylight saving
OPEN = 999_999  # the ended month of a dossier neither decided nor closed: after every month

RECEIVED = "lienthong_month_received"
ENDED = "lienthong_month_ended"
DECIDED = "lienthong_month_decided"
SCORES = range(1, 6)  # a citizen's rating: 1 (very dissatisfied) to 5 (very satisfied)
RATED = tuple(f"rated_{score}" for score in SCORES)  # the decided cells' counts by score

# (table, key columns and their SQL types, counted columns)
CELLS: tuple[tuple[str, dict[str, str], tuple[str, ...]], ...] = (
    (
        RECEIVED,
        {"received_by": "TEXT", "received_month": "INTEGER", "channel": "TEXT"},
        ("n", "digitised"),
    ),
    (
        ENDED,
        {
            "received_by": "TEXT",
            "received_month": "INTEGER",
            "ended_month": "INTEGER",
            "appointed_month": "INTEGER",
        },
        ("n",),
    ),
    (
        DECIDED,
        {
            "received_by": "TEXT",
            "received_month": "INTEGER",
            "decided_month": "INTEGER",
            "procedure": "TEXT",
            "version": "INTEGER",
            "result": "TEXT",
        },
        ("n", "late_at_receipt", "apologised", *RATED),
    ),
)

TABLES = tuple(
    f"CREATE TABLE IF NOT EXISTS {name} ("
    + ", ".join(f"{column} {kind} NOT NULL" for column, kind in keys.items())
    + ", "
    + ", ".join(f"{column} BIGINT NOT NULL" for column in counted)
    + f", PRIMARY KEY ({', '.join(keys)}))"
    for name, keys, counted in CELLS
)


def _upsert(name: str, keys: dict[str, str], counted: tuple[str, ...]) -> str:
    columns = (*keys, *counted)
    return (
        f"INSERT INTO {name} ({', '.join(columns)}) "  # noqa: S608 — fixed names
        f"VALUES ({', '.join('?' for _ in columns)}) ON CONFLICT ({', '.join(keys)}) DO UPDATE "
        f"SET {', '.join(f'{c} = {name}.{c} + excluded.{c}' for c in counted)}"
    )


def _bulk(name: str, keys: dict[str, str], counted: tuple[str, ...]) -> str:
    """`_upsert` on PostgreSQL for all of a batch's cells at once: its columns as arrays."""
    types = [*keys.values(), *("BIGINT" for _ in counted)]
    columns = (*keys, *counted)
    return (
        f"INSERT INTO {name} ({', '.join(columns)}) "  # noqa: S608 — fixed names
        f"SELECT * FROM unnest({', '.join(f'%b::{kind.lower()}[]' for kind in types)}) "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE "
        f"SET {', '.join(f'{c} = {name}.{c} + excluded.{c}' for c in counted)}"
    )


UPSERT = {name: _upsert(name, keys, counted) for name, keys, counted in CELLS}
BULK = {_upsert(name, keys, counted): _bulk(name, keys, counted) for name, keys, counted in CELLS}

_MONTHS: dict[int, int] = {}  # local day number -> month number


def month(at: int) -> int:
    """The month (Vietnam time) of an instant, as a number: year × 12 + month − 1."""
    day = (at + OFFSET) // DAY
    found = _MONTHS.get(day)
    if found is None:
        moment = datetime.fromordinal(date(1970, 1, 1).toordinal() + day)
        found = _MONTHS[day] = moment.year * 12 + moment.month - 1
    return found


def first_instant(number: int) -> int:
    """The first instant of a month numbered as `month` numbers it."""
    year, index = divmod(number, 12)
    return from_datetime(datetime(year, index + 1, 1, tzinfo=VIETNAM))


def whole(at: int) -> int | None:
    """The month `at` is the first instant of; None if it is not a month's first instant."""
    number = month(at)
    return number if first_instant(number) == at else None


def result(decided_at: int, appointed: int) -> str:
    """`aggregates.RESULT` (`deadlines.judge` of a decided dossier)."""
    if (decided_at + OFFSET) // DAY < (appointed + OFFSET) // DAY:
        return "early"
    return "on_time" if decided_at <= appointed else "late"


Cell = tuple[str, tuple[object, ...]]  # (table, key)
_ONE = (1,)  # what a dossier counts in a cell of one count
_PLAIN = (1, 0)  # what a dossier not digitised counts in its received cell
_RECEIVED = (_PLAIN, (1, 1))  # what a dossier counts in its received cell, by `digitised`
_UNRATED = (0,) * len(SCORES)
# what a decided dossier counts by score in its decided cell: None (not rated), 1 … 5
_SCORED = {None: _UNRATED} | {
    score: tuple(int(score == other) for other in SCORES) for score in SCORES
}

# the fields of a location row its cells are made of (`cells`)
_counted = attrgetter(
    "received_by",
    "received_at",
    "channel",
    "decided_at",
    "closed_at",
    "appointed",
    "appointed_at_receipt",
    "first_apology_at",
    "procedure",
    "version",
    "digitised",
    "score",
)


def cells(row: Location) -> list[tuple[Cell, tuple[int, ...]]]:
    """The cells a location row counts in, with what it counts in each."""
    office, received = row.received_by, month(row.received_at)
    decided_at, closed_at = row.decided_at, row.closed_at
    if closed_at is None or (decided_at is not None and decided_at <= closed_at):
        ended = decided_at
    else:
        ended = closed_at
    found: list[tuple[Cell, tuple[int, ...]]] = [
        ((RECEIVED, (office, received, row.channel)), _RECEIVED[row.digitised]),
        (
            (
                ENDED,
                (office, received, OPEN if ended is None else month(ended), month(row.appointed)),
            ),
            _ONE,
        ),
    ]
    if decided_at is not None:
        late = decided_at > row.appointed_at_receipt
        apology = row.first_apology_at
        apologised = late and apology is not None and apology <= decided_at
        key = (
            office,
            received,
            month(decided_at),
            row.procedure,
            row.version,
            result(decided_at, row.appointed),
        )
        found.append(((DECIDED, key), (1, int(late), int(apologised), *_SCORED[row.score])))
    return found


def deltas(
    added: Iterable[Location], changed: Iterable[tuple[Location, Location]]
) -> dict[str, list[tuple[object, ...]]]:
    """What a batch changes in each table's cells: the cells of the rows it `added`, and for
    each row it `changed` (as read, as left) those of the row as left less those of the row as
    read; per table, the upsert's parameters, each cell once, cells left unchanged omitted."""
    summed: dict[Cell, list[int]] = {}

    def count(row: Location, sign: int) -> None:
        for cell, counted in cells(row):
            total = summed.get(cell)
            if total is None:
                summed[cell] = list(counted) if sign > 0 else [-n for n in counted]
            elif counted is _ONE or counted is _PLAIN:  # a count of one, the others nil
                total[0] += sign
            else:
                total[:] = map(add if sign > 0 else sub, total, counted)

    for row in added:
        count(row, 1)
    for before, after in changed:
        if _counted(before) != _counted(after):  # most changes move a dossier, not its cells
            count(after, 1)
            count(before, -1)
    found: dict[str, list[tuple[object, ...]]] = {}
    for (table, key), counted in summed.items():
        if any(counted):
            found.setdefault(UPSERT[table], []).append((*key, *counted))
    return found
