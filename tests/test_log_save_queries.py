"""The leaf step of a save in few queries, on SQLite and PostgreSQL, with the same tree and refusals.

Under the write lock, one query reads the tree's size, checks the registry subjects the save relied
on and reads the stored nodes the new leaves combine with, for the size the recorder expects (the
size its own latest save left). When the true size is another (another writer appended, or the
recorder has not saved yet), the nodes for the true size are read by a second query. These tests
save through the recorders directly, with leaf hashes of their own: whatever the expectation — right,
stale, impossible — the leaves stay dense and every stored node is the one an in-memory tree of the
same leaves holds; a missing node, a changed registry subject and a version clash are refused as
before, with nothing stored.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any
from uuid import UUID, uuid5

import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent
from psycopg import sql

from ledger.application import Ledger
from ledger.config import LedgerSettings
from ledger.log import merkle
from ledger.log.merkle import NodeId
from ledger.log.storage import tree
from ledger.log.storage.postgres import PostgresLogRecorder
from ledger.log.storage.sqlite import SQLiteLogRecorder
from ledger.log.storage.tree import RegistryChanged, TreeMissing

NAMESPACE = UUID("6f1c1d1e-8d0b-4c55-9d43-5b1f0c7e2a10")

Recorder = SQLiteLogRecorder | PostgresLogRecorder


@pytest.fixture(
    params=[
        pytest.param("sqlite", marks=pytest.mark.sqlite),
        pytest.param("postgres", marks=pytest.mark.postgres),
    ]
)
def shared_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database that several recorders share."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def open_recorder(shared_url: str) -> Iterator[Callable[[], Recorder]]:
    """Opens recorders on the shared database (one per Ledger, as two servers would have)."""
    ledgers: list[Ledger] = []

    def opened() -> Recorder:
        ledger = Ledger(LedgerSettings(database_url=shared_url))
        ledgers.append(ledger)
        recorder = ledger.recorder
        assert isinstance(recorder, SQLiteLogRecorder | PostgresLogRecorder)
        return recorder

    try:
        yield opened
    finally:
        for ledger in ledgers:
            ledger.close()


def subject(name: str) -> UUID:
    return uuid5(NAMESPACE, name)


def leaf_of(originator_id: UUID, version: int) -> bytes:
    return merkle.leaf_hash(originator_id.bytes + version.to_bytes(4, "big"))


def event(originator_id: UUID, version: int = 1) -> StoredEvent:
    return StoredEvent(originator_id, version, "test", b"state " + originator_id.bytes)


def save(
    recorder: Recorder,
    events: Sequence[tuple[UUID, int]],
    unchanged: dict[UUID, int] | None = None,
) -> int:
    """Save the events with their leaves; the first leaf index of the save."""
    recorder.insert_events(
        [event(originator_id, version) for originator_id, version in events],
        leaves=[leaf_of(originator_id, version) for originator_id, version in events],
        unchanged=unchanged or {},
    )
    return recorder.last_append_start()


def stored(recorder: Recorder) -> tuple[int, int, list[Any]]:
    """What is stored, read without the tree: events, tree size and every leaf row."""
    return (
        recorder.max_notification_id() or 0,
        recorder.tree_size(),
        recorder.leaf_refs(0, 100_000),
    )


def assert_whole(recorder: Recorder, expected: Sequence[tuple[UUID, int]]) -> None:
    """The leaves are `expected`, in order, at 0, 1, 2 …; every node a tree of those leaves holds
    is stored with the hash an in-memory tree of them computes."""
    refs = recorder.leaf_refs(0, len(expected) + 10)
    assert [ref.index for ref in refs] == list(range(len(expected)))
    assert [(ref.originator_id, ref.originator_version) for ref in refs] == list(expected)
    assert [ref.leaf_hash for ref in refs] == [leaf_of(*pair) for pair in expected]
    memory = merkle.MemoryTree()
    for pair in expected:
        memory.append(leaf_of(*pair))
    size = len(expected)
    every = [(level, index) for level in range(size.bit_length()) for index in range(size >> level)]
    assert recorder.fetch_nodes(every) == memory.fetch(every)
    assert recorder.tree_size() == size
    assert merkle.root(size, recorder.fetch_nodes) == memory.root()


def set_node(recorder: Recorder, node: NodeId, value: bytes | None) -> None:
    """Delete (value None) or put back one stored node, as someone with the database could."""
    level, index = node
    if isinstance(recorder, SQLiteLogRecorder):
        with recorder.datastore.transaction(commit=True) as c:
            if value is None:
                c.execute(
                    "DELETE FROM lienthong_nodes WHERE level = ? AND node_index = ?", (level, index)
                )
            else:
                c.execute("INSERT INTO lienthong_nodes VALUES (?, ?, ?)", (level, index, value))
        return
    table = sql.SQL("{}.lienthong_nodes").format(sql.Identifier(recorder.datastore.schema))
    with recorder.datastore.transaction(commit=True) as curs:
        if value is None:
            curs.execute(
                sql.SQL("DELETE FROM {} WHERE level = %s AND node_index = %s").format(table),
                (level, index),
            )
        else:
            curs.execute(
                sql.SQL("INSERT INTO {} VALUES (%s, %s, %s)").format(table), (level, index, value)
            )


class Fetches:
    """Counts the second queries: reads of nodes for a size other than the one expected."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, recorder: Recorder) -> None:
        self.calls = 0
        fetch = recorder._fetch

        def counted(*args: Any) -> Any:
            self.calls += 1
            return fetch(*args)

        monkeypatch.setattr(recorder, "_fetch", counted)


