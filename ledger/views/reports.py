"""Office reports (báo cáo tình hình giải quyết hồ sơ): the indicators provinces report for an
office and the offices below it over a period, and the dossiers behind its counts.

A dossier counts for the office that received it, and for every office that office answered to on
the day of receipt (`sla.Inspector.within`).

Beside them, the indicators of the national index of Decision 766/QĐ-TTg (23/6/2022) that the
ledger can know (`IndexFigures`: dossiers received online, digitised at receipt, late with an
apology, and the citizens' ratings), and those it cannot (`UNKNOWABLE`); docs/api.md gives the
formulas and where each comes from. Every figure is counted from the read models' rows, never
from a dossier's history: as SQL aggregates over the dossiers received by the offices below the
report's one in each piece of time the registry cuts (`aggregates.py`), the file store asked in
bulk about the scans listed at receipt. The way before, every dossier read and judged in Python,
stays as the reference the tests hold them to (`_office_report_by_rows`, `_decisions_by_rows`).

Each result says what judged it (`JudgedBy`): the procedure version the dossier was received
under, whether that version's budgets are provisional (could not be confirmed: its reason), and
the receipt cut-off its appointed time was counted with, if the version has one (docs/law.md).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Protocol, overload, runtime_checkable

from domain.dossier import CHANNELS
from domain.errors import DomainError
from domain.instant import local_date
from domain.procedure import Cutoff
from ledger.stores.database import Database
from ledger.views import aggregates, months, queries
from ledger.views.deadlines import judge

if TYPE_CHECKING:
    from ledger.views.sla import Inspector


@dataclass(frozen=True, kw_only=True)
class JudgedBy:
    """What a dossier's result was judged against: the procedure version it was received under,
    that version's reason its budgets could not be confirmed ("" when they are: `provisional`),
    and the receipt cut-off its appointed time was counted with (None: the version has none)."""

    procedure: str
    version: int
    provisional: str = ""
    cutoff: Cutoff | None = None


@dataclass(frozen=True, kw_only=True)
class Decision:
    """A dossier behind an office report's early / on time / late counts: its result, when it
    was decided, the appointed time it was judged by, and what judged it. Unpacks as the
    (code, result, decided_at, appointed) row it used to be."""

    code: str
    result: str
    decided_at: int
    appointed: int
    judged_by: JudgedBy

    @property
    def provisional(self) -> str:
        """Why the budget it was judged against is provisional; "" when it is confirmed."""
        return self.judged_by.provisional

    @property
    def cutoff(self) -> Cutoff | None:
        """The receipt cut-off its appointed time was counted with; None: none."""
        return self.judged_by.cutoff

    def __iter__(self) -> Iterator[str | int]:
        yield from (self.code, self.result, self.decided_at, self.appointed)


@dataclass(frozen=True, kw_only=True)
class OfficeReport:
    """The indicators provinces report for an office (and the offices below it) over a period
    [start, end): received (by channel) and carried over; resolved early / on time / late against
    the appointed time; pending at the end, within the deadline or overdue. `judged_by`: the
    resolved dossiers by what judged them (procedure version, provisional or not, cut-off), in
    procedure and version order."""

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
    judged_by: dict[JudgedBy, int] = field(default_factory=dict)

    @property
    def resolved(self) -> int:
        return self.early + self.on_time + self.late

    @property
    def provisional(self) -> int:
        """The resolved dossiers judged against a provisional budget."""
        return sum(n for judged, n in self.judged_by.items() if judged.provisional)

    @property
    def provisional_versions(self) -> dict[JudgedBy, int]:
        """The procedure versions with provisional budgets that judged resolved dossiers, with
        their reasons, and how many each judged."""
        return {judged: n for judged, n in self.judged_by.items() if judged.provisional}

    @property
    def with_cutoff(self) -> int:
        """The resolved dossiers whose appointed time was counted with a receipt cut-off; the
        others (`resolved - with_cutoff`) were counted without one."""
        return sum(n for judged, n in self.judged_by.items() if judged.cutoff is not None)

    @property
    def cutoff_versions(self) -> dict[JudgedBy, int]:
        """The procedure versions with a receipt cut-off (time and source) that judged resolved
        dossiers, and how many each judged."""
        return {judged: n for judged, n in self.judged_by.items() if judged.cutoff is not None}

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


@runtime_checkable
class BulkScans(Protocol):
    """A file store that also answers for many dossiers at once (FileRecords.hashes): for each
    code it holds files of, the SHA-256s of every file it holds or held (erased ones too)."""

    def hashes(self, codes: Iterable[str]) -> dict[str, set[bytes]]: ...


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
    counted; with `ratings`, the citizens' ratings of the dossiers decided.

    Every figure is a SQL aggregate over the dossiers received in the office's pieces of time
    (`aggregates.Pieces.under`); for a period of whole months, the counts are summed from the
    cells kept per receiving office and month (`months.py`), the months a day of the registry
    cuts counted from their rows. The reference, one dossier at a time, is
    `_office_report_by_rows` (tests/test_report_sql.py holds them equal). The digitised and
    the ratings are counted with the rest from the marks the views keep, where the stores
    share their database (`marks.py`); otherwise the stores are asked about the period's
    dossiers. Channels are listed in the order `domain.dossier.CHANNELS` names them."""
    if end <= start:
        raise ValueError("a report's period must end after it starts")
    view = inspector.projector.view
    registry = aggregates.pieces(inspector)
    under = registry.under(office)
    arrived = aggregates.where(("received_at >= ? AND received_at < ?", [start, end]), under)
    first, after = months.whole(start), months.whole(end)
    if first is not None and after is not None:  # whole months: the cells kept per month
        counted = _counted_by_months(view, registry.months_under(office), first, after)
        cut = registry.in_cut()
        if cut is not None:  # and the dossiers received in a month the registry cuts
            counted.add(_counted(view, aggregates.where(under, cut), start, end))
    else:
        counted = _counted(view, under, start, end)
    judged_by: dict[JudgedBy, int] = {}
    versions = _Versions(inspector)
    for (procedure, version), n in sorted(counted.judged.items()):
        rule = versions.judged_by(procedure, version)
        judged_by[rule] = judged_by.get(rule, 0) + n
    decided_sql, decided_params = aggregates.where(_decided(start, end), under)
    marked = inspector.projector.marks  # what the stores beside the views told them
    tally = None
    if _marked(ratings, view, marked.ratings):  # counted with the rest
        tally = {score: n for score, n in sorted(counted.rated.items()) if n}
    elif ratings is not None:
        codes = view.query(
            f"SELECT code FROM lienthong_location WHERE {decided_sql}",  # noqa: S608
            decided_params,
        )
        tally = _tally(ratings.scores(str(code) for (code,) in codes).values())
    return OfficeReport(
        office=office,
        start=start,
        end=end,
        received=_in_order(counted.received),
        carried_over=counted.carried,
        early=counted.results["early"],
        on_time=counted.results["on_time"],
        late=counted.results["late"],
        pending_within=counted.within,
        pending_overdue=counted.overdue,
        index=IndexFigures(
            digitised=(
                None
                if scans is None
                else counted.digitised
                if _marked(scans, view, marked.files)
                else _digitised_under(inspector, scans, arrived)
            ),
            late_at_receipt=counted.late_at_receipt,
            late_apologised=counted.apologised,
            ratings=tally,
        ),
        judged_by=dict(
            sorted(judged_by.items(), key=lambda item: (item[0].procedure, item[0].version))
        ),
    )


