"""`lienthong sign --pkcs11 MODULE --token-label L --key-label K`: a statement signed with a key on a
real SoftHSM2 token, its PIN from LIENTHONG_TOKEN_PIN; exactly one of --key and --pkcs11."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from api.cli.main import app
from domain.instant import to_datetime
from ledger.log.audit import audit
from ledger.statements import schema
from ledger.statements.authoring import register_certificate_key
from ledger.statements.signing import Envelope, SigningKey, key_id, verify
from tests.pki import Hierarchy
from tests.pki_token import chain_for, issue_for_public_key
from tests.softhsm import SoftHSM, SoftToken
from tests.world import CODE as WORLD_CODE
from tests.world import DAY, PROCEDURE, World

runner = CliRunner()
TOKEN = "the-ky-cong-vu"  # noqa: S105 (a token label, not a secret)
CODE = "000.00.29.H59-250602-0001"
BODY = json.dumps({"dispatch": hashlib.sha256(b"dispatch").hexdigest(), "reason": "Thiếu giấy tờ"})


@dataclass(frozen=True)
class Token:
    hsm: SoftHSM
    token: SoftToken
    rsa: bytes
    ec: bytes


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Token:
    hsm = SoftHSM.create(tmp_path_factory.mktemp("softhsm-cli"))
    token = hsm.token(TOKEN)
    return Token(hsm, token, token.generate_rsa("ky-rsa"), token.generate_ec("ky-ec"))


@pytest.fixture
def hsm(made: Token) -> Token:
    made.hsm.activate()
    return made


def sign(db: str, *args: str, pin: str | None) -> Result:
    environment = {"LIENTHONG_TOKEN_PIN": pin} if pin is not None else {}
    command = ["--database-url", db, "--lang", "en", "sign", "handover.rejected", CODE]
    return runner.invoke(app, [*command, "--body", BODY, *args], env=environment)


def on_token(made: Token, label: str) -> list[str]:
    return ["--pkcs11", made.hsm.module, "--token-label", TOKEN, "--key-label", label]


OFFICER = ["--officer", "cb-29266", "--office", "29266"]


@pytest.mark.parametrize("label", ["ky-rsa", "ky-ec"])
def test_sign_with_a_key_on_a_token_prints_an_envelope_that_verifies(
    hsm: Token, tmp_path: Path, label: str
) -> None:
    public = hsm.rsa if label == "ky-rsa" else hsm.ec
    result = sign(
        f"sqlite:///{tmp_path / 'l.db'}", *on_token(hsm, label), *OFFICER, pin=hsm.token.pin
    )
    assert result.exit_code == 0, result.output
    envelope = Envelope.from_json(result.stdout)
    statement = schema.parse(envelope.statement)
    assert statement.key == key_id(public)
    assert (statement.officer, statement.office) == ("cb-29266", "29266")
    verify(public, envelope.statement, envelope.signature)


def test_a_wrong_pin_is_refused_and_nothing_is_printed(hsm: Token, tmp_path: Path) -> None:
    result = sign(f"sqlite:///{tmp_path / 'l.db'}", *on_token(hsm, "ky-ec"), *OFFICER, pin="0000")
    assert result.exit_code == 2
    assert "token-error" in result.output
    assert "wrong PIN" in result.output
    assert result.stdout == ""


def test_a_key_label_not_on_the_token_is_refused(hsm: Token, tmp_path: Path) -> None:
    result = sign(
        f"sqlite:///{tmp_path / 'l.db'}", *on_token(hsm, "khong-co"), *OFFICER, pin=hsm.token.pin
    )
    assert result.exit_code == 2
    assert "no private key labelled 'khong-co'" in result.output


def test_exactly_one_of_a_key_file_and_a_token(hsm: Token, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'l.db'}"
    key_file = tmp_path / "officer.key"
    SigningKey.generate("cb-29266", "29266").save(key_file)
    both = sign(db, "--key", str(key_file), *on_token(hsm, "ky-ec"), *OFFICER, pin=hsm.token.pin)
    assert both.exit_code == 2
    assert "exactly one signing key" in both.output
    neither = sign(db, *OFFICER, pin=hsm.token.pin)
    assert neither.exit_code == 2
    assert "exactly one signing key" in neither.output
    labels_without_token = sign(db, "--key", str(key_file), "--key-label", "ky-ec", pin=None)
    assert labels_without_token.exit_code == 2
    assert "exactly one signing key" in labels_without_token.output
    with_file = sign(db, "--key", str(key_file), pin=None)  # the key file still signs alone
    assert with_file.exit_code == 0, with_file.output


def test_a_token_needs_its_labels_and_the_officer_and_office(hsm: Token, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'l.db'}"
    no_labels = sign(db, "--pkcs11", hsm.hsm.module, *OFFICER, pin=hsm.token.pin)
    assert no_labels.exit_code == 2
    assert "--token-label" in no_labels.output
    no_officer = sign(db, *on_token(hsm, "ky-ec"), pin=hsm.token.pin)
    assert no_officer.exit_code == 2
    assert "give --officer and --office" in no_officer.output


def test_the_pin_is_never_an_option(hsm: Token, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'l.db'}"
    result = sign(db, *on_token(hsm, "ky-ec"), *OFFICER, "--pin", hsm.token.pin, pin=None)
    assert result.exit_code == 2
    assert "No such option" in result.output


def test_a_statement_signed_on_the_token_is_recorded_for_an_officer_with_its_certificate(
    hsm: Token, tmp_path: Path
) -> None:
    hierarchy = Hierarchy.build()
    db = f"sqlite:///{tmp_path / 'l.db'}"
    world = World.build(db, trust_anchors=str(hierarchy.anchors(tmp_path / "anchors")))
    world.authority.record(
        "officer.enrolled",
        "cb-token",
        {"office": "29266", "title": "Công chức một cửa", "effective": world.clock.now()},
    )
    issued = issue_for_public_key(hierarchy, "cb-token", office="Thị trấn Càng Long", spki=hsm.ec)
    register_certificate_key(world.authority, "cb-token", chain_for(hierarchy, issued))
    world.later(1)
    body = {
        "procedure": PROCEDURE,
        "version": 1,
        "applicant": bytes(32).hex(),
        "channel": "direct",
        "documents": [{"name": "Đơn đề nghị", "sha256": hashlib.sha256(b"don").hexdigest()}],
        "appointed": to_datetime(world.clock.now() + 20 * DAY).isoformat(),
    }
    command = [
        "--database-url",
        db,
        "sign",
        "dossier.received",
        WORLD_CODE,
        *on_token(hsm, "ky-ec"),
    ]
    at = to_datetime(world.clock.now()).isoformat()
    who = ["--officer", "cb-token", "--office", "29266"]
    result = runner.invoke(
        app,
        [*command, *who, "--body", json.dumps(body), "--at", at],
        env={"LIENTHONG_TOKEN_PIN": hsm.token.pin},
    )
    assert result.exit_code == 0, result.output
    envelope = Envelope.from_json(result.stdout)
    receipt = world.ledger.record(envelope.statement, envelope.signature)
    assert receipt.kind == "dossier.received"
    assert world.ledger.dossier(WORLD_CODE).custodian == "29266"
    assert world.ledger.key(key_id(hsm.ec)).certificates
    report = audit(world.ledger, workers=1)
    assert report.ok, [finding.describe() for finding in report.findings]
    world.ledger.close()
