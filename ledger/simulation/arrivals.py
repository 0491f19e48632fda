"""When dossiers arrive in the simulation: which day, what time, which commune, which procedure.

Days are drawn by seasonal weight (busier before Tết, in the third quarter and on Mondays) and by
the share of procedures a commune can still receive that day: procedures routed through a
district stop on DISTRICT_STOP, six weeks before the districts are dissolved on 1/7/2025, and
resume under their commune → province version. Communes are drawn by their share of receipts,
procedures by their popularity. Deterministic for the caller's `random.Random`.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from domain.identifier import dossier_code
from domain.instant import VIETNAM, from_datetime, local_date
from domain.procedure import ProcedureVersion
from ledger.simulation.traffic import OfficeMap, WorkingTime

SIMULATION_END = from_datetime(datetime(2026, 6, 30, 17, 0, tzinfo=VIETNAM))
DISTRICT_STOP = date(2025, 5, 19)
# Lunar new year's day (Tết Nguyên đán): receipts rise in the weeks before it.
TET = [date(2022, 2, 1), date(2023, 1, 22), date(2024, 2, 10), date(2025, 1, 29), date(2026, 2, 17)]
# Relative volume of each procedure (unlisted: 1).
POPULARITY = {
    "social-allowance-monthly": 6,
    "funeral-support-social": 3,
    "disability-determination": 3,
    "merit-survivor-monthly": 2,
    "merit-education-preference": 2,
    "martyr-worship-allowance": 2,
}


def _available(
    versions: dict[str, list[ProcedureVersion]], day: date
) -> list[tuple[str, ProcedureVersion]]:
    """The procedures a commune receives on `day`, with the version in effect."""
    found = []
    for key, history in versions.items():
        current = [v for v in history if v.effective <= day]
        if not current:
            continue
        version = current[-1]
        if "district" in version.levels and day >= DISTRICT_STOP:
            continue
        found.append((key, version))
    return found


def _day_weight(day: date) -> float:
    """Seasonal volume: busier in the four weeks before Tết, in the third quarter, on Mondays."""
    weight = 1.0
    if any(timedelta(0) < tet - day <= timedelta(days=28) for tet in TET):
        weight += 0.6
    if day.month in (7, 8, 9):
        weight += 0.3
    if day.weekday() == 0:
        weight += 0.2
    return weight


@dataclass(frozen=True)
class Arrival:
    at: int
    code: str
    commune: str
    procedure: str
    version: ProcedureVersion


def arrivals(
    rng: random.Random,
    hours: WorkingTime,
    offices: OfficeMap,
    weights: dict[str, float],
    versions: dict[str, list[ProcedureVersion]],
    count: int,
    first: date,
) -> Iterator[Arrival]:
    """`count` receipts in time order: days drawn by seasonal weight (and by the share of
    procedures receivable that day), a time within office hours, a commune by its share, a
    procedure by its popularity; codes are <agency>-<yymmdd>-<number of the day>."""
    total = sum(POPULARITY.get(key, 1) for key in versions)
    days, day_weights = [], []
    day, last = first, local_date(SIMULATION_END)
    while day <= last:
        if hours.calendar.is_working_day(day):
            share = sum(POPULARITY.get(k, 1) for k, _v in _available(versions, day)) / total
            days.append(day)
            day_weights.append(_day_weight(day) * share)
        day += timedelta(days=1)
    drawn = sorted((d, rng.random()) for d in rng.choices(days, day_weights, k=count))
    numbers: dict[str, int] = {}
    current: date | None = None
    for day, fraction in drawn:
        if day != current:
            numbers, current = {}, day
        opens = hours.periods(day)[0][0]
        at = hours.after(opens, fraction * 8 * 3600)
        communes = offices.communes(day)
        commune = rng.choices(communes, [weights.get(c, 1.0) for c in communes])[0]
        offered = _available(versions, day)
        key, version = rng.choices(offered, [POPULARITY.get(k, 1) for k, _v in offered])[0]
        agency = offices.agency(commune, day)
        numbers[agency] = numbers.get(agency, 0) + 1
        code = dossier_code(agency, day, numbers[agency])
        yield Arrival(at, code, commune, key, version)
