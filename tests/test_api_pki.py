"""The certificates, CRLs and OCSP responses kept beside the log, over HTTP: a registrar uploads
the DER bytes before the statement that names them (`PUT /v1/pki/{sha256}`: idempotent, refused
whole when the bytes are not their hash, not what they say they are, too large, or revocation data
no known CA signed), anyone reads CRLs and OCSP responses, only inspectors and registrars read a
certificate (it names its officer). The registry shows a certificate key's kind and chain. Each
refusal has its test, and leaves nothing kept."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from fastapi.testclient import TestClient

from api.client import Client
from api.http.app import create_app
from api.http.services import Services
from domain.instant import local_date
from ledger.log.storage.pki import MAX_OBJECT_BYTES
from ledger.simulation.demo import AUTHORITY_KEY_NAME, demo_key
from ledger.statements.certificates import key_id_of
from ledger.statements.signing import SigningKey, key_id, spki_of
from tests.apiworld import (
    COMMUNE,
    COMMUNE_OFFICER,
    PROVINCE,
    Api,
    assert_problem,
    demo_database,
    settings_for,
)
from tests.pki import Hierarchy, Issued, rsa_key
from tests.pki_urls import crl_of

HIERARCHY = Hierarchy.build()


@contextmanager
def open_pki_api(url: str, directory: Path) -> Iterator[Api]:
    """The app over the demo, its ledger trusting the test hierarchy's root; a token per role."""
    recorded = demo_database(url, directory)
    settings = settings_for(url, directory)
    anchors = HIERARCHY.anchors(directory / "anchors")
    settings = replace(settings, ledger=replace(settings.ledger, trust_anchors=str(anchors)))
    app = create_app(settings, clock=recorded.clock)
    with TestClient(app) as http:
        services: Services = app.state.services
        api = Api(http, services, recorded.clock, recorded.bind(services))
        api.tokens = {
            "officer": api.token("officer", office=COMMUNE, officer=COMMUNE_OFFICER),
            "inspector": api.token("inspector", office=PROVINCE),
            "consumer": api.token("consumer"),
            "registrar": api.token("registrar"),
        }
        yield api


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    """On SQLite: the refusals are the route's own, the same on every backend."""
    with open_pki_api(f"sqlite:///{tmp_path / 'ledger.db'}", tmp_path) as opened:
        yield opened


@pytest.fixture
def each(database_url: str, tmp_path: Path) -> Iterator[Api]:
    """On memory, SQLite and PostgreSQL: what is kept, read and recorded."""
    with open_pki_api(database_url, tmp_path) as opened:
        yield opened


