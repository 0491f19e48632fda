"""Full-audit benchmark: `audit()` against the raw Ed25519 verification rate × cores, same run.

Run by hand, not in CI, from the repository root:

    python bench/audit.py --backend sqlite|postgres --n N [--repeats R]
                          [--memory-sizes N1,N2,...] [--profile auto|always|never] [--write FILE]
                          [--json FILE]

It builds a log of N signed statements (bench/record.py's envelopes: N/4 dossiers × received,
dispatched, acknowledged, dispatched) on a fresh SQLite file or PostgreSQL schema, through
`Ledger.record`, with a log key issuing a checkpoint every 1,000 entries. Then, in rounds (ABBA
order), it times:

  raw × cores   the same N signatures verified by the fastest verifier measured here (PyNaCl's
                crypto_sign_open or `cryptography`'s Ed25519PublicKey.verify; messages built
                beforehand) on a ProcessPoolExecutor (forkserver, as the audit's) of
                os.cpu_count() processes, in chunks of ledger.log.audit.BATCH: the physical limit.
                Timed from the moment every worker is up; the pool's start is reported apart;
  audit         `audit(ledger, log_key=..., workers=os.cpu_count())` on a freshly opened Ledger,
                its pool's start included (that is what an auditor waits for);
  raw, 1 core   the same verifications in this process;
  audit, 1      `audit(..., workers=1)`: everything in this process.

It reports entries/s, the ratios audit/raw (target: the parallel audit at 85 % of raw × cores),
and the CPU the parallel audit used (this process, and its worker processes read from /proc).
Every audit must pass cleanly over the whole log and end on the ledger's root, or the run stops.
Peak memory: for each --memory-sizes entry (default N and 4N), the log is grown to that size and
audited in a fresh process (launched through a small one: Linux carries maxrss over fork and
exec), which reports getrusage maxrss before and after the audit and the peak RSS (VmHWM) of its
workers. Below the target (or with --profile always) it breaks a single-process audit down: its
steps timed batch by batch with perf_counter, and the audit under cProfile.

Each result row prints the command that produced it; `--write FILE` appends the markdown rows;
`--json FILE` writes the summary as JSON (read by bench/suite.py).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import pstats
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey  # noqa: E402
from nacl.bindings import crypto_sign_open  # noqa: E402

from bench.log import machine_line, write_json, write_rows  # noqa: E402
from bench.record import Prepared, fresh_storage, prepare_envelopes  # noqa: E402
from ledger.application import Ledger  # noqa: E402
from ledger.config import LedgerSettings  # noqa: E402
from ledger.log import merkle, note, tlog  # noqa: E402
from ledger.log.audit import AuditReport, audit  # noqa: E402
from ledger.log.audit import batches as audit_batches  # noqa: E402
from ledger.log.audit import entries as audit_entries  # noqa: E402
from ledger.log.audit import store as audit_store  # noqa: E402
from ledger.log.tlog import LogKey  # noqa: E402
from ledger.statements import schema, signing  # noqa: E402
from tests.world import OFFICES, World, seeded_key  # noqa: E402

TARGET = 0.85
CPUS = os.cpu_count() or 1
ORIGIN = "bench.lienthong.example/log"
BACKEND_NAME = {"sqlite": "SQLite file (WAL)", "postgres": "PostgreSQL 15, local"}


# --- raw Ed25519 verification: the physical limit ------------------------------------------------

Item = tuple[bytes, bytes, bytes]  # public key, signed message (prefix ‖ statement), signature


def verification_items(envelopes: Sequence[Prepared]) -> list[Item]:
    """(public key, message, signature) of each envelope, as `signing.verify` checks it."""
    public = {key.key_id: key.public_key for key in (seeded_key(f"cb-{o}") for o in OFFICES)}
    return [
        (public[schema.parse(e.raw).key], signing.SIGNING_PREFIX + e.raw, e.signature)
        for e in envelopes
    ]


def nacl_inputs(items: Sequence[Item]) -> list[tuple[bytes, bytes]]:
    return [(signature + message, public) for public, message, signature in items]


def verify_nacl(chunk: Sequence[tuple[bytes, bytes]]) -> int:
    for signed, public in chunk:
        crypto_sign_open(signed, public)  # raises BadSignatureError
    return len(chunk)


_KEY_OBJECTS: dict[bytes, Ed25519PublicKey] = {}


def verify_cryptography(chunk: Sequence[Item]) -> int:
    for public, message, signature in chunk:
        key = _KEY_OBJECTS.get(public)
        if key is None:
            key = _KEY_OBJECTS[public] = Ed25519PublicKey.from_public_bytes(public)
        key.verify(signature, message)  # raises InvalidSignature
    return len(chunk)


@dataclass(frozen=True)
class Verifier:
    name: str
    check: Callable[[Sequence[Any]], int]
    inputs: list[Any]


def fastest_verifier(items: list[Item]) -> Verifier:
    """Both libraries on the same items, one core, best of 2 passes; the faster one wins."""
    candidates = [
        Verifier("PyNaCl crypto_sign_open", verify_nacl, nacl_inputs(items)),
        Verifier("cryptography Ed25519PublicKey.verify", verify_cryptography, list(items)),
    ]
    rates = {}
    for verifier in candidates:
        rates[verifier.name] = len(items) / min(raw_single(verifier) for _ in range(2))
    for name, rate in rates.items():
        print(f"  {name:40} {rate:9,.0f} verifications/s on one core")
    chosen = max(candidates, key=lambda v: rates[v.name])
    print(f"  the faster, used as the physical limit below: {chosen.name}")
    return chosen


def raw_single(verifier: Verifier) -> float:
    gc.collect()
    started = time.perf_counter()
    verifier.check(verifier.inputs)
    return time.perf_counter() - started


def _announce(queue: Any) -> None:
    queue.put(os.getpid())


def raw_pool(verifier: Verifier, workers: int) -> tuple[float, float, float]:
    """(seconds to start a pool of `workers` processes, the CPU seconds they used to start,
    seconds to verify all inputs on them in chunks of the audit's batch size). The start is
    reported apart: it is not verification."""
    batch = audit_batches.BATCH
    chunks = [verifier.inputs[i : i + batch] for i in range(0, len(verifier.inputs), batch)]
    gc.collect()
    context = audit_batches.forkserver()  # as the audit's pool
    ready = context.Queue()
    started = time.perf_counter()
    with ProcessPoolExecutor(workers, context, initializer=_announce, initargs=(ready,)) as pool:
        for future in [pool.submit(int) for _ in range(workers)]:  # each submit starts a worker
            future.result()
        pids = {ready.get(timeout=120) for _ in range(workers)}
        up = time.perf_counter()
        start_cpu = sum((process_figures(pid) or (0.0, 0))[0] for pid in pids)
        done = sum(pool.map(verifier.check, chunks))
        elapsed = time.perf_counter() - up
    if done != len(verifier.inputs) or len(pids) != workers:
        raise SystemExit("the pool did not verify every signature")
    return up - started, start_cpu, elapsed


# --- the log under audit -------------------------------------------------------------------------


@dataclass
class Log:
    """A ledger being grown on `url`, with the log key that signs its checkpoints."""

    url: str
    world: World
    log_key: LogKey
    recorded: int = 0  # envelopes recorded so far

    def grow(self, envelopes: Sequence[Prepared], size: int) -> None:
        """Record envelopes until `size` of them are in the log."""
        started, first = time.perf_counter(), self.recorded
        if size <= first:
            return
        record, set_clock = self.world.ledger.record, self.world.clock.set
        for item in envelopes[self.recorded : size]:
            set_clock(item.at)
            record(item.raw, item.signature)
        self.recorded = size
        print(
            f"  recorded statements {first + 1}–{size} in {time.perf_counter() - started:.0f} s; "
            f"the log holds {self.world.ledger.log_size()} entries"
        )

    def open(self) -> Ledger:
        return Ledger(LedgerSettings(database_url=self.url))


@contextmanager
def log_on(backend: str) -> Iterator[Log]:
    with tempfile.TemporaryDirectory(prefix="lienthong-audit-") as directory:
        log_key = LogKey.generate(ORIGIN)
        key_file = Path(directory) / "log.key"
        log_key.save(key_file)
        with fresh_storage(backend, "audit") as url:
            world = World.build(
                url,
                log_key_file=str(key_file),
                checkpoint_every_entries=1000,
                checkpoint_every_seconds=10**9,  # the simulated clock jumps hours at a time
            )
            try:
                yield Log(url, world, log_key)
            finally:
                world.ledger.close()


def run_audit(log: Log, workers: int) -> tuple[float, AuditReport]:
    ledger = log.open()
    try:
        gc.collect()
        started = time.perf_counter()
        report = audit(ledger, log_key=log.log_key.verifier, workers=workers)
        elapsed = time.perf_counter() - started
    finally:
        ledger.close()
    size = log.world.ledger.log_size()
    if not report.ok or report.checked != size or report.root != log.world.ledger.root():
        problems = "; ".join(f.describe() for f in report.findings[:3])
        raise SystemExit(f"the audit did not pass cleanly over {size} entries: {problems}")
    return elapsed, report


# --- CPU and memory of the worker processes, read from /proc -------------------------------------


def descendants(pid: int) -> list[int]:
    found, waiting = [], [pid]
    while waiting:
        current = waiting.pop()
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    children = [int(child) for child in handle.read().split()]
            except OSError:
                continue
            found += children
            waiting += children
    return found


def process_figures(pid: int) -> tuple[float, int] | None:
    """(CPU seconds, peak RSS in kB) of a live process."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        with open(f"/proc/{pid}/status") as handle:
            peak = next(int(line.split()[1]) for line in handle if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), peak


@dataclass
class Descendants:
    """Samples this process's descendants every `interval` s while running: the CPU they used
    (new ones in full, the forkserver's increase) and their largest peak RSS. A worker's last
    sample can miss its last interval."""

    interval: float = 0.1
    first: dict[int, float] = field(default_factory=dict)
    last: dict[int, tuple[float, int]] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)

    def sample(self) -> None:
        for pid in descendants(os.getpid()):
            figures = process_figures(pid)
            if figures is not None:
                self.last[pid] = figures

    def __enter__(self) -> Descendants:
        self.sample()
        self.first = {pid: cpu for pid, (cpu, _) in self.last.items()}
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def cpu(self) -> float:
        return sum(cpu - self.first.get(pid, 0.0) for pid, (cpu, _) in self.last.items())

    @property
    def workers_peak_kb(self) -> int:
        fresh = [peak for pid, (_, peak) in self.last.items() if pid not in self.first]
        return max(fresh, default=0)


