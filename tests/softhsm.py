"""A real PKCS#11 token for tests: SoftHSM2, its tokens in a directory of the test's own.

    hsm = SoftHSM.create(tmp_path)
    token = hsm.token("officer")             # softhsm2-util --init-token --free --label officer
    spki = token.generate_rsa("signing")     # generated inside the token: sensitive, unextractable
    with TokenKey.open(hsm.module, token_label="officer", key_label="signing", pin=token.pin): …

SoftHSM2 reads its configuration (SOFTHSM2_CONF) when the module is initialised, and sees the
tokens of its directory as they were then: `activate` points this process at the directory and
initialises the module again, which ends any session still open in this process. Subprocesses
(the command line, the agent) are given `hsm.environment()`. The private keys never leave the
token: the public keys are read from it and encoded here with asn1crypto, not by the code tested.
The module is SOFTHSM2_MODULE if set, else /usr/lib/softhsm/libsofthsm2.so. Without
softhsm2-util these tests skip and say why; in CI (CI=true) they fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pkcs11
import pytest
from asn1crypto.core import Null
from asn1crypto.keys import PublicKeyInfo, RSAPublicKey
from pkcs11 import Attribute, KeyType, Mechanism
from pkcs11.util.ec import encode_ec_public_key, encode_named_curve_parameters

# SoftHSM2's module where Debian and Ubuntu put it, unless SOFTHSM2_MODULE names another
MODULE = os.environ.get("SOFTHSM2_MODULE") or "/usr/lib/softhsm/libsofthsm2.so"
SO_PIN = "87654321"
PIN = "123456"
# what a private key made here is: kept on the token, private, sensitive, never extractable
PRIVATE = {
    Attribute.TOKEN: True,
    Attribute.PRIVATE: True,
    Attribute.SENSITIVE: True,
    Attribute.EXTRACTABLE: False,
    Attribute.SIGN: True,
}


def softhsm_or_skip() -> None:
    if shutil.which("softhsm2-util") and Path(MODULE).exists():
        return
    message = f"no SoftHSM2 (softhsm2-util and {MODULE}); apt-get install softhsm2"
    if os.environ.get("CI") == "true":
        pytest.fail(f"SoftHSM2 is required in CI: {message}")
    pytest.skip(message)


@dataclass(frozen=True)
class SoftHSM:
    """A SoftHSM2 configuration whose tokens live in `directory / 'tokens'`."""

    directory: Path
    module: str = MODULE

    @classmethod
    def create(cls, directory: Path) -> SoftHSM:
        softhsm_or_skip()
        (directory / "tokens").mkdir(parents=True)
        (directory / "softhsm2.conf").write_text(
            f"directories.tokendir = {directory / 'tokens'}\n"
            "objectstore.backend = file\n"
            "log.level = ERROR\n",
            encoding="utf-8",
        )
        return cls(directory)

    @property
    def conf(self) -> Path:
        return self.directory / "softhsm2.conf"

    def environment(self) -> dict[str, str]:
        """This process's environment, pointed at this configuration: for subprocesses."""
        return {**os.environ, "SOFTHSM2_CONF": str(self.conf)}

    def activate(self) -> None:
        """Point this process at this configuration and initialise the module again, so it sees
        the tokens made since (any session still open in this process ends)."""
        os.environ["SOFTHSM2_CONF"] = str(self.conf)
        pkcs11.lib(self.module).reinitialize()

    def token(self, label: str, *, pin: str = PIN) -> SoftToken:
        """A fresh, empty token with this label, the user PIN `pin` and SO PIN SO_PIN."""
        subprocess.run(
            [
                "softhsm2-util",
                "--init-token",
                "--free",
                "--label",
                label,
                "--so-pin",
                SO_PIN,
                "--pin",
                pin,
            ],
            env=self.environment(),
            check=True,
            capture_output=True,
        )
        self.activate()
        return SoftToken(self, label, pin)


@dataclass(frozen=True)
class SoftToken:
    hsm: SoftHSM
    label: str
    pin: str

    @contextmanager
    def session(self) -> Iterator[pkcs11.Session]:
        """A read-write session logged in as the user."""
        token = pkcs11.lib(self.hsm.module).get_token(token_label=self.label)
        with token.open(rw=True, user_pin=self.pin) as session:
            yield session

    def generate_rsa(
        self, label: str, bits: int = 2048, *, private: dict[Attribute, Any] | None = None
    ) -> bytes:
        """An RSA key pair made inside the token; the DER SubjectPublicKeyInfo of its key."""
        with self.session() as session:
            public, _ = session.generate_keypair(
                KeyType.RSA,
                bits,
                label=label,
                id=label.encode(),
                store=True,
                private_template={**PRIVATE, **(private or {})},
            )
            pkcs1 = RSAPublicKey(
                {
                    "modulus": int.from_bytes(public[Attribute.MODULUS], "big"),
                    "public_exponent": int.from_bytes(public[Attribute.PUBLIC_EXPONENT], "big"),
                }
            )
            return bytes(
                PublicKeyInfo(
                    {"algorithm": {"algorithm": "rsa", "parameters": Null()}, "public_key": pkcs1}
                ).dump()
            )

    def generate_ec(
        self,
        label: str,
        curve: str = "secp256r1",
        *,
        public_label: str | None = None,
        identity: bytes | None = None,
    ) -> bytes:
        """An ECDSA key pair made inside the token; the DER SubjectPublicKeyInfo of its key.
        `public_label` and `identity` (CKA_ID) set the public key's apart from the private's."""
        with self.session() as session:
            public, _ = session.generate_keypair(
                KeyType.EC,
                store=True,
                mechanism=Mechanism.EC_KEY_PAIR_GEN,
                public_template={
                    Attribute.EC_PARAMS: encode_named_curve_parameters(curve),
                    Attribute.LABEL: public_label or label,
                    Attribute.ID: identity or label.encode(),
                },
                private_template={
                    **PRIVATE,
                    Attribute.LABEL: label,
                    Attribute.ID: label.encode(),
                },
            )
            return bytes(encode_ec_public_key(public))

    def generate_ed25519(self, label: str) -> None:
        """An Ed25519 key pair made inside the token (a type statements do not take from one)."""
        with self.session() as session:
            session.generate_keypair(
                KeyType.EC_EDWARDS,
                store=True,
                mechanism=Mechanism.EC_EDWARDS_KEY_PAIR_GEN,
                public_template={
                    Attribute.EC_PARAMS: encode_named_curve_parameters("1.3.101.112"),
                    Attribute.LABEL: label,
                },
                private_template={**PRIVATE, Attribute.LABEL: label},
            )

    def private_key(self, session: pkcs11.Session, label: str) -> pkcs11.PrivateKey:
        key = session.get_key(object_class=pkcs11.ObjectClass.PRIVATE_KEY, label=label)
        assert isinstance(key, pkcs11.PrivateKey)
        return key
