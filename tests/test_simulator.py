"""The traffic simulator: deterministic, recorded without a refusal, faithful to the routes and
the registry's dates, and its planted slow offices are the ones the stall dashboard and the
office reports single out. Small runs (a few hundred dossiers) on memory ledgers."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli.main import app
from api.http.web.heatmap import monthly
from domain.instant import local_date, start_of
from domain.statement import Statement
from ledger.application import Ledger
from ledger.clock import SimulatedClock
from ledger.config import LedgerSettings
from ledger.reference.calendar import load_calendar
from ledger.reference.seed import office_statements
from ledger.simulation.arrivals import DISTRICT_STOP
from ledger.simulation.demo import demo_log_key
from ledger.simulation.simulator import SIMULATION_TOLERANCE_SECONDS, SimulationResult, simulate
from ledger.statements import schema
from ledger.views.projector import Projector
from ledger.views.rollup import results_by_office, stalls_by_office
from ledger.views.sla import Inspector, office_report

runner = CliRunner()


def run(dossiers: int, seed: int, years: float = 1.5) -> tuple[Ledger, SimulationResult]:
    clock = SimulatedClock(0)
    settings = LedgerSettings(
        database_url="memory:", clock_tolerance_seconds=SIMULATION_TOLERANCE_SECONDS
    )
    ledger = Ledger(settings, clock=clock)
    return ledger, simulate(ledger, clock, dossiers=dossiers, seed=seed, years=years)


World = tuple[Ledger, SimulationResult, dict[str, list[Statement]]]


@pytest.fixture(scope="module")
def world() -> World:
    # a draw in which every slow office still holds a late dossier at the end (the draws follow
    # the appointed times, so they changed when the seeded procedures lost the 15:00 cut-off)
    ledger, result = run(400, seed=8, years=2)
    histories: dict[str, list[Statement]] = defaultdict(list)
    for _position, event in ledger.read_log():
        statement = schema.parse(event.raw)
        if statement.family == "dossier":
            histories[statement.subject].append(statement)
    return ledger, result, dict(histories)


def test_the_same_seed_gives_the_same_log_and_another_seed_another() -> None:
    first, _ = run(120, seed=3, years=1)
    second, _ = run(120, seed=3, years=1)
    other, _ = run(120, seed=4, years=1)
    assert first.log_size() == second.log_size()
    assert first.root() == second.root()
    assert other.root() != first.root()


def test_every_statement_is_recorded_without_a_refusal(world: World) -> None:
    _ledger, result, histories = world
    assert result.refusals == []
    assert result.dossiers == len(histories) == 400
    assert all(history[0].kind == "dossier.received" for history in histories.values())
    kinds = {statement.kind for history in histories.values() for statement in history}
    assert {
        "handover.rejected",
        "dossier.supplement_requested",
        "dossier.supplement_received",
        "dossier.delay_notified",
        "dossier.withdrawn",
        "dossier.result_returned",
    } <= kinds


def test_dossiers_follow_their_procedure_versions_route(world: World) -> None:
    ledger, _result, histories = world
    for code, history in histories.items():
        received = history[0]
        version = ledger.procedure(received.body["procedure"]).get_version(received.body["version"])
        expected = [level for level in version.levels[1:] if level != "council"]
        addressees: list[str] = []  # a dispatch re-sent after a refusal counts once
        for statement in history:
            if (
                statement.kind == "handover.dispatched"
                and statement.body["purpose"] == "process"
                and (not addressees or addressees[-1] != statement.body["to"])
            ):
                addressees.append(statement.body["to"])
            if statement.kind == "dossier.decided":
                in_force = ledger.procedure(received.body["procedure"]).effective_on(
                    local_date(statement.at)
                )
                assert in_force is not None
                deciders = {*version.decides, *in_force.decides}
                assert ledger.office(statement.office).level in deciders, code
        forwarded = [ledger.office(office).level for office in addressees]
        # in order; a step is left out only when the office that took the dossier over from a
        # dissolved district stands for it
        route = iter(expected)
        assert all(level in route for level in forwarded), code


def test_receipts_use_the_version_in_effect_and_district_routes_stop_before_the_reform(
    world: World,
) -> None:
    ledger, _result, histories = world
    for code, history in histories.items():
        received = history[0]
        day = local_date(received.at)
        procedure = ledger.procedure(received.body["procedure"])
        version = procedure.effective_on(day)
        assert version is not None
        assert version.version == received.body["version"], code
        assert "district" not in version.levels or day < DISTRICT_STOP, code


def test_no_statement_names_an_office_after_its_end(world: World) -> None:
    ledger, _result, histories = world
    for history in histories.values():
        for statement in history:
            day = local_date(statement.at)
            assert ledger.office(statement.office).active_on(day)
            if statement.kind == "handover.dispatched":
                assert ledger.office(statement.body["to"]).active_on(day)


def test_the_slow_offices_stall_and_report_worse_on_time_rates(world: World) -> None:
    ledger, result, _histories = world
    projector = Projector(ledger)
    projector.catch_up()
    inspector = Inspector(ledger, projector, load_calendar())
    day = local_date(result.end)
    stalls = inspector.stalls(result.end)
    for office in result.slow_offices:
        assert any(inspector.within(stall.office, office, day) for stall in stalls), office

    def rate(offices: list[str]) -> float:
        """(early + on time) ÷ resolved over the dossiers the offices received."""
        reports = [office_report(inspector, o, result.start, result.end) for o in offices]
        return sum(r.early + r.on_time for r in reports) / sum(r.resolved for r in reports)

    district, *communes = result.slow_offices
    districts = _offices(ledger, "district", local_date(result.start))
    assert district in districts
    assert rate([district]) < rate([d for d in districts if d != district])
    last = _offices(ledger, "commune", day)
    assert rate(communes) < rate([c for c in last if c not in communes])
    projector.close()


def _offices(ledger: Ledger, level: str, day: date) -> list[str]:
    subjects = sorted({subject for _kind, subject, _body in office_statements()})
    return [
        s for s in subjects if ledger.office(s).level == level and ledger.office(s).active_on(day)
    ]


def test_demo_dossiers_records_a_simulation_and_names_the_slow_offices(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'sim.db'}"
    result = runner.invoke(app, ["--database-url", db, "--lang", "en", "demo", "--dossiers", "300"])
    assert result.exit_code == 0, result.output
    assert "300 dossiers" in result.output
    assert result.output.count("slow office ") == 3
    assert "stalls --office " in result.output
    verified = runner.invoke(
        app,
        [
            "--database-url",
            db,
            "--lang",
            "en",
            "verify",
            "--log-key",
            demo_log_key().verifier.line(),
        ],
    )
    assert verified.exit_code == 0, verified.output


def test_every_office_s_results_in_one_pass_equal_its_own_report(world: World) -> None:
    """The map of offices counts every office's early / on-time / late dossiers in one pass
    (ledger.views.rollup); each office's figures must be those of its own report, before, across and
    after the 2025 reform, and its stalls those `within` finds."""
    ledger, result, _histories = world
    projector = Projector(ledger)
    projector.catch_up()
    inspector = Inspector(ledger, projector, load_calendar())
    offices = sorted({subject for _kind, subject, _body in office_statements()})
    reform = start_of(date(2025, 7, 1))
    periods = [(result.start, result.end), (result.start, reform), (reform, result.end)]
    for start, end in periods:
        counted = results_by_office(inspector, start, end)
        assert counted  # some dossiers were decided in each period
        for office in offices:
            report = office_report(inspector, office, start, end)
            mine = counted.get(office, Counter())
            assert (mine["early"], mine["on_time"], mine["late"]) == (
                report.early,
                report.on_time,
                report.late,
            ), office
    stalls = inspector.stalls(result.end)
    assert stalls
    day = local_date(result.end)
    by_office = stalls_by_office(inspector, stalls, result.end)
    for office in offices:
        assert by_office[office] == sum(
            inspector.within(s.office, office, day, procedure=s.procedure, received_by=s.received_by)
            for s in stalls
        )
    projector.close()


def test_the_month_by_month_rate_equals_each_month_s_report(world: World) -> None:
    ledger, _result, _histories = world
    projector = Projector(ledger)
    projector.catch_up()
    inspector = Inspector(ledger, projector, load_calendar())
    first, last = date(2024, 12, 1), date(2025, 12, 1)
    months = monthly(inspector, "86", first, last)
    assert len(months) == 12
    assert any(m["decided"] for m in months)
    start = first
    for month in months:
        after = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        report = office_report(inspector, "86", start_of(start), start_of(after))
        assert month["month"] == f"{start:%m/%Y}"
        assert month["decided"] == report.resolved
        assert month["rate"] == report.on_time_rate
        start = after
    projector.close()


def test_no_dossier_is_left_with_an_office_that_no_longer_exists(world: World) -> None:
    """A dossier a district held or was sent when the districts were dissolved passes to the
    office the registry names for its procedure, and goes on from there."""
    ledger, result, histories = world
    end = local_date(result.end)
    assert result.stranded == 0
    for code in histories:
        dossier = ledger.dossier(code)
        if dossier.closed is not None:
            continue
        office = ledger.office(dossier.transit.addressee if dossier.transit else dossier.custodian)
        while not office.active_on(end):
            following = office.successor_for(dossier.procedure)
            if following is None and office.passes_to_receiver:
                following = dossier.received_by
            assert following is not None, code
            office = ledger.office(following)
