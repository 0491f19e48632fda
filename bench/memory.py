"""Peak memory of a full audit and of a rebuild of the views as the log grows: 1M and 10M entries.

Run by hand, not in CI, from the repository root:

    python bench/memory.py [--sizes 1000000,10000000] [--batch 500] [--json FILE]

The audit (bench/audit.py) and rebuild (bench/views.py) benchmarks measure rates on logs of
tens of thousands of entries. This one grows ONE log on a SQLite file to each of `--sizes` and,
at each size, measures in fresh processes:

  audit, 1     `audit(..., workers=1)`: peak RSS (getrusage maxrss) of the process;
  audit, N     `audit(..., workers=os.cpu_count())`: the main process's maxrss plus the largest
               worker's peak RSS (VmHWM, sampled from /proc);
  rebuild      `Projector.rebuild()` of every view from the log: maxrss.

Each fresh process is launched through a small intermediate one (Linux carries a process's
maxrss across fork and exec). The memory must stay flat as the log grows: the largest size's
peak within ×1.10 of the smallest's. Every audit must pass cleanly over the whole log, and
every rebuild must go through every entry, or the run stops.

The log is the audit benchmark's scenario (per dossier: received at a commune, dispatched to
the district, acknowledged there, dispatched to the province; one dossier a minute of simulated
time), signed by the test world's seeded officer keys and recorded through `Ledger.record_many`
(the same checks as `record`) in batches of `--batch`, with a log key issuing a checkpoint every
10,000 entries. The statements are built and signed in a second process while this one records
them, so growing the log costs recording only: about 3,000 statements/s here, an hour for 10M.

`--json FILE` writes the figures as JSON (read by bench/suite.py).
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.audit import measure_memory  # noqa: E402
from bench.log import machine_line, write_json  # noqa: E402
from bench.record import YEARS_OF_TOLERANCE  # noqa: E402
from bench.views import rebuild_memory  # noqa: E402
from domain.statement import ZERO_HASH, Statement  # noqa: E402
from ledger.application import Receipt  # noqa: E402
from ledger.log.tlog import LogKey  # noqa: E402
from ledger.statements import schema, signing  # noqa: E402
from tests.world import DAY, PROCEDURE, START, World, document, seeded_key  # noqa: E402

ORIGIN = "bench.lienthong.example/log"
CHUNK = 2000  # dossiers per message from the generating process
MINUTE = 60 * 1_000_000
STEPS_PER_DOSSIER = 4
FLAT = 1.10


# --- the statements, built and signed in a second process ---------------------------------------


def dossier_envelopes(index: int) -> list[tuple[bytes, bytes, int]]:
    """The four signed statements of dossier `index`: (statement bytes, signature, at)."""
    code = f"000.00.01.H59-250303-{index + 1:07d}"
    commune, district = _SIGNERS["29266"], _SIGNERS["844"]
    at = START + index * MINUTE
    envelopes: list[tuple[bytes, bytes, int]] = []
    prev = ZERO_HASH
    steps: list[tuple[tuple[str, Any, str], str, dict[str, Any]]] = [
        (
            commune,
            "dossier.received",
            {
                "procedure": PROCEDURE,
                "version": 1,
                "applicant": hashlib.sha256(f"salt|{index}".encode()).digest(),
                "channel": "direct",
                "documents": [_DOCUMENT],
                "appointed": at + 20 * DAY,
            },
        ),
        (
            commune,
            "handover.dispatched",
            {"to": "844", "purpose": "process", "documents": [_DOCUMENT]},
        ),
        (district, "handover.acknowledged", {"dispatch": b"", "documents": [_DOCUMENT]}),
        (
            district,
            "handover.dispatched",
            {"to": "84", "purpose": "process", "documents": [_DOCUMENT]},
        ),
    ]
    for seq, ((office, key, officer), kind, body) in enumerate(steps, start=1):
        if kind == "handover.acknowledged":
            body["dispatch"] = prev  # the dispatch just before it
        raw = schema.build(
            Statement(
                kind=kind,
                subject=code,
                seq=seq,
                prev=prev,
                office=office,
                officer=officer,
                key=key.key_id,
                at=at + (seq - 1) * 10 * 1_000_000,
                body=body,
            )
        )
        envelopes.append((raw, key.sign(raw), at + (seq - 1) * 10 * 1_000_000))
        prev = signing.statement_hash(raw)
    return envelopes


_DOCUMENT = document("Đơn đề nghị")
_SIGNERS = {
    office: (office, seeded_key(f"cb-{office}"), f"cb-{office}") for office in ("29266", "844")
}


def generate(first: int, last: int, queue: Any) -> None:
    """Put the envelopes of dossiers [first, last) on `queue`, CHUNK dossiers at a time."""
    for start in range(first, last, CHUNK):
        chunk: list[tuple[bytes, bytes, int]] = []
        for index in range(start, min(start + CHUNK, last)):
            chunk += dossier_envelopes(index)
        queue.put(chunk)
    queue.put(None)


def envelopes(first: int, last: int) -> Iterator[list[tuple[bytes, bytes, int]]]:
    """The envelopes of dossiers [first, last), built by a second process while the caller
    records the previous chunk."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue(maxsize=8)
    process = context.Process(target=generate, args=(first, last, queue), daemon=True)
    process.start()
    try:
        while (chunk := queue.get()) is not None:
            yield chunk
    finally:
        process.join(timeout=5)
        if process.is_alive():
            process.terminate()


