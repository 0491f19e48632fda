"""Transparency-log benchmarks: recording with and without the log; proofs at a million leaves.

Run by hand, not in CI, from the repository root:

    python bench/log.py record --backend sqlite|postgres|all --n N --repeats R [--write FILE]
    python bench/log.py proofs --backend sqlite|postgres|all --leaves L --samples S [--seed SEED]
                               [--write FILE]

record  Per backend, in one process, alternately (ABBA: without, with, with, without, ...), each
        run on fresh storage: N signed statements (bench/record.py's envelopes, signed before any
        timing) recorded through `Ledger.record` into a ledger set up by `tests.world.World`,
          with     the ledger's own recorders (ledger/log/storage/): every event is also a leaf of
                   the Merkle tree, written in the same transaction with the nodes it completes;
          without  the same Ledger on eventsourcing's plain recorders (PERSISTENCE_MODULE
                   eventsourcing.sqlite or eventsourcing.postgres): they ignore the `leaves=`
                   keyword of the save and write the events only.
        Reports the rates, the median of the per-round ratios with/without, and what the log adds
        per statement in µs.
proofs  Per backend: a tree of L synthetic leaves (leaf i = SHA-256(0x00 ‖ "leaf i")) written
        straight into `lienthong_leaves` and `lienthong_nodes` (tables made by the recorder's
        create_table(), rows computed with merkle.CompactRange), then S random samples, each timing
        one primary-key SELECT of a node by a raw driver connection (the baseline),
        merkle.inclusion_proof and merkle.consistency_proof through the recorder's fetch_nodes, and
        Ledger.inclusion_proof (which also reads the tree size). Every proof is checked with
        merkle.verify_inclusion / verify_consistency against roots computed while building, not
        read from the store.

Each result row prints the command that produced it; `--write FILE` appends the markdown rows;
`--json FILE` writes the summary as JSON (read by bench/suite.py).
"""

from __future__ import annotations

import argparse
import functools
import gc
import importlib.metadata
import json
import os
import platform
import random
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock
from uuid import UUID

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from eventsourcing.postgres import PostgresApplicationRecorder  # noqa: E402
from eventsourcing.sqlite import SQLiteApplicationRecorder  # noqa: E402
from psycopg import sql  # noqa: E402

import tests.world  # noqa: E402
from bench.record import (  # noqa: E402
    Prepared,
    fresh_storage,
    prepare_envelopes,
    registry_heads,
    setup_size,
)
from ledger.application import Ledger  # noqa: E402
from ledger.config import LedgerSettings  # noqa: E402
from ledger.log import merkle  # noqa: E402
from tests.world import World  # noqa: E402

PLAIN_MODULE = {"sqlite": "eventsourcing.sqlite", "postgres": "eventsourcing.postgres"}
BACKEND_NAME = {"sqlite": "SQLite file (WAL)", "postgres": "PostgreSQL 15, local"}
BUILD_CHUNK = 1 << 16  # leaves written per transaction while building the synthetic tree


def machine_line() -> str:
    version = importlib.metadata.version
    return (
        f"Python {platform.python_version()}, eventsourcing {version('eventsourcing')}, "
        f"PyNaCl {version('pynacl')}, {os.cpu_count()} CPUs, {platform.machine()}"
    )


