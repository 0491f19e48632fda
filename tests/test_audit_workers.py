"""The audit's workers read their own ranges of the store: same findings, named at the same places.

On SQLite and PostgreSQL each worker process opens its own read-only connection and is handed a
range of notification ids; the main process reads only each entry's place (notification id,
aggregate, version) and keeps what is sequential. The in-memory store has no shared store: its
rows still pass through the main process. Whatever the path, workers=2 reports what workers=1
does, and every tampering of tests/test_log.py is still found and named.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import msgpack
import pytest

from ledger.application import Ledger
from ledger.config import LedgerSettings
from ledger.log.audit import AuditReport, audit, batches, entries
from ledger.log.audit.store import Reader, address_of
from tests.test_log import (
    DURABLE,
    LOG_KEY,
    TAMPERING,
    Tables,
    change_recorded_at,
    record_scenario,
    reported,
)
from tests.world import World


@pytest.fixture(autouse=True)
def _workers_check_every_range(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every range to the workers, none checked by the main process while they start (a small
    log would be checked before they are up); test_the_main_process_checks_while_its_workers_start
    checks that path."""
    monkeypatch.setattr(batches, "CHECK_WHILE_STARTING", False)


@pytest.fixture(params=DURABLE)
def shared_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store other processes can open: SQLite file or PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def scenario(shared_url: str) -> str:
    """22 entries, checkpoints at 17, 20 and 22 (tests/test_log.py)."""
    return record_scenario(shared_url)


@pytest.fixture
def tables(scenario: str) -> Iterator[Tables]:
    opened = Tables(scenario)
    try:
        yield opened
    finally:
        opened.close()


def audited(url: str, workers: int) -> AuditReport:
    ledger = Ledger(LedgerSettings(database_url=url))
    try:
        return audit(ledger, log_key=LOG_KEY.verifier, workers=workers)
    finally:
        ledger.close()


def described(report: AuditReport) -> str:
    return "\n".join(finding.describe() for finding in report.findings)


# --- the workers read the store themselves ------------------------------------------------------


def test_a_shared_store_has_an_address_and_the_memory_store_none(
    shared_url: str, scenario: str
) -> None:
    ledger = Ledger(LedgerSettings(database_url=scenario))
    try:
        address = address_of(ledger)
        assert address is not None
        reader = Reader(address)
        try:
            keys = reader.keys(1, 100)
            rows = reader.rows(keys[0].id, keys[-1].id)
        finally:
            reader.close()
    finally:
        ledger.close()
    assert len(keys) == len(rows) == 22
    assert [(UUID(key.originator_id).hex, key.originator_version) for key in keys] == [
        (oid, version) for _, oid, version, _, _ in rows
    ]
    memory = World.build("memory:")
    assert address_of(memory.ledger) is None


