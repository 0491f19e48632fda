"""Serving an ASGI app factory with uvicorn in several processes, one listening socket each.

Why: uvicorn's `--workers N` binds one socket in its supervising process and hands it to every
worker. Each worker's event loop waits for that socket to become readable, and the one that wakes
first accepts every connection waiting in the queue (asyncio and uvloop accept in a loop): under
a burst of new connections, one worker takes nearly all of them, and with keep-alive clients
keeps them; a worker busy when they arrive gets none. Measured: of 32 keep-alive connections,
one of two workers held 97 %.

How, on Linux with `SO_REUSEPORT`: the supervising process only checks that the port is free (a
bind without `SO_REUSEPORT`, closed at once), then starts N worker processes (multiprocessing's
spawn, as uvicorn does: `--multiprocessing-fork` on their command line). Each binds its own socket
to the address with `SO_REUSEADDR` and `SO_REUSEPORT`; it listens (backlog: uvicorn's, 2048 by
default) only once its app has started, when uvicorn starts serving on it (until then the kernel
gives it no connection: a worker restarting takes none while it starts). The kernel then
spreads new connections over the listening sockets by a hash of each connection's addresses and
ports, whichever process is awake: evenly on average, whatever the timing. The supervising
process stops every worker (SIGTERM: uvicorn's graceful shutdown, the app's lifespan runs) on
SIGINT or SIGTERM and then exits 0; it replaces a worker that dies, except one that failed to
start (uvicorn's STARTUP_FAILURE exit code, here also an app factory that raises): then it stops
them all and exits with that code, as uvicorn's own supervisor does. A worker whose supervising
process is gone (killed) stops by itself.

Caveats: `SO_REUSEPORT` lets any other process of the same user bind the same address and take
a share of the connections. The check at start prevents that for a second server started the
same way (`lienthong serve` on a port in use fails, naming the address), but not for a program
that sets `SO_REUSEPORT` itself: give the server a user of its own. Connections already queued on
a worker's socket when that worker dies are reset, not handed to the others. Unlike uvicorn's
supervisor, no health check pings the workers: a worker that hangs without exiting stays.

With one worker, or elsewhere than on Linux (where `SO_REUSEPORT` does not spread connections,
or is missing), this is exactly `uvicorn.run`.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
from contextlib import suppress
from multiprocessing.connection import wait
from multiprocessing.context import SpawnProcess
from types import FrameType
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE

logger = logging.getLogger("uvicorn.error")
spawn = multiprocessing.get_context("spawn")


def run(target: str, *, host: str, port: int, workers: int, **uvicorn_options: Any) -> None:
    """Serve the ASGI app factory `target` ("module:function") on host:port with `workers`
    processes until SIGINT or SIGTERM. `uvicorn_options` are `uvicorn.run`'s (with several
    workers, those of `uvicorn.Config`; not uds, fd or reload). Exits with STARTUP_FAILURE
    (`sys.exit`) when the address is in use or a worker fails to start."""
    if workers == 1 or not spreads_connections():
        uvicorn.run(target, factory=True, host=host, port=port, workers=workers, **uvicorn_options)
        return
    config = uvicorn.Config(  # configures the logging here, as uvicorn.run does
        target, factory=True, host=host, port=port, workers=workers, **uvicorn_options
    )
    try:
        check_free(config.host, config.port)
    except OSError as problem:
        logger.error(
            "cannot listen on %s:%d: %s (is another server running there?)",
            config.host,
            config.port,
            problem.strerror or problem,
        )
        sys.exit(STARTUP_FAILURE)
    scheme = "https" if config.is_ssl else "http"
    shown = f"[{config.host}]" if ":" in config.host else config.host
    logger.info(f"Uvicorn running on {scheme}://{shown}:{config.port} (Press CTRL+C to quit)")
    logger.info(f"{workers} worker processes, each with its own listening socket (SO_REUSEPORT)")
    code = supervise(config, workers)
    if code:
        sys.exit(code)


def spreads_connections() -> bool:
    """Whether sockets bound with SO_REUSEPORT share one address's connections (Linux)."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def _socket(host: str) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET  # as uvicorn chooses
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # past TIME_WAIT, as uvicorn
    return sock


