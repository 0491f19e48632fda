"""The log's command line, end to end on SQLite files: log keys, checkpoints, audit bundles,
witnesses and the full audit, with their exit codes (0 done; 1 refused or does not verify; 2 bad
input)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import stat
from contextlib import closing
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from api.cli.main import app
from ledger.application import Ledger
from ledger.clock import SimulatedClock
from ledger.config import LedgerSettings
from ledger.log import note
from ledger.log.bundle import Bundle
from ledger.log.tlog import LogKey
from ledger.simulation.demo import AUTHORITY_KEY_NAME, demo_key, demo_log_key
from ledger.statements.authoring import Signer
from tests.world import CODE, World

runner = CliRunner()
DEMO_VKEY = demo_log_key().verifier.line()
DEMO_ORIGIN = demo_log_key().origin
DOSSIER = "000.00.01.H59-250602-0001"  # the demo's commune → district → province dossier
HOUR = 3600 * 1_000_000


def run(db: str, *args: str) -> Result:
    return runner.invoke(app, ["--database-url", db, "--lang", "en", *args])


def ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(autouse=True)
def no_log_key_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LIENTHONG_LOG_KEY", "LIENTHONG_LOG_VERIFIER"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The demo, recorded once per module (it takes most of a second); tests get copies."""
    db = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    result = runner.invoke(app, ["--database-url", db, "--lang", "en", "demo", "--show", "0"])
    assert result.exit_code == 0, result.output
    return db


@pytest.fixture
def demo_db(demo_template: str, tmp_path: Path) -> str:
    return copy_of(demo_template, tmp_path / "demo.db")


@pytest.fixture
def demo_key_file(tmp_path: Path) -> Path:
    path = tmp_path / "demo-log.key"
    demo_log_key().save(path)
    return path


def copy_of(db: str, target: Path) -> str:
    """A copy of a SQLite ledger (the write-ahead log included)."""
    with (
        closing(sqlite3.connect(db.removeprefix("sqlite:///"))) as source,
        closing(sqlite3.connect(target)) as copy,
    ):
        source.backup(copy)
    return f"sqlite:///{target}"


def enrol_extra_officer(db: str, officer: str) -> None:
    """Record one more registry statement in a demo ledger, an hour after its last checkpoint."""
    probe = Ledger(LedgerSettings(database_url=db))
    latest = probe.checkpoint()
    probe.close()
    assert latest is not None
    clock = SimulatedClock(latest.issued_at + HOUR)
    ledger = Ledger(LedgerSettings(database_url=db), clock=clock)
    try:
        Signer.authority(ledger, demo_key(AUTHORITY_KEY_NAME)).record(
            "officer.enrolled",
            officer,
            {"office": "86", "title": "Chuyên viên", "effective": clock.now()},
        )
    finally:
        ledger.close()


def delete_event_row(db: str, rowid: int) -> None:
    with closing(sqlite3.connect(db.removeprefix("sqlite:///"))) as connection, connection:
        assert (
            connection.execute("DELETE FROM stored_events WHERE rowid = ?", (rowid,)).rowcount == 1
        )


# --- log keys and checkpoints -------------------------------------------------------------------


def test_log_key_create_writes_a_private_key_file_and_prints_its_verifier_key(
    tmp_path: Path,
) -> None:
    db = f"sqlite:///{tmp_path / 'l.db'}"
    path = tmp_path / "log.key"

    result = run(db, "log-key", "create", "--origin", "lienthong.test/log", "-o", str(path))

    ok(result)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    verifier = note.parse_verifier(result.stdout.strip())
    assert (verifier.name, verifier.kind) == ("lienthong.test/log", note.ED25519)
    assert verifier == LogKey.load(path).verifier
    assert ok(run(db, "log-key", "show", str(path))).strip() == verifier.line()
    assert f"Checkpoint signing key written to {path}" in result.stderr


def test_log_key_create_refuses_to_overwrite_a_key_file(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'l.db'}"
    path = tmp_path / "log.key"
    ok(run(db, "log-key", "create", "--origin", "lienthong.test/log", "-o", str(path)))
    before = path.read_bytes()

    result = run(db, "log-key", "create", "--origin", "lienthong.test/log", "-o", str(path))

    assert result.exit_code == 2
    assert "already exists; refusing to overwrite a key" in result.output
    assert path.read_bytes() == before