@dataclass
class _Counts:
    """The office report's counts over a set of dossiers: received by channel, carried over from
    before the period, decided in it by result (and by procedure and version), late at receipt
    and apologised for, pending at its end within or past the appointed time. Counts of disjoint
    sets of dossiers add up (`add`)."""

    received: Counter[str] = field(default_factory=Counter)
    carried: int = 0
    results: Counter[str] = field(default_factory=Counter)
    judged: Counter[tuple[str, int]] = field(default_factory=Counter)
    late_at_receipt: int = 0
    apologised: int = 0
    within: int = 0
    overdue: int = 0
    # of those received, the digitised; of those decided, the ratings by score (`marks.py`)
    digitised: int = 0
    rated: Counter[int] = field(default_factory=Counter)

    def add(self, other: _Counts) -> None:
        self.received.update(other.received)
        self.results.update(other.results)
        self.judged.update(other.judged)
        self.rated.update(other.rated)
        self.carried += other.carried
        self.late_at_receipt += other.late_at_receipt
        self.apologised += other.apologised
        self.digitised += other.digitised
        self.within += other.within
        self.overdue += other.overdue


def _in_order(received: Counter[str]) -> dict[str, int]:
    """Dossiers received by channel, in the order `CHANNELS` names them (any other after, by
    name), channels with none left out."""
    order = {channel: n for n, channel in enumerate(CHANNELS)}
    ranked = sorted(received, key=lambda channel: (order.get(channel, len(order)), channel))
    return {channel: received[channel] for channel in ranked if received[channel]}


