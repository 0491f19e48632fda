"""End-to-end through the command line: init, keygen, seed, sign, submit, history, verify, demo."""

from __future__ import annotations

import json
import sqlite3
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli.main import app
from domain.statement import DOSSIER_KINDS
from ledger.application import Ledger
from ledger.config import LedgerSettings
from ledger.simulation.demo import demo_log_key
from ledger.statements import schema

runner = CliRunner()
DEMO_VKEY = demo_log_key().verifier.line()


def run(db: str, *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, ["--database-url", db, "--lang", "en", *args], input=stdin)
    return result.exit_code, result.output


@pytest.fixture
def demo_db(tmp_path: Path) -> str:
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    code, output = run(db, "demo", "--show", "1")
    assert code == 0, output
    return db


def test_demo_records_every_kind_and_verify_passes(demo_db: str) -> None:
    code, output = run(demo_db, "verify", "--log-key", DEMO_VKEY)
    assert code == 0, output
    assert "every signature, chain link and Merkle leaf verifies" in output
    ledger = Ledger(LedgerSettings(database_url=demo_db))
    kinds = {schema.parse(event.raw).kind for _, event in ledger.read_log()}
    ledger.close()
    # the demo's story runs into 2026, the refusal, extension and stop notice of Circular
    # 03/2025 included
    dossier_kinds = {k for k in kinds if k.startswith(("dossier.", "handover."))}
    assert dossier_kinds == set(DOSSIER_KINDS)


def test_demo_refuses_to_overwrite_a_database_it_did_not_make(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'real.db'}"
    assert run(db, "init", "--authority-key", str(tmp_path / "a.key"))[0] == 0
    code, output = run(db, "demo")
    assert code == 1
    assert "not a demo" in output
    assert Ledger(LedgerSettings(database_url=db)).log_size() == 1


def test_verify_names_the_entry_whose_stored_byte_was_changed(demo_db: str, tmp_path: Path) -> None:
    ledger = Ledger(LedgerSettings(database_url=demo_db))
    code = "000.00.01.H59-250602-0001"
    target = ledger.history("dossier", code)[2]
    ledger.close()
    path = Path(demo_db.removeprefix("sqlite:///"))
    with sqlite3.connect(path) as connection:  # fold the write-ahead log into the file
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    offset = data.find(target.signature)
    assert offset > 0
    assert data.count(target.signature) == 1
    data[offset + 10] ^= 0x01
    path.write_bytes(bytes(data))

    exit_code, output = run(demo_db, "verify", "--log-key", DEMO_VKEY)

    assert exit_code == 1
    assert f"({code}, seq 3): signature does not verify" in output


def test_history_prints_hops_with_both_officers(demo_db: str) -> None:
    code, output = run(demo_db, "history", "000.00.01.H59-250602-0001")
    assert code == 0, output
    assert "Handed over: 29266 Thị trấn Càng Long (cb-29266-vhxh" in output
    assert "Receipt acknowledged: 844 Huyện Càng Long (cv-844-ldtbxh" in output
    assert "Every signature verifies." in output


def test_history_shows_documents_that_did_not_arrive(demo_db: str) -> None:
    code, output = run(demo_db, "history", "000.00.02.H59-250612-0002")
    assert code == 0, output
    assert "Handover rejected: 844 Huyện Càng Long" in output
    assert "Sent but not received: Giấy xác nhận" in output


def test_history_of_an_unknown_dossier_is_refused(demo_db: str) -> None:
    code, output = run(demo_db, "history", "NO-SUCH-CODE")
    assert code == 1
    assert "unknown-dossier" in output


def test_officer_signs_and_submits_through_the_command_line(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'l.db'}"
    authority = tmp_path / "authority.key"
    assert run(db, "init", "--authority-key", str(authority))[0] == 0
    assert stat.S_IMODE(authority.stat().st_mode) == 0o600
    code, output = run(db, "seed", "travinh", "--authority-key", str(authority))
    assert code == 0, output
    officer_key = tmp_path / "officer.key"
    code, output = run(db, "keygen", str(officer_key), "--officer", "cb-1", "--office", "29266")
    assert code == 0, output
    assert stat.S_IMODE(officer_key.stat().st_mode) == 0o600
    public = json.loads(output)
    for kind, subject, body in [
        (
            "officer.enrolled",
            "cb-1",
            {"office": "29266", "title": "Công chức", "effective": "2025-03-03T08:00:00+07:00"},
        ),
        (
            "key.registered",
            public["key"],
            {
                "officer": "cb-1",
                "public_key": public["public_key"],
                "role": "officer",
                "effective": "2025-03-03T08:00:00+07:00",
            },
        ),
    ]:
        code, envelope = run(
            db,
            "sign",
            kind,
            subject,
            "--key",
            str(authority),
            "--body",
            json.dumps(body),
            "--at",
            "2025-03-03T09:00:00+07:00",
        )
        assert code == 0, envelope
        # the real clock is years after `at`: refused as clock skew, nothing recorded
        code, output = run(db, "submit", stdin=envelope)
        assert code == 1
        assert "clock-skew" in output
    code, envelope = run(
        db,
        "sign",
        "officer.enrolled",
        "cb-1",
        "--key",
        str(authority),
        "--body",
        json.dumps(
            {"office": "29266", "title": "Công chức", "effective": "2025-03-03T08:00:00+07:00"}
        ),
    )
    assert code == 0, envelope
    code, output = run(db, "submit", stdin=envelope)
    assert code == 0, output
    assert "Recorded: officer.enrolled cb-1 seq 1" in output
    code, output = run(db, "submit", stdin=envelope)
    assert code == 0
    assert "Already recorded" in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["submit"], "bad-envelope"),
        (["sign", "no.such", "x", "--key", "missing.key"], "bad-key-file"),
    ],
)
def test_input_errors_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    db = f"sqlite:///{tmp_path / 'l.db'}"
    code, output = run(db, *args, stdin="not json\n")
    assert code == 2
    assert message in output


def test_a_bad_database_url_is_a_usage_error() -> None:
    code, output = run("mysql://nowhere/db", "verify")
    assert code == 2
    assert "bad-database-url" in output


def test_init_twice_is_refused(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'l.db'}"
    assert run(db, "init", "--authority-key", str(tmp_path / "a.key"))[0] == 0
    code, output = run(db, "init", "--authority-key", str(tmp_path / "b.key"))
    assert code == 1
    assert "already-initialised" in output
    assert not (tmp_path / "b.key").exists()
