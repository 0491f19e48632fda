"""Two ledger objects on one database (as two server processes would be): each sees what the
other recorded before it decides, though it reads registry and dossiers from its own cache."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from domain.errors import KeyRevoked, NotCustodian
from ledger.application import Ledger
from ledger.statements.authoring import Signer
from tests.world import CODE, World

SHARED = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture
def other(world: World) -> Iterator[Ledger]:
    """A second ledger on the same database and clock, its cache warmed on the world's subjects."""
    ledger = Ledger(world.ledger.settings, clock=world.clock)
    yield ledger
    ledger.close()


def _as(other: Ledger, signer: Signer) -> Signer:
    return Signer(other, signer.key, signer.officer, signer.office)


@pytest.mark.parametrize("database_url", SHARED, indirect=True)
def test_a_key_revoked_through_one_ledger_is_refused_by_the_other(
    world: World, other: Ledger
) -> None:
    commune = _as(other, world.at("29266"))
    world.receive()
    world.later()
    commune.record("dossier.supplement_requested", CODE, {"reason": "thiếu giấy", "missing": []})
    world.authority.record(
        "key.revoked", commune.key.key_id, {"reason": "máy bị mất", "effective": world.clock.now()}
    )
    world.later()

    with pytest.raises(KeyRevoked):
        commune.record("dossier.supplement_received", CODE, {"documents": []})
    assert other.head("dossier", CODE)[0] == 2


@pytest.mark.parametrize("database_url", SHARED, indirect=True)
def test_custody_moved_through_one_ledger_is_respected_by_the_other(
    world: World, other: Ledger
) -> None:
    world.receive()
    assert other.dossier(CODE).custodian == "29266"  # cached in the other ledger
    world.hand_over("29266", "844")

    assert other.dossier(CODE).custodian == "844"
    world.later()
    with pytest.raises(NotCustodian):
        _as(other, world.at("29266")).record(
            "dossier.withdrawn", CODE, {"reason": "người nộp rút hồ sơ"}
        )
    _as(other, world.at("844")).record("dossier.withdrawn", CODE, {"reason": "người nộp rút"})
    assert world.ledger.dossier(CODE).closed == "withdrawn"


def test_objects_read_from_the_ledger_are_copies(world: World) -> None:
    world.receive()
    world.ledger.dossier(CODE).custodian = "somewhere else"

    assert world.ledger.dossier(CODE).custodian == "29266"
