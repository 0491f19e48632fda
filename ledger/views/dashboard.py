"""The inspector's stall dashboard (trang giám sát) from the views' index ranges, without the
whole list of stalls: how many dossiers break each stall rule, and how many are stalled at all,
counted in SQL (`counts`); and one page of the stalled dossiers, each with all its problems,
read from the rules' ranges merged most overdue first only as far as the page needs (`page`).

Both answer as the whole list would (`stalls.find_stalls` without a page, grouped by dossier: the
reference, tests/test_dashboard_sql.py):

- Every stall of a dossier names the same office — who holds it, or, in transit, whom it is sent
  to (`HOLDER`): so the office subtree and the level asked for keep all of a dossier's stalls or
  none, and whether they do depends only on that office, the dossier's procedure and the office
  that received it (`Inspector.within`, for an office no longer active).
- A dossier breaks `unacknowledged` or `over_level_budget` (in transit, or held), not both, and
  `past_appointed` or `due_soon` (its appointed time before `at`, or within one working day of
  it), not both: the dossiers stalled at all are the open ones appointed at most one working day
  after `at`, and those of the first two rules appointed later.

A count is one COUNT over a rule's range when no office or level is asked for; otherwise one pass
over the range counts its dossiers per office, procedure and receiving office (GROUP BY), and each
group is judged: by its office alone, once, where that decides it — of the level, and answering
to the office asked for through offices still active, or not — else (the line up from the office
meets one no longer active, as the districts dissolved on 1/7/2025: who answers for their
dossiers depends on each dossier's procedure and receiving office) by `Inspector.within`. The
same pass counts apart those appointed later than one working day after `at`, for the dossiers
stalled at all. The held dossiers past their level deadline are counted from the kept deadlines
(`turns.py`), those counted again judged one by one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from ledger.views import stalls, turns
from ledger.views.queries import HOLDER, Candidate, among
from ledger.views.rules import one_of
from ledger.views.stalls import (
    RULES,
    Stall,
    _kept,
    _stalls_of,
    most_overdue_first,
    ranges,
)
from ledger.views.tables import LOCATION, TURN_DEADLINES, location_of

if TYPE_CHECKING:
    from ledger.views.sla import Inspector

_OPEN = "l.status IN ('held', 'in_transit', 'suspended') AND l.received_at <= ?"
_LOCATED = ", ".join(f"l.{name}" for name in LOCATION.names)


class _Judge:
    """Whether a dossier's stalls are of the level and under the office asked for, as
    `stalls._Ranges.stall` judges each: by office alone where that decides it (cached), else by
    office, procedure and receiving office."""

    def __init__(
        self, inspector: Inspector, office: str | None, level: str | None, day: date
    ) -> None:
        self.inspector, self.office, self.level, self.day = inspector, office, level, day
        self.everything = office is None and level is None
        self._offices: dict[str, bool | None] = {}

    def of_office(self, holder: str) -> bool | None:
        """True or False for every dossier whose stalls name `holder`; None: it depends on the
        dossier's procedure and receiving office (the line up from `holder` meets an office no
        longer active before it reaches the office asked for)."""
        if holder not in self._offices:
            self._offices[holder] = self._judged(holder)
        return self._offices[holder]

    def _judged(self, holder: str) -> bool | None:
        inspector = self.inspector
        if self.level is not None and inspector.level_of(holder) != self.level:
            return False
        if self.office is None:
            return True
        return stalls.reaches(inspector, holder, self.office, self.day)

    def of_dossier(self, holder: str, procedure: str, received_by: str) -> bool:
        verdict = self.of_office(holder)
        if verdict is not None:
            return verdict
        assert self.office is not None  # (else every office is decided)
        return self.inspector.within(
            holder, self.office, self.day, procedure=procedure, received_by=received_by
        )


# a condition on a range's rows and its parameters: the rows meeting it are counted apart too
Split = tuple[str, tuple[Any, ...]]


def _count(
    inspector: Inspector,
    judge: _Judge,
    source: str,
    params: Sequence[Any],
    holder: str,
    split: Split | None = None,
) -> tuple[int, int]:
    """The rows of `source` (FROM … WHERE …, its location rows named `l`) whose dossier `judge`
    keeps, its office `holder` (a column or expression); and of them, those that meet `split`
    (0 without one) — both read in one pass over the range."""
    view = inspector.projector.view
    marks, flagged = ([f"CASE WHEN {split[0]} THEN 1 ELSE 0 END"], split[1]) if split else ([], ())
    totals = [0, 0]

    def add(marked: Sequence[Any], rows: Any) -> None:
        totals[0] += int(rows)
        totals[1] += int(rows) if marked and marked[0] else 0

    def grouped(columns: list[str]) -> Any:
        listed = ", ".join([*columns, *marks])
        by = ", ".join(str(n + 1) for n in range(len(columns) + len(marks)))
        return view.query(
            f"SELECT {listed + ', ' if listed else ''}COUNT(*) {source}"
            + (f" GROUP BY {by}" if by else ""),
            (*flagged, *params),
        )

    if judge.everything:
        for *marked, rows in grouped([]):
            add(marked, rows)
        return totals[0], totals[1]
    # one pass over the range: its rows counted per office, procedure and receiving office (an
    # office's dossiers judged once if the office decides them, else each group judged)
    for office, procedure, received_by, *marked, rows in grouped(
        [holder, "l.procedure", "l.received_by"]
    ):
        if judge.of_dossier(office or "", procedure, received_by):
            add(marked, rows)
    return totals[0], totals[1]


def counts(
    inspector: Inspector,
    at: int,
    *,
    office: str | None = None,
    level: str | None = None,
    procedure: str | None = None,
) -> dict[str, int]:
    """How many dossiers break each stall rule at `at` (the views as they are now), and ("") how
    many are stalled at all, of `procedure`, of the level and under the office asked for: the
    numbers `stalls.find_stalls`' whole list gives, counted by dossier."""
    found = ranges(inspector, at, office=office, level=level, procedure=procedure)
    judge = _Judge(inspector, office, level, found.day)
    named, offices = found.where
    due = found.due_soon_latest()  # appointed by then: past its appointed time, or due soon

    def count(condition: str, values: tuple[Any, ...], holder: str = HOLDER) -> tuple[int, int]:
        """The open dossiers of `condition` (received by `at`, of the procedure asked for, held
        by or sent to one of the offices that may answer to the one asked for), and of them
        those appointed after `due`."""
        source = (
            f"FROM lienthong_location l WHERE {_OPEN}"
            + (" AND l.procedure = ?" if named is not None else "")
            + f" AND {condition}"
            + among(holder, offices)
        )
        params = (at, *((named,) if named is not None else ()), *values, *(offices or ()))
        return _count(inspector, judge, source, params, holder, ("l.appointed > ?", (due,)))

    # in transit, not acknowledged for too long (`_Ranges.unacknowledged`)
    unacknowledged, unacknowledged_later = count(
        "l.status = 'in_transit' AND l.since <= ? AND l.transit_to IS NOT NULL",
        (found.unacknowledged_latest(),),
        "l.transit_to",
    )
    late, late_later = _late(inspector, judge, at, named, offices, due)
    past, _ = count("l.appointed <= ?", (at - 1,))
    soon, _ = count("l.appointed >= ? AND l.appointed <= ?", (at, due))
    return {
        # past its appointed time or due soon (one or the other), or neither but in transit
        # unacknowledged or held past its level's budget (one or the other)
        "": past + soon + unacknowledged_later + late_later,
        "unacknowledged": unacknowledged,
        "over_level_budget": late,
        "past_appointed": past,
        "due_soon": soon,
    }


