"""Signing statements with a key on a PKCS#11 token (ledger/statements/pkcs11.py), on a real SoftHSM2
token whose keys were generated inside it and never leave it: the signatures verify as the ledger
verifies them, and each key the token cannot sign statements with is refused by name."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import pkcs11
import pytest
from pkcs11 import Attribute, Mechanism

from domain.statement import Statement
from ledger.errors import BadSignature
from ledger.statements import schema
from ledger.statements.pkcs11 import ECDSA_P256, RSA_PSS, TokenError, TokenKey
from ledger.statements.signing import key_id, verify
from tests.pki import Hierarchy
from tests.pki_token import issue_for_public_key
from tests.softhsm import SoftHSM, SoftToken

TOKEN = "can-bo-29266"  # noqa: S105 (a token label, not a secret)
TWINS = "hai-the"  # two tokens with one label


def statement(key: str, reason: str = "Thiếu bản sao giấy khai sinh") -> bytes:
    return schema.build(
        Statement(
            kind="handover.rejected",
            subject="000.00.29.H59-250602-0001",
            seq=3,
            prev=hashlib.sha256(b"dispatch").digest(),
            office="29266",
            officer="cb-29266",
            key=key,
            at=1748840400000000,
            body={"dispatch": hashlib.sha256(b"dispatch").digest(), "reason": reason},
        )
    )


@dataclasses.dataclass(frozen=True)
class Keys:
    hsm: SoftHSM
    token: SoftToken
    rsa: bytes
    ec: bytes
    certified: bytes


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    hsm = SoftHSM.create(tmp_path_factory.mktemp("softhsm"))
    token = hsm.token(TOKEN)
    rsa = token.generate_rsa("ky-rsa")
    ec = token.generate_ec("ky-ec")
    token.generate_rsa("yeu", 1024)
    token.generate_ec("p384", "secp384r1")
    token.generate_ed25519("ed25519")
    token.generate_rsa("khong-ky", private={Attribute.SIGN: False})
    token.generate_rsa("moi-lan", private={Attribute.ALWAYS_AUTHENTICATE: True})
    token.generate_ec("trung")
    token.generate_ec("trung")
    # a private key whose public key object (same CKA_ID) is another key pair's
    token.generate_ec("lech", identity=b"lech-rieng")
    token.generate_ec("lech-khac", public_label="lech-khac-cong-khai", identity=b"lech")
    # a private key with no public key object and no certificate
    token.generate_ec("mo-coi")
    with token.session() as session:
        for found in session.get_objects(
            {Attribute.CLASS: pkcs11.ObjectClass.PUBLIC_KEY, Attribute.LABEL: "mo-coi"}
        ):
            found.destroy()
    # a private key whose public key is known from its certificate on the token only
    kept = token.generate_ec("chung-thu")
    issued = issue_for_public_key(Hierarchy.build(), "chung-thu", office="Xã Càng Long", spki=kept)
    with token.session() as session:
        for found in session.get_objects(
            {Attribute.CLASS: pkcs11.ObjectClass.PUBLIC_KEY, Attribute.LABEL: "chung-thu"}
        ):
            found.destroy()
        session.create_object(
            {
                Attribute.CLASS: pkcs11.ObjectClass.CERTIFICATE,
                Attribute.CERTIFICATE_TYPE: pkcs11.CertificateType.X_509,
                Attribute.TOKEN: True,
                Attribute.ID: b"chung-thu",
                Attribute.LABEL: "chung-thu",
                Attribute.SUBJECT: issued.certificate.subject.public_bytes(),
                Attribute.VALUE: issued.der,
            }
        )
    hsm.token(TWINS)
    hsm.token(TWINS)
    return Keys(hsm, token, rsa, ec, kept)


@pytest.fixture
def hsm(keys: Keys) -> Keys:
    keys.hsm.activate()  # another module's tokens may be the ones this process sees
    return keys


def open_key(keys: Keys, label: str, *, pin: str | None = None, on: str = TOKEN) -> TokenKey:
    return TokenKey.open(
        keys.hsm.module,
        token_label=on,
        key_label=label,
        pin=keys.token.pin if pin is None else pin,
    )


def refusal(keys: Keys, label: str, **given: str) -> TokenError:
    with pytest.raises(TokenError) as refused:
        open_key(keys, label, **given).close()
    return refused.value


# --- signatures ---------------------------------------------------------------------------------


def test_an_rsa_key_on_the_token_signs_statements_the_ledger_verifies(hsm: Keys) -> None:
    with open_key(hsm, "ky-rsa") as key:
        assert key.public_key == hsm.rsa
        assert key.key_id == key_id(hsm.rsa)
        assert key.algorithm == RSA_PSS
        assert key.mechanism == Mechanism.SHA256_RSA_PKCS_PSS
        raw = statement(key.key_id)
        signature = key.sign(raw)
        assert len(signature) == 256
        verify(hsm.rsa, raw, signature)
        assert key.sign(raw) != signature  # PSS is salted: each signature is new, each verifies
        verify(hsm.rsa, raw, key.sign(raw))
        with pytest.raises(BadSignature):
            verify(hsm.rsa, statement(key.key_id, "Khác"), signature)


def test_a_token_with_only_bare_rsa_pss_signs_the_digest_with_the_same_parameters(
    hsm: Keys,
) -> None:
    with open_key(hsm, "ky-rsa") as key:
        bare = dataclasses.replace(key, mechanism=Mechanism.RSA_PKCS_PSS)
        raw = statement(key.key_id)
        verify(hsm.rsa, raw, bare.sign(raw))


def test_an_ecdsa_p256_key_on_the_token_signs_r_and_s_the_ledger_verifies(hsm: Keys) -> None:
    with open_key(hsm, "ky-ec") as key:
        assert key.public_key == hsm.ec
        assert key.key_id == key_id(hsm.ec)
        assert key.algorithm == ECDSA_P256
        raw = statement(key.key_id)
        signature = key.sign(raw)
        assert len(signature) == 64
        verify(hsm.ec, raw, signature)
        with pytest.raises(BadSignature):
            verify(hsm.rsa, raw, signature)


def test_the_private_keys_never_leave_the_token(hsm: Keys) -> None:
    with hsm.token.session() as session:
        ec_key = hsm.token.private_key(session, "ky-ec")
        rsa_key = hsm.token.private_key(session, "ky-rsa")
        for key in (ec_key, rsa_key):
            assert key[Attribute.SENSITIVE] is True
            assert key[Attribute.EXTRACTABLE] is False
            assert key[Attribute.NEVER_EXTRACTABLE] is True
        with pytest.raises(pkcs11.AttributeSensitive):
            ec_key[Attribute.VALUE]
        for secret in (Attribute.PRIVATE_EXPONENT, Attribute.PRIME_1, Attribute.PRIME_2):
            with pytest.raises(pkcs11.AttributeSensitive):
                rsa_key[secret]


def test_a_key_open_in_the_process_is_closed_before_another_login(hsm: Keys) -> None:
    with open_key(hsm, "ky-ec"):
        assert refusal(hsm, "ky-rsa", pin="000000").reason == "already-logged-in"
    with open_key(hsm, "ky-rsa") as key:  # closed: the next login checks the PIN again
        assert key.public_key == hsm.rsa
    assert refusal(hsm, "ky-rsa", pin="000000").reason == "wrong-pin"


# --- refusals -----------------------------------------------------------------------------------


def test_a_module_that_cannot_be_loaded_is_refused(hsm: Keys, tmp_path: Path) -> None:
    not_a_module = tmp_path / "token.so"
    not_a_module.write_bytes(b"not a shared object")
    for module in (str(tmp_path / "missing.so"), str(not_a_module)):
        with pytest.raises(TokenError, match="cannot load the PKCS#11 module") as refused:
            TokenKey.open(module, token_label=TOKEN, key_label="ky-ec", pin=hsm.token.pin)
        assert refused.value.reason == "module"


def test_no_token_with_the_label_is_refused_naming_those_present(hsm: Keys) -> None:
    problem = refusal(hsm, "ky-ec", on="khong-co")
    assert problem.reason == "no-token"
    assert "'khong-co'" in str(problem)
    assert TOKEN in str(problem)


def test_two_tokens_with_the_label_are_refused(hsm: Keys) -> None:
    assert refusal(hsm, "ky-ec", on=TWINS).reason == "several-tokens"


def test_a_wrong_pin_is_refused(hsm: Keys) -> None:
    problem = refusal(hsm, "ky-ec", pin="000000")
    assert problem.reason == "wrong-pin"
    assert problem.code == "token-error"


def test_no_key_with_the_label_is_refused(hsm: Keys) -> None:
    assert refusal(hsm, "khong-co").reason == "no-key"


def test_two_keys_with_the_label_are_refused(hsm: Keys) -> None:
    assert refusal(hsm, "trung").reason == "several-keys"


def test_key_types_statements_do_not_use_are_refused(hsm: Keys) -> None:
    ed25519 = refusal(hsm, "ed25519")
    assert ed25519.reason == "key-type"
    assert "RSA" in str(ed25519)
    p384 = refusal(hsm, "p384")
    assert p384.reason == "key-type"
    assert "P-256" in str(p384)


def test_an_rsa_key_under_2048_bits_is_refused(hsm: Keys) -> None:
    problem = refusal(hsm, "yeu")
    assert problem.reason == "weak-key"
    assert "1024 bits" in str(problem)


def test_a_key_that_may_not_sign_is_refused(hsm: Keys) -> None:
    assert refusal(hsm, "khong-ky").reason == "may-not-sign"


def test_a_key_wanting_its_pin_for_each_signature_is_refused(hsm: Keys) -> None:
    assert refusal(hsm, "moi-lan").reason == "always-authenticate"


def test_an_ec_key_with_only_a_certificate_on_the_token_takes_its_public_key_from_it(
    hsm: Keys,
) -> None:
    with open_key(hsm, "chung-thu") as key:
        assert key.public_key == hsm.certified
        raw = statement(key.key_id)
        verify(hsm.certified, raw, key.sign(raw))


def test_an_ec_key_with_no_public_key_on_the_token_is_refused(hsm: Keys) -> None:
    assert refusal(hsm, "mo-coi").reason == "no-public-key"


def test_a_signature_that_does_not_verify_with_the_public_key_found_is_not_returned(
    hsm: Keys,
) -> None:
    with open_key(hsm, "lech") as key:  # its CKA_ID names the other pair's public key
        with pytest.raises(TokenError, match="does not verify") as refused:
            key.sign(statement(key.key_id))
        assert refused.value.reason == "signature"
