"""What the server holds for RFC 3161 timestamps (api/http/services.py): the tokens kept in the
database are read whenever a TSA or its roots are configured — on a read-only replica, or with the
TSA switched off, as much as on a primary that stamps; the TSA's roots are read at start, so a bad
path stops the server before it serves; the stamper is stopped when the server closes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from api.http.services import Services
from api.settings import Settings
from ledger.stores.timestamps import TimestampStore
from tests.apiworld import Api, settings_for
from tests.pki import Hierarchy
from tests.test_replica import primary, reader, replica_settings  # noqa: F401 — fixtures
from tests.tsa import LocalTSA, running

DIGEST = hashlib.sha256(b"a certificate statement").digest()
TOKEN = b"\x30\x03a token as kept"  # the store keeps bytes; the checks are the verifier's


@pytest.fixture
def tsa() -> Iterator[LocalTSA]:
    with running(LocalTSA.of(Hierarchy.build())) as served:
        yield served


def with_tsa(settings: Settings, *, url: str = "", roots: str = "") -> Settings:
    return replace(settings, ledger=replace(settings.ledger, tsa_url=url, tsa_roots=roots))


def keep_token(url: str) -> None:
    store = TimestampStore(url)
    try:
        store.put(DIGEST, TOKEN, gen_time=1, recorded_at=2)
    finally:
        store.close()


def test_tokens_in_the_database_are_read_with_the_tsa_switched_off(
    tmp_path: Path, tsa: LocalTSA
) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    keep_token(url)
    roots = str(tsa.roots_file(tmp_path / "tsa"))
    services = Services(with_tsa(settings_for(url, tmp_path), roots=roots))  # no TSA URL
    try:
        assert services.stamper is None
        assert services.timestamp_tokens([DIGEST, bytes(32)]) == {DIGEST: TOKEN}
        assert services.token_checker() is not None
    finally:
        services.close()
    bare = Services(settings_for(url, tmp_path))  # no TSA, no roots: no tokens are read
    try:
        assert bare.timestamp_tokens([DIGEST]) == {}
        assert bare.token_checker() is None
    finally:
        bare.close()


@pytest.mark.postgres
def test_a_read_only_replica_reads_the_tokens_the_primary_kept(
    primary: Api,  # noqa: F811
    reader: str,  # noqa: F811
    postgres_url: str,
    tmp_path: Path,
    tsa: LocalTSA,
) -> None:
    keep_token(postgres_url)  # as the primary's stamper keeps them
    settings = with_tsa(
        replica_settings(reader, tmp_path / "replica"),
        url=tsa.url,
        roots=str(tsa.roots_file(tmp_path / "tsa")),
    )
    services = Services(settings, primary.clock)
    try:
        assert services.read_only
        assert services.stamper is None  # a replica asks the TSA for nothing
        assert services.timestamp_tokens([DIGEST]) == {DIGEST: TOKEN}
    finally:
        services.close()


def test_unreadable_tsa_roots_stop_the_server_at_start(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    missing = tmp_path / "no-such-roots.pem"
    with pytest.raises(ValueError, match=r"no-such-roots\.pem"):
        Services(with_tsa(settings_for(url, tmp_path), roots=str(missing)))
    garbage = tmp_path / "garbage.pem"
    garbage.write_bytes(b"not a certificate")
    with pytest.raises(ValueError, match=r"garbage\.pem"):
        Services(with_tsa(settings_for(url, tmp_path), roots=str(garbage)))


def test_closing_the_services_stops_the_stamper(tmp_path: Path, tsa: LocalTSA) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    settings = with_tsa(
        settings_for(url, tmp_path), url=tsa.url, roots=str(tsa.roots_file(tmp_path / "tsa"))
    )
    services = Services(settings)
    stamper = services.stamper
    assert stamper is not None
    services.start()
    try:
        assert stamper.running
    finally:
        services.close()
    assert stamper.stopping.is_set()
    assert not stamper.running
    with pytest.raises(RuntimeError):  # its HTTP client is closed
        stamper.client.stamp(bytes(64))
