"""Recording benchmark: the signed path (Ledger.record) against bare eventsourcing, side by side.

Run by hand, not in CI, from the repository root:

    python bench/record.py --backend sqlite|postgres|all --n N [--repeats R]
                           [--profile auto|always|never] [--json FILE]

Per backend, in one process, this times alternately (bare, signed, bare, signed, ...), each run on
fresh storage (a new SQLite file in a temporary directory, or a new PostgreSQL schema):

  signed  N statements recorded through `Ledger.record` into a ledger set up by `tests.world.World`:
          N/4 dossiers × (received, dispatched 29266→844, acknowledged by 844, dispatched 844→84).
          The envelopes are built and signed beforehand, outside the timed region, by running the
          same scenario against a throwaway in-memory World (same key seeds, same clock start, so
          the bytes and heads are identical); the timed loop only sets the simulated clock to each
          statement's `at` and calls `ledger.record(statement, signature)`.
  bare    the same shape with plain eventsourcing: N/4 aggregates, each created then given 3 more
          events, every event carrying a 300-byte payload, one save per event, get-then-save for
          the updates; same persistence settings, aggregate cache and msgpack transcoder.

It prints the rates (the median of the repeats, and the best), the ratio signed/bare, and the raw
Ed25519 verification rate of `cryptography` measured in the same run. When the ratio is below the
target (70 %), or with `--profile always`, two more signed runs break the time of Ledger.record
down: one with perf_counter timers around its steps (parse, verify, subject and registry lookups
and their SELECTs, save), one under cProfile (shares of the same steps, top functions).
`--json FILE` writes the summary as JSON (read by bench/suite.py).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import importlib.metadata
import json
import os
import platform
import pstats
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey  # noqa: E402
from eventsourcing.application import Application  # noqa: E402
from eventsourcing.domain import Aggregate, event  # noqa: E402
from eventsourcing.persistence import Transcoder  # noqa: E402

from ledger.application import Receipt  # noqa: E402
from ledger.config import persistence_env  # noqa: E402
from ledger.statements import schema, signing  # noqa: E402
from ledger.statements.transcoder import MsgpackTranscoder  # noqa: E402
from tests.world import OFFICES, World, seeded_key  # noqa: E402

TARGET = 0.70
PAYLOAD_BYTES = 300
YEARS_OF_TOLERANCE = 10 * 366 * 86_400  # seconds: lets record_in_batches date a batch at once
POSTGRES_URL = os.environ.get(
    "LIENTHONG_BENCH_POSTGRES_URL",
    os.environ.get("LIENTHONG_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"),
)


# --- the signed path: envelopes prepared (and signed) outside the timed region -----------------


@dataclass(frozen=True)
class Prepared:
    raw: bytes
    signature: bytes
    at: int


def prepare_envelopes(n: int) -> list[Prepared]:
    """N signed statements, in recording order, made by running the scenario on a memory World."""
    world = World.build("memory:")
    captured: list[tuple[bytes, bytes]] = []
    record = world.ledger.record

    def capture(raw: bytes, signature: bytes) -> Any:
        captured.append((raw, signature))
        return record(raw, signature)

    world.ledger.record = capture  # type: ignore[method-assign]
    for i in range(n // 4):
        code = f"000.00.01.H59-250303-{i + 1:06d}"
        world.receive(code)
        dispatch = world.dispatch("29266", "844", code)
        world.acknowledge("844", dispatch, code)
        world.dispatch("844", "84", code)
    world.ledger.close()
    return [Prepared(raw, sig, schema.parse(raw).at) for raw, sig in captured]


def record_in_batches(world: World, envelopes: Sequence[Prepared], batch: int = 500) -> None:
    """Grow a log fast, untimed: `Ledger.record_many`, `batch` envelopes per transaction, the
    clock set to each batch's last `at`. The World must be built with
    `clock_tolerance_seconds=YEARS_OF_TOLERANCE` (a batch spans days of simulated time)."""
    for first in range(0, len(envelopes), batch):
        chunk = envelopes[first : first + batch]
        world.clock.set(chunk[-1].at)
        outcomes = world.ledger.record_many([(item.raw, item.signature) for item in chunk])
        refused = [outcome for outcome in outcomes if not isinstance(outcome, Receipt)]
        if refused:
            raise SystemExit(
                f"{len(refused)} statements refused while growing the log: {refused[0]}"
            )


def registry_heads(world: World) -> list[tuple[int, bytes]]:
    """The heads of the registry subjects the scenario relies on: equal heads = identical setup."""
    ledger = world.ledger
    heads = [ledger.head("authority", "authority")]
    heads += [ledger.head("office", office) for office in OFFICES]
    heads += [ledger.head("officer", f"cb-{office}") for office in OFFICES]
    heads += [ledger.head("key", signer.key.key_id) for signer in world.officers.values()]
    return heads


def run_signed(
    url: str,
    envelopes: list[Prepared],
    expected_heads: list[tuple[int, bytes]],
    profiler: cProfile.Profile | None = None,
    *,
    instrument: Callable[[World], None] | None = None,
) -> float:
    """Seconds to record the envelopes into a freshly initialised ledger at `url`."""
    world = World.build(url)
    try:
        if registry_heads(world) != expected_heads:
            raise SystemExit("the target World differs from the one the envelopes were signed on")
        if instrument is not None:
            instrument(world)
        ledger, clock = world.ledger, world.clock
        record, set_clock = ledger.record, clock.set
        gc.collect()
        if profiler is not None:
            profiler.enable()
        started = time.perf_counter()
        for item in envelopes:
            set_clock(item.at)
            record(item.raw, item.signature)
        elapsed = time.perf_counter() - started
        if profiler is not None:
            profiler.disable()
        if ledger.log_size() != len(envelopes) + setup_size(expected_heads):
            raise SystemExit("the signed run did not record every statement")
        return elapsed
    finally:
        world.ledger.close()


def setup_size(heads: list[tuple[int, bytes]]) -> int:
    # authority + 5 offices + 5 officers + 5 keys, each one statement, and one procedure.
    return sum(seq for seq, _ in heads) + 1


# --- the bare baseline ------------------------------------------------------------------------


class Parcel(Aggregate):
    """An unsigned stand-in for a dossier: one bytes payload per event."""

    @event("Created")
    def __init__(self, payload: bytes) -> None:
        self.payload = payload
        self.events = 1

    @event("Updated")
    def update(self, payload: bytes) -> None:
        self.payload = payload
        self.events += 1


class Bare(Application[uuid.UUID]):
    name = "Bare"

    def construct_transcoder(self) -> Transcoder:
        return MsgpackTranscoder()


PLAIN_FACTORIES = {
    "sqlite": "eventsourcing.sqlite",
    "postgresql": "eventsourcing.postgres",
    "postgres": "eventsourcing.postgres",
}


def bare_env(url: str) -> dict[str, str]:
    """The ledger's connection settings for the URL on eventsourcing's own recorders (the
    ledger's log recorders refuse a save without leaf hashes), with the ledger's aggregate cache:
    saved aggregates stay cached and a get costs no query, as in the ledger (which adds one
    freshness query per statement to see other writers; bare eventsourcing has no such check)."""
    env = persistence_env(url)
    env.update(
        {
            "PERSISTENCE_MODULE": PLAIN_FACTORIES[url.split(":", 1)[0]],
            "AGGREGATE_CACHE_MAXSIZE": "10000",
            "AGGREGATE_CACHE_FASTFORWARD": "n",
        }
    )
    return env


def run_bare(url: str, n: int) -> float:
    """Seconds to save N events: N/4 aggregates, created then updated 3 times, one save each."""
    app = Bare(env=bare_env(url))
    if hasattr(app.recorder, "tree_size"):
        raise SystemExit("the bare run must use eventsourcing's recorders, not the ledger's")
    payloads = [bytes([i % 251]) * PAYLOAD_BYTES for i in range(4)]
    try:
        get, save = app.repository.get, app.save
        gc.collect()
        started = time.perf_counter()
        for _ in range(n // 4):
            parcel = Parcel(payloads[0])
            save(parcel)
            for step in (1, 2, 3):
                parcel = get(parcel.id)
                parcel.update(payloads[step])
                save(parcel)
        elapsed = time.perf_counter() - started
        if (app.recorder.max_notification_id() or 0) != n // 4 * 4:
            raise SystemExit("the bare run did not save every event")
        return elapsed
    finally:
        app.close()


# --- fresh storage per run --------------------------------------------------------------------


@contextmanager
def fresh_storage(backend: str, name: str) -> Iterator[str]:
    """A database URL to empty storage, removed afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="lienthong-bench-") as directory:
            yield f"sqlite:///{Path(directory) / (name + '.db')}"
        return
    schema_name = f"bench_{name}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema_name}"')
    try:
        yield f"{POSTGRES_URL}?schema={schema_name}"
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{schema_name}" CASCADE')


