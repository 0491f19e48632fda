"""Registrars and operators with official-duty certificates at the command line, on SQLite:
`certificate enrol` keeps a chain beside the log and registers its key, `certificate show` says
what the chain is and whether it holds now, `revocation add` records a CRL or OCSP response, and
`revocation fetch` gets them from the addresses the certificates name — a real HTTP server on
127.0.0.1 serving the CRLs and an OCSP responder the test CA signs for. Each refusal has its test:
nothing is recorded, and the exit code and the problem say why."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import typer
from cryptography.hazmat.primitives import serialization
from typer.testing import CliRunner

from api.cli import certificates as certificate_commands
from api.cli.main import configure
from domain.revocation import Revocations
from ledger.application import Ledger
from ledger.clock import SystemClock
from ledger.config import LedgerSettings
from ledger.errors import CertificateRevoked
from ledger.statements.authoring import Signer
from ledger.statements.certificates import key_id_of
from ledger.statements.signing import CertificateSigningKey, SigningKey, key_id, spki_of
from tests.pki import Hierarchy, Issued, rsa_key
from tests.pki_urls import (
    Publisher,
    Status,
    base_of,
    crl_of,
    issue_published,
    published,
    refusing_base,
    reissue,
    reserve,
    running,
)
from tests.world import DAY, World, document, seeded_key

COMMUNE, COMMUNE_NAME = "29266", "Thị trấn Càng Long"
OFFICER = "cb-cert"
runner = CliRunner()


def cli() -> typer.Typer:
    """The command line's global options and these commands (api/cli/main.py adds them to the
    tool; its own tests check that it does)."""
    app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)
    app.callback()(configure)
    certificate_commands.register(app)
    return app


APP = cli()


@dataclass
class Setup:
    db: str
    directory: Path
    anchors: Path
    hierarchy: Hierarchy
    leaf: Issued
    base: str
    authority: Path  # the authority's key file

    def run(self, *args: str, lang: str = "en", anchors: str | None = None) -> tuple[int, str]:
        env = {"LIENTHONG_TRUST_ANCHORS": str(self.anchors) if anchors is None else anchors}
        result = runner.invoke(APP, ["--database-url", self.db, "--lang", lang, *args], env=env)
        return result.exit_code, result.output

    def ledger(self) -> Ledger:
        return Ledger(LedgerSettings(database_url=self.db, trust_anchors=str(self.anchors)))

    def log_size(self) -> int:
        ledger = self.ledger()
        try:
            return ledger.log_size()
        finally:
            ledger.close()

    def write(self, name: str, data: bytes) -> Path:
        path = self.directory / name
        path.write_bytes(data)
        return path

    def pem(self, name: str, *issued: Issued) -> Path:
        return self.write(
            name,
            b"".join(i.certificate.public_bytes(serialization.Encoding.PEM) for i in issued),
        )

    def enrol(self, *files: Path, key: Path | None = None) -> tuple[int, str]:
        chain = files or (self.pem("chain.pem", self.leaf, self.hierarchy.ca),)
        return self.run(
            "certificate", "enrol", OFFICER, *map(str, chain), "--key", str(key or self.authority)
        )


@pytest.fixture
def listener() -> Iterator[Any]:
    """The publication point's address, held from before the certificates name it."""
    held = reserve()
    yield held
    held.close()


@pytest.fixture
def setup(tmp_path: Path, listener: Any) -> Setup:
    base = base_of(listener)
    hierarchy = published(Hierarchy.build(), base)
    leaf = issue_published(hierarchy, OFFICER, office=COMMUNE_NAME, base=base)
    anchors = hierarchy.anchors(tmp_path / "anchors")
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    world = World.build(db, trust_anchors=str(anchors))
    world.authority.record(
        "officer.enrolled",
        OFFICER,
        {"office": COMMUNE, "title": "Công chức một cửa", "effective": world.clock.now()},
    )
    world.enrol("registrar-1", "84", role="registrar")
    world.ledger.close()
    authority = tmp_path / "authority.key"
    SigningKey(seeded_key("authority").private, "authority", "authority").save(authority)
    return Setup(db, tmp_path, anchors, hierarchy, leaf, base, authority)


