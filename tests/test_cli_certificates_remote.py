"""The certificate commands of a registrar working from another computer (--server): a real
uvicorn server on 127.0.0.1 over the demo, its ledger trusting the test hierarchy's root. The
chain's DER bytes go up first (PUT /v1/pki/{sha256}), then key.registered is prepared by the
server, checked and signed here with the authority's key file; revocation data the same way, and
`revocation fetch` reads the key's chain from the server. Once the OCSP responder's "revoked" is
recorded, the officer's next statement through the API is refused as certificate-revoked."""

from __future__ import annotations

import asyncio
import hashlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from cryptography.hazmat.primitives import serialization
from typer.testing import CliRunner

from api.client import ApiProblem, Client
from api.http.app import create_app
from api.http.services import Services
from domain.instant import local_date
from ledger.clock import SimulatedClock, SystemClock
from ledger.simulation.demo import AUTHORITY_KEY_NAME, demo_key
from ledger.statements.certificates import key_id_of
from ledger.statements.signing import CertificateSigningKey, SigningKey, key_id, spki_of
from tests.apiworld import (
    APPLICANT,
    COMMUNE,
    COMMUNE_OFFICER,
    FILES,
    RECEIVED_BODY,
    code_today,
    demo_database,
    settings_for,
)
from tests.pki import Hierarchy, Issued
from tests.pki_urls import (
    Publisher,
    Status,
    base_of,
    crl_of,
    issue_published,
    published,
    refusing_base,
    reserve,
    running,
)
from tests.test_cli_certificates import APP

runner = CliRunner()


class _Server(uvicorn.Server):
    """uvicorn in a thread, saying when it listens (no polling, no sleeps)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.listening = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self.listening.set()


@dataclass
class Remote:
    url: str
    services: Services
    clock: SimulatedClock
    tokens: dict[str, str]
    directory: Path
    anchors: Path
    authority: Path
    hierarchy: Hierarchy
    leaf: Issued
    base: str  # the CA's publication point, named in its certificates

    def run(
        self, *args: str, role: str = "registrar", server: str | None = None
    ) -> tuple[int, str]:
        result = runner.invoke(
            APP,
            [
                "--lang",
                "en",
                *args,
                "--server",
                server or self.url,
                "--token",
                self.tokens[role],
            ],
            env={"LIENTHONG_TRUST_ANCHORS": str(self.anchors)},
        )
        return result.exit_code, result.output

    def chain_file(self) -> Path:
        path = self.directory / "chain.pem"
        path.write_bytes(
            b"".join(
                i.certificate.public_bytes(serialization.Encoding.PEM)
                for i in (self.leaf, self.hierarchy.ca)
            )
        )
        return path

    def enrol(self, role: str = "registrar") -> tuple[int, str]:
        return self.run(
            "certificate",
            "enrol",
            COMMUNE_OFFICER,
            str(self.chain_file()),
            "--key",
            str(self.authority),
            role=role,
        )

    @property
    def key(self) -> str:
        return key_id(spki_of(self.leaf.private.public_key()))

    def log_size(self) -> int:
        return self.services.ledger.log_size()


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    held = reserve()
    yield held
    held.close()


@pytest.fixture
def remote(tmp_path: Path, listener: socket.socket) -> Iterator[Remote]:
    base = base_of(listener)
    hierarchy = published(Hierarchy.build(), base)
    anchors = hierarchy.anchors(tmp_path / "anchors")
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    recorded = demo_database(url, tmp_path)
    clock = recorded.clock
    clock.set(max(clock.now(), SystemClock().now()))  # the certificates are valid at the real time
    settings = settings_for(url, tmp_path)
    settings = replace(settings, ledger=replace(settings.ledger, trust_anchors=str(anchors)))
    app = create_app(settings, clock=clock)
    server_socket = socket.socket()
    server_socket.bind(("127.0.0.1", 0))
    server = _Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[server_socket])))
    thread.start()
    try:
        assert server.listening.wait(60), "the server did not start"
        services: Services = app.state.services
        recorded.bind(services)
        office = services.ledger.office(COMMUNE).name_on(local_date(clock.now()))
        leaf = issue_published(hierarchy, "cb-remote", office=office, base=base)
        authority = tmp_path / "authority.key"
        SigningKey(demo_key(AUTHORITY_KEY_NAME).private, "authority", "authority").save(authority)
        tokens = {
            role: services.tokens.create(
                role,
                now=clock.now(),
                valid_seconds=86400,
                **({"office": COMMUNE, "officer": COMMUNE_OFFICER} if role == "officer" else {}),
            )[1]
            for role in ("registrar", "officer")
        }
        yield Remote(
            f"http://127.0.0.1:{server_socket.getsockname()[1]}",
            services,
            clock,
            tokens,
            tmp_path,
            anchors,
            authority,
            hierarchy,
            leaf,
            base,
        )
    finally:
        server.should_exit = True
        thread.join(60)
        server_socket.close()


@dataclass(frozen=True)
class CertificateKey:
    """The officer's certificate key, as the API client signs with it."""

    key: CertificateSigningKey
    office: str = COMMUNE
    officer: str = COMMUNE_OFFICER

    @property
    def key_id(self) -> str:
        return self.key.key_id

    def sign(self, statement: bytes) -> bytes:
        return self.key.sign(statement)


