"""A past instant answered from the views (`asof.py`): every dossier open then, as its history
replayed up to then makes it (`Projector.as_of`), row, hops and supplement windows — on the
simulator's traffic at several instants, with the views answering for every dossier and with the
dossiers near the instant replayed — and the stalls judged on either are the same; the dossiers
the views cannot answer for exactly are replayed, each for its reason."""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain.instant import MICROS
from ledger.application import Ledger
from ledger.views import asof, queries
from ledger.views.asof import Then, _from_views
from ledger.views.projector import Projector
from ledger.views.sla import Inspector
from ledger.views.stalls import RULES, _kept, _stalls_of, judge_each
from ledger.views.tables import Leg, Location
from tests.test_stalls_sql import CALENDAR, _cuts, _simulated

HOUR = 3600 * MICROS
DAY = 24 * HOUR


def _replayed(inspector: Inspector, at: int) -> dict[str, Then]:
    """Every dossier open at `at`, each from its history replayed."""
    found = {}
    for code in queries.open_at(inspector.projector.view, at):
        then = inspector.projector.as_of(code, at)
        if then is not None and then.location.status != "closed":
            found[code] = then
    return found


def _same(then: Then) -> tuple[object, ...]:
    # last_seq is the replay's last statement: the views keep only the latest
    return replace(then.location, last_seq=0), tuple(then.legs), tuple(then.spans)


def _instants(ledger: Ledger) -> list[int]:
    found = []
    for _position, when in _cuts(ledger, 4):
        found += [when, when + 3 * HOUR, when + 30 * HOUR, when - 6 * DAY, when - 40 * DAY]
    return found


def test_the_views_give_each_open_dossier_as_its_replayed_history_does(database_url: str) -> None:
    ledger = _simulated(database_url)
    projector = Projector(ledger)
    try:
        projector.catch_up()
        inspector = Inspector(ledger, projector, CALENDAR)
        counted = {"views": 0, "replayed": 0, "in_transit": 0, "suspended": 0, "hops": 0}
        for at in _instants(ledger):
            expected = _replayed(inspector, at)
            for margin in (None, 0):  # the simulator's tolerance (a day), and none
                found = asof.open_at(inspector, at, margin=margin)
                assert [then.location.code for then in found] == sorted(expected)
                for then in found:
                    assert _same(then) == _same(expected[then.location.code]), (at, then)
                    counted["replayed" if then.replayed else "views"] += 1
                    if margin == 0:
                        assert not then.replayed, then.location.code
                        counted[then.location.status] = counted.get(then.location.status, 0) + 1
                        counted["hops"] += bool(then.legs)
        # both ways were taken, on dossiers in every state
        assert all(counted[name] > 0 for name in counted), counted
    finally:
        projector.close()
        ledger.close()


@pytest.mark.parametrize("hours", [8, 2.5])
def test_the_stalls_at_a_past_instant_are_those_of_the_replayed_histories(
    database_url: str, hours: float
) -> None:
    ledger = _simulated(database_url)
    projector = Projector(ledger)
    try:
        projector.catch_up()
        inspector = Inspector(ledger, projector, CALENDAR, unacknowledged_hours=hours)
        rules: set[str] = set()
        for at in _instants(ledger):
            replayed = (
                stall
                for then in _replayed(inspector, at).values()
                for stall in _stalls_of(inspector, then.location, at, then.legs, then.spans)
            )
            expected = _kept(inspector, at, replayed, None, None, None)
            found = judge_each(inspector, at, current=False)
            assert found == expected, at
            assert inspector.stalls(at, current=False) == expected
            rules |= {stall.rule for stall in found}
        assert rules == set(RULES)
    finally:
        projector.close()
        ledger.close()


# --- what the views cannot answer for: replayed ------------------------------------------------

T = 1_800_000_000 * MICROS  # the instant judged
ROW = Location(
    code="H-1",
    procedure="P",
    version=1,
    status="closed",
    received_by="A",
    received_at=T - 20 * DAY,
    custodian=None,
    transit_from=None,
    transit_to=None,
    since=T + 9 * DAY,
    appointed=T + 30 * DAY,
    suspended_since=None,
    suspended_us=0,
    hops=2,
    decided=None,
    decided_at=None,
    closed_at=T + 9 * DAY,
    channel="direct",
    held_since=T + 5 * DAY,
    last_seq=9,
    appointed_at_receipt=T + 10 * DAY,
    first_apology_at=None,
)


