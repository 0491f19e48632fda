"""`lienthong slip CODE --pdf FILE`: the control slip as a PDF signed by the office's seal (PAdES),
checked as a reader would — pyHanko's validator against the test hierarchy's root (tests/pki.py):
intact, trusted, ETSI.CAdES.detached, a certification no change may follow; the slip's words
(the code, the form, the lines to sign, no officer id) and the QR code of the dossier's
verification page in it; a byte changed, or an update appended, after signing breaks it. The seal
from a PKCS#12 file, from key and certificate files with the chain, from the environment, and from
a key generated inside a SoftHSM2 token (never exported); and every refusal, exit 2 with its
reason.

One dossier, received at the demo's commune through the API and handed over to the province, on
a SQLite database the command line opens."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pkcs11
import pytest
from cryptography.hazmat.primitives import serialization
from pkcs11.util.x509 import decode_x509_certificate
from pyhanko.pdf_utils.generic import NameObject, TextStringObject
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from typer.testing import CliRunner, Result

from api.cli.main import app as cli
from domain.instant import local_date
from tests.apiworld import (
    APPLICANT,
    COMMUNE,
    COMMUNE_OFFICER,
    DOCUMENT,
    PROVINCE,
    RECEIVED_BODY,
    open_api,
)
from tests.pki import rsa_key
from tests.pki_token import issue_for_public_key
from tests.seal_pki import (
    OFFICE,
    PASSWORD,
    PUBLIC_URL,
    SealFiles,
    embedded_certificates,
    qr_matches,
    seal_files,
    sub_filter,
    text_of,
    validated,
)
from tests.softhsm import SoftHSM

LIENTHONG = [sys.executable, "-c", "from api.cli.main import main; main()"]
runner = CliRunner()


@dataclass
class Slip:
    database: str
    code: str
    seal: SealFiles
    directory: Path


@pytest.fixture(scope="module")
def slip(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Slip]:
    directory = tmp_path_factory.mktemp("slip-pdf")
    database = f"sqlite:///{directory / 'ledger.db'}"
    with open_api(database, directory) as api:
        day = local_date(api.clock.now())
        agency = api.services.ledger.office(COMMUNE).code_agency_on(day)
        code = f"{agency}-{day:%y%m%d}-0901"
        officer = api.client("officer")
        key = api.key(COMMUNE_OFFICER)
        officer.record(key, "dossier.received", code, RECEIVED_BODY, applicant=APPLICANT)
        api.clock.advance(3600)
        officer.record(
            key,
            "handover.dispatched",
            code,
            {"to": PROVINCE, "purpose": "process", "documents": [DOCUMENT]},
        )
        api.services.projector.catch_up()
        yield Slip(database, code, seal_files(directory / "seal"), directory)


def make_pdf(
    slip: Slip, out: Path, *options: str, env: dict[str, str] | None = None, lang: str = "vi"
) -> Result:
    return runner.invoke(
        cli,
        [
            "--database-url",
            slip.database,
            "--lang",
            lang,
            "slip",
            slip.code,
            "--pdf",
            str(out),
            *options,
        ],
        env={"LIENTHONG_SEAL_PASSWORD": PASSWORD, **(env or {})},
    )


def p12(slip: Slip) -> list[str]:
    return ["--seal-p12", str(slip.seal.p12), "--public-url", PUBLIC_URL]


def test_the_slip_pdf_is_signed_by_the_offices_seal_and_validates(
    slip: Slip, tmp_path: Path
) -> None:
    out = tmp_path / "slip.pdf"
    result = make_pdf(slip, out, *p12(slip))
    assert result.exit_code == 0, result.output
    pdf = out.read_bytes()
    status = validated(pdf, slip.seal.roots())
    assert (status.intact, status.valid, status.trusted, status.bottom_line) == (
        True,
        True,
        True,
        True,
    )
    assert sub_filter(pdf) == "/ETSI.CAdES.detached"  # PAdES
    assert status.signing_cert.dump() == slip.seal.seal.der
    # the chain travels with it: the subordinate CA's certificate is in the signature
    assert slip.seal.hierarchy.ca.der in embedded_certificates(pdf)
    # a certification signature: no change may follow it
    assert status.docmdp_ok is True
    assert b"/DocMDP" in pdf


def test_the_pdf_carries_the_slip_and_the_qr_code_of_the_verification_page(
    slip: Slip, tmp_path: Path
) -> None:
    out = tmp_path / "slip.pdf"
    assert make_pdf(slip, out, *p12(slip)).exit_code == 0
    pdf = out.read_bytes()
    text = text_of(pdf)
    assert f"Mã hồ sơ: {slip.code}" in text
    assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in text
    assert "Mẫu số 06" in text
    assert "Căn cứ:" in text
    assert "XÃ CÀNG LONG" in text  # the issuing office, the one that received the dossier
    assert text.count("(ký, ghi rõ họ tên)") == 4  # two turns, a giver and a taker each
    assert "chưa nhận" in text  # the handover to the province, not yet taken in
    assert OFFICE in text  # the seal named at the foot
    assert COMMUNE_OFFICER not in text  # officers by title, never by id
    verify_url = f"{PUBLIC_URL}/xac-minh/{slip.code}"
    assert verify_url in text.replace("\n", "")
    assert qr_matches(pdf, verify_url)
    assert not qr_matches(pdf, f"{PUBLIC_URL}/xac-minh/OTHER")

    english = tmp_path / "slip-en.pdf"
    assert make_pdf(slip, english, *p12(slip), lang="en").exit_code == 0
    words = text_of(english.read_bytes())
    assert "PROCESS CONTROL SLIP" in words
    assert f"Dossier code: {slip.code}" in words


def test_the_foot_says_whose_seal_signed_and_not_that_it_is_the_receiving_offices(
    slip: Slip, tmp_path: Path
) -> None:
    """The server has one seal, the slip is headed by whichever office received the dossier: the
    foot names the seal's holder as its certificate does, claiming no more, and the signature
    carries no Location (a reader would show the receiving office beside the seal)."""
    out, english = tmp_path / "slip.pdf", tmp_path / "slip-en.pdf"
    assert make_pdf(slip, out, *p12(slip)).exit_code == 0
    assert make_pdf(slip, english, *p12(slip), lang="en").exit_code == 0
    serial = f"{slip.seal.seal.certificate.serial_number:X}"
    words = " ".join(text_of(out.read_bytes()).split())
    assert f"Đóng dấu bằng chứng thư số của: {OFFICE} (số sê-ri {serial})" in words
    assert "của cơ quan" not in words
    words = " ".join(text_of(english.read_bytes()).split())
    assert f"Sealed with the certificate of: {OFFICE} (serial number {serial})" in words
    assert "office's certificate" not in words
    for pdf in (out.read_bytes(), english.read_bytes()):
        assert b"/Location" not in pdf
        assert validated(pdf, slip.seal.roots()).bottom_line


def test_a_byte_changed_after_signing_breaks_the_signature(slip: Slip, tmp_path: Path) -> None:
    out = tmp_path / "slip.pdf"
    assert make_pdf(slip, out, *p12(slip)).exit_code == 0
    pdf = bytearray(out.read_bytes())
    assert validated(bytes(pdf), slip.seal.roots()).bottom_line
    at = pdf.index(b"stream\n") + 40  # inside the first stream's bytes, which the signature covers
    pdf[at] ^= 0x01
    status = validated(bytes(pdf), slip.seal.roots())
    assert not status.intact
    assert not status.bottom_line


def test_a_change_appended_after_signing_is_caught(slip: Slip, tmp_path: Path) -> None:
    """An incremental update leaves the signed bytes alone, but the seal certified the slip
    with no change allowed: the validator says the document was changed after it."""
    out = tmp_path / "slip.pdf"
    assert make_pdf(slip, out, *p12(slip)).exit_code == 0
    writer = IncrementalPdfFileWriter(io.BytesIO(out.read_bytes()), strict=False)
    info = writer.root  # change the catalogue: a language the slip never had
    info[NameObject("/Lang")] = TextStringObject("en")
    writer.update_root()
    changed = io.BytesIO()
    writer.write(changed)
    status = validated(changed.getvalue(), slip.seal.roots())
    assert status.intact  # what was signed is still there, untouched
    assert not status.docmdp_ok
    assert not status.bottom_line


def test_a_root_the_reader_does_not_trust_leaves_it_untrusted(slip: Slip, tmp_path: Path) -> None:
    out = tmp_path / "slip.pdf"
    assert make_pdf(slip, out, *p12(slip)).exit_code == 0
    status = validated(out.read_bytes(), [])
    assert status.intact
    assert not status.trusted
    assert not status.bottom_line


def test_a_seal_from_key_and_certificate_files_with_its_chain(slip: Slip, tmp_path: Path) -> None:
    files = ["--seal-key", str(slip.seal.key), "--seal-cert", str(slip.seal.cert)]
    out = tmp_path / "slip.pdf"
    result = make_pdf(
        slip, out, *files, "--seal-chain", str(slip.seal.ca), "--public-url", PUBLIC_URL
    )
    assert result.exit_code == 0, result.output
    status = validated(out.read_bytes(), slip.seal.roots())
    assert status.bottom_line
    assert slip.seal.hierarchy.ca.der in embedded_certificates(out.read_bytes())
    # without the chain the reader finds no way from the seal to the root
    bare = tmp_path / "bare.pdf"
    assert make_pdf(slip, bare, *files, "--public-url", PUBLIC_URL).exit_code == 0
    assert slip.seal.hierarchy.ca.der not in embedded_certificates(bare.read_bytes())
    assert not validated(bare.read_bytes(), slip.seal.roots()).trusted


def test_the_seal_and_the_address_from_the_environment(slip: Slip, tmp_path: Path) -> None:
    out = tmp_path / "slip.pdf"
    result = make_pdf(
        slip,
        out,
        env={"LIENTHONG_SEAL_FILE": str(slip.seal.p12), "LIENTHONG_PUBLIC_URL": PUBLIC_URL},
    )
    assert result.exit_code == 0, result.output
    assert validated(out.read_bytes(), slip.seal.roots()).bottom_line


def refused(result: Result, out: Path, *words: str) -> None:
    assert result.exit_code == 2, result.output
    for word in words:
        assert word in result.output, result.output
    assert not out.exists()


def test_a_wrong_passphrase_is_refused_with_exit_2(slip: Slip, tmp_path: Path) -> None:
    out = tmp_path / "slip.pdf"
    result = make_pdf(slip, out, *p12(slip), env={"LIENTHONG_SEAL_PASSWORD": "sai"})
    refused(result, out, "sai mật khẩu", "LIENTHONG_SEAL_PASSWORD")
    result = make_pdf(slip, out, *p12(slip), env={"LIENTHONG_SEAL_PASSWORD": "sai"}, lang="en")
    refused(result, out, "wrong passphrase")
    key_files = ["--seal-key", str(slip.seal.key), "--seal-cert", str(slip.seal.cert)]
    result = make_pdf(
        slip, out, *key_files, "--public-url", PUBLIC_URL, env={"LIENTHONG_SEAL_PASSWORD": ""}
    )
    refused(result, out, "Không mở được khóa bí mật")


def test_no_seal_is_refused_and_no_unsigned_pdf_is_made(slip: Slip, tmp_path: Path) -> None:
    out = tmp_path / "slip.pdf"
    refused(
        make_pdf(slip, out, "--public-url", PUBLIC_URL), out, "--seal-p12", "LIENTHONG_SEAL_FILE"
    )


def test_a_seal_given_twice_or_half_is_refused(slip: Slip, tmp_path: Path) -> None:
    out = tmp_path / "slip.pdf"
    both = [*p12(slip), "--seal-key", str(slip.seal.key), "--seal-cert", str(slip.seal.cert)]
    refused(make_pdf(slip, out, *both, lang="en"), out, "Give one seal")
    half = ["--seal-key", str(slip.seal.key), "--public-url", PUBLIC_URL]
    refused(make_pdf(slip, out, *half, lang="en"), out, "needs --seal-cert")
    token = ["--seal-pkcs11", "/no/module.so", "--public-url", PUBLIC_URL]
    refused(make_pdf(slip, out, *token, lang="en"), out, "--seal-token-label")


def test_seal_options_without_pdf_are_refused(slip: Slip) -> None:
    result = runner.invoke(
        cli, ["--database-url", slip.database, "slip", slip.code, "--seal-p12", str(slip.seal.p12)]
    )
    assert result.exit_code == 2
    assert "--pdf" in result.output


def test_the_pdf_needs_the_servers_address_for_its_qr_code(slip: Slip, tmp_path: Path) -> None:
    out = tmp_path / "slip.pdf"
    refused(make_pdf(slip, out, "--seal-p12", str(slip.seal.p12)), out, "--public-url")
    refused(make_pdf(slip, out, *p12(slip)[:2], "--public-url", "lienthong.vn"), out, "https://")


def test_an_expired_seal_is_refused(slip: Slip, tmp_path: Path) -> None:
    old = seal_files(
        tmp_path / "old",
        label="seal-old",
        not_before=datetime(2020, 1, 1, tzinfo=UTC),
        not_after=datetime(2023, 1, 1, tzinfo=UTC),
    )
    out = tmp_path / "slip.pdf"
    result = make_pdf(slip, out, "--seal-p12", str(old.p12), "--public-url", PUBLIC_URL, lang="en")
    refused(result, out, "not valid now", "2023-01-01")


def test_a_certificate_that_may_not_sign_is_refused(slip: Slip, tmp_path: Path) -> None:
    barred = seal_files(tmp_path / "barred", label="seal-barred", digital_signature=False)
    out = tmp_path / "slip.pdf"
    result = make_pdf(
        slip, out, "--seal-p12", str(barred.p12), "--public-url", PUBLIC_URL, lang="en"
    )
    refused(result, out, "not allowed to sign")


def test_a_key_that_is_not_the_certificates_is_refused(slip: Slip, tmp_path: Path) -> None:
    other = tmp_path / "other-key.pem"
    other.write_bytes(
        rsa_key("officer-rsa").private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    out = tmp_path / "slip.pdf"
    files = [
        "--seal-key",
        str(other),
        "--seal-cert",
        str(slip.seal.cert),
        "--public-url",
        PUBLIC_URL,
    ]
    refused(make_pdf(slip, out, *files, lang="en"), out, "does not belong to its certificate")


def test_an_unreadable_seal_file_is_refused(slip: Slip, tmp_path: Path) -> None:
    out = tmp_path / "slip.pdf"
    missing = ["--seal-p12", str(tmp_path / "none.p12"), "--public-url", PUBLIC_URL]
    refused(make_pdf(slip, out, *missing, lang="en"), out, "Cannot read")


# --- the seal on a PKCS#11 token ------------------------------------------------------------------


@dataclass
class Token:
    hsm: SoftHSM
    label: str
    pin: str
    certificate: bytes  # DER, issued for the key made inside the token


@pytest.fixture(scope="module")
def token(slip: Slip, tmp_path_factory: pytest.TempPathFactory) -> Token:
    """A SoftHSM2 token holding the seal: its RSA key generated inside, never extractable, and
    the certificate the test hierarchy issued for its public key, under the key's label."""
    hsm = SoftHSM.create(tmp_path_factory.mktemp("seal-token"))
    soft = hsm.token("con-dau")
    spki = soft.generate_rsa("seal")
    issued = issue_for_public_key(
        slip.seal.hierarchy, "seal-token", office=OFFICE, spki=spki, common=OFFICE
    )
    with soft.session() as session:
        session.create_object(
            {
                **decode_x509_certificate(issued.der),
                pkcs11.Attribute.TOKEN: True,
                pkcs11.Attribute.LABEL: "seal",
                pkcs11.Attribute.ID: b"seal",
            }
        )
        key = soft.private_key(session, "seal")
        assert key[pkcs11.Attribute.EXTRACTABLE] is False
        assert key[pkcs11.Attribute.SENSITIVE] is True
    # and a key stored beside a certificate that is not its own (the software seal's)
    soft.generate_rsa("other")
    with soft.session() as session:
        session.create_object(
            {
                **decode_x509_certificate(slip.seal.seal.der),
                pkcs11.Attribute.TOKEN: True,
                pkcs11.Attribute.LABEL: "other",
                pkcs11.Attribute.ID: b"other",
            }
        )
    return Token(hsm, "con-dau", soft.pin, issued.der)


