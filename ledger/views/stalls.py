"""Stalls: where a dossier has waited longer than the rules allow, judged at an instant — now,
or any past instant — from the read models, the registry and the deadlines (`sla.Inspector`).

Stall rules (quy tắc):
- `unacknowledged` — in transit, not acknowledged for more than N working hours (default 8, one
  working day): who has not acknowledged;
- `over_level_budget` — held by an office longer than its level's budget (time awaiting a
  supplement does not count): who holds it;
- `past_appointed` — not closed, and the appointed return time (ngày hẹn trả) has passed;
- `due_soon` — not closed, and the appointed time falls within one working day.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from domain.instant import local_date
from ledger.views import queries
from ledger.views.tables import Location

if TYPE_CHECKING:
    from ledger.views.sla import Inspector

RULES = ("unacknowledged", "over_level_budget", "past_appointed", "due_soon")
WORKING_DAY_SECONDS = 8 * 3600


@dataclass(frozen=True)
class Stall:
    code: str
    rule: str
    since: int  # when the rule started to hold
    over_seconds: int  # working seconds past the limit (0 for due_soon)
    office: str  # who holds it, or (unacknowledged) who has not acknowledged
    procedure: str
    level: str | None
    # the office that received the dossier (whom a dissolved office passed it back to, if it
    # did): context for placing the stall in the hierarchy, not part of what the stall is
    received_by: str = field(default="", compare=False)


def find_stalls(
    inspector: Inspector,
    at: int,
    *,
    office: str | None = None,
    level: str | None = None,
    procedure: str | None = None,
    rule: str | None = None,
    current: bool = True,
) -> list[Stall]:
    """Every stall at `at`, most overdue first. `current` reads the read models as they are
    (for now); otherwise each open dossier is taken as it was at `at`."""
    if rule is not None and rule not in RULES:
        raise ValueError(f"unknown stall rule {rule!r}: one of {', '.join(RULES)}")
    day = local_date(at)
    found: list[Stall] = []
    for location in _open_at(inspector, at, current):
        if procedure is not None and location.procedure != procedure:
            continue
        for stall in _stalls_of(inspector, location, at):
            if rule is not None and stall.rule != rule:
                continue
            if level is not None and stall.level != level:
                continue
            if office is not None and not inspector.within(
                stall.office, office, day, procedure=stall.procedure, received_by=stall.received_by
            ):
                continue
            found.append(stall)
    found.sort(key=lambda stall: (-stall.over_seconds, stall.code, stall.rule))
    return found


def _open_at(inspector: Inspector, at: int, current: bool) -> Iterator[Location]:
    if current:  # one query: the open dossiers as the views hold them now
        yield from queries.open_now(inspector.projector.view, at)
        return
    for code in queries.open_at(inspector.projector.view, at):  # each as it was at `at`
        location = inspector.projector.location_as_of(code, at)
        if location is not None and location.status != "closed":
            yield location


def _stalls_of(inspector: Inspector, found: Location, at: int) -> Iterable[Stall]:
    def stall(rule: str, since: int, over_seconds: int, office: str) -> Stall:
        return Stall(
            code=found.code,
            rule=rule,
            since=since,
            over_seconds=over_seconds,
            office=office,
            procedure=found.procedure,
            level=inspector.level_of(office),
            received_by=found.received_by,
        )

    if found.status == "in_transit" and found.transit_to is not None:
        waited = inspector.working_seconds(found.since, at)
        if waited > inspector.unacknowledged_seconds:
            over = waited - inspector.unacknowledged_seconds
            yield stall("unacknowledged", found.since, over, found.transit_to)
    deadline = inspector.level_deadline(found, at)
    if deadline is not None and found.status == "held" and at > deadline:
        over = inspector.working_seconds(deadline, at)
        yield stall("over_level_budget", deadline, over, found.custodian or "")
    holder = found.custodian or found.transit_to or ""
    if at > found.appointed:
        over = inspector.working_seconds(found.appointed, at)
        yield stall("past_appointed", found.appointed, over, holder)
    elif inspector.working_seconds(at, found.appointed) <= WORKING_DAY_SECONDS:
        yield stall("due_soon", at, 0, holder)
