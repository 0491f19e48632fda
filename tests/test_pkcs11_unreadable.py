"""A token whose certificate for a key is not a certificate: opening the key is refused as a
TokenError naming why (bad-certificate), not a ValueError escaping from the certificate parser,
on a real SoftHSM2 token whose key was generated inside it."""

from __future__ import annotations

import pkcs11
import pytest
from pkcs11 import Attribute

from ledger.statements.pkcs11 import TokenError, TokenKey
from tests.softhsm import SoftHSM

TOKEN = "the-hong"  # noqa: S105 (a token label, not a secret)


@pytest.fixture(scope="module")
def hsm(tmp_path_factory: pytest.TempPathFactory) -> SoftHSM:
    hsm = SoftHSM.create(tmp_path_factory.mktemp("softhsm-unreadable"))
    token = hsm.token(TOKEN)
    # a private key with no public key object, and a "certificate" of the same CKA_ID whose value
    # is not DER X.509
    token.generate_ec("hong")
    with token.session() as session:
        for found in session.get_objects(
            {Attribute.CLASS: pkcs11.ObjectClass.PUBLIC_KEY, Attribute.LABEL: "hong"}
        ):
            found.destroy()
        session.create_object(
            {
                Attribute.CLASS: pkcs11.ObjectClass.CERTIFICATE,
                Attribute.CERTIFICATE_TYPE: pkcs11.CertificateType.X_509,
                Attribute.TOKEN: True,
                Attribute.ID: b"hong",
                Attribute.LABEL: "hong",
                Attribute.SUBJECT: b"\x30\x00",
                Attribute.VALUE: b"not a certificate",
            }
        )
    return hsm


def test_a_certificate_on_the_token_that_is_not_one_is_a_token_error(hsm: SoftHSM) -> None:
    hsm.activate()
    with pytest.raises(TokenError) as refused:
        TokenKey.open(hsm.module, token_label=TOKEN, key_label="hong", pin="123456").close()
    assert refused.value.reason == "bad-certificate"
    assert "'hong'" in str(refused.value)
    # the session was closed: the same PIN logs in again
    with pytest.raises(TokenError):
        TokenKey.open(hsm.module, token_label=TOKEN, key_label="hong", pin="123456").close()