def lienthong_with_token(
    slip: Slip, token: Token, out: Path, pin: str, key_label: str = "seal"
) -> subprocess.CompletedProcess[str]:
    """The command line in a process of its own, pointed at the test's SoftHSM2 tokens."""
    return subprocess.run(
        [
            *LIENTHONG,
            "--database-url",
            slip.database,
            "--lang",
            "en",
            "slip",
            slip.code,
            "--pdf",
            str(out),
            "--seal-pkcs11",
            token.hsm.module,
            "--seal-token-label",
            token.label,
            "--seal-key-label",
            key_label,
            "--seal-chain",
            str(slip.seal.ca),
            "--public-url",
            PUBLIC_URL,
        ],
        env={**token.hsm.environment(), "LIENTHONG_SEAL_PIN": pin},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_seal_on_a_token_signs_the_slip(slip: Slip, token: Token, tmp_path: Path) -> None:
    out = tmp_path / "slip.pdf"
    done = lienthong_with_token(slip, token, out, token.pin)
    assert done.returncode == 0, done.stderr
    pdf = out.read_bytes()
    status = validated(pdf, slip.seal.roots())
    assert status.bottom_line
    assert status.signing_cert.dump() == token.certificate
    assert sub_filter(pdf) == "/ETSI.CAdES.detached"
    assert slip.seal.hierarchy.ca.der in embedded_certificates(pdf)


def test_a_wrong_pin_key_label_or_certificate_on_the_token_is_refused(
    slip: Slip, token: Token, tmp_path: Path
) -> None:
    out = tmp_path / "slip.pdf"
    done = lienthong_with_token(slip, token, out, "000000")
    assert done.returncode == 2, done.stderr
    assert "Cannot open the token" in done.stderr
    assert "LIENTHONG_SEAL_PIN" in done.stderr
    assert not out.exists()
    done = lienthong_with_token(slip, token, out, token.pin, key_label="no-such-key")
    assert done.returncode == 2, done.stderr
    assert "no key or certificate labelled 'no-such-key'" in done.stderr
    assert not out.exists()
    done = lienthong_with_token(slip, token, out, token.pin, key_label="other")
    assert done.returncode == 2, done.stderr
    assert "does not belong to the seal's certificate" in done.stderr
    assert not out.exists()