def _leg(hop: int, dispatched: int, ended: int | None, outcome: str = "acknowledged") -> Leg:
    return Leg(
        code="H-1",
        hop=hop,
        dispatch=bytes([hop]) * 32,
        from_office="A" if hop % 2 else "B",
        from_officer="a",
        to_office="B" if hop % 2 else "A",
        purpose="process",
        dispatched_at=dispatched,
        outcome=None if ended is None else outcome,
        by_office=None if ended is None else ("B" if hop % 2 else "A"),
        by_officer=None if ended is None else "b",
        ended_at=ended,
        missing=0,
        extra=0,
    )


LEGS = [_leg(1, T - 10 * DAY, T - 9 * DAY), _leg(2, T - 2 * DAY, T + 5 * DAY)]


def test_a_dossier_the_views_can_answer_for_is_placed_as_the_rules_place_it() -> None:
    then = _from_views(ROW, LEGS, [(T - 8 * DAY, T - 7 * DAY)], [], T, HOUR)
    assert then is not None
    assert not then.replayed
    found = then.location
    assert (found.status, found.transit_from, found.transit_to, found.since) == (
        "in_transit",
        "B",
        "A",
        T - 2 * DAY,
    )
    assert (found.held_since, found.hops, found.suspended_us) == (T - 9 * DAY, 2, DAY)
    assert found.appointed == ROW.appointed_at_receipt
    assert found.closed_at is None
    assert then.legs[1].outcome is None
    assert then.legs[1].ended_at is None
    # the day before: held by the office that acknowledged the first hop, awaiting a supplement
    earlier = _from_views(
        ROW, LEGS, [(T - 8 * DAY, T - 7 * DAY)], [], T - 7 * DAY - HOUR, HOUR // 2
    )
    assert earlier is not None
    assert (earlier.location.status, earlier.location.custodian) == ("suspended", "B")
    assert earlier.spans == ((T - 8 * DAY, None),)
    assert earlier.location.suspended_us == 0


def test_a_dossier_with_a_statement_near_the_instant_is_replayed() -> None:
    near = [_leg(1, T - 10 * DAY, T - 9 * DAY), _leg(2, T - 2 * DAY, T + HOUR // 2)]
    assert _from_views(ROW, near, [], [], T, HOUR) is None
    assert _from_views(ROW, near, [], [], T, HOUR // 4) is not None


def test_hops_out_of_order_by_the_instant_are_replayed() -> None:
    # the second hop dispatched by T while the first was settled only after it
    crossed = [_leg(1, T - 10 * DAY, T + DAY), _leg(2, T - 2 * DAY, T + 5 * DAY)]
    assert _from_views(ROW, crossed, [], [], T, HOUR) is None
    # the second hop dispatched by T, the first after it
    swapped = [_leg(1, T + DAY, T + 2 * DAY), _leg(2, T - 2 * DAY, T + 5 * DAY)]
    assert _from_views(ROW, swapped, [], [], T, HOUR) is None


def test_an_apology_before_the_instant_and_another_after_it_is_replayed() -> None:
    apologised = replace(ROW, first_apology_at=T - 3 * DAY, appointed=T + 30 * DAY)
    assert _from_views(apologised, LEGS, [], [T - 3 * DAY, T + 2 * DAY], T, HOUR) is None
    every = _from_views(apologised, LEGS, [], [T - 3 * DAY, T - 2 * DAY], T, HOUR)
    assert every is not None
    assert every.location.appointed == T + 30 * DAY
    assert every.location.first_apology_at == T - 3 * DAY
    none_yet = _from_views(apologised, LEGS, [], [T + 2 * DAY], T, HOUR)
    assert none_yet is not None
    assert none_yet.location.appointed == ROW.appointed_at_receipt
    assert none_yet.location.first_apology_at is None


def test_a_level_deadline_at_a_past_instant_reads_the_hops_as_they_were_then() -> None:
    """A dossier decided and later handed over to return its result: before that handover was
    taken in, its holder still had a level budget (the hops of now say it is being returned)."""

    class Hops:
        def legs(self, code: str) -> list[Leg]:
            return [replace(LEGS[0], purpose="return")]

        def suspensions(self, code: str) -> list[tuple[int, int | None]]:
            return []

    inspector = Inspector.__new__(Inspector)
    inspector.projector = Hops()  # type: ignore[assignment]
    decided = replace(ROW, decided="approved", decided_at=T - DAY)
    assert inspector.returning(decided.code)
    assert not inspector.returning(decided.code, [])
    assert inspector.forward_turns(decided.code, [LEGS[0]]) == 1
    assert inspector.forward_turns(decided.code) == 0
