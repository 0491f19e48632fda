"""Certificates of the test hierarchy (tests/pki.py) that say where their revocation data is
published — a CRL Distribution Point and an Authority Information Access OCSP address — and a
publisher on 127.0.0.1 that answers those addresses: the CRLs as files (GET) and an OCSP responder
(POST) whose responses the certificate authority signs, as a real CA's publication point does.

Keys stay the hierarchy's fixed ones: a certificate here is the hierarchy's, issued again with the
address extensions added. Nothing here is a real certificate authority.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID

from tests.pki import Hierarchy, Issued, PrivateKey


def reissue(
    issued: Issued,
    signer: PrivateKey,
    *,
    crl: str | Sequence[str] | None = None,
    ocsp_url: str | None = None,
) -> Issued:
    """`issued`'s certificate made again (same subject, key, serial, validity, extensions), signed
    by `signer`, with CRL Distribution Points at `crl` (one address, or several in turn) and an
    OCSP address at `ocsp_url`."""
    made = issued.certificate
    builder = (
        x509.CertificateBuilder()
        .subject_name(made.subject)
        .issuer_name(made.issuer)
        .public_key(made.public_key())  # type: ignore[arg-type]
        .serial_number(made.serial_number)
        .not_valid_before(made.not_valid_before_utc)
        .not_valid_after(made.not_valid_after_utc)
    )
    for extension in made.extensions:
        builder = builder.add_extension(extension.value, critical=extension.critical)
    if crl is not None:
        builder = builder.add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        full_name=[x509.UniformResourceIdentifier(url)],
                        relative_name=None,
                        reasons=None,
                        crl_issuer=None,
                    )
                    for url in ([crl] if isinstance(crl, str) else crl)
                ]
            ),
            critical=False,
        )
    if ocsp_url is not None:
        builder = builder.add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url)
                    )
                ]
            ),
            critical=False,
        )
    return Issued(builder.sign(signer, hashes.SHA256()), issued.private)


def published(hierarchy: Hierarchy, base: str) -> Hierarchy:
    """The hierarchy whose subordinate CA certificate names the root's CRL at `base`/root.crl
    (the same keys, subject and serial: certificates the original CA issued chain to it too)."""
    ca = reissue(hierarchy.ca, hierarchy.root.private, crl=f"{base}/root.crl")
    return Hierarchy(hierarchy.root, ca, dict(hierarchy.issued))


def issue_published(
    hierarchy: Hierarchy,
    label: str,
    *,
    office: str,
    base: str,
    crl: bool = True,
    ocsp_url: bool = True,
    valid_days: int = 365,
    private: PrivateKey | None = None,
) -> Issued:
    """An officer's certificate of `office` from the subordinate CA, valid from 30 days ago for
    `valid_days` (the command line signs at the real time), naming the CA's CRL at `base`/ca.crl
    and its OCSP responder at `base`/ocsp, as asked."""
    now = datetime.now(UTC).replace(microsecond=0)
    made = hierarchy.issue(
        label,
        office=office,
        private=private,
        not_before=now - timedelta(days=30),
        not_after=now + timedelta(days=valid_days),
    )
    issued = reissue(
        made,
        hierarchy.ca.private,
        crl=f"{base}/ca.crl" if crl else None,
        ocsp_url=f"{base}/ocsp" if ocsp_url else None,
    )
    hierarchy.issued[label] = issued
    return issued


def crl_of(
    issuer: Issued, revoked: list[tuple[Issued, datetime]], *, this_update: datetime
) -> bytes:
    """A DER CRL signed by `issuer` (the root or the subordinate CA) listing `revoked`."""
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.certificate.subject)
        .last_update(this_update)
        .next_update(this_update + timedelta(days=7))
        .add_extension(x509.CRLNumber(1), critical=False)
    )
    for certificate, when in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(certificate.certificate.serial_number)
            .revocation_date(when)
            .build()
        )
    return builder.sign(issuer.private, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


@dataclass
class Status:
    """What the responder says of one serial: good, or revoked since `revoked`."""

    revoked: datetime | None = None


@dataclass
class Publisher:
    """The CA's publication point: `files` served by path (GET), and an OCSP responder (POST to
    /ocsp) signed by `responder`, answering by serial from `statuses` (unknown otherwise)."""

    responder: Issued
    files: dict[str, bytes] = field(default_factory=dict)
    statuses: dict[int, Status] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    url: str = ""
    serial_answered: int | None = None  # answer for this serial whatever is asked (a wrong answer)
    issued: dict[int, x509.Certificate] = field(default_factory=dict)

    def answer_ocsp(self, request_der: bytes) -> bytes:
        request = ocsp.load_der_ocsp_request(request_der)
        serial = self.serial_answered or request.serial_number
        now = datetime.now(UTC).replace(microsecond=0)
        certificate = self.issued.get(serial)
        if certificate is None:
            return ocsp.OCSPResponseBuilder.build_unsuccessful(
                ocsp.OCSPResponseStatus.UNAUTHORIZED
            ).public_bytes(serialization.Encoding.DER)
        status = self.statuses.get(serial, Status())
        builder = (
            ocsp.OCSPResponseBuilder()
            .add_response(
                cert=certificate,
                issuer=self.responder.certificate,
                algorithm=hashes.SHA1(),  # noqa: S303 — the CertID hash RFC 5019 responders use
                cert_status=ocsp.OCSPCertStatus.REVOKED
                if status.revoked
                else ocsp.OCSPCertStatus.GOOD,
                this_update=now - timedelta(minutes=1),
                next_update=now + timedelta(days=1),
                revocation_time=status.revoked,
                revocation_reason=x509.ReasonFlags.key_compromise if status.revoked else None,
            )
            .responder_id(ocsp.OCSPResponderEncoding.HASH, self.responder.certificate)
        )
        return builder.sign(self.responder.private, hashes.SHA256()).public_bytes(
            serialization.Encoding.DER
        )

    def knows(self, *certificates: Issued) -> None:
        """The certificates the responder answers for (good until `statuses` says otherwise)."""
        for each in certificates:
            self.issued[each.certificate.serial_number] = each.certificate


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        publisher = self.server.publisher
        publisher.requests.append(f"GET {self.path}")
        body = publisher.files.get(self.path)
        if body is None:
            self._send(404, b"no such file", "text/plain")
        else:
            self._send(200, body, "application/pkix-crl")

    def do_POST(self) -> None:
        publisher = self.server.publisher
        publisher.requests.append(f"POST {self.path}")
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path != "/ocsp" or self.headers.get("Content-Type") != "application/ocsp-request":
            self._send(415, b"not an OCSP request", "text/plain")
            return
        self._send(200, publisher.answer_ocsp(body), "application/ocsp-response")

    def _send(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests say what they expect."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, publisher: Publisher, listener: socket.socket) -> None:
        super().__init__(listener.getsockname(), _Handler, bind_and_activate=False)
        self.socket.close()
        self.socket = listener
        self.server_activate()
        self.publisher = publisher


def reserve() -> socket.socket:
    """A socket bound to a free port of 127.0.0.1: its address goes into the certificates
    before the publisher starts listening on it."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    return listener


def base_of(listener: socket.socket) -> str:
    return f"http://127.0.0.1:{listener.getsockname()[1]}"


@contextmanager
def running(publisher: Publisher, listener: socket.socket) -> Iterator[Publisher]:
    """Serve `publisher` on `listener` until the block ends; `publisher.url` is its address."""
    server = _Server(publisher, listener)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    publisher.url = base_of(listener)
    try:
        yield publisher
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


@contextmanager
def refusing_base() -> Iterator[str]:
    """An address on 127.0.0.1 where nothing answers: the port is held, bound and not listening,
    so a connection is refused at once (a publication point that is down)."""
    holder = reserve()
    try:
        yield base_of(holder)
    finally:
        holder.close()
