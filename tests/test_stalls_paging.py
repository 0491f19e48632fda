"""A page of the stall query (`find_stalls` with `limit` and `offset`, current views) is exactly
that slice of the whole list (`judge_each`, every open dossier judged in turn, as the reference),
plus the stall after it: on the simulator's traffic, at instants around points of the log —
nights, weekends and public holidays, where the rules' instants share one W and so one time over
the limit — for every filter, pages at the start, the middle, across the end and past it; read
in the default chunks and in chunks of one or two rows. Stalls over by as many seconds come in
code order even when their instants come in the other order; and a walk over `GET /v1/stalls`
with its cursor gives the whole list."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from domain.instant import MICROS, VIETNAM, from_datetime, local_date
from ledger.application import Ledger
from ledger.reference.calendar import load_calendar
from ledger.views import stalls
from ledger.views.projector import Projector
from ledger.views.sla import Inspector
from ledger.views.stalls import RULES, Stall, judge_each
from ledger.views.worktime import WorkTime
from tests.apiworld import (
    APPLICANT,
    COMMUNE_OFFICER,
    DOCUMENT,
    PROVINCE,
    RECEIVED_BODY,
    code_today,
    get,
    ok,
    open_api,
)
from tests.test_stalls_sql import _catch_up_to, _cuts
from tests.test_stalls_sql import _simulated as simulated

HOUR = 3600 * MICROS
DAY = 24 * HOUR
CALENDAR = load_calendar()
# (offset, limit): the first stall, a first page, one in the middle, and (from the end of each
# list, below) one across the end and one past it
PAGES = [(0, 1), (0, 7), (5, 3)]
# public holidays in the simulated traffic's span (30/4–1/5 and 2/9/2025, Tết 2026, 30/4/2026)
HOLIDAYS = [date(2025, 4, 30), date(2025, 5, 1), date(2025, 9, 2), date(2026, 2, 17)]
HOLIDAYS += [date(2026, 2, 18), date(2026, 4, 30)]


def _simulated(database_url: str) -> Ledger:
    # ~14 months to 30/6/2026, fewer dossiers than tests/test_stalls_sql.py
    return simulated(database_url, dossiers=140)


def _at(day: date, hour: int, minute: int = 0) -> int:
    return from_datetime(datetime.combine(day, time(hour, minute), tzinfo=VIETNAM))


def _instants_near(at: int) -> list[int]:
    """`at`, the night after, the next Saturday and Sunday and the Monday morning before office
    hours, a week and forty days on; and the public holidays of the fortnight before and the
    forty days after `at`."""
    day = local_date(at)
    saturday = day + timedelta(days=(5 - day.weekday()) % 7 or 7)
    found = [at, at + 14 * HOUR, at + 7 * DAY, at + 40 * DAY]
    found += [_at(saturday, 10), _at(saturday + timedelta(days=1), 15, 30)]
    found += [_at(saturday + timedelta(days=2), 7)]
    found += [
        _at(holiday, 11)
        for holiday in HOLIDAYS
        if day - timedelta(days=14) <= holiday <= day + timedelta(days=40)
    ]
    return found


def _fields(found: list[Stall]) -> list[tuple[object, ...]]:
    return [
        (s.code, s.rule, s.since, s.over_seconds, s.office, s.procedure, s.level, s.received_by)
        for s in found
    ]


def _filters(inspector: Inspector, at: int, every: list[Stall]) -> list[dict[str, Any]]:
    """The filters tests/test_stalls_sql.py asks for: none; offices a stall answers to (through
    a dissolved office's successor, too); each level; a few procedures; each rule."""
    day = local_date(at)
    lineages = [
        inspector.lineage(s.office, day, procedure=s.procedure, received_by=s.received_by)
        for s in every
    ]
    dissolved = {
        above
        for chain in lineages
        for below, above in pairwise(chain)
        if (ended := inspector.office_of(below)) is not None and not ended.active_on(day)
    }
    offices = sorted(dissolved)[:2] + sorted({o for chain in lineages for o in chain})[:3]
    found: list[dict[str, Any]] = [{}]
    found += [{"office": office} for office in offices]
    found += [{"level": level} for level in sorted({s.level or "" for s in every})]
    found += [{"procedure": p} for p in sorted({s.procedure for s in every})[:2]]
    found += [{"rule": rule} for rule in RULES]
    found += [{"office": offices[-1], "rule": "past_appointed"}] if offices else []
    return found


def _inversions(every: list[Stall]) -> int:
    """Pairs of stalls of one rule over by as many seconds whose instants (when the rule began
    to hold) come in the order opposite to their codes': where reading a rule's range in the
    order of its instants gives the codes out of order."""
    return sum(
        1
        for a, b in pairwise(every)
        if a.rule == b.rule and a.over_seconds == b.over_seconds and a.since > b.since
    )


def _ties(every: list[Stall]) -> int:
    """Pairs of stalls of one rule over by as many seconds."""
    return sum(
        1 for a, b in pairwise(every) if a.rule == b.rule and a.over_seconds == b.over_seconds
    )


def _move_within_closed_time(projector: Projector, rng: random.Random) -> None:
    """Each open dossier's appointed time, and each dispatch's instant, moved to another instant
    of the same W — one of the stretch of office-closed time it lies in (an appointed time at the
    end of a Friday: any instant up to the Monday's opening), none if it lies in office hours:
    the time over the limit of every stall stays as it is, the order of the instants within a
    stretch is shuffled against the codes'."""
    work = WorkTime(CALENDAR)

    def moved(instant: int) -> int:
        worked = work.at(instant)
        first = work.last_at_most(worked - 1, instant) + 1
        last = work.last_at_most(worked, instant)
        return rng.randrange(first, last + 1)

    view = projector.view
    rows = view.query(
        "SELECT code, appointed, since, status FROM lienthong_location "
        "WHERE status <> 'closed' ORDER BY code"
    )
    with view.transaction() as cursor:
        for code, appointed, since, status in rows:
            cursor.execute(
                "UPDATE lienthong_location SET appointed = ?, since = ? WHERE code = ?",
                (moved(appointed), moved(since) if status == "in_transit" else since, code),
            )


def _tiny_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every range read one row, then two at a time: each chunk after the last of the one
    before, every run of equal instants split across chunks."""
    monkeypatch.setattr(stalls, "first_chunk", lambda stop: 1)
    monkeypatch.setattr(stalls, "MOST_ROWS", 2)


@pytest.mark.parametrize("chunks", ["default", "tiny"])
@pytest.mark.parametrize("instants", ["as simulated", "moved within office-closed time"])
def test_a_page_is_the_slice_of_the_whole_list_and_the_stall_after_it(
    database_url: str, chunks: str, instants: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if chunks == "tiny":
        _tiny_chunks(monkeypatch)
    rng = random.Random(31)
    ledger = _simulated(database_url)
    projector = Projector(ledger)
    try:
        pages = ties = inversions = 0
        by_rule: dict[str, int] = dict.fromkeys(RULES, 0)
        for position, when in _cuts(ledger, 2):
            _catch_up_to(projector, position)
            if instants != "as simulated":
                _move_within_closed_time(projector, rng)
            inspector = Inspector(ledger, projector, CALENDAR)
            for at in _instants_near(when):
                every = judge_each(inspector, at)
                ties += _ties(every)
                inversions += _inversions(every)
                for stall in every:
                    by_rule[stall.rule] += 1
                for filters in _filters(inspector, at, every):
                    expected = (
                        _fields(every)
                        if not filters
                        else _fields(judge_each(inspector, at, **filters))
                    )
                    size = len(expected)
                    for offset, limit in [*PAGES, (max(size - 2, 0), 5), (size + 3, 4)]:
                        page = inspector.stalls(at, limit=limit, offset=offset, **filters)
                        wanted = expected[offset : offset + limit + 1]
                        assert _fields(page) == wanted, (at, filters, offset, limit)
                        pages += 1
        assert min(by_rule.values()) >= 4, by_rule  # stalls of every rule were paged
        assert ties >= 10, ties  # stalls of one rule over by as many seconds were paged
        if instants != "as simulated":
            # and some of them with instants in the order opposite to their codes': the pages
            # put them in code order
            assert inversions >= 5, inversions
        assert pages > 500, pages
    finally:
        projector.close()
        ledger.close()


def test_an_as_of_page_is_the_slice_of_the_list_judged_as_of_then() -> None:
    ledger = _simulated("memory:")
    projector = Projector(ledger)
    try:
        projector.catch_up()
        inspector = Inspector(ledger, projector, CALENDAR)
        when = _cuts(ledger, 2)[1][1] + 5 * DAY
        every = _fields(judge_each(inspector, when, current=False))
        assert len(every) > 3
        for offset, limit in [*PAGES, (len(every) - 2, 5), (len(every) + 3, 4)]:
            page = inspector.stalls(when, current=False, limit=limit, offset=offset)
            assert _fields(page) == every[offset : offset + limit + 1], (offset, limit)
    finally:
        projector.close()
        ledger.close()


def test_a_page_from_a_negative_offset_or_of_a_negative_length_is_refused() -> None:
    ledger = _simulated("memory:")
    projector = Projector(ledger)
    try:
        projector.catch_up()
        inspector = Inspector(ledger, projector, CALENDAR)
        when = _cuts(ledger, 2)[1][1]
        for current in (True, False):
            for limit, offset in ((-1, 0), (5, -1)):
                with pytest.raises(ValueError, match="neither may be negative"):
                    inspector.stalls(when, current=current, limit=limit, offset=offset)
    finally:
        projector.close()
        ledger.close()


@pytest.mark.parametrize("chunks", ["default", "tiny"])
@pytest.mark.parametrize("apart", ["one weekend", "one microsecond"])
def test_stalls_over_by_as_many_seconds_come_in_code_order_whatever_their_instants(
    chunks: str, apart: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two open dossiers given appointed times in the order opposite to their codes' — on one
    weekend (one W), or a microsecond apart in office hours (the same whole seconds over): the
    range of appointed times reads the later code first; the page gives the earlier first."""
    if chunks == "tiny":
        _tiny_chunks(monkeypatch)
    ledger = _simulated("memory:")
    projector = Projector(ledger)
    try:
        projector.catch_up()
        view = projector.view
        first, second = (
            code
            for (code,) in view.query(
                "SELECT code FROM lienthong_location WHERE status <> 'closed' "
                "AND received_at < ? ORDER BY code LIMIT 2",
                (_at(date(2026, 3, 5), 0),),
            )
        )
        if apart == "one weekend":  # Saturday 7/3/2026, 10:00 and 09:00
            later, earlier = _at(date(2026, 3, 7), 10), _at(date(2026, 3, 7), 9)
        else:  # Thursday 5/3/2026, 09:00:00.4 and 09:00:00.4 less a microsecond
            later = _at(date(2026, 3, 5), 9) + 400_000
            earlier = later - 1
        with view.transaction() as cursor:
            cursor.execute(
                "UPDATE lienthong_location SET appointed = ? WHERE code = ?", (later, first)
            )
            cursor.execute(
                "UPDATE lienthong_location SET appointed = ? WHERE code = ?", (earlier, second)
            )
        at = _at(date(2026, 3, 12), 10, 30) + 250_000  # the Thursday after, office hours
        work = WorkTime(CALENDAR)
        over = [(work.at(at) - work.at(t)) // MICROS for t in (later, earlier)]
        assert over[0] == over[1]  # over by as many seconds
        inspector = Inspector(ledger, projector, CALENDAR)
        every = _fields(judge_each(inspector, at, rule="past_appointed"))
        ours = [row for row in every if row[0] in (first, second)]
        assert [row[0] for row in ours] == [first, second]
        walked: list[tuple[object, ...]] = []
        for offset in range(len(every) + 1):  # pages of one
            page = inspector.stalls(at, rule="past_appointed", limit=1, offset=offset)
            assert _fields(page) == every[offset : offset + 2]
            walked += _fields(page[:1])
        assert walked == every
        whole = _fields(judge_each(inspector, at))
        assert _fields(inspector.stalls(at, limit=len(whole))) == whole
    finally:
        projector.close()
        ledger.close()


def test_a_walk_over_the_stalls_with_the_cursor_gives_the_whole_list(tmp_path: Path) -> None:
    with open_api(f"sqlite:///{tmp_path / 'ledger.db'}", tmp_path) as api:
        # the commune receives eight dossiers twenty minutes apart, and sends every other one
        # to the province; 25 days on, all have waited
        officer, key = api.client("officer"), api.key(COMMUNE_OFFICER)
        for number in range(601, 609):
            code = code_today(api.services, number)
            officer.record(key, "dossier.received", code, RECEIVED_BODY, applicant=APPLICANT)
            if number % 2:
                dispatch = {"to": PROVINCE, "purpose": "process", "documents": [DOCUMENT]}
                officer.record(key, "handover.dispatched", code, dispatch)
            api.clock.advance(20 * 60)
        api.clock.advance(25 * 86_400)  # (the tokens last thirty days)
        api.services.projector.catch_up()
        inspector = api.services.inspector()
        now = api.clock.now()
        later = now + 7 * DAY
        for as_of, at, current in ((None, now, True), (later, later, False)):
            whole = [
                (s.code, s.rule, s.over_seconds) for s in inspector.stalls(at, current=current)
            ]
            assert len(whole) > 6
            for limit in (1, 4, 500):
                walked: list[tuple[str, str, int]] = []
                cursor: str | None = None
                pages = 0
                while True:
                    query: dict[str, Any] = {"limit": str(limit)}
                    query |= {} if cursor is None else {"cursor": cursor}
                    query |= {} if as_of is None else {"as_of": str(as_of)}
                    body = ok(get(api, "/v1/stalls", **query))
                    walked += [(s["code"], s["rule"], s["over_seconds"]) for s in body["items"]]
                    pages += 1
                    cursor = body["next"]
                    if cursor is None:
                        break
                assert walked == whole, (as_of, limit)
                assert pages == max(1, -(-len(whole) // limit))
