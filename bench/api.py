"""HTTP benchmark: `POST /v1/statements` (handover.acknowledged) under concurrent clients, against a
bare FastAPI endpoint taking the same body, side by side on one machine in one run.

Run by hand, not in CI, from the repository root:

    python bench/api.py --backend sqlite|postgres|all --n N [--clients C] [--repeats R]
                        [--workers W[,W...]] [--json FILE]

Per backend the variants run interleaved, each on fresh storage set up alike, untimed: the demo
(`run_demo`, simulated clock); on the real time, N dossiers received at 29266/2025 and dispatched
to 86 (`record_many`), the views caught up; N acknowledgements by cv-84-ldtbxh of 86, dated now,
signed, as JSON envelopes; an officer token, a log key and a data key. Each server is a
subprocess running `api.serving.run` as `lienthong serve --workers W` runs it (uvicorn, options as
serve's, no access log): the real app (`api.http.app:app_from_env`) with LIENTHONG_MAX_BATCH 32
(group commit) or 1, or `bench/bare_api.py` (same body model, a receipt), each with W worker
processes for every W of `--workers` (default 1; `--workers 1,2` runs every variant with 1 and
with 2). With several, each worker process listens on a socket of its own (SO_REUSEPORT: the
kernel spreads the connections), and every worker process of the real app has its own writer and
views follower on the one database.

The load: C threads with a keep-alive connection each (`http.client`, or one shared
`httpx.Client` pool with `--client httpx`), connected and answered once before the timing (with
several workers, how many connections each worker process took is counted then), each posting
its share in turn. Not `httpx.AsyncClient`: it cost this client 1.3–3.5 ms of CPU per request,
against ~0.1–0.2 ms for `http.client` and ~0.8 ms for `httpx.Client` in threads, and the client
shares the cores with the server. Every answer must be 201, or the run stops, printing the
failures; then the log must have grown by N and the views must catch up and show every dossier
held at 86. Printed per variant: requests/s, p50/p99 latency, the ratio to bare served with as
many workers, the server's CPU per request on its main thread (the event loop) and its other
threads (writer, views follower, threadpool) — with several workers, summed over the worker
processes (the supervising process left out), with the busiest worker's share of it and
the most crowded worker's share of the connections —, the client's CPU per request, and the
writer's mean group size (a group's receipts share one `recorded_at`). With several worker
counts, the scaling of each variant's rate from the first count to the others.
`--json FILE` writes the summary as JSON (read by bench/suite.py).
"""

from __future__ import annotations

import argparse
import http.client
import importlib.metadata
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from threading import Barrier
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench.log import machine_line, write_json  # noqa: E402
from bench.record import fresh_storage  # noqa: E402
from domain.instant import local_date  # noqa: E402
from ledger.application import Ledger, Receipt  # noqa: E402
from ledger.clock import SimulatedClock, SystemClock  # noqa: E402
from ledger.config import LedgerSettings  # noqa: E402
from ledger.simulation import demo  # noqa: E402
from ledger.statements.authoring import Signer  # noqa: E402
from ledger.statements.signing import Envelope  # noqa: E402
from ledger.stores.applicants import DataKey, applicant_commitment  # noqa: E402
from ledger.stores.tokens import TokenStore  # noqa: E402
from ledger.views.projector import Projector  # noqa: E402

TARGET = 0.50  # the API keeps at least half the bare endpoint's rate
COMMUNE, COMMUNE_OFFICER = "29266/2025", "cb-29266-vhxh"
PROVINCE, PROVINCE_OFFICER = "86", "cv-84-ldtbxh"
DOCUMENTS = [demo.APPLICATION, demo.CERTIFICATE]
SETUP_BATCH = 500
VARIANTS = {"bare": 0, "batch 32": 32, "batch 1": 1}  # name → LIENTHONG_MAX_BATCH (0: bare)
SCALING_GOAL = 1.7  # the real app with 2 worker processes on PostgreSQL, against 1


