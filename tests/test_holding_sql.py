"""The offices' holding times from the hops dispatched in the period alone, each read with the
hop before it (`holding.held_by_office`, `queries.handed_on`), against the walk over every hop
of the log, in code and hop order, that the map and the held list used before: the same dossiers,
the same working seconds, in the same order, for every office and for one asked for — on the
simulator's traffic (the 2025 reform, refusals, recalls, supplements), on the three stores."""

from __future__ import annotations

from datetime import date

from domain.instant import start_of
from ledger.views.holding import held_by_office
from ledger.views.projector import Projector
from ledger.views.sla import Inspector
from tests.test_stalls_sql import CALENDAR, _simulated


def _walked(inspector: Inspector, start: int, end: int) -> dict[str, list[tuple[str, int]]]:
    """The walk over every hop of the log: the way before, kept as the reference."""
    view = inspector.projector.view
    received = {
        code: (office, at)
        for code, office, at in view.query(
            "SELECT code, received_by, received_at FROM lienthong_location"
        )
    }
    held: dict[str, list[tuple[str, int]]] = {}
    arrival: tuple[str, int] | None = None
    current = None
    for code, sender, dispatched_at, addressee, outcome, ended_at in view.query(
        "SELECT code, from_office, dispatched_at, to_office, outcome, ended_at "
        "FROM lienthong_legs ORDER BY code, hop"
    ):
        if code != current:
            current, arrival = code, received.get(code)
        if arrival is not None and arrival[0] == sender and start <= dispatched_at < end:
            worked = inspector.working_seconds(arrival[1], dispatched_at)
            held.setdefault(sender, []).append((code, worked))
        if outcome == "acknowledged" and ended_at is not None:
            arrival = (addressee, ended_at)
        elif outcome in ("rejected", "recalled") and ended_at is not None:
            arrival = (sender, ended_at)
        else:
            arrival = None
    return held


PERIODS = [
    (date(2025, 1, 1), date(2026, 7, 1)),  # the whole traffic, across the reform
    (date(2025, 6, 1), date(2025, 8, 1)),  # the months either side of 1/7/2025
    (date(2026, 3, 1), date(2026, 3, 2)),  # one day
    (date(2030, 1, 1), date(2030, 2, 1)),  # nothing dispatched
]


def test_holding_times_from_the_period_s_hops_are_those_of_the_walk_over_the_log(
    database_url: str,
) -> None:
    ledger = _simulated(database_url, dossiers=200)
    projector = Projector(ledger)
    try:
        projector.catch_up()
        inspector = Inspector(ledger, projector, CALENDAR)
        counted = 0
        for first, after in PERIODS:
            start, end = start_of(first), start_of(after)
            expected = _walked(inspector, start, end)
            assert held_by_office(inspector, start, end) == expected, first
            for office in [*sorted(expected), "no-such-office"]:
                assert held_by_office(inspector, start, end, office=office) == (
                    {office: expected[office]} if office in expected else {}
                ), (first, office)
            counted += sum(map(len, expected.values()))
        assert counted > 100  # the comparison saw the traffic, not empty maps
        # and hops sent again by the sender a refused or recalled handover came back to
        again = projector.view.query(
            "SELECT count(*) FROM lienthong_legs g JOIN lienthong_legs p "
            "ON p.code = g.code AND p.hop = g.hop - 1 "
            "WHERE p.outcome IN ('rejected', 'recalled') AND g.from_office = p.from_office"
        )
        assert again[0][0] > 0
    finally:
        projector.close()
        ledger.close()