def _counted(view: Database, under: tuple[str, list[Any]], start: int, end: int) -> _Counts:
    """The counts over the dossiers `under` selects, from their rows: SQL aggregates over index
    ranges."""
    counts = _Counts()
    arrived = aggregates.where(("received_at >= ? AND received_at < ?", [start, end]), under)
    for channel, n, digitised in view.query(
        "SELECT channel, COUNT(*), SUM(digitised) FROM lienthong_location "  # noqa: S608
        f"WHERE {arrived[0]} GROUP BY channel",
        arrived[1],
    ):
        counts.received[str(channel)] += int(n)
        counts.digitised += int(digitised)
    for part in aggregates.open_at(start):
        sql, params = aggregates.where(part, under)
        found = view.query(
            f"SELECT COUNT(*) FROM lienthong_location WHERE {sql}",  # noqa: S608
            params,
        )
        counts.carried += int(found[0][0])
    for part in aggregates.open_at(end):
        sql, params = aggregates.where(part, under)
        found = view.query(
            "SELECT COUNT(*), SUM(CASE WHEN appointed < ? THEN 1 ELSE 0 END) "  # noqa: S608
            f"FROM lienthong_location WHERE {sql}",
            [end, *params],
        )
        counts.overdue += int(found[0][1] or 0)
        counts.within += int(found[0][0]) - int(found[0][1] or 0)
    decided_sql, decided_params = aggregates.where(_decided(start, end), under)
    scored = ", ".join(
        f"SUM(CASE WHEN score = {score:d} THEN 1 ELSE 0 END)" for score in months.SCORES
    )
    for procedure, version, result, lar, apology, n, *rated in view.query(
        f"SELECT procedure, version, {aggregates.RESULT}, "  # noqa: S608
        f"SUM({aggregates.LATE_AT_RECEIPT}), SUM({aggregates.APOLOGISED}), COUNT(*), {scored} "
        f"FROM lienthong_location WHERE {decided_sql} GROUP BY procedure, version, 3",
        decided_params,
    ):
        counts.results[str(result)] += int(n)
        counts.judged[str(procedure), int(version)] += int(n)
        counts.late_at_receipt += int(lar)
        counts.apologised += int(apology)
        counts.rated.update(dict(zip(months.SCORES, map(int, rated), strict=True)))
    return counts