@dataclass(frozen=True)
class Variant:
    name: str  # a key of VARIANTS
    workers: int  # uvicorn worker processes

    @property
    def batch(self) -> int:
        return VARIANTS[self.name]

    @property
    def key(self) -> str:
        """Its name in the printout and the JSON summary: the variant's alone with 1 worker."""
        return self.name if self.workers == 1 else f"{self.name} ×{self.workers}"


# --- setup: a ledger with N dossiers in transit to 86, and N acknowledgements signed -----------


@dataclass(frozen=True)
class Fixture:
    url: str
    codes: list[str]
    bodies: list[bytes]  # the JSON envelopes to post, one per code
    token: str
    log_size: int  # before the load
    env: dict[str, str]  # the real server's LIENTHONG_* settings, max batch aside


def set_up(url: str, directory: Path, n: int) -> Fixture:
    clock = SimulatedClock(demo.DEMO_START)
    ledger = Ledger(LedgerSettings(database_url=url), clock=clock)
    try:
        demo.run_demo(ledger, clock)
        dispatched = receive_and_dispatch(ledger, clock, n)
        bodies = sign_acknowledgements(ledger, dispatched)
        projector = Projector(ledger)
        projector.catch_up()  # the server starts with its views current
        projector.close()
        size = ledger.log_size()
    finally:
        ledger.close()
    codes = [code for code, _ in dispatched]
    return Fixture(url, codes, bodies, officer_token(url), size, key_files(url, directory))


def receive_and_dispatch(ledger: Ledger, clock: SimulatedClock, n: int) -> list[tuple[str, bytes]]:
    """N dossiers received at the commune and dispatched to 86: their codes and dispatch digests."""
    commune = Signer(ledger, demo.demo_key(COMMUNE_OFFICER), COMMUNE_OFFICER, COMMUNE)
    day = f"{local_date(SystemClock().now()):%y%m%d}"
    codes = [f"000.66.29.H59-{day}-{i + 1:05d}" for i in range(n)]
    dispatched: list[tuple[str, bytes]] = []
    for start in range(0, n, SETUP_BATCH):
        chunk = codes[start : start + SETUP_BATCH]
        clock.set(max(clock.now(), SystemClock().now()))
        record_all(ledger, [commune.envelope("dossier.received", c, received(c)) for c in chunk])
        body = {"to": PROVINCE, "purpose": "process", "documents": DOCUMENTS}
        sent = record_all(ledger, [commune.envelope("handover.dispatched", c, body) for c in chunk])
        dispatched += [(code, receipt.digest) for code, receipt in zip(chunk, sent, strict=True)]
    return dispatched


def received(code: str) -> dict[str, Any]:
    return {
        "procedure": "merit-education-preference",
        "version": 2,
        "applicant": applicant_commitment(*demo.demo_applicant(code)),
        "channel": "direct",
        "documents": DOCUMENTS,
    }


def record_all(ledger: Ledger, envelopes: list[Envelope]) -> list[Receipt]:
    outcomes = ledger.record_many([(e.statement, e.signature) for e in envelopes])
    receipts = [outcome for outcome in outcomes if isinstance(outcome, Receipt)]
    if len(receipts) != len(envelopes):
        refused = next(o for o in outcomes if not isinstance(o, Receipt))
        raise SystemExit(f"setup: {len(envelopes) - len(receipts)} refused, first: {refused!r}")
    return receipts


def sign_acknowledgements(ledger: Ledger, dispatched: list[tuple[str, bytes]]) -> list[bytes]:
    """JSON envelopes of cv-84-ldtbxh acknowledging each dispatch, dated now by the real clock."""
    province = Signer(ledger, demo.demo_key(PROVINCE_OFFICER), PROVINCE_OFFICER, PROVINCE)
    kind, now = "handover.acknowledged", SystemClock().now
    return [
        province.envelope(kind, code, {"dispatch": digest, "documents": DOCUMENTS}, at=now())
        .to_json()
        .encode()
        for code, digest in dispatched
    ]


def officer_token(url: str) -> str:
    store, now = TokenStore(url), SystemClock().now()
    try:
        return store.create(
            "officer", office=PROVINCE, officer=PROVINCE_OFFICER, now=now, valid_seconds=86400
        )[1]
    finally:
        store.close()


