"""Timestamps of certificate statements end to end: an officer signing with an official-duty
certificate records a dossier while the time-stamping authority (a local TSA on 127.0.0.1,
tests/tsa.py) is down, refuses, or answers garbage; the recording stands with no token; then
`catch_up` (and `lienthong timestamps catch-up`) fetches one for each certificate statement and
for nothing else. Runs on memory, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from api.cli import timestamps
from api.cli.main import configure
from ledger.statements.authoring import Signer, register_certificate_key
from ledger.statements.signing import CertificateSigningKey, statement_hash
from ledger.stores.timestamps import TimestampStore
from ledger.timestamping import (
    TimestampClient,
    catch_up,
    certificate_entries,
    stamp_recorded,
    verify_token,
)
from tests.pki import Hierarchy
from tests.tsa import GEN_TIME, LocalTSA, refusing_url, running
from tests.world import CODE, DAY, World, document

COMMUNE = "29266"
COMMUNE_NAME = "Thị trấn Càng Long"
DISTRICT = "844"


@pytest.fixture
def hierarchy() -> Hierarchy:
    return Hierarchy.build()


@pytest.fixture
def tsa(hierarchy: Hierarchy) -> Iterator[LocalTSA]:
    with running(LocalTSA.of(hierarchy)) as served:
        yield served


@pytest.fixture
def world(database_url: str, tmp_path: Path, hierarchy: Hierarchy) -> World:
    anchors = hierarchy.anchors(tmp_path / "anchors")
    return World.build(database_url, trust_anchors=str(anchors))


def certificate_officer(world: World, hierarchy: Hierarchy) -> Signer:
    """cb-cert of the commune, enrolled with an official-duty certificate (ECDSA P-256)."""
    issued = hierarchy.issue("cb-cert", office=COMMUNE_NAME)
    world.authority.record(
        "officer.enrolled",
        "cb-cert",
        {"office": COMMUNE, "title": "Công chức một cửa", "effective": world.clock.now()},
    )
    register_certificate_key(world.authority, "cb-cert", hierarchy.chain(issued))
    return Signer(world.ledger, CertificateSigningKey(issued.private), "cb-cert", COMMUNE)


def receive(world: World, signer: Signer, code: str = CODE) -> tuple[bytes, bytes]:
    """Record a dossier received by `signer`: its (statement hash, signature)."""
    receipt = signer.record(
        "dossier.received",
        code,
        {
            "procedure": "merit-education-preference",
            "version": 1,
            "applicant": bytes(32),
            "channel": "direct",
            "documents": [document("Đơn đề nghị")],
            "appointed": world.clock.now() + 20 * DAY,
        },
    )
    return receipt.digest, world.ledger.received(code).signature


def test_certificate_entries_are_the_statements_signed_with_certificate_keys(
    world: World, hierarchy: Hierarchy
) -> None:
    signer = certificate_officer(world, hierarchy)
    received = receive(world, signer)
    world.officers[COMMUNE] = signer
    dispatched = world.dispatch(COMMUNE, DISTRICT)
    world.acknowledge(DISTRICT, dispatched)  # with the district officer's Ed25519 key
    dispatch = world.ledger.history("dossier", CODE)[1]
    assert list(certificate_entries(world.ledger)) == [
        received,
        (statement_hash(dispatch.raw), dispatch.signature),
    ]


@pytest.mark.parametrize("failure", ["down", "reject", "garbage"])
def test_a_certificate_statement_recorded_while_the_tsa_fails_is_stamped_by_the_catch_up(
    world: World, hierarchy: Hierarchy, tsa: LocalTSA, failure: str, database_url: str
) -> None:
    signer = certificate_officer(world, hierarchy)
    digest, signature = receive(world, signer)
    store = TimestampStore(database_url)
    try:
        now = world.clock.now()
        if failure == "down":
            with refusing_url() as url, TimestampClient(url, 5.0, tsa.roots) as client:
                failed = stamp_recorded(store, client, [(digest, signature)], now=now)
        else:
            tsa.mode = failure
            with TimestampClient(tsa.url, 5.0, tsa.roots) as client:
                failed = stamp_recorded(store, client, [(digest, signature)], now=now)
        assert [d for d, _ in failed.failed] == [digest]
        assert store.get(digest) is None
        assert world.ledger.received(CODE).signature == signature  # the recording stands

        tsa.mode = "grant"
        asked = tsa.requests
        world.later()
        with TimestampClient(tsa.url, 5.0, tsa.roots) as client:
            caught = catch_up(world.ledger, store, client, now=world.clock.now())
            again = catch_up(world.ledger, store, client, now=world.clock.now())
        assert (caught.stamped, caught.had, caught.failed) == (1, 0, ())
        assert (again.stamped, again.had, again.failed) == (0, 1, ())
        assert tsa.requests == asked + 1  # one statement to stamp, and only once
        kept = store.get(digest)
        assert kept is not None
        assert kept.recorded_at == world.clock.now()
        assert verify_token(kept.token, signature, tsa.roots) == GEN_TIME
    finally:
        store.close()


# --- lienthong timestamps catch-up --------------------------------------------------------------

runner = CliRunner()


def cli() -> typer.Typer:
    """The command line's options and the timestamps commands (api/cli/main.py registers them
    with the rest)."""
    app = typer.Typer()
    app.callback()(configure)
    timestamps.register(app)
    return app


def run(url: str, *args: str, env: dict[str, str] | None = None) -> Result:
    return runner.invoke(cli(), ["--database-url", url, "--lang", "en", *args], env=env)


@pytest.fixture
def recorded(tmp_path: Path, hierarchy: Hierarchy) -> tuple[str, bytes, bytes]:
    """A SQLite ledger holding one certificate statement: (URL, its hash, its signature)."""
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    world = World.build(url, trust_anchors=str(hierarchy.anchors(tmp_path / "anchors")))
    try:
        digest, signature = receive(world, certificate_officer(world, hierarchy))
    finally:
        world.ledger.close()
    return url, digest, signature


def test_the_command_stamps_what_has_no_token_and_says_so(
    recorded: tuple[str, bytes, bytes], tsa: LocalTSA, tmp_path: Path
) -> None:
    url, digest, signature = recorded
    env = {"LIENTHONG_TSA_URL": tsa.url, "LIENTHONG_TSA_ROOTS": str(tsa.roots_file(tmp_path))}
    tsa.mode = "reject"
    result = run(url, "timestamps", "catch-up", env=env)
    assert result.exit_code == 1, result.output
    assert "0 statements stamped now, 0 already had one, 1 still without one" in result.stdout
    assert digest.hex() in result.stdout
    assert "timestamp-unavailable" in result.stdout

    tsa.mode = "grant"
    result = run(url, "timestamps", "catch-up", env=env)
    assert result.exit_code == 0, result.output
    assert "1 statements stamped now, 0 already had one, 0 still without one" in result.stdout
    store = TimestampStore(url)
    try:
        kept = store.get(digest)
    finally:
        store.close()
    assert kept is not None
    assert verify_token(kept.token, signature, tsa.roots) == GEN_TIME

    result = run(url, "timestamps", "catch-up", env=env)
    assert result.exit_code == 0, result.output
    assert "0 statements stamped now, 1 already had one" in result.stdout


def test_the_command_needs_an_authority_and_its_roots(
    recorded: tuple[str, bytes, bytes], tsa: LocalTSA, tmp_path: Path
) -> None:
    url = recorded[0]
    result = run(url, "timestamps", "catch-up", env={"LIENTHONG_TSA_URL": ""})
    assert result.exit_code == 2
    assert "set LIENTHONG_TSA_URL and LIENTHONG_TSA_ROOTS" in result.output

    result = run(url, "timestamps", "catch-up", env={"LIENTHONG_TSA_URL": tsa.url})
    assert result.exit_code == 2
    assert "LIENTHONG_TSA_ROOTS must name" in result.output

    missing = str(tmp_path / "missing.pem")
    env = {"LIENTHONG_TSA_URL": tsa.url, "LIENTHONG_TSA_ROOTS": missing}
    result = run(url, "timestamps", "catch-up", env=env)
    assert result.exit_code == 2
    assert "root certificates (LIENTHONG_TSA_ROOTS)" in result.output
    assert tsa.requests == 0
