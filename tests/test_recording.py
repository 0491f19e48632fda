"""The ledger's own refusals, before any domain rule: signatures, clock skew, stale heads, size,
duplicates, and two statements racing for the same head. Every test runs on memory, SQLite and
PostgreSQL; the race uses two Ledger instances on one database where there is a database.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from domain.statement import ZERO_HASH
from ledger.application import Ledger, Receipt
from ledger.config import LedgerSettings
from ledger.errors import BadSignature, ClockSkew, OversizedStatement, StaleHead
from ledger.statements.signing import Envelope
from tests.world import CODE, DAY, PROCEDURE, World, document

OTHER = "000.00.01.H59-250303-0002"
MICROS = 1_000_000


# --- helpers -------------------------------------------------------------------------------


@pytest.fixture
def make_world(database_url: str) -> Iterator[Callable[..., World]]:
    """World.build on this test's backend with other settings (call it once per test)."""
    built: list[World] = []

    def make(**settings: Any) -> World:
        built.append(World.build(database_url, **settings))
        return built[-1]

    yield make
    for world in built:
        world.ledger.close()


def state(world: World, code: str = CODE) -> tuple[int, bytes, int]:
    seq, head = world.ledger.head("dossier", code)
    assert len(world.ledger.history("dossier", code)) == seq
    return seq, head, world.ledger.log_size()


def refused(
    world: World,
    error: type[Exception],
    envelope: Envelope,
    signature: bytes | None = None,
    code: str = CODE,
) -> Exception:
    """Record the envelope, expecting exactly `error`, and check nothing was recorded."""
    before = state(world, code)
    with pytest.raises(error) as caught:
        world.ledger.record(
            envelope.statement, envelope.signature if signature is None else signature
        )
    assert type(caught.value) is error, f"expected {error.__name__}, got {caught.type.__name__}"
    assert state(world, code) == before
    return caught.value


def received(world: World, **head: Any) -> Envelope:
    return world.at("29266").envelope(
        "dossier.received",
        head.pop("code", CODE),
        {
            "procedure": PROCEDURE,
            "version": 1,
            "applicant": hashlib.sha256(b"salt|a").digest(),
            "channel": "direct",
            "documents": [document("Đơn đề nghị")],
            "appointed": world.clock.now() + 20 * DAY,
        },
        **head,
    )


def dispatched(
    world: World, to: str, code: str = CODE, note: str | None = None, **head: Any
) -> Envelope:
    body = {"to": to, "purpose": "process", "documents": [document("Đơn đề nghị")]}
    if note is not None:
        body["note"] = note
    return world.at("29266").envelope("handover.dispatched", code, body, **head)


def record(world: World, envelope: Envelope, ledger: Ledger | None = None) -> Receipt:
    return (ledger or world.ledger).record(envelope.statement, envelope.signature)


def flip(data: bytes, index: int, bit: int = 0) -> bytes:
    return data[:index] + bytes([data[index] ^ (1 << bit)]) + data[index + 1 :]


def overtake_at_save(world: World, monkeypatch: pytest.MonkeyPatch, rival: Envelope) -> None:
    """Make the next `record` lose a race deterministically: after all its checks pass, and just
    before it saves, `rival` is recorded on the same head."""
    save = world.ledger.save

    def rival_first(*aggregates: Any, **kwargs: Any) -> Any:
        monkeypatch.setattr(world.ledger, "save", save)
        record(world, rival)
        return save(*aggregates, **kwargs)

    monkeypatch.setattr(world.ledger, "save", rival_first)


# --- signatures ------------------------------------------------------------------------------


def test_refuses_a_signature_with_one_bit_flipped(world: World) -> None:
    envelope = received(world)

    for index, bit in [(0, 0), (31, 3), (63, 7)]:
        error = refused(world, BadSignature, envelope, flip(envelope.signature, index, bit))
        assert world.at("29266").key.key_id in str(error)
    record(world, envelope)  # the untouched envelope is fine
    assert world.ledger.head("dossier", CODE)[0] == 1


