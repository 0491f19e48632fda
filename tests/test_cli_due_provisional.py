"""`lienthong due` warns, in the user's language, when the deadline it computes counts on a day
the override table marks provisional (no announcement found for that year), and only then."""

from __future__ import annotations

from typer.testing import CliRunner

from api.cli.main import app

runner = CliRunner()


def due_command(*args: str, lang: str) -> str:
    result = runner.invoke(app, ["--lang", lang, "due", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_due_warns_when_a_2027_deadline_counts_on_provisional_days() -> None:
    # received Monday 25/1/2027; 15 working days run across Tết Đinh Mùi, not yet announced
    output = due_command("2027-01-25T09:00", "15", lang="en")
    assert "Warning: this deadline counts on days off not yet officially announced" in output
    assert "Monday 08/02/2027" in output
    output = due_command("2027-01-25T09:00", "15", lang="vi")
    assert "Cảnh báo: hạn này tính theo ngày nghỉ chưa được công bố chính thức" in output
    assert "thứ Hai 08/02/2027" in output


def test_due_does_not_warn_for_a_2026_deadline_across_announced_days() -> None:
    # received 10/2/2026; 10 working days across Tết Bính Ngọ, announced by 9441/TB-BNV
    for lang in ("en", "vi"):
        output = due_command("2026-02-10T09:00", "10", lang=lang)
        assert "Warning" not in output
        assert "Cảnh báo" not in output
        assert "03/03/2026" in output


def test_due_does_not_warn_for_a_2027_deadline_before_any_provisional_day() -> None:
    output = due_command("2027-01-04T09:00", "5", lang="en")
    assert "Warning" not in output
