"""The office's seal (con dấu số): the official-duty certificate of an office and its key, which
signs a document the office issues — here the process control slip as a PDF (api/slip_pdf.py) —
as a PAdES signature (ETSI.CAdES.detached, pyHanko), so that any PDF reader that trusts the
certificate's root shows the document as signed by the office and unchanged since.

The seal is one of (api/settings.py SealSettings):
- a PKCS#12 file (.p12/.pfx) holding the key and the certificate;
- a private key file and a certificate file (PEM or DER);
- a key on a PKCS#11 token (an HSM or a USB token; SoftHSM2 in the tests), found by the token's
  label and the key's label, its certificate on the token under the same label (or a file).
The certificates that lead to the root (the subordinate CA's) come from the PKCS#12 file, the
token or `chain` files, and are embedded in the signature. The passphrase and the PIN come from
the environment only.

Before signing, the seal is checked: the files can be read and opened, the key belongs to the
certificate, the certificate is valid today and allowed to sign (key usage digitalSignature or
nonRepudiation). Whatever is wrong is a SealUnusable saying so, in Vietnamese and English.
"""

from __future__ import annotations

import io
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.utils import CryptographyDeprecationWarning
from pyhanko_certvalidator.registry import SimpleCertificateStore

from api.settings import SealSettings

with warnings.catch_warnings():
    # pyHanko imports cryptography's DSA classes, deprecated (DSA keys are never used here):
    # without this every command would print the deprecation
    warnings.simplefilter("ignore", CryptographyDeprecationWarning)
    from pyhanko.keys.internal import (
        translate_pyca_cryptography_cert_to_asn1,
        translate_pyca_cryptography_key_to_asn1,
    )
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter
    from pyhanko.sign.general import SigningError

FIELD = "Seal"  # the signature field's name in the PDF
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
# A token logs in once per process: two sessions logging in at once are refused
# (CKR_USER_ALREADY_LOGGED_IN), so the server's threads take the token one at a time.
_TOKEN_IN_USE = threading.Lock()


class SealUnusable(Exception):
    """The seal cannot sign: what is wrong, in both languages (`said(lang)`)."""

    def __init__(self, vi: str, en: str) -> None:
        super().__init__(en)
        self.vi, self.en = vi, en

    def said(self, lang: str) -> str:
        return self.vi if lang == "vi" else self.en


@dataclass(frozen=True)
class SealHolder:
    """Whose seal it is, as its certificate names it: shown on the slip beside the signature."""

    common_name: str
    organization: str
    serial: str  # the certificate's serial number, in hex


@dataclass(frozen=True)
class Sealing:
    """What signs: pyHanko's signer and who holds the seal."""

    signer: signers.Signer
    holder: SealHolder


def seal_pdf(pdf: bytes, sealing: Sealing, *, reason: str, location: str | None = None) -> bytes:
    """`pdf` signed by the seal: a certification signature (PAdES baseline B, no change allowed
    after it), the seal's chain embedded."""
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD,
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
        name=sealing.holder.common_name,
        certify=True,
        docmdp_permissions=MDPPerm.NO_CHANGES,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    try:
        signed = signers.PdfSigner(meta, signer=sealing.signer).sign_pdf(writer)
    except (SigningError, ValueError) as problem:  # the token refused, or a key it cannot use
        raise SealUnusable(
            f"Con dấu số không ký được: {problem}", f"The seal could not sign: {problem}"
        ) from None
    data: bytes = signed.getvalue()
    return data


@contextmanager
def open_seal(seal: SealSettings, now: datetime | None = None) -> Iterator[Sealing]:
    """The seal `seal` names, checked, ready to sign; a token's session is closed after.
    SealUnusable if it is not configured or cannot sign."""
    if not seal.configured:
        raise SealUnusable("Chưa cấu hình con dấu số của cơ quan.", "No office seal is configured.")
    problem = seal.problem()
    if problem is not None:
        raise SealUnusable(f"Cấu hình con dấu số không hợp lệ: {problem}", problem)
    chain = [_certificate_file(Path(name)) for name in seal.chain]
    at = now or datetime.now(UTC)
    if seal.pkcs11:
        with _TOKEN_IN_USE, _token(seal, chain, at) as sealing:
            yield sealing
        return
    if seal.p12:
        key, certificate, extra = _pkcs12(Path(seal.p12), seal.password)
        chain = extra + chain
    else:
        key = _key_file(Path(seal.key), seal.password)
        certificate = _certificate_file(Path(seal.cert))
    if key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) != _spki(certificate):
        raise SealUnusable(
            "Khóa bí mật của con dấu số không khớp với chứng thư số.",
            "The seal's private key does not belong to its certificate.",
        )
    holder = _checked(certificate, at)
    registry = SimpleCertificateStore.from_certs(  # type: ignore[no-untyped-call]
        [translate_pyca_cryptography_cert_to_asn1(each) for each in chain]
    )
    signer = signers.SimpleSigner(
        signing_cert=translate_pyca_cryptography_cert_to_asn1(certificate),
        signing_key=translate_pyca_cryptography_key_to_asn1(key),
        cert_registry=registry,
    )
    yield Sealing(signer, holder)