# --- rounds --------------------------------------------------------------------------------------


@dataclass
class Rounds:
    seconds: dict[str, list[float]] = field(default_factory=dict)
    cpu_main: list[float] = field(default_factory=list)  # the parallel audit's own process
    cpu_workers: list[float] = field(default_factory=list)
    checked: int = 0

    def add(self, name: str, seconds: float) -> None:
        self.seconds.setdefault(name, []).append(seconds)

    def median(self, name: str) -> float:
        return statistics.median(self.seconds[name])


def timed_rounds(log: Log, verifier: Verifier, repeats: int) -> Rounds:
    rounds = Rounds()
    n = len(verifier.inputs)

    def raw_on_pool() -> None:
        start, start_cpu, verify = raw_pool(verifier, CPUS)
        rounds.add("pool start", start)
        rounds.add("pool start cpu", start_cpu)
        rounds.add("raw pool", verify)

    def parallel_audit() -> None:
        cpu = time.process_time()
        with Descendants() as children:
            elapsed, report = run_audit(log, CPUS)
        rounds.cpu_main.append(time.process_time() - cpu)
        rounds.cpu_workers.append(children.cpu)
        rounds.checked = report.checked
        rounds.add("audit", elapsed)
        rounds.add("audit pool start", report.pool_start)

    steps: list[tuple[str, Callable[[], None]]] = [
        ("raw pool", raw_on_pool),
        ("audit", parallel_audit),
        ("raw single", lambda: rounds.add("raw single", raw_single(verifier))),
        ("audit single", lambda: rounds.add("audit single", run_audit(log, 1)[0])),
    ]
    for round_ in range(repeats):
        for _, step in steps if round_ % 2 == 0 else steps[::-1]:
            step()
        print(
            f"  round {round_ + 1}: raw × {CPUS} {n / rounds.seconds['raw pool'][-1]:7,.0f}/s   "
            f"audit ({CPUS} workers) {rounds.checked / rounds.seconds['audit'][-1]:6,.0f}/s   "
            f"raw × 1 {n / rounds.seconds['raw single'][-1]:7,.0f}/s   "
            f"audit (1) {rounds.checked / rounds.seconds['audit single'][-1]:6,.0f}/s"
        )
    return rounds


