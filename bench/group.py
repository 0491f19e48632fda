"""Group commit benchmark: statements recorded one by one (`Ledger.record`) against batches of
8 and 32 (`Ledger.record_many`: one transaction per batch), on SQLite and PostgreSQL.

Run by hand, not in CI, from the repository root:

    python bench/group.py --backend sqlite|postgres|all --n N [--repeats R] [--sizes 8,32]

The workload is what a server sees when many officers work at once: N/4 dossiers, phase by phase
(all received at 29266, then all dispatched to 844, then all acknowledged by 844, then all
dispatched on to 84), the phases a minute apart, so consecutive statements concern different
dossiers. The envelopes are built and signed before any timing on a throwaway in-memory World
(same seeds and clock start as the target, so the bytes and heads are identical).

Per backend, in one process, the variants run interleaved (one by one, batches of 8, batches of
32, one by one, ...), each on a freshly initialised ledger on fresh storage (`bench/record.py`'s
helpers). One by one steps the simulated clock to each statement's `at` before recording it; a
batch steps it to the latest `at` of the batch, as a server's clock reads when the group is
written. It prints statements/s per run, the median of the repeats and its ratio to one by one.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.log import machine_line  # noqa: E402
from bench.record import (  # noqa: E402
    Prepared,
    fresh_storage,
    registry_heads,
    run_signed,
    setup_size,
)
from ledger.application import Receipt  # noqa: E402
from ledger.statements.authoring import Signer  # noqa: E402
from tests.world import DAY, PROCEDURE, World, document  # noqa: E402

PHASE_SECONDS = 60  # within the ledger's clock tolerance: a batch may span two phases


def prepare_phases(n: int) -> list[Prepared]:
    """N signed statements, phase by phase over N/4 dossiers, recorded on a memory World."""
    world = World.build("memory:")
    prepared: list[Prepared] = []

    def add(signer: Signer, kind: str, code: str, body: dict[str, Any]) -> Receipt:
        envelope = signer.envelope(kind, code, body)
        prepared.append(Prepared(envelope.statement, envelope.signature, world.clock.now()))
        return world.ledger.record(envelope.statement, envelope.signature)

    codes = [f"000.00.01.H59-250303-{i + 1:06d}" for i in range(n // 4)]
    commune, district = world.at("29266"), world.at("844")
    for code in codes:
        add(commune, "dossier.received", code, received_body(world))
    world.clock.advance(PHASE_SECONDS)
    sent = {code: add(commune, "handover.dispatched", code, dispatch_body("844")) for code in codes}
    world.clock.advance(PHASE_SECONDS)
    for code in codes:
        body = {"dispatch": sent[code].digest, "documents": [document("Đơn đề nghị")]}
        add(district, "handover.acknowledged", code, body)
    world.clock.advance(PHASE_SECONDS)
    for code in codes:
        add(district, "handover.dispatched", code, dispatch_body("84"))
    world.ledger.close()
    return prepared


def received_body(world: World) -> dict[str, Any]:
    return {
        "procedure": PROCEDURE,
        "version": 1,
        "applicant": hashlib.sha256(b"salt|applicant").digest(),
        "channel": "direct",
        "documents": [document("Đơn đề nghị")],
        "appointed": world.clock.now() + 20 * DAY,
    }


def dispatch_body(to: str) -> dict[str, Any]:
    return {"to": to, "purpose": "process", "documents": [document("Đơn đề nghị")]}


def run_batched(
    url: str, envelopes: list[Prepared], heads: list[tuple[int, bytes]], size: int
) -> float:
    """Seconds to record the envelopes in batches of `size` into a fresh ledger at `url`."""
    world = World.build(url)
    try:
        if registry_heads(world) != heads:
            raise SystemExit("the target World differs from the one the envelopes were signed on")
        batches = [envelopes[i : i + size] for i in range(0, len(envelopes), size)]
        pairs = [[(item.raw, item.signature) for item in batch] for batch in batches]
        record_many, set_clock = world.ledger.record_many, world.clock.set
        gc.collect()
        started = time.perf_counter()
        for batch, items in zip(batches, pairs, strict=True):
            set_clock(batch[-1].at)
            results = record_many(items)
        elapsed = time.perf_counter() - started
        refused = [result for result in results if not isinstance(result, Receipt)]
        if refused or world.ledger.log_size() != len(envelopes) + setup_size(heads):
            raise SystemExit(f"the batched run did not record every statement: {refused[:1]}")
        return elapsed
    finally:
        world.ledger.close()


def bench_backend(
    backend: str, envelopes: list[Prepared], sizes: list[int], repeats: int
) -> dict[str, float]:
    """Statements/s (median of the repeats) per variant, the variants interleaved."""
    reference = World.build("memory:")
    heads = registry_heads(reference)
    reference.ledger.close()
    runs: dict[str, Callable[[str], float]] = {
        "one by one": partial(run_signed, envelopes=envelopes, expected_heads=heads)
    }
    for size in sizes:
        runs[f"batches of {size}"] = partial(
            run_batched, envelopes=envelopes, heads=heads, size=size
        )
    times: dict[str, list[float]] = {variant: [] for variant in runs}
    n = len(envelopes)
    print(f"\n{backend}: N={n}, {repeats} × ({', '.join(runs)}), fresh storage each run")
    for repeat in range(repeats):
        for variant, run in runs.items():
            with fresh_storage(backend, variant.replace(" ", "_")) as url:
                times[variant].append(run(url))
        line = "   ".join(f"{variant} {n / times[variant][-1]:6.0f}/s" for variant in runs)
        print(f"  repeat {repeat + 1}: {line}")
    return {variant: n / statistics.median(seconds) for variant, seconds in times.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "all"], default="all")
    parser.add_argument("--n", type=int, default=2000, help="statements per run; a multiple of 4")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--sizes", default="8,32", help="batch sizes, comma-separated")
    args = parser.parse_args(argv)
    if args.n < 4 or args.n % 4:
        parser.error("--n must be a positive multiple of 4")
    sizes = [int(size) for size in args.sizes.split(",")]
    backends = ["sqlite", "postgres"] if args.backend == "all" else [args.backend]
    print(machine_line())
    started = time.perf_counter()
    envelopes = prepare_phases(args.n)
    print(
        f"prepared and signed {len(envelopes)} statements in "
        f"{time.perf_counter() - started:.1f} s (outside the timed runs)"
    )
    results = {
        backend: bench_backend(backend, envelopes, sizes, args.repeats) for backend in backends
    }
    print(f"\nsummary (N={args.n}, median of {args.repeats}; statements/s, ratio to one by one):")
    for backend, rates in results.items():
        base = rates["one by one"]
        line = "   ".join(
            f"{variant} {rate:6.0f}/s ×{rate / base:4.2f}" for variant, rate in rates.items()
        )
        print(f"  {backend:8} {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
