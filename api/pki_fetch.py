"""Fetching the revocation data a certificate chain says where to find: for each certificate, the
CRL at its CRL Distribution Points and an OCSP response from the responder its Authority
Information Access names (RFC 5280 section 4.2.1.13, 4.2.2.1; RFC 6960). What is fetched is checked
here before anything is recorded — a CRL issued by the certificate's issuer (its signature checked
against the issuer's certificate when one is at hand: the chain's next certificate or a trust
anchor; without one, only the ledger checks it, when it records it), an OCSP response that
succeeded and holds one answer, for this certificate's serial, from a responder that knows the
certificate (not UNKNOWN), signed by its issuer or a responder the issuer certified — and the
ledger checks it again when it records it (revocation.recorded).

Only http:// and https:// addresses are asked (an ldap:// distribution point is left aside, as
most clients do). A certificate that names several addresses for the same data is asked at each
in turn until one answers. An address that does not answer, or answers with something unusable,
is a `RevocationUnavailable` naming it, in Vietnamese and English: then nothing is recorded.
Redirects are not followed (nor does the TSA client follow them): an address that redirects is
named as unusable, with where it points to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtensionOID

from ledger.log.storage.pki import MAX_OBJECT_BYTES
from ledger.statements.certificates import Revocation, issuer_of

TIMEOUT = 20.0  # seconds for a publication point to answer (the HTTP client's timeout)
SCHEMES = ("http://", "https://")


class RevocationUnavailable(Exception):
    """Revocation data could not be had from an address: why, in both languages (`said`)."""

    def __init__(self, url: str, vi: str, en: str) -> None:
        super().__init__(en)
        self.url, self.vi, self.en = url, vi, en

    def said(self, lang: str) -> str:
        return self.vi if lang == "vi" else self.en


@dataclass(frozen=True)
class Fetched:
    """A CRL or an OCSP response as fetched, for the certificate (index in the chain) it is
    about, from `url`."""

    format: str  # "crl" or "ocsp"
    der: bytes
    url: str
    index: int
    certificate: x509.Certificate


@dataclass(frozen=True)
class Plan:
    """What a chain says to fetch: (format, urls, index, certificate, issuer or None)."""

    asks: tuple[tuple[str, tuple[str, ...], int, x509.Certificate, x509.Certificate | None], ...]
    skipped: tuple[tuple[int, x509.Certificate], ...]  # OCSP named, but no issuer certificate


def crl_urls(certificate: x509.Certificate) -> list[str]:
    """The http(s) addresses of the certificate's CRL Distribution Points, in order."""
    try:
        points = certificate.extensions.get_extension_for_oid(
            ExtensionOID.CRL_DISTRIBUTION_POINTS
        ).value
    except x509.ExtensionNotFound:
        return []
    assert isinstance(points, x509.CRLDistributionPoints)
    return [
        name.value
        for point in points
        for name in point.full_name or ()
        if isinstance(name, x509.UniformResourceIdentifier) and name.value.startswith(SCHEMES)
    ]


def ocsp_urls(certificate: x509.Certificate) -> list[str]:
    """The http(s) addresses of the certificate's OCSP responders (Authority Information Access)."""
    try:
        access = certificate.extensions.get_extension_for_oid(
            ExtensionOID.AUTHORITY_INFORMATION_ACCESS
        ).value
    except x509.ExtensionNotFound:
        return []
    assert isinstance(access, x509.AuthorityInformationAccess)
    return [
        description.access_location.value
        for description in access
        if description.access_method == AuthorityInformationAccessOID.OCSP
        and isinstance(description.access_location, x509.UniformResourceIdentifier)
        and description.access_location.value.startswith(SCHEMES)
    ]


