"""Bundles of dossiers handled by officers with official-duty certificates: they carry the chains
and the revocation data the certificate entries need, and verify offline against the trust
anchors the verifier gives — no database, no server. Runs on memory, SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import UTC
from pathlib import Path

import pytest

from domain.instant import to_datetime
from ledger.log.bundle import Bundle, SideObject, export, verify_bundle
from ledger.log.tlog import LogKey
from ledger.statements.authoring import record_revocation
from tests.pki import Hierarchy
from tests.test_certificates import COMMUNE, COMMUNE_NAME, DISTRICT, enrol_certificate, receive
from tests.world import CODE, World

LOG_KEY = LogKey.from_seed("test.lienthong.example/log", hashlib.sha256(b"test-log-key").digest())


@pytest.fixture
def hierarchy() -> Hierarchy:
    return Hierarchy.build()


@pytest.fixture
def anchors(tmp_path: Path, hierarchy: Hierarchy) -> Path:
    return hierarchy.anchors(tmp_path / "anchors")


@pytest.fixture
def world(database_url: str, anchors: Path, hierarchy: Hierarchy) -> World:
    world = World.build(database_url, trust_anchors=str(anchors))
    issued = hierarchy.issue("cb-cert", office=COMMUNE_NAME)
    world.officers[COMMUNE] = enrol_certificate(world, hierarchy, "cb-cert", COMMUNE, issued)
    # a CRL of the CA is recorded (it revokes someone else): the bundle must carry it
    other = hierarchy.issue("someone-else", office=COMMUNE_NAME)
    when = to_datetime(world.clock.now(), UTC)
    record_revocation(world.authority, "crl", hierarchy.crl([(other, when)], this_update=when))
    world.later()
    receive(world, world.officers[COMMUNE])
    world.acknowledge(DISTRICT, world.dispatch(COMMUNE, DISTRICT))
    world.ledger.issue_checkpoint(LOG_KEY)
    return world


def test_a_bundle_with_certificate_entries_carries_its_chain_and_verifies_offline(
    world: World, anchors: Path
) -> None:
    bundle = export(world.ledger, CODE)
    kinds = sorted(item.kind for item in bundle.pki)
    assert kinds == ["certificate", "certificate", "crl"]
    assert any(
        b'"revocation.recorded"' in e.statement or b"revocation.recorded" in e.statement
        for e in bundle.entries
    )
    report = verify_bundle(bundle.encode(), LOG_KEY.verifier, anchors=str(anchors))
    assert report.ok, report.problems
    assert report.entries == len(bundle.entries)


def test_without_trust_anchors_the_certificate_entries_are_not_taken_on_trust(
    world: World,
) -> None:
    report = verify_bundle(export(world.ledger, CODE).encode(), LOG_KEY.verifier)
    assert not report.ok
    assert "trusted root certificates" in report.problems[0]


def test_a_verifier_who_trusts_other_roots_is_told_the_chain_reaches_none_of_them(
    world: World, tmp_path: Path
) -> None:
    other = Hierarchy.build(label="Khác").anchors(tmp_path / "other")
    report = verify_bundle(export(world.ledger, CODE).encode(), LOG_KEY.verifier, anchors=str(other))
    assert not report.ok
    assert any("trust anchors" in problem for problem in report.problems)


def test_a_certificate_swapped_in_the_bundle_is_found(
    world: World, anchors: Path, hierarchy: Hierarchy
) -> None:
    bundle = export(world.ledger, CODE)
    stranger = hierarchy.issue("stranger", office=COMMUNE_NAME)
    swapped = tuple(
        SideObject("certificate", stranger.der) if index == 0 else item
        for index, item in enumerate(bundle.pki)
    )
    forged = Bundle(bundle.dossier, bundle.checkpoint, bundle.entries, swapped, bundle.timestamps)
    report = verify_bundle(forged.encode(), LOG_KEY.verifier, anchors=str(anchors))
    assert not report.ok
    assert any("not kept" in problem for problem in report.problems)


def test_a_bundle_of_ed25519_entries_alone_has_no_side_data(database_url: str) -> None:
    world = World.build(database_url)
    world.receive()
    world.ledger.issue_checkpoint(LOG_KEY)
    bundle = export(world.ledger, CODE)
    assert bundle.pki == ()
    assert bundle.timestamps == ()
    assert b"pki" not in bundle.encode()
    assert verify_bundle(bundle.encode(), LOG_KEY.verifier).ok


def test_a_bundle_for_the_public_withholds_officers_certificates_and_says_what_it_checked(
    world: World, anchors: Path
) -> None:
    full = export(world.ledger, CODE)
    public = export(world.ledger, CODE, certificates_of_officers=False)
    leaves = {item.der for item in full.pki if item.kind == "certificate"}
    assert public.pki == ()  # no certificate, no revocation data: nothing to check a chain with
    assert len(public.withheld) == 1
    assert not any(der in public.encode() for der in leaves)  # the holder's name is not in it
    assert not any(b"revocation.recorded" in e.statement for e in public.entries)
    report = verify_bundle(public.encode(), LOG_KEY.verifier)  # no anchors needed
    assert report.ok, report.problems
    assert report.withheld_chains == 2  # the receipt and the dispatch
    assert verify_bundle(full.encode(), LOG_KEY.verifier, anchors=str(anchors)).withheld_chains == 0


def test_a_public_bundle_still_refuses_a_signature_that_does_not_verify(world: World) -> None:
    public = export(world.ledger, CODE, certificates_of_officers=False)
    last = public.entries[-1]
    forged = bytearray(last.signature)
    forged[5] ^= 0x01
    from dataclasses import replace

    changed = replace(public, entries=(*public.entries[:-1], replace(last, signature=bytes(forged))))
    report = verify_bundle(changed.encode(), LOG_KEY.verifier)
    assert not report.ok


def test_revocation_data_a_registrar_recorded_comes_with_the_registrar_who_signed_it(
    database_url: str, anchors: Path, hierarchy: Hierarchy
) -> None:
    world = World.build(database_url, trust_anchors=str(anchors))
    registrar = world.enrol("dang-ky-84", "84", role="registrar")
    issued = hierarchy.issue("cb-cert", office=COMMUNE_NAME)
    world.officers[COMMUNE] = enrol_certificate(world, hierarchy, "cb-cert", COMMUNE, issued)
    when = to_datetime(world.clock.now(), UTC)
    record_revocation(registrar, "crl", hierarchy.crl([], this_update=when))
    world.later()
    receive(world, world.officers[COMMUNE])
    world.ledger.issue_checkpoint(LOG_KEY)
    bundle = export(world.ledger, CODE)
    report = verify_bundle(bundle.encode(), LOG_KEY.verifier, anchors=str(anchors))
    assert report.ok, report.problems
    assert any(b"dang-ky-84" in e.statement and b"key.registered" in e.statement for e in bundle.entries)