def _counted_by_months(
    view: Database, under: tuple[str, list[Any]], first: int, after: int
) -> _Counts:
    """The counts over the dossiers `under` selects (`Pieces.months_under`) for the months
    [first, after), from the cells kept per receiving office and month (`months.py`): the
    dossiers received in them, open at the first's start (received before it, ended in it or
    after) and at the last's end (those of them appointed before it: overdue), decided in
    them."""
    counts = _Counts()
    sql, params = under
    for channel, n, digitised in view.query(
        f"SELECT channel, SUM(n), SUM(digitised) FROM {months.RECEIVED} "  # noqa: S608
        f"WHERE received_month >= ? AND received_month < ? AND {sql} GROUP BY channel",
        [first, after, *params],
    ):
        counts.received[str(channel)] += int(n)
        counts.digitised += int(digitised)
    found = view.query(
        f"SELECT SUM(n) FROM {months.ENDED} WHERE received_month < ? "  # noqa: S608
        f"AND ended_month >= ? AND {sql}",
        [first, first, *params],
    )
    counts.carried = int(found[0][0] or 0)
    found = view.query(
        "SELECT SUM(n), SUM(CASE WHEN appointed_month < ? THEN n ELSE 0 END) "  # noqa: S608
        f"FROM {months.ENDED} WHERE received_month < ? AND ended_month >= ? AND {sql}",
        [after, after, after, *params],
    )
    counts.overdue = int(found[0][1] or 0)
    counts.within = int(found[0][0] or 0) - counts.overdue
    scored = ", ".join(f"SUM({column})" for column in months.RATED)
    for procedure, version, result, lar, apology, n, *rated in view.query(
        "SELECT procedure, version, result, SUM(late_at_receipt), SUM(apologised), "  # noqa: S608
        f"SUM(n), {scored} FROM {months.DECIDED} WHERE decided_month >= ? "
        f"AND decided_month < ? AND received_month < ? AND {sql} "
        "GROUP BY procedure, version, result",
        [first, after, after, *params],
    ):
        counts.results[str(result)] += int(n)
        counts.judged[str(procedure), int(version)] += int(n)
        counts.late_at_receipt += int(lar)
        counts.apologised += int(apology)
        counts.rated.update(dict(zip(months.SCORES, map(int, rated), strict=True)))
    return counts


def _decided(start: int, end: int) -> tuple[str, list[Any]]:
    """The condition of a dossier decided in [start, end) and received before `end`."""
    return "decided_at >= ? AND decided_at < ? AND received_at < ?", [start, end, end]


def _marked(store: object, view: Database, kept: bool) -> bool:
    """Whether the views keep the marks of `store` (the file store or the rating store): it
    shares their database and the projector found its tables there (`marks.Marks`)."""
    return kept and isinstance(store, Database) and store.same_database(view)


def _digitised_under(inspector: Inspector, scans: Scans, arrived: tuple[str, list[Any]]) -> int:
    """How many of the dossiers `arrived` selects had scans listed at receipt, every one of them
    uploaded (and kept or since erased: the file store remembers that it held them), for a file
    store whose marks the views do not keep (`_marked`): it is asked only about the dossiers
    whose receipt listed scans, in one query per batch of codes if it can answer for many
    (`BulkScans`), else one dossier at a time."""
    view = inspector.projector.view
    rows = view.query(
        "SELECT s.code, s.sha256 FROM lienthong_receipt_scans s "  # noqa: S608
        f"JOIN lienthong_location l ON l.code = s.code WHERE {arrived[0]}",
        arrived[1],
    )
    if isinstance(scans, BulkScans):
        # no set of hashes made per dossier: a dossier is digitised unless one of its listed
        # scans is not held (a pass over the rows, the store asked once per batch of codes)
        codes = {str(code) for code, _ in rows}
        held = scans.hashes(codes)
        missing = {
            str(code) for code, sha256 in rows if bytes(sha256) not in held.get(str(code), ())
        }
        return len(codes) - len(missing)
    listed: dict[str, set[bytes]] = {}
    for code, sha256 in rows:
        listed.setdefault(str(code), set()).add(bytes(sha256))
    return sum(
        hashes <= {stored.sha256 for stored in scans.files(code)} for code, hashes in listed.items()
    )


