"""Group commit: `Ledger.record_many` gives each envelope what `record` would have given had they
been recorded one after another, and saves a batch's dossier statements in one transaction (each
subject's statements together), each leaf where the store inserts its event. Every test runs on
memory, SQLite and PostgreSQL.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest

from domain.errors import DomainError, KeyRevoked, UnknownDossier
from ledger.application import Ledger, Outcome, Receipt
from ledger.config import LedgerSettings
from ledger.errors import BadSignature, LedgerError, MalformedStatement, StaleHead
from ledger.log import merkle, tlog
from ledger.log.access import Checkpointer
from ledger.log.audit import audit
from ledger.log.tlog import LogKey
from ledger.statements.signing import Envelope
from tests.world import CODE, DAY, PROCEDURE, World, document

LOG_KEY = LogKey.from_seed("test.lienthong.example/log", hashlib.sha256(b"group-log").digest())


# --- helpers -------------------------------------------------------------------------------


def codes(count: int) -> list[str]:
    return [f"{CODE}-{index}" for index in range(count)]


def in_transit(world: World, count: int) -> dict[str, Receipt]:
    """`count` dossiers received at 29266 and dispatched to 844: code → the dispatch receipt."""
    dispatches = {}
    for code in codes(count):
        world.receive(code)
        dispatches[code] = world.dispatch("29266", "844", code)
    world.later()
    return dispatches


def acknowledgement(world: World, code: str, dispatch: bytes, **head: Any) -> Envelope:
    body = {"dispatch": dispatch, "documents": [document("Đơn đề nghị")]}
    return world.at("844").envelope("handover.acknowledged", code, body, **head)


def received(world: World, code: str) -> Envelope:
    return world.at("29266").envelope(
        "dossier.received",
        code,
        {
            "procedure": PROCEDURE,
            "version": 1,
            "applicant": hashlib.sha256(b"salt|a").digest(),
            "channel": "direct",
            "documents": [document("Đơn đề nghị")],
            "appointed": world.clock.now() + 20 * DAY,
        },
    )


def pairs(*envelopes: Envelope) -> list[tuple[bytes, bytes]]:
    return [(envelope.statement, envelope.signature) for envelope in envelopes]


def digest(envelope: Envelope) -> bytes:
    return hashlib.sha256(envelope.statement).digest()


def flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 1]) + data[index + 1 :]


def count_saves(ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of leaves of each save the ledger makes from now on."""
    saves: list[int] = []
    save = ledger.save

    def counted(*objs: Any, **kwargs: Any) -> Any:
        saves.append(len(kwargs["leaves"]))
        return save(*objs, **kwargs)

    monkeypatch.setattr(ledger, "save", counted)
    return saves


def log_entries(ledger: Ledger, after: int) -> list[tuple[int, Any]]:
    """(notification id, stored event) of the entries after log position `after`."""
    return list(ledger.read_log())[after:]


def assert_log_sound(ledger: Ledger) -> None:
    """The audit passes, and every entry's inclusion proof holds at the current size."""
    report = audit(ledger, workers=1)
    assert report.findings == []
    size, root = ledger.log_size(), ledger.root()
    for index, (_, event) in enumerate(ledger.read_log()):
        leaf = tlog.entry_leaf_hash(event.raw, event.signature, event.recorded_at)
        merkle.verify_inclusion(leaf, index, size, ledger.inclusion_proof(index), root)


def leaf_of(ledger: Ledger, receipt: Receipt) -> int:
    return ledger.leaf_index("dossier", receipt.subject, receipt.seq)


# --- one transaction -----------------------------------------------------------------------