def past_appointed_by_office(inspector: Inspector, at: int, office: str) -> Counter[str]:
    """For every office: how many dossiers under `office` past their appointed time at `at`
    sit at it or at an office answering to it — the map's count (`rollup.stalls_by_office` of
    the `past_appointed` stalls, the reference): one pass over the rule's range, grouped by
    office, procedure and receiving office, each group judged (`_Judge`) and counted along the
    line up from its office (`Inspector.lineage`)."""
    found = ranges(inspector, at, office=office)
    judge = _Judge(inspector, office, None, found.day)
    _, offices = found.where
    rows = inspector.projector.view.query(
        f"SELECT {HOLDER}, l.procedure, l.received_by, COUNT(*) "  # noqa: S608
        f"FROM lienthong_location l WHERE {_OPEN} AND l.appointed <= ?"
        + among(HOLDER, offices)
        + " GROUP BY 1, 2, 3",
        (at, at - 1, *(offices or ())),
    )
    counted: Counter[str] = Counter()
    for holder, procedure, received_by, n in rows:
        holder, procedure, received_by = str(holder or ""), str(procedure), str(received_by)
        if judge.of_dossier(holder, procedure, received_by):
            line = inspector.lineage(
                holder, found.day, procedure=procedure, received_by=received_by
            )
            for above in line:
                counted[above] += int(n)
    return counted


