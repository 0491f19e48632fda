"""The server's stamper (api/http/stamper.py) when the TSA does not answer: stopping finishes, or
gives up on, the one statement being asked about and drops the backlog (logged, for the
catch-up) instead of asking the TSA about each; a full backlog drops what the writer offers
instead of blocking it. The TSA here is a real HTTP server on loopback that holds each request
until the test lets it go."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from api.http.stamper import Stamper
from ledger.statements.authoring import Signer
from ledger.stores.timestamps import TimestampStore
from ledger.timestamping import TimestampClient
from tests.pki import Hierarchy
from tests.test_timestamps_catch_up import certificate_officer
from tests.world import DAY, World, document

WAIT = 30.0  # an upper bound for what happens at once; no test waits it out


@dataclass
class HeldTSA:
    """Answers HTTP 500 to each request, but only once `release` is set."""

    url: str = ""
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    requests: int = 0


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        held = self.server.held
        held.requests += 1
        held.arrived.set()
        held.release.wait(WAIT)
        self.send_response(500)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, held: HeldTSA) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.held = held


@pytest.fixture
def held() -> Iterator[HeldTSA]:
    tsa = HeldTSA()
    server = _Server(tsa)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    tsa.url = f"http://127.0.0.1:{server.server_address[1]}/tsa"
    try:
        yield tsa
    finally:
        tsa.release.set()
        server.shutdown()
        thread.join()


HIERARCHY = Hierarchy.build()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[World, Signer]]:
    built = World.build(trust_anchors=str(HIERARCHY.anchors(tmp_path / "anchors")))
    try:
        yield built, certificate_officer(built, HIERARCHY)
    finally:
        built.ledger.close()


def signed(world: World, signer: Signer, count: int) -> list[tuple[bytes, bytes]]:
    """`count` certificate statements, as the writer hands them over once recorded."""
    made = []
    for number in range(count):
        envelope = signer.envelope(
            "dossier.received",
            f"000.00.11.H59-250303-{number + 1:04d}",
            {
                "procedure": "merit-education-preference",
                "version": 1,
                "applicant": bytes(32),
                "channel": "direct",
                "documents": [document("Đơn đề nghị")],
                "appointed": world.clock.now() + 20 * DAY,
            },
        )
        made.append((envelope.statement, envelope.signature))
    return made


def stamper_of(world: World, url: str, **kwargs: Any) -> Stamper:
    return Stamper(
        world.ledger,
        TimestampStore("memory:"),
        TimestampClient(url, WAIT, [HIERARCHY.root.certificate]),
        **kwargs,
    )


def test_stopping_drops_the_backlog_instead_of_asking_for_each(
    held: HeldTSA, world: tuple[World, Signer], caplog: pytest.LogCaptureFixture
) -> None:
    built, signer = world
    stamper = stamper_of(built, held.url, stop_seconds=WAIT)
    stamper.start()
    stamper.offer(signed(built, signer, 5))
    assert held.arrived.wait(WAIT)  # the first statement is being asked about
    stopping = threading.Thread(target=stamper.stop)
    stopping.start()
    assert stamper.stopping.wait(WAIT)
    held.release.set()  # the TSA answers (an error) to the one statement asked about
    stopping.join(WAIT)
    assert not stopping.is_alive()
    assert held.requests == 1  # the other four were never sent
    assert (stamper.handled, stamper.dropped) == (1, 4)
    assert stamper.drain(0)
    assert "4 statements dropped" in caplog.text
    assert "timestamps catch-up" in caplog.text


def test_stopping_gives_up_on_a_tsa_that_does_not_answer(
    held: HeldTSA, world: tuple[World, Signer], caplog: pytest.LogCaptureFixture
) -> None:
    built, signer = world
    stamper = stamper_of(built, held.url, stop_seconds=0.2)
    stamper.start()
    stamper.offer(signed(built, signer, 3))
    assert held.arrived.wait(WAIT)
    stamper.stop()  # returns although the TSA still holds the request
    assert not held.release.is_set()
    assert "has not answered" in caplog.text
    held.release.set()
    assert stamper.drain(WAIT)  # the thread ends on its own, dropping the rest
    assert held.requests == 1
    assert (stamper.handled, stamper.dropped) == (1, 2)


def test_a_full_backlog_drops_what_is_offered_without_blocking_the_writer(
    held: HeldTSA, world: tuple[World, Signer], caplog: pytest.LogCaptureFixture
) -> None:
    built, signer = world
    stamper = stamper_of(built, held.url, max_pending=2)  # not started: nothing is taken off
    stamper.offer(signed(built, signer, 5))  # would block forever on a bounded put
    assert stamper.dropped == 3
    assert "3 statements dropped (2 statements wait already)" in caplog.text
    stamper.stop()
    assert stamper.dropped == 5
    assert held.requests == 0
    assert stamper.drain(0)


def test_what_is_offered_while_stopping_is_dropped(
    held: HeldTSA, world: tuple[World, Signer]
) -> None:
    built, signer = world
    stamper = stamper_of(built, held.url)
    stamper.start()
    stamper.stop()
    stamper.offer(signed(built, signer, 2))
    assert stamper.dropped == 2
    assert held.requests == 0
