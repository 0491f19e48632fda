"""Every LIENTHONG_* setting is read in one place, api/settings.py, and listed in one table,
docs/settings.md; the command line's options that stand for a setting still take it from the
environment (through `CommandSettings`, no longer each option on its own)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from api.cli.main import app
from api.settings import CommandSettings, SettingsError, server_environment
from ledger.config import DEFAULT_DATABASE_URL
from ledger.stores.applicants import DataKey

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = ROOT / "api" / "settings.py"
NAME = re.compile(r"LIENTHONG_[A-Z_]+[A-Z]")
runner = CliRunner()
BEARER = "t0k3n"


def python_files() -> list[Path]:
    return sorted(
        path for room in ("domain", "ledger", "api") for path in (ROOT / room).rglob("*.py")
    )


def readings(path: Path) -> list[str]:
    """Where `path` reads the environment itself: os.environ, os.getenv, or a typer option's
    envvar= (an option reading its own variable)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "environb"):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} {ast.unparse(node)}")
        elif isinstance(node, ast.keyword) and node.arg == "envvar":
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} envvar={ast.unparse(node.value)}")
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            names = {alias.name for alias in node.names} & {"environ", "getenv", "environb"}
            if names:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} from os import {names}")
    return found


def test_only_api_settings_reads_the_environment() -> None:
    elsewhere = [where for path in python_files() if path != SETTINGS for where in readings(path)]
    assert readings(SETTINGS), "the check must see api/settings.py read the environment"
    assert elsewhere == []


def documented() -> dict[str, str]:
    """The table of docs/settings.md: variable → its default, as written there."""
    table = {}
    for line in (ROOT / "docs" / "settings.md").read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("| `LIENTHONG_"):
            table[cells[0].strip("`")] = cells[1].strip("`")
    return table


def test_every_setting_the_code_names_is_in_the_table_and_no_other() -> None:
    read = set(NAME.findall(SETTINGS.read_text(encoding="utf-8")))
    read |= set(NAME.findall((ROOT / "ledger" / "config.py").read_text(encoding="utf-8")))
    named_anywhere = {
        name for path in python_files() for name in NAME.findall(path.read_text(encoding="utf-8"))
    }
    assert "LIENTHONG_DATABASE_URL" in read
    assert set(documented()) == read
    assert named_anywhere <= read, "a message names a setting nothing reads"


def test_the_tables_defaults_are_the_codes() -> None:
    table = documented()
    defaults = CommandSettings.from_env({})
    assert table["LIENTHONG_DATABASE_URL"] == DEFAULT_DATABASE_URL
    assert table["LIENTHONG_CLOCK_TOLERANCE"] == str(defaults.ledger.clock_tolerance_seconds)
    assert table["LIENTHONG_MAX_STATEMENT_BYTES"] == str(defaults.ledger.max_statement_bytes)
    assert table["LIENTHONG_CHECKPOINT_ENTRIES"] == str(defaults.ledger.checkpoint_every_entries)
    assert table["LIENTHONG_CHECKPOINT_SECONDS"] == str(defaults.ledger.checkpoint_every_seconds)
    assert table["LIENTHONG_LANG"] == defaults.lang
    assert table["LIENTHONG_PENDING_HOURS"] == f"{defaults.pending_hours:g}"


def test_command_settings_read_the_command_lines_variables() -> None:
    read = CommandSettings.from_env(
        {
            "LIENTHONG_DATABASE_URL": "memory:",
            "LIENTHONG_LANG": "en",
            "LIENTHONG_SERVER": "http://api.example",
            "LIENTHONG_TOKEN": BEARER,
            "LIENTHONG_DATA_KEY": "data.key",
            "LIENTHONG_FILES_DIR": "files",
            "LIENTHONG_PENDING_HOURS": "0",
            "LIENTHONG_CLOCK_TOLERANCE": "5",
        }
    )
    assert read == CommandSettings(
        ledger=read.ledger,
        database_url_given=True,
        lang="en",
        server="http://api.example",
        token=BEARER,
        data_key_file="data.key",
        files_dir="files",
        pending_hours=0,
    )
    assert (read.ledger.database_url, read.ledger.clock_tolerance_seconds) == ("memory:", 5)
    assert not CommandSettings.from_env({}).database_url_given


