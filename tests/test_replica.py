"""A read-only server on a replica: it creates nothing, records nothing, needs no log key, and reads
what the primary wrote.

A hot standby refuses every write. Here the "replica" is the primary's own schema reached through
a role whose transactions are read-only (`default_transaction_read_only`) and which may only
SELECT: any write the server attempted, at start or on a request, would fail the test the way it
fails on a standby. The parts that need no PostgreSQL (settings, the read-only projector, the
command line) are tested on SQLite."""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli.main import app as cli
from api.http.app import create_app
from api.settings import Settings, SettingsError
from ledger.config import LedgerSettings
from ledger.errors import ReadOnly, ViewsNotReady
from ledger.simulation.demo import demo_log_key
from ledger.statements.signing import Envelope
from ledger.views.projector import Projector
from tests.apiworld import (
    APPLICANT,
    COMMUNE,
    COMMUNE_OFFICER,
    DATA_KEY,
    DOCUMENT,
    PROVINCE,
    RECEIVED_BODY,
    Api,
    assert_problem,
    demo_code,
    open_api,
    settings_for,
)
from tests.conftest import POSTGRES_URL
from tests.websession import SAME_SITE, csrf_meta, sign_in
from tests.world import World

HOUR = 3600  # seconds, as SimulatedClock.advance takes them
SENT, LATER, NEVER = (demo_code(900 + n) for n in (1, 2, 3))


