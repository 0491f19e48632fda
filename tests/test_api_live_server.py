"""The edge's refusals against a real uvicorn server, on raw sockets: what a client sees on the wire.

An out-of-range instant had been a 500, after which the server dropped the keep-alive connection
(Starlette re-raises a fault once it has answered it); it is a 422 now, and the same connection
carries the next request. A chunked body that passes its cap is answered 413 and the connection
closed, without the server reading the rest."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import uvicorn

from api.http.app import create_app
from ledger.clock import SimulatedClock
from ledger.simulation.demo import DEMO_START, run_demo
from tests.apiworld import settings_for


class _Server(uvicorn.Server):
    """uvicorn in a thread, saying when it listens (no polling, no sleeps)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.listening = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self.listening.set()


@dataclass
class Live:
    port: int
    token: str

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=30)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    directory = tmp_path_factory.mktemp("live")
    clock = SimulatedClock(DEMO_START)
    app = create_app(settings_for(f"sqlite:///{directory / 'ledger.db'}", directory), clock=clock)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_level="warning", timeout_keep_alive=30)
    server = _Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[listener])))
    thread.start()
    try:
        assert server.listening.wait(60), "the server did not start"
        services = app.state.services
        run_demo(services.ledger, clock)
        _record, token = services.tokens.create(
            "inspector", office="86", now=clock.now(), valid_seconds=86400
        )
        yield Live(listener.getsockname()[1], token)
    finally:
        server.should_exit = True
        thread.join(60)
        listener.close()


def request(connection: socket.socket, head: str, body: bytes = b"") -> None:
    connection.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + body)


def response(connection: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 response with a Content-Length, read off the connection."""
    reader = connection.makefile("rb")
    status = int(reader.readline().split()[1])
    headers: dict[str, str] = {}
    while (line := reader.readline().decode().strip()) != "":
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    body = reader.read(int(headers.get("content-length", "0")))
    return status, headers, body


def closed(connection: socket.socket) -> bool:
    """Whether the server closed the connection (a reset too: it left body bytes unread)."""
    try:
        return connection.recv(1) == b""
    except ConnectionResetError:
        return True


def get(path: str, token: str) -> str:
    return f"GET {path} HTTP/1.1\nHost: test\nAuthorization: Bearer {token}\n"


def test_an_out_of_range_instant_is_a_422_and_the_connection_carries_on(live: Live) -> None:
    with live.connect() as connection:
        request(connection, get("/v1/stalls?as_of=9223372036854775807", live.token))
        status, headers, body = response(connection)
        assert status == 422, body
        assert headers["content-type"] == "application/problem+json"
        problem: dict[str, Any] = json.loads(body)
        assert problem["code"] == "bad-request"
        assert "as_of" in problem["detail"]
        assert "close" not in headers.get("connection", "")

        request(connection, get("/healthz", live.token))  # the same connection, kept alive
        status, _headers, body = response(connection)
        assert status == 200, body


def test_a_chunked_body_over_the_cap_is_refused_and_the_connection_closed(live: Live) -> None:
    with live.connect() as connection:
        request(
            connection,
            "POST /v1/public/lookup HTTP/1.1\nHost: test\nContent-Type: application/json\n"
            "Transfer-Encoding: chunked\n",
        )
        chunk = b"x" * (16 * 1024)
        # 80 KiB, over the lookup's 64 KiB cap, in chunks that announce no total, sent at once:
        # the server may answer and close before the last bytes are in, which the client sees as
        # a broken pipe — what matters is the answer it then reads
        body_sent = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(5))
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            connection.sendall(body_sent)
        status, headers, body = response(connection)
        assert status == 413, body
        assert headers["connection"] == "close"
        problem: dict[str, Any] = json.loads(body)
        assert problem["code"] == "too-large"
        assert problem["detail"] == (
            "the body passed 65536 bytes; POST /v1/public/lookup accepts at most 65536 bytes"
        )
        assert closed(connection)


def test_a_declared_length_over_the_cap_is_refused_before_the_body_is_sent(live: Live) -> None:
    with live.connect() as connection:
        request(
            connection,
            "POST /v1/public/lookup HTTP/1.1\nHost: test\nContent-Type: application/json\n"
            "Content-Length: 104857600\nExpect: 100-continue\n",
        )
        status, _headers, body = response(connection)  # no byte of the 100 MB was sent
        assert status == 413, body
        assert json.loads(body)["detail"].startswith("the body is 104857600 bytes")

