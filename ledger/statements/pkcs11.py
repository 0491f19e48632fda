"""Signing statements with a private key held on a PKCS#11 token (a USB token or smart card of an
official-duty certificate, chứng thư số công vụ, or an HSM): the key never leaves the token.

    with TokenKey.open(module, token_label="…", key_label="…", pin=pin) as key:
        signature = key.sign(statement)

`public_key` is the DER SubjectPublicKeyInfo of the token's key (built from the private key's
CKA_MODULUS and CKA_PUBLIC_EXPONENT for RSA, from the public key's CKA_EC_POINT, or else the
certificate's key, for ECDSA), `key_id` the id statements name it by, and `sign` gives exactly
what `signing.verify` accepts: RSA-PSS (CKM_SHA256_RSA_PKCS_PSS, MGF1-SHA-256, salt 32; or
CKM_RSA_PKCS_PSS over the SHA-256 digest where the token has only that) or ECDSA P-256
(CKM_ECDSA over the SHA-256 digest, r ‖ s), over SIGNING_PREFIX ‖ statement. Each signature is
verified with the public key before it is returned, so a token that pairs the label with another
key, or signs in another format, is found out here and not by the ledger.

Every refusal is a `TokenError` whose `reason` names which: the module cannot be loaded, no token
or several with the label, a wrong or locked PIN, no key or several with the label, a key of a
type or curve statements do not use, an RSA key under 2048 bits, a key that may not sign or
wants its PIN again for each signature (CKA_ALWAYS_AUTHENTICATE, not supported), a token whose
objects cannot be read or whose certificate for the key is not one, a token without the
mechanism (or that cannot list its mechanisms), a signature that does not verify.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from typing import Any

import pkcs11
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pkcs11 import MGF, Attribute, KeyType, Mechanism, ObjectClass
from pkcs11.types import SignMixin

from ledger.errors import BadSignature, LedgerError
from ledger.statements.signing import (
    RSA_MIN_BITS,
    SIGNING_PREFIX,
    certificate_public_key,
    key_id,
    spki_of,
    verify,
)

# DER of the named curve P-256 (secp256r1, 1.2.840.10045.3.1.7) as CKA_EC_PARAMS holds it
P256_PARAMS = bytes.fromhex("06082a8648ce3d030107")
PSS_PARAMS = (Mechanism.SHA256, MGF.SHA256, 32)
RSA_PSS = "RSA-PSS-SHA256"
ECDSA_P256 = "ECDSA-P256-SHA256"


class TokenError(LedgerError):
    """A key on a PKCS#11 token cannot be used to sign statements; `reason` says why (module,
    no-token, several-tokens, wrong-pin, pin-locked, already-logged-in, no-key, several-keys,
    key-type, weak-key, no-public-key, bad-certificate, may-not-sign, always-authenticate,
    unreadable, mechanism, signature)."""

    code = "token-error"
    title_vi = "Không dùng được khóa trên thiết bị ký (token)"
    title_en = "Cannot use the key on the token"

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason


@dataclass
class TokenKey:
    """A private key on a token, in an open session logged in with the user's PIN. Close it (or
    use it as a context manager) to end the session; signing is serialised, one at a time."""

    session: pkcs11.Session
    private: SignMixin  # a private key whose CKA_SIGN is true
    public_key: bytes  # the DER SubjectPublicKeyInfo
    algorithm: str  # RSA_PSS or ECDSA_P256
    mechanism: Mechanism
    token_label: str
    key_label: str
    officer: str = ""
    office: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def open(
        cls,
        module: str,
        *,
        token_label: str,
        key_label: str,
        pin: str,
        officer: str = "",
        office: str = "",
    ) -> TokenKey:
        """Load the PKCS#11 module, find the token by label, log in, find the private key by its
        CKA_LABEL and its public key; TokenError (with its `reason`) for each refusal."""
        token = _token(_library(module), module, token_label)
        session = _login(token, token_label, pin)
        try:
            private = _private_key(session, token_label, key_label)
            algorithm, public_key = _public_key(session, private, key_label)
            mechanism = _mechanism(token, algorithm, token_label)
        except pkcs11.PKCS11Error as problem:  # a search or an attribute the token did not give
            session.close()
            raise TokenError(
                f"cannot read the key {key_label!r} on the token {token_label!r}: "
                f"{type(problem).__name__} {problem}".strip(),
                "unreadable",
            ) from None
        except BaseException:
            session.close()
            raise
        return cls(
            session,
            private,
            public_key,
            algorithm,
            mechanism,
            token_label,
            key_label,
            officer,
            office,
        )

    @property
    def key_id(self) -> str:
        return key_id(self.public_key)

    def sign(self, statement: bytes) -> bytes:
        """The token's signature over SIGNING_PREFIX ‖ statement, in the format `verify` takes;
        verified with the public key before it is returned."""
        message = SIGNING_PREFIX + statement
        try:
            with self._lock:
                signature = self._sign(message)
        except pkcs11.PKCS11Error as problem:
            raise TokenError(
                f"the token {self.token_label!r} did not sign with key {self.key_label!r}: "
                f"{type(problem).__name__} {problem}".strip(),
                "signature",
            ) from None
        try:
            verify(self.public_key, statement, signature)
        except BadSignature:
            raise TokenError(
                f"the signature the token {self.token_label!r} made with key {self.key_label!r} "
                f"does not verify with its public key {self.key_id}: the token's key and public "
                f"key do not belong together, or it signs in another format",
                "signature",
            ) from None
        return signature

    def _sign(self, message: bytes) -> bytes:
        if self.mechanism == Mechanism.SHA256_RSA_PKCS_PSS:
            return bytes(
                self.private.sign(message, mechanism=self.mechanism, mechanism_param=PSS_PARAMS)
            )
        digest = hashlib.sha256(message).digest()
        if self.mechanism == Mechanism.RSA_PKCS_PSS:
            return bytes(
                self.private.sign(digest, mechanism=self.mechanism, mechanism_param=PSS_PARAMS)
            )
        return bytes(self.private.sign(digest, mechanism=self.mechanism))  # ECDSA

    def close(self) -> None:
        with self._lock:
            self.session.close()

    def __enter__(self) -> TokenKey:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _library(module: str) -> Any:
    try:
        return pkcs11.lib(module)
    except (pkcs11.PKCS11Error, OSError, RuntimeError) as problem:
        raise TokenError(
            f"cannot load the PKCS#11 module {module!r}: {problem}".strip(), "module"
        ) from None


def _token(library: Any, module: str, label: str) -> pkcs11.Token:
    try:
        token: pkcs11.Token = library.get_token(token_label=label)
    except pkcs11.NoSuchToken:
        labels = sorted({token.label for token in library.get_tokens() if token.label})
        raise TokenError(
            f"no token labelled {label!r} is present in {module!r}"
            + (f" (tokens present: {', '.join(labels)})" if labels else " (no token is present)"),
            "no-token",
        ) from None
    except pkcs11.MultipleTokensReturned:
        raise TokenError(f"several tokens are labelled {label!r}", "several-tokens") from None
    except pkcs11.PKCS11Error as problem:
        raise TokenError(f"cannot list the tokens of {module!r}: {problem}", "module") from None
    return token


def _login(token: pkcs11.Token, label: str, pin: str) -> pkcs11.Session:
    # python-pkcs11 opens the session, then logs in: when C_Login fails it raises without
    # returning the Session (nor closing its handle), so there is nothing here to close
    try:
        return token.open(user_pin=pin)
    except (pkcs11.PinIncorrect, pkcs11.PinInvalid, pkcs11.PinLenRange):
        raise TokenError(f"wrong PIN for the token {label!r}", "wrong-pin") from None
    except (pkcs11.PinLocked, pkcs11.PinExpired):
        raise TokenError(
            f"the PIN of the token {label!r} is locked or expired; unlock it with the token's "
            f"own tool",
            "pin-locked",
        ) from None
    except pkcs11.UserAlreadyLoggedIn:
        raise TokenError(
            f"this process already has a session logged in to the token {label!r}; close it "
            f"first (the PIN is checked on each login)",
            "already-logged-in",
        ) from None
    except pkcs11.PKCS11Error as problem:
        raise TokenError(
            f"cannot open the token {label!r}: {type(problem).__name__} {problem}".strip(),
            "module",
        ) from None


def _private_key(session: pkcs11.Session, token_label: str, label: str) -> SignMixin:
    found = list(
        session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.LABEL: label})
    )
    if not found:
        raise TokenError(
            f"the token {token_label!r} has no private key labelled {label!r}", "no-key"
        )
    if len(found) > 1:
        raise TokenError(
            f"the token {token_label!r} has {len(found)} private keys labelled {label!r}",
            "several-keys",
        )
    private = found[0]
    if not isinstance(private, SignMixin):  # python-pkcs11 gives it sign() when CKA_SIGN is true
        raise TokenError(f"the key {label!r} may not sign (CKA_SIGN is false)", "may-not-sign")
    if _attribute(private, Attribute.ALWAYS_AUTHENTICATE, False):
        raise TokenError(
            f"the key {label!r} wants the PIN again for each signature (CKA_ALWAYS_AUTHENTICATE), "
            f"which is not supported",
            "always-authenticate",
        )
    return private


def _attribute(key: pkcs11.Object, attribute: Attribute, default: Any) -> Any:
    try:
        return key[attribute]
    except (pkcs11.AttributeTypeInvalid, pkcs11.AttributeSensitive):
        return default


def _public_key(session: pkcs11.Session, private: SignMixin, label: str) -> tuple[str, bytes]:
    """The algorithm and the DER SubjectPublicKeyInfo of the key pair."""
    kind = private.key_type
    if kind == KeyType.RSA:
        modulus = int.from_bytes(private[Attribute.MODULUS], "big")
        exponent = int.from_bytes(private[Attribute.PUBLIC_EXPONENT], "big")
        if modulus.bit_length() < RSA_MIN_BITS:
            raise TokenError(
                f"the key {label!r} is an RSA key of {modulus.bit_length()} bits; statements "
                f"need at least {RSA_MIN_BITS}",
                "weak-key",
            )
        public: rsa.RSAPublicKey | ec.EllipticCurvePublicKey = rsa.RSAPublicNumbers(
            exponent, modulus
        ).public_key()
        return RSA_PSS, _checked(spki_of(public), label)
    if kind == KeyType.EC:
        params = bytes(private[Attribute.EC_PARAMS])
        if params != P256_PARAMS:
            raise TokenError(
                f"the key {label!r} is an ECDSA key on a curve other than P-256 "
                f"(CKA_EC_PARAMS {params.hex()}); statements use P-256 with SHA-256",
                "key-type",
            )
        return ECDSA_P256, _checked(_ec_public(session, private, label), label)
    name = kind.name if isinstance(kind, KeyType) else str(kind)
    raise TokenError(
        f"the key {label!r} is of type {name}; statements are signed with RSA (PSS, at least "
        f"{RSA_MIN_BITS} bits) or ECDSA P-256",
        "key-type",
    )


def _ec_public(session: pkcs11.Session, private: SignMixin, label: str) -> bytes:
    """The SPKI of an EC key pair: its public key object's CKA_EC_POINT (found by CKA_ID, else
    by label), else the key of its certificate on the token."""
    identity = bytes(_attribute(private, Attribute.ID, b"") or b"")
    searches: list[dict[Attribute, Any]] = [{Attribute.ID: identity}] if identity else []
    searches.append({Attribute.LABEL: label})
    for search in searches:
        # each search read to its end: a search left open outlives the session it ran in
        for found in list(session.get_objects({Attribute.CLASS: ObjectClass.PUBLIC_KEY, **search})):
            point = _ec_point(bytes(found[Attribute.EC_POINT]))
            try:
                public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
            except ValueError as problem:
                raise TokenError(
                    f"the public key of {label!r} is not a P-256 point: {problem}", "key-type"
                ) from None
            return spki_of(public)
        for found in list(
            session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE, **search})
        ):
            try:
                key = x509.load_der_x509_certificate(bytes(found[Attribute.VALUE])).public_key()
            except ValueError as problem:  # not DER X.509, or a key cryptography cannot read
                raise TokenError(
                    f"the certificate on the token for the key {label!r} cannot be read: {problem}",
                    "bad-certificate",
                ) from None
            if isinstance(key, ec.EllipticCurvePublicKey):
                return spki_of(key)
    raise TokenError(
        f"the token has no public key or certificate for the key {label!r}", "no-public-key"
    )


def _ec_point(value: bytes) -> bytes:
    """CKA_EC_POINT is the DER OCTET STRING of the point; some tokens give the bare point."""
    if len(value) == 67 and value[:2] == b"\x04\x41":
        return value[2:]
    return value


def _checked(spki: bytes, label: str) -> bytes:
    try:
        certificate_public_key(spki)
    except BadSignature as problem:  # WeakAlgorithm too
        raise TokenError(
            f"the key {label!r} cannot sign statements: {problem}", "key-type"
        ) from None
    return spki


def _mechanism(token: pkcs11.Token, algorithm: str, label: str) -> Mechanism:
    """The mechanism this token signs with: for RSA the hashing PSS where it has it, else the
    bare one over a SHA-256 digest made here; for ECDSA the bare one over the digest."""
    try:
        offered = set(token.slot.get_mechanisms())
    except pkcs11.PKCS11Error as problem:
        raise TokenError(
            f"the token {label!r} cannot list its mechanisms: "
            f"{type(problem).__name__} {problem}".strip(),
            "mechanism",
        ) from None
    wanted = (
        (Mechanism.SHA256_RSA_PKCS_PSS, Mechanism.RSA_PKCS_PSS)
        if algorithm == RSA_PSS
        else (Mechanism.ECDSA,)
    )
    for mechanism in wanted:
        if mechanism in offered:
            return mechanism
    raise TokenError(
        f"the token {label!r} offers none of {', '.join(m.name for m in wanted)}, which "
        f"{algorithm} statements need",
        "mechanism",
    )
