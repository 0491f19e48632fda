"""OCSP answers that speak for nothing and addresses that redirect, for `revocation fetch` and
`revocation add` (api/pki_fetch.py, api/cli/certificates.py): a responder that does not know the
certificate (status UNKNOWN) and a response holding several answers are unusable — named with the
address, nothing recorded — and `revocation add` refuses such a file cleanly (exit 2, no
traceback); a publication point that redirects is named, its redirect not followed.

cryptography's OCSPResponseBuilder makes one answer per response only ("Only one response per
OCSPResponse"), so the response of two answers is made here with asn1crypto from two of its
single answers and signed again by the CA: a well-signed response, refused for its two answers
alone."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from asn1crypto import ocsp as asn1_ocsp
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509 import ocsp

from tests import test_cli_certificates as cli_tests
from tests.pki import Issued
from tests.pki_urls import Publisher, _Handler, _Server, issue_published
from tests.test_cli_certificates import COMMUNE_NAME, Setup, fetch, publisher, refused

listener = cli_tests.listener  # the fixtures of the command's own tests
setup = cli_tests.setup


def single(
    leaf: Issued, responder: Issued, status: ocsp.OCSPCertStatus = ocsp.OCSPCertStatus.GOOD
) -> bytes:
    """A signed OCSP response of one answer about `leaf`, by `responder` (its issuing CA)."""
    now = datetime.now(UTC).replace(microsecond=0)
    builder = (
        ocsp.OCSPResponseBuilder()
        .add_response(
            cert=leaf.certificate,
            issuer=responder.certificate,
            algorithm=hashes.SHA1(),  # noqa: S303 — the CertID hash responders use
            cert_status=status,
            this_update=now - timedelta(minutes=1),
            next_update=now + timedelta(days=1),
            revocation_time=None,
            revocation_reason=None,
        )
        .responder_id(ocsp.OCSPResponderEncoding.HASH, responder.certificate)
    )
    return builder.sign(responder.private, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def two_answers(first: bytes, second: bytes, responder: Issued) -> bytes:
    """`first` with the answer of `second` added to its own, signed again by `responder`."""
    response = asn1_ocsp.OCSPResponse.load(first)
    basic = response["response_bytes"]["response"].parsed
    tbs = basic["tbs_response_data"]
    other = asn1_ocsp.OCSPResponse.load(second)["response_bytes"]["response"].parsed
    tbs["responses"] = asn1_ocsp.Responses(
        [tbs["responses"][0], other["tbs_response_data"]["responses"][0]]
    )
    signed = tbs.dump(force=True)
    key = responder.private
    if isinstance(key, rsa.RSAPrivateKey):
        signature = key.sign(signed, padding.PKCS1v15(), hashes.SHA256())
    else:
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        signature = key.sign(signed, ec.ECDSA(hashes.SHA256()))
    basic["signature"] = signature
    response["response_bytes"]["response"] = asn1_ocsp.BasicOCSPResponse.load(
        basic.dump(force=True)
    )
    der: bytes = response.dump(force=True)
    loaded = ocsp.load_der_ocsp_response(der)
    assert sum(1 for _answer in loaded.responses) == 2
    # what the single-answer properties do with it
    with pytest.raises(ValueError, match="2 SINGLERESP"):
        _ = loaded.serial_number
    return der


def several(setup: Setup) -> bytes:
    other = issue_published(setup.hierarchy, "cb-other", office=COMMUNE_NAME, base=setup.base)
    ca = setup.hierarchy.ca
    return two_answers(single(setup.leaf, ca), single(other, ca), ca)


def unknown(setup: Setup) -> bytes:
    return single(setup.leaf, setup.hierarchy.ca, ocsp.OCSPCertStatus.UNKNOWN)


@dataclass
class Answering(Publisher):
    """A publication point whose responder answers `answer` to every request, and whose files
    at the paths of `redirects` redirect elsewhere."""

    answer: bytes = b""
    redirects: dict[str, str] = field(default_factory=dict)

    def answer_ocsp(self, request_der: bytes) -> bytes:
        return self.answer or super().answer_ocsp(request_der)


class _Redirecting(_Handler):
    def do_GET(self) -> None:  # noqa: N802 — http.server's name
        point = self.server.publisher
        assert isinstance(point, Answering)
        target = point.redirects.get(self.path)
        if target is None:
            super().do_GET()
            return
        point.requests.append(f"GET {self.path}")
        self.send_response(302)
        self.send_header("Location", target)
        self.send_header("Content-Length", "0")
        self.end_headers()


@contextmanager
def serving(point: Answering, listener: socket.socket) -> Iterator[Answering]:
    server = _Server(point, listener)
    server.RequestHandlerClass = _Redirecting
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield point
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


def answering(setup: Setup, **kwargs: Any) -> Answering:
    base = publisher(setup)
    point = Answering(base.responder, files=base.files, **kwargs)
    point.issued.update(base.issued)
    point.statuses.update(base.statuses)
    return point


# --- revocation fetch -----------------------------------------------------------------------------


def test_fetch_refuses_an_ocsp_answer_of_a_responder_that_does_not_know_the_certificate(
    setup: Setup, listener: socket.socket
) -> None:
    assert setup.enrol()[0] == 0
    with serving(answering(setup, answer=unknown(setup)), listener):
        output = refused(
            setup, lambda: fetch(setup), 1, f"{setup.base}/ocsp", "status UNKNOWN", "unusable"
        )
    assert "Nothing was recorded." in output


def test_fetch_refuses_an_ocsp_response_of_several_answers(
    setup: Setup, listener: socket.socket
) -> None:
    assert setup.enrol()[0] == 0
    with serving(answering(setup, answer=several(setup)), listener):
        output = refused(
            setup, lambda: fetch(setup), 1, f"{setup.base}/ocsp", "holds 2 answers, not one"
        )
    assert "Traceback" not in output


def test_fetch_names_an_address_that_redirects_and_does_not_follow_it(
    setup: Setup, listener: socket.socket
) -> None:
    assert setup.enrol()[0] == 0
    point = answering(setup, redirects={"/ca.crl": "/moved.crl"})
    point.files["/moved.crl"] = point.files["/ca.crl"]  # following it would have succeeded
    with serving(point, listener):
        refused(setup, lambda: fetch(setup), 1, f"{setup.base}/ca.crl", "redirects (HTTP 302)")
    assert "GET /moved.crl" not in point.requests


# --- revocation add -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("made", "said_en", "said_vi"),
    [
        (unknown, "status UNKNOWN", "trạng thái UNKNOWN"),
        (several, "holds 2 answers", "chứa 2 câu trả lời"),
    ],
)
def test_revocation_add_refuses_an_ocsp_response_that_speaks_for_nothing(
    setup: Setup, made: Any, said_en: str, said_vi: str
) -> None:
    path = setup.write("answer.ors", made(setup))
    args = ("revocation", "add", str(path), "--format", "ocsp", "--key", str(setup.authority))
    refused(setup, lambda: setup.run(*args), 2, "is unusable", said_en)
    refused(setup, lambda: setup.run(*args, lang="vi"), 2, "không dùng được", said_vi)
