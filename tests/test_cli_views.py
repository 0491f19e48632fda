"""The read-model commands end to end on the demo database: where, inbox, stalls, report, slip,
rebuild — and `due`. The demo is recorded once for the module; the commands only read it (and
`rebuild` builds the same views again).

Demo dossiers used: 000.00.01.H59-250602-0001 goes commune → district → province and back in
June 2025 (in transit to the district 03/06 10:30 – 13:30); 000.00.01.H59-250626-0004 was
dispatched to district 844 on 30/06/2025 07:30 and is never acknowledged.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli.main import app
from ledger.application import Ledger
from ledger.config import LedgerSettings
from tests.world import CODE, World

runner = CliRunner()
ROUND_TRIP = "000.00.01.H59-250602-0001"
LEFT_IN_TRANSIT = "000.00.01.H59-250626-0004"
ODD_NAME = 'Xã <script>alert("x")</script> & Co'


def run(db: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--database-url", db, "--lang", "en", *args])
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    db = f"sqlite:///{tmp_path_factory.mktemp('views') / 'demo.db'}"
    code, output = run(db, "demo")
    assert code == 0, output
    return db


# --- where ------------------------------------------------------------------------------------


def test_where_says_who_holds_a_dossier_now(demo_db: str) -> None:
    code, output = run(demo_db, "where", ROUND_TRIP)
    assert code == 0, output
    assert f"{ROUND_TRIP} — merit-education-preference v1" in output
    assert "Status: Closed (29266 Thị trấn Càng Long)" in output
    assert "Hops (handed over – received): 3" in output


def test_where_as_of_an_instant_says_where_it_was_then(demo_db: str) -> None:
    code, output = run(demo_db, "where", ROUND_TRIP, "--as-of", "03/06/2025 12:00")
    assert code == 0, output
    assert (
        "Status: In transit to 844 Huyện Càng Long (Handed over: 29266 Thị trấn Càng Long)"
        in output
    )
    assert "Since: 03/06/2025 10:30" in output

    code, output = run(demo_db, "where", ROUND_TRIP, "--as-of", "2025-06-04T12:00")
    assert code == 0, output
    assert "Status: Held by 844 Huyện Càng Long" in output
    assert "Since: 03/06/2025 13:30" in output


def test_where_as_of_an_instant_gives_the_deadline_of_the_turn_then(demo_db: str) -> None:
    """Decided by the province on 11/06 09:30 and sent back to the commune at 11:30 to return
    the result: at 10:30 the province still held it in its own turn, with its level's deadline
    (the hops of today end with the handover to return, which has none)."""
    code, output = run(demo_db, "where", ROUND_TRIP, "--as-of", "11/06/2025 10:30")
    assert code == 0, output
    assert "Status: Held by 84 Tỉnh Trà Vinh" in output
    assert "Due from the office holding it: 18/06/2025 23:59" in output


def test_where_before_the_receipt_says_it_was_not_yet_received(demo_db: str) -> None:
    code, output = run(demo_db, "where", ROUND_TRIP, "--as-of", "01/06/2025 12:00")
    assert code == 0, output
    assert f"Dossier {ROUND_TRIP} had not been received at that time." in output


def test_where_an_unknown_dossier_is_refused(demo_db: str) -> None:
    code, output = run(demo_db, "where", "NO-SUCH-CODE")
    assert code == 1
    assert "unknown-dossier" in output


def test_where_a_bad_as_of_is_an_input_error(demo_db: str) -> None:
    code, output = run(demo_db, "where", ROUND_TRIP, "--as-of", "yesterday")
    assert code == 2
    assert "'yesterday' is not a time" in output


# --- inbox and stalls -------------------------------------------------------------------------


def test_inbox_lists_the_dossier_left_in_transit(demo_db: str) -> None:
    code, output = run(demo_db, "inbox", "844")
    assert code == 0, output
    assert "Dossiers handed over to 844, not yet acknowledged: 1" in output
    assert f"{LEFT_IN_TRANSIT}  30/06/2025 07:30  Handed over: 29266 Thị trấn Càng Long" in output

    code, output = run(demo_db, "inbox", "845")
    assert code == 0, output
    assert "not yet acknowledged: 0" in output


def test_stalls_as_of_an_instant_name_the_office_that_has_not_acknowledged(demo_db: str) -> None:
    code, output = run(demo_db, "stalls", "--as-of", "08/07/2025 10:00")
    assert code == 0, output
    assert "Stalled dossiers at 08/07/2025 10:00: 1" in output
    # 30/06 07:30 to 08/07 10:00: six working days and 2.5 h, less the 8 h allowed: 5.3 days
    # of eight hours, in working days to one decimal as every page says it (api/texts.py)
    assert (
        f"{LEFT_IN_TRANSIT}  not acknowledged  Since 30/06/2025 07:30  "
        "over by 5.3 working days  844 Huyện Càng Long"
    ) in output


def test_stalls_filter_by_office(demo_db: str) -> None:
    code, output = run(demo_db, "stalls", "--as-of", "08/07/2025 10:00", "--office", "845")
    assert code == 0, output
    assert "Stalled dossiers at 08/07/2025 10:00: 0" in output
    assert LEFT_IN_TRANSIT not in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rule", "nonsense"], "--rule must be one of unacknowledged"),
        (["--as-of", "31/31/2025"], "--as-of '31/31/2025' is not a time"),
    ],
)
def test_stalls_input_errors_exit_2(demo_db: str, args: list[str], message: str) -> None:
    code, output = run(demo_db, "stalls", *args)
    assert code == 2
    assert message in output


# --- report -----------------------------------------------------------------------------------


def test_report_prints_the_indicators_and_the_rate(demo_db: str) -> None:
    code, output = run(demo_db, "report", "84", "--from", "01/06/2025", "--to", "30/06/2025")
    assert code == 0, output
    assert "Dossier handling report — 84 Tỉnh Trà Vinh — 01/06/2025 to 30/06/2025" in output
    assert "Received: 4 (in person: 4); carried over: 0" in output
    assert "Resolved: 2 — early 2, on time 0, late 0" in output
    assert "Pending at the end: within the deadline 1, overdue 0" in output
    assert "On time or early: 100.0%" in output


def test_report_with_nothing_resolved_shows_no_rate(demo_db: str) -> None:
    code, output = run(demo_db, "report", "845", "--from", "01/06/2025", "--to", "30/06/2025")
    assert code == 0, output
    assert "Received: 0 (—); carried over: 0" in output
    assert "On time or early: —" in output


def test_report_refuses_a_period_that_ends_before_it_starts(demo_db: str) -> None:
    code, output = run(demo_db, "report", "84", "--from", "03/06/2025", "--to", "01/06/2025")
    assert code == 2
    assert "--to must not be before --from" in output


# --- slip -------------------------------------------------------------------------------------


def test_slip_prints_a_block_for_the_reception_and_each_handover(demo_db: str) -> None:
    code, output = run(demo_db, "slip", ROUND_TRIP)
    assert code == 0, output
    lines = output.splitlines()
    assert lines[0] == "Process control slip"
    assert f"Dossier code: {ROUND_TRIP} — merit-education-preference v1" in lines
    assert "Received: 02/06/2025 08:30 — 29266 Thị trấn Càng Long" in lines
    blocks = [line for line in lines if line[:3] in ("1. ", "2. ", "3. ", "4. ")]
    assert len(blocks) == 4
    assert blocks[0].startswith(
        "1. Received at: 29266 Thị trấn Càng Long — budget 3 working days, "
        "due 05/06/2025 23:59: early"
    )
    assert blocks[1].startswith(
        "2. Handed over: 29266 Thị trấn Càng Long (cb-29266-vhxh, 03/06/2025 10:30) → "
        "Received: 844 Huyện Càng Long (cv-844-ldtbxh, 03/06/2025 13:30) — budget 5 working "
        "days, due 10/06/2025 23:59: early"
    )


def test_slip_shows_a_handover_in_transit(demo_db: str) -> None:
    code, output = run(demo_db, "slip", LEFT_IN_TRANSIT)
    assert code == 0, output
    assert (
        "2. Handed over: 29266 Thị trấn Càng Long (cb-29266-vhxh, 30/06/2025 07:30) → "
        "844 Huyện Càng Long: in transit, not yet acknowledged"
    ) in output


def test_slip_of_an_unknown_dossier_is_refused(demo_db: str) -> None:
    code, output = run(demo_db, "slip", "NO-SUCH-CODE")
    assert code == 1
    assert "unknown-dossier" in output


def test_slip_writes_a_printable_html_page(demo_db: str, tmp_path: Path) -> None:
    page = tmp_path / "slip.html"
    code, output = run(demo_db, "slip", ROUND_TRIP, "--html", str(page))
    assert code == 0, output
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>")
    assert "<h1>Process control slip</h1>" in html
    assert html.count("<li") == 4
    assert "84 Tỉnh Trà Vinh (cv-84-ldtbxh, 09/06/2025 07:30)" in html


@pytest.fixture
def odd_names_db(tmp_path: Path) -> str:
    """A ledger with an office whose name is markup, holding a dossier handed on to 844."""
    db = f"sqlite:///{tmp_path / 'odd.db'}"
    world = World.build(db)
    try:
        world.authority.record(
            "office.established",
            "29999",
            {"name": ODD_NAME, "level": "commune", "parent": "844", "effective": "2019-01-01"},
        )
        world.enrol("cb-29999", "29999")
        world.receive(CODE, office="29999")
        world.dispatch("29999", "844")
    finally:
        world.ledger.close()
    return db


def test_slip_html_escapes_what_the_data_says(odd_names_db: str, tmp_path: Path) -> None:
    page = tmp_path / "slip.html"
    code, output = run(odd_names_db, "slip", CODE, "--html", str(page))
    assert code == 0, output
    assert f"29999 {ODD_NAME}" in output  # plain text on the terminal
    html = page.read_text(encoding="utf-8")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(" in html
    assert "&lt;/script&gt; &amp; Co" in html


# --- rebuild ----------------------------------------------------------------------------------


def test_rebuild_applies_the_whole_log_and_answers_stay_the_same(demo_db: str) -> None:
    before = [run(demo_db, "where", code)[1] for code in (ROUND_TRIP, LEFT_IN_TRANSIT)]
    ledger = Ledger(LedgerSettings(database_url=demo_db))
    size = ledger.log_size()
    ledger.close()

    code, output = run(demo_db, "rebuild")

    assert code == 0, output
    assert f"Read models rebuilt from {size} entries." in output
    assert size > 300
    after = [run(demo_db, "where", code)[1] for code in (ROUND_TRIP, LEFT_IN_TRANSIT)]
    assert after == before
    assert "In transit to 844" in after[1]


# --- due --------------------------------------------------------------------------------------


def test_due_skips_the_april_and_may_holidays(tmp_path: Path) -> None:
    code, output = run(f"sqlite:///{tmp_path / 'unused.db'}", "due", "24/04/2025", "5")
    assert code == 0, output
    assert "Deadline: end of Monday 05/05/2025 (24:00, Vietnam time)" in output
    assert "Saturday 26/04/2025: Make-up working day" in output