def _office_report_by_rows(
    inspector: Inspector,
    office: str,
    start: int,
    end: int,
    *,
    scans: Scans | None = None,
    ratings: Ratings | None = None,
) -> OfficeReport:
    """The reference `office_report`, one dossier at a time: every dossier received before `end`
    read and judged in Python (kept for tests/test_report_sql.py)."""
    if end <= start:
        raise ValueError("a report's period must end after it starts")
    received: dict[str, int] = {}
    carried = early = on_time = late = within = overdue = 0
    late_at_receipt = apologised = 0
    arrived: list[str] = []
    decided: list[str] = []
    judged_by: dict[JudgedBy, int] = {}
    versions = _Versions(inspector)
    for row in _received_under(inspector, office, end):
        if row.received_at >= start:
            received[row.channel] = received.get(row.channel, 0) + 1
            arrived.append(row.code)
        elif _open(row.decided_at, row.closed_at, start):
            carried += 1
        if row.decided_at is not None and start <= row.decided_at < end:
            result = judge(row.decided_at, row.appointed, row.decided_at)
            early += result == "early"
            on_time += result == "on_time"
            late += result == "late"
            decided.append(row.code)
            if result is not None:
                rule = versions.judged_by(row.procedure, row.version)
                judged_by[rule] = judged_by.get(rule, 0) + 1
            if row.decided_at > row.appointed_at_receipt:
                late_at_receipt += 1
                apology = row.first_apology_at
                apologised += apology is not None and apology <= row.decided_at
        elif _open(row.decided_at, row.closed_at, end):
            if row.appointed < end:
                overdue += 1
            else:
                within += 1
    return OfficeReport(
        office=office,
        start=start,
        end=end,
        received=_in_order(Counter(received)),
        carried_over=carried,
        early=early,
        on_time=on_time,
        late=late,
        pending_within=within,
        pending_overdue=overdue,
        index=IndexFigures(
            digitised=None if scans is None else _digitised(inspector, scans, arrived, start, end),
            late_at_receipt=late_at_receipt,
            late_apologised=apologised,
            ratings=None if ratings is None else _tally(ratings.scores(decided).values()),
        ),
        judged_by=dict(
            sorted(judged_by.items(), key=lambda item: (item[0].procedure, item[0].version))
        ),
    )


def _digitised(inspector: Inspector, scans: Scans, codes: list[str], start: int, end: int) -> int:
    """How many of `codes` (received in [start, end)) had scans listed at receipt, every one of
    them uploaded (and kept or since erased: the file store remembers that it held them). The
    file store is asked only about the dossiers whose receipt listed scans."""
    listed = queries.receipt_scans(inspector.projector.view, start, end)
    count = 0
    for code in codes:
        hashes = listed.get(code)
        if hashes:
            count += hashes <= {stored.sha256 for stored in scans.files(code)}
    return count


class _Versions:
    """The procedure versions a report's dossiers were received under, each read from the
    registry once (the inspector caches the registry for its own lifetime too)."""

    def __init__(self, inspector: Inspector) -> None:
        self.inspector = inspector
        self.found: dict[tuple[str, int], JudgedBy] = {}

    def judged_by(self, procedure: str, version: int) -> JudgedBy:
        key = (procedure, version)
        if key not in self.found:
            try:
                published = self.inspector.ledger.procedure(procedure).get_version(version)
            except DomainError:  # not in the registry: nothing known to say of it
                self.found[key] = JudgedBy(procedure=procedure, version=version)
            else:
                self.found[key] = JudgedBy(
                    procedure=procedure,
                    version=version,
                    provisional=published.provisional,
                    cutoff=published.cutoff,
                )
        return self.found[key]


def _tally(scores: Iterable[int]) -> dict[int, int]:
    tally: dict[int, int] = {}
    for score in scores:
        tally[score] = tally.get(score, 0) + 1
    return dict(sorted(tally.items()))


def _received_under(inspector: Inspector, office: str, end: int) -> Iterator[queries.Reported]:
    """The report's rows of the dossiers received before `end` by `office` or an office below
    it on the day of receipt."""
    for row in queries.reported_before(inspector.projector.view, end):
        if inspector.within(row.received_by, office, local_date(row.received_at)):
            yield row


def decisions(
    inspector: Inspector, office: str, start: int, end: int, *, result: str | None = None
) -> list[Decision]:
    """The dossiers behind an office report's early / on time / late counts, decided in
    [start, end), in decision order: each with its result, the appointed time it was judged by,
    and what judged it (provisional or not, the cut-off or none); only those of `result` (early,
    on_time, late) if given. Read by SQL (`paged_decisions` pages it); the reference is
    `_decisions_by_rows`."""
    return list(paged_decisions(inspector, office, start, end, result=result))


