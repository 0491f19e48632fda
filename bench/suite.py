"""The benchmark suite: every benchmark, one after another, summarised in one table.

Run by hand, not in CI, from the repository root:

    python bench/suite.py [--quick] [--only NAME,...] [--memory-sizes N1,N2]
                          [--write docs/performance.md] [--note TEXT]

It runs each benchmark as a subprocess with fixed arguments (never two at once: they would
measure each other), with `--json FILE` added, and reads one summary row or a few from each file:

  record   recording rate on SQLite and PostgreSQL against bare eventsourcing (target 70 %)
  api      HTTP acknowledge rate (batch 32) against a bare FastAPI endpoint (target 50 %)
  audit    full-audit rate against raw Ed25519 × cores (target 85 %)
  rebuild  rebuild rate against bare replay
  memory   peak memory of the full audit (1 process, and all cores) and of a rebuild, on one
           log grown to two sizes: it must stay flat as the log grows
  stalls   stall-query latency, p50 and p95, against a count(*) of the open dossiers
  proofs   inclusion and consistency proofs: size (hashes, bytes) and time against one SELECT

The default sizes are the ones the figures are wanted at (1M and 10M entries, 1M dossiers, 10M
leaves); `--quick` uses small ones, so the whole suite takes a few minutes. `--memory-sizes`
replaces the two log sizes of the memory run (the full ones take about two hours: growing the
log to 10M entries is most of it); the table shows the sizes measured. Each row shows the
command that produced it, copy-pastable from the repository root (without the `--json FILE` the
suite adds).

`--write FILE` replaces only the block between `<!-- suite:begin -->` and `<!-- suite:end -->`
(created before the first `## ` heading if absent). The block keeps the rows of earlier runs
(in a JSON comment inside it): a run with `--only` replaces the rows of the benchmarks it ran,
at its sizes (quick or full), and keeps the others. `--note TEXT` adds a line under the table of
the sizes run (e.g. why some rows were not run at full size).
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- suite:begin -->", "<!-- suite:end -->"
DATA = re.compile(r"<!-- suite:data (.*?) -->", re.DOTALL)
FLAT = 1.10  # peak memory at the larger size within 10 % of the smaller: flat
BACKENDS = {"sqlite": "SQLite", "postgres": "PostgreSQL"}

Summary = dict[str, Any]


@dataclass(frozen=True)
class Row:
    what: str
    figure: str
    baseline: str
    verdict: str
    command: str = ""
    run: str = ""


@dataclass(frozen=True)
class Benchmark:
    name: str
    script: list[str]  # the script and its subcommand
    full: list[str]
    quick: list[str]
    rows: Callable[[Summary], list[Row]]
    sizes_flag: str = ""  # the option that takes the suite's --memory-sizes, if any


def against(value: float, target: float) -> str:
    return f"**{value:.2f}** ({'meets' if value >= target else 'below'} the {target:.0%} target)"


def record_rows(s: Summary) -> list[Row]:
    return [
        Row(
            f"Recording, {BACKENDS[backend]}: `Ledger.record`, statements/s (N={s['n']})",
            f"{r['signed']:,.0f}/s",
            f"bare eventsourcing {r['bare']:,.0f}/s",
            against(r["ratio"], s["target"]),
        )
        for backend, r in s["backends"].items()
    ]


def api_rows(s: Summary) -> list[Row]:
    rows = []
    for backend, runs in s["backends"].items():
        api, bare = runs["batch 32"], runs["bare"]
        rows.append(
            Row(
                f"HTTP acknowledge, {BACKENDS[backend]}: requests/s, 32 clients, batch 32 "
                f"(N={s['n']}; p50 {api['p50']:.0f} ms, p99 {api['p99']:.0f} ms)",
                f"{api['rate']:,.0f}/s",
                f"bare FastAPI endpoint {bare['rate']:,.0f}/s",
                against(api["rate"] / bare["rate"], s["target"]),
            )
        )
    return rows


def memory_row(what: str, sizes: list[tuple[int, float]]) -> Row:
    """Peak memory (MB) at the smallest and largest log sizes measured, and their ratio."""
    (small, low), (large, high) = min(sizes), max(sizes)
    ratio = high / low
    verdict = "flat" if ratio <= FLAT else "GROWS"
    return Row(
        f"{what} ({large:,} / {small:,} entries)",
        f"{high:,.0f} MB at {large:,}",
        f"{low:,.0f} MB at {small:,}",
        f"**×{ratio:.2f}**: {verdict} (target: flat, ≤ ×{FLAT:.2f})",
    )


def memory_rows(s: Summary) -> list[Row]:
    workers = s["workers"]

    def peak(m: dict[str, Any], what: str) -> float:
        figures = m[what]
        extra = figures.get("workers_kb", 0) if what != "audit_1" else 0
        return float(figures["after_kb"] + extra) / 1024

    names = {
        "audit_1": "Peak memory of the full audit, 1 process (maxrss)",
        f"audit_{workers}": f"Peak memory of the full audit, {workers} workers (main + a worker)",
        "rebuild": "Peak memory of a rebuild of the views, SQLite (maxrss)",
    }
    return [
        memory_row(name, [(m["entries"], peak(m, what)) for m in s["sizes"]])
        for what, name in names.items()
    ]


def audit_rows(s: Summary) -> list[Row]:
    r = s["rates"]
    rows = [
        Row(
            f"Full audit, SQLite, {r['workers']} workers: entries/s ({r['entries']:,} entries)",
            f"{r['audit']:,.0f}/s",
            f"raw Ed25519 × {r['workers']} processes ({r['verifier']}) {r['raw_pool']:,.0f}/s",
            against(r["audit"] / r["raw_pool"], r["target"]),
        )
    ]
    single = [(m["checked"], m["after_kb"] / 1024) for m in s["memory"] if m["workers"] == 1]
    pooled = [
        (m["checked"], (m["after_kb"] + m["workers_kb"]) / 1024)
        for m in s["memory"]
        if m["workers"] > 1
    ]
    if len(single) > 1:
        rows.append(memory_row("Peak memory of the audit, 1 process (maxrss)", single))
    if len(pooled) > 1:
        rows.append(
            memory_row(
                f"Peak memory of the audit, {r['workers']} workers (main maxrss + a worker's)",
                pooled,
            )
        )
    return rows


def rebuild_rows(s: Summary) -> list[Row]:
    rows = []
    for backend, r in s["backends"].items():
        rows.append(
            Row(
                f"Rebuild of the views, {BACKENDS[backend]}: entries/s ({r['entries']:,} entries)",
                f"{r['rebuild']:,.0f}/s",
                f"bare replay {r['replay']:,.0f}/s",
                f"**{r['ratio']:.2f}** (no target)",
            )
        )
        sizes = [(m["entries"], m["after_kb"] / 1024) for m in r["memory"]]
        if len(sizes) > 1:
            rows.append(memory_row(f"Peak memory of a rebuild, {BACKENDS[backend]}", sizes))
    return rows


def stalls_rows(s: Summary) -> list[Row]:
    rows = []
    for backend, r in s["backends"].items():
        p50, p95 = r["p50_ms"], r["p95_ms"]
        rows.append(
            Row(
                f"Stall query, {BACKENDS[backend]}, unfiltered, at {s['dossiers']:,} dossiers "
                f"({r['open']:,} open, {r['found']['all']:,} stalls)",
                f"p50 {p50['all']:,.0f} ms, p95 {p95['all']:,.0f} ms",
                f"count(*) of the open: p50 {p50['baseline']:,.1f} ms",
                f"**×{p50['all'] / p50['baseline']:,.0f}** (no target)",
            )
        )
    return rows


def proofs_rows(s: Summary) -> list[Row]:
    rows = []
    for backend, r in s["backends"].items():
        us, hashes = r["median_us"], r["hashes"]
        for kind in ("inclusion", "consistency"):
            rows.append(
                Row(
                    f"{kind.capitalize()} proof, {BACKENDS[backend]}, at {s['leaves']:,} leaves "
                    f"(tree built in {r['build_seconds']:.0f} s)",
                    f"{hashes[kind]:.0f} hashes = {32 * hashes[kind]:.0f} bytes (max "
                    f"{r['max_hashes'][kind]}), {us[kind]:,.0f} µs",
                    f"one primary-key SELECT {us['select']:,.0f} µs",
                    f"**×{us[kind] / us['select']:.0f}** (no target)",
                )
            )
    return rows


NO_MEMORY = ("--memory-sizes", "")  # the memory benchmark measures it, on one grown log
BENCHMARKS = [
    Benchmark(
        "record",
        ["bench/record.py"],
        ["--backend", "all", "--n", "2000", "--repeats", "3", "--profile", "never"],
        ["--backend", "all", "--n", "1000", "--repeats", "2", "--profile", "never"],
        record_rows,
    ),
    Benchmark(
        "api",
        ["bench/api.py"],
        ["--backend", "all", "--n", "2000", "--clients", "32", "--repeats", "3"],
        ["--backend", "all", "--n", "500", "--clients", "32", "--repeats", "1"],
        api_rows,
    ),
    Benchmark(
        "audit",
        ["bench/audit.py"],
        [
            *("--backend", "sqlite", "--n", "20000", "--repeats", "3", "--profile", "never"),
            *NO_MEMORY,
        ],
        [
            *("--backend", "sqlite", "--n", "4000", "--repeats", "2", "--profile", "never"),
            *NO_MEMORY,
        ],
        audit_rows,
    ),
    Benchmark(
        "rebuild",
        ["bench/views.py", "rebuild"],
        ["--backend", "sqlite", "--n", "20000", "--repeats", "4", *NO_MEMORY],
        ["--backend", "sqlite", "--n", "4000", "--repeats", "2", *NO_MEMORY],
        rebuild_rows,
    ),
    Benchmark(
        "memory",
        ["bench/memory.py"],
        [],
        [],
        memory_rows,
        sizes_flag="--sizes",
    ),
    Benchmark(
        "stalls",
        ["bench/views.py", "stalls"],
        ["--backend", "all", "--dossiers", "1000000", "--runs", "20"],
        ["--backend", "all", "--dossiers", "100000", "--runs", "5"],
        stalls_rows,
    ),
    Benchmark(
        "proofs",
        ["bench/log.py", "proofs"],
        ["--backend", "all", "--leaves", "10000000", "--samples", "200"],
        ["--backend", "sqlite", "--leaves", "100000", "--samples", "100"],
        proofs_rows,
    ),
]
MEMORY_SIZES = {"full": "1000000,10000000", "quick": "20000,80000"}


def arguments(bench: Benchmark, mode: str, memory_sizes: str | None) -> list[str]:
    args = [*bench.script, *(bench.quick if mode == "quick" else bench.full)]
    if bench.sizes_flag:
        args += [bench.sizes_flag, memory_sizes or MEMORY_SIZES[mode]]
    return args


def run(bench: Benchmark, args: list[str], directory: Path, stamp: str) -> tuple[list[Row], str]:
    """Run one benchmark as a subprocess; its rows, each with its command, and its machine line."""
    command = "python " + shlex.join(args)
    output = directory / f"{bench.name}.json"
    print(f"\n=== {bench.name}: {command}", flush=True)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, *args, "--json", str(output)], cwd=ROOT, check=False)
    minutes = (time.perf_counter() - started) / 60
    if done.returncode != 0 or not output.exists():
        failed = Row(bench.name, "failed", "", f"exit code {done.returncode}", command, stamp)
        return [failed], ""
    summary = json.loads(output.read_text(encoding="utf-8"))
    when = f"{stamp}, {minutes:.0f} min"
    rows = [Row(**{**asdict(row), "command": command, "run": when}) for row in bench.rows(summary)]
    return rows, str(summary.get("machine", ""))


def reuse(bench: Benchmark, path: Path, stamp: str) -> tuple[list[Row], str]:
    """The rows of a benchmark from the JSON summary of an earlier run (`--use NAME=FILE`): a run
    too long to repeat for the table, such as the memory run at 10M entries."""
    summary = json.loads(path.read_text(encoding="utf-8"))
    when = f"{stamp} (from {path.name})"
    rows = [
        Row(**{**asdict(row), "command": summary["command"], "run": when})
        for row in bench.rows(summary)
    ]
    return rows, str(summary.get("machine", ""))


def git_commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    )
    return done.stdout.strip()


# --- the block in docs/performance.md ------------------------------------------------------------


def render(data: dict[str, Any]) -> str:
    lines = [
        BEGIN,
        "## Summary (generated by bench/suite.py)",
        "",
        "Written by `python bench/suite.py [--quick] [--only NAME,...] --write "
        "docs/performance.md`, which runs each benchmark below one after another as a "
        "subprocess and collects its figures (it adds `--json FILE` to the command shown). "
        "Every ratio is against a baseline measured side by side in the same run; absolute "
        "figures move with the load of the machine (a 2-core machine, shared and noisy). "
        "The sections after this one are the detailed runs and their reading.",
        "",
        f"Machine: {data.get('machine', '')}.",
    ]
    titles = {
        "full": "Full sizes (`python bench/suite.py`)",
        "quick": "Quick sizes (`python bench/suite.py --quick`): small logs, for a check in "
        "minutes, not the figures wanted",
    }
    for mode in ("full", "quick"):
        section = data.get(mode, {})
        lines += ["", f"### {titles[mode]}"]
        ran = [bench.name for bench in BENCHMARKS if bench.name in section.get("rows", {})]
        if ran:
            lines += [
                "",
                "| what | figure | baseline | ratio or verdict | run (UTC, commit) | command |",
                "|---|---:|---:|---|---|---|",
            ]
            for name in ran:
                for row in section["rows"][name]:
                    lines.append(
                        f"| {row['what']} | {row['figure']} | {row['baseline']} | "
                        f"{row['verdict']} | {row['run']} | `{row['command']}` |"
                    )
        missing = [bench.name for bench in BENCHMARKS if bench.name not in ran]
        if missing:
            lines += ["", f"Not run at these sizes yet: {', '.join(missing)}."]
        if section.get("note"):
            lines += ["", section["note"]]
    lines += ["", f"<!-- suite:data {json.dumps(data, ensure_ascii=False)} -->", END]
    return "\n".join(lines)


def write(path: Path, mode: str, results: dict[str, list[Row]], machine: str, note: str) -> None:
    text = path.read_text(encoding="utf-8")
    data: dict[str, Any] = {}
    if BEGIN in text:
        head, rest = text.split(BEGIN, 1)
        block, tail = rest.split(END, 1)
        found = DATA.search(block)
        data = json.loads(found.group(1)) if found else {}
    else:
        at = text.find("\n## ") + 1 or len(text)
        head, tail = text[:at], "\n\n" + text[at:]
    section = data.setdefault(mode, {})
    section.setdefault("rows", {}).update(
        {name: [asdict(row) for row in rows] for name, rows in results.items()}
    )
    if note:
        section["note"] = note
    if machine:
        data["machine"] = machine
    path.write_text(head + render(data) + tail, encoding="utf-8")
    print(f"\nthe block in {path} is updated ({mode} sizes: {', '.join(results)})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a few minutes")
    names = ",".join(bench.name for bench in BENCHMARKS)
    parser.add_argument("--only", default=names, help=f"comma-separated, of: {names}")
    parser.add_argument("--memory-sizes", help="the two log sizes (statements) of the memory run")
    parser.add_argument(
        "--use",
        action="append",
        default=[],
        metavar="NAME=FILE",
        help="take NAME's figures from the JSON summary FILE of an earlier run instead of running "
        "it (the row shows that run's command)",
    )
    parser.add_argument("--write", metavar="FILE", help="replace the suite's block in FILE")
    parser.add_argument("--note", default="", help="a line under the table (with --write)")
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = set(chosen) - {bench.name for bench in BENCHMARKS}
    if unknown:
        parser.error(f"unknown benchmarks: {', '.join(sorted(unknown))}; choose from {names}")
    mode = "quick" if args.quick else "full"
    stamp = f"{datetime.now(UTC):%Y-%m-%d %H:%M}, {git_commit()}"
    results: dict[str, list[Row]] = {}
    machine = ""
    used = dict(item.split("=", 1) for item in args.use if "=" in item)
    if len(used) != len(args.use) or set(used) - {bench.name for bench in BENCHMARKS}:
        parser.error(f"--use takes NAME=FILE, NAME one of: {names}")
    with tempfile.TemporaryDirectory(prefix="lienthong-suite-") as directory:
        for bench in BENCHMARKS:
            if bench.name in used:
                results[bench.name], line = reuse(bench, Path(used[bench.name]), stamp)
                machine = line or machine
            elif bench.name in chosen:
                command = arguments(bench, mode, args.memory_sizes)
                results[bench.name], line = run(bench, command, Path(directory), stamp)
                machine = line or machine
    print(f"\nsummary ({mode} sizes):")
    for rows in results.values():
        for row in rows:
            print(f"  {row.what}: {row.figure} | {row.baseline} | {row.verdict}   ← {row.command}")
    if args.write:
        write(Path(args.write), mode, results, machine, args.note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