# --- memory: the audit in a fresh process ---------------------------------------------------------


def memory_child(url: str, verifier_line: str, workers: int) -> int:
    """Run in a child process: audit the log at `url` and print the figures as JSON."""
    ledger = Ledger(LedgerSettings(database_url=url))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    with Descendants(interval=0.05) as children:
        report = audit(ledger, log_key=note.parse_verifier(verifier_line), workers=workers)
    figures = {
        "checked": report.checked,
        "ok": report.ok,
        "seconds": time.perf_counter() - started,
        "before_kb": before,
        "after_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "vmhwm_kb": peak_rss_kb(),
        "children_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
        "workers_kb": children.workers_peak_kb,
    }
    ledger.close()
    print(json.dumps(figures))
    return 0


LAUNCH = "import subprocess, sys; sys.exit(subprocess.run(sys.argv[1:]).returncode)"


def peak_rss_kb() -> int:
    """VmHWM of this process: the kernel's peak RSS of its current address space."""
    with open("/proc/self/status") as handle:
        return next(int(line.split()[1]) for line in handle if line.startswith("VmHWM:"))


def measure_memory(log: Log, workers: int) -> dict[str, Any]:
    command = [
        sys.executable,
        str(Path(__file__)),
        "--memory-child",
        log.url,
        "--log-verifier",
        log.log_key.verifier.line(),
        "--workers",
        str(workers),
    ]
    # Through a small intermediate process: Linux carries a process's maxrss across fork and
    # exec, so a child of this (large) process would report this process's peak as its own.
    launcher = [sys.executable, "-c", LAUNCH]
    done = subprocess.run(
        [*launcher, *command], capture_output=True, text=True, check=True, cwd=ROOT
    )
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if not figures["ok"]:
        raise SystemExit("the audit in the child process found problems")
    return figures