class DecidedList(Sequence[Decision]):
    """The dossiers `decisions` lists, read a slice at a time: its length is one COUNT, a slice
    (a page) one SELECT with LIMIT and OFFSET, in decision order."""

    def __init__(
        self,
        inspector: Inspector,
        condition: tuple[str, list[Any]],
        *,
        length: int | None = None,
        among: int | None = None,
    ) -> None:
        self.inspector = inspector
        self.condition = condition
        self._length = length  # None: counted when first asked
        # how many dossiers of every office were decided in the period, if known: a long list's
        # first pages are then read in decision order from the decisions' index (`_read`)
        self._among = among
        self._versions = _Versions(inspector)

    def __len__(self) -> int:
        if self._length is None:
            sql, params = self.condition
            found = self.inspector.projector.view.query(
                f"SELECT COUNT(*) FROM lienthong_location WHERE {sql}",  # noqa: S608
                params,
            )
            self._length = int(found[0][0])
        return self._length

    @overload
    def __getitem__(self, index: int) -> Decision: ...
    @overload
    def __getitem__(self, index: slice) -> list[Decision]: ...
    def __getitem__(self, index: int | slice) -> Decision | list[Decision]:
        if isinstance(index, int):
            place = index + len(self) if index < 0 else index
            if not 0 <= place < len(self):
                raise IndexError(index)
            return self._read(place, 1)[0]
        first, stop, step = index.indices(len(self))
        if step != 1:
            return [self[n] for n in range(first, stop, step)]
        return self._read(first, max(0, stop - first)) if stop > first else []

    def __iter__(self) -> Iterator[Decision]:
        yield from self._read(0, None)

    def _in_order(self, rows: int) -> bool:
        """Whether the first `rows` of the list are read for less in decision order, every
        office's decisions of the period walked until that many are the list's (about
        rows × among / length of them), than by sorting the whole list (length)."""
        return self._among is not None and rows * self._among < len(self) ** 2

    def _read(self, first: int, count: int | None) -> list[Decision]:
        sql, params = self.condition
        limit = "" if count is None else " LIMIT ? OFFSET ?"
        view = self.inspector.projector.view
        table = "lienthong_location"
        if count is not None and self._in_order(first + count) and view.kind == "sqlite":
            # walk the period's decisions in order and stop at the page, rather than find the
            # office's by its ranges and sort them all (PostgreSQL's planner weighs that itself)
            table += " INDEXED BY lienthong_location_decided"
        rows = view.query(
            f"SELECT code, {aggregates.RESULT}, decided_at, appointed, procedure, version "  # noqa: S608
            f"FROM {table} WHERE {sql} ORDER BY decided_at, code{limit}",
            [*params, *([] if count is None else [count, first])],
        )
        return [
            Decision(
                code=str(code),
                result=str(result),
                decided_at=int(decided_at),
                appointed=int(appointed),
                judged_by=self._versions.judged_by(str(procedure), int(version)),
            )
            for code, result, decided_at, appointed, procedure, version in rows
        ]


def paged_decisions(
    inspector: Inspector, office: str, start: int, end: int, *, result: str | None = None
) -> DecidedList:
    """`decisions` as a list read a page at a time (`DecidedList`): for a page of a long list,
    one COUNT and one page of rows, not the whole list; for a period of whole months, the count
    from the cells kept per month (`months.py`)."""
    registry = aggregates.pieces(inspector)
    condition = aggregates.where(_decided(start, end), registry.under(office))
    if result is not None:
        condition = aggregates.where(condition, (f"{aggregates.RESULT} = ?", [result]))
    first, after = months.whole(start), months.whole(end)
    if first is None or after is None:
        return DecidedList(inspector, condition)
    # whole months: the length summed from the cells kept per month, and counted from the rows
    # in the months a day of the registry cuts
    sql, params = registry.months_under(office)
    picked = "" if result is None else " AND result = ?"
    found = inspector.projector.view.query(
        f"SELECT SUM(n) FROM {months.DECIDED} WHERE decided_month >= ? "  # noqa: S608
        f"AND decided_month < ? AND received_month < ?{picked} AND {sql}",
        [first, after, after, *([] if result is None else [result]), *params],
    )
    length = int(found[0][0] or 0)
    cut = registry.in_cut()
    if cut is not None:
        length += len(DecidedList(inspector, aggregates.where(condition, cut)))
    everyone = inspector.projector.view.query(
        f"SELECT SUM(n) FROM {months.DECIDED} WHERE decided_month >= ? "  # noqa: S608
        "AND decided_month < ? AND received_month < ?",
        [first, after, after],
    )  # every office's decisions of those months (received in a cut month too)
    return DecidedList(inspector, condition, length=length, among=int(everyone[0][0] or 0))