def receive(remote: Remote, number: int) -> dict[str, Any]:
    """A dossier received through the API, signed with the certificate key."""
    client = Client(remote.url, remote.tokens["officer"], files=FILES)
    try:
        return client.record(
            CertificateKey(CertificateSigningKey(remote.leaf.private)),  # type: ignore[arg-type]
            "dossier.received",
            code_today(remote.services, number),
            RECEIVED_BODY,
            applicant=APPLICANT,
        )
    finally:
        client.close()


def test_enrol_through_the_server_uploads_the_chain_then_registers_the_key(remote: Remote) -> None:
    code, output = remote.enrol()
    assert code == 0, output
    assert f"Recorded: key.registered {remote.key} seq 1" in output
    assert f"SHA-256 fingerprint: {hashlib.sha256(remote.leaf.der).hexdigest()}" in output
    key = httpx.get(
        f"{remote.url}/v1/registry/keys/{remote.key}",
        headers={"Authorization": f"Bearer {remote.tokens['registrar']}"},
    ).json()
    assert key["kind"] == "ecdsa-p256"
    assert key["certificates"] == [
        hashlib.sha256(der).hexdigest() for der in (remote.leaf.der, remote.hierarchy.ca.der)
    ]
    remote.clock.advance(60)  # the key is in force from when the command line enrolled it
    assert receive(remote, 501)["kind"] == "dossier.received"


def test_enrol_with_an_officers_token_is_refused_and_keeps_nothing(remote: Remote) -> None:
    before = remote.log_size()
    code, output = remote.enrol(role="officer")
    assert code == 2, output
    assert "forbidden" in output
    assert remote.log_size() == before
    assert remote.services.ledger.pki.get(hashlib.sha256(remote.leaf.der).digest()) is None


def test_enrol_through_a_server_that_does_not_answer_is_an_input_error(remote: Remote) -> None:
    before = remote.log_size()
    with refusing_base() as down:
        code, output = remote.run(
            "certificate",
            "enrol",
            COMMUNE_OFFICER,
            str(remote.chain_file()),
            "--key",
            str(remote.authority),
            server=down,
        )
    assert code == 2, output
    assert down in output
    assert remote.log_size() == before


def test_a_refusal_of_the_ledger_through_the_server_exits_1(remote: Remote) -> None:
    assert remote.enrol()[0] == 0
    before = remote.log_size()
    code, output = remote.enrol()  # the same key again
    assert code == 1, output
    assert remote.log_size() == before


def test_revocation_add_through_the_server(remote: Remote) -> None:
    assert remote.enrol()[0] == 0
    made = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    path = remote.directory / "ca.crl"
    path.write_bytes(crl_of(remote.hierarchy.ca, [], this_update=made))
    code, output = remote.run(
        "revocation", "add", str(path), "--format", "crl", "--key", str(remote.authority)
    )
    assert code == 0, output
    assert f"Recorded: revocation.recorded {key_id_of(remote.hierarchy.ca.der)} seq 1" in output


def test_fetch_through_the_server_records_a_revoked_answer_and_the_key_stops(
    remote: Remote, listener: socket.socket
) -> None:
    assert remote.enrol()[0] == 0
    remote.clock.advance(60)
    receive(remote, 502)
    revoked = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    made = revoked - timedelta(hours=1)
    point = Publisher(remote.hierarchy.ca)
    point.files["/ca.crl"] = crl_of(remote.hierarchy.ca, [], this_update=made)
    point.files["/root.crl"] = crl_of(remote.hierarchy.root, [], this_update=made)
    point.knows(remote.leaf)
    point.statuses[remote.leaf.certificate.serial_number] = Status(revoked)
    with running(point, listener):
        code, output = remote.run("revocation", "fetch", remote.key, "--key", str(remote.authority))
    assert code == 0, output
    assert output.count("Recorded: revocation.recorded") == 3
    assert "REVOKED from" in output
    remote.clock.advance(60)
    before = remote.log_size()
    with pytest.raises(ApiProblem) as refused:
        receive(remote, 503)
    assert refused.value.code == "certificate-revoked"
    assert remote.log_size() == before


def test_fetch_through_the_server_records_nothing_when_an_address_is_down(remote: Remote) -> None:
    assert remote.enrol()[0] == 0
    before = remote.log_size()
    code, output = remote.run("revocation", "fetch", remote.key, "--key", str(remote.authority))
    assert code == 1, output
    assert f"could not reach {remote.base}/ca.crl" in output
    assert remote.log_size() == before
