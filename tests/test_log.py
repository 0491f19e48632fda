"""The transparency log behind the ledger: every recorded entry is one leaf at a dense index,
written with its event; roots and proofs from the stored tree match RFC 9162; checkpoints are
signed, kept and issued on schedule; and a full audit names what was changed in the database
behind the ledger's back.

Roots here are computed from the RFC 9162 definition, not with ledger.log.merkle, so that the two
check each other. Tampering is done with plain SQL on a closed ledger's SQLite file or PostgreSQL
schema, as someone with write access to the database could.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest
from eventsourcing.persistence import ProgrammingError

from domain.statement import ZERO_HASH
from ledger.application import Ledger
from ledger.clock import SimulatedClock
from ledger.config import LedgerSettings
from ledger.errors import BadProofRequest, BadSignature, ClockSkew, StaleHead
from ledger.log import merkle, note, tlog
from ledger.log.access import Checkpointer
from ledger.log.audit import AuditReport, Finding, audit
from ledger.log.tlog import LogKey
from ledger.statements.authoring import initialise
from ledger.statements.transcoder import MsgpackTranscoder
from tests.world import CODE, DAY, PROCEDURE, START, World, document, seeded_key

OTHER = "000.00.01.H59-250303-0002"
ORIGIN = "test.lienthong.example/log"
LOG_KEY = LogKey.from_seed(ORIGIN, hashlib.sha256(b"test-log-key").digest())
IMPOSTOR = LogKey.from_seed(ORIGIN, hashlib.sha256(b"another log key").digest())
APPLICANT = hashlib.sha256(b"salt|applicant").digest()  # what World.receive commits to
DURABLE = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


# --- RFC 9162 from the definition ----------------------------------------------------------


def naive_root(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of RFC 9162 §2.1.1, recursively, over leaf data (not leaf hashes)."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    split = 1
    while split * 2 < len(leaves):
        split *= 2
    left, right = naive_root(leaves[:split]), naive_root(leaves[split:])
    return hashlib.sha256(b"\x01" + left + right).digest()


def logged(ledger: Ledger) -> list[Any]:
    """The stored events in log order, each of them decoded."""
    events = [event for _, event in ledger.read_log()]
    assert not [event for event in events if isinstance(event, Exception)]
    return events


def assert_dense(ledger: Ledger) -> list[bytes]:
    """Check that leaves 0 … n-1 are the events in log order, one each, with the hashes of their
    entries, and that the root is the MTH of those entries; return the leaf data."""
    events = logged(ledger)
    refs = ledger.logstore.leaf_refs(0, len(events) + 10)
    leaves = [tlog.leaf_data(e.raw, e.signature, e.recorded_at) for e in events]
    assert [ref.index for ref in refs] == list(range(len(events)))
    assert [(ref.originator_id, ref.originator_version) for ref in refs] == [
        (event.originator_id, event.originator_version) for event in events
    ]
    assert [ref.leaf_hash for ref in refs] == [
        hashlib.sha256(b"\x00" + leaf).digest() for leaf in leaves
    ]
    for ref in refs:
        assert ledger.logstore.leaf_index(ref.originator_id, ref.originator_version) == ref.index
    assert ledger.log_size() == len(events)
    assert ledger.root() == naive_root(leaves)
    return leaves


def traffic(world: World) -> None:
    """Six more entries on two dossiers: 23 in all, not a power of two."""
    world.receive()
    world.hand_over("29266", "844")
    world.hand_over("844", "84")
    world.receive(OTHER, office="29269")


def receive_body(world: World) -> dict[str, Any]:
    return {
        "procedure": PROCEDURE,
        "version": 1,
        "applicant": APPLICANT,
        "channel": "direct",
        "documents": [document("Đơn đề nghị")],
        "appointed": world.clock.now() + 20 * DAY,
    }


def dispatch_body(to: str) -> dict[str, Any]:
    return {"to": to, "purpose": "process", "documents": [document("Đơn đề nghị")]}


@pytest.fixture(params=DURABLE)
def durable_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database that two Ledger instances, or a ledger and plain SQL, can share."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    return str(request.getfixturevalue("postgres_url"))


# --- 1. one leaf per entry, at a dense index -----------------------------------------------


def test_every_entry_is_one_leaf_at_its_log_position_and_the_root_is_rfc_9162(
    world: World,
) -> None:
    traffic(world)

    leaves = assert_dense(world.ledger)
    assert len(leaves) == 23
    assert world.ledger.leaf_index("dossier", CODE, 1) == 17
    assert world.ledger.leaf_index("dossier", OTHER, 1) == 22


def test_the_root_at_every_past_size_is_the_root_of_that_prefix(world: World) -> None:
    traffic(world)
    leaves = assert_dense(world.ledger)

    assert [world.ledger.root(size) for size in range(len(leaves) + 1)] == [
        naive_root(leaves[:size]) for size in range(len(leaves) + 1)
    ]


def test_an_empty_log_has_the_empty_root_and_size_zero() -> None:
    ledger = Ledger(LedgerSettings(database_url="memory:"))

    assert (ledger.log_size(), ledger.root()) == (0, hashlib.sha256(b"").digest())


# --- 2. proofs -----------------------------------------------------------------------------


def test_an_inclusion_proof_of_every_entry_verifies_at_the_current_and_past_sizes(
    world: World,
) -> None:
    traffic(world)
    leaves = assert_dense(world.ledger)
    hashes = [merkle.leaf_hash(leaf) for leaf in leaves]

    for size in (len(leaves), 20, 17, 16, 1):
        root = naive_root(leaves[:size])
        for index in range(size):
            proof = world.ledger.inclusion_proof(index, size if size < len(leaves) else None)
            merkle.verify_inclusion(hashes[index], index, size, proof, root)
    # the proof is of that leaf at that place: another leaf or place does not verify
    proof = world.ledger.inclusion_proof(5)
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(hashes[6], 5, len(leaves), proof, naive_root(leaves))
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(hashes[5], 4, len(leaves), proof, naive_root(leaves))


def test_consistency_proofs_between_sizes_verify(world: World) -> None:
    traffic(world)
    leaves = assert_dense(world.ledger)
    roots = [naive_root(leaves[:size]) for size in range(len(leaves) + 1)]

    for new in (len(leaves), 17, 16, 9):
        for old in range(new + 1):
            proof = world.ledger.consistency_proof(old, new)
            merkle.verify_consistency(old, new, roots[old], roots[new], proof)
    assert world.ledger.consistency_proof(7) == world.ledger.consistency_proof(7, len(leaves))
    # a proof does not make a different old tree consistent with the log
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(
            7, len(leaves), roots[6], roots[-1], world.ledger.consistency_proof(7)
        )


OUT_OF_RANGE: list[tuple[Callable[[Ledger], Any], str]] = [
    (lambda ledger: ledger.inclusion_proof(17), "entry 17 is not in a log of size 17"),
    (lambda ledger: ledger.inclusion_proof(-1), "entry -1 is not in a log of size 17"),
    (lambda ledger: ledger.inclusion_proof(3, 3), "entry 3 is not in a log of size 3"),
    (lambda ledger: ledger.inclusion_proof(0, 18), "the log has 17 entries; size 18 is not"),
    (lambda ledger: ledger.root(18), "the log has 17 entries; size 18 is not one of its sizes"),
    (lambda ledger: ledger.root(-1), "the log has 17 entries; size -1 is not one of its sizes"),
    (
        lambda ledger: ledger.consistency_proof(18),
        "smaller size to a larger one, not from 18 to 17",
    ),
    (
        lambda ledger: ledger.consistency_proof(9, 4),
        "smaller size to a larger one, not from 9 to 4",
    ),
    (
        lambda ledger: ledger.consistency_proof(-1),
        "smaller size to a larger one, not from -1 to 17",
    ),
    (lambda ledger: ledger.consistency_proof(1, 18), "the log has 17 entries; size 18 is not"),
    (lambda ledger: ledger.leaf_index("dossier", CODE, 1), f"dossier {CODE} has no statement 1"),
]


def test_a_proof_outside_the_log_is_refused_saying_what_the_log_holds(world: World) -> None:
    assert world.ledger.log_size() == 17

    for request, message in OUT_OF_RANGE:
        with pytest.raises(BadProofRequest) as caught:
            request(world.ledger)
        assert message in str(caught.value)


# --- 3. a leaf is written with its event, or neither is --------------------------------------


def snapshot(ledger: Ledger) -> tuple[int, bytes, int, list[Any]]:
    return (
        ledger.log_size(),
        ledger.root(),
        len(logged(ledger)),
        ledger.logstore.leaf_refs(0, 1000),
    )


@pytest.mark.parametrize(
    "leaves",
    [
        {},
        {"leaves": []},
        {"leaves": [b"\x00" * 32, b"\x00" * 32]},
        {"leaves": [b"\x00" * 31]},
        {"leaves": ["00" * 32]},
    ],
    ids=["no leaves", "empty", "two for one event", "short hash", "hex text"],
)
def test_a_save_without_exactly_one_leaf_hash_per_event_writes_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch, leaves: dict[str, Any]
) -> None:
    before = snapshot(world.ledger)
    save = world.ledger.save
    monkeypatch.setattr(world.ledger, "save", lambda *aggregates, **_: save(*aggregates, **leaves))

    with pytest.raises(ProgrammingError, match="leaf"):
        world.receive()
    assert snapshot(world.ledger) == before
    assert world.ledger.head("dossier", CODE) == (0, ZERO_HASH)

    monkeypatch.setattr(world.ledger, "save", save)
    assert world.receive().seq == 1  # nothing half-written stands in the way
    assert len(assert_dense(world.ledger)) == 18


def test_refused_statements_add_no_leaf(world: World) -> None:
    world.receive()
    world.later()
    before = snapshot(world.ledger)
    officer = world.at("29266")
    good = officer.envelope("handover.dispatched", CODE, dispatch_body("844"))
    stale = officer.envelope("handover.dispatched", CODE, dispatch_body("844"), seq=1)
    early = officer.envelope(
        "handover.dispatched", CODE, dispatch_body("844"), at=world.clock.now() - DAY
    )
    forged = bytes([good.signature[0] ^ 1]) + good.signature[1:]

    for error, raw, signature in [
        (BadSignature, good.statement, forged),
        (StaleHead, stale.statement, stale.signature),
        (ClockSkew, early.statement, early.signature),
    ]:
        with pytest.raises(error):
            world.ledger.record(raw, signature)
        assert snapshot(world.ledger) == before
    world.ledger.record(good.statement, good.signature)
    assert len(assert_dense(world.ledger)) == 19


def test_leaves_stay_dense_after_a_conflict_at_save(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # on PostgreSQL the refused insert has used a notification id: leaf indexes must not
    world.receive()
    world.later()
    officer = world.at("29266")
    ours = officer.envelope("handover.dispatched", CODE, dispatch_body("844"))
    theirs = officer.envelope("handover.dispatched", CODE, dispatch_body("845"))
    save = world.ledger.save

    def theirs_first(*aggregates: Any, **kwargs: Any) -> Any:
        monkeypatch.setattr(world.ledger, "save", save)
        world.ledger.record(theirs.statement, theirs.signature)
        return save(*aggregates, **kwargs)

    monkeypatch.setattr(world.ledger, "save", theirs_first)
    with pytest.raises(StaleHead):
        world.ledger.record(ours.statement, ours.signature)
    assert len(assert_dense(world.ledger)) == 19

    world.receive(OTHER, office="29269")
    world.later()
    world.at("845").record(
        "handover.acknowledged",
        CODE,
        {"dispatch": hashlib.sha256(theirs.statement).digest(), "documents": []},
    )
    leaves = assert_dense(world.ledger)
    assert len(leaves) == 21
    assert world.ledger.leaf_index("dossier", CODE, 3) == 20


# --- 4. concurrent writers ------------------------------------------------------------------

WRITERS = 4
DOSSIERS_EACH = 10


def test_concurrent_writers_on_one_database_append_dense_leaves(durable_url: str) -> None:
    world = World.build(durable_url)
    second = Ledger(LedgerSettings(database_url=durable_url), clock=world.clock)
    # two processes' worth of ledgers, each written by two threads
    writers = [
        replace(world.at(office), ledger=ledger)
        for ledger in (world.ledger, second)
        for office in ("29266", "29269")
    ]
    barrier = threading.Barrier(WRITERS, timeout=30)
    failures: list[BaseException] = []

    def write(number: int) -> None:
        signer = writers[number]
        barrier.wait()
        try:
            for dossier in range(DOSSIERS_EACH):
                code = f"{CODE}-{number}{dossier}"
                signer.record("dossier.received", code, receive_body(world))
                signer.record("handover.dispatched", code, dispatch_body("844"))
        except BaseException as problem:  # asserted below, in the test's thread
            failures.append(problem)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads)
        assert failures == []

        leaves = assert_dense(world.ledger)
        assert len(leaves) == 17 + WRITERS * DOSSIERS_EACH * 2
        assert (second.log_size(), second.root()) == (len(leaves), naive_root(leaves))
        report = audit(world.ledger, workers=1)
        assert report.findings == []
        assert (report.checked, report.size, report.root) == (
            len(leaves),
            len(leaves),
            naive_root(leaves),
        )
    finally:
        second.close()
        world.ledger.close()


# --- 5. checkpoints -------------------------------------------------------------------------


def opened(checkpoint_note: str, key: LogKey = LOG_KEY) -> note.Checkpoint:
    """The checkpoint in a note, once its signature by `key` is verified."""
    return note.Checkpoint.parse(note.open_note(checkpoint_note, [key.verifier]).text)


def test_a_checkpoint_is_a_note_signed_by_the_log_key_over_origin_size_and_root(
    world: World,
) -> None:
    traffic(world)

    issued = world.ledger.issue_checkpoint(LOG_KEY)
    assert (issued.size, issued.issued_at) == (23, world.clock.now())
    body = opened(issued.note)
    assert (body.origin, body.size, body.root) == (ORIGIN, 23, world.ledger.root())
    assert body.root == naive_root(assert_dense(world.ledger))
    with pytest.raises(note.NoteError, match="no signature by a trusted key"):
        opened(issued.note, IMPOSTOR)


def test_one_size_has_one_checkpoint_and_every_one_is_kept(world: World) -> None:
    first = world.ledger.issue_checkpoint(LOG_KEY)
    world.clock.advance(60)
    assert world.ledger.issue_checkpoint(LOG_KEY) == first
    assert world.ledger.issue_checkpoint(IMPOSTOR) == first  # kept as issued, not re-signed
    world.receive()
    second = world.ledger.issue_checkpoint(LOG_KEY)
    world.hand_over("29266", "844")
    third = world.ledger.issue_checkpoint(LOG_KEY)

    kept = world.ledger.logstore.checkpoints()
    assert [c.size for c in kept] == [17, 18, 20]
    assert kept == [first, second, third]
    assert [c.size for c in world.ledger.logstore.checkpoints(18)] == [18, 20]
    assert [c.size for c in world.ledger.logstore.checkpoints(0, 2)] == [17, 18]
    assert world.ledger.checkpoint() == third
    assert world.ledger.checkpoint(18) == second
    assert world.ledger.checkpoint(19) is None
    roots = {c.size: opened(c.note).root for c in kept}
    assert roots == {size: world.ledger.root(size) for size in (17, 18, 20)}
    merkle.verify_consistency(17, 20, roots[17], roots[20], world.ledger.consistency_proof(17, 20))


def test_a_checkpoint_of_the_empty_log_has_the_empty_root() -> None:
    ledger = Ledger(LedgerSettings(database_url="memory:"))

    body = opened(ledger.issue_checkpoint(LOG_KEY).note)
    assert (body.size, body.root) == (0, merkle.EMPTY_ROOT)


def sizes(world: World) -> list[int]:
    return [checkpoint.size for checkpoint in world.ledger.logstore.checkpoints()]


def test_the_checkpointer_issues_after_every_n_entries() -> None:
    world = World.build("memory:")
    checkpointer = Checkpointer(world.ledger, LOG_KEY, 3, 3600)
    world.ledger.checkpointer = checkpointer

    for number in range(7):
        world.receive(f"{CODE}-{number}")
    assert sizes(world) == [20, 23]
    assert checkpointer.tick() is None  # the interval has not passed
    assert sizes(world) == [20, 23]


def test_the_checkpointer_issues_after_an_interval_only_if_something_was_recorded() -> None:
    world = World.build("memory:")
    checkpointer = Checkpointer(world.ledger, LOG_KEY, 1000, 60)
    world.ledger.checkpointer = checkpointer

    world.receive()
    assert checkpointer.tick() is None
    world.clock.advance(59)
    assert checkpointer.tick() is None
    assert sizes(world) == []
    world.clock.advance(1)
    issued = checkpointer.tick()
    assert issued is not None
    assert (issued.size, issued.issued_at) == (18, world.clock.now())
    assert opened(issued.note).root == world.ledger.root(18)
    world.clock.advance(3600)
    assert checkpointer.tick() is None  # nothing new since
    world.receive(OTHER, office="29269")  # an hour after the last one: issued at once
    assert sizes(world) == [18, 19]
    world.clock.advance(61)
    assert checkpointer.tick() is None
    assert sizes(world) == [18, 19]


def test_a_ledger_with_a_log_key_file_issues_checkpoints_as_it_records(tmp_path: Path) -> None:
    LOG_KEY.save(tmp_path / "log-key.json")
    world = World.build(
        "memory:",
        log_key_file=str(tmp_path / "log-key.json"),
        checkpoint_every_entries=5,
        checkpoint_every_seconds=3600,
    )

    assert sizes(world) == [5, 10, 15]
    traffic(world)  # 18 and 23 received at once, 19 to 22 each an hour after the one before
    assert sizes(world) == [5, 10, 15, 19, 20, 21, 22]
    for checkpoint in world.ledger.logstore.checkpoints():
        assert opened(checkpoint.note).root == world.ledger.root(checkpoint.size)
    report = audit(world.ledger, log_key=LOG_KEY.verifier, workers=1)
    assert (report.findings, report.checkpoints) == ([], 7)


# --- 6. the audit names what was changed behind the ledger's back ---------------------------


class Tables:
    """Plain SQL on a closed ledger's database (SQLite file or PostgreSQL schema)."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.sqlite = parts.scheme == "sqlite"
        if self.sqlite:
            self.events, self.order = "stored_events", "rowid"
            self._db: Any = sqlite3.connect(parts.path[1:], isolation_level=None)
        else:
            self.events, self.order = "lienthong_events", "notification_id"
            schema = parse_qs(parts.query)["schema"][0]
            self._db = psycopg.connect(
                url.split("?")[0], autocommit=True, options=f"-c search_path={schema}"
            )

    def run(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        sql = sql.format(events=self.events, order=self.order)
        cursor = self._db.execute(sql if self.sqlite else sql.replace("?", "%s"), params)
        return list(cursor.fetchall()) if cursor.description else []

    def entries(self) -> list[tuple[Any, ...]]:
        """(originator_id, originator_version, topic, state) of every event, in log order."""
        return self.run(
            "SELECT originator_id, originator_version, topic, state FROM {events} ORDER BY {order}"
        )

    def entry(self, position: int) -> tuple[Any, ...]:
        return self.entries()[position - 1]

    def put_state(self, position: int, change: Callable[[dict[str, Any]], None]) -> None:
        oid, version, _, state = self.entry(position)
        decoded = MsgpackTranscoder().decode(bytes(state))
        change(decoded)
        self.run(
            "UPDATE {events} SET state = ? WHERE originator_id = ? AND originator_version = ?",
            MsgpackTranscoder().encode(decoded),
            oid,
            version,
        )

    def delete_entry(self, position: int, *, with_leaf: bool = False) -> None:
        oid, version, _, _ = self.entry(position)
        self.run(
            "DELETE FROM {events} WHERE originator_id = ? AND originator_version = ?", oid, version
        )
        if with_leaf:
            self.delete_leaf(position - 1)

    def delete_leaf(self, index: int) -> None:
        self.run("DELETE FROM lienthong_leaves WHERE leaf_index = ?", index)

    def close(self) -> None:
        self._db.close()


def change_recorded_at(tables: Tables, position: int) -> None:
    tables.put_state(position, lambda state: state.update(recorded_at=state["recorded_at"] + 1))


def flip_applicant_bit(tables: Tables, position: int) -> None:
    def flip(state: dict[str, Any]) -> None:
        at = state["raw"].index(APPLICANT)
        state["raw"] = state["raw"][:at] + bytes([APPLICANT[0] ^ 1]) + state["raw"][at + 1 :]

    tables.put_state(position, flip)


def swap_entries(tables: Tables, first: int, second: int) -> None:
    rows = [tables.entry(first), tables.entry(second)]
    for (oid, version, _, _), (_, _, topic, state) in zip(rows, reversed(rows), strict=True):
        tables.run(
            "UPDATE {events} SET topic = ?, state = ? "
            "WHERE originator_id = ? AND originator_version = ?",
            topic,
            state,
            oid,
            version,
        )


def swap_leaves(tables: Tables, first: int, second: int) -> None:
    move = "UPDATE lienthong_leaves SET leaf_index = ? WHERE leaf_index = ?"
    tables.run(move, -1, first)
    tables.run(move, first, second)
    tables.run(move, second, -1)


def forge_checkpoint(tables: Tables, size: int, key: LogKey, root: bytes) -> None:
    tables.run("DELETE FROM lienthong_checkpoints WHERE size = ?", size)
    tables.run(
        "INSERT INTO lienthong_checkpoints VALUES (?, ?, ?)",
        size,
        key.sign_checkpoint(size, root),
        0,
    )


def rewrite_with_a_rebuilt_tree(tables: Tables, position: int) -> None:
    """Change an entry and recompute every stored tree node from the entries, so the tree agrees
    with the changed log: only the checkpoints can tell."""
    change_recorded_at(tables, position)
    tree = merkle.CompactRange()
    nodes: list[tuple[tuple[int, int], bytes]] = []
    for _, _, _, state in tables.entries():
        entry = MsgpackTranscoder().decode(bytes(state))
        nodes += tree.append(
            tlog.entry_leaf_hash(entry["raw"], entry["signature"], entry["recorded_at"])
        )
    tables.run("DELETE FROM lienthong_nodes")
    for (level, index), value in nodes:
        tables.run("INSERT INTO lienthong_nodes VALUES (?, ?, ?)", level, index, value)


FORK = hashlib.sha256(b"a forked tree").digest()
ENTRY_19 = f"entry 19 ({CODE}, seq 2)"

# what was done to the log of `recorded` (22 entries, checkpoints at 17, 20 and 22; entry 18
# receives dossier CODE, 19 to 22 hand it over twice) → (position, words) the audit must report
TAMPERING: dict[str, tuple[Callable[[Tables], None], list[tuple[int, str]]]] = {
    "recorded_at of an entry changed": (
        lambda t: change_recorded_at(t, 19),
        [
            (19, f"{ENTRY_19}: the entry differs from the one the tree recorded"),
            (19, "it was changed after recording"),
            (0, "checkpoint of size 20: signed root"),
            (0, "the log was changed after this checkpoint"),
            (0, "the stored tree's root"),
        ],
    ),
    "a statement byte changed": (
        lambda t: flip_applicant_bit(t, 18),
        [
            (18, "the entry differs from the one the tree recorded"),
            (18, "signature does not verify"),
            (19, "chain broken"),
            (0, "checkpoint of size 20: signed root"),
        ],
    ),
    "an entry deleted": (
        lambda t: t.delete_entry(19),
        [
            (19, "entry 19 is gone from the store but its leaf remains: entries were deleted"),
            (0, "the tree has 22 leaves but the store holds 21 entries"),
            (0, "a checkpoint of size 22 is kept, but the log has only 21 entries"),
        ],
    ),
    "an entry deleted with its leaf": (
        lambda t: t.delete_entry(19, with_leaf=True),
        [
            (19, "entry 19 is gone from the store together with its leaf: entries were deleted"),
            (0, "the tree has 22 leaves but the store holds 21 entries"),
            (0, "a checkpoint of size 22 is kept, but the log has only 21 entries"),
            (20, "chain broken: seq 3"),
        ],
    ),
    "the last entry deleted with its leaf": (
        lambda t: t.delete_entry(22, with_leaf=True),
        [(0, "a checkpoint of size 22 is kept, but the log has only 21 entries: entries were")],
    ),
    "the last entry deleted": (
        lambda t: t.delete_entry(22),
        [(22, "the tree has leaves from here on whose entries are gone")],
    ),
    "a leaf row deleted": (
        lambda t: t.delete_leaf(18),
        [
            (19, "is not a leaf of the tree: its leaf was deleted, or the entry was added"),
            (0, "checkpoint of size 20: signed root"),
        ],
    ),
    "two entries swapped": (
        lambda t: swap_entries(t, 19, 20),
        [
            (19, "the entry differs from the one the tree recorded"),
            (20, "the entry differs from the one the tree recorded"),
            (19, "stored under aggregate"),
            (0, "checkpoint of size 20: signed root"),
        ],
    ),
    "two leaves swapped": (
        lambda t: swap_leaves(t, 18, 19),
        [
            (19, "leaf 18 of the tree was recorded for another entry"),
            (0, "and 1 more entries are out of place in the tree after the first one named"),
        ],
    ),
    "a checkpoint of a forked tree": (
        lambda t: forge_checkpoint(t, 20, LOG_KEY, FORK),
        [
            (0, "checkpoint of size 20: signed root"),
            (0, "checkpoint of size 20 is not consistent with the checkpoint of size 17"),
        ],
    ),
    "a checkpoint signed by another key": (
        lambda t: forge_checkpoint(t, 20, IMPOSTOR, FORK),
        [(0, "checkpoint of size 20: the note has no signature by a trusted key")],
    ),
    "an entry rewritten under a checkpoint, tree rebuilt": (
        lambda t: rewrite_with_a_rebuilt_tree(t, 5),
        [
            (0, "checkpoint of size 17: signed root"),
            (0, "the log was changed after this checkpoint"),
            (0, "checkpoint of size 20 is not consistent with the checkpoint of size 17"),
        ],
    ),
}


def record_scenario(url: str) -> str:
    """22 entries with checkpoints at sizes 17, 20 and 22, on a ledger closed afterwards."""
    world = World.build(url)
    try:
        world.ledger.issue_checkpoint(LOG_KEY)
        world.receive()
        world.hand_over("29266", "844")
        world.ledger.issue_checkpoint(LOG_KEY)
        world.hand_over("844", "84")
        world.ledger.issue_checkpoint(LOG_KEY)
        assert sizes(world) == [17, 20, 22]
    finally:
        world.ledger.close()
    return url


@pytest.fixture
def recorded(durable_url: str) -> str:
    return record_scenario(durable_url)


@pytest.fixture
def tables(recorded: str) -> Iterator[Tables]:
    opened_tables = Tables(recorded)
    try:
        yield opened_tables
    finally:
        opened_tables.close()


def audited(url: str, workers: int = 1) -> AuditReport:
    ledger = Ledger(LedgerSettings(database_url=url))
    try:
        return audit(ledger, log_key=LOG_KEY.verifier, workers=workers)
    finally:
        ledger.close()


def reported(findings: Sequence[Finding], position: int, words: str) -> bool:
    return any(f.position == position and words in f.describe() for f in findings)


def test_an_untouched_log_audits_clean(recorded: str, tables: Tables) -> None:
    assert len(tables.entries()) == 22  # the tables this file tampers with are the ledger's
    report = audited(recorded)

    assert report.findings == []
    assert (report.checked, report.size, report.checkpoints) == (22, 22, 3)
    ledger = Ledger(LedgerSettings(database_url=recorded))
    try:
        assert report.root == ledger.root() == naive_root(assert_dense(ledger))
    finally:
        ledger.close()


@pytest.mark.parametrize("case", list(TAMPERING))
def test_the_audit_names_what_was_changed_in_the_database(
    recorded: str, tables: Tables, case: str
) -> None:
    tamper, expected = TAMPERING[case]
    tamper(tables)

    findings = audited(recorded).findings
    described = "\n".join(finding.describe() for finding in findings)
    for position, words in expected:
        assert reported(findings, position, words), f"no {words!r} at {position} in:\n{described}"
    # nothing before the first damaged entry is blamed
    first = min((position for position, _ in expected if position), default=None)
    blamed = [finding.position for finding in findings if finding.position]
    assert first is None or min(blamed) == first, described
    if first is None:
        assert blamed == [], described


def test_the_audit_names_the_position_of_an_entry_deleted_with_its_leaf(
    recorded: str, tables: Tables
) -> None:
    # entry 9 enrols officer cb-844, that subject's only statement: no chain breaks to point at it
    tables.delete_entry(9, with_leaf=True)

    findings = audited(recorded).findings
    assert findings
    assert not reported(findings, 22, "entries are gone")
    assert reported(findings, 9, "deleted")


def test_a_checkpoint_of_the_empty_log_is_checked_with_the_later_ones() -> None:
    clock = SimulatedClock(START)
    ledger = Ledger(LedgerSettings(database_url="memory:"), clock=clock)
    ledger.issue_checkpoint(LOG_KEY)
    initialise(ledger, seeded_key("authority"))
    ledger.issue_checkpoint(LOG_KEY)
    assert [c.size for c in ledger.logstore.checkpoints()] == [0, 1]

    report = audit(ledger, log_key=LOG_KEY.verifier, workers=1)
    assert [finding.describe() for finding in report.findings] == []
    assert report.checkpoints == 2


def test_a_parallel_audit_reports_what_a_serial_one_does(tmp_path: Path) -> None:
    url = record_scenario(f"sqlite:///{tmp_path / 'ledger.db'}")
    clean = audited(url, workers=2)
    assert clean == audited(url, workers=1)
    assert (clean.findings, clean.checked) == ([], 22)

    tables = Tables(url)
    try:
        swap_entries(tables, 19, 20)
        change_recorded_at(tables, 5)
    finally:
        tables.close()
    parallel, serial = audited(url, workers=2), audited(url, workers=1)
    assert parallel.findings == serial.findings
    assert (parallel.checked, parallel.root) == (serial.checked, serial.root)
    assert {finding.position for finding in parallel.findings} >= {0, 5, 19, 20}


@pytest.mark.postgres
def test_postgres_database_functions_are_refused_they_would_skip_the_leaves(
    postgres_url: str,
) -> None:
    with pytest.raises(ProgrammingError, match="without their leaves"):
        Ledger(
            LedgerSettings(database_url=postgres_url),
            env={"POSTGRES_ENABLE_DB_FUNCTIONS": "y"},
        )


def test_appending_a_batch_reads_only_the_siblings_it_needs_and_adds_what_a_full_tree_holds() -> (
    None
):
    from ledger.log.storage.tree import _grow, _siblings

    def leaf(i: int) -> bytes:
        return merkle.leaf_hash(i.to_bytes(4, "big"))

    for size in range(70):
        for count in range(1, 9):
            before, after = merkle.MemoryTree(), merkle.MemoryTree()
            for i in range(size):
                before.append(leaf(i))
            for i in range(size + count):
                after.append(leaf(i))
            needed = _siblings(size, count)
            assert len(needed) <= count * 7
            siblings = dict(zip(needed, before.fetch(needed), strict=True))
            added = _grow(size, siblings, [leaf(i) for i in range(size, size + count)])
            assert len({node for node, _ in added}) == len(added)
            assert all(after.fetch([node]) == [value] for node, value in added)
            # every node of the bigger tree is stored before or added now
            levels = (size + count).bit_length()
            expected = {
                (level, index)
                for level in range(levels)
                for index in range((size + count) >> level)
                if (index + 1) << level > size
            }
            assert {node for node, _ in added} == expected
