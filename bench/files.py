"""File benchmark: a dossier's scan uploaded and downloaded through the API, against copying the
same bytes with `cp` and over a plain TCP socket, side by side on one machine in one run.

Run by hand, not in CI, from the repository root:

    python bench/files.py --backend sqlite|postgres|all [--repeats R] [--size-mb M] [--seed S]
                          [--json FILE]

One file of M MB (10^6 bytes; default 20) of random bytes from a fixed seed, on disk in a
temporary directory. Per backend, one uvicorn subprocess (1 worker, no access log) serves the
real app (`api.http.app:app_from_env`) on fresh storage (a new SQLite file with the default file store,
a directory beside it; or a new PostgreSQL schema, the chunks as rows), set up untimed: the demo,
R + 1 dossiers received at 29266/2025, the views caught up, an officer token of that office. The
first dossier's file is uploaded before the rounds and is the one downloaded. Then R rounds, in
ABBA order (the variants forward, then backward, ...), every variant reading the same file and
writing a new one on the same file system, 64 KiB at a time:

- cp: `cp SRC DST` (a subprocess; no fsync);
- socket: a Python sender (this process) to a Python receiver (a subprocess) writing to a file,
  over 127.0.0.1, no encryption, no hash, no fsync; timed from connect to the receiver's ack;
- upload: `PUT /v1/dossiers/{code}/files/{sha256}` with the file as body (`http.client`, streamed
  from disk), timed until the 201; each round to a dossier of its own;
- download: `GET` of the same path, streamed to a file; checked against the hash afterwards;
- store write / store read: `FileStore.receive` + `Upload.write` + `finish`, and `FileStore.open`
  + iterating to a file, in this process, without HTTP (a store of its own on SQLite, the
  server's schema on PostgreSQL).

Printed: MB/s (median), the medians of the per-round ratios to the socket and to cp against the
50 % target, the server's CPU per transfer (from /proc), and the costs of the parts measured
alone on the same bytes (reading, SHA-256, AES-GCM sealing and opening in 64 KiB chunks, writing
with and without fsync). `--json FILE` writes the summary as JSON.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import http.client
import importlib.metadata
import io
import os
import pstats
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402
from fastapi import FastAPI, Request  # noqa: E402
from fastapi.responses import StreamingResponse  # noqa: E402
from starlette.concurrency import run_in_threadpool  # noqa: E402

from bench.api import (  # noqa: E402  # noqa: E402
    COMMUNE,
    COMMUNE_OFFICER,
    key_files,
    process_cpu,
    received,
    record_all,
    serving,
)
from bench.log import BACKEND_NAME, machine_line, write_json  # noqa: E402
from bench.record import fresh_storage  # noqa: E402
from domain.instant import local_date  # noqa: E402
from ledger.application import Ledger  # noqa: E402
from ledger.clock import SimulatedClock, SystemClock  # noqa: E402
from ledger.config import LedgerSettings  # noqa: E402
from ledger.simulation import demo  # noqa: E402
from ledger.statements.authoring import Signer  # noqa: E402
from ledger.stores.applicants import DataKey  # noqa: E402
from ledger.stores.blobs import CHUNK  # noqa: E402
from ledger.stores.files import FileStore  # noqa: E402
from ledger.stores.tokens import TokenStore  # noqa: E402
from ledger.views.projector import Projector  # noqa: E402

TARGET = 0.50  # encryption and hashing keep at least half of a plain copy's throughput
PIECE = CHUNK  # bytes read or written at a time, by every variant
VARIANTS = (
    "cp",
    "socket",
    "bare put",
    "upload",
    "bare get",
    "download",
    "store write",
    "store read",
)
BASELINES = ("cp", "socket")
BARE = {"upload": "bare put", "download": "bare get"}  # the same HTTP path without the store


# --- setup -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    pid: int
    token: str
    codes: list[str]  # dossiers received at the commune: [0] holds the file downloaded

    def path(self, code: str, sha256: bytes) -> str:
        return f"/v1/dossiers/{code}/files/{sha256.hex()}"


def set_up(url: str, count: int) -> tuple[list[str], str]:
    """The demo, `count` dossiers received at the commune (real time), the views caught up; the
    codes and an officer token of the commune."""
    clock = SimulatedClock(demo.DEMO_START)
    ledger = Ledger(LedgerSettings(database_url=url), clock=clock)
    try:
        demo.run_demo(ledger, clock)
        commune = Signer(ledger, demo.demo_key(COMMUNE_OFFICER), COMMUNE_OFFICER, COMMUNE)
        day = f"{local_date(SystemClock().now()):%y%m%d}"
        codes = [f"000.66.29.H59-{day}-{i + 1:05d}" for i in range(count)]
        clock.set(max(clock.now(), SystemClock().now()))
        record_all(ledger, [commune.envelope("dossier.received", c, received(c)) for c in codes])
        projector = Projector(ledger)
        projector.catch_up()  # the server's access checks read the views
        projector.close()
    finally:
        ledger.close()
    store = TokenStore(url)
    try:
        _record, token = store.create(
            "officer",
            office=COMMUNE,
            officer=COMMUNE_OFFICER,
            now=SystemClock().now(),
            valid_seconds=86400,
        )
    finally:
        store.close()
    return codes, token


@contextmanager
def api_server(url: str, scratch: Path, count: int) -> Iterator[Server]:
    codes, token = set_up(url, count)
    env = key_files(url, scratch)  # no LIENTHONG_FILES_DIR: the default file store
    with serving("api.http.app:app_from_env", env, scratch / "server.log") as (base, pid):
        host, port = base.removeprefix("http://").split(":")
        yield Server(host, int(port), pid, token, codes)


class BareServer(Server):
    def path(self, code: str, sha256: bytes) -> str:
        return f"/bare/{code}"


@contextmanager
def bare_server(scratch: Path) -> Iterator[Server]:
    env = {"BENCH_FILES_DIR": str(scratch)}
    with serving("bench.files:bare_app", env, scratch / "bare.log") as (base, pid):
        host, port = base.removeprefix("http://").split(":")
        yield BareServer(host, int(port), pid, "-", ["bare-0"])


def bare_app() -> FastAPI:
    """The HTTP layer alone, served like the real app: PUT streams the body to a file in the
    directory BENCH_FILES_DIR, one threadpool hop per piece as the real route makes; GET streams
    a file back from a sync iterator (run in the threadpool, as the real download). No token, no
    hash, no encryption, no database, no fsync."""
    directory = Path(os.environ["BENCH_FILES_DIR"])
    app = FastAPI(title="bare files")

    @app.put("/bare/{name}", status_code=201)
    async def put(name: str, request: Request) -> dict[str, int]:
        size = 0
        with open(directory / name, "wb") as out:
            async for piece in request.stream():
                if piece:
                    await run_in_threadpool(out.write, piece)
                    size += len(piece)
        return {"size": size}

    @app.get("/bare/{name}")
    def get(name: str) -> StreamingResponse:
        path = directory / name

        def pieces() -> Iterator[bytes]:
            with open(path, "rb") as data:
                while piece := data.read(PIECE):
                    yield piece

        size = str(path.stat().st_size)
        return StreamingResponse(pieces(), headers={"Content-Length": size})

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def make_source(path: Path, size: int, seed: int) -> bytes:
    """Write `size` random bytes from `seed` to `path`; their SHA-256."""
    data = random.Random(seed).randbytes(size)
    path.write_bytes(data)
    return hashlib.sha256(data).digest()


# --- the variants: each returns its wall seconds ---------------------------------------------


def copy_cp(source: Path, target: Path) -> float:
    started = time.perf_counter()
    subprocess.run(["cp", str(source), str(target)], check=True)
    return time.perf_counter() - started


def receive(path: str) -> None:
    """The socket baseline's receiver (run as `files.py --receive PATH`): print the port, take
    one connection, write what comes to PATH, then answer one byte."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        print(server.getsockname()[1], flush=True)
        connection, _ = server.accept()
        buffer = bytearray(PIECE)
        view = memoryview(buffer)
        with connection:
            with open(path, "wb") as out:
                while count := connection.recv_into(buffer):
                    out.write(view[:count])
            connection.sendall(b"k")