def test_a_batch_of_acknowledgements_is_saved_in_one_transaction_with_leaves_in_input_order(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    dispatches = in_transit(world, 6)
    envelopes = [acknowledgement(world, code, d.digest) for code, d in dispatches.items()]
    size = world.ledger.log_size()
    saves = count_saves(world.ledger, monkeypatch)
    reads: list[int] = []
    now = world.clock.now

    def read() -> int:
        reads.append(now())
        return reads[-1]

    monkeypatch.setattr(world.clock, "now", read)

    results = world.ledger.record_many(pairs(*envelopes))

    assert saves == [6]
    assert len(reads) == 1  # one clock reading for the whole batch
    assert all(isinstance(result, Receipt) for result in results)
    receipts = [result for result in results if isinstance(result, Receipt)]
    assert [(r.subject, r.seq, r.digest, r.duplicate) for r in receipts] == [
        (code, 3, digest(envelope), False)
        for code, envelope in zip(dispatches, envelopes, strict=True)
    ]
    assert {r.recorded_at for r in receipts} == {now()}
    assert [leaf_of(world.ledger, r) for r in receipts] == list(range(size, size + 6))
    entries = log_entries(world.ledger, size)
    ids = [notification_id for notification_id, _ in entries]
    assert ids == list(range(ids[0], ids[0] + 6))  # consecutive: one insert, nothing between
    assert [event.raw for _, event in entries] == [e.statement for e in envelopes]
    assert_log_sound(world.ledger)


def test_record_many_of_nothing_saves_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    saves = count_saves(world.ledger, monkeypatch)

    assert world.ledger.record_many([]) == []
    assert saves == []


# --- refusals -------------------------------------------------------------------------------


def test_a_refused_statement_in_a_batch_is_returned_in_its_place_and_the_others_are_recorded(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    dispatches = in_transit(world, 4)
    (a, da), (b, db), (c, dc), (d, dd) = dispatches.items()
    first_of_c = hashlib.sha256(world.ledger.history("dossier", c)[0].raw).digest()
    stale = acknowledgement(world, c, dc.digest, seq=2, prev=first_of_c)
    unknown = acknowledgement(world, "000.00.01.H59-250303-9999", da.digest)
    bad = acknowledgement(world, b, db.digest)
    envelopes = [
        (acknowledgement(world, a, da.digest), Receipt),
        (Envelope(bad.statement, flip(bad.signature, 7)), BadSignature),
        (stale, StaleHead),
        (Envelope(b"\x81\xa1v\x01", bytes(64)), MalformedStatement),
        (unknown, UnknownDossier),
        (acknowledgement(world, d, dd.digest), Receipt),
    ]
    heads = {code: world.ledger.head("dossier", code) for code in dispatches}
    size = world.ledger.log_size()
    saves = count_saves(world.ledger, monkeypatch)

    results = world.ledger.record_many(pairs(*(envelope for envelope, _ in envelopes)))

    assert len(results) == len(envelopes)
    for result, (_, kind) in zip(results, envelopes, strict=True):
        assert isinstance(result, kind), f"expected {kind.__name__}, got {result!r}"
    assert isinstance(results[2], StaleHead)
    assert (results[2].seq, results[2].head) == heads[c]
    assert saves == [2]
    assert world.ledger.log_size() == size + 2
    assert world.ledger.head("dossier", b) == heads[b]
    assert world.ledger.head("dossier", c) == heads[c]
    assert world.ledger.history("dossier", "000.00.01.H59-250303-9999") == []
    assert [world.ledger.head("dossier", code)[0] for code in (a, d)] == [3, 3]
    assert_log_sound(world.ledger)


def test_a_refused_statement_leaves_the_batch_s_own_version_of_its_dossier_unchanged(
    world: World,
) -> None:
    dispatches = in_transit(world, 1)
    ((code, dispatch),) = dispatches.items()
    wrong_office = world.at("845").envelope(
        "handover.acknowledged", code, {"dispatch": dispatch.digest, "documents": []}
    )
    right = acknowledgement(world, code, dispatch.digest)

    results = world.ledger.record_many(pairs(wrong_office, right, right))

    assert isinstance(results[0], DomainError)
    assert isinstance(results[1], Receipt)
    assert isinstance(results[2], Receipt)
    assert (results[1].duplicate, results[2].duplicate) == (False, True)
    assert world.ledger.dossier(code).custodian == "844"


# --- chains and duplicates ------------------------------------------------------------------


def test_statements_on_one_dossier_in_one_batch_chain_and_are_logged_together_in_order(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    ((other, other_dispatch),) = in_transit(world, 1).items()
    first = received(world, CODE)
    sent = world.at("29266").envelope(
        "handover.dispatched",
        CODE,
        {
            "to": "844",
            "purpose": "process",
            "documents": [document("Đơn đề nghị")],
        },
        seq=2,
        prev=digest(first),
    )
    taken = acknowledgement(world, CODE, digest(sent), seq=3, prev=digest(sent))
    between = acknowledgement(world, other, other_dispatch.digest)
    size = world.ledger.log_size()
    saves = count_saves(world.ledger, monkeypatch)

    results = world.ledger.record_many(pairs(first, between, sent, taken))

    receipts = [result for result in results if isinstance(result, Receipt)]
    assert len(receipts) == 4
    assert [(r.subject, r.seq) for r in receipts] == [(CODE, 1), (other, 3), (CODE, 2), (CODE, 3)]
    assert saves == [4]
    assert world.ledger.head("dossier", CODE) == (3, digest(taken))
    assert world.ledger.dossier(CODE).custodian == "844"
    # the log takes a batch subject by subject, in the order of each one's first statement
    assert [leaf_of(world.ledger, r) for r in receipts] == [size, size + 3, size + 1, size + 2]
    assert [r.leaf_index for r in receipts] == [size, size + 3, size + 1, size + 2]  # no query
    assert [event.raw for _, event in log_entries(world.ledger, size)] == [
        first.statement,
        sent.statement,
        taken.statement,
        between.statement,
    ]
    assert_log_sound(world.ledger)


def test_the_same_envelope_twice_in_a_batch_is_recorded_once_and_the_second_is_a_duplicate(
    world: World,
) -> None:
    before = received(world, CODE)
    stored = world.ledger.record(before.statement, before.signature)
    world.later()
    envelope = received(world, f"{CODE}-new")
    size = world.ledger.log_size()

    results = world.ledger.record_many(pairs(envelope, envelope, before))

    first, second, third = results
    assert isinstance(first, Receipt)
    assert isinstance(second, Receipt)
    assert (first.duplicate, second.duplicate) == (False, True)
    assert (second.digest, second.seq, second.recorded_at) == (
        first.digest,
        first.seq,
        first.recorded_at,
    )
    assert third == Receipt(
        stored.kind, stored.subject, stored.seq, stored.digest, stored.recorded_at, duplicate=True
    )
    assert world.ledger.log_size() == size + 1


# --- registry statements --------------------------------------------------------------------


def test_a_registry_statement_is_recorded_alone_and_binds_the_statements_after_it(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    (a, da), (b, db) = in_transit(world, 2).items()
    key = world.at("844").key.key_id
    revoked = world.authority.envelope(
        "key.revoked", key, {"reason": "máy bị mất", "effective": world.clock.now()}
    )
    before, after = acknowledgement(world, a, da.digest), acknowledgement(world, b, db.digest)
    size = world.ledger.log_size()
    saves = count_saves(world.ledger, monkeypatch)

    results = world.ledger.record_many(pairs(before, revoked, after))

    assert [type(result) for result in results] == [Receipt, Receipt, KeyRevoked]
    assert saves == [1, 1]
    assert [event.raw for _, event in log_entries(world.ledger, size)] == [
        before.statement,
        revoked.statement,
    ]
    assert world.ledger.head("dossier", b)[0] == 2
    assert_log_sound(world.ledger)


# --- another writer in between --------------------------------------------------------------


@pytest.fixture
def rival(world: World) -> Iterator[Ledger]:
    """Another writer on the same store: a second Ledger on a database, the same one in memory."""
    url = world.ledger.settings.database_url
    if url == "memory:":
        yield world.ledger
        return
    other = Ledger(LedgerSettings(database_url=url), clock=world.clock)
    yield other
    other.close()


def test_a_batch_overtaken_before_its_save_is_recorded_again_one_by_one(
    world: World, rival: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    (a, da), (b, db), (c, dc) = in_transit(world, 3).items()
    batch = [acknowledgement(world, code, d.digest) for code, d in ((a, da), (b, db), (c, dc))]
    theirs = world.at("844").envelope(
        "handover.acknowledged", b, {"dispatch": db.digest, "documents": []}
    )  # on the same head, other bytes
    save = world.ledger.save
    saves: list[int] = []
    rivalled: list[bool] = []

    def overtaken(*objs: Any, **kwargs: Any) -> Any:
        if not rivalled:  # after every check of the batch, just before its save
            rivalled.append(True)
            rival.record(theirs.statement, theirs.signature)
        saves.append(len(kwargs["leaves"]))
        return save(*objs, **kwargs)

    monkeypatch.setattr(world.ledger, "save", overtaken)
    results = world.ledger.record_many(pairs(*batch))

    # the batch, which failed, then a and c alone (in memory the rival's save comes first)
    assert saves[-3:] == [3, 1, 1]
    assert [type(result) for result in results] == [Receipt, StaleHead, Receipt]
    conflict = results[1]
    assert isinstance(conflict, StaleHead)
    assert (conflict.subject, conflict.seq, conflict.head) == (b, 3, digest(theirs))
    assert world.ledger.head("dossier", b) == (3, digest(theirs))
    assert [world.ledger.head("dossier", code)[0] for code in (a, c)] == [3, 3]
    assert_log_sound(world.ledger)


# --- the same outcomes as record, one after another ----------------------------------------


def mixed(world: World) -> list[tuple[bytes, bytes]]:
    """Sets up dossiers on `world`, then returns a batch mixing every kind of outcome."""
    (a, da), (b, db) = in_transit(world, 2).items()
    first = received(world, CODE)
    officer_key = world.at("29269").key.key_id
    stale = acknowledgement(world, b, db.digest, seq=9, prev=bytes(32))
    return pairs(
        acknowledgement(world, a, da.digest),
        first,
        stale,
        first,
        world.authority.envelope(
            "key.revoked", officer_key, {"reason": "nghỉ việc", "effective": world.clock.now()}
        ),
        world.at("29269").envelope(
            "dossier.received",
            f"{CODE}-x",
            {
                "procedure": PROCEDURE,
                "version": 1,
                "applicant": bytes(32),
                "channel": "direct",
                "documents": [],
                "appointed": world.clock.now() + DAY,
            },
        ),
        acknowledgement(world, a, da.digest),
        acknowledgement(world, b, db.digest),
    )


def describe(outcome: Outcome) -> tuple[Any, ...]:
    if isinstance(outcome, Receipt):
        return ("receipt", outcome)
    return (type(outcome).__name__, str(outcome))


def test_record_many_gives_each_envelope_what_record_gives_it_one_after_another(
    world: World,
) -> None:
    alone = World.build("memory:")
    try:
        envelopes = mixed(world)
        assert mixed(alone) == envelopes  # same seeds, same clock: the same bytes

        batched = [describe(outcome) for outcome in world.ledger.record_many(envelopes)]
        one_by_one = []
        for raw, signature in envelopes:
            try:
                one_by_one.append(describe(alone.ledger.record(raw, signature)))
            except (LedgerError, DomainError) as refused:
                one_by_one.append(describe(refused))

        assert batched == one_by_one
        assert [kind for kind, *_ in batched].count("receipt") == 6
        assert world.ledger.root() == alone.ledger.root()  # the same log, entry for entry
    finally:
        alone.ledger.close()


# --- checkpoints ----------------------------------------------------------------------------


def test_a_receipt_from_record_names_its_log_position_and_a_duplicate_s_does_not(
    world: World,
) -> None:
    envelope = received(world, CODE)
    receipt = world.ledger.record(envelope.statement, envelope.signature)
    again = world.ledger.record(envelope.statement, envelope.signature)

    assert receipt.leaf_index == leaf_of(world.ledger, receipt) == world.ledger.log_size() - 1
    assert again.duplicate
    assert again.leaf_index is None


def test_the_checkpointer_counts_every_entry_of_a_batch(world: World) -> None:
    dispatches = in_transit(world, 5)
    world.ledger.checkpointer = Checkpointer(world.ledger, LOG_KEY, 4, 3600)
    envelopes = [acknowledgement(world, code, d.digest) for code, d in dispatches.items()]

    world.ledger.record_many(pairs(*envelopes[:3]))
    assert world.ledger.checkpoint() is None
    world.ledger.record_many(pairs(*envelopes[3:]))

    issued = world.ledger.checkpoint()
    assert issued is not None
    assert issued.size == world.ledger.log_size()
