"""Parsing benchmark: microseconds per `schema.parse` of a statement, against the reference checks.

Run by hand, not in CI, from the repository root:

    python bench/parse.py [--n N] [--rounds R]

In one process, with timeit, round after round, alternating: `schema.parse_reference` (what
`schema.parse` was before its compiled checks: `canonical.decode`, then each field's `check`),
`schema.parse` (the compiled checks first, the reference checks for what they do not accept) and
`schema.parse_compiled` (the compiled checks alone), over

  record   the N statements bench/record.py signs (N/4 dossiers: received, dispatched,
           acknowledged, dispatched), made the same way;
  kinds    one statement of every kind, every optional field present (the samples of
           tests/unit/test_parse_fast.py).

It prints, per set, the best and the median round in µs per statement, and the ratio of the
reference's best to parse's best. Each parse is checked to give the reference's statement first.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import timeit
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.record import prepare_envelopes  # noqa: E402
from domain.statement import KINDS  # noqa: E402
from ledger.statements import canonical, schema  # noqa: E402
from tests.unit.test_parse_fast import sample_statement  # noqa: E402

PARSERS: dict[str, Callable[[bytes], object]] = {
    "reference": schema.parse_reference,
    "parse": schema.parse,
    "compiled": schema.parse_compiled,
}


def per_statement(parse: Callable[[bytes], object], statements: list[bytes]) -> float:
    """µs per statement of the best of 3 passes over `statements`."""

    def run() -> None:
        for raw in statements:
            parse(raw)

    number = max(1, 2000 // len(statements))
    return min(timeit.repeat(run, number=number, repeat=3)) / number / len(statements) * 1e6


def measure(label: str, statements: list[bytes], rounds: int) -> None:
    for raw in statements:
        assert schema.parse(raw) == schema.parse_reference(raw) == schema.parse_compiled(raw)
    times: dict[str, list[float]] = {name: [] for name in PARSERS}
    for _ in range(rounds):
        for name, parse in PARSERS.items():
            times[name].append(per_statement(parse, statements))
    size = statistics.mean(map(len, statements))
    print(f"{label}: {len(statements)} statements, {size:.0f} bytes on average")
    for name, values in times.items():
        print(
            f"  {name:<10} best {min(values):6.2f} µs   median {statistics.median(values):6.2f} µs"
        )
    print(f"  reference / parse: {min(times['reference']) / min(times['parse']):.1f}×")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="statements signed as bench/record.py")
    parser.add_argument("--rounds", type=int, default=9, help="rounds of each parser, alternating")
    options = parser.parse_args()
    recorded = [item.raw for item in prepare_envelopes(options.n)]
    every_kind = [canonical.encode(sample_statement(kind)) for kind in KINDS]
    measure("record", recorded, options.rounds)
    measure("kinds", every_kind, options.rounds)


if __name__ == "__main__":
    main()