def test_log_key_create_refuses_an_origin_with_a_space(tmp_path: Path) -> None:
    path = tmp_path / "log.key"

    result = run(
        f"sqlite:///{tmp_path / 'l.db'}", "log-key", "create", "--origin", "my log", "-o", str(path)
    )

    assert result.exit_code == 2
    assert "without spaces" in result.output
    assert not path.exists()


def test_checkpoint_prints_a_note_that_opens_with_the_printed_verifier_key(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'l.db'}"
    ok(run(db, "init", "--authority-key", str(tmp_path / "authority.key")))
    path = tmp_path / "log.key"
    vkey = run(db, "log-key", "create", "--origin", "lienthong.test/log", "-o", str(path)).stdout

    printed = ok(run(db, "checkpoint", "--log-key", str(path)))

    opened = note.open_note(printed, [note.parse_verifier(vkey.strip())])
    checkpoint = note.Checkpoint.parse(opened.text)
    assert (checkpoint.origin, checkpoint.size) == ("lienthong.test/log", 1)
    ledger = Ledger(LedgerSettings(database_url=db))
    assert checkpoint.root == ledger.root(1)
    kept = ledger.checkpoint()
    ledger.close()
    assert kept is not None
    assert kept.note == printed


def test_a_log_origin_with_brackets_is_printed_exactly(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'l.db'}"
    ok(run(db, "init", "--authority-key", str(tmp_path / "authority.key")))
    path = tmp_path / "log.key"
    origin = "example.org/log[bold]"

    printed = ok(run(db, "log-key", "create", "--origin", origin, "-o", str(path)))
    checkpoint = ok(run(db, "checkpoint", "--log-key", str(path)))

    assert LogKey.load(path).verifier.line() in printed
    note.open_note(checkpoint, [LogKey.load(path).verifier])


def test_checkpoint_without_a_log_key_is_bad_input(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'l.db'}"
    ok(run(db, "init", "--authority-key", str(tmp_path / "authority.key")))

    result = run(db, "checkpoint")
    missing = run(db, "checkpoint", "--log-key", str(tmp_path / "absent.key"))

    assert result.exit_code == 2
    assert "no log key: pass --log-key FILE or set LIENTHONG_LOG_KEY" in result.output
    assert missing.exit_code == 2
    assert "does not exist" in missing.output


# --- audit bundles ------------------------------------------------------------------------------


def test_export_and_verify_bundle_print_every_hop_of_the_demo_dossier_verified(
    demo_db: str, tmp_path: Path
) -> None:
    bundle = tmp_path / "bundle.lt"

    exported = ok(run(demo_db, "export", DOSSIER, "-o", str(bundle)))
    output = ok(run(demo_db, "verify-bundle", str(bundle), "--log-key", DEMO_VKEY))

    assert f"Audit bundle {bundle}: dossier {DOSSIER}" in exported
    assert "VERIFIED:" in output
    assert f"signed by {DEMO_ORIGIN}; every signature" in output
    hops = [line for line in output.splitlines() if "Handed over: " in line]
    assert len(hops) == 3
    assert hops[0].startswith(
        "  1. Handed over: 29266 Thị trấn Càng Long (cb-29266-vhxh, 03/06/2025 10:30) → "
        "Receipt acknowledged: 844 Huyện Càng Long (cv-844-ldtbxh, 03/06/2025 13:30)"
    )
    assert "Handed over: 844 Huyện Càng Long" in hops[1]
    assert "Receipt acknowledged: 84 Tỉnh Trà Vinh" in hops[1]
    assert all(line.endswith(" — verified") for line in hops)


def test_export_signs_a_fresh_checkpoint_with_the_log_key_when_none_covers_the_dossier(
    tmp_path: Path,
) -> None:
    db = f"sqlite:///{tmp_path / 'world.db'}"
    world = World.build(db)
    world.receive()
    world.hand_over("29266", "844")
    world.ledger.close()
    key = LogKey.from_seed("lienthong.test/log", hashlib.sha256(b"cli-test-log").digest())
    key.save(tmp_path / "log.key")
    bundle = tmp_path / "bundle.lt"

    refused = run(db, "export", CODE, "-o", str(bundle))

    assert refused.exit_code == 1
    assert f"no checkpoint covers entry 18 of the log ({CODE}, seq 1)" in refused.output
    assert not bundle.exists()
    exported = ok(
        run(db, "export", CODE, "-o", str(bundle), "--log-key", str(tmp_path / "log.key"))
    )
    assert "12 statements, checkpoint of size 20." in exported
    output = ok(run(db, "verify-bundle", str(bundle), "--log-key", key.verifier.line()))
    assert "VERIFIED: 12 statements are in the log at the checkpoint of size 20" in output
    assert "Handed over: 29266 Thị trấn Càng Long (cb-29266" in output
    assert "Receipt acknowledged: 844 Huyện Càng Long (cb-844" in output


