"""RFC 3161 timestamps on the server's write path and in bundles: the writer hands what it recorded
to the stamper, which asks the local TSA (a real HTTP server on loopback) for a token over each
certificate statement's signature, off the request path; the bundle carries the tokens, and
`verify_bundle` checks each against the TSA's roots — or says it could not."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from api.http.stamper import Stamper
from api.http.writer import Writer
from ledger.log.bundle import Bundle, Timestamp, export, verify_bundle
from ledger.log.tlog import LogKey
from ledger.statements.authoring import Signer
from ledger.stores.timestamps import TimestampStore
from ledger.timestamping import TimestampClient, load_roots, verify_token
from tests.pki import Hierarchy
from tests.test_timestamps_catch_up import certificate_officer
from tests.tsa import GEN_TIME, LocalTSA, running
from tests.world import CODE, DAY, World, document

LOG_KEY = LogKey.from_seed("test.lienthong.example/log", hashlib.sha256(b"test-log-key").digest())


@pytest.fixture
def hierarchy() -> Hierarchy:
    return Hierarchy.build()


@pytest.fixture
def tsa(hierarchy: Hierarchy) -> Iterator[LocalTSA]:
    with running(LocalTSA.of(hierarchy)) as served:
        yield served


@pytest.fixture
def stamped(
    database_url: str, tmp_path: Path, hierarchy: Hierarchy, tsa: LocalTSA
) -> Iterator[tuple[World, Stamper, Path]]:
    """A world whose commune officer signs with a certificate, its statements recorded through
    the server's writer with a stamper asking the local TSA."""
    roots = tsa.roots_file(tmp_path / "tsa")
    world = World.build(
        database_url,
        trust_anchors=str(hierarchy.anchors(tmp_path / "anchors")),
        tsa_url=tsa.url,
        tsa_roots=str(roots),
    )
    stamper = Stamper(
        world.ledger,
        TimestampStore(database_url),
        TimestampClient(tsa.url, roots=load_roots(roots)),
    )
    writer = Writer(world.ledger, on_recorded=stamper.offer)
    stamper.start()
    writer.start()
    signer = certificate_officer(world, hierarchy)
    for raw, signature in (
        _signed(world, signer),
        _signed(world, world.at("844"), code="000.00.11.H59-250303-0001"),
    ):
        writer.submit(raw, signature).result(timeout=30)
    writer.stop()  # nothing more is offered
    assert stamper.drain(30)  # everything offered has been handled
    world.ledger.issue_checkpoint(LOG_KEY)
    try:
        yield world, stamper, roots
    finally:
        stamper.stop()


def _signed(world: World, signer: Signer, code: str = CODE) -> tuple[bytes, bytes]:
    envelope = signer.envelope(
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
    return envelope.statement, envelope.signature


def tokens(stamper: Stamper) -> Callable[[list[bytes]], dict[bytes, bytes]]:
    def lookup(digests: list[bytes]) -> dict[bytes, bytes]:
        return {d: kept.token for d, kept in stamper.store.get_many(digests).items()}

    return lookup


def test_the_writer_has_each_certificate_statement_stamped_and_only_those(
    stamped: tuple[World, Stamper, Path], tsa: LocalTSA
) -> None:
    world, stamper, _roots = stamped
    assert stamper.stamped == 1
    assert stamper.handled == 1  # the Ed25519 statement of the district was not offered
    assert tsa.requests == 1  # nor sent
    kept = stamper.store.get(hashlib.sha256(world.ledger.received(CODE).raw).digest())
    assert kept is not None
    assert verify_token(kept.token, world.ledger.received(CODE).signature, tsa.roots) == GEN_TIME


def test_the_bundle_carries_the_token_and_verify_checks_it(
    stamped: tuple[World, Stamper, Path], tmp_path: Path, hierarchy: Hierarchy
) -> None:
    world, stamper, roots = stamped
    bundle = export(world.ledger, CODE, timestamps=tokens(stamper))
    assert len(bundle.timestamps) == 1
    anchors = str(tmp_path / "anchors")
    checker = _checker(roots)
    report = verify_bundle(bundle.encode(), LOG_KEY.verifier, anchors=anchors, check_token=checker)
    assert report.ok, report.problems
    assert [moment for _index, moment in report.timestamps] == [GEN_TIME]
    unchecked = verify_bundle(bundle.encode(), LOG_KEY.verifier, anchors=anchors)
    assert unchecked.ok
    assert unchecked.unchecked_timestamps == 1


def test_a_token_moved_onto_another_entry_or_naming_none_is_refused(
    stamped: tuple[World, Stamper, Path], tmp_path: Path
) -> None:
    world, stamper, roots = stamped
    bundle = export(world.ledger, CODE, timestamps=tokens(stamper))
    [kept] = bundle.timestamps
    other = next(
        hashlib.sha256(e.statement).digest()
        for e in bundle.entries
        if hashlib.sha256(e.statement).digest() != kept.statement
    )
    anchors = str(tmp_path / "anchors")
    for forged, expected in (
        ((Timestamp(other, kept.token),), "timestamp does not hold"),
        ((Timestamp(bytes(32), kept.token),), "not in the bundle"),
    ):
        bundle_forged = replace(bundle, timestamps=forged)
        assert isinstance(bundle_forged, Bundle)
        report = verify_bundle(
            bundle_forged.encode(), LOG_KEY.verifier, anchors=anchors, check_token=_checker(roots)
        )
        assert not report.ok
        assert any(expected in problem for problem in report.problems), report.problems


def _checker(roots: Path) -> Callable[[bytes, bytes], datetime]:
    loaded = load_roots(roots)
    return lambda token, signature: verify_token(token, signature, loaded)
