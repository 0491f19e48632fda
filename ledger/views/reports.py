"""Office reports (báo cáo tình hình giải quyết hồ sơ): the indicators provinces report for an
office and the offices below it over a period, and the dossiers behind its counts.

A dossier counts for the office that received it, and for every office that office answered to on
the day of receipt (`sla.Inspector.within`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from domain.instant import local_date
from ledger.views import queries
from ledger.views.deadlines import judge

if TYPE_CHECKING:
    from ledger.views.sla import Inspector


@dataclass(frozen=True, kw_only=True)
class OfficeReport:
    """The indicators provinces report for an office (and the offices below it) over a period
    [start, end): received (by channel) and carried over; resolved early / on time / late against
    the appointed time; pending at the end, within the deadline or overdue."""

    office: str
    start: int
    end: int
    received: dict[str, int]
    carried_over: int
    early: int
    on_time: int
    late: int
    pending_within: int
    pending_overdue: int

    @property
    def resolved(self) -> int:
        return self.early + self.on_time + self.late

    @property
    def on_time_rate(self) -> float | None:
        """ "Đúng và trước hạn": (early + on time) ÷ resolved; None when nothing was resolved."""
        return (self.early + self.on_time) / self.resolved if self.resolved else None


def office_report(inspector: Inspector, office: str, start: int, end: int) -> OfficeReport:
    """Dossiers count for the office that received them, if it was `office` or below it on the
    day of receipt — so a commune's dossiers count under its district before 1/7/2025 and
    straight under the province after."""
    if end <= start:
        raise ValueError("a report's period must end after it starts")
    received: dict[str, int] = {}
    carried = early = on_time = late = within = overdue = 0
    for _code, received_at, channel, appointed, decided_at, closed_at in _received_under(
        inspector, office, end
    ):
        if received_at >= start:
            received[channel] = received.get(channel, 0) + 1
        elif _open(decided_at, closed_at, start):
            carried += 1
        if decided_at is not None and start <= decided_at < end:
            result = judge(decided_at, appointed, decided_at)
            early += result == "early"
            on_time += result == "on_time"
            late += result == "late"
        elif _open(decided_at, closed_at, end):
            if appointed < end:
                overdue += 1
            else:
                within += 1
    return OfficeReport(
        office=office,
        start=start,
        end=end,
        received=received,
        carried_over=carried,
        early=early,
        on_time=on_time,
        late=late,
        pending_within=within,
        pending_overdue=overdue,
    )


def _received_under(
    inspector: Inspector, office: str, end: int
) -> Iterator[tuple[str, int, str, int, int | None, int | None]]:
    """(code, received_at, channel, appointed, decided_at, closed_at) of the dossiers received
    before `end` by `office` or an office below it on the day of receipt."""
    rows = queries.received_before(inspector.projector.view, end)
    for code, received_by, received_at, channel, appointed, decided_at, closed_at in rows:
        if inspector.within(received_by, office, local_date(received_at)):
            yield code, received_at, channel, appointed, decided_at, closed_at


def decisions(
    inspector: Inspector, office: str, start: int, end: int
) -> list[tuple[str, str, int, int]]:
    """The dossiers behind an office report's early / on time / late counts: (code, result,
    decided_at, appointed), decided in [start, end), in decision order."""
    found = []
    for code, _received, _channel, appointed, decided_at, _closed in _received_under(
        inspector, office, end
    ):
        if decided_at is not None and start <= decided_at < end:
            result = judge(decided_at, appointed, decided_at)
            if result is not None:
                found.append((code, result, decided_at, appointed))
    return sorted(found, key=lambda row: (row[2], row[0]))


def _open(decided_at: int | None, closed_at: int | None, at: int) -> bool:
    """Neither decided nor closed (withdrawn) before `at`."""
    return (decided_at is None or decided_at >= at) and (closed_at is None or closed_at >= at)