def check_free(host: str, port: int) -> None:
    """Raise OSError (EADDRINUSE) if a socket listens on host:port. Without SO_REUSEPORT, the
    bind fails against the workers of a server started by `run`, or any other listener."""
    with _socket(host) as probe:
        probe.bind((host, port))


# --- the supervising process -------------------------------------------------------------------


def supervise(config: uvicorn.Config, workers: int) -> int:
    """Start the workers, keep them running until SIGINT or SIGTERM or a worker's failure to
    start, stop them all: 0, or STARTUP_FAILURE."""
    received: list[int] = []
    wake_read, wake_write = os.pipe()  # the signal handler's wake-up for `wait`
    os.set_blocking(wake_write, False)

    def on_signal(number: int, _frame: FrameType | None) -> None:
        received.append(number)
        with suppress(BlockingIOError):  # the pipe is full: `wait` is woken already
            os.write(wake_write, b"\0")

    handled = (signal.SIGINT, signal.SIGTERM)
    previous = {number: signal.signal(number, on_signal) for number in handled}
    code = 0
    try:
        logger.info("Started parent process [%d]", os.getpid())
        children = [start_worker(config) for _ in range(workers)]
        while not received and not code:
            ready = wait([wake_read, *(child.sentinel for child in children)])
            for index, child in enumerate(children):
                if child.sentinel not in ready or received:
                    continue
                child.join()
                if child.exitcode == STARTUP_FAILURE:
                    logger.error(
                        "Child process [%d] failed to start, stopping the parent process.",
                        child.pid,
                    )
                    code = STARTUP_FAILURE
                    break
                logger.info("Child process [%d] died (exit code %s)", child.pid, child.exitcode)
                children[index] = start_worker(config)
        if received:
            logger.info("Received %s, exiting.", signal.Signals(received[0]).name)
        stop(children)
        logger.info("Stopping parent process [%d]", os.getpid())
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        os.close(wake_read)
        os.close(wake_write)
    return code


def start_worker(config: uvicorn.Config) -> SpawnProcess:
    child = spawn.Process(target=serve_worker, args=(config,))
    child.start()
    logger.info("Started child process [%d]", child.pid)
    return child


def stop(children: list[SpawnProcess]) -> None:
    """SIGTERM to every worker still running (uvicorn shuts down gracefully), then wait for all."""
    for child in children:
        if child.exitcode is None:
            child.terminate()
            logger.info("Terminated child process [%d]", child.pid)
    for child in children:
        logger.info("Waiting for child process [%d]", child.pid)
        child.join()


# --- a worker process --------------------------------------------------------------------------


def serve_worker(config: uvicorn.Config) -> None:
    """A worker: its own socket on the address, uvicorn serving the app on it until SIGTERM.
    Exits with STARTUP_FAILURE if it cannot bind or its app does not start."""
    config.configure_logging()  # a spawned process starts afresh
    threading.Thread(target=stop_with_parent, daemon=True).start()
    sock = _socket(config.host)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((config.host, config.port))
    except OSError as problem:
        logger.error("cannot bind %s:%d: %s", config.host, config.port, problem)
        sys.exit(STARTUP_FAILURE)
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])  # listens once the app's lifespan has started
    except KeyboardInterrupt:
        pass
    except Exception:
        if server.started:
            raise  # died while serving: the supervising process starts another
        logger.exception("Child process [%d] failed to start", os.getpid())
        sys.exit(STARTUP_FAILURE)  # the factory raised: it would again, every restart


def stop_with_parent() -> None:
    """Shut this worker down gracefully once its supervising process is gone (killed, say)."""
    parent = multiprocessing.parent_process()
    if parent is not None:
        wait([parent.sentinel])
        os.kill(os.getpid(), signal.SIGTERM)
