"""Witnesses: cosign a log's checkpoint only if it extends the last one they cosigned, refuse forks
and rollbacks without remembering them; the ledger keeps the cosignatures of its configured
witnesses and hands them out with the checkpoint, in bundles too.

Forks are real: two ledgers built from the same seeds record the same entries, then diverge, and
their checkpoints are signed by the same log key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.errors import BadCheckpoint, LogForked
from ledger.log import note
from ledger.log.bundle import export, verify_bundle
from ledger.log.storage.tree import StoredCheckpoint
from ledger.log.tlog import LogKey
from ledger.log.witness import (
    Seen,
    WitnessKey,
    WitnessState,
    accept_cosignatures,
    cosign,
    decode_proof,
    encode_proof,
)
from tests.world import CODE, World

ORIGIN = "test.lienthong.example/log"
LOG_KEY = LogKey.from_seed(ORIGIN, hashlib.sha256(b"test-log-key").digest())
IMPOSTOR = LogKey.from_seed(ORIGIN, hashlib.sha256(b"another log key").digest())
WITNESS = WitnessKey.from_seed("witness.test/w1", hashlib.sha256(b"test-witness-1").digest())
SECOND = WitnessKey.from_seed("witness.test/w2", hashlib.sha256(b"test-witness-2").digest())
OTHER = "000.00.01.H59-250303-0002"
NOW = 1_750_000_000  # POSIX seconds, as a witness's clock reads


def issued(world: World) -> StoredCheckpoint:
    return world.ledger.issue_checkpoint(LOG_KEY)


def text_of(checkpoint: StoredCheckpoint) -> str:
    return note.parse_note(checkpoint.note).text


def witness_cosigns(
    state: WitnessState,
    checkpoint: StoredCheckpoint,
    proof: list[bytes] | None = None,
    key: WitnessKey = WITNESS,
) -> str:
    return cosign(checkpoint.note, proof or [], LOG_KEY.verifier, key, state, NOW)


def changed(line: str) -> str:
    """The cosignature line with one base64 character of its Ed25519 signature changed."""
    at = len(line) - 10
    return line[:at] + ("A" if line[at] != "A" else "B") + line[at + 1 :]


@pytest.fixture
def state(tmp_path: Path) -> WitnessState:
    return WitnessState(tmp_path / "witness.json")


@pytest.fixture
def received() -> Iterator[World]:
    """A memory ledger with its registry and one received dossier."""
    world = World.build()
    world.receive()
    try:
        yield world
    finally:
        world.ledger.close()


@pytest.fixture
def forks() -> Iterator[tuple[World, World]]:
    """Two ledgers that agree on the registry and one received dossier, then diverge: the dossier
    goes to district 844 in one and to district 845 in the other."""
    built = [World.build(), World.build()]
    for world in built:
        world.receive()
    try:
        yield built[0], built[1]
    finally:
        for world in built:
            world.ledger.close()


# --- cosigning ----------------------------------------------------------------------------------


def test_a_first_checkpoint_is_cosigned_without_a_proof_and_remembered(
    received: World, state: WitnessState
) -> None:
    world = received
    checkpoint = issued(world)

    line = witness_cosigns(state, checkpoint)

    assert line.startswith(f"— {WITNESS.name} ")
    assert line.endswith("\n")
    assert note.verify_cosignature(line, text_of(checkpoint), WITNESS.verifier) == NOW
    seen = Seen(checkpoint.size, world.ledger.root(checkpoint.size))
    assert state.logs == {ORIGIN: seen}
    assert WitnessState(state.path).logs == {ORIGIN: seen}


def test_an_extension_with_a_consistency_proof_is_cosigned_and_remembered(
    received: World, state: WitnessState
) -> None:
    world = received
    first = issued(world)
    witness_cosigns(state, first)
    world.hand_over("29266", "844")
    second = issued(world)
    proof = world.ledger.consistency_proof(first.size, second.size)
    # as a witness working from files receives it
    assert decode_proof(encode_proof(first.size, second.size, proof)) == (
        first.size,
        second.size,
        proof,
    )

    line = witness_cosigns(state, second, proof)

    assert note.verify_cosignature(line, text_of(second), WITNESS.verifier) == NOW
    assert WitnessState(state.path).logs == {
        ORIGIN: Seen(second.size, world.ledger.root(second.size))
    }


def test_the_same_checkpoint_may_be_cosigned_again(received: World, state: WitnessState) -> None:
    world = received
    checkpoint = issued(world)
    witness_cosigns(state, checkpoint)

    line = witness_cosigns(state, checkpoint)

    assert note.verify_cosignature(line, text_of(checkpoint), WITNESS.verifier) == NOW


def test_a_fork_signed_by_the_same_key_is_refused_and_not_remembered(
    forks: tuple[World, World], state: WitnessState
) -> None:
    ours, theirs = forks
    common = issued(ours)
    assert issued(theirs).note == common.note  # the same log so far
    witness_cosigns(state, common)
    ours.hand_over("29266", "844")
    theirs.hand_over("29266", "845")
    extended = issued(ours)
    witness_cosigns(state, extended, ours.ledger.consistency_proof(common.size, extended.size))
    remembered = state.path.read_bytes()

    # their checkpoint at the size the witness saw, with another root
    same_size = issued(theirs)
    assert same_size.size == extended.size
    with pytest.raises(LogForked, match="two different logs") as raised:
        witness_cosigns(state, same_size)
    assert "fork" in str(raised.value)
    assert "refusing to cosign" in str(raised.value)

    # their next checkpoint, with their own (valid for them) consistency proof
    theirs.later()
    theirs.receive(OTHER)
    larger = issued(theirs)
    proof = theirs.ledger.consistency_proof(extended.size, larger.size)
    with pytest.raises(LogForked, match="is not an extension") as raised:
        witness_cosigns(state, larger, proof)
    assert "fork" in str(raised.value)

    assert state.path.read_bytes() == remembered
    assert state.logs == {ORIGIN: Seen(extended.size, ours.ledger.root(extended.size))}


def test_a_smaller_checkpoint_is_refused_as_the_log_going_back(
    received: World, state: WitnessState
) -> None:
    world = received
    old = issued(world)
    world.hand_over("29266", "844")
    witness_cosigns(state, issued(world))
    remembered = state.path.read_bytes()

    with pytest.raises(LogForked, match="went back"):
        witness_cosigns(state, old, world.ledger.consistency_proof(0, old.size))

    assert state.path.read_bytes() == remembered


def test_an_extension_with_a_wrong_proof_is_refused(received: World, state: WitnessState) -> None:
    world = received
    first = issued(world)
    witness_cosigns(state, first)
    world.hand_over("29266", "844")
    second = issued(world)
    proof = world.ledger.consistency_proof(first.size, second.size)
    proof[0] = bytes(32)

    with pytest.raises(LogForked, match="not an extension"):
        witness_cosigns(state, second, proof)
    with pytest.raises(LogForked, match="not an extension"):
        witness_cosigns(state, second, [])

    assert state.logs[ORIGIN].size == first.size


def test_a_checkpoint_signed_by_another_key_is_refused(
    received: World, state: WitnessState
) -> None:
    world = received
    size = world.ledger.log_size()
    forged = IMPOSTOR.sign_checkpoint(size, world.ledger.root(size))

    with pytest.raises(BadCheckpoint, match=f"not a checkpoint of log {ORIGIN}"):
        cosign(forged, [], LOG_KEY.verifier, WITNESS, state, NOW)

    assert not state.path.exists()
    assert state.logs == {}


def test_a_checkpoint_of_another_origin_is_refused(received: World, state: WitnessState) -> None:
    world = received
    size = world.ledger.log_size()
    text = note.Checkpoint("elsewhere.example/log", size, world.ledger.root(size)).text()

    with pytest.raises(BadCheckpoint, match=r"for log 'elsewhere\.example/log'"):
        cosign(note.sign_note(text, LOG_KEY.signer), [], LOG_KEY.verifier, WITNESS, state, NOW)

    assert not state.path.exists()


# --- the ledger keeps its witnesses' cosignatures ----------------------------------------------


def test_a_configured_witness_cosignature_is_kept_and_travels_in_bundles(
    world: World, tmp_path: Path
) -> None:
    world.receive()
    world.hand_over("29266", "844")
    checkpoint = issued(world)
    ours = witness_cosigns(WitnessState(tmp_path / "w1.json"), checkpoint)
    unconfigured = witness_cosigns(WitnessState(tmp_path / "w2.json"), checkpoint, key=SECOND)

    kept = accept_cosignatures(
        world.ledger.logstore,
        checkpoint.note + ours + unconfigured,
        [WITNESS.verifier],
        world.clock.now(),
    )

    assert kept == [WITNESS.name]
    assert world.ledger.logstore.cosignatures(checkpoint.size) == [ours]
    bundle = export(world.ledger, CODE)
    assert bundle.checkpoint == checkpoint.note + ours
    report = verify_bundle(bundle.encode(), LOG_KEY.verifier, [WITNESS.verifier])
    assert report.ok, report.problems
    assert report.witnesses == [WITNESS.name]
    required = verify_bundle(bundle.encode(), LOG_KEY.verifier, [SECOND.verifier])
    assert required.problems == [f"checkpoint: not cosigned by witness {SECOND.name}"]


def test_a_bundle_whose_cosignature_was_changed_fails_when_the_witness_is_required(
    received: World, state: WitnessState
) -> None:
    world = received
    checkpoint = issued(world)
    line = witness_cosigns(state, checkpoint)
    accept_cosignatures(
        world.ledger.logstore, checkpoint.note + line, [WITNESS.verifier], world.clock.now()
    )
    data = export(world.ledger, CODE).encode()
    assert data.count(line.encode()) == 1
    data = data.replace(line.encode(), changed(line).encode())

    report = verify_bundle(data, LOG_KEY.verifier, [WITNESS.verifier])

    assert not report.ok
    assert report.problems == [
        f"checkpoint: cosignature by {WITNESS.name} does not verify (time {NOW})"
    ]


def test_a_note_cosigned_by_no_configured_witness_is_refused(
    received: World, state: WitnessState
) -> None:
    world = received
    checkpoint = issued(world)
    line = witness_cosigns(state, checkpoint, key=SECOND)

    with pytest.raises(BadCheckpoint, match=r"no cosignature by a configured witness \(witness"):
        accept_cosignatures(
            world.ledger.logstore, checkpoint.note + line, [WITNESS.verifier], world.clock.now()
        )
    with pytest.raises(BadCheckpoint, match="none configured"):
        accept_cosignatures(world.ledger.logstore, checkpoint.note + line, [], world.clock.now())

    assert world.ledger.logstore.cosignatures(checkpoint.size) == []


def test_a_forged_cosignature_by_a_configured_witness_is_refused(
    received: World, state: WitnessState
) -> None:
    world = received
    checkpoint = issued(world)
    line = changed(witness_cosigns(state, checkpoint))

    with pytest.raises(BadCheckpoint, match="does not verify"):
        accept_cosignatures(
            world.ledger.logstore, checkpoint.note + line, [WITNESS.verifier], world.clock.now()
        )

    assert world.ledger.logstore.cosignatures(checkpoint.size) == []


def test_a_cosignature_of_a_checkpoint_this_log_never_issued_is_refused(
    forks: tuple[World, World], tmp_path: Path
) -> None:
    ours, theirs = forks
    ours.hand_over("29266", "844")
    theirs.hand_over("29266", "845")
    mine = issued(ours)
    foreign = issued(theirs)
    assert mine.size == foreign.size
    line = witness_cosigns(WitnessState(tmp_path / "w.json"), foreign)

    with pytest.raises(
        BadCheckpoint, match=f"issued no checkpoint with that text at size {mine.size}"
    ):
        accept_cosignatures(
            ours.ledger.logstore, foreign.note + line, [WITNESS.verifier], ours.clock.now()
        )
    ours.later()
    ours.receive(OTHER)  # a size this log has no checkpoint for
    unissued = LOG_KEY.sign_checkpoint(ours.ledger.log_size(), ours.ledger.root())
    line = witness_cosigns(WitnessState(tmp_path / "w2.json"), StoredCheckpoint(0, unissued, 0))
    with pytest.raises(BadCheckpoint, match="issued no checkpoint"):
        accept_cosignatures(
            ours.ledger.logstore, unissued + line, [WITNESS.verifier], ours.clock.now()
        )

    assert ours.ledger.logstore.cosignatures(mine.size) == []
    assert ours.ledger.logstore.cosignatures(ours.ledger.log_size()) == []