def _spki(certificate: x509.Certificate) -> bytes:
    return certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _read(path: Path, what_vi: str, what_en: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as problem:
        raise SealUnusable(
            f"Không đọc được {what_vi} {path}: {problem.strerror}",
            f"Cannot read the {what_en} {path}: {problem.strerror}",
        ) from None


def _pkcs12(
    path: Path, password: str
) -> tuple[PrivateKey, x509.Certificate, list[x509.Certificate]]:
    data = _read(path, "tệp PKCS#12 của con dấu số", "seal's PKCS#12 file")
    try:
        key, certificate, extra = pkcs12.load_key_and_certificates(
            data, password.encode() if password else None
        )
    except ValueError:
        raise SealUnusable(
            f"Không mở được tệp PKCS#12 {path}: sai mật khẩu (LIENTHONG_SEAL_PASSWORD) "
            "hoặc tệp hỏng.",
            f"Cannot open the PKCS#12 file {path}: a wrong passphrase (LIENTHONG_SEAL_PASSWORD) "
            "or a damaged file.",
        ) from None
    if key is None or certificate is None:
        raise SealUnusable(
            f"Tệp PKCS#12 {path} không chứa cả khóa bí mật lẫn chứng thư số.",
            f"The PKCS#12 file {path} does not hold both a private key and a certificate.",
        )
    return _usable(key, path), certificate, list(extra)


def _key_file(path: Path, password: str) -> PrivateKey:
    data = _read(path, "khóa bí mật của con dấu số", "seal's private key file")
    secret = password.encode() if password else None
    load = (
        serialization.load_pem_private_key
        if b"-----BEGIN" in data
        else serialization.load_der_private_key
    )
    try:
        try:
            key = load(data, secret)
        except TypeError:  # a passphrase for a key that has none: the key as it is
            if secret is None:
                raise
            key = load(data, None)
    except (ValueError, TypeError):
        raise SealUnusable(
            f"Không mở được khóa bí mật {path}: sai mật khẩu (LIENTHONG_SEAL_PASSWORD), "
            "thiếu mật khẩu, hoặc không phải khóa PEM/DER.",
            f"Cannot open the private key {path}: a wrong or missing passphrase "
            "(LIENTHONG_SEAL_PASSWORD), or not a PEM/DER key.",
        ) from None
    return _usable(key, path)


def _usable(key: object, path: Path) -> PrivateKey:
    """`key` if it is one an official-duty certificate has: RSA or ECDSA."""
    if isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        return key
    raise SealUnusable(
        f"Khóa trong {path} không phải khóa RSA hay ECDSA.",
        f"The key in {path} is neither an RSA nor an ECDSA key.",
    )


def _certificate_file(path: Path) -> x509.Certificate:
    data = _read(path, "chứng thư số", "certificate file")
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError:
        raise SealUnusable(
            f"{path} không phải chứng thư số X.509 (PEM hoặc DER).",
            f"{path} is not an X.509 certificate (PEM or DER).",
        ) from None


def _checked(certificate: x509.Certificate, at: datetime) -> SealHolder:
    """Who holds the seal; SealUnusable if its certificate is not valid at `at` or may not sign."""
    if not certificate.not_valid_before_utc <= at <= certificate.not_valid_after_utc:
        raise SealUnusable(
            f"Chứng thư số của con dấu không còn hiệu lực vào lúc ký (hiệu lực từ "
            f"{certificate.not_valid_before_utc:%d/%m/%Y} đến "
            f"{certificate.not_valid_after_utc:%d/%m/%Y}).",
            f"The seal's certificate is not valid now (valid from "
            f"{certificate.not_valid_before_utc:%Y-%m-%d} to "
            f"{certificate.not_valid_after_utc:%Y-%m-%d}).",
        )
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    if usage is not None and not (usage.digital_signature or usage.content_commitment):
        raise SealUnusable(
            "Chứng thư số của con dấu không được phép dùng để ký.",
            "The seal's certificate is not allowed to sign (its key usage).",
        )

    def first(oid: x509.ObjectIdentifier) -> str:
        found = certificate.subject.get_attributes_for_oid(oid)
        return str(found[0].value) if found else ""

    return SealHolder(
        common_name=first(x509.NameOID.COMMON_NAME),
        organization=first(x509.NameOID.ORGANIZATION_NAME),
        serial=f"{certificate.serial_number:X}",
    )


@contextmanager
def _token(seal: SealSettings, chain: list[x509.Certificate], at: datetime) -> Iterator[Sealing]:
    """A session on the token, logged in with LIENTHONG_SEAL_PIN, its signer checked; closed
    after."""
    from pkcs11.exceptions import PKCS11Error as TokenError
    from pyhanko.config.pkcs11 import TokenCriteria
    from pyhanko.sign import pkcs11 as token_signing

    try:
        session = token_signing.open_pkcs11_session(
            seal.pkcs11,
            token_criteria=TokenCriteria(label=seal.token_label),
            user_pin=seal.pin or None,
        )
    except (TokenError, OSError, RuntimeError) as problem:
        text = str(problem) or type(problem).__name__
        raise SealUnusable(
            f"Không mở được thiết bị ký số (mô-đun {seal.pkcs11}, thẻ {seal.token_label!r}): "
            f"{text}. Kiểm tra mô-đun PKCS#11, nhãn thẻ và mã PIN (LIENTHONG_SEAL_PIN).",
            f"Cannot open the token (module {seal.pkcs11}, label {seal.token_label!r}): {text}. "
            "Check the PKCS#11 module, the token's label and the PIN (LIENTHONG_SEAL_PIN).",
        ) from None
    try:
        given = _certificate_file(Path(seal.cert)) if seal.cert else None
        try:
            signer = token_signing.PKCS11Signer(
                session,
                key_label=seal.key_label,
                cert_label=None if given is not None else seal.key_label,
                signing_cert=translate_pyca_cryptography_cert_to_asn1(given) if given else None,
                ca_chain=[translate_pyca_cryptography_cert_to_asn1(each) for each in chain],
            )
            certificate_asn1: asn1_x509.Certificate = signer.signing_cert
        except (TokenError, SigningError) as problem:
            raise SealUnusable(
                f"Trên thẻ {seal.token_label!r} không tìm thấy khóa hoặc chứng thư số có nhãn "
                f"{seal.key_label!r}: {problem}",
                f"The token {seal.token_label!r} has no key or certificate labelled "
                f"{seal.key_label!r}: {problem}",
            ) from None
        certificate = x509.load_der_x509_certificate(certificate_asn1.dump())
        holder = _checked(certificate, at)
        if not _token_key_matches(session, seal.key_label, certificate):
            raise SealUnusable(
                f"Khóa {seal.key_label!r} trên thẻ không khớp với chứng thư số của con dấu.",
                f"The key {seal.key_label!r} on the token does not belong to the seal's "
                "certificate.",
            )
        yield Sealing(signer, holder)
    finally:
        session.close()


def _token_key_matches(session: Any, label: str, certificate: x509.Certificate) -> bool:
    """Whether the token's key `label` is the certificate's: an RSA key by its modulus and
    exponent (public attributes of the private key), an EC key by its public key object's point;
    True when the token does not say (a signature by another key would then fail to validate)."""
    from pkcs11 import Attribute, KeyType, ObjectClass
    from pkcs11.exceptions import PKCS11Error as TokenError

    public = certificate.public_key()
    try:
        (private,) = list(
            session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.LABEL: label})
        )
        if private.key_type == KeyType.RSA:
            if not isinstance(public, rsa.RSAPublicKey):
                return False
            numbers = public.public_numbers()
            return (
                int.from_bytes(private[Attribute.MODULUS], "big") == numbers.n
                and int.from_bytes(private[Attribute.PUBLIC_EXPONENT], "big") == numbers.e
            )
        if private.key_type == KeyType.EC:
            if not isinstance(public, ec.EllipticCurvePublicKey):
                return False
            point = public.public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
            found = list(
                session.get_objects(
                    {Attribute.CLASS: ObjectClass.PUBLIC_KEY, Attribute.LABEL: label}
                )
            )
            return all(bytes(each[Attribute.EC_POINT]).endswith(point) for each in found)
    except (TokenError, ValueError):
        return True
    return True
