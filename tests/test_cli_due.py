"""The `due` command: the deadline of a budget counted from a receipt, in the officer's words.

The rules it prints are tested on the calendar itself in tests/unit/test_calendar.py.
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from api.cli.main import app

runner = CliRunner()


def due_command(*args: str, lang: str = "en") -> tuple[int, str]:
    result = runner.invoke(app, ["--lang", lang, "due", *args])
    return result.exit_code, result.output


def test_due_prints_the_deadline_in_vietnamese_by_default() -> None:
    result = runner.invoke(app, ["due", "2025-04-24T09:00", "5"])
    assert result.exit_code == 0, result.output
    assert "Hạn giải quyết: hết ngày thứ Hai 05/05/2025" in result.output
    assert "thứ Tư 30/04/2025: Ngày Chiến thắng" in result.output
    assert "thứ Bảy 26/04/2025: Ngày làm bù" in result.output


def test_due_in_english_names_the_holidays_skipped() -> None:
    code, output = due_command("2025-04-24T09:00", "5")
    assert code == 0, output
    assert "Deadline: end of Monday 05/05/2025" in output
    assert "2025-05-05T23:59:59.999999+07:00" in output
    assert "Wednesday 30/04/2025: Liberation Day" in output
    assert "Friday 02/05/2025: Day off (substituted from 04/26/2025)" in output


def test_due_reads_the_officers_date_form_and_explains_the_cut_off() -> None:
    code, output = due_command("25/04/2025 16:30", "1", "--cutoff", "15:00")
    assert code == 0, output
    assert "counts as received on the morning of Saturday 26/04/2025" in output
    assert "end of Monday 28/04/2025" in output
    code, output = due_command("25/04/2025 16:30", "1", "--cutoff", "17:00")
    assert "end of Saturday 26/04/2025" in output
    # without a cut-off (none by default) Friday 16:30 is the day of receipt
    code, output = due_command("25/04/2025 16:30", "1")
    assert code == 0, output
    assert "counts as received" not in output
    assert "end of Saturday 26/04/2025" in output


def test_due_with_a_zone_and_calendar_days() -> None:
    # 02:00Z on Saturday 10/5 is 09:00 in Vietnam: counts from Monday 12/5; 12 days end Saturday 24/5.
    code, output = due_command("2025-05-10T02:00Z", "12", "--calendar-days")
    assert code == 0, output
    assert "Received on a non-working day" in output
    assert "12 calendar days" in output
    assert "end of Monday 26/05/2025" in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["yesterday", "3"], "cannot read 'yesterday' as a time"),
        (["2025-04-24T09:00", "-1"], "0 or more, not -1"),
        (["2025-04-24T09:00", "3", "--cutoff", "25:00"], "cannot read the cut-off"),
    ],
)
def test_due_refuses_bad_input_with_exit_code_2(args: list[str], message: str) -> None:
    code, output = due_command(*args)
    assert code == 2
    assert message in output