@pytest.mark.parametrize("hours", ["soon", "-1", "nan"])
def test_refuses_pending_hours_that_are_not_hours_naming_the_variable(hours: str) -> None:
    with pytest.raises(SettingsError, match="LIENTHONG_PENDING_HOURS must be a number of hours"):
        CommandSettings.from_env({"LIENTHONG_PENDING_HOURS": hours})


def test_serve_hands_its_options_to_the_servers_processes_as_settings() -> None:
    assert server_environment(database_url="memory:") == {"LIENTHONG_DATABASE_URL": "memory:"}
    assert server_environment(
        database_url="memory:", data_key_file=Path("d.key"), log_key_file="l.key", read_only=True
    ) == {
        "LIENTHONG_DATABASE_URL": "memory:",
        "LIENTHONG_DATA_KEY": "d.key",
        "LIENTHONG_LOG_KEY": "l.key",
        "LIENTHONG_READ_ONLY": "1",
    }


# --- the command line, with its settings in the environment ---------------------------------------


@pytest.fixture(autouse=True)
def no_settings_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATA_KEY", "FILES_DIR", "SERVER", "TOKEN", "LANG", "PENDING_HOURS"):
        monkeypatch.delenv(f"LIENTHONG_{name}", raising=False)


def cli(*args: str) -> Result:
    return runner.invoke(app, list(args))


def test_a_remote_command_takes_its_server_and_token_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    args = ("--lang", "en", "fetch-file", "X-1", "0" * 64, "-o", str(tmp_path / "f"))
    missing = cli(*args)
    monkeypatch.setenv("LIENTHONG_SERVER", "http://127.0.0.1:9")
    no_token = cli(*args)
    monkeypatch.setenv("LIENTHONG_TOKEN", "t")
    sent = cli(*args)

    assert missing.exit_code == 2
    assert "Missing option '--server' (or set LIENTHONG_SERVER)" in missing.output
    assert no_token.exit_code == 2
    assert "Missing option '--token' (or set LIENTHONG_TOKEN)" in no_token.output
    assert sent.exit_code == 2, sent.output  # it went to the server the setting named
    assert "http://127.0.0.1:9:" in sent.output


def test_files_clean_takes_its_key_directory_and_hours_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    DataKey.generate().save(tmp_path / "data.key")
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    refused = cli("--database-url", url, "--lang", "en", "files", "clean")
    monkeypatch.setenv("LIENTHONG_DATA_KEY", str(tmp_path / "data.key"))
    monkeypatch.setenv("LIENTHONG_FILES_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("LIENTHONG_PENDING_HOURS", "5")
    monkeypatch.setenv("LIENTHONG_LANG", "en")
    cleaned = cli("--database-url", url, "files", "clean")
    given = cli("--database-url", url, "files", "clean", "--hours", "7")

    assert refused.exit_code == 2
    assert "--data-key FILE or LIENTHONG_DATA_KEY" in refused.output
    assert cleaned.exit_code == 0, cleaned.output
    assert "Nothing to clean: no upload older than 5 h" in cleaned.output
    assert (tmp_path / "elsewhere").is_dir()
    assert not (tmp_path / "ledger-files").exists()
    assert "no upload older than 7 h" in given.output  # the option wins


def test_refuses_a_setting_the_command_line_cannot_use_before_any_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LIENTHONG_PENDING_HOURS", "soon")
    result = cli("--database-url", "memory:", "--lang", "en", "where", "X-1")
    assert result.exit_code == 2
    assert "LIENTHONG_PENDING_HOURS must be a number of hours, not 'soon'" in result.output