def test_the_workers_read_the_entries_the_main_process_does_not(
    scenario: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a store the workers can open, the main process never reads an entry's state in log
    order (only the keys, selected by topic, before the log-order pass)."""
    ledger = Ledger(LedgerSettings(database_url=scenario))
    calls: list[dict[str, Any]] = []
    select = ledger.recorder.select_notifications

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        return select(*args, **kwargs)

    monkeypatch.setattr(ledger.recorder, "select_notifications", spy)
    try:
        for workers in (2, 1):
            calls.clear()
            report = audit(ledger, log_key=LOG_KEY.verifier, workers=workers)
            assert (report.findings, report.checked) == ([], 22)
            assert calls
            assert all(call.get("topics") for call in calls), calls
    finally:
        ledger.close()


def test_the_pool_starts_in_the_background_and_its_start_is_measured(scenario: str) -> None:
    parallel, serial = audited(scenario, 2), audited(scenario, 1)
    assert parallel == serial
    assert parallel.pool_start > 0
    assert serial.pool_start == 0
    assert (parallel.checked_here, serial.checked_here) == (0, 22)


def test_the_main_process_checks_while_its_workers_start(
    scenario: str, tables: Tables, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batches, "CHECK_WHILE_STARTING", True)
    monkeypatch.setattr(batches, "RANGE", 2)
    started = threading.Event()
    start = batches.StartingPool._start

    def slow_start(pool: batches.StartingPool) -> None:
        started.wait(timeout=60)  # the workers start once the main process has checked a range
        start(pool)

    original = batches.Checks.submit

    def submit(checks: batches.Checks, paired: list[tuple[int, Any]]) -> Any:
        found = original(checks, paired)
        if not started.is_set():  # the first range checked here, the next ones by the workers
            started.set()
            assert checks.starting is not None
            checks.starting.pool()
        return found

    monkeypatch.setattr(batches.StartingPool, "_start", slow_start)
    monkeypatch.setattr(batches.Checks, "submit", submit)
    change_recorded_at(tables, 2)  # in the first range, checked by the main process
    change_recorded_at(tables, 21)

    parallel = audited(scenario, 2)
    assert parallel == audited(scenario, 1), described(parallel)
    assert parallel.checked_here == 2
    assert parallel.pool_start > 0
    assert reported(parallel.findings, 2, "the entry differs from the one the tree recorded")
    assert reported(parallel.findings, 21, "the entry differs from the one the tree recorded")


def test_the_memory_store_still_sends_its_rows_to_the_workers() -> None:
    world = World.build("memory:")
    world.receive()
    try:
        serial = audit(world.ledger, workers=1)
        parallel = audit(world.ledger, workers=2)
    finally:
        world.ledger.close()
    assert parallel == serial
    assert parallel.findings == []
    assert parallel.checked == world.ledger.log_size()


# --- ranges and their boundaries ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "reads"), [(1, 2000), (3, 4), (10, 4), (21, 5), (22, 22), (23, 4)]
)
def test_ranges_of_any_size_report_what_one_process_does(
    scenario: str, tables: Tables, monkeypatch: pytest.MonkeyPatch, size: int, reads: int
) -> None:
    """Ranges of 3 end inside the checkpoints' spans (17, 20: ranges 16–18 and 19–21); 21 and 22
    put the last entry alone or at a range's end; reads of 4 rows split the ranges' reads."""
    monkeypatch.setattr(batches, "RANGE", size)
    monkeypatch.setattr(batches, "BATCH", reads)
    clean = audited(scenario, 2)
    assert (clean.findings, clean.checked, clean.checkpoints) == ([], 22, 3)
    assert clean == audited(scenario, 1)

    for position in (1, 11, 20, 22):  # first entry; first and last of the second range of 10
        change_recorded_at(tables, position)
    parallel, serial = audited(scenario, 2), audited(scenario, 1)
    assert parallel == serial, described(parallel)
    for position in (1, 11, 20, 22):
        assert reported(parallel.findings, position, "the entry differs from the one the tree"), (
            described(parallel)
        )


def test_a_tampered_row_in_the_second_workers_range_is_named_at_its_position(
    scenario: str, tables: Tables, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batches, "RANGE", 10)  # ranges 1–10, 11–20, 21–22
    tables.put_state(15, lambda state: state.update(signature=bytes(64)))

    report = audited(scenario, 2)
    assert report == audited(scenario, 1)
    assert {finding.position for finding in report.findings if finding.position} == {15}
    assert reported(report.findings, 15, "signature does not verify")
    assert reported(report.findings, 15, "the entry differs from the one the tree recorded")


def test_an_entry_gone_when_a_worker_reads_its_range_is_named(scenario: str) -> None:
    """A row the main process paired but the worker no longer finds: named, not skipped."""
    ledger = Ledger(LedgerSettings(database_url=scenario))
    try:
        address = address_of(ledger)
        keys = batches.all_keys(ledger)
    finally:
        ledger.close()
    assert address is not None
    checks = batches.Checks(keys, address, None)
    try:
        found = checks.submit([(1, _Place(1)), (2, _Place(2)), (3, _Place(10_000))])
    finally:
        entries.close_reader()
    assert isinstance(found, list)
    assert [result[6] for result in found[:2]] == [None, None]
    assert found[2][6] == "the stored event is gone: it was deleted during the audit"


class _Place:
    def __init__(self, id: int) -> None:
        self.id = id


# --- every tampering of tests/test_log.py, with workers -----------------------------------------


@pytest.mark.parametrize("case", list(TAMPERING))
def test_the_workers_name_what_was_changed_in_the_database(
    scenario: str, tables: Tables, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    monkeypatch.setattr(batches, "RANGE", 7)  # several ranges, several workers
    monkeypatch.setattr(batches, "BATCH", 5)
    tamper, expected = TAMPERING[case]
    tamper(tables)

    report = audited(scenario, 2)
    text = described(report)
    for position, words in expected:
        assert reported(report.findings, position, words), f"no {words!r} at {position}:\n{text}"
    assert report == audited(scenario, 1), text


# --- the stored state, read field by field ------------------------------------------------------


def _state(**fields: Any) -> bytes:
    base: dict[str, Any] = {
        "timestamp": msgpack.ExtType(2, b"2025-03-03T01:00:00+00:00"),
        "raw": b"\x80",
        "signature": bytes(64),
        "recorded_at": 5,
    }
    base.update(fields)
    return bytes(msgpack.packb({k: v for k, v in base.items() if v is not None}))


@pytest.mark.parametrize(
    ("state", "words"),
    [
        (_state(recorded_at=True), "recorded_at is not an integer"),
        (_state(recorded_at=1.5), "recorded_at is not an integer"),
        (_state(raw="text"), "statement or signature is not bytes"),
        (_state(signature=None), "signature"),
        (bytes(msgpack.packb([1, 2])), "stored state is not a map"),
        (_state() + b"\x00", "extra"),
        (_state()[:-3], ""),
    ],
)
def test_a_stored_state_the_fast_decoder_refuses_is_named_as_before(
    state: bytes, words: str
) -> None:
    found = entries.examine("0" * 32, 1, "topic", state)
    problem = found[6]
    assert problem is not None
    assert problem.startswith("stored event cannot be decoded"), problem
    assert words.lower() in problem.lower(), problem


def test_the_fast_decoder_reads_what_the_whole_decode_reads() -> None:
    state = _state(raw=b"\x81\xa1a\x01", recorded_at=2**40, extra={"x": [1, 2]})
    whole = entries.entry_state(state)
    assert entries._recorded(state) == (whole["raw"], whole["signature"], whole["recorded_at"])


# --- the workers' start ---------------------------------------------------------------------------