def write_rows(path: str | None, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    if not path:
        return
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n\n")
    print(f"markdown rows appended to {path}")


def write_json(path: str | None, command: str, summary: dict[str, Any]) -> None:
    """Write the summary, with the command that produced it, as JSON (for bench/suite.py)."""
    if not path:
        return
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({"command": command, "machine": machine_line(), **summary}, handle, indent=2)
        handle.write("\n")
    print(f"summary written to {path}")


# --- recording with and without the log --------------------------------------------------------


@contextmanager
def world_at(url: str, backend: str, with_log: bool) -> Iterator[World]:
    """A World on `url`, with the ledger's log recorders or eventsourcing's plain ones."""
    with ExitStack() as patches:
        if with_log:
            world = World.build(url)
        else:
            plain = functools.partial(Ledger, env={"PERSISTENCE_MODULE": PLAIN_MODULE[backend]})
            patches.enter_context(mock.patch.object(tests.world, "Ledger", plain))
            # the plain recorders keep no log: a receipt's position is then 0
            recorder = {
                "sqlite": SQLiteApplicationRecorder,
                "postgres": PostgresApplicationRecorder,
            }
            patches.enter_context(
                mock.patch.object(
                    recorder[backend], "last_append_start", return_value=0, create=True
                )
            )
            world = World.build(url)
        try:
            yield world
        finally:
            world.ledger.close()


def run_recording(
    url: str,
    backend: str,
    with_log: bool,
    envelopes: list[Prepared],
    heads: list[tuple[int, bytes]],
) -> tuple[float, str]:
    """Seconds to record the envelopes into a fresh ledger, and the recorder's class name."""
    with world_at(url, backend, with_log) as world:
        if registry_heads(world) != heads:
            raise SystemExit("the target World differs from the one the envelopes were signed on")
        ledger, clock = world.ledger, world.clock
        record, set_clock = ledger.record, clock.set
        gc.collect()
        started = time.perf_counter()
        for item in envelopes:  # the timed loop of bench/record.py's run_signed
            set_clock(item.at)
            record(item.raw, item.signature)
        elapsed = time.perf_counter() - started
        expected = len(envelopes) + setup_size(heads)
        if (ledger.recorder.max_notification_id() or 0) != expected:
            raise SystemExit("the run did not record every statement")
        if with_log and ledger.log_size() != expected:
            raise SystemExit("the log does not hold every statement as a leaf")
        if not with_log and hasattr(ledger.recorder, "tree_size"):
            raise SystemExit("the run without the log used a log recorder")
        return elapsed, type(ledger.recorder).__name__


@dataclass
class RecordResult:
    without: float  # statements/s, median of the runs
    with_log: float
    ratio: float  # median of the per-round ratios with/without
    ratios: list[float]
    cost_us: float  # µs per statement the log adds (median of the rounds)


def bench_recording(
    backend: str,
    n: int,
    repeats: int,
    envelopes: list[Prepared],
    heads: list[tuple[int, bytes]],
) -> RecordResult:
    times: dict[bool, list[float]] = {False: [], True: []}
    ratios: list[float] = []
    print(f"\n{backend}: N={n}, {repeats} rounds, ABBA order, fresh storage each run")
    for round_ in range(repeats):
        order = (False, True) if round_ % 2 == 0 else (True, False)
        for with_log in order:
            with fresh_storage(backend, "log" if with_log else "plain") as url:
                elapsed, recorder = run_recording(url, backend, with_log, envelopes, heads)
            times[with_log].append(elapsed)
            if round_ == 0:
                print(f"  {'with' if with_log else 'without':7} the log: {recorder}")
        ratio = times[False][-1] / times[True][-1]
        ratios.append(ratio)
        print(
            f"  round {round_ + 1}: without {n / times[False][-1]:6.0f}/s   "
            f"with {n / times[True][-1]:6.0f}/s   with/without {ratio:.2f}"
        )
    plain_rate, log_rate = (n / statistics.median(times[flag]) for flag in (False, True))
    costs = [1e6 * (t - u) / n for t, u in zip(times[True], times[False], strict=True)]
    result = RecordResult(
        plain_rate, log_rate, statistics.median(ratios), ratios, statistics.median(costs)
    )
    print(
        f"  median: without {plain_rate:6.0f}/s   with {log_rate:6.0f}/s   with/without "
        f"{result.ratio:.2f} (rounds {min(ratios):.2f}–{max(ratios):.2f}); the log adds "
        f"{result.cost_us:.0f} µs per statement"
    )
    return result


def command_record(args: argparse.Namespace) -> int:
    command = (
        f"python bench/log.py record --backend {args.backend} --n {args.n} --repeats {args.repeats}"
    )
    print(machine_line())
    started = time.perf_counter()
    envelopes = prepare_envelopes(args.n)
    reference = World.build("memory:")
    heads = registry_heads(reference)
    reference.ledger.close()
    print(
        f"prepared and signed {len(envelopes)} statements in "
        f"{time.perf_counter() - started:.1f} s (outside the timed runs)"
    )
    results = {
        backend: bench_recording(backend, args.n, args.repeats, envelopes, heads)
        for backend in backends(args.backend)
    }
    print(f"\nsummary (N={args.n}, medians of {args.repeats} rounds; statements/s)")
    print(f"  command: {command}")
    print(
        f"  {'backend':10} {'without log':>11} {'with log':>9} {'with/without':>13} "
        f"{'rounds':>11} {'log µs/stmt':>12}"
    )
    rows = []
    for backend, r in results.items():
        spread = f"{min(r.ratios):.2f}–{max(r.ratios):.2f}"
        print(
            f"  {backend:10} {r.without:11.0f} {r.with_log:9.0f} {r.ratio:13.2f} "
            f"{spread:>11} {r.cost_us:12.0f}   ← {command}"
        )
        rows.append(
            [
                BACKEND_NAME[backend],
                f"{r.without:.0f}",
                f"{r.with_log:.0f}",
                f"**{r.ratio:.2f}**",
                spread,
                f"{r.cost_us:.0f}",
                f"`{command}`",
            ]
        )
    summary = {
        backend: {"without": r.without, "with": r.with_log, "ratio": r.ratio, "cost_us": r.cost_us}
        for backend, r in results.items()
    }
    write_json(args.json, command, {"n": args.n, "backends": summary})
    write_rows(
        args.write,
        [
            "backend",
            "without log /s",
            "with log /s",
            "**with / without**",
            "rounds",
            "log µs/stmt",
            "command",
        ],
        rows,
    )
    return 0


# --- proofs at a million leaves ----------------------------------------------------------------


def synthetic_leaf(index: int) -> bytes:
    return merkle.leaf_hash(b"leaf %d" % index)


def build_tree(
    size: int,
    old_sizes: set[int],
    write: Callable[[int, int, list[tuple[int, int, bytes]]], None],
) -> tuple[bytes, dict[int, bytes]]:
    """Write a tree of `size` synthetic leaves chunk by chunk: `write(first, end, nodes)` stores
    leaves [first, end) and the nodes they complete. Returns the root and the roots at
    `old_sizes`, computed here (by CompactRange), independently of what the store returns."""
    tree = merkle.CompactRange()
    roots: dict[int, bytes] = {}
    for first in range(0, size, BUILD_CHUNK):
        end = min(size, first + BUILD_CHUNK)
        nodes: list[tuple[int, int, bytes]] = []
        for index in range(first, end):
            nodes.extend(
                (level, at, value) for (level, at), value in tree.append(synthetic_leaf(index))
            )
            if index + 1 in old_sizes:
                roots[index + 1] = tree.root()
        write(first, end, nodes)
    return tree.root(), roots


@dataclass
class TreeStore:
    """A built tree: the ledger on it, and a raw primary-key lookup of one node (the baseline)."""

    ledger: Ledger
    select_one: Callable[[int], bytes]


@contextmanager
def sqlite_tree(
    size: int, old_sizes: set[int]
) -> Iterator[tuple[TreeStore, bytes, dict[int, bytes]]]:
    with fresh_storage("sqlite", "proofs") as url:
        ledger = Ledger(LedgerSettings(database_url=url))  # its recorder creates the tables
        path = url.removeprefix("sqlite:///")
        connection = sqlite3.connect(path)

        def write(first: int, end: int, nodes: list[tuple[int, int, bytes]]) -> None:
            with connection:
                connection.executemany(
                    "INSERT INTO lienthong_leaves VALUES (?, ?, 1)",
                    ((i, f"{i + 1:032x}") for i in range(first, end)),
                )
                connection.executemany("INSERT INTO lienthong_nodes VALUES (?, ?, ?)", nodes)

        root, roots = build_tree(size, old_sizes, write)
        query = "SELECT hash FROM lienthong_nodes WHERE level = 0 AND node_index = ?"

        def select_one(index: int) -> bytes:
            return bytes(connection.execute(query, (index,)).fetchone()[0])

        try:
            yield TreeStore(ledger, select_one), root, roots
        finally:
            connection.close()
            ledger.close()


@contextmanager
def postgres_tree(
    size: int, old_sizes: set[int]
) -> Iterator[tuple[TreeStore, bytes, dict[int, bytes]]]:
    with fresh_storage("postgres", "proofs") as url:
        ledger = Ledger(LedgerSettings(database_url=url))  # its recorder creates the tables
        schema = sql.Identifier(url.rsplit("schema=", 1)[1])
        connection = psycopg.connect(url.split("?")[0], autocommit=True)
        leaves = sql.SQL("COPY {}.lienthong_leaves FROM STDIN (FORMAT BINARY)").format(schema)
        nodes_copy = sql.SQL("COPY {}.lienthong_nodes FROM STDIN (FORMAT BINARY)").format(schema)

        def write(first: int, end: int, nodes: list[tuple[int, int, bytes]]) -> None:
            with connection.transaction(), connection.cursor() as cursor:
                with cursor.copy(leaves) as copy:
                    copy.set_types(["bigint", "uuid", "bigint"])
                    for i in range(first, end):
                        copy.write_row((i, UUID(int=i + 1), 1))
                with cursor.copy(nodes_copy) as copy:
                    copy.set_types(["smallint", "bigint", "bytea"])
                    for row in nodes:
                        copy.write_row(row)

        root, roots = build_tree(size, old_sizes, write)
        connection.execute(sql.SQL("ANALYZE {}.lienthong_nodes").format(schema))
        connection.execute(sql.SQL("ANALYZE {}.lienthong_leaves").format(schema))
        query = sql.SQL(
            "SELECT hash FROM {}.lienthong_nodes WHERE level = 0 AND node_index = %s"
        ).format(schema)
        cursor = connection.cursor()

        def select_one(index: int) -> bytes:
            cursor.execute(query, (index,), prepare=True)
            row = cursor.fetchone()
            assert row is not None
            return bytes(row[0])

        try:
            yield TreeStore(ledger, select_one), root, roots
        finally:
            connection.close()
            ledger.close()


OPERATIONS = ("select", "inclusion", "consistency", "ledger inclusion")
LABELS = {
    "select": "one primary-key SELECT, raw driver (baseline)",
    "inclusion": "inclusion proof: merkle.inclusion_proof",
    "consistency": "consistency proof: merkle.consistency_proof",
    "ledger inclusion": "Ledger.inclusion_proof (+ tree size query)",
}


@dataclass
class ProofResult:
    build_seconds: float
    micros: dict[str, list[float]]
    hashes: dict[str, list[int]]
    nodes: dict[str, list[int]]  # node ids fetched per proof
    in_fetch: dict[str, list[float]]  # share of a proof's time spent in fetch_nodes


def bench_proofs(backend: str, size: int, samples: int, seed: int) -> ProofResult:
    rng = random.Random(seed)
    indexes = [rng.randrange(size) for _ in range(samples)]
    olds = [rng.randrange(1, size) for _ in range(samples)]
    tree = sqlite_tree if backend == "sqlite" else postgres_tree
    print(f"\n{backend}: building a tree of {size:,} synthetic leaves ...", flush=True)
    started = time.perf_counter()
    with tree(size, set(olds)) as (store, root, roots):
        build = time.perf_counter() - started
        recorder: Any = store.ledger.recorder
        fetch = recorder.fetch_nodes
        node_count = sum(size >> level for level in range(size.bit_length()))
        print(f"  built in {build:.1f} s: {size:,} leaves, {node_count:,} nodes")
        if recorder.tree_size() != size or merkle.root(size, fetch) != root:
            raise SystemExit("the stored tree's size or root is not the one built")
        proof_of: dict[str, Callable[[int, int], Any]] = {
            "select": lambda i, old: store.select_one(i),
            "inclusion": lambda i, old: merkle.inclusion_proof(i, size, fetch),
            "consistency": lambda i, old: merkle.consistency_proof(old, size, fetch),
            "ledger inclusion": lambda i, old: store.ledger.inclusion_proof(i),
        }
        micros: dict[str, list[float]] = {op: [] for op in OPERATIONS}
        results: dict[str, list[Any]] = {op: [] for op in OPERATIONS}
        for _ in range(20):  # warm the connections and the statement caches
            store.select_one(rng.randrange(size))
            merkle.inclusion_proof(rng.randrange(size), size, fetch)
        for sample, (index, old) in enumerate(zip(indexes, olds, strict=True)):
            rotation = sample % len(OPERATIONS)  # no operation always runs first
            for op in OPERATIONS[rotation:] + OPERATIONS[:rotation]:
                started = time.perf_counter()
                value = proof_of[op](index, old)
                micros[op].append(1e6 * (time.perf_counter() - started))
                results[op].append(value)
        nodes, in_fetch = check_proofs(size, root, roots, indexes, olds, results, fetch)
        hashes = {op: [len(proof) for proof in results[op]] for op in OPERATIONS[1:]}
    nodes["ledger inclusion"] = nodes["inclusion"]
    return ProofResult(build, micros, hashes, nodes, in_fetch)


def check_proofs(
    size: int,
    root: bytes,
    roots: dict[int, bytes],
    indexes: list[int],
    olds: list[int],
    results: dict[str, list[Any]],
    fetch: merkle.Fetch,
) -> tuple[dict[str, list[int]], dict[str, list[float]]]:
    """Verify every proof timed, against the roots computed while building. Then make each proof
    again with a counting, timing fetch: the nodes read, and the share of time spent reading."""
    nodes: dict[str, list[int]] = {"inclusion": [], "consistency": []}
    in_fetch: dict[str, list[float]] = {"inclusion": [], "consistency": []}
    for sample, (index, old) in enumerate(zip(indexes, olds, strict=True)):
        leaf = synthetic_leaf(index)
        if results["select"][sample] != leaf:
            raise SystemExit(f"the stored leaf {index} is not the one built")
        for op in ("inclusion", "ledger inclusion"):
            merkle.verify_inclusion(leaf, index, size, results[op][sample], root)
        merkle.verify_consistency(old, size, roots[old], root, results["consistency"][sample])
        for op, prove in (
            ("inclusion", functools.partial(merkle.inclusion_proof, index, size)),
            ("consistency", functools.partial(merkle.consistency_proof, old, size)),
        ):
            count, share = instrumented(prove, fetch)
            nodes[op].append(count)
            in_fetch[op].append(share)
    print(f"  every proof ({len(indexes)} of each) verified against the roots computed at build")
    return nodes, in_fetch


def instrumented(
    prove: Callable[[merkle.Fetch], list[bytes]], fetch: merkle.Fetch
) -> tuple[int, float]:
    """Make one proof with a fetch that counts and times: (node ids read, share of time reading)."""
    read: list[tuple[int, float]] = []

    def timed_fetch(ids: Sequence[merkle.NodeId]) -> Sequence[bytes]:
        started = time.perf_counter()
        try:
            return fetch(ids)
        finally:
            read.append((len(ids), time.perf_counter() - started))

    started = time.perf_counter()
    prove(timed_fetch)
    total = time.perf_counter() - started
    return sum(count for count, _ in read), sum(seconds for _, seconds in read) / total


def command_proofs(args: argparse.Namespace) -> int:
    command = (
        f"python bench/log.py proofs --backend {args.backend} --leaves {args.leaves} "
        f"--samples {args.samples} --seed {args.seed}"
    )
    print(machine_line())
    rows = []
    summary: dict[str, Any] = {}
    for backend in backends(args.backend):
        result = bench_proofs(backend, args.leaves, args.samples, args.seed)
        baseline = statistics.median(result.micros["select"])
        summary[backend] = proof_summary(result)
        print(
            f"\n  proofs at {args.leaves:,} leaves ({backend}), {args.samples} random samples:"
            f"\n  command: {command}"
        )
        print(
            f"    {'operation':46} {'median µs':>9} {'p90 µs':>7} {'× SELECT':>8} "
            f"{'bytes: median (min–max)':>24} {'nodes read':>10}"
        )
        for op in OPERATIONS:
            times = result.micros[op]
            median = statistics.median(times)
            p90 = statistics.quantiles(times, n=10)[-1]
            hashes = result.hashes.get(op, [1])
            size = f"{32 * statistics.median(hashes):.0f} ({32 * min(hashes)}–{32 * max(hashes)})"
            read = f"{statistics.median(result.nodes[op]):.0f}" if op in result.nodes else "1"
            print(
                f"    {LABELS[op]:46} {median:9.0f} {p90:7.0f} {median / baseline:7.1f}× "
                f"{size:>24} {read:>10}   ← {command}"
            )
            rows.append(
                [
                    BACKEND_NAME[backend],
                    LABELS[op],
                    f"{median:.0f}",
                    f"{p90:.0f}",
                    f"**{median / baseline:.1f}×**",
                    size,
                    read,
                    f"`{command}`",
                ]
            )
        shares = ", ".join(
            f"{op} {100 * statistics.median(result.in_fetch[op]):.0f} %" for op in result.in_fetch
        )
        print(
            f"    share of a proof's time inside fetch_nodes (its one query), median of a second "
            f"pass: {shares}; the rest is the Merkle maths in Python"
        )
        print(f"    (tree built in {result.build_seconds:.0f} s, outside the timings)")
    write_json(args.json, command, {"leaves": args.leaves, "backends": summary})
    write_rows(
        args.write,
        [
            "backend",
            "operation",
            "median µs",
            "p90 µs",
            "**× one SELECT**",
            "bytes: median (min–max)",
            "nodes read",
            "command",
        ],
        rows,
    )
    return 0


def proof_summary(result: ProofResult) -> dict[str, Any]:
    """Median µs per operation, median hashes per proof, nodes read, and the build time."""
    return {
        "build_seconds": result.build_seconds,
        "median_us": {op: statistics.median(result.micros[op]) for op in OPERATIONS},
        "p90_us": {op: statistics.quantiles(result.micros[op], n=10)[-1] for op in OPERATIONS},
        "hashes": {op: statistics.median(values) for op, values in result.hashes.items()},
        "max_hashes": {op: max(values) for op, values in result.hashes.items()},
    }


# --- main --------------------------------------------------------------------------------------


def backends(choice: str) -> list[str]:
    return ["sqlite", "postgres"] if choice == "all" else [choice]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    record = commands.add_parser("record", help="recording rate with the log and without it")
    record.add_argument("--backend", choices=["sqlite", "postgres", "all"], default="all")
    record.add_argument("--n", type=int, default=2000, help="statements per run; a multiple of 4")
    record.add_argument("--repeats", type=int, default=3, help="rounds of (without, with)")
    proofs = commands.add_parser("proofs", help="inclusion and consistency proofs in a big tree")
    proofs.add_argument("--backend", choices=["sqlite", "postgres", "all"], default="all")
    proofs.add_argument("--leaves", type=int, default=1_000_000)
    proofs.add_argument("--samples", type=int, default=200, help="random proofs of each kind")
    proofs.add_argument("--seed", type=int, default=9162)
    for sub in (record, proofs):
        sub.add_argument("--write", metavar="FILE", help="append the result rows as markdown")
        sub.add_argument("--json", metavar="FILE", help="write the summary as JSON")
    args = parser.parse_args(argv)
    if args.command == "record":
        if args.n < 4 or args.n % 4:
            parser.error("--n must be a positive multiple of 4")
        return command_record(args)
    if args.leaves < 2 or args.samples < 2:
        parser.error("--leaves and --samples must be at least 2")
    return command_proofs(args)


if __name__ == "__main__":
    sys.exit(main())