def test_verify_bundle_prints_a_signed_office_name_exactly(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'world.db'}"
    world = World.build(db)
    world.authority.record(
        "office.renamed", "29266", {"name": "Thị trấn Càng Long [mới]", "effective": "2025-03-02"}
    )
    world.receive()
    world.hand_over("29266", "844")
    key = LogKey.from_seed("lienthong.test/log", hashlib.sha256(b"cli-test-log").digest())
    world.ledger.issue_checkpoint(key)
    world.ledger.close()
    bundle = tmp_path / "bundle.lt"
    ok(run(db, "export", CODE, "-o", str(bundle)))

    output = ok(run(db, "verify-bundle", str(bundle), "--log-key", key.verifier.line()))

    assert "Handed over: 29266 Thị trấn Càng Long [mới] (cb-29266" in output  # the hop line
    assert "Dossier received — 29266 Thị trấn Càng Long [mới], cb-29266" in output


def test_verify_bundle_refuses_a_file_with_one_changed_byte(demo_db: str, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.lt"
    ok(run(demo_db, "export", DOSSIER, "-o", str(bundle)))
    data = bundle.read_bytes()
    signature_line = data.index(f"— {DEMO_ORIGIN} ".encode())
    last = Bundle.decode(data).entries[-1]
    statement = data.index(last.statement) + len(last.statement) // 2

    results = {}
    for name, position in (("note", signature_line + 40), ("statement", statement), ("head", 0)):
        changed = bytearray(data)
        changed[position] ^= 0x01
        path = tmp_path / f"{name}.lt"
        path.write_bytes(bytes(changed))
        results[name] = run(demo_db, "verify-bundle", str(path), "--log-key", DEMO_VKEY)

    assert results["note"].exit_code == 1
    assert f"The audit bundle of dossier {DOSSIER} does NOT verify:" in results["note"].output
    assert f"checkpoint: signature by {DEMO_ORIGIN} does not verify" in results["note"].output
    assert results["statement"].exit_code == 1
    assert f"entry {last.index + 1}" in results["statement"].output
    assert "not in the log at this checkpoint" in results["statement"].output
    assert results["head"].exit_code == 2
    assert "(bad-bundle) Invalid audit bundle: the file is not a canonical bundle" in (
        results["head"].output
    )
    for result in results.values():
        assert "VERIFIED" not in result.output


def test_verify_bundle_with_another_log_key_does_not_verify(demo_db: str, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.lt"
    ok(run(demo_db, "export", DOSSIER, "-o", str(bundle)))
    other = LogKey.from_seed(DEMO_ORIGIN, hashlib.sha256(b"not the demo key").digest())

    result = run(demo_db, "verify-bundle", str(bundle), "--log-key", other.verifier.line())

    assert result.exit_code == 1
    assert "checkpoint: the note has no signature by a trusted key" in result.output


def test_verify_bundle_with_a_missing_file_or_a_bad_log_key_is_bad_input(
    demo_db: str, tmp_path: Path
) -> None:
    bundle = tmp_path / "bundle.lt"
    ok(run(demo_db, "export", DOSSIER, "-o", str(bundle)))

    missing = run(demo_db, "verify-bundle", str(tmp_path / "absent.lt"), "--log-key", DEMO_VKEY)
    bad_key = run(demo_db, "verify-bundle", str(bundle), "--log-key", "demo+zzzz+AAAA")
    no_key_file = run(demo_db, "verify-bundle", str(bundle), "--log-key", "no-such-file")

    assert missing.exit_code == 2
    assert "cannot read bundle" in missing.output
    assert bad_key.exit_code == 2
    assert "not a verifier key" in bad_key.output
    assert no_key_file.exit_code == 2
    assert "neither a verifier key" in no_key_file.output


# --- witnesses ----------------------------------------------------------------------------------


def make_witness(db: str, tmp_path: Path, name: str = "witness.test/w1") -> tuple[Path, str]:
    path = tmp_path / f"{name.replace('/', '_')}.key"
    result = run(db, "witness", "key", "--name", name, "-o", str(path))
    ok(result)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    vkey = result.stdout.strip()
    assert note.parse_verifier(vkey).kind == note.COSIGNATURE_V1
    return path, vkey


def cosign_args(key: Path, state: Path) -> list[str]:
    return ["witness", "cosign", "--key", str(key), "--state", str(state), "--log-key", DEMO_VKEY]


def test_a_witness_cosigns_the_demo_ledger_and_its_cosignature_is_handed_out(
    demo_db: str, demo_key_file: Path, tmp_path: Path
) -> None:
    key, vkey = make_witness(demo_db, tmp_path)
    state = tmp_path / "state.json"

    cosigned = ok(run(demo_db, *cosign_args(key, state)))

    witness_line = cosigned.splitlines()[-1] + "\n"
    assert witness_line.startswith("— witness.test/w1 ")
    text = note.parse_note(cosigned).text
    note.verify_cosignature(witness_line, text, note.parse_verifier(vkey))
    assert (
        note.Checkpoint.parse(text).size
        == json.loads(state.read_text())["logs"][DEMO_ORIGIN]["size"]
    )
    # the ledger keeps it beside the checkpoint, and hands it out with it
    checkpoint = ok(run(demo_db, "checkpoint", "--log-key", str(demo_key_file)))
    assert checkpoint == cosigned
    assert witness_line in checkpoint
    bundle = tmp_path / "bundle.lt"
    ok(run(demo_db, "export", DOSSIER, "-o", str(bundle)))
    output = ok(
        run(demo_db, "verify-bundle", str(bundle), "--log-key", DEMO_VKEY, "--witness-key", vkey)
    )
    assert f"signed by {DEMO_ORIGIN}, cosigned by witnesses witness.test/w1;" in output
    _, stranger = make_witness(demo_db, tmp_path, "witness.test/w2")
    required = run(
        demo_db, "verify-bundle", str(bundle), "--log-key", DEMO_VKEY, "--witness-key", stranger
    )
    assert required.exit_code == 1
    assert "checkpoint: not cosigned by witness witness.test/w2" in required.output


def test_a_witness_working_from_files_cosigns_an_extension_and_refuses_a_fork(
    demo_db: str, demo_key_file: Path, tmp_path: Path
) -> None:
    key, _ = make_witness(demo_db, tmp_path)
    state = tmp_path / "state.json"
    ok(run(demo_db, *cosign_args(key, state)))  # it saw the demo log at its latest checkpoint
    seen = json.loads(state.read_text())["logs"][DEMO_ORIGIN]["size"]
    # two copies of the demo ledger that each record one more, different, statement
    ours, theirs = (
        copy_of(demo_db, tmp_path / "ours.db"),
        copy_of(demo_db, tmp_path / "theirs.db"),
    )
    enrol_extra_officer(ours, "cv-86-ours")
    enrol_extra_officer(theirs, "cv-86-theirs")
    files = {}
    for name, db in (("ours", ours), ("theirs", theirs)):
        checkpoint = tmp_path / f"{name}.checkpoint"
        checkpoint.write_text(ok(run(db, "checkpoint", "--log-key", str(demo_key_file))))
        proof = tmp_path / f"{name}.proof.json"
        proof.write_text(ok(run(db, "consistency-proof", str(seen))))
        files[name] = ("--checkpoint", str(checkpoint), "--proof", str(proof))
    assert json.loads((tmp_path / "ours.proof.json").read_text())["new_size"] == seen + 1

    extension = ok(run(ours, *cosign_args(key, state), *files["ours"]))

    assert extension.startswith((tmp_path / "ours.checkpoint").read_text())
    assert extension.splitlines()[-1].startswith("— witness.test/w1 ")
    remembered = state.read_bytes()
    assert json.loads(remembered)["logs"][DEMO_ORIGIN]["size"] == seen + 1
    # their checkpoint has the size the witness now knows, and another root
    same_size = tmp_path / "same-size.proof.json"
    same_size.write_text(ok(run(theirs, "consistency-proof", str(seen + 1))))
    fork = run(
        theirs,
        *cosign_args(key, state),
        "--checkpoint",
        str(tmp_path / "theirs.checkpoint"),
        "--proof",
        str(same_size),
    )
    assert fork.exit_code == 1
    assert "(log-forked)" in fork.output
    assert "two different logs (a fork); refusing to cosign" in fork.output
    # a proof from the size it saw before does not fit what it saw since
    stale = run(theirs, *cosign_args(key, state), *files["theirs"])
    assert stale.exit_code == 1
    assert f"this witness needs one from {seen + 1} to {seen + 1}" in stale.output
    assert state.read_bytes() == remembered
    # their next checkpoint, with a proof from the size the witness knows: it does not lead
    # from the root the witness cosigned
    enrol_extra_officer(theirs, "cv-86-theirs-2")
    larger = tmp_path / "theirs-larger.checkpoint"
    larger.write_text(ok(run(theirs, "checkpoint", "--log-key", str(demo_key_file))))
    proof = tmp_path / "theirs-larger.proof.json"
    proof.write_text(ok(run(theirs, "consistency-proof", str(seen + 1))))
    rewritten = run(
        theirs, *cosign_args(key, state), "--checkpoint", str(larger), "--proof", str(proof)
    )
    assert rewritten.exit_code == 1
    assert f"at size {seen + 2} is not an extension of the size {seen + 1}" in rewritten.output
    assert "(a fork); refusing to cosign" in rewritten.output
    assert state.read_bytes() == remembered
    # the original ledger, behind what the witness has seen since
    behind = run(demo_db, *cosign_args(key, state))
    assert behind.exit_code == 1
    assert "the log went back" in behind.output
    assert state.read_bytes() == remembered


def test_a_witness_working_from_files_without_a_proof_is_asked_for_one(
    demo_db: str, demo_key_file: Path, tmp_path: Path
) -> None:
    key, _ = make_witness(demo_db, tmp_path)
    state = tmp_path / "state.json"
    ok(run(demo_db, *cosign_args(key, state)))
    enrol_extra_officer(demo_db, "cv-86-extra")
    checkpoint = tmp_path / "grown.checkpoint"
    checkpoint.write_text(ok(run(demo_db, "checkpoint", "--log-key", str(demo_key_file))))

    result = run(demo_db, *cosign_args(key, state), "--checkpoint", str(checkpoint))

    assert result.exit_code != 0
    assert "--proof" in result.output
    assert "fork" not in result.output


def test_cosignature_add_keeps_a_configured_witness_line_beside_its_checkpoint(
    demo_db: str, demo_key_file: Path, tmp_path: Path
) -> None:
    key, vkey = make_witness(demo_db, tmp_path)
    _, stranger = make_witness(demo_db, tmp_path, "witness.test/w2")
    exported = tmp_path / "exported.checkpoint"
    exported.write_text(ok(run(demo_db, "checkpoint", "--log-key", str(demo_key_file))))
    cosigned = tmp_path / "cosigned.checkpoint"
    state = tmp_path / "state.json"
    cosigned.write_text(ok(run(demo_db, *cosign_args(key, state), "--checkpoint", str(exported))))

    unconfigured = run(demo_db, "cosignature", "add", str(cosigned), "--witness-key", stranger)
    kept = run(demo_db, "cosignature", "add", str(cosigned), "--witness-key", vkey)

    assert unconfigured.exit_code == 1
    assert "no cosignature by a configured witness (witness.test/w2)" in unconfigured.output
    assert ok(kept).strip() == "Cosignatures kept from: witness.test/w1"
    after = ok(run(demo_db, "checkpoint", "--log-key", str(demo_key_file)))
    assert after == cosigned.read_text()


# --- the full audit -----------------------------------------------------------------------------


def test_verify_of_a_ledger_with_checkpoints_needs_the_log_key(demo_db: str) -> None:
    refused = run(demo_db, "verify")
    passed = run(demo_db, "verify", "--log-key", DEMO_VKEY)

    assert refused.exit_code == 2
    assert "--log-key" in refused.output
    assert ok(passed)
    ledger = Ledger(LedgerSettings(database_url=demo_db))
    size = ledger.log_size()
    ledger.close()
    assert size > 300  # the whole demo, not just its registry
    assert f"Ledger intact: {size} statements" in passed.output
    assert "checkpoints signed, matching and consistent" in passed.output
    assert "statements/s)" in passed.output


def test_verify_names_a_deleted_entry_with_one_worker_or_two(demo_db: str) -> None:
    delete_event_row(demo_db, 201)

    results = [
        run(demo_db, "verify", "--log-key", DEMO_VKEY, *workers)
        for workers in ((), ("--workers", "1"), ("--workers", "2"))
    ]

    for result in results:
        assert result.exit_code == 1, result.output
        assert "Ledger NOT intact:" in result.output
        assert "entry 201" in result.output
        assert "entries were deleted" in result.output
        assert "statements/s)" in result.output
    findings = [
        [line for line in result.output.splitlines() if "statements/s" not in line]
        for result in results
    ]
    assert findings[0] == findings[1] == findings[2]