def as_role(url: str, role: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{role}@{parts.hostname}:{parts.port or 5432}"))


@pytest.fixture
def reader(postgres_url: str) -> Iterator[str]:
    """The URL of `postgres_url`'s schema as seen by a role that may only read, in read-only
    transactions: what a server on a hot standby gets."""
    role = f"replica_{uuid.uuid4().hex[:10]}"
    schema = postgres_url.rsplit("schema=", 1)[1]
    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        connection.execute(f'CREATE ROLE "{role}" LOGIN')
        connection.execute(f'ALTER ROLE "{role}" SET default_transaction_read_only = on')
        connection.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"')
        connection.execute(
            f'ALTER DEFAULT PRIVILEGES IN SCHEMA "{schema}" GRANT SELECT ON TABLES TO "{role}"'
        )
    try:
        yield as_role(postgres_url, role)
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
            connection.execute(f'DROP OWNED BY "{role}"')
            connection.execute(f'DROP ROLE "{role}"')


def replica_settings(url: str, directory: Path) -> Settings:
    directory.mkdir(exist_ok=True)
    data_key = directory / "data.key"
    if not data_key.exists():
        DATA_KEY.save(data_key)
    # no log key: a replica issues no checkpoints
    return Settings(
        ledger=LedgerSettings(database_url=url), data_key_file=str(data_key), read_only=True
    )


@pytest.fixture
def primary(postgres_url: str, reader: str, tmp_path: Path) -> Iterator[Api]:
    (tmp_path / "primary").mkdir()
    with open_api(postgres_url, tmp_path / "primary") as api:
        officer, key = api.client("officer"), api.key(COMMUNE_OFFICER)
        officer.record(key, "dossier.received", SENT, RECEIVED_BODY, applicant=APPLICANT)
        api.clock.advance(HOUR)
        officer.record(
            key,
            "handover.dispatched",
            SENT,
            {"to": PROVINCE, "purpose": "process", "documents": [DOCUMENT]},
        )
        api.services.views()  # the primary's projector keeps the views the replica reads
        api.services.ledger.issue_checkpoint(demo_log_key())
        yield api


@pytest.fixture
def replica(primary: Api, reader: str, tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(replica_settings(reader, tmp_path / "replica"), clock=primary.clock)
    with TestClient(app) as http:
        yield http


READS = [
    f"/v1/dossiers/{SENT}",
    f"/v1/dossiers/{SENT}/history",
    f"/v1/dossiers/{SENT}/slip",
    "/v1/stalls",
    f"/v1/offices/{PROVINCE}/inbox",
    "/v1/registry/offices",
    "/v1/log/checkpoint",
    "/v1/log/proofs/inclusion?index=3",
    "/v1/events?limit=50",
]


@pytest.mark.postgres
def test_a_read_only_server_reads_what_the_primary_wrote(primary: Api, replica: TestClient) -> None:
    headers = primary.headers("registrar")
    for path in READS:
        mine = replica.get(path, headers=headers)
        theirs = primary.http.get(path, headers=headers)
        assert mine.status_code == 200, (path, mine.text)
        assert (mine.headers["content-type"], mine.content) == (
            theirs.headers["content-type"],
            theirs.content,
        ), path
    assert replica.get("/healthz").json() == {"status": "ok", "mode": "read-only"}
    assert primary.http.get("/healthz").json() == {"status": "ok", "mode": "read-write"}


@pytest.mark.postgres
def test_a_read_only_server_sees_new_writes_once_the_primarys_views_have_them(
    primary: Api, replica: TestClient
) -> None:
    primary.clock.advance(HOUR)
    primary.client("officer").record(
        primary.key(COMMUNE_OFFICER),
        "dossier.received",
        LATER,
        RECEIVED_BODY,
        applicant=APPLICANT,
    )
    primary.services.views()
    location = replica.get(f"/v1/dossiers/{LATER}", headers=primary.headers("consumer"))
    assert location.status_code == 200, location.text
    assert location.json()["custodian"] == COMMUNE


@pytest.mark.postgres
def test_a_read_only_server_refuses_every_write_and_changes_nothing(
    primary: Api, replica: TestClient
) -> None:
    officer = primary.headers("officer")
    size = primary.services.ledger.log_size()
    key = primary.key(COMMUNE_OFFICER)
    raw = primary.client("officer").prepare(
        key,
        "handover.dispatched",
        SENT,
        {"to": COMMUNE, "purpose": "return", "documents": [DOCUMENT]},
    )
    envelope = Envelope(raw, key.sign(raw))
    submitted = replica.post(
        "/v1/statements",
        json={
            "statement": base64.b64encode(envelope.statement).decode(),
            "signature": base64.b64encode(envelope.signature).decode(),
        },
        headers=officer,
    )
    problem = assert_problem(submitted, 503, "read-only")
    assert "primary" in problem["detail"]
    prepared = replica.post(
        "/v1/statements/prepare",
        json={
            "kind": "dossier.received",
            "subject": NEVER,
            "office": COMMUNE,
            "officer": COMMUNE_OFFICER,
            "key": key.key_id,
            "body": {**RECEIVED_BODY, "documents": []},
            "applicant": APPLICANT,
        },
        headers=officer,
    )
    assert_problem(prepared, 503, "read-only")
    erased = replica.delete(f"/v1/dossiers/{SENT}/applicant", headers=primary.headers("registrar"))
    assert_problem(erased, 503, "read-only")
    uploaded = replica.put(
        f"/v1/dossiers/{SENT}/files/{DOCUMENT['sha256'].hex()}", content=b"scan", headers=officer
    )
    assert_problem(uploaded, 503, "read-only")
    assert primary.services.ledger.log_size() == size
    applicant = primary.http.get(
        f"/v1/dossiers/{SENT}/applicant", headers=primary.headers("registrar")
    )
    assert applicant.status_code == 200, applicant.text


def signed_in(http: TestClient, api: Api, role: str) -> TestClient:
    """`http` with the web session cookie of `role`'s token, signed in on the primary: a session
    is a row a replica cannot write (a proxy sends every POST to the primary), which it reads."""
    browser = TestClient(api.http.app)  # a browser of its own, on the primary
    response = sign_in(browser, api.tokens[role], "/can-bo", follow_redirects=False)
    assert response.status_code == 303, response.text
    for cookie in browser.cookies.jar:  # its session cookie, for this server too
        http.cookies.jar.set_cookie(cookie)
    return http


SUBMITS = re.compile(r"<button type=\"(?:submit|button)\"[^>]*>")


@pytest.mark.postgres
def test_a_read_only_servers_pages_say_so_and_show_the_forms_that_would_record_disabled(
    primary: Api, replica: TestClient
) -> None:
    pages = ["/can-bo", "/can-bo/tiep-nhan", "/can-bo/khoa"]
    for http, copy in (
        (signed_in(replica, primary, "province_officer"), True),
        (signed_in(primary.http, primary, "province_officer"), False),
    ):
        for path in pages:
            page = http.get(path)
            assert page.status_code == 200, (path, page.text)
            # a setting kept in this browser (the signing agent's port, data-local) records nothing
            buttons = [
                b
                for b in SUBMITS.findall(page.text)
                if 'class="link"' not in b and "data-local" not in b
            ]
            assert buttons, path  # every page here has a form that records
            assert all(("disabled" in b) is copy for b in buttons), (path, buttons)
            assert ('id="read-only"' in page.text) is copy, path
        inbox = http.get("/can-bo").text
        assert SENT in inbox  # the handover waiting at the province, on both servers
    notice = replica.get("/can-bo?lang=en").text
    assert "read-only copy" in notice
    assert "Use the main server" in notice
    script = {**SAME_SITE, "X-CSRF-Token": csrf_meta(notice)}  # what the page's scripts send
    prepared = replica.post(
        "/can-bo/ky/chuan-bi",
        json={"kind": "handover.acknowledged", "subject": SENT, "key": "00" * 16, "body": {}},
        headers=script,
    )
    assert_problem(prepared, 503, "read-only")
    enrolled = replica.post("/can-bo/khoa", json={"public_key": "11" * 32}, headers=script)
    assert_problem(enrolled, 503, "read-only")


@pytest.mark.postgres
def test_a_read_only_server_on_a_database_without_views_says_so(
    reader: str, tmp_path: Path
) -> None:
    app = create_app(replica_settings(reader, tmp_path))
    with pytest.raises(ViewsNotReady, match="start a writable server"), TestClient(app):
        pass


@pytest.mark.postgres
def test_a_writable_server_on_a_database_that_refuses_writes_says_to_serve_it_read_only(
    primary: Api, reader: str, tmp_path: Path
) -> None:
    (tmp_path / "writable").mkdir()
    settings = settings_for(reader, tmp_path / "writable")
    with pytest.raises(ReadOnly, match="--read-only"), TestClient(create_app(settings)):
        pass


# --- without PostgreSQL --------------------------------------------------------------------------


def test_the_read_only_setting_is_read_and_checked() -> None:
    base = {"LIENTHONG_DATA_KEY": "data.key"}
    assert Settings.from_env({**base, "LIENTHONG_READ_ONLY": "1"}).read_only
    assert not Settings.from_env({**base, "LIENTHONG_LOG_KEY": "log.key"}).read_only
    with pytest.raises(SettingsError, match="LIENTHONG_READ_ONLY must be 1 or 0"):
        Settings.from_env({**base, "LIENTHONG_READ_ONLY": "sometimes"})
    with pytest.raises(SettingsError, match="LIENTHONG_LOG_KEY"):
        Settings.from_env({**base, "LIENTHONG_READ_ONLY": "0"})


def test_a_read_only_projector_applies_nothing_and_refuses_to_rebuild(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    world = World.build(url)
    try:
        Projector(world.ledger).catch_up()
        world.receive()
        reader = Projector(world.ledger, read_only=True)
        assert reader.catch_up() == 0
        assert reader.location("000.00.01.H59-250303-0001") is None  # not applied by the reader
        with pytest.raises(ReadOnly, match="rebuilt on the primary"):
            reader.rebuild()
        reader.close()
    finally:
        world.ledger.close()


def test_a_read_only_projector_refuses_views_of_another_layout(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    world = World.build(url)
    try:
        with pytest.raises(ViewsNotReady, match="no read models yet"):
            Projector(world.ledger, read_only=True)
        projector = Projector(world.ledger)
        with projector.view.transaction() as cursor:
            cursor.execute("UPDATE lienthong_views_layout SET layout = 1")
        projector.close()
        with pytest.raises(ViewsNotReady, match="layout 1"):
            Projector(world.ledger, read_only=True)
    finally:
        world.ledger.close()


def test_serve_refuses_demo_and_read_only_together() -> None:
    result = CliRunner().invoke(cli, ["serve", "--demo", "--read-only"])
    assert result.exit_code == 2
    assert "--read-only" in result.output
