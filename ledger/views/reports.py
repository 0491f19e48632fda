"""Office reports (báo cáo tình hình giải quyết hồ sơ): the indicators provinces report for an
office and the offices below it over a period, and the dossiers behind its counts.

A dossier counts for the office that received it, and for every office that office answered to on
the day of receipt (`sla.Inspector.within`).

Beside them, the indicators of the national index of Decision 766/QĐ-TTg (23/6/2022) that the
ledger can know (`IndexFigures`: dossiers received online, digitised at receipt, late with an
apology, and the citizens' ratings), and those it cannot (`UNKNOWABLE`); docs/api.md gives the
formulas and where each comes from.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

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
    index: IndexFigures = field(default_factory=lambda: IndexFigures())

    @property
    def resolved(self) -> int:
        return self.early + self.on_time + self.late

    @property
    def on_time_rate(self) -> float | None:
        """ "Đúng và trước hạn": (early + on time) ÷ resolved; None when nothing was resolved."""
        return (self.early + self.on_time) / self.resolved if self.resolved else None

    @property
    def received_total(self) -> int:
        return sum(self.received.values())

    @property
    def online_rate(self) -> float | None:
        """Received online ÷ received in the period; None when nothing was received."""
        total = self.received_total
        return self.received.get("online", 0) / total if total else None

    @property
    def digitised_rate(self) -> float | None:
        """Digitised at receipt ÷ received in the period; None when nothing was received or the
        file store was not at hand."""
        total = self.received_total
        digitised = self.index.digitised
        return digitised / total if total and digitised is not None else None

    @property
    def apology_rate(self) -> float | None:
        """Late with an apology ÷ decided after the time appointed at receipt; None when none
        was."""
        late = self.index.late_at_receipt
        return self.index.late_apologised / late if late else None

    @property
    def satisfaction_rate(self) -> float | None:
        """The index's "tỷ lệ hài lòng trong tiếp nhận, giải quyết TTHC" as far as the ledger knows
        it: (resolved − rated dissatisfied) ÷ resolved. The index also takes away dossiers with a
        complaint (phản ánh, kiến nghị), which the ledger does not receive; None when nothing was
        resolved or the ratings were not at hand."""
        if not self.resolved or self.index.ratings is None:
            return None
        return (self.resolved - self.index.dissatisfied) / self.resolved


DISSATISFIED = 2  # a rating of 1 (rất không hài lòng) or 2 (không hài lòng) is dissatisfied


@dataclass(frozen=True, kw_only=True)
class IndexFigures:
    """The counts behind the index's indicators the ledger can know, beyond early / on time /
    late: `digitised`, of the dossiers received in the period, those whose receipt listed scans
    and all of them were uploaded (None: the file store was not at hand); `late_at_receipt`, the
    dossiers decided in the period after the time appointed at receipt (a re-appointment moves
    the time the early / on time / late counts judge by, not this one), and `late_apologised`, of
    those, the ones with an apology slip (dossier.delay_notified, or an extension request)
    recorded before the decision; `ratings`, the citizens' ratings of the dossiers decided in the
    period, score → how many (None: the ratings were not at hand)."""

    digitised: int | None = None
    late_at_receipt: int = 0
    late_apologised: int = 0
    ratings: dict[int, int] | None = None

    @property
    def rated(self) -> int:
        return sum((self.ratings or {}).values())

    @property
    def dissatisfied(self) -> int:
        return sum(n for score, n in (self.ratings or {}).items() if score <= DISSATISFIED)


# The index's indicators the ledger cannot know: code → (Vietnamese, English).
UNKNOWABLE: dict[str, tuple[str, str]] = {
    "procedures-published-on-time": (
        "Tỷ lệ thủ tục hành chính công bố đúng hạn, công khai đầy đủ trên Cổng Dịch vụ công",
        "Procedures published on time and in full on the public service portal",
    ),
    "online-services": (
        "Dịch vụ công trực tuyến toàn trình, một phần và thanh toán trực tuyến",
        "Procedures offered fully or partly online, and online payment",
    ),
    "results-digitised": (
        "Tỷ lệ kết quả giải quyết được số hóa, cấp bản điện tử và tái sử dụng dữ liệu",
        "Results digitised, issued electronically and data reused",
    ),
    "complaints": (
        "Phản ánh, kiến nghị: xử lý đúng hạn và mức độ hài lòng khi xử lý",
        "Complaints and petitions: handled on time and satisfaction with their handling",
    ),
    "portal-sync": (
        "Đồng bộ hồ sơ và trạng thái lên Cổng Dịch vụ công quốc gia",
        "Dossiers and their status synchronised to the national public service portal",
    ),
}


class _Scan(Protocol):
    @property
    def sha256(self) -> bytes: ...


class Scans(Protocol):
    """Where the dossiers' uploaded files are recorded (ledger/stores/files: FileRecords)."""

    def files(self, code: str) -> Sequence[_Scan]: ...