def copy_socket(source: Path, target: Path) -> float:
    receiver = subprocess.Popen(
        [sys.executable, __file__, "--receive", str(target)], stdout=subprocess.PIPE
    )
    assert receiver.stdout is not None
    port = int(receiver.stdout.readline())  # listening; the timing starts at the connect
    buffer = bytearray(PIECE)
    view = memoryview(buffer)
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port)) as connection, open(source, "rb") as data:
        while count := data.readinto(buffer):
            connection.sendall(view[:count])
        connection.shutdown(socket.SHUT_WR)
        if connection.recv(1) != b"k":
            raise SystemExit("the socket receiver did not acknowledge")
    seconds = time.perf_counter() - started
    receiver.wait(timeout=60)
    return seconds


def upload(server: Server, code: str, source: Path, sha256: bytes) -> float:
    headers = {
        "Authorization": f"Bearer {server.token}",
        "Content-Type": "application/octet-stream",
        "Content-Length": str(source.stat().st_size),
    }
    started = time.perf_counter()
    connection = http.client.HTTPConnection(server.host, server.port, timeout=300, blocksize=PIECE)
    with open(source, "rb") as body:
        connection.request("PUT", server.path(code, sha256), body=body, headers=headers)
        response = connection.getresponse()
        answer = response.read()
    seconds = time.perf_counter() - started
    connection.close()
    if response.status != 201:
        raise SystemExit(f"upload: {response.status} {answer[:500]!r}")
    return seconds