def test_refuses_a_valid_signature_of_different_bytes(world: World) -> None:
    envelope = received(world)
    other = received(world, code=OTHER)
    tampered = flip(
        envelope.statement, envelope.statement.index(hashlib.sha256(b"salt|a").digest())
    )  # one bit of the applicant commitment

    refused(world, BadSignature, envelope, other.signature)
    refused(world, BadSignature, Envelope(tampered, envelope.signature))
    # the right bytes signed by another officer's key, still naming this one's key
    refused(world, BadSignature, envelope, world.at("29269").key.sign(envelope.statement))


# --- the signer's clock ----------------------------------------------------------------------


def test_refuses_at_outside_the_clock_tolerance_in_either_direction(
    make_world: Callable[..., World],
) -> None:
    world = make_world(clock_tolerance_seconds=30)
    world.later()  # so that 30 s ago the officer's key was already valid
    tolerance = world.ledger.settings.clock_tolerance_seconds * MICROS
    assert tolerance == 30 * MICROS
    now = world.clock.now()

    ahead = refused(world, ClockSkew, received(world, at=now + tolerance + 1))
    assert "30 s" in str(ahead)
    refused(world, ClockSkew, received(world, at=now - tolerance - 1))
    assert record(world, received(world, at=now - tolerance)).seq == 1
    assert record(world, received(world, code=OTHER, at=now + tolerance)).seq == 1


# --- heads -----------------------------------------------------------------------------------


def test_refuses_a_stale_prev_or_a_wrong_seq_with_the_current_head(world: World) -> None:
    first = record(world, received(world))
    world.later()
    second = record(world, dispatched(world, "844"))
    world.later()
    current = world.ledger.head("dossier", CODE)
    assert current == (2, second.digest)

    for seq, prev in [
        (3, first.digest),  # built on the first statement: stale prev
        (3, ZERO_HASH),  # no history at all
        (4, second.digest),  # skips a seq
        (2, first.digest),  # a second statement at seq 2
        (1, ZERO_HASH),  # a second first statement
    ]:
        envelope = world.at("844").envelope(
            "handover.acknowledged",
            CODE,
            {
                "dispatch": second.digest,
                "documents": [document("Đơn đề nghị")],
            },
            seq=seq,
            prev=prev,
        )
        conflict = refused(world, StaleHead, envelope)
        assert isinstance(conflict, StaleHead)
        assert (conflict.subject, conflict.seq, conflict.head) == (CODE, *current)
        assert world.ledger.head("dossier", CODE) == (conflict.seq, conflict.head)


def test_resubmitting_the_same_envelope_returns_a_duplicate_receipt(world: World) -> None:
    envelope = received(world)
    original = record(world, envelope)
    world.clock.advance(60)
    before = state(world)

    again = record(world, envelope)
    assert again.duplicate is True
    assert (again.kind, again.subject, again.seq, again.digest, again.recorded_at) == (
        original.kind,
        original.subject,
        original.seq,
        original.digest,
        original.recorded_at,
    )
    assert state(world) == before
    # still a duplicate once the dossier has moved on
    record(world, dispatched(world, "844"))
    later = state(world)
    assert record(world, envelope) == again
    assert state(world) == later
    # the same bytes with a signature that does not verify are no retry of anything
    refused(world, BadSignature, envelope, flip(envelope.signature, 5))


def test_resubmitting_a_recorded_envelope_after_the_tolerance_still_returns_its_receipt(
    world: World,
) -> None:
    envelope = received(world)
    original = record(world, envelope)
    world.clock.advance(world.ledger.settings.clock_tolerance_seconds + 60)

    again = record(world, envelope)
    assert (again.duplicate, again.digest) == (True, original.digest)


# --- size ------------------------------------------------------------------------------------


def test_refuses_a_statement_larger_than_the_configured_cap(
    make_world: Callable[..., World],
) -> None:
    world = make_world(max_statement_bytes=1024)
    record(world, received(world))
    world.later()

    small = dispatched(world, "844", note="Chuyển hồ sơ " * 10)
    large = dispatched(world, "844", note="Chuyển hồ sơ " * 100)
    assert len(small.statement) <= 1024 < len(large.statement)
    error = refused(world, OversizedStatement, large)
    assert str(len(large.statement)) in str(error)
    assert "1024" in str(error)
    assert record(world, small).seq == 2


