"""Read-model benchmarks: rebuild against bare replay, stall queries at a million dossiers, lag.

Run by hand, not in CI, from the repository root:

    python bench/views.py rebuild --backend sqlite|postgres|all --n N --repeats R
                                  [--memory-sizes N1,N2,...] [--write FILE] [--json FILE]
    python bench/views.py stalls --backend sqlite|postgres|all --dossiers D --runs R
                                 [--open-share F] [--backlog-share F] [--seed S] [--write FILE]
    python bench/views.py lag --backend sqlite|postgres|all --count C --rate HZ
                              [--polls 0.05,0.5] [--pg-poll S] [--race-trials T] [--write FILE]

rebuild  N signed statements (bench/record.py's envelopes, signed before any timing: N/4 dossiers
         × received, dispatched, acknowledged, dispatched) recorded into a `tests.world.World`
         ledger, with a Projector catching up every 997 statements (the incremental build). Then,
         in rounds in ABBA order on that one ledger: `Projector.rebuild()` (empty the views, apply
         the whole log, a batch per transaction) against a bare replay — the same notifications
         read with `ledger.recorder.select_notifications` in the same batch size and decoded with
         `ledger.mapper.to_domain_event`, no view writes. After every rebuild the views must
         equal the incremental build's dump. Also measured apart: the projection's own decode of
         every entry (`Decoded.of`: the event's fields from its stored state, its statement's by
         a trusted decode); and with `--profile`, one rebuild under cProfile by step (on
         PostgreSQL, then how the batches' reads were planned: custom or generic plans).
         `--memory-sizes` then grows the log to each size (statements; `Ledger.record_many`,
         untimed) and rebuilds the views in a fresh process (launched through a small one, as
         bench/audit.py does: Linux carries maxrss over fork and exec), which reports getrusage
         maxrss before and after the rebuild and its VmHWM.
stalls   The Trà Vinh registry seeded (ledger/reference/seed.py, demo authority key), then D synthetic
         dossiers written straight into `lienthong_location` (with the legs and suspensions the
         open ones need): real office ids of each period, the thirteen procedures, appointed
         times from `sla.appointed_for` on the working-day calendar, received over ten years,
         a share open (held, in transit, awaiting a supplement), most of them recent, some a
         backlog. A first query (untimed) counts and keeps the held dossiers' level deadlines
         (ledger/views/turns.py), as the server's first query after the dossiers changed would.
         On PostgreSQL the loaded tables and the kept deadlines are vacuumed and analysed, as a
         server's autovacuum does within a minute (the test server runs without it).
         Then, per run, each of: `Inspector(...).stalls(now)` unfiltered, by office
         subtree 84, by rule, by procedure; its first page, `stalls(now, limit=100)` (the 100
         most overdue and the next, read as far as that: checked against the whole list's first
         101); and the baseline, one
         `SELECT count(*) FROM lienthong_location WHERE status <> 'closed'` on the view's own
         connection. Every result is checked against an independent evaluation of the four rules
         over the rows as generated (counts per rule, filters, a sample of stalls field by field).
lag      A Projector following in a thread (`follow(stop, poll_seconds)`: SQLite polls, PostgreSQL
         waits on LISTEN/NOTIFY and catches up on a timer too, measured only once its connection
         listens), statements recorded one at a time from the main thread at a steady rate. Per
         statement: `record()`'s own latency (the baseline, also measured before the follower
         starts), and from `record()` returning to the batch holding it being committed to the
         views (`Projector.apply` returning) and to `wait_for(its notification id)` returning in
         a waiting thread.
         `--race-trials` starts PostgreSQL followers without waiting for LISTEN while a statement
         is being recorded (its commit falls around the LISTEN): how often its NOTIFY is lost and
         the follower's timer has to find it, or it is never seen.

Each result row prints the command that produced it; `--write FILE` appends the markdown rows;
`--json FILE` writes the summary as JSON (read by bench/suite.py).
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import gc
import hashlib
import json
import pstats
import queue
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import astuple, dataclass, field
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402

from bench.audit import LAUNCH, peak_rss_kb  # noqa: E402
from bench.log import BACKEND_NAME, backends, machine_line, write_json, write_rows  # noqa: E402
from bench.record import (  # noqa: E402
    YEARS_OF_TOLERANCE,
    Prepared,
    fresh_storage,
    prepare_envelopes,
    record_in_batches,
    registry_heads,
)
from domain.calendar import WorkCalendar  # noqa: E402
from domain.instant import MICROS, local_date, start_of  # noqa: E402
from domain.procedure import ProcedureVersion  # noqa: E402
from ledger.application import Ledger  # noqa: E402
from ledger.config import LedgerSettings  # noqa: E402
from ledger.reference.calendar import load_calendar  # noqa: E402
from ledger.reference.seed import REFORM, office_statements, procedure_versions, seed_travinh  # noqa: E402
from ledger.simulation.demo import AUTHORITY_KEY_NAME, demo_key  # noqa: E402
from ledger.statements.authoring import Signer, initialise  # noqa: E402
from ledger.views import projector as projections  # noqa: E402
from ledger.views.projector import Projector  # noqa: E402
from ledger.views.sla import Inspector, Stall, appointed_for  # noqa: E402
from ledger.views.tables import LEG_COLUMNS, LOCATION_COLUMNS  # noqa: E402
from tests.world import World  # noqa: E402

DAY_US = 86_400 * MICROS
INCREMENTAL_EVERY = 997  # statements between catch-ups while building the log (batches misalign)


def run_header() -> str:
    """The machine and the code measured: the commit, and whether ledger/ or domain/ differ."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip()

    dirty = " (ledger/ or domain/ modified)" if git("status", "--short", "ledger", "domain") else ""
    return f"{machine_line()}; commit {git('rev-parse', '--short', 'HEAD')}{dirty}"


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (share in 0..1) of a non-empty sample."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def command_line(argv: Sequence[str]) -> str:
    """The command as typed, without `--write FILE` or `--json FILE` (where the results go is not
    how they were made)."""
    kept, skip = [], False
    for arg in argv:
        if skip or arg.startswith(("--write=", "--json=")):
            skip = False
            continue
        if arg in ("--write", "--json"):
            skip = True
            continue
        kept.append(arg)
    return "python bench/views.py " + " ".join(kept)


# --- rebuild against bare replay ---------------------------------------------------------------


def record_all(world: World, envelopes: Sequence[Prepared], projector: Projector) -> None:
    record, set_clock = world.ledger.record, world.clock.set
    for done, item in enumerate(envelopes, 1):
        set_clock(item.at)
        record(item.raw, item.signature)
        if done % INCREMENTAL_EVERY == 0:
            projector.catch_up()
    projector.catch_up()


def bare_replay(ledger: Ledger, batch: int = projections.BATCH) -> int:
    """Read and decode every notification as `catch_up` does, writing nothing."""
    select, decode = ledger.recorder.select_notifications, ledger.mapper.to_domain_event
    start, count = 1, 0
    while notifications := select(start, batch):
        for notification in notifications:
            decode(notification)
        count += len(notifications)
        start = notifications[-1].id + 1
    return count


@dataclass
class RebuildResult:
    entries: int
    replay: list[float] = field(default_factory=list)  # seconds per round
    rebuild: list[float] = field(default_factory=list)
    profile: list[tuple[str, float]] = field(default_factory=list)
    decode: float = 0.0  # seconds to decode every entry as the projection does, measured apart
    memory: list[dict[str, Any]] = field(default_factory=list)  # a rebuild in a fresh process

    def ratios(self) -> list[float]:
        return [a / b for a, b in zip(self.replay, self.rebuild, strict=True)]  # rebuild/replay