def download(server: Server, code: str, sha256: bytes, target: Path) -> float:
    headers = {"Authorization": f"Bearer {server.token}"}
    buffer = bytearray(PIECE)
    view = memoryview(buffer)
    started = time.perf_counter()
    connection = http.client.HTTPConnection(server.host, server.port, timeout=300)
    connection.request("GET", server.path(code, sha256), headers=headers)
    response = connection.getresponse()
    if response.status != 200:
        raise SystemExit(f"download: {response.status} {response.read()[:500]!r}")
    with open(target, "wb") as out:
        while count := response.readinto(buffer):
            out.write(view[:count])
    seconds = time.perf_counter() - started
    connection.close()
    return seconds


def store_write(store: FileStore, code: str, source: Path, sha256: bytes) -> float:
    started = time.perf_counter()
    upload = store.receive(code, sha256, office=COMMUNE, officer=COMMUNE_OFFICER)
    with open(source, "rb") as data:
        while piece := data.read(PIECE):
            upload.write(piece)
    _stored, new = upload.finish(SystemClock().now(), source.stat().st_size)
    seconds = time.perf_counter() - started
    if not new:
        raise SystemExit(f"store write: {code} held the file already")
    return seconds


def store_read(store: FileStore, code: str, sha256: bytes, target: Path) -> float:
    started = time.perf_counter()
    with open(target, "wb") as out:
        for piece in store.open(code, sha256):
            out.write(piece)
    return time.perf_counter() - started


def same_bytes(path: Path, sha256: bytes, what: str) -> None:
    with open(path, "rb") as data:
        if hashlib.file_digest(data, "sha256").digest() != sha256:
            raise SystemExit(f"{what}: the bytes written are not the source's")
    path.unlink()


# --- one backend, in rounds --------------------------------------------------------------------


@dataclass
class Result:
    seconds: dict[str, list[float]]
    server_cpu: dict[str, list[float]]  # CPU seconds of the server process per transfer


@contextmanager
def local_store(backend: str, url: str, scratch: Path) -> Iterator[FileStore]:
    """A FileStore in this process: its own SQLite file and directory, or the server's schema."""
    if backend == "sqlite":
        store_url, directory = f"sqlite:///{scratch / 'store.db'}", scratch / "store-files"
    else:
        store_url, directory = url, None
    store = FileStore(store_url, DataKey.generate(), directory=directory)
    try:
        yield store
    finally:
        store.close()


