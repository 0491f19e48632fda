"""Bulk import: a file of envelopes recorded in batches through `record_many` gives the log that
recording them one by one gives; refused lines are reported with their number and reason and the
rest recorded; an interrupted import resumes where its last batch committed, recording nothing
twice. The ledger tests run on memory, SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli.main import app
from ledger.importer import ImportReport, ImportState, ImportStateMismatch, import_envelopes
from ledger.statements.signing import Envelope
from tests.world import CODE, World, document

DOSSIERS = 12  # × 3 statements: received, dispatched 29266 → 844, acknowledged by 844
TOLERANCE = 30 * 24 * 3600  # the statements span hours of the source world's clock
BATCH = 5


class Interrupted(Exception):
    pass


# --- helpers -------------------------------------------------------------------------------


@cache
def scenario() -> tuple[tuple[Envelope, ...], Envelope]:
    """The dossier statements of a source world, each dossier's three together; and a dispatch
    of dossier 3 signed on its receipt but never recorded, stale once the dossier moved on."""
    source = World.build()
    registry = source.ledger.log_size()
    for index in range(DOSSIERS):
        code = f"{CODE}-{index}"
        source.receive(code)
        if index == 3:
            body = {"to": "845", "purpose": "process", "documents": [document("Đơn đề nghị")]}
            unrecorded = source.at("29266").envelope("handover.dispatched", code, body)
        source.hand_over("29266", "844", code)
    envelopes = tuple(Envelope(e.raw, e.signature) for _, e in source.ledger.read_log())
    source.ledger.close()
    return envelopes[registry:], unrecorded


def statements() -> list[Envelope]:
    return list(scenario()[0])


def target(database_url: str = "memory:") -> World:
    return World.build(database_url, clock_tolerance_seconds=TOLERANCE)


def one_by_one(envelopes: list[Envelope]) -> bytes:
    """The Merkle root after recording the envelopes with `record`, one after another."""
    world = target()
    for envelope in envelopes:
        world.ledger.record(envelope.statement, envelope.signature)
    root = world.ledger.root()
    world.ledger.close()
    return root


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def flipped(envelope: Envelope) -> Envelope:
    signature = envelope.signature
    return Envelope(envelope.statement, bytes([signature[0] ^ 1]) + signature[1:])


def interrupt_after(batches: int) -> Callable[[int], None]:
    """A progress callback that raises once `batches` batches have committed."""
    calls: list[int] = []

    def progress(lines: int) -> None:
        calls.append(lines)
        if len(calls) == batches:
            raise Interrupted

    return progress


@pytest.fixture
def imported(database_url: str) -> Iterator[World]:
    world = target(database_url)
    yield world
    world.ledger.close()


@pytest.fixture
def envelope_file(tmp_path: Path) -> Path:
    lines = [envelope.to_json() for envelope in statements()]
    return write(tmp_path / "envelopes.jsonl", [*lines[:4], "", *lines[4:]])


# --- importing -----------------------------------------------------------------------------


def test_an_imported_file_gives_the_log_recording_one_by_one_gives(
    imported: World, envelope_file: Path
) -> None:
    state = ImportState.beside(envelope_file)

    report = import_envelopes(imported.ledger, envelope_file, batch=BATCH, state=state)

    assert (report.recorded, report.duplicates, report.refused) == (3 * DOSSIERS, 0, [])
    assert report.lines == 3 * DOSSIERS + 1
    assert imported.ledger.root() == one_by_one(statements())
    saved = json.loads((envelope_file.parent / "envelopes.jsonl.import-state").read_text())
    assert saved["position"] == 3 * DOSSIERS + 1
    assert not list(envelope_file.parent.glob("*.tmp"))


def test_numbered_lines_are_imported_like_a_file(imported: World, tmp_path: Path) -> None:
    lines = [(number, e.to_json()) for number, e in enumerate(statements(), 1)]
    state = ImportState(tmp_path / "lines.import-state")

    report = import_envelopes(imported.ledger, lines, batch=BATCH, state=state)

    assert report.recorded == 3 * DOSSIERS
    assert imported.ledger.root() == one_by_one(statements())


def test_refused_lines_are_reported_with_their_number_and_the_rest_recorded(
    imported: World, tmp_path: Path
) -> None:
    good = statements()
    lines = [e.to_json() for e in good]
    lines[3:6] = [flipped(good[3]).to_json(), *lines[4:6]]  # dossier 1's receipt forged
    lines.insert(10, "{not json")
    lines.insert(14, scenario()[1].to_json())  # after dossier 3's three statements
    lines.insert(20, flipped(good[18]).to_json())  # a forged copy before the genuine one
    path = write(tmp_path / "mixed.jsonl", lines)

    report = import_envelopes(imported.ledger, path, batch=BATCH, state=ImportState.beside(path))

    assert [(r.line, r.code) for r in report.refused] == [
        (4, "bad-signature"),
        (5, "unknown-dossier"),  # the later statements of a refused dossier are refused too
        (6, "unknown-dossier"),
        (11, "bad-envelope"),
        (15, "stale-head"),
        (21, "bad-signature"),
    ]
    assert str(report.refused[4]).startswith("line 15: stale-head: ")
    expected = [e for index, e in enumerate(good) if index not in (3, 4, 5)]
    assert report.recorded == len(expected)
    assert imported.ledger.root() == one_by_one(expected)


def test_an_interrupted_import_resumes_after_the_last_committed_batch(
    imported: World, envelope_file: Path
) -> None:
    with pytest.raises(Interrupted):
        import_envelopes(
            imported.ledger,
            envelope_file,
            batch=BATCH,
            state=ImportState.beside(envelope_file),
            progress=interrupt_after(2),
        )
    registry = target().ledger.log_size()
    assert imported.ledger.log_size() == registry + 2 * BATCH
    state = ImportState.beside(envelope_file)
    assert state.position == 2 * BATCH + 1  # the blank line 5 is in the first batch

    report = import_envelopes(imported.ledger, envelope_file, batch=BATCH, state=state)

    assert report.resumed_from == 2 * BATCH + 1
    assert (report.recorded, report.duplicates) == (3 * DOSSIERS - 2 * BATCH, 0)
    assert imported.ledger.log_size() == registry + 3 * DOSSIERS
    assert imported.ledger.root() == one_by_one(statements())
    assert ImportState.beside(envelope_file).position == 3 * DOSSIERS + 1


def test_a_batch_committed_before_its_state_was_written_comes_back_as_duplicates(
    imported: World, envelope_file: Path
) -> None:
    state_file = envelope_file.parent / "envelopes.jsonl.import-state"
    after_first: list[str] = []

    def progress(lines: int) -> None:
        if not after_first:
            after_first.append(state_file.read_text())
            return
        raise Interrupted

    with pytest.raises(Interrupted):
        import_envelopes(
            imported.ledger,
            envelope_file,
            batch=BATCH,
            state=ImportState.beside(envelope_file),
            progress=progress,
        )
    state_file.write_text(after_first[0])  # as if the crash came before the second write

    report = import_envelopes(
        imported.ledger, envelope_file, batch=BATCH, state=ImportState.beside(envelope_file)
    )

    assert (report.duplicates, report.recorded) == (BATCH, 3 * DOSSIERS - 2 * BATCH)
    assert imported.ledger.root() == one_by_one(statements())


def test_resuming_with_another_file_is_refused_and_records_nothing(
    imported: World, envelope_file: Path
) -> None:
    with pytest.raises(Interrupted):
        import_envelopes(
            imported.ledger,
            envelope_file,
            batch=BATCH,
            state=ImportState.beside(envelope_file),
            progress=interrupt_after(1),
        )
    size = imported.ledger.log_size()
    write(envelope_file, [e.to_json() for e in reversed(statements())])

    with pytest.raises(ImportStateMismatch):
        import_envelopes(
            imported.ledger, envelope_file, batch=BATCH, state=ImportState.beside(envelope_file)
        )

    assert imported.ledger.log_size() == size


def test_reimporting_an_imported_file_records_nothing_and_reports_duplicates(
    imported: World, envelope_file: Path
) -> None:
    import_envelopes(
        imported.ledger, envelope_file, batch=BATCH, state=ImportState.beside(envelope_file)
    )
    size = imported.ledger.log_size()

    again = import_envelopes(
        imported.ledger,
        envelope_file,
        batch=BATCH,
        state=ImportState.beside(envelope_file, restart=True),
    )

    assert (again.recorded, again.duplicates, again.refused) == (0, 3 * DOSSIERS, [])
    assert imported.ledger.log_size() == size


def test_a_report_passed_in_holds_what_was_committed_when_interrupted(
    envelope_file: Path,
) -> None:
    world, report = target(), ImportReport()
    with pytest.raises(Interrupted):
        import_envelopes(
            world.ledger,
            envelope_file,
            batch=BATCH,
            state=ImportState.beside(envelope_file),
            progress=interrupt_after(2),
            report=report,
        )
    assert report.recorded == 2 * BATCH
    world.ledger.close()


# --- the command line ----------------------------------------------------------------------

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    target(url).ledger.close()
    return url


def run(db: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(
        app,
        ["--database-url", db, "--lang", "en", "import", *args],
        env={"LIENTHONG_CLOCK_TOLERANCE": str(10**9)},  # the statements are dated 2025
    )
    return result.exit_code, result.output


def test_cli_imports_a_file_and_exits_0(db: str, envelope_file: Path) -> None:
    code, output = run(db, str(envelope_file), "--batch", "7")
    assert code == 0, output
    assert f"{3 * DOSSIERS} recorded, 0 already recorded (duplicates), 0 refused" in output

    code, output = run(db, str(envelope_file), "--restart")
    assert code == 0, output
    assert f"0 recorded, {3 * DOSSIERS} already recorded (duplicates)" in output


def test_cli_reports_refused_lines_and_exits_1(db: str, tmp_path: Path) -> None:
    lines = [e.to_json() for e in statements()]
    path = write(tmp_path / "bad.jsonl", [*lines[:2], "garbage", *lines[2:]])
    report = tmp_path / "refused.jsonl"

    code, output = run(db, str(path), "--report", str(report))

    assert code == 1, output
    assert "line 3: bad-envelope:" in output
    refused = [json.loads(line) for line in report.read_text().splitlines()]
    assert [(r["line"], r["code"]) for r in refused] == [(3, "bad-envelope")]
    assert refused[0]["message"].startswith("an envelope is a JSON object")


def test_cli_input_errors_exit_2(db: str, envelope_file: Path, tmp_path: Path) -> None:
    code, output = run(db, str(tmp_path / "missing.jsonl"))
    assert code == 2
    assert "cannot read" in output

    state = tmp_path / "envelopes.jsonl.import-state"
    state.write_text(json.dumps({"position": 3, "sha256": "00" * 32, "refused": 0}))
    code, output = run(db, str(envelope_file))
    assert code == 2
    assert "import-state-mismatch" in output
    assert run(db, str(envelope_file), "--restart")[0] == 0