def bench_rebuild(
    backend: str,
    envelopes: list[Prepared],
    heads: list[Any],
    repeats: int,
    profile: bool,
    memory_sizes: Sequence[int] = (),
    grow_from: Sequence[Prepared] = (),
) -> RebuildResult:
    """Rebuild against bare replay on a log of the envelopes; then, for each of `memory_sizes`
    (statements), the log grown to it from `grow_from` (which starts with the envelopes) and
    rebuilt in a fresh process."""
    print(f"\n{backend}: recording {len(envelopes)} statements ...", flush=True)
    with fresh_storage(backend, "rebuild") as url:
        # the tolerance only matters to record_in_batches (growing the log for --memory-sizes)
        world = World.build(url, clock_tolerance_seconds=YEARS_OF_TOLERANCE)
        projector = Projector(world.ledger)
        try:
            if registry_heads(world) != heads:
                raise SystemExit(
                    "the target World differs from the one the envelopes were signed on"
                )
            started = time.perf_counter()
            record_all(world, envelopes, projector)
            incremental = projector.dump()
            total = world.ledger.recorder.max_notification_id() or 0
            print(
                f"  recorded in {time.perf_counter() - started:.0f} s; {total} log entries; "
                f"views built incrementally: {len(incremental['location'])} locations, "
                f"{len(incremental['legs'])} legs"
            )
            result = RebuildResult(total)
            for round_ in range(repeats):
                order = ("replay", "rebuild") if round_ % 2 == 0 else ("rebuild", "replay")
                for variant in order:
                    gc.collect()
                    started = time.perf_counter()
                    count = (
                        bare_replay(world.ledger) if variant == "replay" else projector.rebuild()
                    )
                    getattr(result, variant).append(time.perf_counter() - started)
                    if count != total:
                        raise SystemExit(f"{variant} went through {count} entries, not {total}")
                    if variant == "rebuild" and projector.dump() != incremental:
                        raise SystemExit("the rebuilt views differ from the incremental build")
                print(
                    f"  round {round_ + 1} ({', '.join(order)}): replay "
                    f"{total / result.replay[-1]:7.0f}/s   rebuild {total / result.rebuild[-1]:6.0f}/s"
                    f"   rebuild/replay {result.ratios()[-1]:.3f}",
                    flush=True,
                )
            print("  every rebuild's views equal the incremental build, row for row")
            result.decode = decode_seconds(world.ledger)
            if profile:
                result.profile = profile_rebuild(projector, total)
                if backend == "postgres":
                    print_read_plans(projector)
            recorded = len(envelopes)
            for size in sorted(set(memory_sizes)):
                if size < recorded:
                    print(f"  (memory size {size} is below the log's size; skipped)")
                    continue
                started = time.perf_counter()
                record_in_batches(world, grow_from[recorded:size])
                recorded = size
                print(
                    f"  grew the log to {world.ledger.log_size()} entries in "
                    f"{time.perf_counter() - started:.0f} s",
                    flush=True,
                )
                result.memory.append(rebuild_memory(url, world.ledger.log_size()))
            return result
        finally:
            projector.close()
            world.ledger.close()


def rebuild_memory(url: str, entries: int) -> dict[str, Any]:
    """Rebuild the views of the log at `url` in a fresh process: its peak memory, and the time."""
    child = [sys.executable, str(Path(__file__)), "rebuild", "--memory-child", url]
    # Through a small intermediate process: Linux carries a process's maxrss across fork and
    # exec, so a child of this (large) process would report this process's peak as its own.
    done = subprocess.run(
        [sys.executable, "-c", LAUNCH, *child], capture_output=True, text=True, check=True, cwd=ROOT
    )
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if figures["entries"] != entries:
        raise SystemExit(f"the rebuild went through {figures['entries']} entries, not {entries}")
    print(
        f"  rebuild of {entries} entries in a fresh process: {figures['seconds']:.0f} s, maxrss "
        f"{figures['before_kb'] / 1024:.0f} MB before, {figures['after_kb'] / 1024:.0f} MB after "
        f"(VmHWM {figures['vmhwm_kb'] / 1024:.0f} MB)",
        flush=True,
    )
    return figures


def memory_child(url: str) -> int:
    """Run in a child process: rebuild the views of the log at `url`, print the figures as JSON."""
    ledger = Ledger(LedgerSettings(database_url=url))
    projector = Projector(ledger)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    entries = projector.rebuild()
    figures = {
        "entries": entries,
        "seconds": time.perf_counter() - started,
        "before_kb": before,
        "after_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "vmhwm_kb": peak_rss_kb(),
    }
    projector.close()
    ledger.close()
    print(json.dumps(figures))
    return 0


def decode_seconds(ledger: Ledger) -> float:
    """Seconds the projection's decode of each entry takes over the whole log (`Decoded.of`: the
    event's class, its fields from the stored state and its statement's by a trusted decode),
    measured apart: what the rebuild decodes beside the bare replay's `to_domain_event`."""
    notifications: list[Any] = []
    start = 1
    while batch := ledger.recorder.select_notifications(start, projections.BATCH):
        notifications.extend(batch)
        start = batch[-1].id + 1
    decode = projections.Decoded.of
    gc.collect()
    started = time.perf_counter()
    for notification in notifications:
        decoded = decode(ledger, notification)
        if decoded.problem is not None:
            raise SystemExit(f"entry {notification.id} cannot be decoded: {decoded.problem}")
    return time.perf_counter() - started


def profile_rebuild(projector: Projector, total: int) -> list[tuple[str, float]]:
    """One rebuild under cProfile: the share of its time in the main steps."""
    profiler = cProfile.Profile()
    profiler.enable()
    projector.rebuild()
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]

    def cumulative(suffix: str, function: str) -> float:
        return float(
            sum(
                value[3]
                for (filename, _line, name), value in stats.items()
                if filename.replace("\\", "/").endswith(suffix) and name == function
            )
        )

    whole = cumulative("ledger/views/projector.py", "rebuild")
    steps = [
        ("select_notifications (read)", cumulative("", "select_notifications")),
        ("to_domain_event (decode)", cumulative("eventsourcing/persistence.py", "to_domain_event")),
        ("Decoded.of (the projection's decode)", cumulative("ledger/views/projector.py", "of")),
        ("  of which rules.said (event state)", cumulative("ledger/views/rules.py", "said")),
        ("  of which rules.facts (statement)", cumulative("ledger/views/rules.py", "facts")),
        ("claim and reads", cumulative("ledger/views/projector.py", "_claim")),
        ("rules (in memory)", cumulative("ledger/views/projector.py", "_apply")),
        (
            "view writes (Batch.write or .copy)",
            cumulative("ledger/views/rules.py", "write")
            + cumulative("ledger/views/rules.py", "copy"),
        ),
        ("begin and commit (transaction)", cumulative("ledger/stores/database.py", "transaction")),
    ]
    print(f"  one rebuild under cProfile ({total / whole:.0f}/s profiled):")
    for label, seconds in steps:
        print(
            f"    {label:36} {100 * seconds / whole:5.1f} %  {1e6 * seconds / total:6.1f} µs/entry"
        )
    return [(label, seconds / whole) for label, seconds in steps]


def print_read_plans(projector: Projector) -> None:
    """How PostgreSQL planned the batches' reads on the projector's connection so far: custom
    plans (for the codes sent) or the generic one (a prepared statement's, for any codes)."""
    rows = projector.view.query(
        "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements "
        "WHERE left(statement, 7) = 'SELECT ' AND strpos(statement, '= ANY(') > 0"
    )
    for statement, generic, custom in rows:
        table = "legs" if "lienthong_legs" in statement else "location"
        print(f"    reads of {table}: {custom} custom plans, {generic} generic (this connection)")


