"""Officers who sign with official-duty certificates (chứng thư số công vụ) beside Ed25519 keys:
enrolment with a chain kept beside the log, validation at each statement's `at` against the
deployment's trust anchors and the revocation data recorded, and every refusal by name with
nothing recorded. Runs on memory, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from domain.errors import KeyNotOfficer, KeyRevoked, OfficerNotInOffice, Refusal, UnknownKey
from domain.instant import from_datetime, to_datetime
from ledger.errors import (
    BadCertificate,
    BadField,
    BadSignature,
    CertificateExpired,
    CertificateKeyUsage,
    CertificateNotYetValid,
    CertificateOffice,
    CertificateOfficer,
    CertificateRevoked,
    ChainTooLong,
    UnknownTrustAnchor,
    WeakAlgorithm,
)
from ledger.log.audit import audit
from ledger.statements.authoring import Signer, record_revocation, register_certificate_key
from ledger.statements.signing import CertificateSigningKey, key_id, spki_of
from tests.pki import Hierarchy, Issued, ec_key, rsa_key, sha1_signed
from tests.world import CODE, DAY, START, World, document

COMMUNE = "29266"  # Thị trấn Càng Long
DISTRICT = "844"  # Huyện Càng Long
COMMUNE_NAME = "Thị trấn Càng Long"


@pytest.fixture
def hierarchy() -> Hierarchy:
    return Hierarchy.build()


@pytest.fixture
def world(database_url: str, tmp_path: Path, hierarchy: Hierarchy) -> World:
    anchors = hierarchy.anchors(tmp_path / "anchors")
    return World.build(database_url, trust_anchors=str(anchors))


def enrol_certificate(
    world: World,
    hierarchy: Hierarchy,
    officer: str,
    office: str,
    issued: Issued,
    *,
    chain: list[bytes] | None = None,
) -> Signer:
    """Enrol `officer` in `office` with the certificate key of `issued`; returns its signer."""
    world.authority.record(
        "officer.enrolled",
        officer,
        {"office": office, "title": "Công chức một cửa", "effective": world.clock.now()},
    )
    register_certificate_key(world.authority, officer, chain or hierarchy.chain(issued))
    return Signer(world.ledger, CertificateSigningKey(issued.private), officer, office)


def receive(world: World, signer: Signer, code: str = CODE) -> None:
    signer.record(
        "dossier.received",
        code,
        {
            "procedure": "merit-education-preference",
            "version": 1,
            "applicant": bytes(32),
            "channel": "direct",
            "documents": [document("Đơn đề nghị")],
            "appointed": world.clock.now() + 20 * DAY,
        },
    )


def log_size(world: World) -> int:
    return world.ledger.logstore.tree_size()


def refused(world: World, error: type[Refusal], action: object) -> Refusal:
    """Run `action`; it must raise `error` and record nothing."""
    before = log_size(world)
    with pytest.raises(error) as raised:
        action()  # type: ignore[operator]
    assert log_size(world) == before
    return raised.value


@pytest.mark.parametrize("kind", ["ecdsa", "rsa"])
def test_a_certificate_officer_receives_and_hands_over_and_the_audit_passes(
    world: World, hierarchy: Hierarchy, kind: str
) -> None:
    private = ec_key("cb-cert") if kind == "ecdsa" else rsa_key("officer-rsa")
    issued = hierarchy.issue("cb-cert", office=COMMUNE_NAME, private=private)
    signer = enrol_certificate(world, hierarchy, "cb-cert", COMMUNE, issued)
    key = world.ledger.key(signer.key.key_id)
    assert key.public_key == spki_of(private.public_key())
    assert len(key.certificates) == 2
    assert key.subject == key_id(key.public_key)
    receive(world, signer)
    world.officers[COMMUNE] = signer  # the world's helpers sign for the commune with it
    dispatched = world.dispatch(COMMUNE, DISTRICT)
    # the district's officer acknowledges with an Ed25519 key
    world.acknowledge(DISTRICT, dispatched)
    assert world.ledger.dossier(CODE).custodian == DISTRICT
    report = audit(world.ledger, workers=1)
    assert report.ok, [f.describe() for f in report.findings]


def test_the_key_id_is_the_rule_of_today_over_the_subject_public_key_info(
    hierarchy: Hierarchy,
) -> None:
    import hashlib

    public = spki_of(ec_key("x").public_key())
    assert key_id(public) == hashlib.sha256(b"lienthong key v1\n" + public).digest()[:16].hex()
    assert public.startswith(b"\x30")  # DER SEQUENCE
    assert len(public) == 91


def test_a_certificate_statement_is_refused_once_a_crl_revokes_it(
    world: World, hierarchy: Hierarchy
) -> None:
    issued = hierarchy.issue("cb-cert", office=COMMUNE_NAME)
    signer = enrol_certificate(world, hierarchy, "cb-cert", COMMUNE, issued)
    receive(world, signer)
    revoked_at = to_datetime(world.clock.now() + 3600 * 1_000_000, UTC)
    crl = hierarchy.crl([(issued, revoked_at)], this_update=revoked_at)
    record_revocation(world.authority, "crl", crl)
    # before the revocation's date: still valid
    world.later(0.5)
    receive(world, signer, "000.00.01.H59-250303-0002")
    # from it on: refused, nothing recorded
    world.later(1)
    refused(world, CertificateRevoked, lambda: receive(world, signer, "000.00.01.H59-250303-0003"))
    report = audit(world.ledger, workers=1)
    assert report.ok, [f.describe() for f in report.findings]


def test_revoking_the_key_in_the_registry_stops_a_certificate_key_too(
    world: World, hierarchy: Hierarchy
) -> None:
    issued = hierarchy.issue("cb-cert", office=COMMUNE_NAME)
    signer = enrol_certificate(world, hierarchy, "cb-cert", COMMUNE, issued)
    world.authority.record(
        "key.revoked", signer.key.key_id, {"reason": "Mất token", "effective": world.clock.now()}
    )
    refused(world, KeyRevoked, lambda: receive(world, signer))


def test_a_crl_not_signed_by_its_ca_is_refused(world: World, hierarchy: Hierarchy) -> None:
    issued = hierarchy.issue("cb-cert", office=COMMUNE_NAME)
    enrol_certificate(world, hierarchy, "cb-cert", COMMUNE, issued)
    stranger = Hierarchy.build(label="Khác")
    crl = stranger.crl([(issued, datetime(2025, 1, 1, tzinfo=UTC))], this_update=to_datetime(START))
    refused(world, BadCertificate, lambda: record_revocation(world.authority, "crl", crl))


def test_a_revocation_that_misstates_when_it_was_made_is_refused(
    world: World, hierarchy: Hierarchy
) -> None:
    crl = hierarchy.crl([], this_update=to_datetime(START, UTC))
    ca = hierarchy.ca.certificate
    issuer = key_id(spki_of(ca.public_key()))  # type: ignore[arg-type]
    # the CA certificate is kept beside the log by an enrolment first
    issued = hierarchy.issue("cb-cert", office=COMMUNE_NAME)
    enrol_certificate(world, hierarchy, "cb-cert", COMMUNE, issued)
    digest = world.ledger.keep_pki("crl", crl)

    def wrong() -> None:
        world.authority.record(
            "revocation.recorded",
            issuer,
            {"format": "crl", "sha256": digest, "produced": START + 1},
        )

    assert "was made" in str(refused(world, BadField, wrong))


@pytest.mark.parametrize(
    ("label", "make", "error"),
    [
        (
            "expired",
            lambda h: h.issue(
                "c",
                office=COMMUNE_NAME,
                not_before=datetime(2020, 1, 1, tzinfo=UTC),
                not_after=datetime(2024, 12, 31, tzinfo=UTC),
            ),
            CertificateExpired,
        ),
        (
            "not yet valid",
            lambda h: h.issue(
                "c", office=COMMUNE_NAME, not_before=datetime(2025, 6, 1, tzinfo=UTC)
            ),
            CertificateNotYetValid,
        ),
        (
            "no digital signature",
            lambda h: h.issue("c", office=COMMUNE_NAME, digital_signature=False),
            CertificateKeyUsage,
        ),
        ("sha-1", lambda h: sha1_signed(h, "c", office=COMMUNE_NAME), WeakAlgorithm),
        (
            "another office",
            lambda h: h.issue("c", office="Ủy ban nhân dân xã Mỹ Cẩm"),
            CertificateOffice,
        ),
    ],
)
def test_an_enrolment_whose_certificate_does_not_hold_is_refused_by_name(
    world: World, hierarchy: Hierarchy, label: str, make: object, error: type[Refusal]
) -> None:
    issued = make(hierarchy)  # type: ignore[operator]
    world.authority.record(
        "officer.enrolled",
        "cb-cert",
        {"office": COMMUNE, "title": "Công chức một cửa", "effective": world.clock.now()},
    )
    refused(
        world, error, lambda: register_certificate_key(world.authority, "cb-cert", hierarchy.chain(issued))
    )
    with pytest.raises(UnknownKey):
        world.ledger.key(key_id(spki_of(issued.private.public_key())))


def test_a_certificate_of_an_unknown_anchor_is_refused(world: World) -> None:
    other = Hierarchy.build(label="Không tin cậy")
    issued = other.issue("c", office=COMMUNE_NAME)
    world.authority.record(
        "officer.enrolled",
        "cb-cert",
        {"office": COMMUNE, "title": "Công chức", "effective": world.clock.now()},
    )
    refused(
        world,
        UnknownTrustAnchor,
        lambda: register_certificate_key(world.authority, "cb-cert", other.chain(issued)),
    )


def test_an_rsa_key_under_2048_bits_is_refused(world: World, hierarchy: Hierarchy) -> None:
    issued = hierarchy.issue("c", office=COMMUNE_NAME, private=rsa_key("weak"))
    world.authority.record(
        "officer.enrolled",
        "cb-cert",
        {"office": COMMUNE, "title": "Công chức", "effective": world.clock.now()},
    )
    problem = refused(
        world,
        WeakAlgorithm,
        lambda: register_certificate_key(world.authority, "cb-cert", hierarchy.chain(issued)),
    )
    assert "1024 bits" in str(problem)


def test_a_chain_longer_than_the_deployment_allows_is_refused(
    database_url: str, tmp_path: Path, hierarchy: Hierarchy
) -> None:
    world = World.build(
        database_url,
        trust_anchors=str(hierarchy.anchors(tmp_path / "anchors")),
        certificate_max_chain=2,
    )
    issued = hierarchy.issue("c", office=COMMUNE_NAME)
    world.authority.record(
        "officer.enrolled",
        "cb-cert",
        {"office": COMMUNE, "title": "Công chức", "effective": world.clock.now()},
    )
    problem = refused(
        world,
        ChainTooLong,
        lambda: register_certificate_key(world.authority, "cb-cert", hierarchy.chain(issued)),
    )
    assert "3 certificates" in str(problem)


def test_no_trust_anchor_configured_refuses_every_certificate(
    database_url: str, hierarchy: Hierarchy
) -> None:
    world = World.build(database_url)
    issued = hierarchy.issue("c", office=COMMUNE_NAME)
    world.authority.record(
        "officer.enrolled",
        "cb-cert",
        {"office": COMMUNE, "title": "Công chức", "effective": world.clock.now()},
    )
    refused(
        world,
        UnknownTrustAnchor,
        lambda: register_certificate_key(world.authority, "cb-cert", hierarchy.chain(issued)),
    )


def test_a_chain_that_is_not_the_keys_own_is_refused(world: World, hierarchy: Hierarchy) -> None:
    issued = hierarchy.issue("c", office=COMMUNE_NAME)
    other = hierarchy.issue("d", office=COMMUNE_NAME)
    world.authority.record(
        "officer.enrolled",
        "cb-cert",
        {"office": COMMUNE, "title": "Công chức", "effective": world.clock.now()},
    )
    digests = [world.ledger.keep_pki("certificate", der) for der in hierarchy.chain(other)]
    public = spki_of(issued.private.public_key())

    def wrong() -> None:
        world.authority.record(
            "key.registered",
            key_id(public),
            {
                "officer": "cb-cert",
                "public_key": public,
                "role": "officer",
                "effective": world.clock.now(),
                "certificates": digests,
            },
        )

    assert "public key differs" in str(refused(world, BadCertificate, wrong))


def test_a_certificate_not_kept_beside_the_log_is_refused(
    world: World, hierarchy: Hierarchy
) -> None:
    issued = hierarchy.issue("c", office=COMMUNE_NAME)
    public = spki_of(issued.private.public_key())
    world.authority.record(
        "officer.enrolled",
        "cb-cert",
        {"office": COMMUNE, "title": "Công chức", "effective": world.clock.now()},
    )

    def unkept() -> None:
        world.authority.record(
            "key.registered",
            key_id(public),
            {
                "officer": "cb-cert",
                "public_key": public,
                "role": "officer",
                "effective": world.clock.now(),
                "certificates": [bytes(32)],
            },
        )

    assert "not kept" in str(refused(world, BadCertificate, unkept))


def test_a_long_public_key_without_certificates_is_refused(world: World) -> None:
    public = spki_of(ec_key("bare").public_key())

    def bare() -> None:
        world.authority.record(
            "key.registered",
            key_id(public),
            {
                "officer": "cb-29266",
                "public_key": public,
                "role": "officer",
                "effective": world.clock.now(),
            },
        )

    assert "Ed25519" in str(refused(world, BadField, bare))


def test_a_certificate_signs_only_for_its_officer(world: World, hierarchy: Hierarchy) -> None:
    issued = hierarchy.issue("c", office=COMMUNE_NAME)
    signer = enrol_certificate(world, hierarchy, "cb-cert", COMMUNE, issued)
    impostor = Signer(world.ledger, signer.key, "cb-29266", COMMUNE)
    problem = refused(world, CertificateOfficer, lambda: receive(world, impostor))
    assert isinstance(problem, CertificateOfficer)
    assert not isinstance(problem, KeyNotOfficer)


def test_a_certificate_stops_signing_when_its_officer_moves_to_another_office(
    world: World, hierarchy: Hierarchy
) -> None:
    issued = hierarchy.issue("c", office=COMMUNE_NAME)
    signer = enrol_certificate(world, hierarchy, "cb-cert", COMMUNE, issued)
    world.later()
    world.authority.record(
        "officer.moved",
        "cb-cert",
        {"office": "29269", "title": "Công chức", "effective": world.clock.now()},
    )
    world.later()
    moved = Signer(world.ledger, signer.key, "cb-cert", "29269")
    problem = refused(world, CertificateOffice, lambda: receive(world, moved, "000.00.02.H59-250303-0001"))
    assert "29269" in str(problem)


def test_an_officer_in_no_office_cannot_be_enrolled_with_a_certificate(
    world: World, hierarchy: Hierarchy
) -> None:
    issued = hierarchy.issue("c", office=COMMUNE_NAME)
    world.authority.record(
        "officer.enrolled",
        "cb-cert",
        {"office": COMMUNE, "title": "Công chức", "effective": world.clock.now() + DAY},
    )
    refused(
        world,
        OfficerNotInOffice,
        lambda: register_certificate_key(world.authority, "cb-cert", hierarchy.chain(issued)),
    )


def test_the_certificate_expiring_later_refuses_statements_from_then(
    world: World, hierarchy: Hierarchy
) -> None:
    ends = to_datetime(START, UTC) + timedelta(days=2)
    issued = hierarchy.issue("c", office=COMMUNE_NAME, not_after=ends)
    signer = enrol_certificate(world, hierarchy, "cb-cert", COMMUNE, issued)
    receive(world, signer)
    world.later(24 * 3)
    refused(
        world, CertificateExpired, lambda: receive(world, signer, "000.00.01.H59-250306-0001")
    )
    assert from_datetime(ends) < world.clock.now()


def test_the_audit_finds_a_certificate_entry_when_its_anchor_is_not_trusted(
    world: World, hierarchy: Hierarchy, tmp_path: Path
) -> None:
    issued = hierarchy.issue("c", office=COMMUNE_NAME)
    signer = enrol_certificate(world, hierarchy, "cb-cert", COMMUNE, issued)
    receive(world, signer)
    other = Hierarchy.build(label="Khác").anchors(tmp_path / "other")
    from dataclasses import replace

    from ledger.application import Ledger

    if world.ledger.settings.database_url == "memory:":
        pytest.skip("a second ledger on the same data needs a database file or server")
    auditor = Ledger(replace(world.ledger.settings, trust_anchors=str(other)), clock=world.clock)
    report = audit(auditor, workers=1)
    assert not report.ok
    assert any("trust anchors" in f.problem for f in report.findings)


def test_the_read_models_follow_a_log_with_certificate_keys_and_revocation_data(
    world: World, hierarchy: Hierarchy
) -> None:
    from ledger.views.projector import Projector
    from ledger.views.tables import ViewStore

    issued = hierarchy.issue("cb-cert", office=COMMUNE_NAME)
    signer = enrol_certificate(world, hierarchy, "cb-cert", COMMUNE, issued)
    when = to_datetime(world.clock.now(), UTC)
    record_revocation(world.authority, "crl", hierarchy.crl([], this_update=when))
    receive(world, signer)
    projector = Projector(world.ledger, ViewStore("memory:"))
    assert projector.catch_up() == world.ledger.log_size()
    location = projector.location(CODE)
    assert location is not None
    assert location.custodian == COMMUNE


def test_a_root_crl_revoking_the_issuing_ca_stops_its_officers(
    world: World, hierarchy: Hierarchy
) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization

    issued = hierarchy.issue("cb-cert", office=COMMUNE_NAME)
    signer = enrol_certificate(world, hierarchy, "cb-cert", COMMUNE, issued)
    when = to_datetime(world.clock.now(), UTC)
    root = hierarchy.root
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(root.certificate.subject)
        .last_update(when)
        .next_update(when + timedelta(days=30))
        .add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(hierarchy.ca.certificate.serial_number)
            .revocation_date(when)
            .build()
        )
        .sign(root.private, hashes.SHA256())
        .public_bytes(serialization.Encoding.DER)
    )
    record_revocation(world.authority, "crl", crl)
    world.later()
    problem = refused(world, CertificateRevoked, lambda: receive(world, signer))
    assert f"{issued.certificate.serial_number:x}" in str(problem)


def test_a_statement_signed_again_is_answered_as_the_retry_it_is(
    world: World, hierarchy: Hierarchy
) -> None:
    issued = hierarchy.issue("cb-cert", office=COMMUNE_NAME)
    signer = enrol_certificate(world, hierarchy, "cb-cert", COMMUNE, issued)
    envelope = signer.envelope(
        "dossier.received",
        CODE,
        {
            "procedure": "merit-education-preference",
            "version": 1,
            "applicant": bytes(32),
            "channel": "direct",
            "documents": [document("Đơn đề nghị")],
            "appointed": world.clock.now() + 20 * DAY,
        },
    )
    first = world.ledger.record(envelope.statement, envelope.signature)
    again = signer.key.sign(envelope.statement)  # ECDSA: another signature of the same bytes
    assert again != envelope.signature
    size = log_size(world)
    retry = world.ledger.record(envelope.statement, again)
    assert retry.duplicate
    assert retry.digest == first.digest
    assert log_size(world) == size
    # a signature by another key over the same bytes is no retry
    stranger = CertificateSigningKey(ec_key("stranger"))
    with pytest.raises(BadSignature):
        world.ledger.record(envelope.statement, stranger.sign(envelope.statement))
    assert log_size(world) == size


def test_a_certificate_issued_before_its_office_was_renamed_still_names_it(
    world: World, hierarchy: Hierarchy
) -> None:
    issued = hierarchy.issue("cb-cert", office=COMMUNE_NAME)
    signer = enrol_certificate(world, hierarchy, "cb-cert", COMMUNE, issued)
    world.authority.record(
        "office.renamed", COMMUNE, {"name": "Xã Càng Long", "effective": "2025-03-03"}
    )
    world.later()
    receive(world, signer)
    assert world.ledger.dossier(CODE).custodian == COMMUNE


def test_a_certificate_changed_beside_the_log_is_refused_not_passed_on(
    world: World, hierarchy: Hierarchy
) -> None:
    issued = hierarchy.issue("cb-cert", office=COMMUNE_NAME)
    signer = enrol_certificate(world, hierarchy, "cb-cert", COMMUNE, issued)
    digest = world.ledger.key(signer.key.key_id).certificates[0]
    other = hierarchy.issue("someone", office=COMMUNE_NAME).der
    with world.ledger.pki.transaction() as cursor:
        cursor.execute("UPDATE lienthong_pki_objects SET der = ? WHERE sha256 = ?", (other, digest))
    world.ledger._objects = {}  # as a process that has not read it yet
    problem = refused(world, BadCertificate, lambda: receive(world, signer))
    assert "does not hash" in str(problem)


def test_the_cache_of_certificates_filling_up_midway_loses_nothing(
    world: World, hierarchy: Hierarchy, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ledger.certification

    ders = [hierarchy.issue(f"c{n}", office=COMMUNE_NAME).der for n in range(4)]
    digests = [world.ledger.keep_pki("certificate", der) for der in ders]
    monkeypatch.setattr(ledger.certification, "KEPT_OBJECTS", 2)
    world.ledger._objects = {}
    assert world.ledger.pki_objects(digests[:1], "certificate") == ders[:1]
    assert world.ledger.pki_objects(digests, "certificate") == ders


def ocsp_answer(
    hierarchy: Hierarchy,
    subject: Issued,
    signer: Issued,
    status: object,
    at: datetime,
    *,
    revoked: datetime | None = None,
) -> bytes:
    """An OCSP response for `subject` issued by the subordinate CA, signed by `signer` (its
    certificate carried in the response)."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509 import ocsp

    builder = (
        ocsp.OCSPResponseBuilder()
        .add_response(
            cert=subject.certificate,
            issuer=hierarchy.ca.certificate,
            algorithm=hashes.SHA256(),
            cert_status=status,  # type: ignore[arg-type]
            this_update=at,
            next_update=at + timedelta(days=1),
            revocation_time=revoked,
            revocation_reason=None,
        )
        .responder_id(ocsp.OCSPResponderEncoding.HASH, signer.certificate)
        .certificates([signer.certificate])
    )
    return builder.sign(signer.private, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def test_an_ocsp_answer_signed_by_an_officers_certificate_of_the_same_ca_is_refused(
    world: World, hierarchy: Hierarchy
) -> None:
    from cryptography.x509 import ocsp

    victim = hierarchy.issue("cb-cert", office=COMMUNE_NAME)
    enrol_certificate(world, hierarchy, "cb-cert", COMMUNE, victim)
    forger = hierarchy.issue("forger", office=COMMUNE_NAME)  # no id-kp-OCSPSigning
    now = to_datetime(world.clock.now(), UTC)
    forged = ocsp_answer(
        hierarchy, victim, forger, ocsp.OCSPCertStatus.REVOKED, now, revoked=now - timedelta(days=30)
    )
    refused(world, BadCertificate, lambda: record_revocation(world.authority, "ocsp", forged))


def test_an_ocsp_answer_unknown_speaks_for_nothing_when_revocation_data_is_required(
    database_url: str, tmp_path: Path, hierarchy: Hierarchy
) -> None:
    from cryptography.x509 import ocsp

    from ledger.errors import RevocationUnknown

    world = World.build(
        database_url,
        trust_anchors=str(hierarchy.anchors(tmp_path / "anchors")),
        revocation_required=True,
    )
    issued = hierarchy.issue("cb-cert", office=COMMUNE_NAME)
    world.ledger.keep_pki("certificate", hierarchy.ca.der)
    now = to_datetime(world.clock.now(), UTC)
    # the root's CRL speaks for the CA; for the officer's certificate, only an "unknown" answer
    from tests.test_revocation_required import root_crl

    record_revocation(world.authority, "crl", root_crl(hierarchy, now, 7))
    unknown = ocsp_answer(hierarchy, issued, hierarchy.ca, ocsp.OCSPCertStatus.UNKNOWN, now)
    record_revocation(world.authority, "ocsp", unknown)
    world.authority.record(
        "officer.enrolled",
        "cb-cert",
        {"office": COMMUNE, "title": "Công chức", "effective": world.clock.now()},
    )
    refused(
        world,
        RevocationUnknown,
        lambda: register_certificate_key(world.authority, "cb-cert", hierarchy.chain(issued)),
    )
    good = ocsp_answer(hierarchy, issued, hierarchy.ca, ocsp.OCSPCertStatus.GOOD, now)
    record_revocation(world.authority, "ocsp", good)
    register_certificate_key(world.authority, "cb-cert", hierarchy.chain(issued))