def key_files(url: str, directory: Path) -> dict[str, str]:
    log_key, data_key = directory / "log.key", directory / "data.key"
    demo.demo_log_key().save(log_key)
    DataKey.generate().save(data_key)
    return {
        "LIENTHONG_DATABASE_URL": url,
        "LIENTHONG_LOG_KEY": str(log_key),
        "LIENTHONG_DATA_KEY": str(data_key),
    }


# --- a server in a subprocess ------------------------------------------------------------------


@contextmanager
def serving(
    target: str, env: dict[str, str], log_path: Path, workers: int = 1
) -> Iterator[tuple[str, list[int]]]:
    """`api.serving.run` serving the app factory `target` on a free port with `workers` processes,
    as `lienthong serve` calls it but without the access log: its base URL and the pids of the
    processes that serve (see `worker_pids`)."""
    with socket.socket() as probe:  # a free port
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    call = (
        f"run({target!r}, host='127.0.0.1', port={port}, workers={workers}, log_level='info', "
        "proxy_headers=False, access_log=False)"
    )
    command = [sys.executable, "-c", f"from api.serving import run; {call}"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(process, base, log_path, workers)
        yield base, worker_pids(process.pid, workers)
    finally:
        process.send_signal(signal.SIGINT)  # graceful: the lifespan closes the writer
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_ready(process: subprocess.Popen[bytes], base: str, log_path: Path, workers: int) -> None:
    """Until /healthz answers, every worker process has finished its startup (uvicorn logs one
    "Application startup complete." each) and listens (a worker's socket listens once its app
    has started): the first worker up answers alone."""
    port = int(urlsplit(base).port or 80)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited:\n{log_path.read_text()[-3000:]}")
        try:
            answered = httpx.get(f"{base}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            answered = False
        started = log_path.read_text().count("Application startup complete.")
        if answered and started >= workers and listeners(port) == workers:
            return
        time.sleep(0.1)
    raise SystemExit(f"the server was not ready within 60 s:\n{log_path.read_text()}")


def worker_pids(pid: int, workers: int) -> list[int]:
    """The processes that serve: the server's own with 1 worker (`uvicorn.run`); with several,
    its children started by multiprocessing (`--multiprocessing-fork` on their command line), not
    the supervising process nor multiprocessing's resource tracker."""
    if workers == 1:
        return [pid]
    tasks = Path(f"/proc/{pid}/task").iterdir()
    children = [child for task in tasks for child in (task / "children").read_text().split()]
    found = [
        int(child)
        for child in children
        if b"--multiprocessing-fork" in Path(f"/proc/{child}/cmdline").read_bytes()
    ]
    if len(found) != workers:
        raise SystemExit(f"the server runs {len(found)} worker processes, not {workers}")
    return found


def listeners(port: int) -> int:
    """How many sockets listen on `port` (/proc/net/tcp's LISTEN rows on that local port): one
    per worker process."""
    count = 0
    for table in (Path("/proc/net/tcp"), Path("/proc/net/tcp6")):
        for line in table.read_text().splitlines()[1:] if table.exists() else []:
            fields = line.split()
            count += fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port
    return count


def process_cpu(pid: int) -> tuple[float, float]:
    """CPU seconds of a process so far: its main thread (uvicorn's event loop), and all of it."""

    def seconds(stat: Path) -> float:
        fields = stat.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime

    return seconds(Path(f"/proc/{pid}/task/{pid}/stat")), seconds(Path(f"/proc/{pid}/stat"))


def servers_cpu(pids: list[int]) -> list[tuple[float, float]]:
    return [process_cpu(pid) for pid in pids]


def connections(pids: list[int], port: int) -> list[int]:
    """How many established TCP connections to `port` each process holds (the server's end:
    /proc/net/tcp's sockets on that local port, found among the process's descriptors)."""
    sockets = set()
    for table in (Path("/proc/net/tcp"), Path("/proc/net/tcp6")):
        for line in table.read_text().splitlines()[1:] if table.exists() else []:
            fields = line.split()
            if fields[3] == "01" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                sockets.add(f"socket:[{fields[9]}]")
    counts = []
    for pid in pids:
        held = 0
        for descriptor in Path(f"/proc/{pid}/fd").iterdir():
            with suppress(OSError):  # closed meanwhile
                held += os.readlink(descriptor) in sockets
        counts.append(held)
    return counts


# --- the load ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    rate: float  # requests/s over the whole load
    p50: float  # ms
    p99: float
    loop_cpu: float  # µs per request, the server's main thread (summed over its workers)
    other_cpu: float  # µs per request, the server's other threads (summed over its workers)
    busiest: float  # the busiest worker's share of the server's CPU (1.0 with one worker)
    crowded: float  # the share of the clients' connections the most crowded worker holds
    client_cpu: float  # µs per request, this process
    group: float  # statements per writer group (0: bare)


Answer = tuple[float, int, bytes]  # seconds, HTTP status (0: no answer), body
Post = Callable[[bytes], tuple[int, bytes]]


def stdlib_poster(base: str, headers: dict[str, str]) -> Post:
    """One keep-alive connection of `http.client`, opened now and answered once (a worker process
    has taken it); it reopens itself if dropped."""
    connection = http.client.HTTPConnection(urlsplit(base).netloc, timeout=120)
    connection.request("GET", "/healthz")
    connection.getresponse().read()

    def post(body: bytes) -> tuple[int, bytes]:
        connection.request("POST", "/v1/statements", body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()

    return post


def httpx_poster(client: httpx.Client, headers: dict[str, str]) -> Post:
    client.get("/healthz")  # opens this thread's connection of the shared pool before the timing

    def post(body: bytes) -> tuple[int, bytes]:
        response = client.post("/v1/statements", content=body, headers=headers)
        return response.status_code, response.content

    return post


def one_client(make: Callable[[], Post], bodies: list[bytes], start: Barrier) -> list[Answer]:
    """Post the bodies one after another, once every client is connected."""
    post, answers = make(), []
    start.wait()
    for body in bodies:
        started = time.perf_counter()
        try:
            status, text = post(body)
        except (OSError, http.client.HTTPException, httpx.HTTPError) as problem:
            status, text = 0, repr(problem).encode()
        answers.append((time.perf_counter() - started, status, text))
    return answers


def post_all(
    base: str, pids: list[int], fixture: Fixture, clients: int, kind: str
) -> tuple[float, float, list[tuple[float, float]], list[int], list[Answer]]:
    """Wall seconds, client CPU seconds, server CPU per worker process (main thread, process),
    the clients' connections each worker process holds, and every answer."""
    headers = {"content-type": "application/json", "authorization": f"Bearer {fixture.token}"}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    shared = httpx.Client(base_url=base, limits=limits, timeout=120)
    make = partial(stdlib_poster, base, headers)
    if kind == "httpx":
        make = partial(httpx_poster, shared, headers)
    held: list[int] = []
    port = int(urlsplit(base).port or 80)
    # counted once every client is connected, before any is let go; broken if one cannot connect
    start = Barrier(clients + 1, action=lambda: held.extend(connections(pids, port)), timeout=60)
    with shared, ThreadPoolExecutor(clients) as pool:
        shares = [fixture.bodies[i::clients] for i in range(clients)]
        futures = [pool.submit(one_client, make, share, start) for share in shares]
        start.wait()
        server_before, cpu, started = servers_cpu(pids), time.process_time(), time.perf_counter()
        answers = [answer for future in futures for answer in future.result()]
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        server_after = servers_cpu(pids)
    server = [
        (after[0] - before[0], after[1] - before[1])
        for before, after in zip(server_before, server_after, strict=True)
    ]
    return wall, cpu, server, held, answers


def measure(
    base: str, pids: list[int], fixture: Fixture, clients: int, kind: str, bare: bool
) -> Run:
    wall, client_cpu, server, held, answers = post_all(base, pids, fixture, clients, kind)
    loop_cpu, process = sum(main for main, _ in server), sum(whole for _, whole in server)
    failures = [(status, text) for _, status, text in answers if status != 201]
    if failures:
        print(f"    FAILED, count by status: {dict(Counter(status for status, _ in failures))}")
        for status, text in failures[:3]:
            print(f"    {status}: {text[:300].decode(errors='replace')}")
        raise SystemExit(f"{len(failures)} of {len(answers)} requests did not answer 201")
    n = len(answers)
    cuts = statistics.quantiles([1000 * seconds for seconds, _, _ in answers], n=100)
    groups = {json.loads(text)["recorded_at"] for _, _, text in answers}
    return Run(
        rate=n / wall,
        p50=cuts[49],
        p99=cuts[98],
        loop_cpu=1e6 * loop_cpu / n,
        other_cpu=max(0.0, 1e6 * (process - loop_cpu) / n),  # /proc ticks are 10 ms
        busiest=max(whole for _, whole in server) / process if process else 1.0,
        crowded=max(held) / sum(held) if sum(held) else 1.0,
        client_cpu=1e6 * client_cpu / n,
        group=0.0 if bare else n / len(groups),
    )


def check_recorded(fixture: Fixture) -> None:
    """The log grew by N; the views catch up and show every dossier held at 86."""
    ledger = Ledger(LedgerSettings(database_url=fixture.url))
    try:
        grown = ledger.log_size() - fixture.log_size
        if grown != len(fixture.codes):
            raise SystemExit(f"the log grew by {grown}, not by {len(fixture.codes)}")
        projector = Projector(ledger)
        projector.catch_up()
        places = [projector.location(code) for code in fixture.codes]
        projector.close()
        wrong = [p for p in places if p is None or (p.status, p.custodian) != ("held", PROVINCE)]
        if wrong:
            raise SystemExit(f"{len(wrong)} dossiers are not held at {PROVINCE}: {wrong[:3]}")
    finally:
        ledger.close()


def run_once(backend: str, variant: Variant, args: argparse.Namespace) -> Run:
    batch = variant.batch
    with (
        fresh_storage(backend, "api") as url,
        tempfile.TemporaryDirectory(prefix="lienthong-bench-api-") as scratch,
    ):
        fixture = set_up(url, Path(scratch), args.n)
        if batch:
            target, env = (
                "api.http.app:app_from_env",
                {**fixture.env, "LIENTHONG_MAX_BATCH": str(batch)},
            )
        else:
            target, env = "bench.bare_api:create_app", {}
        log_path = Path(scratch) / "server.log"
        with serving(target, env, log_path, variant.workers) as (base, pids):
            run = measure(base, pids, fixture, args.clients, args.client, bare=not batch)
        if batch:
            check_recorded(fixture)
    return run


# --- main --------------------------------------------------------------------------------------


def median_run(runs: list[Run]) -> Run:
    fields = Run.__dataclass_fields__
    return Run(**{name: statistics.median(getattr(run, name) for run in runs) for name in fields})


def bench_backend(backend: str, args: argparse.Namespace) -> dict[Variant, Run]:
    variants = [Variant(name, workers) for workers in args.workers for name in VARIANTS]
    runs: dict[Variant, list[Run]] = {variant: [] for variant in variants}
    print(
        f"\n{backend}: N={args.n}, {args.clients} clients ({args.client}), "
        f"{args.repeats} × ({', '.join(variant.key for variant in variants)}), "
        f"fresh storage each run"
    )
    for repeat in range(args.repeats):
        for variant in variants:
            runs[variant].append(run_once(backend, variant, args))
        line = "   ".join(f"{v.key} {runs[v][-1].rate:5.0f}/s" for v in variants)
        print(f"  repeat {repeat + 1}: {line}")
    return {variant: median_run(results) for variant, results in runs.items()}


def print_table(results: dict[str, dict[Variant, Run]], n: int, repeats: int) -> None:
    print(f"\nsummary (N={n}, median of {repeats}; CPU in µs per request):")
    print(
        f"  {'backend':8} {'workers':>7} {'variant':9} {'req/s':>6} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'× bare':>7} {'srv loop':>8} {'srv other':>9} {'top cpu':>7} {'top conn':>8} "
        f"{'client':>7} {'group':>6}"
    )
    for backend, runs in results.items():
        for variant, run in runs.items():
            bare_rate = runs[Variant("bare", variant.workers)].rate
            group = f"{run.group:6.1f}" if run.group else f"{'':6}"
            busiest = f"{run.busiest:7.0%} {run.crowded:8.0%}"
            if variant.workers == 1:
                busiest = f"{'':7} {'':8}"
            print(
                f"  {backend:8} {variant.workers:7} {variant.name:9} {run.rate:6.0f} "
                f"{run.p50:7.1f} {run.p99:7.1f} {run.rate / bare_rate:7.2f} {run.loop_cpu:8.0f} "
                f"{run.other_cpu:9.0f} {busiest} {run.client_cpu:7.0f} {group}"
            )
    print(
        "  × bare: against bare with as many workers; srv loop, srv other: summed over the "
        "worker processes;\n  top cpu: the busiest worker's share of that CPU; top conn: the "
        "most crowded worker's share of the\n  client connections (even: 1/workers)"
    )
    for backend, runs in results.items():
        for workers in sorted({variant.workers for variant in runs}):
            api, one, bare = (
                runs[Variant(name, workers)] for name in ("batch 32", "batch 1", "bare")
            )
            verdict = "meets" if api.rate >= TARGET * bare.rate else "is BELOW"
            print(
                f"  {backend}, {workers} worker{'s' if workers > 1 else ''}: group commit gain "
                f"(batch 32 / batch 1) ×{api.rate / one.rate:.2f}; the API with batch 32 "
                f"{verdict} the target of {TARGET:.0%} of the bare rate"
            )
    for backend, runs in results.items():
        counts = list(dict.fromkeys(variant.workers for variant in runs))
        for workers in counts[1:]:
            scaling = {
                name: runs[Variant(name, workers)].rate / runs[Variant(name, counts[0])].rate
                for name in VARIANTS
            }
            verdict = ""
            if backend == "postgres" and (counts[0], workers) == (1, 2):
                met = "meets" if scaling["batch 32"] >= SCALING_GOAL else "is BELOW"
                verdict = f"; the API {met} the goal of ×{SCALING_GOAL} for 2 processes"
            print(
                f"  {backend}: scaling from {counts[0]} to {workers} workers: the API (batch 32) "
                f"×{scaling['batch 32']:.2f}, batch 1 ×{scaling['batch 1']:.2f}, bare "
                f"×{scaling['bare']:.2f}{verdict}"
            )


def worker_counts(text: str) -> list[int]:
    """`--workers 1,2`: distinct counts of worker processes, each at least 1, in the order given."""
    try:
        counts = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {text!r}") from None
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"worker counts are at least 1: {text!r}")
    return list(dict.fromkeys(counts))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "all"], default="all")
    parser.add_argument("--n", type=int, default=2000, help="acknowledgements posted per run")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved rounds")
    parser.add_argument(
        "--client", choices=["http.client", "httpx"], default="http.client", help="load generator"
    )
    parser.add_argument(
        "--workers",
        type=worker_counts,
        default=[1],
        metavar="W[,W...]",
        help="worker processes per server; every variant runs with each count (default 1)",
    )
    parser.add_argument("--json", metavar="FILE", help="write the summary as JSON")
    args = parser.parse_args(argv)
    if args.n < args.clients or args.clients < 1:
        parser.error("--n must be at least --clients, and --clients at least 1")
    backends = ["sqlite", "postgres"] if args.backend == "all" else [args.backend]
    version = importlib.metadata.version
    print(machine_line())
    print(f"fastapi {version('fastapi')}, uvicorn {version('uvicorn')}, httpx {version('httpx')}")
    print("command: python bench/api.py " + " ".join(sys.argv[1:] if argv is None else argv))
    results = {backend: bench_backend(backend, args) for backend in backends}
    print_table(results, args.n, args.repeats)
    command = (
        f"python bench/api.py --backend {args.backend} --n {args.n} --clients {args.clients} "
        f"--repeats {args.repeats} --client {args.client}"
    )
    if args.workers != [1]:
        command += " --workers " + ",".join(map(str, args.workers))
    summary = {
        backend: {variant.key: asdict(run) for variant, run in runs.items()}
        for backend, runs in results.items()
    }
    write_json(
        args.json,
        command,
        {"n": args.n, "target": TARGET, "workers": args.workers, "backends": summary},
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