# --- Ed25519 context --------------------------------------------------------------------------


def verification_rates(envelopes: list[Prepared], seconds: float = 1.0) -> tuple[float, float]:
    """Verifications/s of `cryptography` Ed25519: raw (key object reused) and as the ledger does
    it (`signing.verify`: key object built from 32 bytes, prefix concatenated, per call)."""
    public = {
        signer.key_id: signer.public_key
        for signer in (seeded_key(f"cb-{office}") for office in OFFICES)
    }
    items = [(public[schema.parse(e.raw).key], e.raw, e.signature) for e in envelopes[:512]]
    keys = {pk: Ed25519PublicKey.from_public_bytes(pk) for pk in public.values()}
    messages = [(keys[pk], sig, signing.SIGNING_PREFIX + raw) for pk, raw, sig in items]

    def raw_loop() -> int:
        for key, sig, message in messages:
            key.verify(sig, message)
        return len(messages)

    def ledger_loop() -> int:
        for pk, raw, sig in items:
            signing.verify(pk, raw, sig)
        return len(items)

    return _rate(raw_loop, seconds), _rate(ledger_loop, seconds)


def _rate(loop: Callable[[], int], seconds: float) -> float:
    done, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        done += loop()
    return done / elapsed


# --- where the signed path's time goes --------------------------------------------------------