class Ratings(Protocol):
    """The citizens' ratings (ledger/stores/ratings.py: RatingStore)."""

    def scores(self, codes: Iterable[str]) -> dict[str, int]: ...


def office_report(
    inspector: Inspector,
    office: str,
    start: int,
    end: int,
    *,
    scans: Scans | None = None,
    ratings: Ratings | None = None,
) -> OfficeReport:
    """Dossiers count for the office that received them, if it was `office` or below it on the
    day of receipt — so a commune's dossiers count under its district before 1/7/2025 and
    straight under the province after. With `scans`, the dossiers digitised at receipt are
    counted; with `ratings`, the citizens' ratings of the dossiers decided."""
    if end <= start:
        raise ValueError("a report's period must end after it starts")
    received: dict[str, int] = {}
    carried = early = on_time = late = within = overdue = 0
    arrived: list[str] = []
    decided: list[str] = []
    decisions_made: list[tuple[str, int]] = []
    for code, received_at, channel, appointed, decided_at, closed_at in _received_under(
        inspector, office, end
    ):
        if received_at >= start:
            received[channel] = received.get(channel, 0) + 1
            arrived.append(code)
        elif _open(decided_at, closed_at, start):
            carried += 1
        if decided_at is not None and start <= decided_at < end:
            result = judge(decided_at, appointed, decided_at)
            early += result == "early"
            on_time += result == "on_time"
            late += result == "late"
            decided.append(code)
            decisions_made.append((code, decided_at))
        elif _open(decided_at, closed_at, end):
            if appointed < end:
                overdue += 1
            else:
                within += 1
    late_at_receipt, apologised = _late_at_receipt(inspector, decisions_made)
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
        index=IndexFigures(
            digitised=None if scans is None else _digitised(inspector, scans, arrived),
            late_at_receipt=late_at_receipt,
            late_apologised=apologised,
            ratings=None if ratings is None else _tally(ratings.scores(decided).values()),
        ),
    )


def _digitised(inspector: Inspector, scans: Scans, codes: list[str]) -> int:
    """How many of `codes` had scans listed at receipt, every one of them uploaded (and kept or
    since erased: the file store remembers that it held them)."""
    count = 0
    for code in codes:
        listed = {
            bytes(item["sha256"])
            for item in inspector.ledger.received(code).statement.body.get("documents", [])
        }
        count += bool(listed) and listed <= {stored.sha256 for stored in scans.files(code)}
    return count


APOLOGIES = ("dossier.delay_notified", "dossier.extension_requested")  # the apology slips


def _late_at_receipt(inspector: Inspector, codes: list[tuple[str, int]]) -> tuple[int, int]:
    """Of `codes` (code, decided_at): how many were decided after the time appointed at receipt,
    and how many of those had an apology slip recorded before the decision."""
    late = apologised = 0
    for code, decided_at in codes:
        history = inspector.ledger.history("dossier", code)
        if not history or decided_at <= history[0].statement.body["appointed"]:
            continue
        late += 1
        apologised += any(
            entry.statement.kind in APOLOGIES and entry.statement.at <= decided_at
            for entry in history
        )
    return late, apologised


def _tally(scores: Iterable[int]) -> dict[int, int]:
    tally: dict[int, int] = {}
    for score in scores:
        tally[score] = tally.get(score, 0) + 1
    return dict(sorted(tally.items()))


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