def bench_backend(backend: str, source: Path, sha256: bytes, repeats: int, profile: bool) -> Result:
    seconds: dict[str, list[float]] = {variant: [] for variant in VARIANTS}
    cpu: dict[str, list[float]] = {v: [] for v in ("bare put", "upload", "bare get", "download")}
    with (
        fresh_storage(backend, "files") as url,
        tempfile.TemporaryDirectory(prefix="lienthong-bench-files-", dir=source.parent) as name,
    ):
        scratch = Path(name)
        target = scratch / "copy.bin"
        with (
            api_server(url, scratch, repeats + 1) as server,
            bare_server(scratch) as bare,
            local_store(backend, url, scratch) as store,
        ):
            upload(server, server.codes[0], source, sha256)  # the file downloaded, and a warm-up
            upload(bare, "bare-0", source, sha256)
            store_write(store, "store-0", source, sha256)
            runs: dict[str, Callable[[int], float]] = {
                "cp": lambda r: copy_cp(source, target),
                "socket": lambda r: copy_socket(source, target),
                "bare put": lambda r: upload(bare, f"bare-{r + 1}", source, sha256),
                "upload": lambda r: upload(server, server.codes[r + 1], source, sha256),
                "bare get": lambda r: download(bare, "bare-0", sha256, target),
                "download": lambda r: download(server, server.codes[0], sha256, target),
                "store write": lambda r: store_write(store, f"store-{r + 1}", source, sha256),
                "store read": lambda r: store_read(store, "store-0", sha256, target),
            }
            print(f"\n{backend}: {repeats} rounds, ABBA order")
            for r in range(repeats):
                order = VARIANTS if r % 2 == 0 else VARIANTS[::-1]
                for variant in order:
                    pid = bare.pid if variant.startswith("bare") else server.pid
                    before = process_cpu(pid)[1]
                    seconds[variant].append(runs[variant](r))
                    if variant in cpu:
                        cpu[variant].append(process_cpu(pid)[1] - before)
                    if target.exists():
                        same_bytes(target, sha256, variant)
                size = source.stat().st_size
                line = "  ".join(f"{v} {size / 1e6 / seconds[v][-1]:6.1f}" for v in VARIANTS)
                print(f"  round {r + 1} (MB/s): {line}", flush=True)
            if profile:
                profiled(lambda: store_write(store, "store-profile", source, sha256), "write")
                profiled(lambda: store_read(store, "store-0", sha256, target), "read")
                target.unlink()
    return Result(seconds, cpu)


def profiled(task: Callable[[], float], what: str, top: int = 10) -> None:
    """One more run of `task` under cProfile: the functions it spends most time in."""
    profiler = cProfile.Profile()
    profiler.runcall(task)
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(top)
    lines = [line for line in text.getvalue().splitlines() if line.strip()]
    start = next(i for i, line in enumerate(lines) if "ncalls" in line)
    print(f"  store {what} under cProfile, by own time:")
    print("\n".join("    " + line for line in [lines[1], *lines[start:]]))


# --- the parts alone ---------------------------------------------------------------------------


def parts(source: Path, repeats: int) -> dict[str, float]:
    """Median seconds of each part of the path on the source's bytes, 64 KiB at a time."""
    data = source.read_bytes()
    pieces = [data[i : i + PIECE] for i in range(0, len(data), PIECE)]
    key = AESGCM(AESGCM.generate_key(bit_length=256))
    aad = b"x" * 49  # FILE_AAD ‖ blob id ‖ index ‖ final: 24 + 16 + 8 + 1 bytes

    def seal() -> list[bytes]:
        sealed = []
        for piece in pieces:
            nonce = secrets.token_bytes(12)
            sealed.append(nonce + key.encrypt(nonce, piece, aad))
        return sealed

    sealed = seal()
    target = source.with_name("parts.bin")

    def write(sync: bool) -> None:
        with open(target, "wb") as out:
            for piece in sealed:
                out.write(piece)
            if sync:
                out.flush()
                os.fsync(out.fileno())
        target.unlink()

    def read() -> None:
        with open(source, "rb") as handle:
            while handle.read(PIECE):
                pass

    tasks: dict[str, Callable[[], Any]] = {
        "read the file": read,
        "SHA-256": lambda: hashlib.sha256(data).digest(),
        "AES-GCM seal (nonce + encrypt + concat)": seal,
        "AES-GCM open": lambda: [key.decrypt(s[:12], s[12:], aad) for s in sealed],
        "write the sealed chunks": lambda: write(sync=False),
        "write the sealed chunks + fsync": lambda: write(sync=True),
    }
    times: dict[str, list[float]] = {name: [] for name in tasks}
    for _ in range(repeats):
        for name, task in tasks.items():
            started = time.perf_counter()
            task()
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in times.items()}


# --- report ------------------------------------------------------------------------------------