# --- where a single-process audit's time goes -----------------------------------------------------


STEPS = {
    "places": "DB read, main: entries' places + leaves (Reader)",
    "rows": "DB read, workers: stored rows (Reader.rows)",
    "decode": "stored state decode (msgspec: raw, signature, recorded_at)",
    "leaf": "leaf hash (canonical encode + SHA-256)",
    "parse": "schema.parse (canonical decode + field checks)",
    "verify": "signature (signing.verify, libsodium)",
    "tree": "tree (CompactRange.append)",
}


class Stopwatch:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = dict.fromkeys(STEPS, 0.0)
        self._last = time.perf_counter()

    def lap(self, step: str) -> None:
        now = time.perf_counter()
        self.seconds[step] += now - self._last
        self._last = now


def step_timings(log: Log) -> dict[str, float]:
    """The audit's steps, range by range as the audit reads them, timed one after the other in
    this process (seconds per step over the whole log)."""
    ledger = log.open()
    address = audit_store.address_of(ledger)
    if address is None:
        raise SystemExit("the bench's store has no address the workers could open")
    reader = audit_store.Reader(address)
    batch = audit_batches.RANGE
    keys = audit_batches.all_keys(ledger)
    tree = merkle.CompactRange()
    watch = Stopwatch()
    try:
        start, leaf = 1, 0
        while True:
            watch.lap("places")  # resets the stopwatch
            places = reader.keys(start, batch)
            reader.leaves(leaf, len(places))
            watch.lap("places")
            if not places:
                break
            rows = reader.rows(places[0].id, places[-1].id)
            watch.lap("rows")
            entries = [audit_entries._recorded(row[4]) for row in rows]
            watch.lap("decode")
            leaves = [tlog.entry_leaf_hash(*e) for e in entries]
            watch.lap("leaf")
            statements = [schema.parse(e[0], max_bytes=len(e[0])) for e in entries]
            watch.lap("parse")
            for statement, entry in zip(statements, entries, strict=True):
                signing.verify(keys[statement.key], entry[0], entry[1])
            watch.lap("verify")
            for value in leaves:
                tree.append(value)
            watch.lap("tree")
            leaf += len(places)
            if len(places) < batch:
                break
            start = places[-1].id + 1
    finally:
        reader.close()
        ledger.close()
    return {STEPS[step]: seconds for step, seconds in watch.seconds.items()}


