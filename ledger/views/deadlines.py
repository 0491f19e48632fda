"""The law's deadlines: the appointed return time (ngày hẹn trả kết quả) a procedure gives a
dossier received at an instant, and how a step that had to finish by a deadline is judged (early,
on time, late) — both counted on the working-day calendar (`domain/calendar.py`), which the
`Calendar` protocol names the part of.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, time
from typing import Protocol

from domain.instant import local_date
from domain.procedure import ProcedureVersion


class Calendar(Protocol):
    """What is needed of `domain.calendar.WorkCalendar`."""

    def due(
        self, received_at: int, days: int, day_type: str = ..., *, cutoff: time | None = ...
    ) -> int: ...
    def due_with_suspensions(
        self,
        received_at: int,
        days: int,
        day_type: str,
        suspensions: Sequence[tuple[int, int]],
        policy: str,
        *,
        cutoff: time | None = ...,
    ) -> int: ...
    def working_micros_between(self, start: int, end: int) -> int: ...
    def office_periods(self, day: date) -> tuple[tuple[int, int], ...]: ...


def appointed_for(version: ProcedureVersion, received_at: int, calendar: Calendar) -> int:
    """The appointed return time (ngày hẹn trả kết quả) the law gives a dossier received at
    `received_at` under `version`: each level's budget in turn along the route, in its own day
    type, each level starting where the one before ends. Levels whose text states no time add
    nothing. The version's receipt cut-off, if it has one, applies (none if it has not). The
    receiving officer signs this in `dossier.received`."""
    moment, first = received_at, True
    for step in version.route:
        if step.days is not None and step.days > 0:
            # the receipt's cut-off applies once; a later level starts where the one
            # before ended (its last day not counted again)
            cutoff = cutoff_of(version) if first else None
            moment = calendar.due(moment, step.days, step.day_type, cutoff=cutoff)
            first = False
    if first:  # no stated time at all: the end of the receipt's counting day
        moment = calendar.due(received_at, 0, "working", cutoff=cutoff_of(version))
    return moment


def cutoff_of(version: ProcedureVersion | None) -> time | None:
    """The receipt cut-off a version's deadlines are counted with: None when it has none."""
    return version.cutoff.at if version is not None and version.cutoff is not None else None


def judge(finished_at: int | None, deadline: int | None, at: int) -> str | None:
    """early / on_time / late for a step that had to finish by `deadline` (the end of a day):
    on the deadline's day is on time, as on the control slip; pending while unfinished and not
    yet late."""
    if deadline is None:
        return None
    if finished_at is None:
        return "late" if at > deadline else "pending"
    if local_date(finished_at) < local_date(deadline):
        return "early"
    return "on_time" if finished_at <= deadline else "late"
