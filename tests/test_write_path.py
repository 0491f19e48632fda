"""The write path's shortcuts keep every answer: a statement parsed and its signature verified
ahead (`Ledger.precheck`, on the thread that received it) is checked by the writer exactly as
before, and a writer that does not ask the database before each statement whether another writer
got in (ledger/freshness.py) still gives the answers of a ledger that does."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from domain.errors import DomainError
from domain.signed import subject_id
from ledger.application import Ledger, Receipt
from ledger.batch import Prechecked
from ledger.errors import BadSignature, LedgerError, StaleHead
from ledger.statements import signing
from ledger.statements.authoring import Signer
from ledger.statements.signing import VerifiedSignatures
from tests.world import CODE, World, seeded_key

SHARED = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture
def other(world: World) -> Iterator[Ledger]:
    """A second ledger on the same database and clock, as another server process would be."""
    ledger = Ledger(world.ledger.settings, clock=world.clock)
    yield ledger
    ledger.close()


def counting(monkeypatch: pytest.MonkeyPatch, target: Any, name: str) -> list[int]:
    """Count the calls of `target.name` from now on."""
    calls: list[int] = []
    real: Callable[..., Any] = getattr(target, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(target, name, counted)
    return calls


def _outcome(ledger: Ledger, envelope: signing.Envelope) -> Receipt | LedgerError | DomainError:
    try:
        return ledger.record(envelope.statement, envelope.signature)
    except (LedgerError, DomainError) as refused:
        return refused


# --- signatures verified ahead ---------------------------------------------------------------------


def test_a_noted_signature_is_taken_once_and_only_for_the_same_key_bytes_and_signature(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key, stranger = seeded_key("ahead"), seeded_key("stranger")
    raw = b"\x81\xa1a\x01"
    signature = key.sign(raw)
    verified = VerifiedSignatures()
    assert verified.verify_ahead(key.public_key, raw, signature)
    assert not verified.verify_ahead(stranger.public_key, raw, signature)  # not its key
    assert not verified.verify_ahead(key.public_key, raw + b"\x00", signature)
    assert len(verified) == 1

    real = counting(monkeypatch, signing, "verify")
    with pytest.raises(BadSignature):  # same signature, other bytes: verified, and refused
        verified.verify(key.public_key, raw + b"\x00", signature)
    verified.verify(key.public_key, raw, signature)  # the note: no second verification
    assert len(real) == 1
    assert len(verified) == 0
    verified.verify(key.public_key, raw, signature)  # used up: verified again
    assert len(real) == 2


def test_the_notes_waiting_are_bounded() -> None:
    key = seeded_key("ahead")
    verified = VerifiedSignatures(limit=3)
    for n in range(5):
        raw = bytes([0x81, 0xA1, 0x61, n])
        assert verified.verify_ahead(key.public_key, raw, key.sign(raw))
    assert len(verified) == 3


@pytest.mark.parametrize("database_url", ["memory"], indirect=True)
def test_a_prechecked_statement_is_neither_parsed_nor_verified_again_by_the_writer(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.receive()
    world.later()
    envelope = world.at("29266").envelope(
        "dossier.supplement_requested", CODE, {"reason": "thiếu giấy", "missing": []}
    )
    prechecked = world.ledger.precheck(envelope.statement, envelope.signature)
    assert isinstance(prechecked, Prechecked)
    assert len(world.ledger.verified) == 1

    parses = counting(monkeypatch, world.ledger.__class__, "precheck")
    verifications = counting(monkeypatch, signing, "verify")
    [receipt] = world.ledger.record_many([prechecked])

    assert isinstance(receipt, Receipt)
    assert receipt.seq == 2
    assert not receipt.duplicate
    assert parses == []
    assert verifications == []
    assert len(world.ledger.verified) == 0


@pytest.mark.parametrize("database_url", ["memory"], indirect=True)
def test_a_bad_signature_checked_ahead_is_refused_by_the_writer_as_before(world: World) -> None:
    world.receive()
    world.later()
    envelope = world.at("29266").envelope(
        "dossier.supplement_requested", CODE, {"reason": "thiếu giấy", "missing": []}
    )
    forged = seeded_key("forger").sign(envelope.statement)
    expected = _outcome(world.ledger, signing.Envelope(envelope.statement, forged))

    prechecked = world.ledger.precheck(envelope.statement, forged)
    [refused] = world.ledger.record_many([prechecked])

    assert len(world.ledger.verified) == 0  # nothing noted for a signature that fails
    assert isinstance(refused, BadSignature)
    assert isinstance(expected, BadSignature)
    assert str(refused) == str(expected)
    assert world.ledger.head("dossier", CODE)[0] == 1


# --- no question to the database before each statement ------------------------------------------


@pytest.mark.parametrize("database_url", SHARED, indirect=True)
def test_a_single_writer_asks_nothing_before_each_statement_until_another_writer_shows_up(
    world: World, other: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger, district = world.ledger, world.at("844")
    world.receive()
    dispatched = world.dispatch("29266", "844")
    world.later()
    acknowledged = district.envelope(
        "handover.acknowledged", CODE, {"dispatch": dispatched.digest, "documents": []}
    )
    asked = counting(monkeypatch, ledger.recorder, "max_notification_id")
    ledger.record(acknowledged.statement, acknowledged.signature)
    assert asked == []  # no query to learn whether another writer got in

    world.later()
    requested = district.envelope(
        "dossier.supplement_requested",
        CODE,
        {"reason": "x", "missing": []},
        seq=4,
        prev=signing.statement_hash(acknowledged.statement),
    )
    supplied = district.envelope(
        "dossier.supplement_received",
        CODE,
        {"documents": []},
        seq=5,
        prev=signing.statement_hash(requested.statement),
    )
    # another writer records: this ledger's next save shows it, and the batch after catches up
    Signer(other, seeded_key("cb-29269"), "cb-29269", "29269").record(
        "dossier.received",
        "000.00.02.H59-250303-0001",
        {
            "procedure": "merit-education-preference",
            "version": 1,
            "applicant": bytes(32),
            "channel": "direct",
            "documents": [],
            "appointed": world.clock.now() + 86_400_000_000,
        },
    )
    asked.clear()
    ledger.record(requested.statement, requested.signature)
    assert asked == []
    ledger.record(supplied.statement, supplied.signature)
    assert len(asked) == 1


@pytest.mark.parametrize("database_url", SHARED, indirect=True)
def test_an_officer_moved_through_one_ledger_signs_for_the_new_office_through_the_other(
    world: World, other: Ledger
) -> None:
    commune = world.at("29266")
    world.receive()
    # the other ledger caches the officer, the key and the office as they are now
    world.later()
    envelope = commune.envelope(
        "dossier.supplement_requested", CODE, {"reason": "x", "missing": []}
    )
    other.record(envelope.statement, envelope.signature)
    assert other.dossier(CODE).version == 2  # caught up: nothing tells it of what follows
    world.later()
    world.authority.record(
        "officer.moved",
        commune.officer,
        {"office": "29269", "title": "Công chức một cửa", "effective": world.clock.now()},
    )
    world.later()
    moved = Signer(world.ledger, commune.key, commune.officer, "29269")
    received = moved.envelope(
        "dossier.received",
        "000.00.02.H59-250303-0001",
        {
            "procedure": "merit-education-preference",
            "version": 1,
            "applicant": bytes(32),
            "channel": "direct",
            "documents": [],
            "appointed": world.clock.now() + 86_400_000_000,
        },
    )

    receipt = other.record(received.statement, received.signature)

    assert receipt.seq == 1
    assert not receipt.duplicate
    assert world.ledger.dossier("000.00.02.H59-250303-0001").custodian == "29269"


@pytest.mark.parametrize("database_url", SHARED, indirect=True)
def test_a_statement_recorded_through_one_ledger_is_a_duplicate_through_the_other(
    world: World, other: Ledger
) -> None:
    world.receive()
    assert other.dossier(CODE).version == 1  # cached there, then changed here
    world.later()
    envelope = world.at("29266").envelope(
        "handover.dispatched", CODE, {"to": "844", "purpose": "process", "documents": []}
    )
    first = world.ledger.record(envelope.statement, envelope.signature)

    again = other.record(envelope.statement, envelope.signature)
    [in_a_group] = other.record_many([(envelope.statement, envelope.signature)])

    assert again.duplicate
    assert again.seq == 2
    assert again.digest == first.digest
    assert isinstance(in_a_group, Receipt)
    assert in_a_group.duplicate
    assert other.head("dossier", CODE)[0] == 2


@pytest.mark.parametrize("database_url", SHARED, indirect=True)
def test_a_statement_signed_on_a_head_the_other_ledger_has_not_seen_is_recorded(
    world: World, other: Ledger
) -> None:
    world.receive()
    assert other.dossier(CODE).version == 1
    dispatched = world.dispatch("29266", "844")  # through the first ledger
    world.later()
    envelope = world.at("844").envelope(
        "handover.acknowledged", CODE, {"dispatch": dispatched.digest, "documents": []}
    )
    stale_signed = world.at("29266").envelope(
        "dossier.withdrawn", CODE, {"reason": "rút"}, seq=2, prev=other.dossier(CODE).head
    )

    receipt = other.record(envelope.statement, envelope.signature)
    with pytest.raises(StaleHead):
        other.record(stale_signed.statement, stale_signed.signature)

    assert receipt.seq == 3
    assert world.ledger.dossier(CODE).custodian == "844"


# --- a group's subjects read at once ----------------------------------------------------------------


@pytest.mark.parametrize("database_url", SHARED, indirect=True)
def test_a_group_reads_the_subjects_it_has_not_cached_with_one_query(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    codes = [f"000.00.01.H59-250303-{n:04d}" for n in range(1, 6)]
    for code in codes:
        world.receive(code)
    world.later()
    envelopes = [
        world.at("29266").envelope(
            "handover.dispatched", code, {"to": "844", "purpose": "process", "documents": []}
        )
        for code in codes
    ]
    fresh = Ledger(world.ledger.settings, clock=world.clock)  # nothing cached
    try:
        read: list[Any] = []
        real = fresh.recorder.select_events

        def select_events(originator_id: Any, **kwargs: Any) -> Any:
            read.append(originator_id)
            return real(originator_id, **kwargs)

        monkeypatch.setattr(fresh.recorder, "select_events", select_events)
        at_once = counting(monkeypatch, fresh.recorder, "select_events_of")

        outcomes = fresh.record_many([(e.statement, e.signature) for e in envelopes])

        assert [o.seq for o in outcomes if isinstance(o, Receipt)] == [2] * len(codes)
        assert len(at_once) == 1
        dossiers = {subject_id("dossier", code) for code in codes}
        assert [i for i in read if i in dossiers] == []  # registry subjects are read as before
        assert [fresh.dossier(code).version for code in codes] == [2] * len(codes)
    finally:
        fresh.close()