def _late(
    inspector: Inspector,
    judge: _Judge,
    at: int,
    procedure: str | None,
    offices: Sequence[str] | None,
    appointed_after: int,
) -> tuple[int, int]:
    """The held dossiers past their level deadline at `at` that `judge` keeps, and of them those
    appointed after `appointed_after`: the kept deadlines counted in SQL, the ones counted again
    (`turns.recounted_unkept`) one by one."""
    recounted = turns.recounted_unkept(inspector, at, procedure)
    if recounted is None:  # nothing kept for this calendar: each held dossier's deadline counted
        late = turns.past_deadline(inspector, at, procedure, offices)
        return _judged(judge, late, appointed_after)
    kept_on, unkept = recounted
    # the deadlines' range first, then each one's dossier (CROSS JOIN: SQLite keeps that order;
    # it would read every held dossier and look its deadline up — 9.0 against 3.7 ms at
    # 100,000 dossiers)
    source = (
        f"FROM {TURN_DEADLINES} d CROSS JOIN lienthong_location l "
        "WHERE l.code = d.code AND d.deadline < ? AND d.basis = ? AND d.valid_from <= ? "
        "AND l.status = 'held' AND l.last_seq = d.last_seq AND l.received_at <= ?"
        + (" AND l.procedure = ?" if procedure is not None else "")
        + among("l.custodian", offices)
    )
    params = (
        (at, kept_on, at, at)
        + ((procedure,) if procedure is not None else ())
        + tuple(offices or ())
    )
    split: Split = ("l.appointed > ?", (appointed_after,))
    kept, kept_later = _count(inspector, judge, source, params, "l.custodian", split)
    judged, judged_later = _judged(judge, unkept, appointed_after)
    return kept + judged, kept_later + judged_later


def _judged(
    judge: _Judge, late: Sequence[tuple[Candidate, int]], appointed_after: int
) -> tuple[int, int]:
    """Of `late`, those `judge` keeps, and of them those appointed after `appointed_after`."""
    kept = [
        row
        for row, _ in late
        if judge.of_dossier(row.custodian or "", row.procedure, row.received_by)
    ]
    return len(kept), sum(row.appointed > appointed_after for row in kept)


def page(
    inspector: Inspector,
    at: int,
    *,
    start: int,
    size: int,
    office: str | None = None,
    level: str | None = None,
    procedure: str | None = None,
    rule: str | None = None,
) -> list[list[Stall]]:
    """The stalled dossiers `start` to `start` + `size` of the dashboard's list at `at`, each as
    its stalls, most overdue first: the dossiers in the order of their most overdue stall (with
    `rule`, of their stall of that rule, only those that break it), each with every stall it
    has (of the filters asked for). The rules' ranges are read merged, most overdue first, until
    the page's last dossier has appeared (`stalls.most_overdue_first`); the shown dossiers are
    then judged by every rule (`stalls._stalls_of`), from their rows alone."""
    if rule is not None and rule not in RULES:
        raise ValueError(f"unknown stall rule {rule!r}: one of {', '.join(RULES)}")
    if start < 0 or size < 0:
        raise ValueError(f"a page of dossiers from {start}, {size} long: neither may be negative")
    stop = start + size
    seen: dict[str, None] = {}
    if size:
        for stall in most_overdue_first(
            inspector,
            at,
            office=office,
            level=level,
            procedure=procedure,
            rule=rule,
            first=stalls.first_chunk(stop),
        ):
            seen[stall.code] = None
            if len(seen) >= stop:
                break
    shown = list(seen)[start:stop]
    problems = _problems(inspector, at, shown, office, level, procedure)
    return [problems[code] for code in shown if code in problems]


def _problems(
    inspector: Inspector,
    at: int,
    codes: list[str],
    office: str | None,
    level: str | None,
    procedure: str | None,
) -> dict[str, list[Stall]]:
    """Every stall at `at` of each of the open dossiers `codes` (received by `at`, of
    `procedure` if given) of the level and under the office asked for, most overdue first."""
    view = inspector.projector.view
    rows: list[Any] = []
    for condition, listed in one_of(view.kind, codes):
        rows += view.query(
            f"SELECT {_LOCATED} FROM lienthong_location l WHERE {_OPEN} AND l.{condition}",  # noqa: S608
            (at, *listed),
        )
    found: dict[str, list[Stall]] = {}
    judged = (
        stall
        for location in map(location_of, rows)
        if procedure is None or location.procedure == procedure
        for stall in _stalls_of(inspector, location, at)
    )
    for stall in _kept(inspector, at, judged, office, level, None):
        found.setdefault(stall.code, []).append(stall)
    return found
