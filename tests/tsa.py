"""A local time-stamping authority (TSA) made for the tests: a real HTTP server on 127.0.0.1 that
answers RFC 3161 requests (application/timestamp-query) with tokens made by pyHanko's test
timestamper, signed with a fixed ECDSA key whose certificate the test hierarchy's subordinate CA
issued (tests/pki.py), extended key usage timeStamping, critical, as RFC 3161 requires.

The token's genTime is the `gen_time` the TSA is given: a fixed clock, so the tests know the time
a token states. `mode` makes it misbehave: refuse, answer garbage or an HTTP error, or answer with
a token for other bytes or another nonce. `refusing_url()` is an address where nothing answers.
Nothing here is a real TSA.
"""

from __future__ import annotations

import hashlib
import socket
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.pki import NOT_AFTER, NOT_BEFORE, Hierarchy, Issued, ec_key, name

with warnings.catch_warnings():  # pyHanko imports cryptography's deprecated DSA on the way
    warnings.simplefilter("ignore")
    from pyhanko.sign.general import as_signing_certificate, simple_cms_attribute
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

GEN_TIME = datetime(2025, 3, 3, 1, 0, 5, tzinfo=UTC)  # 08:00:05 in Vietnam, the world's START
MODES = ("grant", "reject", "garbage", "http-error", "other-imprint", "other-nonce")


def tsa_certificate(
    issuer: Issued,
    *,
    label: str = "tsa",
    time_stamping: bool = True,
    not_before: datetime = NOT_BEFORE,
    not_after: datetime = NOT_AFTER,
) -> Issued:
    """A TSA's certificate issued by `issuer`, key `ec_key(label)`: extended key usage
    timeStamping, critical (or, with time_stamping=False, an officer's usages, not critical)."""
    key = ec_key(label)
    usages = (
        x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING])
        if time_stamping
        else x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH])
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(
            name(common=f"Máy cấp dấu thời gian thử nghiệm ({label})", organization="Test TSA")
        )
        .issuer_name(issuer.certificate.subject)
        .public_key(key.public_key())
        .serial_number(
            int.from_bytes(hashlib.sha256(f"serial:{label}".encode()).digest()[:16]) >> 1
        )
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(usages, critical=time_stamping)
        .sign(issuer.private, hashes.SHA256())
    )
    return Issued(certificate, key)


def other_root(label: str = "other-root") -> Issued:
    """A self-signed root the test hierarchy knows nothing of (its own key and name)."""
    key = ec_key(label)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"Gốc khác ({label})"),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(datetime(2020, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2045, 1, 1, tzinfo=UTC))
        .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return Issued(certificate, key)


def write_pem(path: Path, *certificates: x509.Certificate) -> Path:
    path.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certificates))
    return path


class _Stamper(DummyTimeStamper):
    """pyHanko's test timestamper (RSA only) taught to sign with an ECDSA P-256 key instead."""

    def __init__(self, signer: Issued, chain: list[x509.Certificate], gen_time: datetime) -> None:
        def asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
            return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))

        super().__init__(
            asn1(signer.certificate),
            None,
            certs_to_embed=[asn1(c) for c in chain],  # type: ignore[arg-type]
            fixed_dt=gen_time,
        )
        self.signer = signer

    def _sign_tst_info(
        self, tst_info_data: bytes, md_algorithm: str, dt: datetime
    ) -> tuple[bytes, cms.CMSAttributes]:
        private = self.signer.private
        assert isinstance(private, ec.EllipticCurvePrivateKey)
        attributes = cms.CMSAttributes(
            [
                simple_cms_attribute("content_type", "tst_info"),
                simple_cms_attribute("signing_time", cms.Time({"utc_time": core.UTCTime(dt)})),
                simple_cms_attribute("signing_certificate", as_signing_certificate(self.tsa_cert)),
                simple_cms_attribute("message_digest", hashlib.sha256(tst_info_data).digest()),
            ]
        )
        signature = private.sign(attributes.dump(), ec.ECDSA(hashes.SHA256()))
        return signature, attributes

    def _build_signed_data(self, *args: Any) -> dict[str, Any]:
        signed: dict[str, Any] = super()._build_signed_data(*args)
        signed["signer_infos"][0]["signature_algorithm"] = algos.SignedDigestAlgorithm(
            {"algorithm": "sha256_ecdsa"}
        )
        return signed