PROFILE_GROUPS = [
    # (label, file suffix, function), cumulative time; the groups do not nest in one another
    ("DB read (Reader: places, leaves, rows; select_events)", None, None),
    ("stored state decode (_recorded)", "ledger/log/audit/entries.py", "_recorded"),
    ("leaf hash (tlog.entry_leaf_hash)", "ledger/log/tlog.py", "entry_leaf_hash"),
    ("schema.parse", "ledger/statements/schema.py", "parse"),
    ("signature (signing.verify)", "ledger/statements/signing.py", "verify"),
    ("tree (CompactRange.append)", "ledger/log/merkle.py", "append"),
    ("checkpoints (notes, consistency proofs)", "ledger/log/audit/auditor.py", "_checkpoint"),
    ("order checks (_order_checks)", "ledger/log/audit/auditor.py", "_order_checks"),
    ("chain check (_check_chain)", "ledger/log/audit/auditor.py", "_check_chain"),
]
DB_READS = [
    ("eventsourcing/sqlite.py", "select_notifications"),  # the keys, before the pass
    ("eventsourcing/postgres.py", "select_notifications"),
    ("ledger/log/audit/store.py", "keys"),
    ("ledger/log/audit/store.py", "leaves"),
    ("ledger/log/audit/store.py", "rows"),
    ("eventsourcing/sqlite.py", "select_events"),
    ("eventsourcing/postgres.py", "select_events"),
]


def profile_single(log: Log) -> tuple[float, list[tuple[str, float]], pstats.Stats]:
    ledger = log.open()
    profiler = cProfile.Profile()
    try:
        profiler.enable()
        audit(ledger, log_key=log.log_key.verifier, workers=1)
        profiler.disable()
    finally:
        ledger.close()
    stats = pstats.Stats(profiler)
    table = stats.stats  # type: ignore[attr-defined]

    def cumulative(suffix: str, function: str) -> float:
        return float(
            sum(
                value[3]
                for (filename, _, name), value in table.items()
                if filename.replace(os.sep, "/").endswith(suffix) and name == function
            )
        )

    def caller_share(suffix: str, function: str, caller: str) -> float:
        return float(
            sum(
                edge[3]
                for (filename, _, name), value in table.items()
                if filename.replace(os.sep, "/").endswith(suffix) and name == function
                for (_, _, calling), edge in value[4].items()
                if calling == caller
            )
        )

    total = cumulative("ledger/log/audit/auditor.py", "audit")
    groups = []
    for label, suffix, function in PROFILE_GROUPS:
        if suffix is None or function is None:
            seconds = sum(cumulative(s, f) for s, f in DB_READS)
        else:
            seconds = cumulative(suffix, function)
        if function == "check_chains":
            seconds -= caller_share("ledger/log/audit/entries.py", "entry_state", "check_chains")
        groups.append((label, seconds))
    groups.append(
        (
            "rest: examine itself, Checked records, pairing, loops",
            total - sum(seconds for _, seconds in groups),
        )
    )
    return total, groups, stats


