"""The first revocation data of a CA, recorded by another server between a certificate
statement's check and its save: the check relied on there being none, so the save does not go
through as if it had come first — the statement is checked again and refused. SQLite and
PostgreSQL, two ledgers on one database (as two server processes)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, timedelta
from pathlib import Path

import pytest

from domain.instant import to_datetime
from ledger.application import Ledger
from ledger.errors import CertificateRevoked
from ledger.statements.authoring import Signer, record_revocation
from tests.pki import Hierarchy
from tests.test_certificates import COMMUNE, COMMUNE_NAME, enrol_certificate, receive
from tests.test_registry_race import SHARED, before_the_save
from tests.world import World


@pytest.fixture
def hierarchy() -> Hierarchy:
    return Hierarchy.build()


@pytest.fixture
def world(database_url: str, tmp_path: Path, hierarchy: Hierarchy) -> World:
    return World.build(database_url, trust_anchors=str(hierarchy.anchors(tmp_path / "anchors")))


@pytest.fixture
def server_a(world: World) -> Iterator[Ledger]:
    ledger = Ledger(world.ledger.settings, clock=world.clock)
    yield ledger
    ledger.close()


@pytest.mark.parametrize("database_url", SHARED, indirect=True)
def test_the_first_crl_of_a_ca_recorded_meanwhile_refuses_the_statement_it_revokes(
    world: World, server_a: Ledger, hierarchy: Hierarchy, monkeypatch: pytest.MonkeyPatch
) -> None:
    issued = hierarchy.issue("cb-cert", office=COMMUNE_NAME)
    signer = enrol_certificate(world, hierarchy, "cb-cert", COMMUNE, issued)
    world.later()
    on_a = Signer(server_a, signer.key, signer.officer, signer.office)
    revoked = to_datetime(world.clock.now(), UTC) - timedelta(hours=1)
    crl = hierarchy.crl([(issued, revoked)], this_update=revoked)
    size = world.ledger.log_size()
    saves = before_the_save(
        monkeypatch, server_a, lambda: record_revocation(world.authority, "crl", crl)
    )

    with pytest.raises(CertificateRevoked):
        receive(world, on_a)

    assert saves == [1]  # saved once, rolled back, checked again and refused
    assert world.ledger.log_size() == size + 1  # the revocation alone