# --- two statements on one head ----------------------------------------------------------------


def test_a_statement_overtaken_between_its_checks_and_its_save_gets_conflict_with_the_new_head(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    record(world, received(world))
    world.later()
    ours, theirs = dispatched(world, "844"), dispatched(world, "845")
    overtake_at_save(world, monkeypatch, theirs)

    with pytest.raises(StaleHead) as caught:
        record(world, ours)

    seq, head = world.ledger.head("dossier", CODE)
    assert (
        (caught.value.seq, caught.value.head)
        == (seq, head)
        == (2, hashlib.sha256(theirs.statement).digest())
    )
    history = world.ledger.history("dossier", CODE)
    assert [entry.raw for entry in history][1:] == [theirs.statement]
    assert world.ledger.dossier(CODE).transit.addressee == "845"


def test_log_size_counts_the_entries_after_a_conflict_at_save(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a PostgreSQL insert that fails on the version constraint still consumes a sequence value:
    # the log's size and leaf indexes never come from notification ids
    record(world, received(world))
    world.later()
    ours, theirs = dispatched(world, "844"), dispatched(world, "845")
    overtake_at_save(world, monkeypatch, theirs)
    with pytest.raises(StaleHead):
        record(world, ours)
    world.later()
    world.at("845").record(
        "handover.acknowledged",
        CODE,
        {
            "dispatch": hashlib.sha256(theirs.statement).digest(),
            "documents": [],
        },
    )

    entries = list(world.ledger.read_log())
    assert all(not isinstance(entry, Exception) for _, entry in entries)
    assert world.ledger.log_size() == len(entries)
    last = entries[-1][1]
    assert (
        world.ledger.logstore.leaf_index(last.originator_id, last.originator_version)
        == len(entries) - 1
    )


def test_two_statements_on_one_head_recorded_concurrently_record_exactly_one(world: World) -> None:
    url = world.ledger.settings.database_url
    # two processes' worth of ledgers on one database; on memory, one ledger shared by threads
    second = (
        world.ledger
        if url == "memory:"
        else Ledger(LedgerSettings(database_url=url), clock=world.clock)
    )
    ledgers = [world.ledger, second]
    addressees = ["844", "845"]
    log_before = len(list(world.ledger.read_log()))
    try:
        for round_ in range(5):
            code = f"{CODE}-{round_}"
            record(world, received(world, code=code))
            world.later()
            envelopes = [dispatched(world, to, code) for to in addressees]
            outcomes: list[Any] = [None, None]
            barrier = threading.Barrier(2, timeout=30)

            def submit(
                index: int,
                envelopes: list[Envelope] = envelopes,
                outcomes: list[Any] = outcomes,
                barrier: threading.Barrier = barrier,
            ) -> None:
                barrier.wait()
                try:
                    outcomes[index] = record(world, envelopes[index], ledgers[index])
                except Exception as problem:  # any outcome is asserted below
                    outcomes[index] = problem

            threads = [threading.Thread(target=submit, args=(index,)) for index in (0, 1)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            assert not any(thread.is_alive() for thread in threads)

            winners = [i for i, outcome in enumerate(outcomes) if isinstance(outcome, Receipt)]
            losers = [i for i, outcome in enumerate(outcomes) if type(outcome) is StaleHead]
            assert len(winners) == 1, f"round {round_}: {outcomes}"
            assert len(losers) == 1, f"round {round_}: {outcomes}"
            winner, conflict = outcomes[winners[0]], outcomes[losers[0]]
            assert (winner.seq, winner.duplicate) == (2, False)
            for ledger in ledgers:
                assert ledger.head("dossier", code) == (2, winner.digest)
            assert (conflict.subject, conflict.seq, conflict.head) == (code, 2, winner.digest)
            history = world.ledger.history("dossier", code)
            assert [entry.raw for entry in history][1:] == [envelopes[winners[0]].statement]
            assert world.ledger.dossier(code).transit.addressee == addressees[winners[0]]
            world.later()
        assert len(list(world.ledger.read_log())) == log_before + 10
    finally:
        if second is not world.ledger:
            second.close()