class Timers:
    """perf_counter wrappers around the steps of Ledger.record: a breakdown without the
    distortion of a profiler (about 1 µs of overhead per wrapped call, ~10 calls a statement)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.context = "subject"

    def timed(
        self, function: Callable[..., Any], label: str | None, context: str | None = None
    ) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            previous = self.context
            name = label or f"{previous} lookups"
            if context is not None:
                self.context = context
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - started
                self.context = previous
                if not (label is None and previous == "registry"):  # counted in _get
                    self.seconds[name] += elapsed
                    self.calls[name] += 1

        return wrapper

    def install(self, world: World) -> None:
        ledger = world.ledger
        ledger._find = self.timed(ledger._find, None)  # type: ignore[method-assign]
        ledger._get = self.timed(ledger._get, "registry lookups", "registry")  # type: ignore[method-assign]
        ledger.save = self.timed(ledger.save, "save", "save")  # type: ignore[method-assign]
        freshness = ledger._freshness
        freshness.catch_up = self.timed(freshness.catch_up, "freshness check")  # type: ignore[method-assign]
        recorder = ledger.recorder
        select = recorder.select_events

        def select_events(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return select(*args, **kwargs)
            finally:
                self.seconds[f"select in {self.context}"] += time.perf_counter() - started
                self.calls[f"select in {self.context}"] += 1

        recorder.select_events = select_events  # type: ignore[method-assign]
        self.install_module_functions()

    def install_module_functions(self) -> None:
        """Wrap schema.parse and signing.verify (module functions the ledger calls); undo()."""
        self._originals = (schema.parse, signing.verify)
        schema.parse = self.timed(schema.parse, "parse")
        signing.verify = self.timed(signing.verify, "verify")

    def undo(self) -> None:
        if hasattr(self, "_originals"):
            schema.parse, signing.verify = self._originals


STEPS = [
    ("parse", "canonical decode + field checks (schema.parse)"),
    ("verify", "Ed25519 signature verification (signing.verify)"),
    ("freshness check", "cache freshness: the log's last position (1 query)"),
    ("subject lookups", "subject lookup: dossier get (deepcopy from cache)"),
    ("select in subject", "  of which: its SELECT"),
    ("registry lookups", "registry lookups: key, officer, office(s), procedure"),
    ("select in registry", "  of which: their SELECTs (cache misses)"),
    ("save", "save: encode, INSERT, commit"),
]
TOP_LEVEL = ("parse", "verify", "freshness check", "subject lookups", "registry lookups", "save")


def breakdown_signed(
    backend: str, envelopes: list[Prepared], heads: list[tuple[int, bytes]]
) -> None:
    n = len(envelopes)
    timers = Timers()
    try:
        with fresh_storage(backend, "timers") as url:
            total = run_signed(url, envelopes, heads, instrument=timers.install)
    finally:
        timers.undo()
    profiler = cProfile.Profile()
    with fresh_storage(backend, "profile") as url:
        profiled = run_signed(url, envelopes, heads, profiler)
    shares = cprofile_shares(profiler, backend)
    print(
        f"\n  where the signed path's time goes ({backend}, {n} statements; timers: "
        f"{n / total:.0f}/s in this run; cProfile: {n / profiled:.0f}/s, it inflates "
        f"Python-heavy steps relative to C and I/O):"
    )
    print(f"    {'step':55} {'µs/stmt':>8} {'% time':>7} {'calls/stmt':>10} {'cProfile %':>10}")
    for key, label in STEPS:
        seconds, calls = timers.seconds[key], timers.calls[key]
        share = f"{shares[key]:9.1f}%" if key in shares else ""
        print(
            f"    {label:55} {1e6 * seconds / n:8.0f} {100 * seconds / total:6.1f}% "
            f"{calls / n:10.2f} {share:>10}"
        )
    rest = total - sum(timers.seconds[key] for key in TOP_LEVEL)
    print(
        f"    {'rest: clock/head checks, hashing, domain rules, loop':55} "
        f"{1e6 * rest / n:8.0f} {100 * rest / total:6.1f}% {'':10} {shares['rest']:9.1f}%"
    )
    print(f"    {'total per statement':55} {1e6 * total / n:8.0f} {100.0:6.1f}%")
    print("\n    cProfile, top 12 functions by own time:")
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    ordered = sorted(stats.items(), key=lambda kv: kv[1][2], reverse=True)[:12]
    for (filename, line, function), value in ordered:
        short = "/".join(Path(filename).parts[-2:]) if filename != "~" else "~"
        print(
            f"    {value[2]:7.2f} s own {value[1] / n:7.2f} calls/stmt  {short}:{line}({function})"
        )


def cprofile_shares(profiler: cProfile.Profile, backend: str) -> dict[str, float]:
    """The same steps as percentages of Ledger.record under cProfile."""
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]

    def find(filename: str, function: str) -> list[tuple[Any, ...]]:
        return [
            value
            for key, value in stats.items()
            if key[0].replace(os.sep, "/").endswith(filename) and key[2] == function
        ]

    def cumulative(filename: str, function: str) -> float:
        return float(sum(value[3] for value in find(filename, function)))

    def from_caller(filename: str, function: str, caller: str) -> float:
        return float(
            sum(
                edge[3]
                for value in find(filename, function)
                for (_, _, name), edge in value[4].items()
                if name == caller
            )
        )

    record = cumulative("ledger/application.py", "record")
    recorder = "eventsourcing/sqlite.py" if backend == "sqlite" else "eventsourcing/postgres.py"
    shares = {
        "parse": cumulative("ledger/statements/schema.py", "parse"),
        "verify": cumulative("ledger/statements/signing.py", "verify"),
        "subject lookups": from_caller("ledger/application.py", "_find", "record"),
        "registry lookups": cumulative("ledger/application.py", "_get"),
        "save": cumulative("eventsourcing/application.py", "save"),
    }
    selects = cumulative(recorder, "select_events")
    shares["rest"] = record - sum(shares.values())
    shares["select (all gets)"] = selects
    return {key: 100 * value / record for key, value in shares.items()}


# --- main -------------------------------------------------------------------------------------


def bench_backend(
    backend: str,
    n: int,
    repeats: int,
    envelopes: list[Prepared],
    heads: list[tuple[int, bytes]],
    profile: str,
) -> dict[str, float]:
    times: dict[str, list[float]] = {"bare": [], "signed": []}
    variants = ["bare", "signed"]
    print(f"\n{backend}: N={n}, {repeats} × ({', '.join(variants)}), fresh storage each run")
    for i in range(repeats):
        for variant in variants:
            with fresh_storage(backend, variant) as url:
                elapsed = (
                    run_bare(url, n) if variant == "bare" else run_signed(url, envelopes, heads)
                )
            times[variant].append(elapsed)
        line = "   ".join(f"{v} {n / times[v][-1]:6.0f}/s" for v in variants)
        ratio = times["bare"][-1] / times["signed"][-1]
        print(f"  repeat {i + 1}: {line}   signed/bare {ratio:.2f}")
    result: dict[str, float] = {}
    for variant in variants:
        result[variant] = n / statistics.median(times[variant])
        result[variant + " best"] = n / min(times[variant])
    result["ratio"] = result["signed"] / result["bare"]
    result["ratio best"] = result["signed best"] / result["bare best"]
    for label, suffix in (("median", ""), ("best  ", " best")):
        line = "   ".join(f"{v} {result[v + suffix]:6.0f}/s" for v in variants)
        print(f"  {label}: {line}   signed/bare {result['ratio' + suffix]:.2f}")
    verdict = "meets" if result["ratio"] >= TARGET else "is BELOW"
    print(f"  the signed path {verdict} the target of {TARGET:.0%} of the bare rate")
    if profile == "always" or (profile == "auto" and result["ratio"] < TARGET):
        breakdown_signed(backend, envelopes, heads)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "all"], default="all")
    parser.add_argument(
        "--n", type=int, default=2000, help="statements (and bare events) per run; a multiple of 4"
    )
    parser.add_argument("--repeats", type=int, default=3, help="interleaved (bare, signed) rounds")
    parser.add_argument(
        "--profile",
        choices=["auto", "always", "never"],
        default="auto",
        help="break the signed path down: when below target (auto), always or never",
    )
    parser.add_argument("--json", metavar="FILE", help="write the summary as JSON")
    args = parser.parse_args(argv)
    if args.n < 4 or args.n % 4:
        parser.error("--n must be a positive multiple of 4")
    backends = ["sqlite", "postgres"] if args.backend == "all" else [args.backend]

    version = importlib.metadata.version
    print(
        f"Python {platform.python_version()}, eventsourcing {version('eventsourcing')}, "
        f"cryptography {version('cryptography')}, {os.cpu_count()} CPUs, {platform.machine()}"
    )
    started = time.perf_counter()
    envelopes = prepare_envelopes(args.n)
    reference = World.build("memory:")
    heads = registry_heads(reference)
    reference.ledger.close()
    sizes = [len(e.raw) for e in envelopes]
    print(
        f"prepared and signed {len(envelopes)} statements in "
        f"{time.perf_counter() - started:.1f} s (outside the timed runs); statement bytes: "
        f"mean {statistics.mean(sizes):.0f}, min {min(sizes)}, max {max(sizes)}"
    )
    raw_rate, ledger_rate = verification_rates(envelopes)
    print(
        f"Ed25519 verification (cryptography): {raw_rate:,.0f}/s with a reused key object, "
        f"{ledger_rate:,.0f}/s as signing.verify does it (key object built per call)"
    )

    results = {
        backend: bench_backend(backend, args.n, args.repeats, envelopes, heads, args.profile)
        for backend in backends
    }
    print(f"\nsummary (N={args.n}, median of {args.repeats}; statements/s):")
    print(f"  {'backend':10} {'bare':>8} {'signed':>8} {'signed/bare':>12}")
    for backend, result in results.items():
        print(
            f"  {backend:10} {result['bare']:8.0f} {result['signed']:8.0f} {result['ratio']:11.0%}"
        )
    if args.json:
        command = (
            f"python bench/record.py --backend {args.backend} --n {args.n} "
            f"--repeats {args.repeats} --profile {args.profile}"
        )
        summary = {"command": command, "n": args.n, "target": TARGET, "backends": results}
        Path(args.json).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
