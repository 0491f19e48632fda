"""Issue 18's "Done when", on the demo itself: the inspector's office report from 1/7/2025 counts
the monthly social allowance dossiers as received and decided at the commune (Decree 147/2025/NĐ-CP
Art. 5), early or on time against their ten working days or the time an extension asked for; the
control slip of a dossier received in 2026 is form 06 of Circular 03/2025 with its legal basis,
while one received in August 2025 keeps form 05 of Circular 01/2018; and the three new
statements — refusal at reception (form 03), apology and request to extend the time (form 04),
notice stopping the handling (form 05) — are on the dossiers' timelines and control slips.

The demo is recorded once on a memory ledger. The assertions are properties of whatever the demo
holds (every such dossier, at least one), not its totals: the demo grows."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest

from domain.instant import local_date, start_of
from domain.law import CIRCULAR_01_2018, CIRCULAR_03_2025, DECREE_2018_VI, DECREE_2025_VI
from ledger.application import Ledger
from ledger.clock import SimulatedClock
from ledger.config import LedgerSettings
from ledger.reference.calendar import load_calendar
from ledger.simulation.demo import DEMO_START, Demo, run_demo
from ledger.views.projector import Projector
from ledger.views.reports import decisions, office_report
from ledger.views.sla import Inspector
from ledger.views.slip import control_slip
from ledger.views.timeline import timeline

REFORM = date(2025, 7, 1)
NEW_FORMS = date(2025, 9, 15)
ALLOWANCE = "social-allowance-monthly"
INSPECTOR_OFFICE = "86"  # the demo's inspector reads the new province and every office below it
NEW_KINDS = {
    "dossier.refused": "03",
    "dossier.extension_requested": "04",
    "dossier.stopped": "05",
}


@dataclass
class Recorded:
    ledger: Ledger
    demo: Demo
    inspector: Inspector
    end: int  # just after the demo's last statement


@pytest.fixture(scope="module")
def recorded() -> Iterator[Recorded]:
    clock = SimulatedClock(DEMO_START)
    ledger = Ledger(LedgerSettings(database_url="memory:"), clock=clock)
    demo = run_demo(ledger, clock)
    projector = Projector(ledger)
    projector.catch_up()
    try:
        yield Recorded(ledger, demo, Inspector(ledger, projector, load_calendar()), clock.now() + 1)
    finally:
        projector.close()


def _received(recorded: Recorded, code: str) -> date:
    return local_date(recorded.ledger.received(code).statement.at)


def test_the_report_from_1_7_2025_counts_the_allowance_as_decided_at_the_commune(
    recorded: Recorded,
) -> None:
    ledger, inspector = recorded.ledger, recorded.inspector
    start, end = start_of(REFORM), recorded.end
    report = office_report(inspector, INSPECTOR_OFFICE, start, end)
    judged = {
        str(code): str(result)
        for code, result, *_ in decisions(inspector, INSPECTOR_OFFICE, start, end)
    }
    assert report.resolved == len(judged)
    allowances = [code for code in judged if ledger.dossier(code).procedure == ALLOWANCE]
    assert len(allowances) >= 2  # one decided in its ten days, one after an extension
    calendar = load_calendar()
    extended = 0
    for code in allowances:
        history = [entry.statement for entry in ledger.history("dossier", code)]
        received = history[0]
        decision = next(s for s in history if s.kind == "dossier.decided")
        assert local_date(received.at) >= REFORM
        assert received.body["version"] == 2, code
        # received and decided by the same commune, with no handover in between
        assert decision.office == received.office, code
        assert ledger.office(received.office).level == "commune", code
        assert not [s for s in history if s.kind == "handover.dispatched"], code
        assert judged[code] in ("early", "on_time"), code
        ten_days = calendar.due(received.at, 10, "working")
        assert received.body["appointed"] == ten_days, code
        extensions = [s for s in history if s.kind == "dossier.extension_requested"]
        if extensions:
            extended += 1
            # decided after the ten days, within the time the extension asked for, which it
            # asked for before the ten days were out
            assert ten_days < decision.at <= extensions[-1].body["appointed"], code
            assert extensions[0].at <= ten_days, code
        else:
            assert decision.at <= ten_days, code
    assert extended >= 1
    assert len(allowances) - extended >= 1
    # the extended one counts for the index as late against its receipt slip, with an apology
    assert report.index.late_at_receipt >= extended
    assert report.index.late_apologised >= extended
    # and the commune's own report counts the same dossiers
    communes = {ledger.received(code).statement.office for code in allowances}
    for commune in communes:
        theirs = {str(code) for code, *_ in decisions(inspector, commune, start, end)}
        assert {c for c in allowances if ledger.received(c).statement.office == commune} <= theirs


def test_a_slip_of_2026_is_form_06_and_one_of_august_2025_keeps_form_05(
    recorded: Recorded,
) -> None:
    received = {code: _received(recorded, code) for code in recorded.demo.dossiers}
    in_2026 = [code for code, day in received.items() if day.year == 2026]
    in_august = [code for code, day in received.items() if (day.year, day.month) == (2025, 8)]
    assert in_2026
    assert in_august
    for code in in_2026:
        slip = control_slip(recorded.inspector, code, recorded.end)
        assert slip is not None
        assert (slip.form.number, slip.form.circular) == ("06", CIRCULAR_03_2025), code
        assert slip.legal_basis("vi") == f"{DECREE_2025_VI}; Thông tư 03/2025/TT-VPCP"
        assert slip.legal_basis("en") == (
            "Decree 118/2025/NĐ-CP (as amended by Decree 367/2025/NĐ-CP); Circular 03/2025/TT-VPCP"
        )
    for code in in_august:
        slip = control_slip(recorded.inspector, code, recorded.end)
        assert slip is not None
        assert (slip.form.number, slip.form.circular) == ("05", CIRCULAR_01_2018), code
        assert slip.legal_basis("vi").startswith(f"{DECREE_2025_VI}; Thông tư 01/2018/TT-VPCP")
    # and the June dossiers, before the reform, still name the 2018 decree
    june = next(code for code, day in received.items() if day < REFORM)
    slip = control_slip(recorded.inspector, june, recorded.end)
    assert slip is not None
    assert slip.legal_basis("vi") == f"{DECREE_2018_VI}; Thông tư 01/2018/TT-VPCP"


@pytest.mark.parametrize("kind", sorted(NEW_KINDS))
def test_each_new_statement_is_on_a_timeline_and_on_the_slip_as_its_2025_form(
    recorded: Recorded, kind: str
) -> None:
    found = [
        code
        for code in recorded.demo.dossiers
        if any(step.statement.kind == kind for step in timeline(recorded.ledger, code).steps)
    ]
    assert found, kind
    for code in found:
        steps = timeline(recorded.ledger, code).steps
        assert all(step.verified for step in steps), code
        assert _received(recorded, code) >= NEW_FORMS, code
        slip = control_slip(recorded.inspector, code, recorded.end)
        assert slip is not None
        notices = [notice for notice in slip.notices if notice.kind == kind]
        assert notices, code
        for notice in notices:
            assert notice.form is not None
            assert (notice.form.number, notice.form.circular) == (NEW_KINDS[kind], CIRCULAR_03_2025)
            assert notice.reason
            assert notice.name("vi").startswith(f"Mẫu số {NEW_KINDS[kind]} — ")


def test_a_refused_dossier_never_left_reception_and_a_stopped_one_had_been_taken_in(
    recorded: Recorded,
) -> None:
    """Form 03 is for the receiving office before anyone else took the dossier in; form 05 ends
    one that is being handled — the demo's stopped dossier was taken in by the province."""
    ledger = recorded.ledger
    for code in recorded.demo.dossiers:
        history = [entry.statement for entry in ledger.history("dossier", code)]
        kinds = [s.kind for s in history]
        if "dossier.refused" in kinds:
            assert "handover.acknowledged" not in kinds, code
            assert history[-1].office == history[0].office, code
            assert ledger.dossier(code).closed == "refused"
        if "dossier.stopped" in kinds:
            assert "handover.acknowledged" in kinds, code
            assert history[-1].office != history[0].office, code
            assert ledger.dossier(code).closed == "stopped"
            assert "dossier.decided" not in kinds, code
