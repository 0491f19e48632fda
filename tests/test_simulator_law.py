"""The simulator under the law in force on each dossier's date of receipt. After 1/7/2025 the
monthly social allowance is received under its version 2 and decided by the commune that received
it, with no handover (Decree 147/2025/NĐ-CP Art. 5), and the office reports from 1/7/2025 count
those decisions under that commune and the province above it; before, it went through the district,
which decided. An apology on a dossier received from 15/9/2025 is signed as the request to extend
the time of Circular 03/2025 (form 04), before that as the 2018 apology and new appointment.
One small simulation: 300 dossiers over the year and a half to 30/6/2026, seed 5."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import pytest

from domain.instant import local_date, start_of
from domain.statement import Statement
from ledger.application import Ledger
from ledger.clock import SimulatedClock
from ledger.config import LedgerSettings
from ledger.reference.calendar import load_calendar
from ledger.simulation.simulator import SIMULATION_TOLERANCE_SECONDS, SimulationResult, simulate
from ledger.simulation.traffic import apology_kind
from ledger.statements import schema
from ledger.views.projector import Projector
from ledger.views.reports import decisions, office_report
from ledger.views.sla import Inspector

REFORM = date(2025, 7, 1)
NEW_FORMS = date(2025, 9, 15)
ALLOWANCE = "social-allowance-monthly"

World = tuple[Ledger, SimulationResult, dict[str, list[Statement]]]


@pytest.fixture(scope="module")
def world() -> World:
    clock = SimulatedClock(0)
    settings = LedgerSettings(
        database_url="memory:", clock_tolerance_seconds=SIMULATION_TOLERANCE_SECONDS
    )
    ledger = Ledger(settings, clock=clock)
    result = simulate(ledger, clock, dossiers=300, seed=5, years=1.5)
    histories: dict[str, list[Statement]] = defaultdict(list)
    for _position, event in ledger.read_log():
        statement = schema.parse(event.raw)
        if statement.family == "dossier":
            histories[statement.subject].append(statement)
    return ledger, result, dict(histories)


def _allowances(histories: dict[str, list[Statement]], after: bool) -> dict[str, list[Statement]]:
    """The monthly social allowance dossiers received from 1/7/2025 (`after`) or before it."""
    return {
        code: history
        for code, history in histories.items()
        if history[0].body["procedure"] == ALLOWANCE
        and (local_date(history[0].at) >= REFORM) == after
    }


def _decision(history: list[Statement]) -> Statement | None:
    return next((s for s in history if s.kind == "dossier.decided"), None)


def test_after_the_reform_the_allowance_is_received_under_version_2_and_decided_at_its_commune(
    world: World,
) -> None:
    ledger, result, histories = world
    assert result.refusals == []
    after = _allowances(histories, after=True)
    decided = 0
    for code, history in after.items():
        received = history[0]
        assert received.body["version"] == 2, code
        assert ledger.office(received.office).level == "commune", code
        assert not [s for s in history if s.kind == "handover.dispatched"], code
        decision = _decision(history)
        if decision is not None:
            decided += 1
            assert decision.office == received.office, code
    assert decided >= 10  # enough to mean something, whatever the draw


def test_before_the_reform_the_allowance_went_through_the_district_which_decided(
    world: World,
) -> None:
    """The contrast: version 1 routes commune → district, and the district decides."""
    ledger, _result, histories = world
    decided = 0
    for code, history in _allowances(histories, after=False).items():
        assert history[0].body["version"] == 1, code
        decision = _decision(history)
        if decision is not None and local_date(decision.at) < REFORM:
            decided += 1
            assert ledger.office(decision.office).level == "district", code
    assert decided >= 1


def test_the_reports_from_1_7_2025_count_those_decisions_under_the_commune_and_the_province(
    world: World,
) -> None:
    ledger, result, histories = world
    projector = Projector(ledger)
    projector.catch_up()
    try:
        inspector = Inspector(ledger, projector, load_calendar())
        start, end = start_of(REFORM), result.end
        expected = {
            code: history[0].office
            for code, history in _allowances(histories, after=True).items()
            if (decision := _decision(history)) is not None and decision.at < end
        }
        communes = sorted(set(expected.values()))
        judged: dict[str, str] = {}
        for commune in communes:
            rows = [
                (str(code), str(judgement))
                for code, judgement, *_ in decisions(inspector, commune, start, end)
            ]
            mine = {code: judgement for code, judgement in rows if code in expected}
            assert all(expected[code] == commune for code in mine), commune
            report = office_report(inspector, commune, start, end)
            assert report.resolved == len(rows) >= len(mine), commune
            judged.update(mine)
        assert judged.keys() == expected.keys()
        assert set(judged.values()) <= {"early", "on_time", "late"}
        assert "early" in judged.values() or "on_time" in judged.values()
        province = {str(code) for code, *_ in decisions(inspector, "86", start, end)}
        assert expected.keys() <= province
    finally:
        projector.close()


def test_an_apology_is_signed_on_the_form_in_use_on_the_date_of_receipt(world: World) -> None:
    _ledger, _result, histories = world
    kinds: set[str] = set()
    for code, history in histories.items():
        received = local_date(history[0].at)
        for statement in history:
            if statement.kind in ("dossier.delay_notified", "dossier.extension_requested"):
                kinds.add(statement.kind)
                expected = (
                    "dossier.extension_requested"
                    if received >= NEW_FORMS
                    else "dossier.delay_notified"
                )
                assert statement.kind == expected, code
                assert statement.body["appointed"] > history[0].body["appointed"], code
    assert kinds == {"dossier.delay_notified", "dossier.extension_requested"}


@pytest.mark.parametrize(
    ("received", "kind"),
    [
        (date(2025, 6, 30), "dossier.delay_notified"),
        (date(2025, 9, 14), "dossier.delay_notified"),
        (date(2025, 9, 15), "dossier.extension_requested"),
        (date(2026, 3, 2), "dossier.extension_requested"),
    ],
)
def test_apology_kind_follows_the_forms_by_date(received: date, kind: str) -> None:
    assert apology_kind(received) == kind
