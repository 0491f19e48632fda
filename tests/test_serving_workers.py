"""`api.serving.run` with several workers (what `lienthong serve --workers N` runs): real processes
on loopback, real uvicorn, one listening socket per worker (SO_REUSEPORT). Connections opened at
once are spread over the workers, even while one of them is not awake to accept; a second server
on the same port fails naming the address; SIGINT or SIGTERM stops every worker gracefully and
frees the port; a killed worker is replaced; an app that cannot start stops the server with
uvicorn's STARTUP_FAILURE instead of being restarted forever; the workers of a killed
supervising process stop. With one worker, or without a socket option that spreads
connections, it is `uvicorn.run` itself.

The app is tests/serving_app.py: each answer is the pid of the worker that served it. No sleeps:
every wait polls with a deadline, pausing on the server process itself (it may exit meanwhile)."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from uvicorn.config import STARTUP_FAILURE

from api import serving

pytestmark = pytest.mark.skipif(
    not serving.spreads_connections(), reason="one socket per worker needs Linux's SO_REUSEPORT"
)

ROOT = Path(__file__).resolve().parents[1]
APP = "tests.serving_app:create_app"
DEADLINE = 60.0  # seconds: a spawned worker imports uvicorn and the app on a busy 2-core machine
CONNECTIONS = 128
# The kernel picks a worker's socket for each connection by a hash of its addresses and ports, so
# with two workers each one's count is Binomial(128, 1/2): P(either holds more than 96) = 4.2e-9.
# A single shared socket, as uvicorn's own workers use, gives one of them nearly all of a burst.
MOST = 96


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def launch(
    directory: Path, port: int, *, workers: int = 2, target: str = APP, **env: str
) -> Server:
    """`run` in a process of its own, as `lienthong serve` calls it, its log in a file."""
    code = (
        "from api.serving import run; "
        f"run({target!r}, host='127.0.0.1', port={port}, workers={workers}, log_level='info')"
    )
    log = directory / f"server-{port}-{len(list(directory.glob('server-*')))}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return Server(process, port, log)


def poll(server: Server, done: Callable[[], bool], what: str) -> None:
    """Until `done()`; the pause between tries is a wait on the server process (so its exit is
    seen at once); fails naming `what`, with the server's log, at the deadline."""
    deadline = time.monotonic() + DEADLINE
    while not done():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {DEADLINE} s: {what}\n{server.output()}")
        with suppress(subprocess.TimeoutExpired):
            server.process.wait(timeout=0.05)


def listeners(port: int) -> int:
    """How many sockets listen on `port` (/proc/net/tcp's LISTEN rows on that local port)."""
    count = 0
    for table in (Path("/proc/net/tcp"), Path("/proc/net/tcp6")):
        for line in table.read_text().splitlines()[1:] if table.exists() else []:
            fields = line.split()
            count += fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port
    return count


def workers_of(pid: int) -> list[int]:
    """The supervising process's children that serve: spawned by multiprocessing, with
    `--multiprocessing-fork` on their command line (what bench/api.py's worker_pids looks for)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            with suppress(OSError):  # exited meanwhile
                if b"--multiprocessing-fork" in Path(f"/proc/{child}/cmdline").read_bytes():
                    found.append(int(child))
    return sorted(found)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def serving_with(server: Server, workers: int) -> list[int]:
    """Wait until the server's `workers` workers all listen; their pids."""
    poll(
        server,
        lambda: (
            server.process.poll() is None
            and listeners(server.port) == workers
            and len(workers_of(server.process.pid)) == workers
        ),
        f"{workers} workers listening on {server.port}",
    )
    return workers_of(server.process.pid)


def answer(connection: http.client.HTTPConnection) -> int:
    connection.request("GET", "/")
    response = connection.getresponse()
    assert response.status == 200
    return int(response.read())