def command_rebuild(args: argparse.Namespace, command: str) -> int:
    print(run_header())
    started = time.perf_counter()
    memory_sizes = [int(size) for size in args.memory_sizes.split(",") if size.strip()]
    prepared = prepare_envelopes(max([args.n, *memory_sizes]))
    envelopes = prepared[: args.n]
    reference = World.build("memory:")
    heads = registry_heads(reference)
    reference.ledger.close()
    print(
        f"prepared and signed {len(prepared)} statements in {time.perf_counter() - started:.0f} s"
    )
    rows = []
    results = {
        backend: bench_rebuild(
            backend, envelopes, heads, args.repeats, args.profile, memory_sizes, prepared
        )
        for backend in backends(args.backend)
    }
    print(f"\nsummary (entries/s, medians of {args.repeats} rounds in ABBA order)")
    print(f"  {'backend':10} {'replay':>8} {'rebuild':>8} {'rebuild/replay':>15} {'rounds':>12}")
    for backend, r in results.items():
        replay = r.entries / statistics.median(r.replay)
        rebuild = r.entries / statistics.median(r.rebuild)
        ratio = statistics.median(r.ratios())
        spread = f"{min(r.ratios()):.3f}–{max(r.ratios()):.3f}"
        cost = 1e6 * (statistics.median(r.rebuild) - statistics.median(r.replay)) / r.entries
        decode = 1e6 * r.decode / r.entries
        print(
            f"  {backend:10} {replay:8.0f} {rebuild:8.0f} {ratio:15.3f} {spread:>12}"
            f"   +{cost:.0f} µs/entry; the projection's decode {decode:.1f} µs/entry   ← {command}"
        )
        rows.append(
            [
                BACKEND_NAME[backend],
                f"{r.entries}",
                f"{replay:,.0f}",
                f"{rebuild:,.0f}",
                f"**{ratio:.3f}**",
                spread,
                f"{cost:.0f}",
                f"{decode:.1f}",
                f"`{command}`",
            ]
        )
    write_rows(
        args.write,
        [
            "backend",
            "entries",
            "bare replay /s",
            "rebuild /s",
            "**rebuild / replay**",
            "rounds",
            "rebuild − replay µs/entry",
            "the projection's decode µs/entry",
            "command",
        ],
        rows,
    )
    summary = {
        backend: {
            "entries": r.entries,
            "replay": r.entries / statistics.median(r.replay),
            "rebuild": r.entries / statistics.median(r.rebuild),
            "ratio": statistics.median(r.ratios()),
            "memory": r.memory,
        }
        for backend, r in results.items()
    }
    write_json(args.json, command, {"n": args.n, "backends": summary})
    for backend, r in results.items():
        for m in r.memory:
            print(
                f"  peak memory of a rebuild ({backend}, fresh process): {m['entries']} entries, "
                f"maxrss {m['after_kb'] / 1024:.0f} MB (before: {m['before_kb'] / 1024:.0f} MB)"
                f"   ← {command}"
            )
    return 0


# --- stalls at a million dossiers: the synthetic read model -------------------------------------


@dataclass(frozen=True)
class Era:
    """The hierarchy in force over a period: each commune's office at each level above it."""

    starts: int  # instant
    communes: list[str]
    chain: dict[str, dict[str, str]]  # commune -> level -> office id


@dataclass
class Registry:
    eras: list[Era]
    levels: dict[str, str]  # office id -> level
    versions: dict[str, list[ProcedureVersion]]  # procedure -> versions (from the ledger)
    budgets: dict[tuple[str, int], list[dict[str, Any]]]  # (procedure, version) -> route, from CSV

    def era(self, instant: int) -> Era:
        found = self.eras[0]
        for era in self.eras:
            if era.starts <= instant:
                found = era
        return found


def read_registry(ledger: Ledger) -> Registry:
    ids = [subject for kind, subject, _ in office_statements() if kind == "office.established"]
    offices = {office: ledger.office(office) for office in ids}
    eras = []
    for first, probe in (
        (date(2000, 1, 1), date(2024, 12, 31)),
        (date(2025, 1, 1), date(2025, 6, 30)),
        (date.fromisoformat(REFORM), date.fromisoformat(REFORM)),
    ):
        active = [o for o in offices.values() if o.active_on(probe)]
        chain: dict[str, dict[str, str]] = {}
        for office in active:
            if office.level != "commune":
                continue
            levels: dict[str, str] = {}
            current: str | None = office.subject
            while current is not None:
                levels[offices[current].level] = current
                current = offices[current].parent_on(probe)
            chain[office.subject] = levels
        eras.append(Era(start_of(first), sorted(chain), chain))
    text = (
        resources.files("ledger")
        .joinpath("reference", "data", "procedures.csv")
        .read_text(encoding="utf-8")
    )
    csv_rows = {row["key"]: row for row in csv.DictReader(text.splitlines())}
    versions = {
        key: [
            ledger.procedure(key).get_version(n + 1)
            for n in range(len(ledger.procedure(key).versions))
        ]
        for key in csv_rows
    }
    budgets = {
        (key, v["version"]): v["route"]
        for key, row in csv_rows.items()
        for v in procedure_versions(row)
    }
    return Registry(eras, {k: o.level for k, o in offices.items()}, versions, budgets)


class Row(NamedTuple):
    """A `lienthong_location` row as generated; written by column name, so a column the
    projection adds later without a default makes the insert fail loudly."""

    code: str
    procedure: str
    version: int
    status: str
    received_by: str
    received_at: int
    custodian: str | None
    transit_from: str | None
    transit_to: str | None
    since: int
    appointed: int
    suspended_since: int | None
    suspended_us: int
    hops: int
    decided: str | None
    decided_at: int | None
    closed_at: int | None
    channel: str
    held_since: int
    last_seq: int
    appointed_at_receipt: int  # none of these dossiers was re-appointed: `appointed`
    first_apology_at: int | None = None


@dataclass
class Synthetic:
    """Rows for the views, and the truth about the open dossiers to check stalls against."""

    locations: list[Row]
    legs: list[tuple[Any, ...]]
    suspensions: list[tuple[Any, ...]]
    open_rows: dict[str, Row]
    windows: dict[str, list[tuple[int, int]]]  # code -> finished suspensions after `since`
    seconds: float