def _issued_by(certificate: x509.Certificate, candidate: x509.Certificate) -> bool:
    if candidate.subject != certificate.issuer:
        return False
    try:
        certificate.verify_directly_issued_by(candidate)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def plan(chain: Sequence[bytes], anchors: Sequence[bytes]) -> Plan:
    """What to fetch for `chain` (DER, the officer's certificate first): each certificate's CRL
    and OCSP response, its issuer the next certificate of the chain or one of `anchors`. A
    self-signed certificate (a root given with the chain) is not asked about."""
    certificates = [x509.load_der_x509_certificate(der) for der in chain]
    roots = [x509.load_der_x509_certificate(der) for der in anchors]
    asks: list[tuple[str, tuple[str, ...], int, x509.Certificate, x509.Certificate | None]] = []
    skipped: list[tuple[int, x509.Certificate]] = []
    seen: set[tuple[str, ...]] = set()
    for index, certificate in enumerate(certificates):
        if certificate.issuer == certificate.subject:
            continue
        issuer = next(
            (c for c in [*certificates[index + 1 :], *roots] if _issued_by(certificate, c)), None
        )
        crls = tuple(crl_urls(certificate))
        if crls and crls not in seen:  # certificates of one CA share its CRL: fetched once
            seen.add(crls)
            asks.append(("crl", crls, index, certificate, issuer))
        responders = tuple(ocsp_urls(certificate))
        if responders and issuer is None:
            skipped.append((index, certificate))
        elif responders:
            asks.append(("ocsp", responders, index, certificate, issuer))
    return Plan(tuple(asks), tuple(skipped))


def fetch(chain: Sequence[bytes], anchors: Sequence[bytes], http: httpx.Client) -> list[Fetched]:
    """Every CRL and OCSP response `chain`'s certificates name, each checked; the first address
    of each that answers with usable data. RevocationUnavailable if one cannot be had at any of
    its addresses (naming them)."""
    fetched: list[Fetched] = []
    for kind, urls, index, certificate, issuer in plan(chain, anchors).asks:
        problems: list[RevocationUnavailable] = []
        for url in urls:
            try:
                der = (
                    _get_crl(http, url, certificate, issuer)
                    if kind == "crl"
                    else _ask_ocsp(http, url, certificate, issuer)
                )
            except RevocationUnavailable as problem:
                problems.append(problem)
                continue
            fetched.append(Fetched(kind, der, url, index, certificate))
            break
        else:
            if len(problems) == 1:
                raise problems[0]
            raise RevocationUnavailable(
                ", ".join(urls),
                "; ".join(p.vi for p in problems),
                "; ".join(p.en for p in problems),
            )
    return fetched


def _download(
    http: httpx.Client, method: str, url: str, what: tuple[str, str], **kw: object
) -> bytes:
    """The body `url` answers with, at most MAX_OBJECT_BYTES (the largest object the ledger
    keeps); RevocationUnavailable naming the address when it does not answer, redirects, or
    answers other than 200."""
    vi_what, en_what = what
    try:
        with http.stream(method, url, **kw) as response:  # type: ignore[arg-type]
            if response.is_redirect:
                where = response.headers.get("Location", "")
                raise _unusable(
                    url,
                    what,
                    f"máy chủ chuyển hướng (HTTP {response.status_code}) tới {where!r}; "
                    f"không theo chuyển hướng",
                    f"the server redirects (HTTP {response.status_code}) to {where!r}; "
                    f"redirects are not followed",
                )
            if response.status_code != 200:
                raise RevocationUnavailable(
                    url,
                    f"không lấy được {vi_what} từ {url}: máy chủ trả lời HTTP "
                    f"{response.status_code}",
                    f"could not fetch the {en_what} from {url}: the server answered HTTP "
                    f"{response.status_code}",
                )
            body = bytearray()
            for piece in response.iter_bytes():
                body += piece
                if len(body) > MAX_OBJECT_BYTES:
                    raise RevocationUnavailable(
                        url,
                        f"{vi_what} tại {url} lớn hơn {MAX_OBJECT_BYTES} byte",
                        f"the {en_what} at {url} is larger than {MAX_OBJECT_BYTES} bytes",
                    )
            return bytes(body)
    except httpx.HTTPError as problem:
        reason = str(problem) or type(problem).__name__
        raise RevocationUnavailable(
            url,
            f"không kết nối được tới {url} để lấy {vi_what}: {reason}",
            f"could not reach {url} for the {en_what}: {reason}",
        ) from None


def _unusable(url: str, what: tuple[str, str], vi: str, en: str) -> RevocationUnavailable:
    return RevocationUnavailable(
        url,
        f"{what[0]} nhận từ {url} không dùng được: {vi}",
        f"the {what[1]} from {url} is unusable: {en}",
    )


CRL_WORDS = ("danh sách chứng thư số bị thu hồi (CRL)", "CRL")
OCSP_WORDS = ("phản hồi OCSP", "OCSP response")