def pid_answering(port: int) -> int:
    """The pid of the worker that answers a new connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        return answer(connection)
    finally:
        connection.close()


def stopped(server: Server) -> int:
    try:
        return server.process.wait(timeout=DEADLINE)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the server did not exit within {DEADLINE} s:\n{server.output()}")


@contextmanager
def running(server: Server) -> Iterator[Server]:
    """The server, stopped afterwards if a test left it running (SIGTERM; SIGKILL at the
    deadline, its workers too)."""
    try:
        yield server
    finally:
        if server.process.poll() is None:
            workers = workers_of(server.process.pid)
            server.process.send_signal(signal.SIGTERM)
            try:
                server.process.wait(timeout=DEADLINE)
            except subprocess.TimeoutExpired:
                server.process.kill()
                server.process.wait()
                for pid in workers:
                    with suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)


def free(port: int) -> bool:
    """Nothing listens on `port` and a server could bind it (with SO_REUSEADDR, as every server
    does: connections closed by the server may linger in TIME_WAIT)."""
    try:
        serving.check_free("127.0.0.1", port)
    except OSError:
        return False
    return listeners(port) == 0


# --- spreading the connections -----------------------------------------------------------------


def queued(pid: int, port: int) -> int:
    """Connections waiting to be accepted on the sockets that process `pid` listens with on
    `port` (/proc/net/tcp's rx_queue of a LISTEN row is its accept queue)."""
    held = set()
    for descriptor in Path(f"/proc/{pid}/fd").iterdir():
        with suppress(OSError):  # closed meanwhile
            held.add(os.readlink(descriptor))
    waiting = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
            waiting += int(fields[4].split(":")[1], 16) if f"socket:[{fields[9]}]" in held else 0
    return waiting


def test_connections_opened_at_once_are_spread_over_the_workers(tmp_path: Path) -> None:
    with running(launch(tmp_path, free_port())) as server:
        workers = serving_with(server, 2)
        connections = [
            http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
            for _ in range(CONNECTIONS)
        ]
        try:
            for connection in connections:  # all connected before any is answered
                connection.connect()
            first = [answer(connection) for connection in connections]
            again = [answer(connection) for connection in connections]  # kept alive
        finally:
            for connection in connections:
                connection.close()

    held = Counter(first)
    assert sorted(held) == workers, held
    assert max(held.values()) <= MOST, held
    assert again == first


def test_a_worker_that_is_not_awake_still_gets_its_share(tmp_path: Path) -> None:
    """One worker stopped (SIGSTOP) while the connections are opened, and until the other has
    accepted every connection it can: a shared socket would leave it none, its own socket holds
    its share for it (the kernel chose each connection's socket when it arrived)."""
    with running(launch(tmp_path, free_port())) as server:
        asleep, awake = serving_with(server, 2)
        connections = [
            http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
            for _ in range(CONNECTIONS)
        ]
        os.kill(asleep, signal.SIGSTOP)
        try:
            for connection in connections:
                connection.connect()
            poll(server, lambda: queued(awake, server.port) == 0, "the awake worker accepting")
            for connection in connections:
                connection.request("GET", "/")
        finally:
            os.kill(asleep, signal.SIGCONT)
        try:
            answers = [connection.getresponse() for connection in connections]
            held = Counter(int(response.read()) for response in answers)
        finally:
            for connection in connections:
                connection.close()

    assert sorted(held) == sorted([asleep, awake]), held
    assert max(held.values()) <= MOST, held


# --- refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("workers", "refusal"),
    [
        (2, "cannot listen on 127.0.0.1:{port}: Address already in use"),
        (1, "error while attempting to bind on address ('127.0.0.1', {port})"),  # uvicorn's own
    ],
    ids=["several workers", "one worker"],
)
def test_a_second_server_on_the_same_port_fails_naming_the_address(
    tmp_path: Path, workers: int, refusal: str
) -> None:
    port = free_port()
    with running(launch(tmp_path, port)) as first:
        answering = serving_with(first, 2)
        second = launch(tmp_path, port, workers=workers)
        with running(second):
            assert stopped(second) == STARTUP_FAILURE
        assert refusal.format(port=port) in second.output()
        assert "Started child process" not in second.output()
        assert listeners(port) == 2
        assert {pid_answering(port) for _ in range(40)} <= set(answering)
        assert first.process.poll() is None


def test_an_app_that_cannot_start_stops_the_server_with_startup_failure(tmp_path: Path) -> None:
    server = launch(tmp_path, free_port(), target="tests.serving_app:failing_app")
    with running(server):
        assert stopped(server) == STARTUP_FAILURE

    assert "this app refuses to start" in server.output()
    assert "failed to start, stopping the parent process" in server.output()
    assert free(server.port)


# --- stopping and restarting -------------------------------------------------------------------


