"""Bulk import against recording one by one: the same signed envelopes, the same process.

Run by hand, not in CI, from the repository root:

    python bench/import_bench.py --backend sqlite|postgres|all --n 20000 [--batch 500] [--repeats 1]

The envelopes are bench/record.py's (N/4 dossiers × received, dispatched 29266 → 844, acknowledged
by 844, dispatched 844 → 84), signed before any timing and written to a JSON-lines file. Per
backend and round, each run on fresh storage set up by `tests.world.World` (clock stopped, clock
tolerance raised so the statements' hours of simulated time all pass), it times:

  one by one  `ledger.record(statement, signature)` for each envelope, already decoded;
  import      `import_envelopes(ledger, file, batch=B, state=…)`: the file read and decoded,
              `record_many` per B envelopes, the state file written after each batch.

Both logs must end on the same Merkle root (each dossier's statements are consecutive in the
file, so batching keeps the order). It prints statements/s of each and the ratio import / one by
one.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.log import backends, machine_line  # noqa: E402
from bench.record import Prepared, fresh_storage, prepare_envelopes  # noqa: E402
from ledger.importer import ImportState, import_envelopes  # noqa: E402
from ledger.statements.signing import Envelope  # noqa: E402
from tests.world import World  # noqa: E402

TOLERANCE = 10 * 365 * 24 * 3600


def one_by_one(url: str, envelopes: list[Prepared]) -> tuple[float, bytes]:
    """Seconds to record the envelopes with `record`, and the log's root after."""
    world = World.build(url, clock_tolerance_seconds=TOLERANCE)
    try:
        record = world.ledger.record
        gc.collect()
        started = time.perf_counter()
        for envelope in envelopes:
            record(envelope.raw, envelope.signature)
        return time.perf_counter() - started, world.ledger.root()
    finally:
        world.ledger.close()


def imported(url: str, path: Path, batch: int, n: int) -> tuple[float, bytes]:
    """Seconds to import the file (as the import measures itself), and the log's root after."""
    world = World.build(url, clock_tolerance_seconds=TOLERANCE)
    try:
        gc.collect()
        state = ImportState.beside(path, restart=True)
        report = import_envelopes(world.ledger, path, batch=batch, state=state)
        if report.recorded != n or report.refused:
            raise SystemExit(f"import recorded {report.recorded} of {n}: {report.refused[:3]}")
        return report.seconds, world.ledger.root()
    finally:
        world.ledger.close()


def run(backend: str, envelopes: list[Prepared], path: Path, batch: int, repeats: int) -> None:
    n = len(envelopes)
    single: list[float] = []
    bulk: list[float] = []
    for _ in range(repeats):
        with fresh_storage(backend, "single") as url:
            seconds, root_single = one_by_one(url, envelopes)
            single.append(seconds)
        with fresh_storage(backend, "import") as url:
            seconds, root_import = imported(url, path, batch, n)
            bulk.append(seconds)
        if root_single != root_import:
            raise SystemExit("the import and the one-by-one recording end on different roots")
    rate_single = n / statistics.median(single)
    rate_import = n / statistics.median(bulk)
    print(
        f"{backend}: N={n} batch={batch} repeats={repeats}: one by one {rate_single:,.0f}/s, "
        f"import {rate_import:,.0f}/s, ratio import / one by one {rate_import / rate_single:.2f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "all"], default="sqlite")
    parser.add_argument("--n", type=int, default=20000, help="statements; a multiple of 4")
    parser.add_argument("--batch", type=int, default=500, help="envelopes per record_many")
    parser.add_argument("--repeats", type=int, default=1, help="rounds of (one by one, import)")
    args = parser.parse_args(argv)
    print(machine_line())
    print(f"command: python bench/import_bench.py {' '.join(sys.argv[1:])}")
    envelopes = prepare_envelopes(args.n)
    with tempfile.TemporaryDirectory(prefix="lienthong-import-") as directory:
        path = Path(directory) / "envelopes.jsonl"
        path.write_text(
            "".join(Envelope(e.raw, e.signature).to_json() + "\n" for e in envelopes),
            encoding="utf-8",
        )
        for backend in backends(args.backend):
            run(backend, envelopes, path, args.batch, args.repeats)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
