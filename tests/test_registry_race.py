"""What a statement's check relied on still holds when it is saved: several servers on one database.

Server A checks a dossier statement against the registry (its key, officer, office …) from its
cache, then saves it. If server B records a change to one of those registry subjects in between —
the key's revocation, the officer's departure — A's save must not go through as if it had come
first: under the store's write lock, in the save's transaction, the registry subjects the check
read are compared with the versions it read; if one changed, nothing is saved and the statement is
checked again, against the registry as it now is.

The race is interleaved by hand, with no threads: B's statement is recorded inside A's call to
`save`, after A's checks and before its events reach the store. Two Ledger objects on one SQLite
file or one PostgreSQL schema (as two server processes would be), and one ledger on every backend
(a second thread of one process).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from domain.errors import KeyRevoked, OfficerNotInOffice
from ledger.application import RECHECKS, Ledger
from ledger.errors import StaleHead
from ledger.statements.authoring import Signer
from tests.world import CODE, World

SHARED = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
OTHER = "000.00.01.H59-250303-0002"


@pytest.fixture
def server_a(world: World) -> Iterator[Ledger]:
    """Another ledger on the world's database and clock: server A, the world's ledger being B."""
    ledger = Ledger(world.ledger.settings, clock=world.clock)
    yield ledger
    ledger.close()


def on(ledger: Ledger, signer: Signer) -> Signer:
    return Signer(ledger, signer.key, signer.officer, signer.office)


def before_the_save(
    monkeypatch: pytest.MonkeyPatch,
    ledger: Ledger,
    meanwhile: Callable[[], object],
    times: int = 1,
) -> list[int]:
    """Run `meanwhile` inside `ledger`'s next `times` saves: after the checks, before the store
    (not inside the saves `meanwhile` makes itself). Returns the saves seen (one item each)."""
    original = ledger.save
    saves: list[int] = []
    busy: list[bool] = []

    def save(*aggregates: Any, **kwargs: Any) -> Any:
        if busy:  # meanwhile's own save
            return original(*aggregates, **kwargs)
        saves.append(len(aggregates))
        if len(saves) <= times:
            busy.append(True)
            try:
                meanwhile()
            finally:
                busy.clear()
        return original(*aggregates, **kwargs)

    monkeypatch.setattr(ledger, "save", save)
    return saves


def revoke(world: World, office: str) -> Callable[[], object]:
    key_id = world.at(office).key.key_id
    return lambda: world.authority.record(
        "key.revoked", key_id, {"reason": "Mất thiết bị", "effective": world.clock.now()}
    )


def supplement_requested(signer: Signer) -> Any:
    return signer.envelope(
        "dossier.supplement_requested", CODE, {"reason": "thiếu giấy", "missing": []}
    )


@pytest.mark.parametrize("database_url", SHARED, indirect=True)
def test_refuses_a_statement_whose_key_another_server_revoked_between_its_check_and_its_save(
    world: World, server_a: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    commune = on(server_a, world.at("29266"))
    world.receive()  # through B
    world.later()
    commune.record("dossier.supplement_requested", CODE, {"reason": "thiếu", "missing": []})
    world.later()  # A has the key cached, as read for that statement
    size = world.ledger.log_size()
    saves = before_the_save(monkeypatch, server_a, revoke(world, "29266"))

    with pytest.raises(KeyRevoked, match="nothing signed with it is accepted any more"):
        commune.record("dossier.supplement_received", CODE, {"documents": []})

    assert saves == [1]  # saved once, rolled back, checked again and refused
    assert server_a.head("dossier", CODE)[0] == world.ledger.head("dossier", CODE)[0] == 2
    assert world.ledger.log_size() == server_a.log_size() == size + 1  # the revocation alone


@pytest.mark.parametrize("database_url", SHARED, indirect=True)
def test_refuses_a_whole_batch_whose_key_another_server_revoked_before_it_was_saved(
    world: World, server_a: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    commune = on(server_a, world.at("29266"))
    world.receive()
    world.receive(OTHER)
    world.later()
    first = commune.envelope("dossier.supplement_requested", CODE, {"reason": "x", "missing": []})
    second = commune.envelope("dossier.supplement_requested", OTHER, {"reason": "y", "missing": []})
    size = world.ledger.log_size()
    before_the_save(monkeypatch, server_a, revoke(world, "29266"))

    outcomes = server_a.record_many(
        [(first.statement, first.signature), (second.statement, second.signature)]
    )

    assert [type(outcome) for outcome in outcomes] == [KeyRevoked, KeyRevoked]
    assert world.ledger.head("dossier", CODE)[0] == world.ledger.head("dossier", OTHER)[0] == 1
    assert world.ledger.log_size() == size + 1


@pytest.mark.parametrize("database_url", SHARED, indirect=True)
def test_refuses_a_statement_whose_officer_left_through_another_server_before_it_was_saved(
    world: World, server_a: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    commune = on(server_a, world.at("29266"))
    world.receive()
    world.later()
    officer = commune.officer
    before_the_save(
        monkeypatch,
        server_a,
        lambda: world.authority.record("officer.left", officer, {"effective": world.clock.now()}),
    )

    with pytest.raises(OfficerNotInOffice, match="in no office"):
        commune.record("dossier.supplement_requested", CODE, {"reason": "thiếu", "missing": []})

    assert world.ledger.head("dossier", CODE)[0] == 1


@pytest.mark.parametrize("database_url", SHARED, indirect=True)
def test_records_a_statement_when_what_changed_meanwhile_is_not_what_its_check_read(
    world: World, server_a: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    commune = on(server_a, world.at("29266"))
    world.receive()
    world.later()
    saves = before_the_save(monkeypatch, server_a, revoke(world, "845"))  # another office's key

    receipt = commune.record("dossier.supplement_requested", CODE, {"reason": "x", "missing": []})

    assert saves == [1]  # no second check: the key, officer and office it read did not change
    assert receipt.seq == 2
    assert world.ledger.head("dossier", CODE)[0] == 2


def test_refuses_a_statement_whose_key_another_thread_revoked_before_it_was_saved(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One ledger, every backend: the same rule when both statements go through one process."""
    world.receive()
    world.later()
    size = world.ledger.log_size()
    supplement = supplement_requested(world.at("29266"))
    before_the_save(monkeypatch, world.ledger, revoke(world, "29266"))

    with pytest.raises(KeyRevoked):
        world.ledger.record(supplement.statement, supplement.signature)

    assert world.ledger.head("dossier", CODE)[0] == 1
    assert world.ledger.log_size() == size + 1


def test_answers_a_conflict_when_the_registry_keeps_changing_under_a_statement(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The statement's office renamed before each of its saves: checked again each time, then
    a conflict to send it again, nothing recorded — never recorded on a check already outdated."""
    world.receive()
    world.later()
    supplement = supplement_requested(world.at("29266"))
    names = iter(f"Thị trấn Càng Long ({n})" for n in range(RECHECKS))
    saves = before_the_save(
        monkeypatch,
        world.ledger,
        lambda: world.authority.record(
            "office.renamed", "29266", {"name": next(names), "effective": "2025-03-03"}
        ),
        times=RECHECKS,
    )

    with pytest.raises(StaleHead, match="changed 3 times while it was being recorded") as refused:
        world.ledger.record(supplement.statement, supplement.signature)

    assert len(saves) == RECHECKS
    assert (refused.value.subject, refused.value.seq) == (CODE, 1)
    assert world.ledger.head("dossier", CODE)[0] == 1
    assert len(world.ledger.office("29266").names) == 1 + RECHECKS  # each rename recorded