def _get_crl(
    http: httpx.Client, url: str, certificate: x509.Certificate, issuer: x509.Certificate | None
) -> bytes:
    """The CRL at `url`, in DER: readable, issued by `certificate`'s issuer (by name), and — when
    the issuer's certificate is at hand (`issuer`) — signed by it. Without it the signature is
    not checked here; the ledger checks it when it records the CRL, against the CAs it knows."""
    body = _download(http, "GET", url, CRL_WORDS)
    try:
        crl = (
            x509.load_pem_x509_crl(body)
            if body.lstrip().startswith(b"-----BEGIN")
            else x509.load_der_x509_crl(body)
        )
    except ValueError as problem:
        raise _unusable(
            url, CRL_WORDS, f"không phải CRL: {problem}", f"not a CRL: {problem}"
        ) from None
    der = crl.public_bytes(serialization.Encoding.DER)
    if crl.issuer != certificate.issuer:
        raise _unusable(
            url,
            CRL_WORDS,
            f"do {crl.issuer.rfc4514_string()} phát hành, không phải tổ chức cấp chứng thư số",
            f"issued by {crl.issuer.rfc4514_string()}, not by the certificate's issuer",
        )
    if issuer is not None and issuer_of(Revocation("crl", der), [issuer]) is None:
        raise _unusable(
            url,
            CRL_WORDS,
            "chữ ký không phải của tổ chức cấp chứng thư số",
            "its signature is not the certificate issuer's",
        )
    return der


def ocsp_answer_problem(response: ocsp.OCSPResponse) -> tuple[str, str] | None:
    """Why a successful OCSP response speaks for no certificate, (Vietnamese, English), or None:
    it holds other than one answer (one certificate is asked about at a time), or its responder
    does not know the certificate (status UNKNOWN says nothing of whether it is revoked)."""
    answers = sum(1 for _answer in response.responses)
    if answers != 1:
        return (
            f"chứa {answers} câu trả lời, không phải một",
            f"it holds {answers} answers, not one",
        )
    if response.certificate_status == ocsp.OCSPCertStatus.UNKNOWN:
        return (
            "máy chủ OCSP không biết chứng thư số này (trạng thái UNKNOWN)",
            "the responder does not know the certificate (status UNKNOWN)",
        )
    return None


def ocsp_request(certificate: x509.Certificate, issuer: x509.Certificate) -> bytes:
    """The DER OCSP request for one certificate. Its CertID hashes with SHA-1, the one hash
    every responder answers (RFC 5019); the response itself is signed with a strong hash."""
    builder = ocsp.OCSPRequestBuilder().add_certificate(
        certificate,
        issuer,
        hashes.SHA1(),  # noqa: S303 — an identifier, not a signature
    )
    return builder.build().public_bytes(serialization.Encoding.DER)


def _ask_ocsp(
    http: httpx.Client, url: str, certificate: x509.Certificate, issuer: x509.Certificate | None
) -> bytes:
    assert issuer is not None
    body = _download(
        http,
        "POST",
        url,
        OCSP_WORDS,
        content=ocsp_request(certificate, issuer),
        headers={"Content-Type": "application/ocsp-request", "Accept": "application/ocsp-response"},
    )
    try:
        response = ocsp.load_der_ocsp_response(body)
    except ValueError as problem:
        raise _unusable(
            url,
            OCSP_WORDS,
            f"không phải phản hồi OCSP: {problem}",
            f"not an OCSP response: {problem}",
        ) from None
    if response.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        status = response.response_status.name
        raise _unusable(
            url,
            OCSP_WORDS,
            f"trạng thái {status}, không phải SUCCESSFUL",
            f"status {status}, not SUCCESSFUL",
        )
    unusable = ocsp_answer_problem(response)
    if unusable is not None:
        raise _unusable(url, OCSP_WORDS, *unusable)
    if response.serial_number != certificate.serial_number:
        raise _unusable(
            url,
            OCSP_WORDS,
            f"trả lời cho số hiệu {response.serial_number:x}, không phải {certificate.serial_number:x}",
            f"it answers for serial {response.serial_number:x}, not {certificate.serial_number:x}",
        )
    if issuer_of(Revocation("ocsp", body), [issuer]) is None:
        raise _unusable(
            url,
            OCSP_WORDS,
            "không do tổ chức cấp chứng thư số (hoặc đơn vị được ủy quyền) ký",
            "it is not signed by the certificate's issuer or a responder it certified",
        )
    return body