class Generator:
    """Deterministic synthetic dossiers over ten years up to `now` (see the module docstring)."""

    def __init__(self, registry: Registry, calendar: WorkCalendar, now: int, seed: int) -> None:
        self.registry, self.calendar, self.now = registry, calendar, now
        self.rng = random.Random(seed)
        self.today = local_date(now)
        self.procedures = sorted(registry.versions)
        self.weights = [1 / (rank + 1) for rank in range(len(self.procedures))]  # Zipf-like
        self._appointed: dict[tuple[str, int, date, bool], int] = {}
        self._midnight: dict[date, int] = {}

    def received_at(self, max_days: int) -> int:
        rng = self.rng
        day = self.today - timedelta(days=rng.randrange(max_days))
        while not self.calendar.is_working_day(day):
            day -= timedelta(days=1)
        midnight = self._midnight.get(day)
        if midnight is None:
            midnight = self._midnight[day] = start_of(day)
        offset = rng.randrange(int(7.5 * 3600), int(16.5 * 3600)) * MICROS
        return min(midnight + offset, self.now - rng.randrange(1, 3600) * MICROS)

    def appointed(self, procedure: str, version: ProcedureVersion, received: int) -> int:
        """sla.appointed_for, cached: it depends only on the counting day and the version's
        cut-off (if any)."""
        day = local_date(received)
        key = (procedure, version.version, day, received - start_of(day) > 15 * 3600 * MICROS)
        if key not in self._appointed:
            self._appointed[key] = appointed_for(version, received, self.calendar)
        return self._appointed[key]

    def build(self, count: int, open_share: float, backlog_share: float) -> Synthetic:
        started = time.perf_counter()
        out = Synthetic([], [], [], {}, {}, 0.0)
        rng = self.rng
        for index in range(count):
            procedure = rng.choices(self.procedures, self.weights)[0]
            if rng.random() < open_share:
                recent = rng.random() >= backlog_share
                self._open(out, index, procedure, self.received_at(60 if recent else 3650))
            else:
                self._closed(out, index, procedure, self.received_at(3650))
        out.seconds = time.perf_counter() - started
        return out

    def _base(self, index: int, procedure: str, received: int) -> tuple[Any, ...]:
        era = self.registry.era(received)
        number = self.rng.randrange(len(era.communes))
        commune = era.communes[number]
        versions = self.registry.versions[procedure]
        version = versions[-1] if received >= self.registry.eras[-1].starts else versions[0]
        code = f"000.00.{number % 100:02d}.H59-{local_date(received):%y%m%d}-{index:07d}"
        appointed = self.appointed(procedure, version, received)
        if self.rng.random() < 0.03:  # a delay notified: 15 more days
            appointed += 15 * DAY_US
        channel = self.rng.choices(["direct", "online", "postal"], [70, 20, 10])[0]
        return code, commune, version, appointed, channel, era.chain[commune]

    def _closed(self, out: Synthetic, index: int, procedure: str, received: int) -> None:
        rng = self.rng
        code, commune, version, appointed, channel, _ = self._base(index, procedure, received)
        if rng.random() < 0.85:
            closed = received + int(rng.uniform(0.3, 1.0) * (appointed - received))
        else:
            closed = appointed + int(rng.expovariate(1 / 7) * DAY_US)
        if closed >= self.now:
            closed = received + int(rng.random() * (self.now - received))
        withdrawn = rng.random() < 0.02
        decided_at = None if withdrawn else max(received, closed - rng.randrange(2 * DAY_US))
        decided = None if withdrawn else rng.choices(["approved", "refused"], [9, 1])[0]
        hops = 0 if withdrawn else 2 * (len(version.route) - 1)
        out.locations.append(
            Row(code, procedure, version.version, "closed", commune, received, commune, None,
                None, closed, appointed, None, 0, hops, decided, decided_at, closed, channel,
                closed, 2 + 2 * hops, appointed)
        )  # fmt: skip

    def _open(self, out: Synthetic, index: int, procedure: str, received: int) -> None:
        rng, now = self.rng, self.now
        code, commune, version, appointed, channel, chain = self._base(index, procedure, received)
        levels = version.levels
        status = rng.choices(["held", "in_transit", "suspended"], [55, 30, 15])[0]
        step = rng.randrange(len(levels))  # the level it has reached along the route
        if status == "in_transit" and step == 0:
            step = 1 if len(levels) > 1 else 0
            status = "in_transit" if step else "held"
        offices = [commune] + [str(chain.get(level) or chain["province"]) for level in levels[1:]]
        custodian = transit_from = transit_to = suspended_since = None
        suspended_us, hops = 0, step
        if status == "in_transit":  # dispatched from offices[step - 1], not yet acknowledged
            transit_from, transit_to = offices[step - 1], offices[step]
            since = max(received, now - int(rng.expovariate(1 / 3) * DAY_US))
            turn = received if step == 1 else received + int(rng.random() * (since - received))
            self._legs(out, code, offices, received, turn, step - 1)
            out.legs.append(self._leg(code, step, offices, since, None, None))
        else:  # held by offices[step] since its turn began (receipt or acknowledgement)
            custodian = offices[step]
            turn = received if step == 0 else received + int(rng.random() * (now - received))
            self._legs(out, code, offices, received, turn, step)
            since = turn
            if status == "held" and step + 1 < len(offices) and rng.random() < 0.08:
                # a dispatch onward was refused: the dossier moved (since) but its turn goes on
                dispatched = turn + int(rng.random() * 0.9 * (now - turn))
                since = min(now - MICROS, dispatched + rng.randrange(1, 8 * 3600) * MICROS)
                hops = step + 1
                out.legs.append(self._leg(code, hops, offices, dispatched, "rejected", since))
            elif status == "held" and rng.random() < 0.10:  # a supplement awaited, now in
                start = turn + int(rng.uniform(0, 0.5) * (now - turn))
                end = start + int(rng.uniform(0, 0.3) * (now - turn))
                suspended_us = end - start
                out.suspensions.append((code, start, end))
                out.windows[code] = [(start, end)]
        if status == "suspended":
            suspended_since = since + int(rng.random() * (now - since))
            out.suspensions.append((code, suspended_since, None))
        row = Row(code, procedure, version.version, status, commune, received, custodian,
                  transit_from, transit_to, since, appointed, suspended_since, suspended_us, hops,
                  None, None, None, channel, turn, 1 + 2 * hops + (status == "suspended"),
                  appointed)  # fmt: skip
        out.locations.append(row)
        out.open_rows[code] = row

    def _legs(
        self, out: Synthetic, code: str, offices: list[str], received: int, last: int, count: int
    ) -> None:
        """`count` acknowledged hops between receipt and `last`, the last acknowledged then."""
        for hop in range(1, count + 1):
            ended = received + (last - received) * hop // count
            dispatched = max(received, ended - self.rng.randrange(1, 8 * 3600) * MICROS)
            out.legs.append(self._leg(code, hop, offices, dispatched, "acknowledged", ended))

    @staticmethod
    def _leg(
        code: str, hop: int, offices: list[str], at: int, outcome: str | None, ended: int | None
    ) -> tuple[Any, ...]:
        by = offices[hop] if outcome else None
        return (code, hop, hashlib.sha256(f"{code}|{hop}".encode()).digest(), offices[hop - 1],
                f"cb-{offices[hop - 1]}", offices[hop], "process", at, outcome, by,
                by and f"cb-{by}", ended, 0, 0)  # fmt: skip


def insert_sqlite(url: str, data: Synthetic) -> None:
    connection = sqlite3.connect(url.removeprefix("sqlite:///"))
    try:
        with connection:
            for table, columns, rows in tables_of(data):
                marks = ", ".join("?" * len(columns.split(",")))
                insert = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608 — fixed names
                connection.executemany(insert, rows)
    finally:
        connection.close()


def insert_postgres(url: str, data: Synthetic) -> None:
    schema = sql.Identifier(url.rsplit("schema=", 1)[1])
    with (
        psycopg.connect(url.split("?")[0], autocommit=True) as connection,
        connection.transaction(),
        connection.cursor() as cursor,
    ):
        for table, columns, rows in tables_of(data):
            copy = sql.SQL("COPY {}.{} ({}) FROM STDIN").format(
                schema, sql.Identifier(table), sql.SQL(columns)
            )
            with cursor.copy(copy) as writer:
                for row in rows:
                    writer.write_row(row)
    vacuum(url, ("lienthong_location", "lienthong_legs", "lienthong_suspensions"))


def vacuum(url: str, tables: Sequence[str]) -> None:
    """VACUUM (ANALYZE) the tables, as a server's autovacuum does within a minute of a load (since
    PostgreSQL 13 after inserts too: the visibility map an index-only scan needs). The test
    server here runs with autovacuum off."""
    schema = sql.Identifier(url.rsplit("schema=", 1)[1])
    with psycopg.connect(url.split("?")[0], autocommit=True) as connection:
        for table in tables:
            connection.execute(
                sql.SQL("VACUUM (ANALYZE) {}.{}").format(schema, sql.Identifier(table))
            )


def tables_of(data: Synthetic) -> list[tuple[str, str, Sequence[tuple[Any, ...]]]]:
    return [
        ("lienthong_location", ", ".join(Row._fields), data.locations),
        ("lienthong_legs", LEG_COLUMNS, data.legs),
        ("lienthong_suspensions", "code, started_at, ended_at", data.suspensions),
    ]


# --- stalls: an independent evaluation of the four rules, to check every answer -----------------