def leaf_key(setup: Setup) -> str:
    return key_id(spki_of(setup.leaf.private.public_key()))


def sha(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()


def test_enrol_keeps_the_chain_and_registers_the_key(setup: Setup) -> None:
    before = setup.log_size()
    code, output = setup.enrol()
    assert code == 0, output
    assert f"Recorded: key.registered {leaf_key(setup)} seq 1" in output
    assert f"Key: {leaf_key(setup)} (ecdsa-p256)" in output
    assert "Subject: CN=Cán bộ thử nghiệm cb-cert,O=Thị trấn Càng Long,C=VN" in output
    assert f"SHA-256 fingerprint: {sha(setup.leaf.der)}" in output
    ledger = setup.ledger()
    try:
        key = ledger.key(leaf_key(setup))
        assert key.officer == OFFICER
        assert list(key.certificates) == [
            hashlib.sha256(setup.leaf.der).digest(),
            hashlib.sha256(setup.hierarchy.ca.der).digest(),
        ]
        assert ledger.pki.get(key.certificates[0]) == setup.leaf.der
        assert ledger.log_size() == before + 1
    finally:
        ledger.close()


def test_enrol_reads_der_and_pem_files_and_speaks_vietnamese_first(setup: Setup) -> None:
    leaf = setup.write("leaf.cer", setup.leaf.der)
    ca = setup.pem("ca.pem", setup.hierarchy.ca)
    code, output = setup.run(
        "certificate",
        "enrol",
        OFFICER,
        str(leaf),
        str(ca),
        "--key",
        str(setup.authority),
        lang="vi",
    )
    assert code == 0, output
    assert f"Đã ghi: key.registered {leaf_key(setup)}" in output
    assert f"Dấu vân tay SHA-256: {sha(setup.leaf.der)}" in output
    assert "Chuỗi chứng thư số (2)" in output


def test_a_registrar_enrols_a_certificate_too(setup: Setup) -> None:
    registrar = setup.directory / "registrar.key"
    SigningKey(seeded_key("registrar-1").private, "registrar-1", "84").save(registrar)
    code, output = setup.enrol(key=registrar)
    assert code == 0, output


def refused(setup: Setup, run: Any, exit_code: int, *expected: str) -> str:
    """`run` exits with `exit_code`, says each of `expected`, and records nothing."""
    before = setup.log_size()
    code, output = run()
    assert code == exit_code, output
    for text in expected:
        assert text in output, output
    assert setup.log_size() == before
    return str(output)


def test_enrol_refuses_a_file_that_holds_no_certificate(setup: Setup) -> None:
    junk = setup.write(
        "junk.pem", b"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n"
    )
    refused(setup, lambda: setup.enrol(junk), 2, "bad-certificate", "junk.pem")
    text = setup.write("notes.txt", b"not a certificate")
    refused(setup, lambda: setup.enrol(text), 2, "bad-certificate", "notes.txt")


def test_enrol_refuses_a_file_it_cannot_read(setup: Setup) -> None:
    refused(
        setup,
        lambda: setup.enrol(setup.directory / "missing.pem"),
        2,
        "bad-envelope",
        "missing.pem",
    )


def test_enrol_refuses_an_unreadable_signing_key(setup: Setup) -> None:
    bad = setup.write("bad.key", b"{}")
    refused(setup, lambda: setup.enrol(key=bad), 2, "bad-key-file")


def test_enrol_refuses_a_role_or_an_effective_time_it_cannot_read(setup: Setup) -> None:
    chain = str(setup.pem("chain.pem", setup.leaf, setup.hierarchy.ca))
    refused(
        setup,
        lambda: setup.run(
            "certificate", "enrol", OFFICER, chain, "--key", str(setup.authority), "--role", "mayor"
        ),
        2,
        "mayor",
    )
    refused(
        setup,
        lambda: setup.run(
            "certificate",
            "enrol",
            OFFICER,
            chain,
            "--key",
            str(setup.authority),
            "--effective",
            "2026-12-01T08:00",
        ),
        2,
        "--effective",
    )


def test_enrol_at_an_effective_time_given(setup: Setup) -> None:
    chain = str(setup.pem("chain.pem", setup.leaf, setup.hierarchy.ca))
    when = (datetime.now(UTC) - timedelta(days=1)).replace(microsecond=0)
    code, output = setup.run(
        "certificate",
        "enrol",
        OFFICER,
        chain,
        "--key",
        str(setup.authority),
        "--effective",
        when.isoformat(),
    )
    assert code == 0, output
    ledger = setup.ledger()
    try:
        assert ledger.key(leaf_key(setup)).effective == int(when.timestamp()) * 1_000_000
    finally:
        ledger.close()


def test_enrol_passes_on_the_ledgers_refusal_of_a_chain_out_of_order(setup: Setup) -> None:
    backwards = setup.pem("backwards.pem", setup.hierarchy.ca, setup.leaf)
    refused(
        setup, lambda: setup.enrol(backwards), 1, "bad-certificate", "officer's certificate first"
    )


def test_enrol_is_refused_without_trust_anchors(setup: Setup) -> None:
    chain = setup.pem("chain.pem", setup.leaf, setup.hierarchy.ca)
    refused(
        setup,
        lambda: setup.run(
            "certificate", "enrol", OFFICER, str(chain), "--key", str(setup.authority), anchors=""
        ),
        1,
        "unknown-trust-anchor",
    )


def test_enrol_is_refused_for_a_certificate_of_another_office(setup: Setup) -> None:
    other = issue_published(setup.hierarchy, "cb-other", office="Xã Mỹ Cẩm", base=setup.base)
    chain = setup.pem("other.pem", other, setup.hierarchy.ca)
    refused(setup, lambda: setup.enrol(chain), 1, "certificate-office")


def test_enrol_is_refused_when_an_officers_key_signs_it(setup: Setup) -> None:
    officer = setup.directory / "officer.key"
    SigningKey(seeded_key("cb-29266").private, "cb-29266", COMMUNE).save(officer)
    refused(setup, lambda: setup.enrol(key=officer), 1, "not-authorised")


# --- show -------------------------------------------------------------------------------------------


def test_show_prints_the_chain_and_that_it_holds_now(setup: Setup) -> None:
    assert setup.enrol()[0] == 0
    code, output = setup.run("certificate", "show", leaf_key(setup))
    assert code == 0, output
    assert f"Key: {leaf_key(setup)} (ecdsa-p256)" in output
    assert f"Officer: {OFFICER} (role officer; office now {COMMUNE} {COMMUNE_NAME})" in output
    assert "Certificate chain (2)" in output
    assert "CN=Cán bộ thử nghiệm cb-cert" in output
    assert "Issuer: CN=Root CA chuyên dùng Chính phủ (Test),O=Ban Cơ yếu Chính phủ,C=VN" in output
    assert sha(setup.leaf.der) in output
    assert sha(setup.hierarchy.ca.der) in output
    assert "The certificate chain holds now" in output


def test_show_of_an_ed25519_key_says_it_has_no_certificate(setup: Setup) -> None:
    code, output = setup.run("certificate", "show", seeded_key("cb-29266").key_id)
    assert code == 0, output
    assert "(ed25519)" in output
    assert "integrity records, not signatures by an official-duty certificate" in output


def test_show_of_an_unknown_key_is_refused(setup: Setup) -> None:
    code, output = setup.run("certificate", "show", "0" * 32)
    assert code == 1, output
    assert "unknown-key" in output


def test_show_names_why_the_chain_does_not_hold_now(setup: Setup) -> None:
    assert setup.enrol()[0] == 0
    revoked = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    crl = setup.write(
        "ca.crl", crl_of(setup.hierarchy.ca, [(setup.leaf, revoked)], this_update=revoked)
    )
    assert (
        setup.run("revocation", "add", str(crl), "--format", "crl", "--key", str(setup.authority))[
            0
        ]
        == 0
    )
    code, output = setup.run("certificate", "show", leaf_key(setup))
    assert code == 1, output
    assert "does NOT hold now" in output
    assert "certificate-revoked" in output


# --- revocation add ---------------------------------------------------------------------------------


def revocations(setup: Setup, issuer: Issued) -> list[tuple[str, bytes, int]]:
    ledger = setup.ledger()
    try:
        found = ledger._find("revocation", key_id_of(issuer.der))
        return list(found.items) if isinstance(found, Revocations) else []
    finally:
        ledger.close()


@pytest.mark.parametrize("encoding", ["der", "pem"])
def test_revocation_add_records_a_crl(setup: Setup, encoding: str) -> None:
    assert setup.enrol()[0] == 0  # keeps the subordinate CA's certificate
    made = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    crl = crl_of(setup.hierarchy.ca, [], this_update=made)
    data = crl
    if encoding == "pem":
        from cryptography import x509

        data = x509.load_der_x509_crl(crl).public_bytes(serialization.Encoding.PEM)
    path = setup.write(f"ca.{encoding}", data)
    code, output = setup.run(
        "revocation", "add", str(path), "--format", "crl", "--key", str(setup.authority)
    )
    assert code == 0, output
    assert f"Recorded: revocation.recorded {key_id_of(setup.hierarchy.ca.der)} seq 1" in output
    assert "Certificates it revokes: 0" in output
    assert revocations(setup, setup.hierarchy.ca) == [
        ("crl", hashlib.sha256(crl).digest(), int(made.timestamp()) * 1_000_000)
    ]


def test_revocation_add_keeps_the_issuing_ca_given_before_any_enrolment(setup: Setup) -> None:
    made = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    path = setup.write("ca.crl", crl_of(setup.hierarchy.ca, [], this_update=made))
    args = ("revocation", "add", str(path), "--format", "crl", "--key", str(setup.authority))
    refused(setup, lambda: setup.run(*args), 1, "bad-certificate", "signed by no trust anchor")
    issuer = setup.pem("ca-cert.pem", setup.hierarchy.ca)
    code, output = setup.run(*args, "--issuer", str(issuer))
    assert code == 0, output
    assert len(revocations(setup, setup.hierarchy.ca)) == 1
    not_a_certificate = setup.write("not.pem", b"hello")
    refused(setup, lambda: setup.run(*args, "--issuer", str(not_a_certificate)), 2, "not.pem")


def test_revocation_add_records_a_crl_of_the_root(setup: Setup) -> None:
    made = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    path = setup.write("root.crl", crl_of(setup.hierarchy.root, [], this_update=made))
    code, output = setup.run(
        "revocation", "add", str(path), "--format", "crl", "--key", str(setup.authority)
    )
    assert code == 0, output
    assert len(revocations(setup, setup.hierarchy.root)) == 1


def test_revocation_add_refuses_a_crl_no_known_ca_signed(setup: Setup) -> None:
    assert setup.enrol()[0] == 0
    made = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    forged = Issued(setup.hierarchy.ca.certificate, rsa_key("seal"))  # the CA's name, another key
    path = setup.write("forged.crl", crl_of(forged, [], this_update=made))
    refused(
        setup,
        lambda: setup.run(
            "revocation", "add", str(path), "--format", "crl", "--key", str(setup.authority)
        ),
        1,
        "bad-certificate",
        "signed by no trust anchor",
    )


def test_revocation_add_refuses_the_same_crl_twice(setup: Setup) -> None:
    assert setup.enrol()[0] == 0
    made = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    path = setup.write("ca.crl", crl_of(setup.hierarchy.ca, [], this_update=made))
    args = ("revocation", "add", str(path), "--format", "crl", "--key", str(setup.authority))
    assert setup.run(*args)[0] == 0
    refused(setup, lambda: setup.run(*args), 1, "registry-conflict", "already recorded")


def test_revocation_add_refuses_a_file_that_is_not_what_it_says(setup: Setup) -> None:
    made = datetime.now(UTC).replace(microsecond=0)
    crl = setup.write("ca.crl", crl_of(setup.hierarchy.ca, [], this_update=made))
    refused(
        setup,
        lambda: setup.run(
            "revocation", "add", str(crl), "--format", "ocsp", "--key", str(setup.authority)
        ),
        2,
        "bad-certificate",
        "OCSP response",
    )
    refused(
        setup,
        lambda: setup.run(
            "revocation", "add", str(crl), "--format", "arl", "--key", str(setup.authority)
        ),
        2,
        "arl",
    )


# --- revocation fetch -------------------------------------------------------------------------------


def receive(setup: Setup, code: str) -> None:
    """A statement signed with the certificate key, at the real time (the command line's)."""
    ledger = setup.ledger()
    try:
        Signer(ledger, CertificateSigningKey(setup.leaf.private), OFFICER, COMMUNE).record(
            "dossier.received",
            code,
            {
                "procedure": "merit-education-preference",
                "version": 1,
                "applicant": bytes(32),
                "channel": "direct",
                "documents": [document("Đơn đề nghị")],
                "appointed": SystemClock().now() + 20 * DAY,
            },
        )
    finally:
        ledger.close()


def publisher(setup: Setup, *, revoked: datetime | None = None) -> Publisher:
    """The CA's publication point: its CRL and the root's, its OCSP responder."""
    made = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    point = Publisher(setup.hierarchy.ca)
    point.files["/ca.crl"] = crl_of(setup.hierarchy.ca, [], this_update=made)
    point.files["/root.crl"] = crl_of(setup.hierarchy.root, [], this_update=made)
    point.knows(setup.leaf)
    point.statuses[setup.leaf.certificate.serial_number] = Status(revoked)
    return point


def fetch(setup: Setup, key: str | None = None) -> tuple[int, str]:
    return setup.run("revocation", "fetch", key or leaf_key(setup), "--key", str(setup.authority))


def test_fetch_records_the_crls_and_the_ocsp_response_and_a_revoked_answer_stops_the_key(
    setup: Setup, listener: Any
) -> None:
    assert setup.enrol()[0] == 0
    receive(setup, "000.00.01.H59-261207-0001")  # signs while nothing says it is revoked
    revoked = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    with running(publisher(setup, revoked=revoked), listener) as point:
        code, output = fetch(setup)
    assert code == 0, output
    assert point.requests == ["GET /ca.crl", "POST /ocsp", "GET /root.crl"]
    assert f"Fetched the CRL from {setup.base}/ca.crl" in output
    assert f"Fetched the OCSP response from {setup.base}/ocsp" in output
    assert f"Fetched the CRL from {setup.base}/root.crl" in output
    assert "REVOKED from" in output
    assert output.count("Recorded: revocation.recorded") == 3
    assert [f for f, _d, _p in revocations(setup, setup.hierarchy.ca)] == ["crl", "ocsp"]
    assert [f for f, _d, _p in revocations(setup, setup.hierarchy.root)] == ["crl"]
    before = setup.log_size()
    with pytest.raises(CertificateRevoked):
        receive(setup, "000.00.01.H59-261207-0002")
    assert setup.log_size() == before


def test_fetch_again_records_only_what_is_new(setup: Setup, listener: Any) -> None:
    assert setup.enrol()[0] == 0
    with running(publisher(setup), listener):
        assert fetch(setup)[0] == 0
        code, output = fetch(setup)
    assert code == 0, output
    assert output.count("This CRL was recorded already") == 2


def test_fetch_names_the_address_that_does_not_answer_and_records_nothing(setup: Setup) -> None:
    assert setup.enrol()[0] == 0
    # the publication point's port is held but nothing listens on it: a connection is refused
    output = refused(setup, lambda: fetch(setup), 1, f"could not reach {setup.base}/ca.crl")
    assert "Nothing was recorded." in output


def test_fetch_names_an_address_that_answers_with_an_error(setup: Setup, listener: Any) -> None:
    assert setup.enrol()[0] == 0
    point = publisher(setup)
    del point.files["/root.crl"]
    with running(point, listener):
        refused(setup, lambda: fetch(setup), 1, f"{setup.base}/root.crl", "HTTP 404")


def test_fetch_refuses_a_crl_its_issuer_did_not_sign(setup: Setup, listener: Any) -> None:
    assert setup.enrol()[0] == 0
    point = publisher(setup)
    made = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    point.files["/ca.crl"] = crl_of(
        Issued(setup.hierarchy.ca.certificate, rsa_key("seal")), [], this_update=made
    )
    with running(point, listener):
        refused(
            setup, lambda: fetch(setup), 1, f"{setup.base}/ca.crl", "not the certificate issuer's"
        )


def test_fetch_refuses_an_ocsp_answer_about_another_certificate(
    setup: Setup, listener: Any
) -> None:
    assert setup.enrol()[0] == 0
    other = issue_published(setup.hierarchy, "cb-other", office=COMMUNE_NAME, base=setup.base)
    point = publisher(setup)
    point.knows(other)
    point.serial_answered = other.certificate.serial_number
    with running(point, listener):
        refused(setup, lambda: fetch(setup), 1, f"{setup.base}/ocsp", "answers for serial")


def test_fetch_refuses_an_ocsp_answer_that_did_not_succeed(setup: Setup, listener: Any) -> None:
    assert setup.enrol()[0] == 0
    point = publisher(setup)
    point.issued.clear()  # the responder knows no certificate: it answers UNAUTHORIZED
    with running(point, listener):
        refused(setup, lambda: fetch(setup), 1, f"{setup.base}/ocsp", "UNAUTHORIZED")


def test_fetch_of_a_chain_that_names_no_address_is_refused(setup: Setup) -> None:
    plain = setup.hierarchy.issue(
        "cb-plain",
        office=COMMUNE_NAME,
        not_before=datetime.now(UTC) - timedelta(days=1),
        not_after=datetime.now(UTC) + timedelta(days=30),
    )
    plain_ca = Hierarchy.build()  # the subordinate CA as first issued: no CRL address
    chain = setup.pem("plain.pem", plain, plain_ca.ca)
    assert setup.enrol(chain)[0] == 0
    key = key_id(spki_of(plain.private.public_key()))
    refused(setup, lambda: fetch(setup, key), 1, "name no CRL")


def test_fetch_of_a_key_without_certificates_is_refused(setup: Setup) -> None:
    refused(setup, lambda: fetch(setup, seeded_key("cb-29266").key_id), 2, "Ed25519 key")


def test_fetch_of_an_unknown_key_is_refused(setup: Setup) -> None:
    refused(setup, lambda: fetch(setup, "0" * 32), 1, "unknown-key")


def test_fetch_takes_the_next_address_when_one_does_not_answer(setup: Setup, listener: Any) -> None:
    made = issue_published(
        setup.hierarchy, "cb-two", office=COMMUNE_NAME, base=setup.base, crl=False
    )
    with refusing_base() as down:
        two = reissue(
            made, setup.hierarchy.ca.private, crl=[f"{down}/ca.crl", f"{setup.base}/ca.crl"]
        )
        assert setup.enrol(setup.pem("two.pem", two, setup.hierarchy.ca))[0] == 0
        point = publisher(setup)
        point.knows(two)
        with running(point, listener):
            code, output = fetch(setup, key_id(spki_of(two.private.public_key())))
    assert code == 0, output
    assert f"Fetched the CRL from {setup.base}/ca.crl" in output
    assert [f for f, _d, _p in revocations(setup, setup.hierarchy.ca)] == ["crl", "ocsp"]