def breakdown(log: Log, checked: int, command: str) -> None:
    print(f"\n  where a single-process audit's time goes ({checked} entries):")
    print(f"  command: {command}")
    passes = []
    for _ in range(2):  # the faster of two passes of each: less of the machine's noise
        passes.append((run_audit(log, 1)[0], step_timings(log)))
    reference = min(seconds for seconds, _ in passes)
    times = min((steps for _, steps in passes), key=lambda steps: sum(steps.values()))
    print(
        f"    the steps, batch by batch, timed with perf_counter (the faster of 2 passes), beside "
        f"an audit with workers=1 (the faster of 2): {1e6 * reference / checked:.0f} µs/entry"
    )
    print(f"      {'step':50} {'µs/entry':>8} {'% of audit':>10}")
    for label, seconds in sorted(times.items(), key=lambda kv: -kv[1]):
        print(f"      {label:50} {1e6 * seconds / checked:8.1f} {100 * seconds / reference:9.1f}%")
    rest = reference - sum(times.values())
    print(
        f"      {'rest (audit − steps): records, order checks, ids':50} "
        f"{1e6 * rest / checked:8.1f} {100 * rest / reference:9.1f}%"
    )
    total, groups, stats = profile_single(log)
    print(f"    under cProfile (audit: {total:.1f} s; it inflates Python-heavy steps):")
    for label, seconds in groups:
        print(f"      {label:58} {100 * seconds / total:5.1f}%")
    print("    cProfile, top 10 functions by own time:")
    table = stats.stats  # type: ignore[attr-defined]
    ordered = sorted(table.items(), key=lambda kv: kv[1][2], reverse=True)[:10]
    for (filename, line, function), value in ordered:
        short = "/".join(Path(filename).parts[-2:]) if filename != "~" else "~"
        print(
            f"      {value[2]:6.2f} s own {value[1] / checked:6.2f} calls/entry  "
            f"{short}:{line}({function})"
        )


