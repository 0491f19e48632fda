"""Audit bundles: one dossier's history, the registry it relies on, inclusion proofs and a signed
checkpoint, verified offline by replay into an empty ledger.

A bundle must show exactly what the ledger shows (same steps, same hops), hold nothing the
checkpoint does not cover, survive the loss of the database it came from, and never be accepted
once any one of its bytes is changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from domain.errors import UnknownDossier
from ledger.errors import BadBundle, BadProofRequest
from ledger.log import note
from ledger.log.bundle import Bundle, BundleReport, export, verify_bundle
from ledger.log.tlog import LogKey
from ledger.log.witness import WitnessKey
from ledger.statements import schema
from ledger.views.timeline import Hop, timeline
from tests.world import CODE, HOUR, START, World

OTHER = "000.00.01.H59-250303-0002"
ORIGIN = "test.lienthong.example/log"
LOG_KEY = LogKey.from_seed(ORIGIN, hashlib.sha256(b"test-log-key").digest())
IMPOSTOR = LogKey.from_seed(ORIGIN, hashlib.sha256(b"another log key").digest())
WITNESS = WitnessKey.from_seed("witness.test/w1", hashlib.sha256(b"test-witness").digest())


def verified(data: bytes, *witnesses: note.Verifier) -> BundleReport:
    return verify_bundle(data, LOG_KEY.verifier, witnesses)


def hops(hops: list[Hop]) -> list[tuple[str, str, str, str, str, int, int, int]]:
    """Who handed over to whom, who received it, and when: signed `at` of each side and the
    receipt's `recorded_at`, in hours after the world's start."""
    rows = []
    for hop in hops:
        sent, got = hop.dispatch, hop.outcome
        assert got is not None
        rows.append(
            (
                sent.statement.office,
                sent.statement.officer,
                sent.statement.body["to"],
                got.statement.office,
                got.statement.officer,
                (sent.statement.at - START) // HOUR,
                (got.statement.at - START) // HOUR,
                (got.recorded_at - START) // HOUR,
            )
        )
    return rows


@pytest.fixture
def small() -> Iterator[World]:
    """A memory world where one dossier went from the commune to the district, checkpointed."""
    world = World.build()
    world.receive()
    world.hand_over("29266", "844")
    world.ledger.issue_checkpoint(LOG_KEY)
    try:
        yield world
    finally:
        world.ledger.close()


@pytest.fixture
def small_bundle(small: World) -> Bundle:
    return export(small.ledger, CODE)


# --- export and verify --------------------------------------------------------------------------


def test_a_verified_bundle_shows_the_same_timeline_and_hops_as_the_ledger(world: World) -> None:
    world.receive()
    world.hand_over("29266", "844")
    world.hand_over("844", "84")
    checkpoint = world.ledger.issue_checkpoint(LOG_KEY)

    report = verified(export(world.ledger, CODE).encode())

    assert report.ok, report.problems
    assert report.problems == []
    assert (report.size, report.dossier) == (checkpoint.size, CODE)
    assert report.root == world.ledger.root(checkpoint.size)
    assert report.view == timeline(world.ledger, CODE)
    assert report.view is not None
    assert hops(report.view.hops) == [
        ("29266", "cb-29266", "844", "844", "cb-844", 1, 2, 2),
        ("844", "cb-844", "84", "84", "cb-84", 3, 4, 4),
    ]
    assert all(step.verified for step in report.view.steps)


def test_a_bundle_holds_the_dossier_and_the_registry_it_needs_and_nothing_past_its_checkpoint(
    world: World,
) -> None:
    world.receive()
    world.hand_over("29266", "844")
    checkpoint = world.ledger.issue_checkpoint(LOG_KEY)
    # recorded after the checkpoint: a registry change on an office the dossier relies on, and
    # another dossier at the same office
    world.authority.record(
        "office.renamed", "844", {"name": "Huyện Càng Long (mới)", "effective": "2025-04-01"}
    )
    world.receive(OTHER)
    assert world.ledger.log_size() == checkpoint.size + 2

    bundle = export(world.ledger, CODE)

    keys = {signer.key.key_id: office for office, signer in world.officers.items()}
    needed = {
        ("authority", "authority"),
        ("procedure", "merit-education-preference"),
        *(("office", office) for office in ("29266", "844", "84")),  # the route and its parents
        *(("officer", f"cb-{office}") for office in ("29266", "844")),
        *(("key", key) for key, office in keys.items() if office in ("29266", "844")),
    }
    expected = {("dossier", CODE, seq) for seq in (1, 2, 3)}
    for family, subject in needed:
        for stored in world.ledger.history(family, subject):
            index = world.ledger.leaf_index(family, subject, stored.statement.seq)
            if index < checkpoint.size:
                expected.add((family, subject, stored.statement.seq))
    held = [(schema.parse(entry.statement), entry) for entry in bundle.entries]
    assert {(s.family, s.subject, s.seq) for s, _ in held} == expected
    assert ("office", "844", 2) not in expected  # the rename came after the checkpoint
    assert all(entry.index < checkpoint.size for entry in bundle.entries)
    assert [entry.index for entry in bundle.entries] == sorted(e.index for e in bundle.entries)
    for statement, entry in held:
        family, subject, seq = statement.family, statement.subject, statement.seq
        stored = world.ledger.history(family, subject)[seq - 1]
        assert entry.index == world.ledger.leaf_index(family, subject, seq)
        assert (entry.statement, entry.signature, entry.recorded_at) == (
            stored.raw,
            stored.signature,
            stored.recorded_at,
        )
        assert list(entry.proof) == world.ledger.inclusion_proof(entry.index, checkpoint.size)
    assert bundle.checkpoint == checkpoint.note
    report = verified(bundle.encode())
    assert report.ok, report.problems
    assert report.entries == len(expected)
    assert report.replayed is not None  # the replay knows the office as the checkpoint does
    after_rename = date(2025, 4, 2)
    assert world.ledger.office("844").name_on(after_rename) == "Huyện Càng Long (mới)"
    assert report.replayed.office("844").name_on(after_rename) == "Huyện Càng Long"


def test_export_refuses_a_dossier_whose_latest_entry_no_checkpoint_covers(world: World) -> None:
    world.receive()
    with pytest.raises(BadProofRequest, match=rf"\({CODE}, seq 1\)"):
        export(world.ledger, CODE)  # no checkpoint at all
    world.ledger.issue_checkpoint(LOG_KEY)
    world.dispatch("29266", "844")
    latest = world.ledger.log_size()

    with pytest.raises(BadProofRequest) as raised:
        export(world.ledger, CODE)

    message = str(raised.value)
    assert f"no checkpoint covers entry {latest} of the log ({CODE}, seq 2)" in message
    assert "lienthong checkpoint" in message


def test_export_of_an_unknown_dossier_raises_unknown_dossier(small: World) -> None:
    with pytest.raises(UnknownDossier, match="NO-SUCH-CODE"):
        export(small.ledger, "NO-SUCH-CODE")


def test_a_bundle_verifies_offline_after_its_database_is_deleted(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    world = World.build(f"sqlite:///{path}")
    world.receive()
    world.hand_over("29266", "844")
    world.ledger.issue_checkpoint(LOG_KEY)
    expected = timeline(world.ledger, CODE)
    data = export(world.ledger, CODE).encode()
    world.ledger.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    assert list(tmp_path.iterdir()) == []

    report = verified(data)

    assert report.ok, report.problems
    assert report.view == expected
    assert list(tmp_path.iterdir()) == []  # verifying wrote no database of its own


# --- tampering ----------------------------------------------------------------------------------


def positions(size: int, at_least: int = 400) -> list[int]:
    """A deterministic sample of byte positions spread evenly over the whole file, ends included."""
    step = max(1, size // at_least)
    return sorted({*range(0, size, step), size - 1})


def refusal(data: bytes) -> list[str]:
    """Why the bundle is refused: the BadBundle message, or the report's problems (empty if it
    verifies)."""
    try:
        report = verified(data)
    except BadBundle as problem:
        return [f"BadBundle: {problem}"]
    return [] if report.ok else report.problems


def test_no_bundle_with_one_bit_flipped_is_accepted(small_bundle: Bundle) -> None:
    data = small_bundle.encode()
    assert refusal(data) == []
    sample = positions(len(data))
    assert len(sample) >= 300
    refusals: list[str] = []
    for position in sample:
        changed = bytearray(data)
        changed[position] ^= 1 << (position % 8)
        problems = refusal(bytes(changed))
        assert problems, f"byte {position} changed and the bundle still verifies"
        assert all(problem.strip() for problem in problems), position
        refusals.extend(problems)

    joined = "\n".join(refusals)
    assert "BadBundle: the file is not a canonical bundle" in joined
    assert "checkpoint: signature by test.lienthong.example/log does not verify" in joined
    assert "not in the log at this checkpoint: the proof leads to root" in joined


def test_every_byte_of_the_checkpoint_note_is_protected(small_bundle: Bundle) -> None:
    data = small_bundle.encode()
    start = data.index(small_bundle.checkpoint.encode())
    for position in range(start, start + len(small_bundle.checkpoint.encode())):
        changed = bytearray(data)
        changed[position] ^= 0x01
        problems = refusal(bytes(changed))
        assert problems, f"note byte {position - start} changed and the bundle verifies"
        assert problems[0].startswith(("checkpoint: ", "BadBundle: ")), problems


def test_a_bundle_checked_with_another_log_key_names_the_checkpoint(small_bundle: Bundle) -> None:
    report = verify_bundle(small_bundle.encode(), IMPOSTOR.verifier)

    assert not report.ok
    assert report.view is None
    assert report.problems == [
        f"checkpoint: the note has no signature by a trusted key ({ORIGIN} "
        f"({IMPOSTOR.verifier.key_hash.hex()})); it is signed by {ORIGIN} "
        f"({LOG_KEY.verifier.key_hash.hex()})"
    ]


def test_a_checkpoint_whose_origin_is_not_the_log_is_refused(
    small: World, small_bundle: Bundle
) -> None:
    size = small.ledger.log_size()
    text = note.Checkpoint("elsewhere.example/log", size, small.ledger.root(size)).text()
    bundle = replace(small_bundle, checkpoint=note.sign_note(text, LOG_KEY.signer))

    report = verified(bundle.encode())

    assert not report.ok
    assert report.problems == [
        f"checkpoint: its origin is 'elsewhere.example/log', not the log '{ORIGIN}'"
    ]


def test_a_bundle_missing_a_middle_dossier_entry_names_the_broken_chain(
    small_bundle: Bundle,
) -> None:
    dispatch = next(
        e for e in small_bundle.entries if schema.parse(e.statement).kind == "handover.dispatched"
    )
    bundle = replace(small_bundle, entries=tuple(e for e in small_bundle.entries if e != dispatch))

    report = verified(bundle.encode())

    assert not report.ok
    assert len(report.problems) == 1
    problem = report.problems[0]
    assert problem.startswith(
        f"entry {dispatch.index + 2} (handover.acknowledged {CODE}, seq 3): {CODE}: the statement "
        "was signed on seq 2"
    )
    assert "but the head is seq 1" in problem


def test_a_bundle_missing_a_registry_entry_names_the_unknown_subject(
    small: World, small_bundle: Bundle
) -> None:
    key = small.at("844").key.key_id
    bundle = replace(
        small_bundle,
        entries=tuple(
            e
            for e in small_bundle.entries
            if (schema.parse(e.statement).family, schema.parse(e.statement).subject) != ("key", key)
        ),
    )

    report = verified(bundle.encode())

    assert not report.ok
    assert report.problems == [
        f"entry {small_bundle.entries[-1].index + 1} (handover.acknowledged {CODE}, seq 3): "
        f"key {key} is not in the registry of this ledger"
    ]


def test_a_bundle_with_two_entries_swapped_is_refused(small_bundle: Bundle) -> None:
    entries = list(small_bundle.entries)
    entries[-1], entries[-2] = entries[-2], entries[-1]
    bundle = replace(small_bundle, entries=tuple(entries))

    report = verified(bundle.encode())

    assert not report.ok
    assert report.problems == [
        f"entry {entries[-1].index + 1} (handover.dispatched {CODE}, seq 2): entries are not in "
        "strictly increasing log order"
    ]


def test_a_bundle_with_an_entry_repeated_is_refused(small_bundle: Bundle) -> None:
    bundle = replace(small_bundle, entries=(*small_bundle.entries, small_bundle.entries[-1]))

    report = verified(bundle.encode())

    assert not report.ok
    assert [p for p in report.problems if "strictly increasing log order" in p]


def test_a_bundle_naming_another_dossier_shows_no_history(small_bundle: Bundle) -> None:
    report = verified(replace(small_bundle, dossier=OTHER).encode())

    assert not report.ok
    assert report.problems == [
        f"the bundle holds no history of dossier {OTHER}: dossier {OTHER} is not in the registry "
        "of this ledger"
    ]


def test_entries_checked_against_a_fork_signed_by_the_same_key_are_not_in_the_log() -> None:
    forks = []
    for to in ("844", "845"):
        world = World.build()
        world.receive()
        world.hand_over("29266", to)
        world.ledger.issue_checkpoint(LOG_KEY)
        forks.append(world)
    ours, fork = forks
    assert ours.ledger.log_size() == fork.ledger.log_size()
    assert ours.ledger.root() != fork.ledger.root()
    forked_note = fork.ledger.checkpoint()
    assert forked_note is not None
    bundle = replace(export(ours.ledger, CODE), checkpoint=forked_note.note)

    report = verified(bundle.encode())

    assert not report.ok
    assert report.view is None
    assert len(report.problems) == len(bundle.entries)
    assert all("not in the log at this checkpoint" in p for p in report.problems)
    assert report.problems[-1].startswith(f"entry {bundle.entries[-1].index + 1} (handover.ack")


def test_a_required_witness_that_did_not_cosign_is_named(small_bundle: Bundle) -> None:
    report = verified(small_bundle.encode(), WITNESS.verifier)

    assert not report.ok
    assert report.witnesses == []
    assert report.problems == [f"checkpoint: not cosigned by witness {WITNESS.name}"]


def test_a_bundle_that_is_not_a_bundle_raises_bad_bundle(small_bundle: Bundle) -> None:
    data = small_bundle.encode()
    for broken, message in (
        (b"", "not a canonical bundle"),
        (data[:-1], "not a canonical bundle"),
        (data + b"\x00", "not a canonical bundle"),
        (replace(small_bundle, entries=()).encode(), "bundle.entries must be a non-empty list"),
    ):
        with pytest.raises(BadBundle, match=message):
            verified(broken)