@pytest.mark.parametrize("number", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_every_worker_gracefully_and_frees_the_port(
    tmp_path: Path, number: signal.Signals
) -> None:
    shutdowns = tmp_path / "stopped"
    server = launch(tmp_path, free_port(), SERVING_TEST_STOPPED=str(shutdowns))
    with running(server):
        workers = serving_with(server, 2)
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        assert answer(connection) in workers  # a keep-alive connection open while it stops
        server.process.send_signal(number)
        assert stopped(server) == 0
        connection.close()

    assert sorted(int(pid) for pid in shutdowns.read_text().split()) == workers  # lifespan ended
    assert not any(alive(pid) for pid in workers)
    assert free(server.port)
    assert f"Received {number.name}, exiting." in server.output()


def test_a_killed_worker_is_replaced(tmp_path: Path) -> None:
    with running(launch(tmp_path, free_port())) as server:
        killed, kept = serving_with(server, 2)
        os.kill(killed, signal.SIGKILL)
        poll(
            server,
            lambda: killed not in workers_of(server.process.pid),
            f"the killed worker {killed} reaped",
        )
        replaced = serving_with(server, 2)
        (new,) = set(replaced) - {kept}
        answered: set[int] = set()

        def new_one_answered() -> bool:
            answered.add(pid_answering(server.port))  # each new connection: either worker
            return new in answered

        poll(server, new_one_answered, f"the new worker {new} answering")

        assert answered <= {kept, new}
        assert f"Child process [{killed}] died (exit code -9)" in server.output()
        assert server.process.poll() is None


def test_the_workers_stop_when_the_supervising_process_is_killed(tmp_path: Path) -> None:
    shutdowns = tmp_path / "stopped"
    server = launch(tmp_path, free_port(), SERVING_TEST_STOPPED=str(shutdowns))
    with running(server):
        workers = serving_with(server, 2)
        server.process.kill()
        server.process.wait()
        try:
            poll(server, lambda: not any(map(alive, workers)), "the orphaned workers gone")
        finally:
            for pid in filter(alive, workers):
                os.kill(pid, signal.SIGKILL)

    assert sorted(int(pid) for pid in shutdowns.read_text().split()) == workers  # gracefully
    assert free(server.port)


# --- `lienthong serve --workers 2` ------------------------------------------------------------


def test_serve_with_two_workers_gives_each_its_own_socket(tmp_path: Path) -> None:
    port = free_port()
    command = [sys.executable, "-c", "from api.cli.main import main; main()"]
    env = {name: value for name, value in os.environ.items() if not name.startswith("LIENTHONG_")}
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "serve", "--demo", "--port", str(port), "--workers", "2"],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(process, port, log)
    with running(server):
        workers = serving_with(server, 2)
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=30).status_code == 200
        process.send_signal(signal.SIGINT)
        assert stopped(server) == 0

    assert "each with its own listening socket (SO_REUSEPORT)" in server.output()
    assert server.output().count("Application shutdown complete.") == 2
    assert not any(alive(pid) for pid in workers)


# --- one worker, or no SO_REUSEPORT: uvicorn.run ----------------------------------------------


def calls_to_uvicorn_run(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **options: calls.append((args, options)))
    monkeypatch.setattr(serving, "supervise", lambda *_: pytest.fail("supervised"))
    return calls


def test_one_worker_is_uvicorn_run(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = calls_to_uvicorn_run(monkeypatch)

    serving.run(APP, host="127.0.0.1", port=8000, workers=1, log_level="info", proxy_headers=False)

    assert calls == [
        (
            (APP,),
            {
                "factory": True,
                "host": "127.0.0.1",
                "port": 8000,
                "workers": 1,
                "log_level": "info",
                "proxy_headers": False,
            },
        )
    ]


@pytest.mark.parametrize("platform", ["no SO_REUSEPORT", "darwin"])
def test_without_spreading_sockets_several_workers_are_uvicorn_run(
    monkeypatch: pytest.MonkeyPatch, platform: str
) -> None:
    if platform == "darwin":  # SO_REUSEPORT there does not spread a port's connections
        monkeypatch.setattr(sys, "platform", "darwin")
    else:
        monkeypatch.delattr(socket, "SO_REUSEPORT")
    calls = calls_to_uvicorn_run(monkeypatch)

    serving.run(APP, host="127.0.0.1", port=8000, workers=2, access_log=False)

    assert calls == [
        (
            (APP,),
            {"factory": True, "host": "127.0.0.1", "port": 8000, "workers": 2, "access_log": False},
        )
    ]