# --- the log ------------------------------------------------------------------------------------


class GrowingLog:
    """One SQLite ledger grown in place, with the log key that signs its checkpoints."""

    def __init__(self, directory: Path, batch: int) -> None:
        self.log_key = LogKey.generate(ORIGIN)
        key_file = directory / "log.key"
        self.log_key.save(key_file)
        self.url = f"sqlite:///{directory / 'memory.db'}"
        self.world = World.build(
            self.url,
            log_key_file=str(key_file),
            checkpoint_every_entries=10_000,
            checkpoint_every_seconds=10**9,  # the simulated clock jumps minutes at a time
            clock_tolerance_seconds=YEARS_OF_TOLERANCE,
        )
        self.batch = batch
        self.dossiers = 0
        self.setup = self.world.ledger.log_size()  # the registry: offices, officers, keys

    def grow(self, statements: int) -> None:
        """Record dossiers until the log holds `statements` of them (plus the registry)."""
        target = statements // STEPS_PER_DOSSIER
        if target <= self.dossiers:
            return
        started, done = time.perf_counter(), self.dossiers * STEPS_PER_DOSSIER
        ledger, clock = self.world.ledger, self.world.clock
        for chunk in envelopes(self.dossiers, target):
            for first in range(0, len(chunk), self.batch):
                part = chunk[first : first + self.batch]
                clock.set(part[-1][2])
                outcomes = ledger.record_many([(raw, signature) for raw, signature, _ in part])
                refused = [o for o in outcomes if not isinstance(o, Receipt)]
                if refused:
                    raise SystemExit(f"{len(refused)} statements refused: {refused[0]}")
            done += len(chunk)
            elapsed = time.perf_counter() - started
            rate = (done - self.dossiers * STEPS_PER_DOSSIER) / elapsed
            print(
                f"\r  recorded {done:,} / {statements:,} statements, {rate:,.0f}/s",
                end="",
                flush=True,
            )
        self.dossiers = target
        print(
            f"\n  the log holds {ledger.log_size():,} entries ({time.perf_counter() - started:.0f} s)"
        )

    def close(self) -> None:
        self.world.ledger.close()


def measure(log: GrowingLog, workers: int) -> dict[str, Any]:
    size = log.world.ledger.log_size()
    figures: dict[str, Any] = {"entries": size}
    for count in (1, workers):
        audited = measure_memory(log, count)  # type: ignore[arg-type]  # needs url and log_key
        if audited["checked"] != size:
            raise SystemExit(f"the audit checked {audited['checked']} entries of {size}")
        figures[f"audit_{count}"] = audited
        peak = audited["after_kb"] + (audited["workers_kb"] if count > 1 else 0)
        print(
            f"  audit, {count} worker(s), {size:,} entries: {audited['seconds']:.0f} s, "
            f"peak {peak / 1024:,.0f} MB",
            flush=True,
        )
    figures["rebuild"] = rebuild_memory(log.url, size)
    return figures


def report(sizes: list[dict[str, Any]], workers: int) -> None:
    def peak(m: dict[str, Any], what: str) -> float:
        if what == "rebuild":
            return float(m["rebuild"]["after_kb"]) / 1024
        audited = m[what]
        extra = audited["workers_kb"] if what != "audit_1" else 0
        return float(audited["after_kb"] + extra) / 1024

    names = {
        "audit_1": "audit, 1 process",
        f"audit_{workers}": f"audit, {workers} workers (main + a worker)",
        "rebuild": "rebuild of the views",
    }
    print("\n  peak memory, MB:")
    header = "".join(f"{m['entries']:>14,}" for m in sizes)
    print(f"  {'':40}{header}   ratio")
    for what, name in names.items():
        values = [peak(m, what) for m in sizes]
        ratio = values[-1] / values[0]
        verdict = "flat" if ratio <= FLAT else "GROWS"
        cells = "".join(f"{value:>14,.0f}" for value in values)
        print(f"  {name:40}{cells}   ×{ratio:.2f} {verdict}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000000,10000000", help="comma-separated log sizes")
    parser.add_argument("--batch", type=int, default=500, help="statements per record_many")
    parser.add_argument("--json", help="write the figures as JSON to this file")
    args = parser.parse_args(argv)
    sizes = sorted({int(size) for size in args.sizes.split(",") if size.strip()})
    if len(sizes) < 2 or any(
        size < STEPS_PER_DOSSIER or size % STEPS_PER_DOSSIER for size in sizes
    ):
        parser.error("--sizes needs two or more sizes, multiples of 4")
    command = f"python bench/memory.py --sizes {','.join(map(str, sizes))} --batch {args.batch}"
    workers = os.cpu_count() or 1
    print(f"{command}\n  {machine_line()}", flush=True)
    measured = []
    with tempfile.TemporaryDirectory(prefix="lienthong-memory-") as directory:
        log = GrowingLog(Path(directory), args.batch)
        try:
            for size in sizes:
                log.grow(size)
                measured.append(measure(log, workers))
        finally:
            log.close()
    report(measured, workers)
    write_json(args.json, command, {"workers": workers, "sizes": measured})
    return 0


if __name__ == "__main__":
    sys.exit(main())
