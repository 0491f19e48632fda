"""Signatures over statements, key ids, key files and envelopes.

Signature = Ed25519(private key, SIGNING_PREFIX ‖ statement bytes). The prefix separates this use of
a key from any other, so a statement signature can never be replayed as anything else.
Key id = lowercase hex of the first 16 bytes of SHA-256(KEY_ID_PREFIX ‖ public key), the public key
being the raw 32-byte Ed25519 key, or for a key registered with an X.509 certificate the DER
SubjectPublicKeyInfo of the certificate's key.

Certificate keys (official-duty certificates, chứng thư số công vụ) sign the same prefix and bytes
with RSA-PSS (SHA-256, MGF1-SHA-256, salt 32 bytes; modulus ≥ 2048 bits) or ECDSA P-256 with
SHA-256 (the signature is r ‖ s, 32 bytes each, as PKCS#11 tokens and WebCrypto give it); see
docs/log-format.md section 6.

Signing uses `cryptography`; every Ed25519 verification (recording, audit, bundles) uses libsodium
through PyNaCl: one verifier everywhere, so what the ledger accepted the audit accepts, and
libsodium verifies about twice as fast (docs/performance.md). libsodium also refuses small-order
public keys and non-canonical signatures. Certificate keys are verified with `cryptography`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from nacl.bindings import crypto_sign_open
from nacl.exceptions import BadSignatureError

from ledger.errors import BadEnvelope, BadKeyFile, BadSignature, LedgerError, WeakAlgorithm

SIGNING_PREFIX = b"lienthong statement v1\n"
KEY_ID_PREFIX = b"lienthong key v1\n"
RSA_MIN_BITS = 2048  # Circular 15/2025/TT-BKHCN: RSA ≥ 2048 with PSS, or ECDSA ≥ 256
PSS_SALT_BYTES = 32  # the salt is as long as the SHA-256 digest
ED25519_KEY_BYTES = 32

CertificatePublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey


def key_id(public_key: bytes) -> str:
    """The id by which statements name a key."""
    return hashlib.sha256(KEY_ID_PREFIX + public_key).digest()[:16].hex()


def statement_hash(statement: bytes) -> bytes:
    """SHA-256 of the canonical statement bytes: what `prev` and dispatch references name."""
    return hashlib.sha256(statement).digest()


def private_seed(private: Ed25519PrivateKey) -> bytes:
    """The 32-byte seed of an Ed25519 private key (what key files keep)."""
    return private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def write_key_file(path: Path, document: dict[str, Any]) -> None:
    """Write a JSON key file with mode 0600; FileExistsError rather than overwrite a key."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=2)
        handle.write("\n")


def read_key_file(path: Path, key_type: str | None, what: str) -> tuple[dict[str, Any], bytes]:
    """A key file's JSON document and its seed; BadKeyFile naming the file and the problem.
    `key_type` None accepts a file without a type (officer and authority keys)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(document, dict):
            raise TypeError("it is not a JSON object")
        if key_type is not None and document.get("type") != key_type:
            raise ValueError(f"its type is {document.get('type')!r}, not {key_type!r}")
        return document, base64.b64decode(document["seed"], validate=True)
    except FileNotFoundError:
        raise BadKeyFile(f"{what} file {path} does not exist") from None
    except OSError as problem:
        raise BadKeyFile(f"cannot read {what} file {path}: {problem.strerror}") from None
    except (ValueError, KeyError, TypeError, binascii.Error) as problem:
        raise BadKeyFile(f"{path} is not a Liên thông {what} file: {problem}") from None


class StatementKey(Protocol):
    """Anything that signs statements: an Ed25519 key file, a certificate key in software, a
    key on a PKCS#11 token."""

    @property
    def public_key(self) -> bytes: ...

    @property
    def key_id(self) -> str: ...

    def sign(self, statement: bytes) -> bytes: ...


