"""LIENTHONG_REVOCATION_REQUIRED: a deployment may accept a certificate signature only when the
revocation data it recorded speaks for every certificate of the chain at the statement's time (a
CRL of the issuer, or an OCSP response for the certificate, between thisUpdate and nextUpdate).
Without it the data recorded is applied and no data means not revoked. The audit and the bundle
apply the same rule. Runs on memory, SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, timedelta
from pathlib import Path

import pytest

from domain.instant import to_datetime
from ledger.config import LedgerSettings
from ledger.errors import RevocationUnknown
from ledger.log.audit import audit
from ledger.log.bundle import export, verify_bundle
from ledger.log.tlog import LogKey
from ledger.statements.authoring import record_revocation, register_certificate_key
from tests.pki import Hierarchy, Issued
from tests.test_certificates import (
    COMMUNE,
    COMMUNE_NAME,
    enrol_certificate,
    log_size,
    receive,
    refused,
)
from tests.world import CODE, World

LOG_KEY = LogKey.from_seed("test.lienthong.example/log", hashlib.sha256(b"test-log-key").digest())
SECOND = "000.00.01.H59-250303-0002"


@pytest.fixture
def hierarchy() -> Hierarchy:
    return Hierarchy.build()


@pytest.fixture
def world(database_url: str, tmp_path: Path, hierarchy: Hierarchy) -> World:
    anchors = hierarchy.anchors(tmp_path / "anchors")
    return World.build(database_url, trust_anchors=str(anchors), revocation_required=True)


def record_crls(world: World, hierarchy: Hierarchy, days: int = 7) -> None:
    """Fresh CRLs of the subordinate CA and of the root, from now for `days` (the CA's
    certificate kept beside the log first: no enrolment has named it yet)."""
    world.ledger.keep_pki("certificate", hierarchy.ca.der)
    now = to_datetime(world.clock.now(), UTC)
    record_revocation(
        world.authority, "crl", hierarchy.crl([], this_update=now, next_update=now + timedelta(days=days))
    )
    record_revocation(world.authority, "crl", root_crl(hierarchy, now, days))


def root_crl(hierarchy: Hierarchy, now: object, days: int) -> bytes:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization

    assert hasattr(now, "year")
    return (
        x509.CertificateRevocationListBuilder()
        .issuer_name(hierarchy.root.certificate.subject)
        .last_update(now)  # type: ignore[arg-type]
        .next_update(now + timedelta(days=days))  # type: ignore[operator]
        .sign(hierarchy.root.private, hashes.SHA256())
        .public_bytes(serialization.Encoding.DER)
    )


def enrolling(world: World, hierarchy: Hierarchy, issued: Issued) -> Callable[[], object]:
    """The officer enrolled in the commune; what registers the certificate key, to be run."""
    world.authority.record(
        "officer.enrolled",
        "cb-cert",
        {"office": COMMUNE, "title": "Công chức một cửa", "effective": world.clock.now()},
    )
    return lambda: register_certificate_key(world.authority, "cb-cert", hierarchy.chain(issued))


def test_without_revocation_data_a_certificate_is_refused_by_name(
    world: World, hierarchy: Hierarchy
) -> None:
    issued = hierarchy.issue("cb-cert", office=COMMUNE_NAME)
    problem = refused(world, RevocationUnknown, enrolling(world, hierarchy, issued))
    assert "requires revocation data" in str(problem)


def test_with_fresh_crls_it_signs_and_once_they_are_stale_it_is_refused(
    world: World, hierarchy: Hierarchy
) -> None:
    issued = hierarchy.issue("cb-cert", office=COMMUNE_NAME)
    record_crls(world, hierarchy, days=2)
    signer = enrol_certificate(world, hierarchy, "cb-cert", COMMUNE, issued)
    receive(world, signer)
    world.later(24 * 3)  # past the CRLs' next update
    refused(world, RevocationUnknown, lambda: receive(world, signer, SECOND))
    record_crls(world, hierarchy)
    world.later()
    size = log_size(world)
    receive(world, signer, SECOND)
    assert log_size(world) == size + 1
    report = audit(world.ledger, workers=1)
    assert report.ok, [f.describe() for f in report.findings]


def test_a_crl_of_the_ca_alone_does_not_speak_for_the_ca_itself(
    world: World, hierarchy: Hierarchy
) -> None:
    issued = hierarchy.issue("cb-cert", office=COMMUNE_NAME)
    world.ledger.keep_pki("certificate", hierarchy.ca.der)
    now = to_datetime(world.clock.now(), UTC)
    record_revocation(
        world.authority, "crl", hierarchy.crl([], this_update=now, next_update=now + timedelta(days=7))
    )
    problem = refused(world, RevocationUnknown, enrolling(world, hierarchy, issued))
    assert "Root CA" in str(problem)  # the root's CRL, for the subordinate CA, is missing


def test_the_bundle_and_the_audit_apply_the_same_rule(
    world: World, hierarchy: Hierarchy, tmp_path: Path
) -> None:
    issued = hierarchy.issue("cb-cert", office=COMMUNE_NAME)
    record_crls(world, hierarchy)
    signer = enrol_certificate(world, hierarchy, "cb-cert", COMMUNE, issued)
    receive(world, signer)
    world.ledger.issue_checkpoint(LOG_KEY)
    anchors = str(tmp_path / "anchors")
    data = export(world.ledger, CODE).encode()
    strict = verify_bundle(data, LOG_KEY.verifier, anchors=anchors, revocation_required=True)
    assert strict.ok, strict.problems
    audited = audit(world.ledger, log_key=LOG_KEY.verifier, workers=1)
    assert audited.ok, [f.describe() for f in audited.findings]
    # a bundle whose revocation data was left out: the lenient check passes, the strict refuses
    from dataclasses import replace

    from ledger.log.bundle import Bundle

    decoded = Bundle.decode(data)
    bare = replace(
        decoded,
        pki=tuple(item for item in decoded.pki if item.kind == "certificate"),
        entries=tuple(e for e in decoded.entries if b"revocation.recorded" not in e.statement),
    )
    lenient = verify_bundle(bare.encode(), LOG_KEY.verifier, anchors=anchors)
    refusing = verify_bundle(
        bare.encode(), LOG_KEY.verifier, anchors=anchors, revocation_required=True
    )
    assert lenient.ok, lenient.problems
    assert not refusing.ok
    assert any("revocation data" in problem for problem in refusing.problems)


def test_the_setting_reads_0_or_1_only() -> None:
    assert LedgerSettings.from_env({"LIENTHONG_REVOCATION_REQUIRED": "1"}).revocation_required
    assert not LedgerSettings.from_env({}).revocation_required
    with pytest.raises(ValueError, match="LIENTHONG_REVOCATION_REQUIRED must be 0 or 1"):
        LedgerSettings.from_env({"LIENTHONG_REVOCATION_REQUIRED": "yes"})
