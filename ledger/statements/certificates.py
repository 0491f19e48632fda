"""X.509 official-duty certificates (chứng thư số công vụ): path validation at a statement's `at`.

A certificate key is registered with its chain (the officer's certificate first, then the CAs that
issued it; the trust anchor may be left out: the deployment holds it). A statement it signs holds
only if, at the statement's `at`: the chain reaches one of the deployment's trust anchors (a
directory of root certificates — in Vietnam the Government Cipher Committee's, Ban Cơ yếu Chính
phủ), every certificate is within its validity, the officer's certificate allows digital signature,
no certificate is revoked by the CRLs or OCSP responses the ledger holds, no algorithm is weak
(RSA under 2048 bits, SHA-1, MD5) and the chain is no longer than the deployment allows.

Path validation is pyhanko-certvalidator's (RFC 5280, with CRLs and OCSP responses given to it and
no fetching: the ledger validates only from what it has recorded, so an audit years later can redo
the same check offline). A validation holds for a window of time: once a chain has validated with a
given set of revocation data, a later statement inside the same window and before any revocation
found is valid without validating again.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Coroutine, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator import errors as validation

from domain.instant import format_local, from_datetime, to_datetime
from ledger.errors import (
    BadCertificate,
    CertificateExpired,
    CertificateKeyUsage,
    CertificateNotYetValid,
    CertificateRefused,
    CertificateRevoked,
    ChainTooLong,
    RevocationUnknown,
    UnknownTrustAnchor,
    WeakAlgorithm,
)
from ledger.statements.signing import RSA_MIN_BITS, spki_of

T = TypeVar("T")
FORMATS = ("crl", "ocsp")
WEAK_HASHES = frozenset({"md2", "md5", "sha1"})
MAX_CERTIFICATE_BYTES = 16_384
CACHED_WINDOWS = 4096


def sha256(der: bytes) -> bytes:
    return hashlib.sha256(der).digest()


@dataclass(frozen=True)
class Revocation:
    """A CRL or an OCSP response, DER, as recorded by a `revocation.recorded` statement."""

    format: str
    der: bytes


@lru_cache(maxsize=1024)
def load_certificate(der: bytes, what: str = "certificate") -> x509.Certificate:
    """A DER certificate; BadCertificate naming what is wrong. Parsed once per process: the
    checks of every statement a certificate signs read it again."""
    if len(der) > MAX_CERTIFICATE_BYTES:
        raise BadCertificate(f"the {what} is {len(der)} bytes; at most {MAX_CERTIFICATE_BYTES}")
    try:
        certificate = x509.load_der_x509_certificate(der)
        certificate.public_key()
    except ValueError as problem:
        raise BadCertificate(f"the {what} is not a DER X.509 certificate: {problem}") from None
    return certificate


def load_revocation(item: Revocation) -> x509.CertificateRevocationList | ocsp.OCSPResponse:
    try:
        if item.format == "crl":
            return x509.load_der_x509_crl(item.der)
        if item.format == "ocsp":
            response = ocsp.load_der_ocsp_response(item.der)
            if (
                response.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
                and len(list(response.responses)) != 1
            ):
                raise BadCertificate(
                    "an OCSP response must answer for one certificate; this one holds "
                    f"{len(list(response.responses))} answers"
                )
            return response
    except ValueError as problem:
        raise BadCertificate(f"the {item.format.upper()} is not readable DER: {problem}") from None
    raise BadCertificate(f"revocation data is a crl or an ocsp response, not {item.format!r}")


def issuer_of(item: Revocation, chain: Sequence[x509.Certificate]) -> x509.Certificate | None:
    """The certificate among `chain` that issued (signed) the CRL or OCSP response."""
    loaded = load_revocation(item)
    for candidate in chain:
        if isinstance(loaded, x509.CertificateRevocationList):
            if loaded.issuer == candidate.subject and loaded.is_signature_valid(
                candidate.public_key()  # type: ignore[arg-type]
            ):
                return candidate
        elif (
            loaded.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
            and loaded.issuer_key_hash == _key_hash(candidate, loaded.hash_algorithm)
            and _ocsp_signed_for(loaded, candidate)
        ):
            return candidate
    return None


def _ocsp_signed_for(response: ocsp.OCSPResponse, issuer: x509.Certificate) -> bool:
    """Whether the OCSP response is signed by the issuer itself or by a responder certificate
    the issuer signed for that purpose — its extended key usage id-kp-OCSPSigning, valid when the
    response was produced (RFC 6960 section 4.2.2.2): an officer's certificate the same CA issued
    signs no OCSP response."""
    responders = [issuer, *(c for c in response.certificates if c.issuer == issuer.subject)]
    for responder in responders:
        if responder is not issuer:
            if not _ocsp_responder(responder, response.produced_at_utc):
                continue
            try:
                responder.verify_directly_issued_by(issuer)
            except (ValueError, TypeError, InvalidSignature):
                continue
        try:
            _verify_with(responder, response.signature, response.tbs_response_bytes,
                         response.signature_hash_algorithm)
        except (InvalidSignature, TypeError, ValueError):
            continue
        return True
    return False


def _ocsp_responder(certificate: x509.Certificate, produced: datetime) -> bool:
    try:
        usage = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return False
    return (
        ExtendedKeyUsageOID.OCSP_SIGNING in usage
        and certificate.not_valid_before_utc <= produced <= certificate.not_valid_after_utc
    )


def _verify_with(certificate: x509.Certificate, signature: bytes, data: bytes, algorithm: Any) -> None:
    key = certificate.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        key.verify(signature, data, padding.PKCS1v15(), algorithm)
    elif isinstance(key, ec.EllipticCurvePublicKey):
        key.verify(signature, data, ec.ECDSA(algorithm))
    else:
        raise TypeError("unsupported responder key")


def _key_hash(certificate: x509.Certificate, algorithm: Any) -> bytes:
    key = certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    bit_string = asn1_x509.PublicKeyInfo.load(key)["public_key"].contents[1:]
    digest = hashlib.new(algorithm.name, bit_string)
    return digest.digest()


@lru_cache(maxsize=16)
def load_anchors(directory: str) -> tuple[bytes, ...]:
    """The DER root certificates in `directory` (files *.pem, *.crt, *.cer, *.der)."""
    if not directory:
        return ()
    path = Path(directory)
    if not path.is_dir():
        raise UnknownTrustAnchor(f"the trust-anchor directory {directory} does not exist")
    found: list[bytes] = []
    for file in sorted(path.iterdir()):
        if file.suffix.lower() not in (".pem", ".crt", ".cer", ".der"):
            continue
        data = file.read_bytes()
        try:
            if b"-----BEGIN CERTIFICATE-----" in data:
                found.extend(
                    c.public_bytes(serialization.Encoding.DER)
                    for c in x509.load_pem_x509_certificates(data)
                )
            else:
                found.append(load_certificate(data, f"trust anchor {file.name}").public_bytes(
                    serialization.Encoding.DER
                ))
        except ValueError as problem:
            raise BadCertificate(f"trust anchor {file.name} is not a certificate: {problem}") from None
    return tuple(found)


def check_registration(chain: Sequence[bytes], public_key: bytes, max_chain: int) -> None:
    """What a key registered with `chain` must be, whatever the time: readable certificates, the
    first one's key is `public_key`, each issued by the next, no RSA key under 2048 bits, and no
    longer than the deployment allows."""
    certificates = [load_certificate(der, f"certificate {i + 1}") for i, der in enumerate(chain)]
    if spki_of(certificates[0].public_key()) != public_key:  # type: ignore[arg-type]
        raise BadCertificate(
            "the first certificate of the chain is not the certificate of the key registered "
            "(its public key differs from public_key)"
        )
    _check_length(certificates, max_chain)
    for index, certificate in enumerate(certificates):
        key = certificate.public_key()
        if isinstance(key, rsa.RSAPublicKey) and key.key_size < RSA_MIN_BITS:
            raise WeakAlgorithm(
                f"certificate {index + 1} of the chain has an RSA key of {key.key_size} bits; at "
                f"least {RSA_MIN_BITS} are required"
            )
        if index + 1 < len(certificates) and certificate.issuer != certificates[index + 1].subject:
            raise BadCertificate(
                f"certificate {index + 1} of the chain was not issued by certificate {index + 2}: "
                f"give the officer's certificate first, then each issuer in turn"
            )


def _check_length(certificates: Sequence[x509.Certificate], max_chain: int) -> None:
    last = certificates[-1]
    length = len(certificates) + (0 if last.issuer == last.subject else 1)
    if length > max_chain:
        raise ChainTooLong(
            f"the chain from the officer's certificate to its root is {length} certificates; "
            f"this ledger accepts at most {max_chain}"
        )


@lru_cache(maxsize=4096)
def _held_names(certificate_der: bytes) -> frozenset[str]:
    subject = load_certificate(certificate_der).subject
    return frozenset(
        _plain(str(attribute.value))
        for oid in (NameOID.ORGANIZATION_NAME, NameOID.ORGANIZATIONAL_UNIT_NAME)
        for attribute in subject.get_attributes_for_oid(oid)
    )


def names_office(certificate_der: bytes, names: Iterable[str]) -> bool:
    """Whether the certificate's subject names the office: its organisation (O) or one of its
    organisational units (OU) is one of `names` (the office's name or agency identifier),
    compared in NFC, case-insensitively, with runs of spaces as one."""
    held = _held_names(certificate_der)
    return any(_plain(name) in held for name in names)


def _plain(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def subject_text(certificate_der: bytes) -> str:
    """The certificate's subject as RFC 4514 text (it holds the officer's name: shown to people
    who may see it, never written into a statement)."""
    return load_certificate(certificate_der).subject.rfc4514_string()


def issuer_text(certificate_der: bytes) -> str:
    return load_certificate(certificate_der).issuer.rfc4514_string()


def issuer_name(certificate_der: bytes) -> str:
    """The common name of the CA that issued the certificate (its whole name if it has none)."""
    issuer = load_certificate(certificate_der).issuer
    names = issuer.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else issuer.rfc4514_string()


@dataclass(frozen=True)
class _Window:
    start: int
    end: int
    revoked_from: int | None
    # with revocation data required: for each certificate of the chain but a self-signed root,
    # the spans of time the data held covers (a CRL from thisUpdate to nextUpdate, an OCSP
    # response for it likewise)
    covered: tuple[tuple[tuple[int, int], ...], ...] = ()


class CertificateValidation:
    """Validates chains against the anchors, caching each result as a window of time."""

    def __init__(
        self, anchors: Sequence[bytes], max_chain: int, *, require_revocation: bool = False
    ) -> None:
        self.anchors = tuple(anchors)
        self.max_chain = max_chain
        self.require_revocation = require_revocation
        self._windows: OrderedDict[tuple[Any, ...], _Window] = OrderedDict()
        self._lock = threading.Lock()

    def validate(self, chain: Sequence[bytes], revocations: Sequence[Revocation], at: int) -> None:
        """Raise a CertificateRefused (or WeakAlgorithm) unless the chain holds at `at`."""
        cache_key = (tuple(chain), tuple(revocations))
        with self._lock:
            window = self._windows.get(cache_key)
        if (
            window is not None
            and window.start <= at <= window.end
            and (window.revoked_from is None or at < window.revoked_from)
            and all(any(a <= at <= b for a, b in spans) for spans in window.covered)
        ):
            return
        certificates = [load_certificate(der) for der in chain]
        _check_length(certificates, self.max_chain)
        if not self.anchors:
            raise UnknownTrustAnchor(
                "this ledger has no trust anchors configured (LIENTHONG_TRUST_ANCHORS): no "
                "certificate signature can be accepted"
            )
        anchors = self._anchor_certificates()
        revoked_from = _revoked_from(certificates, revocations, anchors)
        if revoked_from is not None:
            _revoked_error(certificates, revoked_from, at)
        covered: tuple[tuple[tuple[int, int], ...], ...] = ()
        if self.require_revocation:
            covered = _coverage(certificates, revocations, anchors)
            _require_covered(certificates, covered, at)
        _run(self._validate(chain, revocations, at))
        found = _Window(
            max(from_datetime(c.not_valid_before_utc) for c in certificates),
            min(from_datetime(c.not_valid_after_utc) for c in certificates),
            revoked_from,
            covered,
        )
        with self._lock:
            self._windows[cache_key] = found
            if len(self._windows) > CACHED_WINDOWS:
                self._windows.popitem(last=False)

    def _anchor_certificates(self) -> list[x509.Certificate]:
        return [load_certificate(der, "trust anchor") for der in self.anchors]

    async def _validate(
        self, chain: Sequence[bytes], revocations: Sequence[Revocation], at: int
    ) -> None:
        moment = to_datetime(at)
        context = ValidationContext(
            trust_roots=[asn1_x509.Certificate.load(der) for der in self.anchors],
            moment=moment,
            allow_fetching=False,
            crls=[r.der for r in revocations if r.format == "crl"],
            ocsps=[r.der for r in revocations if r.format == "ocsp"],
            revocation_mode="soft-fail",
            retroactive_revinfo=True,
            weak_hash_algos=set(WEAK_HASHES),
        )
        validator = CertificateValidator(
            asn1_x509.Certificate.load(chain[0]),
            intermediate_certs=[asn1_x509.Certificate.load(der) for der in chain[1:]],
            validation_context=context,
        )
        when = _local(moment)
        leaf = load_certificate(chain[0])
        # pyHanko's messages may quote the holder's name: the refusals say the serial and the
        # issuer instead (they reach logs, problems and audit findings)
        which = f"certificate serial {leaf.serial_number:x} issued by {_common_name(leaf.issuer)}"
        try:
            await validator.async_validate_usage({"digital_signature"})  # type: ignore[no-untyped-call]
        except validation.ExpiredError:
            raise CertificateExpired(
                f"at {when}, a certificate of the chain of {which} had expired"
            ) from None
        except validation.NotYetValidError:
            raise CertificateNotYetValid(
                f"at {when}, a certificate of the chain of {which} was not yet valid"
            ) from None
        except validation.RevokedError:
            raise CertificateRevoked(f"at {when}, the chain of {which} is revoked") from None
        except validation.DisallowedAlgorithmError:
            raise WeakAlgorithm(
                f"the chain of {which} is signed with a weak algorithm (MD5, SHA-1 or the like)"
            ) from None
        except validation.InvalidCertificateError:
            raise CertificateKeyUsage(
                f"the {which} does not allow digital signature (key usage)"
            ) from None
        except validation.PathBuildingError:
            raise UnknownTrustAnchor(
                f"the chain of {which} reaches none of this ledger's trust anchors"
            ) from None
        except (validation.ValidationError, validation.PathError) as problem:
            raise CertificateRefused(
                f"the chain of {which} does not validate at {when} ({type(problem).__name__})"
            ) from None


def _common_name(name: x509.Name) -> str:
    found = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(found[0].value) if found else name.rfc4514_string()


def _local(moment: datetime) -> str:
    return format_local(from_datetime(moment))


def _revoked_from(
    certificates: Sequence[x509.Certificate],
    revocations: Sequence[Revocation],
    anchors: Sequence[x509.Certificate] = (),
) -> int | None:
    """The earliest instant any certificate of the chain is revoked from, by the CRLs and OCSP
    responses held that their issuer (a CA of the chain, or a trust anchor: a root's CRL revokes
    the CAs it issued) signed. A revocation is for good: it holds whether or not the CRL is still
    fresh."""
    earliest: int | None = None
    serials = {(c.issuer, c.serial_number) for c in certificates}
    issuers = [*certificates, *anchors]
    for item in revocations:
        loaded = load_revocation(item)
        issuer = issuer_of(item, issuers)
        if issuer is None:
            continue
        found: list[datetime] = []
        if isinstance(loaded, x509.CertificateRevocationList):
            found = [
                entry.revocation_date_utc
                for entry in loaded
                if (loaded.issuer, entry.serial_number) in serials
            ]
        elif (
            loaded.certificate_status == ocsp.OCSPCertStatus.REVOKED
            and loaded.revocation_time_utc is not None
            and (issuer.subject, loaded.serial_number) in serials
        ):
            found = [loaded.revocation_time_utc]
        for when in found:
            instant = from_datetime(when)
            earliest = instant if earliest is None else min(earliest, instant)
    return earliest


def _coverage(
    certificates: Sequence[x509.Certificate],
    revocations: Sequence[Revocation],
    anchors: Sequence[x509.Certificate],
) -> tuple[tuple[tuple[int, int], ...], ...]:
    """For each certificate of the chain but a self-signed root, the spans of time in which the
    revocation data held speaks for it: a CRL its issuer signed, from thisUpdate to nextUpdate;
    an OCSP response for its serial its issuer (or the issuer's responder) signed, from
    thisUpdate to nextUpdate, when it says "good" (one that does not know the certificate
    speaks for nothing). Data without a next update speaks for no span."""
    issuers = [*certificates, *anchors]
    found: list[tuple[tuple[int, int], ...]] = []
    for certificate in certificates:
        if certificate.issuer == certificate.subject:
            continue
        spans: list[tuple[int, int]] = []
        for item in revocations:
            signer = issuer_of(item, issuers)
            if signer is None or signer.subject != certificate.issuer:
                continue
            loaded = load_revocation(item)
            if isinstance(loaded, x509.CertificateRevocationList):
                if loaded.next_update_utc is not None:
                    spans.append(
                        (from_datetime(loaded.last_update_utc), from_datetime(loaded.next_update_utc))
                    )
            elif (
                loaded.serial_number == certificate.serial_number
                and loaded.certificate_status == ocsp.OCSPCertStatus.GOOD
                and loaded.next_update_utc
            ):
                spans.append(
                    (from_datetime(loaded.this_update_utc), from_datetime(loaded.next_update_utc))
                )
        found.append(tuple(spans))
    return tuple(found)


def _require_covered(
    certificates: Sequence[x509.Certificate],
    covered: tuple[tuple[tuple[int, int], ...], ...],
    at: int,
) -> None:
    chain = [c for c in certificates if c.issuer != c.subject]
    for certificate, spans in zip(chain, covered, strict=True):
        if not any(start <= at <= end for start, end in spans):
            raise RevocationUnknown(
                f"this ledger requires revocation data for every certificate of a chain, and "
                f"holds none from {certificate.issuer.rfc4514_string()} that speaks for "
                f"certificate serial {certificate.serial_number:x} at {format_local(at)} (a CRL "
                f"or OCSP response whose thisUpdate–nextUpdate covers it): record a fresh one "
                f"(lienthong revocation fetch) and sign again"
            )


def _revoked_error(certificates: Sequence[x509.Certificate], revoked_from: int, at: int) -> None:
    if at >= revoked_from:
        raise CertificateRevoked(
            f"a certificate of the chain (the officer's is serial "
            f"{certificates[0].serial_number:x}) is revoked from {format_local(revoked_from)} by "
            f"the revocation data this ledger holds; the statement is dated {format_local(at)}"
        )


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to the end from synchronous code, even on a thread whose event loop is
    running (the HTTP server's): then on a short-lived thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    result: list[T] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(coroutine))
        except BaseException as problem:  # re-raised on the caller's thread
            failure.append(problem)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return result[0]


def produced_at(item: Revocation) -> int:
    """When the CRL (thisUpdate) or OCSP response (producedAt) was made, as an instant."""
    loaded = load_revocation(item)
    if isinstance(loaded, x509.CertificateRevocationList):
        return from_datetime(loaded.last_update_utc)
    if loaded.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        raise BadCertificate(
            f"the OCSP response's status is {loaded.response_status.name}, not SUCCESSFUL"
        )
    return from_datetime(loaded.produced_at_utc)


def check_issued_by(item: Revocation, issuer_der: bytes) -> None:
    """BadCertificate unless the CRL or OCSP response is signed by the CA of `issuer_der` (for
    OCSP: by it or by a responder certificate it issued)."""
    issuer = load_certificate(issuer_der, "issuer certificate")
    if issuer_of(item, [issuer]) is None:
        raise BadCertificate(
            f"the {item.format.upper()} is not signed by the certificate authority it is "
            f"recorded for ({issuer.subject.rfc4514_string()})"
        )


@lru_cache(maxsize=4096)
def key_id_of(certificate_der: bytes) -> str:
    """The key id (signing.key_id) of a certificate's public key: how an issuing CA is named."""
    from ledger.statements.signing import key_id

    public = load_certificate(certificate_der).public_key()
    return key_id(
        public.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