def test_saves_through_two_recorders_in_turn_keep_the_leaves_dense_and_the_tree_whole(
    open_recorder: Callable[[], Recorder], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = open_recorder(), open_recorder()
    fetches = Fetches(monkeypatch, first)
    expected: list[tuple[UUID, int]] = []
    for turn in range(24):
        recorder = (first, second)[turn % 2]
        batch = [(subject(f"turn {turn} event {n}"), 1) for n in range(1 + turn % 4)]
        assert save(recorder, batch) == len(expected)  # last_append_start: where it began
        expected.extend(batch)
    # each recorder expected the size its own save left: the other had appended since
    assert fetches.calls > 0
    assert_whole(first, expected)
    assert_whole(second, expected)


def test_one_recorder_saving_in_a_row_reads_the_nodes_in_the_one_query(
    open_recorder: Callable[[], Recorder], monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = open_recorder()
    expected = [(subject("first"), 1)]
    save(recorder, expected)  # the first save expects nothing: it reads the size first
    fetches = Fetches(monkeypatch, recorder)
    for turn in range(20):
        batch = [(subject(f"in a row {turn} {n}"), 1) for n in range(1 + turn % 3)]
        assert save(recorder, batch) == len(expected)
        expected.extend(batch)
    assert fetches.calls == 0
    assert_whole(recorder, expected)


@pytest.mark.parametrize("off_by", [-3, -1, 1, 2, 5, 1000])
def test_a_wrong_expected_size_is_corrected_under_the_lock(
    open_recorder: Callable[[], Recorder], monkeypatch: pytest.MonkeyPatch, off_by: int
) -> None:
    recorder = open_recorder()
    expected = [(subject(f"before {n}"), 1) for n in range(11)]
    for pair in expected:
        save(recorder, [pair])
    fetches = Fetches(monkeypatch, recorder)
    # an expectation of a size that is not the tree's: nodes the save does not combine with,
    # nodes that do not exist (a bigger tree): neither is used nor refused
    recorder.__dict__["_size_guess"] = len(expected) + off_by
    batch = [(subject("after 0"), 1), (subject("after 1"), 1), (subject("after 2"), 1)]
    assert save(recorder, batch) == len(expected)
    expected.extend(batch)
    assert fetches.calls == 1
    assert_whole(recorder, expected)


def test_with_the_size_expected_a_missing_node_is_still_refused(
    open_recorder: Callable[[], Recorder], monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = open_recorder()
    expected = [(subject(f"before {n}"), 1) for n in range(7)]
    for pair in expected:
        save(recorder, [pair])
    needed = tree._siblings(len(expected), 1)
    assert needed, "the next leaf needs no stored node: the test proves nothing"
    value = recorder.fetch_nodes([needed[-1]])[0]
    set_node(recorder, needed[-1], None)
    before = stored(recorder)
    fetches = Fetches(monkeypatch, recorder)

    with pytest.raises(TreeMissing, match=r"no stored node .* run `lienthong verify`"):
        save(recorder, [(subject("refused"), 1)])

    assert fetches.calls == 0  # refused from the one query, at the size expected
    assert stored(recorder) == before
    set_node(recorder, needed[-1], value)
    assert save(recorder, [(subject("refused"), 1)]) == len(expected)
    assert_whole(recorder, [*expected, (subject("refused"), 1)])


@pytest.mark.parametrize("changed_by", ["the same recorder", "another recorder"])
def test_a_changed_registry_subject_is_refused_with_its_id_and_nothing_is_stored(
    open_recorder: Callable[[], Recorder], changed_by: str
) -> None:
    recorder = open_recorder()
    other = recorder if changed_by == "the same recorder" else open_recorder()
    registry = [subject(f"registry {n}") for n in range(4)]
    expected = [(aggregate_id, 1) for aggregate_id in registry]
    save(recorder, expected)
    read = dict.fromkeys(registry, 1)
    save(recorder, [(subject("relied"), 1)], unchanged=read)
    expected.append((subject("relied"), 1))
    save(other, [(registry[2], 2)])  # e.g. a key revoked, between the checks and the save
    expected.append((registry[2], 2))
    before = stored(recorder)

    with pytest.raises(RegistryChanged) as refused:
        save(recorder, [(subject("late"), 1), (subject("later"), 1)], unchanged=read)

    assert refused.value.changed == [registry[2]]
    assert stored(recorder) == before
    # read again at its new version, the same save goes through
    assert save(recorder, [(subject("late"), 1)], unchanged={**read, registry[2]: 2}) == 6
    assert_whole(recorder, [*expected, (subject("late"), 1)])


def test_a_version_clash_is_the_library_integrity_error_before_a_registry_change(
    open_recorder: Callable[[], Recorder], caplog: pytest.LogCaptureFixture
) -> None:
    recorder = open_recorder()
    registry = subject("registry")
    expected = [(registry, 1), (subject("dossier"), 1)]
    save(recorder, expected)
    save(recorder, [(registry, 2)])
    expected.append((registry, 2))
    before = stored(recorder)

    # the dossier's version 1 exists, and the registry subject read at 1 has changed: the
    # clash is what the save reports, as before (the ledger then reads the dossier again)
    with caplog.at_level(logging.WARNING), pytest.raises(IntegrityError) as clash:
        save(recorder, [(subject("dossier"), 1)], unchanged={registry: 1})
    assert not isinstance(clash.value, RegistryChanged)
    assert stored(recorder) == before
    assert not [r for r in caplog.records if r.name.startswith("psycopg")]  # rolled back quietly

    assert save(recorder, [(subject("dossier"), 2)], unchanged={registry: 2}) == 3
    assert_whole(recorder, [*expected, (subject("dossier"), 2)])


def test_a_save_of_many_events_relying_on_many_subjects(
    open_recorder: Callable[[], Recorder],
) -> None:
    # more bound parameters than one SQLite query takes: the size, the registry and the nodes
    # are read apart, and the leaves and nodes inserted in several statements
    recorder = open_recorder()
    registry = [subject(f"registry {n}") for n in range(450)]
    expected = [(aggregate_id, 1) for aggregate_id in registry]
    save(recorder, expected)
    save(recorder, [(registry[333], 2)])
    expected.append((registry[333], 2))
    read = dict.fromkeys(registry, 1)
    batch = [(subject(f"batch {n}"), 1) for n in range(700)]
    before = stored(recorder)

    with pytest.raises(RegistryChanged) as refused:
        save(recorder, batch, unchanged=read)

    assert refused.value.changed == [registry[333]]
    assert stored(recorder) == before
    assert save(recorder, batch, unchanged={**read, registry[333]: 2}) == 451
    assert_whole(recorder, [*expected, *batch])


def test_concurrent_saves_through_two_recorders_never_gap_or_duplicate(
    open_recorder: Callable[[], Recorder],
) -> None:
    recorders = [open_recorder(), open_recorder()]
    barrier = threading.Barrier(4, timeout=30)
    failures: list[BaseException] = []
    starts: dict[tuple[int, int], int] = {}
    batches: dict[tuple[int, int], list[tuple[UUID, int]]] = {}

    def write(number: int) -> None:
        recorder = recorders[number % 2]
        barrier.wait()
        try:
            for turn in range(15):
                batch = [
                    (subject(f"writer {number} turn {turn} {n}"), 1) for n in range(1 + turn % 3)
                ]
                batches[number, turn] = batch
                starts[number, turn] = save(recorder, batch)
        except BaseException as problem:  # asserted below, in the test's thread
            failures.append(problem)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert failures == []

    # every save's leaves are where last_append_start said, one after another, no gap
    expected: list[tuple[UUID, int]] = []
    for key in sorted(starts, key=starts.__getitem__):
        assert starts[key] == len(expected)
        expected.extend(batches[key])
    assert len(expected) == 4 * sum(1 + turn % 3 for turn in range(15))
    assert_whole(recorders[0], expected)