@dataclass
class LocalTSA:
    """The TSA's state, which the tests change between requests; `url` once it runs."""

    signer: Issued
    chain: list[x509.Certificate]  # the certificates the token carries besides the signer's
    roots: list[x509.Certificate]  # what a client must trust to accept its tokens
    gen_time: datetime = GEN_TIME
    mode: str = "grant"
    url: str = ""
    upcoming: list[str] = field(default_factory=list)  # modes of the next requests, then `mode`
    queries: list[bytes] = field(default_factory=list)  # every query received, in order
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def of(cls, hierarchy: Hierarchy | None = None, **kwargs: Any) -> LocalTSA:
        """A TSA whose certificate the hierarchy's subordinate CA issued; roots = its root."""
        hierarchy = hierarchy or Hierarchy.build()
        signer = kwargs.pop("signer", None) or tsa_certificate(hierarchy.ca)
        return cls(signer, [hierarchy.ca.certificate], [hierarchy.root.certificate], **kwargs)

    @property
    def requests(self) -> int:
        """How many queries it received."""
        return len(self.queries)

    def roots_file(self, directory: Path) -> Path:
        """The roots as a PEM file (what LIENTHONG_TSA_ROOTS names)."""
        directory.mkdir(parents=True, exist_ok=True)
        return write_pem(directory / "tsa-roots.pem", *self.roots)

    def answer(self, query: bytes) -> tuple[int, bytes]:
        """The HTTP status and body for one timestamp query."""
        with self._lock:
            self.queries.append(query)
            mode = self.upcoming.pop(0) if self.upcoming else self.mode
            gen_time = self.gen_time
        if mode == "http-error":
            return 500, b"internal error"
        if mode == "garbage":
            return 200, b"\x30\x03not a timestamp response"
        request = tsp.TimeStampReq.load(query)
        if mode == "reject":
            status = tsp.PKIStatusInfo(
                {
                    "status": "rejection",
                    "status_string": ["the test TSA refuses"],
                    "fail_info": tsp.PKIFailureInfo({"system_failure"}),
                }
            )
            # a TimeStampResp of its status alone (asn1crypto's class insists on a token)
            return 200, _sequence(status.dump())
        if mode == "other-imprint":
            imprint = request["message_imprint"]
            other = hashlib.sha256(b"other:" + imprint["hashed_message"].native).digest()
            request = tsp.TimeStampReq(
                {
                    "version": 1,
                    "message_imprint": tsp.MessageImprint(
                        {"hash_algorithm": imprint["hash_algorithm"], "hashed_message": other}
                    ),
                    "nonce": request["nonce"],
                    "cert_req": True,
                }
            )
        elif mode == "other-nonce":
            request = tsp.TimeStampReq(
                {
                    "version": 1,
                    "message_imprint": request["message_imprint"],
                    "nonce": request["nonce"].native + 1,
                    "cert_req": True,
                }
            )
        stamper = _Stamper(self.signer, self.chain, gen_time)
        return 200, stamper.request_tsa_response(request).dump()


def _sequence(content: bytes) -> bytes:
    """DER SEQUENCE { content }."""
    size = len(content)
    if size < 0x80:
        return b"\x30" + bytes([size]) + content
    octets = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return b"\x30" + bytes([0x80 | len(octets)]) + octets + content


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        query = self.rfile.read(length)
        if self.headers.get("Content-Type") != "application/timestamp-query":
            status, body, kind = 415, b"not a timestamp query", "text/plain"
        else:
            status, body = self.server.tsa.answer(query)
            kind = "application/timestamp-reply" if status == 200 else "text/plain"
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests say what they expect."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, tsa: LocalTSA) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.tsa = tsa


@contextmanager
def running(tsa: LocalTSA) -> Iterator[LocalTSA]:
    """Serve `tsa` on a free port of 127.0.0.1 until the block ends; `tsa.url` is its address."""
    server = _Server(tsa)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    tsa.url = f"http://127.0.0.1:{server.server_address[1]}/tsa"
    try:
        yield tsa
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


@contextmanager
def refusing_url() -> Iterator[str]:
    """An address on 127.0.0.1 where nothing answers: the port is held, bound, and not listening,
    so a connection is refused at once (a TSA that is down)."""
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        holder.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{holder.getsockname()[1]}/tsa"
    finally:
        holder.close()
