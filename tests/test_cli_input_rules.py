"""The command line's rough edges: a code or office that breaks the identifier rule, an instant out
of range, a database that cannot be opened, a missing log key, `serve --demo` and the database
asked for. Each is refused with the rule's own code, in words, exit 2 — never a traceback, never
silently ignored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from api.cli.main import app
from api.cli.serve import prepare_demo
from api.cli.shell import Options
from ledger.application import Ledger
from ledger.config import LedgerSettings
from ledger.simulation.demo import demo_log_key

runner = CliRunner()
ROUND_TRIP = "000.00.01.H59-250602-0001"


def run(db: str, *args: str) -> Result:
    return runner.invoke(app, ["--database-url", db, "--lang", "en", *args])


@pytest.fixture(autouse=True)
def no_ledger_keys_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LIENTHONG_LOG_KEY", "LIENTHONG_LOG_VERIFIER", "LIENTHONG_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    db = f"sqlite:///{tmp_path_factory.mktemp('cli-input') / 'demo.db'}"
    result = run(db, "demo")
    assert result.exit_code == 0, result.output
    return db


@pytest.mark.parametrize(
    "args",
    [
        ["where", "a b"],
        ["history", "<script>"],
        ["slip", "a\x00b"],
        ["inbox", "../etc"],
        ["report", "x y", "--from", "01/06/2025", "--to", "30/06/2025"],
        ["stalls", "--office", "a;b"],
        ["stalls", "--procedure", "a b"],
        ["export", "a b", "-o", "out.bundle"],
        ["token", "create", "--role", "officer", "--office", "a\x00b", "--officer", "cb-1"],
        ["token", "create", "--role", "officer", "--office", "29266", "--officer", "<b>"],
        [
            "attach",
            "../../etc/passwd",
            "out.bundle",
            "--server",
            "http://127.0.0.1:9",
            "--token",
            "t",
        ],
        ["fetch-file", "a b", "0" * 64, "--server", "http://127.0.0.1:9", "--token", "t"],
    ],
    ids=lambda args: " ".join(args[:2]),
)
def test_refuses_a_code_or_office_that_breaks_the_identifier_rule(
    demo_db: str, args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run(demo_db, *args)
    assert result.exit_code == 2, result.output
    assert "(bad-identifier) Invalid identifier:" in result.output
    assert "must be 1 to 128 characters" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out.bundle").exists()


def test_keygen_refuses_an_office_that_breaks_the_identifier_rule(tmp_path: Path) -> None:
    key = tmp_path / "k.key"
    result = run(
        f"sqlite:///{tmp_path / 'l.db'}", "keygen", str(key), "--officer", "cb", "--office", "a b"
    )
    assert result.exit_code == 2, result.output
    assert "office must be 1 to 128 characters" in result.output
    assert not key.exists()


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["where", ROUND_TRIP, "--as-of", "9999-12-31T23:59:59+00:00"], "--as-of"),
        (["where", ROUND_TRIP, "--as-of", "01/01/0001"], "--as-of"),
        (["stalls", "--as-of", "31/12/9999 23:00"], "--as-of"),
        (["report", "86", "--from", "01/01/1900", "--to", "30/06/2025"], "--from"),
    ],
)
def test_refuses_an_instant_outside_the_range_naming_the_option(
    demo_db: str, args: list[str], option: str
) -> None:
    result = run(demo_db, *args)
    assert result.exit_code == 2, result.output
    assert f"{option} " in result.output
    assert "outside the instants this ledger handles" in result.output
    assert "1970-01-01T00:00:00Z to 9998-12-31" in result.output


def test_verify_without_a_log_key_says_the_key_is_missing_not_bad(demo_db: str) -> None:
    result = run(demo_db, "verify")
    assert result.exit_code == 2, result.output
    assert "(log-key-needed)" in result.output
    assert "--log-key" in result.output
    assert "bad-key-file" not in result.output
    assert "Invalid key file" not in result.output


def test_a_database_that_cannot_be_opened_is_named_without_a_traceback(tmp_path: Path) -> None:
    result = run(f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}", "demo")
    assert result.exit_code == 2, result.output
    assert "(bad-database-url)" in result.output
    assert "cannot open the database" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.postgres
def test_demo_on_a_postgresql_schema_that_does_not_exist_says_so(postgres_url: str) -> None:
    missing = postgres_url.rsplit("schema=", 1)[0] + "schema=no_such_schema_here"
    result = run(missing, "demo")
    assert result.exit_code == 2, result.output
    assert "(bad-database-url)" in result.output
    assert 'schema "no_such_schema_here" does not exist' in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


# --- serve --demo and the database asked for -------------------------------------------------------


def options(url: str | None) -> Options:
    settings = LedgerSettings(database_url=url or "sqlite:///lienthong.db")
    return Options(settings, "en", url_given=url is not None)


def test_serve_demo_records_into_the_database_asked_for(tmp_path: Path) -> None:
    wanted = f"sqlite:///{tmp_path / 'mine.db'}"
    environ = prepare_demo(options(wanted), tmp_path / "demo", "http://127.0.0.1:8000")
    assert environ["LIENTHONG_DATABASE_URL"] == wanted
    assert not (tmp_path / "demo" / "ledger.db").exists()
    ledger = Ledger(LedgerSettings(database_url=wanted))
    try:
        assert ledger.is_initialised()
    finally:
        ledger.close()
    saved = json.loads((tmp_path / "demo" / "demo.json").read_text())
    assert saved["log_verifier"] == demo_log_key().verifier.line()


def test_serve_demo_without_a_database_makes_its_own(tmp_path: Path) -> None:
    environ = prepare_demo(options(None), tmp_path / "demo", "http://127.0.0.1:8000")
    assert environ["LIENTHONG_DATABASE_URL"] == f"sqlite:///{tmp_path / 'demo' / 'ledger.db'}"


def test_serve_demo_refuses_a_database_that_holds_a_ledger(
    demo_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # its keys go to ./lienthong-demo
    result = run(demo_db, "serve", "--demo", "--port", "1")
    assert result.exit_code == 1, result.output
    assert "already holds a ledger" in result.output


def test_serve_demo_refuses_a_memory_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("memory:", "serve", "--demo", "--port", "1")
    assert result.exit_code == 2, result.output
    assert "(bad-database-url)" in result.output
    assert "not memory:" in result.output