def summarise(result: Result, size: int) -> dict[str, Any]:
    seconds = result.seconds
    summary: dict[str, Any] = {}
    for variant in VARIANTS:
        row: dict[str, Any] = {
            "mb_s": size / 1e6 / statistics.median(seconds[variant]),
            "seconds": seconds[variant],
        }
        for baseline in BASELINES:  # per round: the baseline's time ÷ this variant's
            ratios = [b / v for b, v in zip(seconds[baseline], seconds[variant], strict=True)]
            row[f"x_{baseline}"] = statistics.median(ratios)
            row[f"x_{baseline}_range"] = [min(ratios), max(ratios)]
        if variant in BARE:
            bare = seconds[BARE[variant]]
            row["x_bare_http"] = statistics.median(
                b / v for b, v in zip(bare, seconds[variant], strict=True)
            )
        if variant in result.server_cpu:
            row["server_cpu_share"] = statistics.median(
                c / s for c, s in zip(result.server_cpu[variant], seconds[variant], strict=True)
            )
        summary[variant] = row
    return summary


def print_backend(backend: str, summary: dict[str, Any]) -> None:
    print(
        f"\n  {BACKEND_NAME[backend]}: MB/s median; × socket and × cp: median (min–max) of rounds"
    )
    print(f"    {'variant':12} {'MB/s':>7} {'× socket':>20} {'× cp':>20} {'server CPU':>10}")
    for variant, row in summary.items():
        spans = [
            f"{row[f'x_{b}']:.2f} ({row[f'x_{b}_range'][0]:.2f}–{row[f'x_{b}_range'][1]:.2f})"
            for b in BASELINES
        ]
        share = row.get("server_cpu_share")
        cpu = f"{100 * share:9.0f}%" if share is not None else ""
        print(f"    {variant:12} {row['mb_s']:7.1f} {spans[1]:>20} {spans[0]:>20} {cpu:>10}")
    for variant in ("upload", "download"):
        ratio = summary[variant]["x_socket"]
        verdict = "meets" if ratio >= TARGET else "is BELOW"
        print(
            f"    {variant} {verdict} the target ({ratio:.2f} of the socket, ≥ {TARGET:.2f}); "
            f"{summary[variant]['x_bare_http']:.2f} of the bare HTTP {BARE[variant]}"
        )


def print_parts(timings: dict[str, float], size: int) -> None:
    print(f"\nparts alone, on the same {size / 1e6:.0f} MB (median):")
    for name, seconds in timings.items():
        print(f"    {name:42} {1000 * seconds:7.1f} ms  {size / 1e6 / seconds:7.0f} MB/s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "all"], default="all")
    parser.add_argument("--repeats", type=int, default=5, help="rounds of every variant")
    parser.add_argument("--size-mb", type=int, default=20, help="the file, in 10^6 bytes")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument(
        "--profile", action="store_true", help="the store's write and read under cProfile"
    )
    parser.add_argument("--json", metavar="FILE", help="write the summary as JSON")
    parser.add_argument("--receive", metavar="PATH", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.receive:
        receive(args.receive)
        return 0
    if args.repeats < 1 or not 1 <= args.size_mb <= 50:
        parser.error("--repeats must be at least 1, --size-mb between 1 and 50 (the API's cap)")
    command = (
        f"python bench/files.py --backend {args.backend} --repeats {args.repeats} "
        f"--size-mb {args.size_mb} --seed {args.seed}" + (" --profile" if args.profile else "")
    )
    version = importlib.metadata.version
    print(machine_line())
    print(
        f"uvicorn {version('uvicorn')}, h11 {version('h11')}, cryptography {version('cryptography')}"
    )
    print(f"command: {command}")
    backends = ["sqlite", "postgres"] if args.backend == "all" else [args.backend]
    size = args.size_mb * 1_000_000
    summary: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="lienthong-bench-files-") as name:
        source = Path(name) / "scan.bin"
        sha256 = make_source(source, size, args.seed)
        for backend in backends:
            summary[backend] = summarise(
                bench_backend(backend, source, sha256, args.repeats, args.profile), size
            )
        timings = parts(source, args.repeats)
    print(f"\nsummary ({args.size_mb} MB, {args.repeats} rounds):")
    for backend, rows in summary.items():
        print_backend(backend, rows)
    print_parts(timings, size)
    write_json(
        args.json,
        command,
        {"size": size, "target": TARGET, "backends": summary, "parts_seconds": timings},
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