def sha(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()


def put(
    api: Api, der: bytes, kind: str = "certificate", role: str | None = "registrar", **kw: Any
) -> httpx.Response:
    headers = {"Content-Type": "application/octet-stream"}
    if role is not None:
        headers.update(api.headers(role))
    path = f"/v1/pki/{kw.pop('digest', sha(der))}"
    params = {"kind": kind} if kind else {}
    response: httpx.Response = api.http.put(path, content=der, params=params, headers=headers)
    return response


def get(api: Api, digest: str, role: str | None = None) -> httpx.Response:
    headers = api.headers(role) if role else {}
    response: httpx.Response = api.http.get(f"/v1/pki/{digest}", headers=headers)
    return response


def kept(api: Api, der: bytes) -> bool:
    return api.services.ledger.pki.get(hashlib.sha256(der).digest()) is not None


@dataclass
class Officer:
    """The demo's commune officer's official-duty certificate, as the office is named today."""

    issued: Issued

    @property
    def chain(self) -> list[bytes]:
        return HIERARCHY.chain(self.issued)


def office_name(api: Api) -> str:
    return api.services.ledger.office(COMMUNE).name_on(local_date(api.clock.now()))


def commune_certificate(api: Api, label: str = "cb-api", **kw: Any) -> Issued:
    return HIERARCHY.issue(label, office=office_name(api), **kw)


# --- upload -------------------------------------------------------------------------------------


def test_a_registrar_keeps_a_certificate_and_the_same_again_changes_nothing(each: Api) -> None:
    leaf = commune_certificate(each)
    first = put(each, leaf.der)
    assert first.status_code == 201, first.text
    body = first.json()
    assert body == {
        "sha256": sha(leaf.der),
        "kind": "certificate",
        "size": len(leaf.der),
        "new": True,
        "key": key_id(spki_of(leaf.private.public_key())),
        "issuer": None,
        "produced": None,
        "produced_iso": None,
    }
    again = put(each, leaf.der)
    assert again.status_code == 200, again.text
    assert again.json() == {**body, "new": False}
    assert each.services.ledger.pki.get(bytes.fromhex(body["sha256"])) == leaf.der


def test_a_crl_is_kept_with_its_issuer_and_when_it_was_made(each: Api) -> None:
    made = datetime(2026, 3, 1, tzinfo=UTC)
    assert put(each, HIERARCHY.ca.der).status_code == 201  # the CA that signs it, kept first
    crl = crl_of(HIERARCHY.ca, [], this_update=made)
    response = put(each, crl, "crl")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["issuer"] == key_id_of(HIERARCHY.ca.der)
    assert body["produced"] == int(made.timestamp()) * 1_000_000
    assert body["produced_iso"].startswith("2026-03-01T07:00:00+07:00")
    # a CRL of the root: a trust anchor of this ledger
    root_crl = crl_of(HIERARCHY.root, [], this_update=made)
    assert put(each, root_crl, "crl").json()["issuer"] == key_id_of(HIERARCHY.root.der)


def test_an_ocsp_response_is_kept_with_its_issuer(api: Api) -> None:
    leaf = commune_certificate(api)
    assert put(api, HIERARCHY.ca.der).status_code == 201
    response = ocsp_response(leaf, revoked=None)
    answer = put(api, response, "ocsp")
    assert answer.status_code == 201, answer.text
    assert answer.json()["issuer"] == key_id_of(HIERARCHY.ca.der)


def ocsp_response(leaf: Issued, revoked: datetime | None) -> bytes:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    builder = (
        ocsp.OCSPResponseBuilder()
        .add_response(
            cert=leaf.certificate,
            issuer=HIERARCHY.ca.certificate,
            algorithm=hashes.SHA1(),  # noqa: S303 — the CertID hash responders use
            cert_status=ocsp.OCSPCertStatus.REVOKED if revoked else ocsp.OCSPCertStatus.GOOD,
            this_update=now,
            next_update=now + timedelta(days=1),
            revocation_time=revoked,
            revocation_reason=None,
        )
        .responder_id(ocsp.OCSPResponderEncoding.HASH, HIERARCHY.ca.certificate)
    )
    return builder.sign(HIERARCHY.ca.private, hashes.SHA256()).public_bytes(
        serialization.Encoding.DER
    )


def nothing_kept(api: Api, der: bytes) -> None:
    assert not kept(api, der)


@pytest.mark.parametrize(
    ("role", "status", "code"),
    [
        (None, 401, "unauthenticated"),
        ("officer", 403, "forbidden"),
        ("inspector", 403, "forbidden"),
        ("consumer", 403, "forbidden"),
    ],
)
def test_only_a_registrar_uploads(api: Api, role: str | None, status: int, code: str) -> None:
    leaf = commune_certificate(api)
    assert_problem(put(api, leaf.der, role=role), status, code)
    nothing_kept(api, leaf.der)


def test_bytes_that_are_not_their_hash_are_refused(api: Api) -> None:
    leaf = commune_certificate(api)
    problem = assert_problem(
        put(api, leaf.der, digest=sha(HIERARCHY.ca.der)), 422, "file-hash-mismatch"
    )
    assert sha(leaf.der) in problem["detail"]
    nothing_kept(api, leaf.der)


@pytest.mark.parametrize(
    ("what", "data", "kind"),
    [
        ("garbage", b"not a certificate at all", "certificate"),
        (
            "a CRL said to be a certificate",
            crl_of(HIERARCHY.ca, [], this_update=datetime(2026, 3, 1, tzinfo=UTC)),
            "certificate",
        ),
        ("a certificate said to be a CRL", HIERARCHY.ca.der, "crl"),
        ("a certificate said to be an OCSP response", HIERARCHY.ca.der, "ocsp"),
    ],
)
def test_bytes_that_are_not_what_they_say_are_refused(
    api: Api, what: str, data: bytes, kind: str
) -> None:
    assert_problem(put(api, data, kind), 422, "bad-certificate")
    nothing_kept(api, data)


def test_an_empty_body_is_refused(api: Api) -> None:
    assert_problem(put(api, b""), 422, "bad-certificate")


@pytest.mark.parametrize("kind", ["", "key", "CRL"])
def test_a_missing_or_unknown_kind_is_refused(api: Api, kind: str) -> None:
    assert_problem(put(api, HIERARCHY.ca.der, kind), 422, "malformed-request")
    nothing_kept(api, HIERARCHY.ca.der)


def test_a_path_that_is_not_a_hash_is_refused(api: Api) -> None:
    response = api.http.put(
        "/v1/pki/not-a-hash",
        params={"kind": "certificate"},
        content=b"x",
        headers=api.headers("registrar"),
    )
    assert_problem(response, 422, "malformed-request")


def test_a_body_over_the_cap_is_refused_before_it_is_read(api: Api) -> None:
    data = b"\x30" * (MAX_OBJECT_BYTES + 1)
    assert_problem(put(api, data, "crl"), 413, "too-large")


def test_a_crl_no_known_ca_signed_is_refused(api: Api) -> None:
    assert put(api, HIERARCHY.ca.der).status_code == 201
    forged = crl_of(
        Issued(HIERARCHY.ca.certificate, rsa_key("seal")),  # the CA's name, another key
        [],
        this_update=datetime(2026, 3, 1, tzinfo=UTC),
    )
    problem = assert_problem(put(api, forged, "crl"), 422, "bad-certificate")
    assert "signed by no trust anchor" in problem["detail"]
    nothing_kept(api, forged)


def test_a_crl_of_a_ca_not_kept_yet_is_refused(api: Api) -> None:
    crl = crl_of(HIERARCHY.ca, [], this_update=datetime(2026, 3, 1, tzinfo=UTC))
    assert_problem(put(api, crl, "crl"), 422, "bad-certificate")
    nothing_kept(api, crl)


def test_an_ocsp_response_that_did_not_succeed_is_refused(api: Api) -> None:
    failed = ocsp.OCSPResponseBuilder.build_unsuccessful(
        ocsp.OCSPResponseStatus.UNAUTHORIZED
    ).public_bytes(serialization.Encoding.DER)
    problem = assert_problem(put(api, failed, "ocsp"), 422, "bad-certificate")
    assert "UNAUTHORIZED" in problem["detail"]
    nothing_kept(api, failed)


# --- reading ------------------------------------------------------------------------------------


def test_a_certificate_is_read_by_inspectors_and_registrars_only(each: Api) -> None:
    leaf = commune_certificate(each)
    assert put(each, leaf.der).status_code == 201
    for role in ("inspector", "registrar"):
        response = get(each, sha(leaf.der), role)
        assert response.status_code == 200, response.text
        assert response.content == leaf.der
        assert response.headers["content-type"] == "application/pkix-cert"
        assert response.headers["cache-control"] == "private, no-store"
        assert response.headers["etag"] == f'"{sha(leaf.der)}"'
    assert_problem(get(each, sha(leaf.der)), 401, "unauthenticated")
    for role in ("officer", "consumer"):
        assert_problem(get(each, sha(leaf.der), role), 403, "forbidden")
    bad = each.http.get(f"/v1/pki/{sha(leaf.der)}", headers={"Authorization": "Bearer not-a-token"})
    assert_problem(bad, 401, "token-malformed")


def test_crls_and_ocsp_responses_are_public(api: Api) -> None:
    assert put(api, HIERARCHY.ca.der).status_code == 201
    crl = crl_of(HIERARCHY.ca, [], this_update=datetime(2026, 3, 1, tzinfo=UTC))
    response = ocsp_response(commune_certificate(api), revoked=None)
    assert put(api, crl, "crl").status_code == 201
    assert put(api, response, "ocsp").status_code == 201
    for data, media in ((crl, "application/pkix-crl"), (response, "application/ocsp-response")):
        answer = get(api, sha(data))
        assert answer.status_code == 200, answer.text
        assert answer.content == data
        assert answer.headers["content-type"] == media
        assert "public" in answer.headers["cache-control"]


def test_an_object_not_kept_is_not_found(api: Api) -> None:
    assert_problem(get(api, "0" * 64, "registrar"), 404, "not-found")
    assert_problem(get(api, "0" * 64), 404, "not-found")


# --- the registry shows a certificate key -------------------------------------------------------


@dataclass(frozen=True)
class KeyOnCertificate:
    """A statement key for Client.record: the demo authority's key file."""

    key: SigningKey
    office: str = "authority"
    officer: str = "authority"

    @property
    def key_id(self) -> str:
        return self.key.key_id

    def sign(self, statement: bytes) -> bytes:
        return self.key.sign(statement)


def test_the_registry_shows_a_certificate_keys_kind_and_chain(each: Api) -> None:
    leaf = commune_certificate(each)
    chain = HIERARCHY.chain(leaf)
    for der in chain:
        assert put(each, der).status_code in (200, 201)
    public = spki_of(leaf.private.public_key())
    client = Client(http=each.http, token=each.tokens["registrar"])
    authority = KeyOnCertificate(demo_key(AUTHORITY_KEY_NAME))
    client.record(
        authority,  # type: ignore[arg-type]
        "key.registered",
        key_id(public),
        {
            "officer": COMMUNE_OFFICER,
            "public_key": public,
            "role": "officer",
            "effective": each.clock.now(),
            "certificates": [hashlib.sha256(der).digest() for der in chain],
        },
    )
    response = each.http.get(
        f"/v1/registry/keys/{key_id(public)}", headers=each.headers("consumer")
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["kind"] == "ecdsa-p256"
    assert body["certificates"] == [sha(der) for der in chain]
    assert body["valid_now"] is True
    officer = each.http.get(
        f"/v1/registry/officers/{COMMUNE_OFFICER}", headers=each.headers("consumer")
    ).json()
    kinds = {key["key"]: key["kind"] for key in officer["keys"]}
    assert kinds[key_id(public)] == "ecdsa-p256"
    assert sorted(set(kinds.values())) == ["ecdsa-p256", "ed25519"]
    ed25519 = next(key for key in officer["keys"] if key["kind"] == "ed25519")
    assert ed25519["certificates"] == []


def test_the_registry_shows_an_rsa_certificate_key_as_rsa_pss(api: Api) -> None:
    leaf = commune_certificate(api, "cb-api-rsa", private=rsa_key("officer-rsa"))
    chain = HIERARCHY.chain(leaf)
    for der in chain:
        assert put(api, der).status_code in (200, 201)
    public = spki_of(leaf.private.public_key())
    Client(http=api.http, token=api.tokens["registrar"]).record(
        KeyOnCertificate(demo_key(AUTHORITY_KEY_NAME)),  # type: ignore[arg-type]
        "key.registered",
        key_id(public),
        {
            "officer": COMMUNE_OFFICER,
            "public_key": public,
            "role": "officer",
            "effective": api.clock.now(),
            "certificates": [hashlib.sha256(der).digest() for der in chain],
        },
    )
    body = api.http.get(
        f"/v1/registry/keys/{key_id(public)}", headers=api.headers("consumer")
    ).json()
    assert body["kind"] == "rsa-pss"


# --- the OpenAPI document says all this -----------------------------------------------------------


def test_the_openapi_document_declares_the_upload_and_the_read(api: Api) -> None:
    document = api.http.get("/openapi.json").json()
    operations = document["paths"]["/v1/pki/{sha256}"]
    upload = operations["put"]
    assert upload["requestBody"]["content"] == {
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
    }
    kind = next(p for p in upload["parameters"] if p["name"] == "kind")
    assert kind["required"] is True
    assert {"201", "200", "401", "403", "413", "422"} <= set(upload["responses"])
    read = operations["get"]
    assert set(read["responses"]["200"]["content"]) == {
        "application/pkix-cert",
        "application/pkix-crl",
        "application/ocsp-response",
    }
    assert {} in read["security"]  # a token only for certificates
    assert {"401", "403", "404", "422"} <= set(read["responses"])
    key = document["components"]["schemas"]["KeyOut"]["properties"]
    assert key["kind"]["enum"] == ["ed25519", "rsa-pss", "ecdsa-p256", "unknown"]
    assert "certificates" in key