def decided_by_day(
    inspector: Inspector,
    office: str,
    start: int,
    end: int,
    *,
    only: tuple[str, list[Any]] | None = None,
) -> dict[date, Counter[str]]:
    """The dossiers `decisions` lists (of them, those `only` selects, if given), counted by
    result on each (Vietnam) day they were decided: one grouped SELECT."""
    sql, params = aggregates.where(
        _decided(start, end),
        aggregates.pieces(inspector).under(office),
        *(() if only is None else (only,)),
    )
    rows = inspector.projector.view.query(
        f"SELECT {aggregates.local_day('decided_at')}, {aggregates.RESULT}, COUNT(*) "  # noqa: S608
        f"FROM lienthong_location WHERE {sql} GROUP BY 1, 2",
        params,
    )
    found: dict[date, Counter[str]] = {}
    for day, result, n in rows:
        found.setdefault(EPOCH_DAY + timedelta(days=int(day)), Counter())[str(result)] += int(n)
    return found


EPOCH_DAY = date(1970, 1, 1)


def decided_by_month(
    inspector: Inspector, office: str, start: int, end: int
) -> dict[tuple[int, int], Counter[str]]:
    """`decided_by_day` by (year, month) instead: for a period of whole months, summed from the
    cells kept per receiving office and month (`months.py`), the months a day of the registry
    cuts counted from their rows; otherwise `decided_by_day`'s days, each in its month."""
    found: dict[tuple[int, int], Counter[str]] = {}
    first, after = months.whole(start), months.whole(end)
    registry = aggregates.pieces(inspector)
    if first is None or after is None:
        by_day = decided_by_day(inspector, office, start, end)
    else:
        sql, params = registry.months_under(office)
        for decided_month, result, n in inspector.projector.view.query(
            f"SELECT decided_month, result, SUM(n) FROM {months.DECIDED} "  # noqa: S608
            f"WHERE decided_month >= ? AND decided_month < ? AND received_month < ? AND {sql} "
            "GROUP BY 1, 2 HAVING SUM(n) <> 0",
            [first, after, after, *params],
        ):
            year, index = divmod(int(decided_month), 12)
            found.setdefault((year, index + 1), Counter())[str(result)] += int(n)
        cut = registry.in_cut()
        by_day = {} if cut is None else decided_by_day(inspector, office, start, end, only=cut)
    for day, counted in by_day.items():
        found.setdefault((day.year, day.month), Counter()).update(counted)
    return found


def _decisions_by_rows(inspector: Inspector, office: str, start: int, end: int) -> list[Decision]:
    """The reference `decisions`, one dossier at a time (kept for tests/test_report_sql.py): the
    dossiers behind an office report's early / on time / late counts, decided in [start, end),
    in decision order, each with its result, the appointed time and what judged it."""
    found = []
    versions = _Versions(inspector)
    for row in _received_under(inspector, office, end):
        if row.decided_at is not None and start <= row.decided_at < end:
            result = judge(row.decided_at, row.appointed, row.decided_at)
            if result is not None:
                found.append(
                    Decision(
                        code=row.code,
                        result=result,
                        decided_at=row.decided_at,
                        appointed=row.appointed,
                        judged_by=versions.judged_by(row.procedure, row.version),
                    )
                )
    return sorted(found, key=lambda decision: (decision.decided_at, decision.code))


def _open(decided_at: int | None, closed_at: int | None, at: int) -> bool:
    """Neither decided nor closed (withdrawn) before `at`."""
    return (decided_at is None or decided_at >= at) and (closed_at is None or closed_at >= at)