# --- main ----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--n", type=int, default=20_000, help="signed statements in the log; a multiple of 4"
    )
    parser.add_argument("--repeats", type=int, default=3, help="rounds of the four timings")
    parser.add_argument(
        "--memory-sizes",
        default=None,
        help="comma-separated log sizes (statements) for the peak-memory runs; default N,4N; "
        "'' for none",
    )
    parser.add_argument("--profile", choices=["auto", "always", "never"], default="auto")
    parser.add_argument("--write", metavar="FILE", help="append the result rows as markdown")
    parser.add_argument("--json", metavar="FILE", help="write the summary as JSON")
    parser.add_argument("--memory-child", help=argparse.SUPPRESS)
    parser.add_argument("--log-verifier", help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=CPUS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_child:
        return memory_child(args.memory_child, args.log_verifier, args.workers)
    if args.n < 4 or args.n % 4:
        parser.error("--n must be a positive multiple of 4")
    if args.memory_sizes is None:
        memory_sizes = [args.n, 4 * args.n]
        shown = f"{args.n},{4 * args.n}"
    else:
        memory_sizes = [int(size) for size in args.memory_sizes.split(",") if size.strip()]
        shown = args.memory_sizes
    if any(size < 4 or size % 4 for size in memory_sizes):
        parser.error("--memory-sizes must be positive multiples of 4")
    command = (
        f"python bench/audit.py --backend {args.backend} --n {args.n} --repeats {args.repeats} "
        f"--memory-sizes '{shown}' --profile {args.profile}"
    )
    print(machine_line())
    print(f"command: {command}")
    started = time.perf_counter()
    envelopes = prepare_envelopes(max([args.n, *memory_sizes]))
    print(
        f"prepared and signed {len(envelopes)} statements in {time.perf_counter() - started:.0f} s"
    )
    verifier = fastest_verifier(verification_items(envelopes[: args.n]))
    # start the fork server once, outside the timings, as the audit starts it (what it preloads)
    raw_pool(verifier, CPUS)
    with log_on(args.backend) as log:
        print(f"\n{args.backend}: building the log")
        log.grow(envelopes, args.n)
        print(
            f"  {args.repeats} rounds (ABBA order) on a log of {log.world.ledger.log_size()} entries"
        )
        rounds = timed_rounds(log, verifier, args.repeats)
        rates = report_rates(args, rounds, verifier, command)
        ratio = (rounds.checked / rounds.median("audit")) / (
            len(verifier.inputs) / rounds.median("raw pool")
        )
        if args.profile == "always" or (args.profile == "auto" and ratio < TARGET):
            breakdown(log, rounds.checked, command)
        memory = []
        for size in sorted(set(memory_sizes)):
            if size < log.recorded:
                print(f"  (memory size {size} is below the log's size; skipped)")
                continue
            log.grow(envelopes, size)
            for workers in (CPUS, 1):
                memory.append((workers, measure_memory(log, workers)))
        if memory:
            report_memory(args, memory, command)
    memory_rows = [{"workers": workers, **figures} for workers, figures in memory]
    write_json(args.json, command, {"n": args.n, "rates": rates, "memory": memory_rows})
    return 0


def report_rates(
    args: argparse.Namespace, rounds: Rounds, verifier: Verifier, command: str
) -> dict[str, Any]:
    n, checked = len(verifier.inputs), rounds.checked
    raw_pool_rate = n / rounds.median("raw pool")
    raw_one = n / rounds.median("raw single")
    audit_rate = checked / rounds.median("audit")
    audit_one = checked / rounds.median("audit single")
    cpu_main = statistics.median(rounds.cpu_main)
    cpu_workers = statistics.median(rounds.cpu_workers)
    print(
        f"\n  summary ({args.backend}, {checked} entries = {n} statements + setup, medians of "
        f"{args.repeats} rounds; verifier {verifier.name}):"
    )
    print(f"  command: {command}")
    lines = [
        (f"raw Ed25519 × {CPUS} processes (the limit)", raw_pool_rate, ""),
        (
            f"full audit, workers={CPUS}",
            audit_rate,
            f"{audit_rate / raw_pool_rate:.0%} of raw × {CPUS} (target {TARGET:.0%})",
        ),
        ("raw Ed25519, 1 core", raw_one, ""),
        ("full audit, workers=1", audit_one, f"{audit_one / raw_one:.0%} of raw × 1"),
    ]
    for label, rate, ratio in lines:
        print(f"    {label:38} {rate:9,.0f}/s   {ratio}   ← {command}")
    wall = rounds.median("audit")
    print(
        f"    parallel audit CPU: {cpu_main:.1f} s in the audit's own process + {cpu_workers:.1f} s "
        f"in its workers over {wall:.1f} s wall ({(cpu_main + cpu_workers) / wall:.2f} cores busy "
        f"of {CPUS}); raw verification of the same signatures takes {n / raw_one:.1f} s of CPU"
    )
    start, start_cpu = rounds.median("pool start"), rounds.median("pool start cpu")
    without_start = checked / (rounds.median("audit") - start)
    print(
        f"    starting a pool of {CPUS} worker processes takes {start:.2f} s and {start_cpu:.2f} s "
        f"of CPU (median; forkserver preloading the program and the checks); the audit starts "
        f"its own in the background while it reads, its workers answering after "
        f"{rounds.median('audit pool start'):.2f} s (median). Were a whole pool start on the "
        f"critical path, without it: "
        f"{without_start:,.0f}/s = {without_start / raw_pool_rate:.0%} of raw × {CPUS}"
    )
    work = cpu_main + cpu_workers - start_cpu
    print(
        f"    CPU per entry: parallel audit {1e6 * work / checked:.0f} µs (start excluded; "
        f"{1e6 * cpu_main / checked:.0f} in its own process), single-process audit "
        f"{1e6 / audit_one:.0f} µs (wall), raw verification {1e6 / raw_one:.0f} µs"
    )
    verdict = "meets" if audit_rate / raw_pool_rate >= TARGET else "is BELOW"
    print(f"  the parallel audit {verdict} the target of {TARGET:.0%} of raw × cores")
    write_rows(
        args.write,
        [
            "backend",
            f"audit, {CPUS} workers /s",
            f"raw × {CPUS} /s",
            "**audit / raw × cores**",
            "audit, 1 process /s",
            "raw, 1 core /s",
            "**audit / raw, 1 core**",
            "command",
        ],
        [
            [
                BACKEND_NAME[args.backend],
                f"{audit_rate:,.0f}",
                f"{raw_pool_rate:,.0f}",
                f"**{audit_rate / raw_pool_rate:.0%}**",
                f"{audit_one:,.0f}",
                f"{raw_one:,.0f}",
                f"**{audit_one / raw_one:.0%}**",
                f"`{command}`",
            ]
        ],
    )
    return {
        "entries": checked,
        "workers": CPUS,
        "target": TARGET,
        "verifier": verifier.name,
        "audit": audit_rate,
        "raw_pool": raw_pool_rate,
        "audit_single": audit_one,
        "raw_single": raw_one,
    }


def report_memory(
    args: argparse.Namespace, memory: list[tuple[int, dict[str, Any]]], command: str
) -> None:
    print(
        f"\n  peak memory of the audit ({args.backend}; a fresh process per run; maxrss from "
        f"getrusage, workers' peak RSS = VmHWM sampled from /proc every 50 ms):"
    )
    print(f"  command: {command}")
    print(
        f"    {'entries':>8} {'workers':>7} {'audit s':>7} {'main before MB':>14} "
        f"{'main peak MB':>12} {'workers peak MB':>15}"
    )
    rows = []
    for workers, m in memory:
        cells = [
            f"{m['checked']}",
            f"{workers}",
            f"{m['seconds']:.1f}",
            f"{m['before_kb'] / 1024:.0f}",
            f"{m['after_kb'] / 1024:.0f}",
            f"{m['workers_kb'] / 1024:.0f}" if workers > 1 else "—",
        ]
        print(
            f"    {cells[0]:>8} {cells[1]:>7} {cells[2]:>7} {cells[3]:>14} {cells[4]:>12} "
            f"{cells[5]:>15}   (VmHWM {m['vmhwm_kb'] / 1024:.0f} MB, RUSAGE_CHILDREN "
            f"{m['children_kb'] / 1024:.0f} MB)   ← {command}"
        )
        rows.append([BACKEND_NAME[args.backend], *cells, f"`{command}`"])
    print(
        "    (RUSAGE_CHILDREN counts only children already waited for: the audit's workers are "
        "children of the forkserver, which outlives the audit, hence the /proc sampling)"
    )
    write_rows(
        args.write,
        [
            "backend",
            "entries",
            "workers",
            "audit s",
            "main maxrss before, MB",
            "main maxrss after, MB",
            "workers peak RSS, MB",
            "command",
        ],
        rows,
    )


if __name__ == "__main__":
    sys.exit(main())