class Truth:
    """The four rules evaluated from the generated rows, the CSV budgets and the registry's
    levels — not through the Inspector — to check what it returns."""

    def __init__(self, registry: Registry, calendar: WorkCalendar, data: Synthetic, at: int):
        self.registry, self.calendar, self.data, self.at = registry, calendar, data, at
        # the turns taken in along the route (acknowledged hops): which step of a route that
        # passes twice through one level (the old commune, then the new one) a custodian is at
        self.turns = Counter(leg[0] for leg in data.legs if leg[8] == "acknowledged")
        self.rules = {code: self.rules_of(row) for code, row in data.open_rows.items()}
        self.expected = Counter(rule for found in self.rules.values() for rule, *_ in found)

    def working(self, start: int, end: int) -> int:
        return self.calendar.working_micros_between(start, end) // MICROS

    def rules_of(self, row: Row) -> list[tuple[str, int, int, str | None]]:
        """(rule, since, over_seconds, office) for each rule that holds for the open row."""
        at, day = self.at, 8 * 3600
        if row.received_at > at:
            return []
        found: list[tuple[str, int, int, str | None]] = []
        if row.status == "in_transit" and (waited := self.working(row.since, at)) > day:
            found.append(("unacknowledged", row.since, waited - day, row.transit_to))
        deadline = self.turn_deadline(row) if row.status == "held" else None
        if deadline is not None and at > deadline:
            found.append(("over_level_budget", deadline, self.working(deadline, at), row.custodian))
        holder = row.custodian or row.transit_to
        if at > row.appointed:
            found.append(("past_appointed", row.appointed, self.working(row.appointed, at), holder))
        elif self.working(at, row.appointed) <= day:
            found.append(("due_soon", at, 0, holder))
        return found

    def turn_deadline(self, row: Row) -> int | None:
        """The custodian level's budget (from procedures.csv) counted from when its turn began,
        the generated supplement days (all inside the turn) left out."""
        level = self.registry.levels.get(row.custodian or "")
        route = self.registry.budgets[(row.procedure, row.version)]
        place = self.turns[row.code]
        twice = sum(s["level"] == level for s in route) > 1
        if twice and place < len(route) and route[place]["level"] == level:
            return self.deadline_of(row, route[place])
        step = next((s for s in route if s["level"] == level and "days" in s), None)
        return self.deadline_of(row, step)

    def deadline_of(self, row: Row, step: dict[str, Any] | None) -> int | None:
        """A turn's deadline by the route's `step` (None: a step with no stated time)."""
        if step is None or "days" not in step:
            return None
        windows = self.data.windows.get(row.code, [])
        return self.calendar.due_with_suspensions(
            row.held_since, step["days"], step["day_type"], windows, "resume"
        )

    def check(self, stalls: list[Stall], label: str, subset: Callable[[Stall], bool]) -> None:
        """The filtered answer must be exactly the unfiltered truth filtered the same way."""
        got = Counter((s.code, s.rule) for s in stalls)
        rows = self.data.open_rows
        want = Counter(
            (code, rule)
            for code, found in self.rules.items()
            for rule, since, over, office in found
            if subset(
                Stall(
                    code,
                    rule,
                    since,
                    over,
                    office or "",
                    rows[code].procedure,
                    None,
                    received_by=rows[code].received_by,
                )
            )
        )
        if got != want:
            missing, extra = want - got, got - want
            raise SystemExit(
                f"stalls ({label}) differ from the independent evaluation: "
                f"{sum(missing.values())} missing (e.g. {list(missing)[:3]}), "
                f"{sum(extra.values())} extra (e.g. {list(extra)[:3]})"
            )

    def check_sample(self, stalls: list[Stall], per_rule: int = 5) -> int:
        """A few stalls of each rule, field by field, and the rule's condition by hand."""
        checked, at = 0, self.at
        for rule in ("unacknowledged", "over_level_budget", "past_appointed", "due_soon"):
            of_rule = [s for s in stalls if s.rule == rule]
            for stall in of_rule[:: max(1, len(of_rule) // per_rule)][:per_rule]:
                row = self.data.open_rows[stall.code]
                assert [r for r in self.rules[stall.code] if r[0] == rule] == [
                    (rule, stall.since, stall.over_seconds, stall.office)
                ], stall
                assert stall.level == self.registry.levels.get(stall.office), stall
                assert row.status != "closed", stall
                if rule == "unacknowledged":  # in transit, unacknowledged over a working day
                    assert row.status == "in_transit", stall
                    assert stall.office == row.transit_to, stall
                    assert self.working(row.since, at) > 8 * 3600, stall
                elif rule == "over_level_budget":  # held past its level's budget
                    assert row.status == "held", stall
                    assert stall.office == row.custodian, stall
                    assert at > stall.since >= row.held_since, stall
                elif rule == "past_appointed":
                    assert at > row.appointed == stall.since, stall
                else:  # due soon: the appointed time within one working day
                    assert row.appointed >= at, stall
                    assert self.working(at, row.appointed) <= 8 * 3600, stall
                checked += 1
        return checked


# --- stalls: timing ------------------------------------------------------------------------------

VARIANTS: list[tuple[str, dict[str, Any]]] = [
    ("all", {}),
    ("office subtree 84", {"office": "84"}),
    ("rule unacknowledged", {"rule": "unacknowledged"}),
    ("procedure merit-education-preference", {"procedure": "merit-education-preference"}),
    ("first page (100)", {"limit": 100}),
]
PAGE = "first page (100)"
BASELINE = "SELECT count(*) FROM lienthong_location WHERE status <> 'closed'"


@dataclass
class StallResult:
    load_seconds: float
    open_count: int
    micros: dict[str, list[float]]
    found: dict[str, int]
    by_rule: Counter[str]
    checked: int
    plan: str
    profile: list[str]


def subtree(ledger: Ledger, root: str, day: date) -> Callable[[Stall], bool]:
    """Whether a stall's office is at or below `root` on `day`, walked up from the office
    independently of the Inspector. An office no longer active on `day` answers to the office
    that took over its dossiers — for the stall's procedure, the successor named for it, else the
    one it was merged into, else (a dissolution that passes them back) the office that received
    the dossier — and otherwise to its last parent (the rule `Inspector.within` states)."""
    known: dict[tuple[str, str, str], bool] = {}

    def inside(office: str, procedure: str, received_by: str) -> bool:
        key = (office, procedure, received_by)
        if key not in known:
            current: str | None = office
            seen: set[str] = set()
            known[key] = False
            while current is not None and current not in seen:
                if current == root:
                    known[key] = True
                    break
                seen.add(current)
                found = ledger.office(current)
                following = None
                if not found.active_on(day):
                    following = found.successor_for(procedure)
                    if following is None and found.passes_to_receiver:
                        following = received_by if received_by != current else None
                current = following if following is not None else found.parent_on(day)
        return known[key]

    return lambda stall: inside(stall.office, stall.procedure, stall.received_by)


def bench_stalls(
    backend: str, data: Synthetic, registry_of: Callable[[Ledger], Registry], at: int, args: Any
) -> StallResult:
    calendar = load_calendar()
    with fresh_storage(backend, "stalls") as url:
        ledger = Ledger(LedgerSettings(database_url=url))
        projector = Projector(ledger)
        try:
            authority = Signer.authority(ledger, demo_key(AUTHORITY_KEY_NAME))
            initialise(ledger, authority.key)
            seed_travinh(ledger, authority)
            projector.catch_up()
            registry = registry_of(ledger)
            started = time.perf_counter()
            (insert_sqlite if backend == "sqlite" else insert_postgres)(url, data)
            load = time.perf_counter() - started
            print(
                f"\n{backend}: registry seeded ({ledger.log_size()} entries); "
                f"{len(data.locations):,} locations, {len(data.legs):,} legs, "
                f"{len(data.suspensions):,} suspensions written in {load:.0f} s",
                flush=True,
            )
            view = projector.view
            plan = query_plan(view, at)
            print(f"  plan of the open-dossier query: {plan}")
            truth = Truth(registry, calendar, data, at)
            inside = subtree(ledger, "84", local_date(at))
            subsets: dict[str, Callable[[Stall], bool]] = {
                "all": lambda s: True,
                "office subtree 84": inside,
                "rule unacknowledged": lambda s: s.rule == "unacknowledged",
                "procedure merit-education-preference": (
                    lambda s: s.procedure == "merit-education-preference"
                ),
            }
            whole: list[Stall] = []  # the unfiltered list of the first run: the page's check
            # the held dossiers' level deadlines, kept in the views as the server keeps them
            # (ledger/views/turns.py: counted at the first query after a dossier changed; here
            # every dossier arrived at once, so the first query counts them all), untimed; on
            # PostgreSQL then vacuumed, as autovacuum would
            started = time.perf_counter()
            Inspector(ledger, projector, calendar).stalls(at)
            kept = view.query("SELECT count(*) FROM lienthong_turn_deadlines")[0][0]
            if backend == "postgres":
                vacuum(url, ("lienthong_turn_deadlines",))
            print(
                f"  {kept:,} level deadlines counted and kept by a first query in "
                f"{time.perf_counter() - started:.1f} s",
                flush=True,
            )
            micros: dict[str, list[float]] = {name: [] for name in ["baseline", *dict(VARIANTS)]}
            found: dict[str, int] = {}
            checked = 0
            operations = ["baseline", *dict(VARIANTS)]
            for run in range(args.runs):
                rotation = run % len(operations)
                for name in operations[rotation:] + operations[:rotation]:
                    gc.collect()
                    if name == "baseline":
                        started = time.perf_counter()
                        (count,) = view.query(BASELINE)[0]
                        micros[name].append(1e6 * (time.perf_counter() - started))
                        open_count = int(count)
                        continue
                    inspector = Inspector(ledger, projector, calendar)  # as a request makes one
                    started = time.perf_counter()
                    stalls = inspector.stalls(at, **dict(VARIANTS)[name])
                    micros[name].append(1e6 * (time.perf_counter() - started))
                    if run == 0 and name == PAGE:  # ("all" comes before it in the first run)
                        if fields(stalls) != fields(whole[:101]):
                            raise SystemExit("the first page is not the whole list's first 101")
                    elif run == 0:  # the answers are checked once; every run must give as many
                        truth.check(stalls, name, subsets[name])
                        if name == "all":
                            checked = truth.check_sample(stalls)
                            whole = stalls
                    elif len(stalls) != found[name]:
                        raise SystemExit(f"stalls ({name}) changed between runs")
                    found[name] = len(stalls)
                if run == 0:
                    print(
                        f"  run 1: every answer equals the independent evaluation; {checked} "
                        f"stalls checked field by field",
                        flush=True,
                    )
                elif (run + 1) % 5 == 0:
                    done = statistics.median(micros["all"]) / 1e6
                    print(f"  {run + 1} runs (unfiltered p50 so far {done:.1f} s)", flush=True)
            if open_count != len(data.open_rows):
                raise SystemExit(f"{open_count} open rows, {len(data.open_rows)} generated")
            profile = profile_stalls(ledger, projector, calendar, at) if args.profile else []
            return StallResult(
                load, open_count, micros, found, truth.expected, checked, plan, profile
            )
        finally:
            projector.close()
            ledger.close()


def fields(stalls: list[Stall]) -> list[tuple[object, ...]]:
    """Every field of each stall (`received_by` too, which equality leaves out)."""
    return [astuple(s) for s in stalls]


def query_plan(view: Any, at: int) -> str:
    query = (
        f"SELECT {LOCATION_COLUMNS} FROM lienthong_location "  # noqa: S608
        "WHERE status <> 'closed' AND received_at <= ? ORDER BY code"
    )
    if view.kind == "sqlite":
        rows = view.query("EXPLAIN QUERY PLAN " + query, (at,))
        return "; ".join(str(row[-1]) for row in rows)
    rows = view.query("EXPLAIN " + query, (at,))
    return "; ".join(str(row[0]).strip() for row in rows)


def profile_stalls(ledger: Ledger, projector: Projector, calendar: Any, at: int) -> list[str]:
    """One unfiltered stall query under cProfile: where its time goes."""
    inspector = Inspector(ledger, projector, calendar)
    profiler = cProfile.Profile()
    profiler.enable()
    inspector.stalls(at)
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    whole = max(value[3] for value in stats.values())
    lines = [f"  one unfiltered stall query under cProfile: {whole:.2f} s"]
    lines.append("    cumulative time of the steps (calls):")
    for suffix, function in (
        ("ledger/stores/database.py", "query"),
        ("ledger/views/queries.py", "unacknowledged_by"),
        ("ledger/views/queries.py", "appointed_by"),
        ("ledger/views/turns.py", "past_deadline"),
        ("ledger/views/turns.py", "_counted"),
        ("ledger/views/worktime.py", "last_at_most"),
        ("ledger/views/stalls.py", "_kept"),
        ("ledger/views/sla.py", "working_seconds"),
        ("domain/calendar.py", "working_micros_between"),
        ("ledger/views/sla.py", "level_deadline"),
        ("ledger/views/projector.py", "suspensions"),
        ("domain/calendar.py", "due_with_suspensions"),
        ("domain/calendar.py", "is_working_day"),
        ("domain/calendar.py", "_periods"),
        ("ledger/views/sla.py", "within"),
        ("ledger/views/sla.py", "level_of"),
    ):
        entries = [
            value
            for (filename, _line, name), value in stats.items()
            if filename.replace("\\", "/").endswith(suffix) and name == function
        ]
        seconds = sum(value[3] for value in entries)
        calls = sum(value[1] for value in entries)
        lines.append(
            f"      {suffix.rsplit('/', 1)[-1]}:{function:28} {seconds:7.2f} s "
            f"{100 * seconds / whole:5.1f} %  {calls:>10,} calls"
        )
    lines.append("    top functions by own time:")
    ordered = sorted(stats.items(), key=lambda kv: kv[1][2], reverse=True)[:10]
    for (filename, line, function), value in ordered:
        short = "/".join(Path(filename).parts[-2:]) if filename != "~" else "~"
        lines.append(
            f"      {value[2]:6.2f} s own {value[1]:>10,} calls  {short}:{line}({function})"
        )
    print("\n".join(lines))
    return lines


def command_stalls(args: argparse.Namespace, command: str) -> int:
    print(run_header())
    calendar = load_calendar()
    at = int(time.time() * MICROS)
    # the registry (and so the generated rows) comes from a seeded in-memory ledger first
    scratch = Ledger(LedgerSettings(database_url="memory:"))
    authority = Signer.authority(scratch, demo_key(AUTHORITY_KEY_NAME))
    initialise(scratch, authority.key)
    seed_travinh(scratch, authority)
    registry = read_registry(scratch)
    scratch.close()
    data = Generator(registry, calendar, at, args.seed).build(
        args.dossiers, args.open_share, args.backlog_share
    )
    statuses = Counter(row.status for row in data.open_rows.values())
    old = sum(1 for row in data.open_rows.values() if at - row.received_at > 60 * DAY_US)
    print(
        f"generated {len(data.locations):,} dossiers in {data.seconds:.0f} s: "
        f"{len(data.open_rows):,} open ({dict(statuses)}), {old:,} of them received more than "
        f"60 days ago; judged at {at} ({local_date(at)})"
    )
    rows = []
    summary: dict[str, Any] = {}
    for backend in backends(args.backend):
        r = bench_stalls(backend, data, read_registry, at, args)
        base = statistics.median(r.micros["baseline"])
        summary[backend] = {
            "open": r.open_count,
            "found": r.found,
            "p50_ms": {name: statistics.median(t) / 1e3 for name, t in r.micros.items()},
            "p95_ms": {name: percentile(t, 0.95) / 1e3 for name, t in r.micros.items()},
        }
        print(
            f"\n  stall query at {len(data.locations):,} dossiers ({backend}), {args.runs} runs, "
            f"{r.open_count:,} open; stalls by rule {dict(r.by_rule)}:\n  command: {command}"
        )
        print(f"    {'query':42} {'p50 ms':>8} {'p95 ms':>8} {'× count(*)':>10} {'stalls':>7}")
        for name in ["baseline", *dict(VARIANTS)]:
            times = r.micros[name]
            p50, p95 = statistics.median(times), percentile(times, 0.95)
            label = BASELINE if name == "baseline" else f"stalls(now): {name}"
            stalls = "" if name == "baseline" else f"{r.found[name]:,}"
            print(
                f"    {label[:42]:42} {p50 / 1e3:8.1f} {p95 / 1e3:8.1f} {p50 / base:9.1f}× "
                f"{stalls:>7}   ← {command}"
            )
            rows.append(
                [
                    BACKEND_NAME[backend],
                    f"`{BASELINE}`" if name == "baseline" else f"`stalls(now)`: {name}",
                    f"{p50 / 1e3:,.1f}",
                    f"{p95 / 1e3:,.1f}",
                    f"**{p50 / base:,.1f}×**",
                    stalls or f"({r.open_count:,} open)",
                    f"`{command}`",
                ]
            )
    write_rows(
        args.write,
        ["backend", "query", "p50 ms", "p95 ms", "**× count(*)**", "stalls found", "command"],
        rows,
    )
    write_json(args.json, command, {"dossiers": args.dossiers, "backends": summary})
    return 0


# --- lag: append to visible ----------------------------------------------------------------------


@dataclass
class LagResult:
    label: str
    record_alone: list[float]  # seconds, record() latency before the follower started
    record_following: list[float]  # record() latency while the follower runs
    to_commit: list[float]  # record() returned -> the batch holding it committed to the views
    to_wait: list[float]  # record() returned -> wait_for(its id) returned
    batches: int
    race: Race | None = None


@contextmanager
def notification_ids(ledger: Ledger) -> Iterator[list[int]]:
    """The notification id of each statement saved (read from the save's recordings, no query)."""
    ids: list[int] = []
    save = ledger.save

    def capturing(*args: Any, **kwargs: Any) -> Any:
        recordings = save(*args, **kwargs)
        ids.append(recordings[-1].notification.id)
        return recordings

    ledger.save = capturing  # type: ignore[method-assign]
    try:
        yield ids
    finally:
        del ledger.save


@contextmanager
def listening_signal() -> Iterator[list[float]]:
    """Yields a list that gets the perf_counter time at which a psycopg connection first waits
    for notifications, i.e. just after its LISTEN: the eventsourcing subscription LISTENs in a
    thread of its own, and a NOTIFY sent before that reaches nobody."""
    listened: list[float] = []
    notifies = psycopg.Connection.notifies

    def notifies_when_listening(self: Any, *args: Any, **kwargs: Any) -> Any:
        if not listened:
            listened.append(time.perf_counter())
        return notifies(self, *args, **kwargs)

    with mock.patch.object(psycopg.Connection, "notifies", notifies_when_listening):
        yield listened


@dataclass
class Follower:
    started: float  # perf_counter when the thread started
    listened: list[float]  # [when its LISTEN was in place] (PostgreSQL)
    commits: list[tuple[float, int]]  # (perf_counter after each batch committed, its last id)


@contextmanager
def following(projector: Projector, poll: float, wait_listening: bool) -> Iterator[Follower]:
    """`projector.follow` in a thread for the duration, its batches' commit times stamped."""
    commits: list[tuple[float, int]] = []
    apply = projector.apply

    def stamped(notifications: Sequence[Any], start: int) -> None:
        apply(notifications, start)
        commits.append((time.perf_counter(), notifications[-1].id))

    projector.apply = stamped  # type: ignore[method-assign]
    stop, failures = threading.Event(), []

    def follow() -> None:
        try:
            projector.follow(stop, poll_seconds=poll)
        except BaseException as problem:  # reported below
            failures.append(problem)

    with listening_signal() as listened:
        thread = threading.Thread(target=follow, name="follower")
        follower = Follower(time.perf_counter(), listened, commits)
        thread.start()
        try:
            if wait_listening and projector.view.kind == "postgres":
                deadline = time.perf_counter() + 10
                while not listened and time.perf_counter() < deadline:
                    time.sleep(0.001)
                if not listened:
                    raise SystemExit("the follower's subscription never listened")
            yield follower
        finally:
            stop.set()
            thread.join(timeout=10)
            del projector.apply
    if failures or thread.is_alive():
        raise SystemExit(f"the follower failed: {failures or 'it did not stop'}")


def paced(envelopes: Sequence[Prepared], rate: float) -> Iterator[Prepared]:
    """The envelopes at a steady rate: each yielded at its slot (late slots at once)."""
    started = time.perf_counter()
    for index, item in enumerate(envelopes):
        delay = started + index / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        yield item


def bench_lag(
    backend: str, poll: float, envelopes: list[Prepared], heads: list[Any], args: Any
) -> LagResult:
    label = (
        f"{backend}, LISTEN/NOTIFY + catch-up every {poll} s"
        if backend == "postgres"
        else f"{backend}, poll {poll} s"
    )
    alone_n = len(envelopes) - args.count
    print(f"\n{label}: {alone_n} statements without a follower, then {len(envelopes) - alone_n} "
          f"with one, at {args.rate}/s", flush=True)  # fmt: skip
    with fresh_storage(backend, "lag") as url:
        world = World.build(url)
        projector = Projector(world.ledger)
        try:
            if registry_heads(world) != heads:
                raise SystemExit(
                    "the target World differs from the one the envelopes were signed on"
                )
            projector.catch_up()
            record, set_clock = world.ledger.record, world.clock.set
            alone = []
            for item in paced(envelopes[:alone_n], args.rate):
                set_clock(item.at)
                started = time.perf_counter()
                record(item.raw, item.signature)
                alone.append(time.perf_counter() - started)
            returned: dict[int, float] = {}
            waited: dict[int, float] = {}
            pending: queue.Queue[int | None] = queue.Queue()

            def waiter() -> None:
                while (wanted := pending.get()) is not None:
                    if projector.wait_for(wanted, timeout=30):
                        waited[wanted] = time.perf_counter()

            with following(projector, poll, wait_listening=True) as follower:
                projector.wait_for(world.ledger.recorder.max_notification_id() or 0, 10)
                waiting = threading.Thread(target=waiter, name="waiter")
                waiting.start()
                latencies = []
                with notification_ids(world.ledger) as ids:
                    for item in paced(envelopes[alone_n:], args.rate):
                        set_clock(item.at)
                        started = time.perf_counter()
                        record(item.raw, item.signature)
                        done = time.perf_counter()
                        latencies.append(done - started)
                        returned[ids[-1]] = done
                        pending.put(ids[-1])
                pending.put(None)
                waiting.join(timeout=60)
            if len(waited) != len(returned):
                raise SystemExit(f"{len(returned) - len(waited)} entries never became visible")
            commits = follower.commits
            committed = commit_times(commits, returned)
            result = LagResult(
                label,
                alone,
                latencies,
                [committed[i] - returned[i] for i in returned],
                [waited[i] - returned[i] for i in returned],
                sum(1 for _, last in commits if last >= min(returned)),
            )
            if backend == "postgres" and args.race_trials:
                result.race = race_trials(world, projector, args.race_trials, envelopes, poll)
            return result
        finally:
            projector.close()
            world.ledger.close()


def commit_times(commits: list[tuple[float, int]], returned: dict[int, float]) -> dict[int, float]:
    """Each entry's visibility time: the commit of the first batch that reached it."""
    ordered = sorted(commits, key=lambda c: c[1])
    found, position = {}, 0
    for entry in sorted(returned):
        while ordered[position][1] < entry:
            position += 1
        found[entry] = ordered[position][0]
    return found


def race_trials(
    world: World, projector: Projector, trials: int, envelopes: list[Prepared], poll: float
) -> Race:
    """Followers started while a statement is being recorded (its `record()` begins from 4 ms
    before to 2 ms after the follower's start, so its commit falls around the moment the
    subscription LISTENs): how many are not made visible by their NOTIFY (it was sent before
    the LISTEN) and wait for the follower's catch-up timer, or are never made visible."""
    extra = prepare_more(len(envelopes), trials)
    race, rng = Race(trials), random.Random(7)
    lead = 0.004
    with notification_ids(world.ledger) as ids:
        for item in extra:
            offset = rng.uniform(-lead, 0.002)
            committed: list[float] = []

            def write(
                item: Prepared = item, offset: float = offset, committed: list[float] = committed
            ) -> None:
                time.sleep(lead + offset)
                world.clock.set(item.at)
                world.ledger.record(item.raw, item.signature)
                committed.append(time.perf_counter())

            writer = threading.Thread(target=write, name="writer")
            writer.start()
            time.sleep(lead)
            with following(projector, poll, wait_listening=False) as follower:
                writer.join()
                visible = projector.wait_for(ids[-1], timeout=2 * poll + 1)
                seen = time.perf_counter() - committed[0]
            if not visible:
                race.never += 1
            elif seen > RACE_LATE:
                race.late.append(seen)
            if follower.listened:
                race.listen_up.append(follower.listened[0] - follower.started)
                race.before_listen += committed[0] < follower.listened[0]
    late = (
        f", visible after {', '.join(f'{1e3 * s:.0f}' for s in race.late)} ms" if race.late else ""
    )
    print(
        f"  LISTEN race: of {trials} statements recorded while a follower started, "
        f"{race.before_listen} returned from record() before its LISTEN (median "
        f"{1e3 * statistics.median(race.listen_up):.1f} ms after the start); {len(race.late)} were "
        f"not visible within {1e3 * RACE_LATE:.0f} ms (NOTIFY lost; the catch-up timer, every "
        f"{poll} s, found them{late}); {race.never} never visible within {2 * poll + 1} s",
        flush=True,
    )
    return race


RACE_LATE = 0.1  # seconds: a statement visible later than this was not woken by its NOTIFY


@dataclass
class Race:
    trials: int
    never: int = 0
    late: list[float] = field(default_factory=list)  # seconds to visible, NOTIFY lost
    before_listen: int = 0
    listen_up: list[float] = field(default_factory=list)


def prepare_more(done: int, count: int) -> list[Prepared]:
    """`count` more envelopes continuing the bench's scenario (the first `done` are recorded)."""
    more = prepare_envelopes(done + ((count + 3) // 4) * 4)
    return more[done : done + count]


def command_lag(args: argparse.Namespace, command: str) -> int:
    print(run_header())
    total = args.count + args.count // 4  # a quarter more, recorded before the follower starts
    total += -total % 4
    envelopes = prepare_envelopes(total)
    reference = World.build("memory:")
    heads = registry_heads(reference)
    reference.ledger.close()
    configs = [
        (backend, poll)
        for backend in backends(args.backend)
        for poll in (args.polls if backend == "sqlite" else [args.pg_poll])
    ]
    results = [bench_lag(backend, poll, envelopes, heads, args) for backend, poll in configs]
    print(
        f"\nsummary (ms; {args.count} statements followed per configuration at {args.rate}/s, "
        f"{len(envelopes) - args.count} recorded alone before)"
    )
    header = (
        f"  {'configuration':44} {'record alone p50/p99':>21} {'record following p50/p99':>25} "
        f"{'to commit p50/p99':>18} {'wait_for p50/p99':>17} {'× record p50':>12} {'batches':>8}"
    )
    print(header)
    rows = []
    for (backend, _), r in zip(configs, results, strict=True):
        base = statistics.median(r.record_alone)

        def pair(values: list[float]) -> str:
            return f"{1e3 * statistics.median(values):.1f} / {1e3 * percentile(values, 0.99):.1f}"

        ratio = statistics.median(r.to_wait) / base
        print(
            f"  {r.label:44} {pair(r.record_alone):>21} {pair(r.record_following):>25} "
            f"{pair(r.to_commit):>18} {pair(r.to_wait):>17} {ratio:11.1f}× {r.batches:8}"
            f"   ← {command}"
        )
        race = (
            f"{len(r.race.late)} of {r.race.trials} NOTIFYs lost, found by the timer "
            f"({r.race.before_listen} recorded before LISTEN); {r.race.never} never visible"
            if r.race
            else ""
        )
        rows.append(
            [
                f"{BACKEND_NAME[backend]}, {r.label.split(', ', 1)[1]}",
                pair(r.record_alone),
                pair(r.record_following),
                pair(r.to_commit),
                pair(r.to_wait),
                f"**{ratio:.1f}×**",
                f"{r.batches}",
                race,
                f"`{command}`",
            ]
        )
    write_rows(
        args.write,
        [
            "configuration",
            "record() alone p50 / p99 ms",
            "record() while followed",
            "to views committed",
            "to wait_for returning",
            "**lag p50 / record p50**",
            "batches",
            "LISTEN race",
            "command",
        ],
        rows,
    )
    return 0


# --- main ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    rebuild = commands.add_parser("rebuild", help="Projector.rebuild against bare replay")
    rebuild.add_argument("--n", type=int, default=20000, help="statements; a multiple of 4")
    rebuild.add_argument("--repeats", type=int, default=4, help="rounds, in ABBA order")
    rebuild.add_argument("--profile", action="store_true", help="one more rebuild under cProfile")
    rebuild.add_argument(
        "--memory-sizes",
        default="",
        help="comma-separated log sizes (statements) for peak-memory rebuilds in a fresh process",
    )
    rebuild.add_argument("--memory-child", help=argparse.SUPPRESS)
    stalls = commands.add_parser("stalls", help="stall query latency at a million dossiers")
    stalls.add_argument("--dossiers", type=int, default=1_000_000)
    stalls.add_argument("--runs", type=int, default=20)
    stalls.add_argument("--open-share", type=float, default=0.03)
    stalls.add_argument(
        "--backlog-share", type=float, default=0.15, help="of the open: received over ten years"
    )
    stalls.add_argument("--seed", type=int, default=84)
    stalls.add_argument("--profile", action="store_true", help="one more query under cProfile")
    lag = commands.add_parser("lag", help="append-to-visible lag of a following projector")
    lag.add_argument("--count", type=int, default=400, help="statements recorded while followed")
    lag.add_argument("--rate", type=float, default=20.0, help="statements per second")
    lag.add_argument(
        "--polls",
        type=lambda text: [float(p) for p in text.split(",")],
        default=[0.05, 0.5],
        help="SQLite poll intervals, seconds, comma-separated",
    )
    lag.add_argument(
        "--pg-poll",
        type=float,
        default=0.5,
        help="PostgreSQL: the follower's catch-up timer beside LISTEN/NOTIFY, seconds",
    )
    lag.add_argument("--race-trials", type=int, default=50)
    for sub in (rebuild, stalls, lag):
        sub.add_argument("--backend", choices=["sqlite", "postgres", "all"], default="all")
        sub.add_argument("--write", metavar="FILE", help="append the result rows as markdown")
        sub.add_argument("--json", metavar="FILE", help="write the summary as JSON")
    args = parser.parse_args(argv)
    command = command_line(argv)
    if args.command == "rebuild" and args.memory_child:
        return memory_child(args.memory_child)
    if args.command == "rebuild":
        if args.n < 4 or args.n % 4:
            parser.error("--n must be a positive multiple of 4")
        if any(int(size) % 4 for size in args.memory_sizes.split(",") if size.strip()):
            parser.error("--memory-sizes must be multiples of 4")
        return command_rebuild(args, command)
    if args.command == "stalls":
        return command_stalls(args, command)
    return command_lag(args, command)


if __name__ == "__main__":
    sys.exit(main())