@dataclass(frozen=True)
class SigningKey:
    """A private Ed25519 key with the officer and office it signs for (as its key file says)."""

    private: Ed25519PrivateKey
    officer: str = ""
    office: str = ""

    @classmethod
    def from_seed(cls, seed: bytes, officer: str = "", office: str = "") -> SigningKey:
        """Deterministic keys for tests and demo data: the seed is the 32-byte private key."""
        return cls(Ed25519PrivateKey.from_private_bytes(seed), officer, office)

    @classmethod
    def generate(cls, officer: str = "", office: str = "") -> SigningKey:
        return cls(Ed25519PrivateKey.generate(), officer, office)

    @property
    def public_key(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    @property
    def key_id(self) -> str:
        return key_id(self.public_key)

    def sign(self, statement: bytes) -> bytes:
        return self.private.sign(SIGNING_PREFIX + statement)

    def save(self, path: Path) -> None:
        """Write the key file with mode 0600, refusing to overwrite an existing file."""
        write_key_file(
            path,
            {
                "type": "lienthong-ed25519-private-key",
                "key": self.key_id,
                "officer": self.officer,
                "office": self.office,
                "public_key": base64.b64encode(self.public_key).decode(),
                "seed": base64.b64encode(private_seed(self.private)).decode(),
            },
        )

    @classmethod
    def load(cls, path: Path) -> SigningKey:
        document, seed = read_key_file(path, None, "key")
        try:
            key = cls.from_seed(seed, document.get("officer", ""), document.get("office", ""))
        except ValueError as problem:
            raise BadKeyFile(f"{path} is not a Liên thông key file: {problem}") from None
        if document.get("key") not in (None, key.key_id):
            raise BadKeyFile(f"{path} names key {document['key']} but holds key {key.key_id}")
        return key


def verify(public_key: bytes, statement: bytes, signature: bytes) -> None:
    """Raise BadSignature unless `signature` is the key's signature over the statement: Ed25519
    for a 32-byte key, else RSA-PSS or ECDSA P-256 by the kind of the SubjectPublicKeyInfo."""
    if len(public_key) != ED25519_KEY_BYTES:
        _verify_certificate_key(public_key, statement, signature)
        return
    if len(signature) != 64:
        raise BadSignature(f"a signature is 64 bytes, not {len(signature)}")
    try:
        crypto_sign_open(signature + SIGNING_PREFIX + statement, public_key)
    except (BadSignatureError, ValueError):
        raise BadSignature(f"the signature does not verify with key {key_id(public_key)}") from None


class VerifiedSignatures:
    """Signatures verified ahead of the ledger's own check, waiting for it to use them.

    A server verifies a signature on the thread that received the statement, in parallel with
    the writer (the C libraries release the GIL while they verify), and notes the exact triple
    (public key, statement bytes, signature) here; the writer's check of the same triple takes
    the note instead of verifying it a second time. Only a successful verification is noted, and
    only the same key, bytes and signature match it: verification is a pure function of the
    three, so the check made is the check the writer would make. Each note is used once; at most
    `limit` wait (the oldest are dropped: a statement refused before it reached the writer)."""

    def __init__(self, limit: int = 4096) -> None:
        self._limit = limit
        self._noted: dict[tuple[bytes, bytes, bytes], None] = {}
        self._lock = threading.Lock()

    def verify_ahead(self, public_key: bytes, statement: bytes, signature: bytes) -> bool:
        """Verify now and note the triple if it verifies; False (nothing noted) if it does not:
        the writer's check then refuses it with its usual error."""
        try:
            verify(public_key, statement, signature)
        except LedgerError:
            return False
        with self._lock:
            self._noted[(public_key, statement, signature)] = None
            while len(self._noted) > self._limit:
                del self._noted[next(iter(self._noted))]
        return True

    def verify(self, public_key: bytes, statement: bytes, signature: bytes) -> None:
        """`verify`, unless exactly this triple was verified ahead (the note is used up)."""
        with self._lock:
            noted = self._noted.pop((public_key, statement, signature), 0) is None
        if not noted:
            verify(public_key, statement, signature)

    def __len__(self) -> int:
        return len(self._noted)


@lru_cache(maxsize=4096)
def certificate_public_key(spki: bytes) -> CertificatePublicKey:
    """The public key of a certificate key from its DER SubjectPublicKeyInfo; BadSignature when
    the bytes are not one, WeakAlgorithm for an RSA key under 2048 bits or a curve but P-256."""
    try:
        loaded = serialization.load_der_public_key(spki)
    except (ValueError, UnsupportedAlgorithm) as problem:
        raise BadSignature(
            f"a public key is 32 bytes (Ed25519) or a DER SubjectPublicKeyInfo of an RSA or "
            f"ECDSA P-256 key: {problem}"
        ) from None
    if (
        loaded.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        != spki
    ):
        raise BadSignature("the SubjectPublicKeyInfo is not in its one DER encoding")
    if isinstance(loaded, rsa.RSAPublicKey):
        if loaded.key_size < RSA_MIN_BITS:
            raise WeakAlgorithm(
                f"an RSA key of {loaded.key_size} bits is too weak to sign; at least "
                f"{RSA_MIN_BITS} bits are required"
            )
        return loaded
    if isinstance(loaded, ec.EllipticCurvePublicKey):
        if not isinstance(loaded.curve, ec.SECP256R1):
            raise WeakAlgorithm(
                f"an ECDSA key on curve {loaded.curve.name} is not accepted; use P-256 "
                f"(secp256r1) with SHA-256"
            )
        return loaded
    raise WeakAlgorithm(
        f"a certificate key must be RSA (PSS) or ECDSA P-256, not {type(loaded).__name__}"
    )


def _verify_certificate_key(spki: bytes, statement: bytes, signature: bytes) -> None:
    public = certificate_public_key(spki)
    message = SIGNING_PREFIX + statement
    try:
        if isinstance(public, rsa.RSAPublicKey):
            size = (public.key_size + 7) // 8
            if len(signature) != size:
                raise BadSignature(
                    f"an RSA-PSS signature with this {public.key_size}-bit key is {size} bytes, "
                    f"not {len(signature)}"
                )
            public.verify(signature, message, pss_padding(), hashes.SHA256())
        else:
            if len(signature) != 64:
                raise BadSignature(
                    f"an ECDSA P-256 signature is 64 bytes (r ‖ s), not {len(signature)}"
                )
            der = encode_dss_signature(
                int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
            )
            public.verify(der, message, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise BadSignature(f"the signature does not verify with key {key_id(spki)}") from None


def pss_padding() -> padding.PSS:
    """RSA-PSS as statements use it: MGF1 with SHA-256 and a 32-byte salt."""
    return padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=PSS_SALT_BYTES)


def spki_of(public: CertificatePublicKey) -> bytes:
    """The DER SubjectPublicKeyInfo of a certificate key: what `public_key` holds and key ids hash."""
    return public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def ecdsa_raw(der_signature: bytes) -> bytes:
    """An ECDSA P-256 signature from its DER form (as `cryptography` makes it) to r ‖ s."""
    r, s = decode_dss_signature(der_signature)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


@dataclass(frozen=True)
class CertificateSigningKey:
    """A certificate key held in software (tests, demo data, a PKCS#12 file): signs statements
    as a token would. The private key on a real token never leaves it (ledger/statements/pkcs11.py)."""

    private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    officer: str = ""
    office: str = ""

    @property
    def public_key(self) -> bytes:
        return spki_of(self.private.public_key())

    @property
    def key_id(self) -> str:
        return key_id(self.public_key)

    def sign(self, statement: bytes) -> bytes:
        message = SIGNING_PREFIX + statement
        if isinstance(self.private, rsa.RSAPrivateKey):
            return self.private.sign(message, pss_padding(), hashes.SHA256())
        return ecdsa_raw(self.private.sign(message, ec.ECDSA(hashes.SHA256())))


@dataclass(frozen=True)
class Envelope:
    """A signed statement in transit: the canonical bytes and the signature over them."""

    statement: bytes
    signature: bytes

    def to_json(self) -> str:
        return json.dumps(
            {
                "statement": base64.b64encode(self.statement).decode(),
                "signature": base64.b64encode(self.signature).decode(),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Envelope:
        try:
            document: Any = json.loads(text)
            return cls(
                base64.b64decode(document["statement"], validate=True),
                base64.b64decode(document["signature"], validate=True),
            )
        except (ValueError, KeyError, TypeError, binascii.Error) as problem:
            raise BadEnvelope(
                f"an envelope is a JSON object with base64 'statement' and 'signature': {problem}"
            ) from None
