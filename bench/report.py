"""The office report and the inspector's map of offices on a simulated ledger, against one SELECT.

Run by hand, not in CI, from the repository root:

    python bench/report.py --dossiers N [--seed S] [--years Y] [--db FILE] [--office ID]
                           [--months M] [--runs R] [--json FILE] [--copies K]

It records N simulated dossiers (ledger/simulation/simulator.py, seed S, the Y years that end on
30/6/2026) into a SQLite file — `--db FILE` keeps it, and a later run with the same file reuses it
(the read models are brought up to date, rebuilt if their layout changed, before any timing) —
opens the HTTP app on it with the clock at the simulation's end, signs an inspector of `--office`
(default 86, the province after the 1/7/2025 reform) in to the pages, and then, R rounds, in
ABBA order:

- baseline: one SELECT of the rows the report reads (every dossier received before the period's
  end: code, receiving office and time, channel, appointed time, decided and closed times) from
  `lienthong_location`, on the view's own connection, fetched whole;
- report: `office_report(inspector, office, start, end, scans=…, ratings=…)` over the map's
  period (the M calendar months that end with the simulation's, as the map page counts them),
  with a fresh inspector, as one request gets; the per-dossier reads of the log it makes
  (`Ledger.history`, `Ledger.received`) are counted;
- notices: `notice_counts(inspector, office, start, end)` (the apologies, extensions, refusals
  and stops the report lists beside its counts, as `lienthong report` and the JSON report read
  them), its log reads counted likewise;
- map: GET /giam-sat/ban-do?months=M, the whole page (its office rows, month-by-month rates and
  the national index's figures), status 200 checked;
- the inspector's other pages as they open, status 200 checked: the stalls of the subtree
  (`/giam-sat`, first page), the late decisions (`/giam-sat/ket-qua?months=M`), the dossiers held
  (`/giam-sat/giu?months=M`), and the API's `GET /v1/stalls` (first page of 100, bearer token);
- as-of: `GET /v1/stalls?as_of=…`, 30 days before the clock's now (first page: the stalls of every
  dossier open then, `ledger/views/asof.py`).

Then, once, the as-of stall query in process: how many dossiers were open 30 days before, how
many of them were replayed (the views could not answer for them), its time, and the time of the
way before it — every open dossier's history replayed and judged — checked to find the same stalls.

It prints p50 and p95 of each (ms), each against the baseline's p50, and the log reads per
report; `--json FILE` writes them as JSON.

`--copies K` measures K times as many dossiers without simulating them: once the views of the
file are up to date, each dossier's rows are copied K − 1 times under new codes and the month
cells multiplied (`copied`, once per file) — the same offices, times and procedures, so a
period holds K times its dossiers. The log holds only the simulated ones, so the as-of steps,
which read it, are left out. A simulation of 30,000 dossiers copied 33 times gives the views of
990,000 in a few minutes, against hours for simulating them.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402

from api.http.app import create_app  # noqa: E402
from api.http.services import Services  # noqa: E402
from api.http.web.heatmap import period  # noqa: E402
from domain.instant import start_of  # noqa: E402
from ledger.application import Ledger  # noqa: E402
from ledger.clock import SimulatedClock  # noqa: E402
from ledger.config import LedgerSettings  # noqa: E402
from ledger.simulation.arrivals import SIMULATION_END  # noqa: E402
from ledger.simulation.simulator import SIMULATION_TOLERANCE_SECONDS, simulate  # noqa: E402
from ledger.views import asof, queries  # noqa: E402
from ledger.views.months import CELLS  # noqa: E402
from ledger.views.notices import notice_counts  # noqa: E402
from ledger.views.reports import office_report  # noqa: E402
from ledger.views.stalls import _kept, _stalls_of  # noqa: E402
from ledger.views.tables import LEGS, LOCATION, TURN_DEADLINES  # noqa: E402
from tests.apiworld import settings_for  # noqa: E402
from tests.websession import sign_in  # noqa: E402

# the rows of each dossier's views, by table: what `--copies` copies, the code made unique
COPIED = {
    "lienthong_location": LOCATION.names,
    "lienthong_legs": LEGS.names,
    "lienthong_suspensions": ("code", "started_at", "ended_at"),
    "lienthong_notices": ("code", "seq", "kind", "at"),
    "lienthong_receipt_scans": ("code", "sha256"),
    TURN_DEADLINES: ("code", "last_seq", "basis", "valid_from", "deadline"),
}


def copied(path: Path, copies: int) -> None:
    """Make the views of `path` hold each dossier `copies` times: its rows copied under the codes
    `<code>-x1` … (the log holds only the first), and every month cell's counts multiplied —
    the views of `copies` × the simulated dossiers, with the same offices, times and procedures,
    in minutes rather than the hours a simulation that size takes. Done once per file."""
    with sqlite3.connect(path) as db:
        if db.execute("SELECT 1 FROM lienthong_location WHERE code LIKE '%-x1' LIMIT 1").fetchone():
            return  # copied already
        started = time.perf_counter()
        db.execute("CREATE TEMP TABLE copy_numbers (n INTEGER)")
        db.executemany("INSERT INTO copy_numbers VALUES (?)", [(n,) for n in range(1, copies)])
        for table, columns in COPIED.items():
            others = ", ".join(column for column in columns if column != "code")
            db.execute(
                f"INSERT INTO {table} (code, {others}) "  # noqa: S608 — fixed names
                f"SELECT code || '-x' || c.n, {others} FROM {table}, copy_numbers c"
            )
        for table, _, counted in CELLS:
            db.execute(
                f"UPDATE {table} SET "  # noqa: S608 — fixed names
                + ", ".join(f"{column} = {column} * {copies:d}" for column in counted)
            )
    print(
        f"views copied to {copies} × the simulated dossiers in {time.perf_counter() - started:.0f} s"
    )


def build(url: str, dossiers: int, seed: int, years: float) -> None:
    """The simulation recorded into an empty ledger at `url`."""
    clock = SimulatedClock(0)
    settings = LedgerSettings(
        database_url=url, clock_tolerance_seconds=SIMULATION_TOLERANCE_SECONDS
    )
    ledger = Ledger(settings, clock=clock)
    try:
        started = time.perf_counter()
        result = simulate(ledger, clock, dossiers=dossiers, seed=seed, years=years)
        print(
            f"simulated {result.dossiers} dossiers, {ledger.log_size()} statements in "
            f"{time.perf_counter() - started:.0f} s",
            flush=True,
        )
    finally:
        ledger.close()


@contextmanager
def counting(ledger: Ledger, counts: dict[str, int]) -> Iterator[None]:
    """Count the calls of the ledger's per-dossier reads of the log while inside."""
    originals: dict[str, Callable[..., Any]] = {}
    for name in ("history", "received"):
        original = getattr(ledger, name)
        originals[name] = original

        def counted(*args: Any, _name: str = name, _original: Any = original) -> Any:
            counts[_name] = counts.get(_name, 0) + 1
            return _original(*args)

        setattr(ledger, name, counted)
    try:
        yield
    finally:
        for name in originals:
            delattr(ledger, name)  # the instance attribute goes; the method shows again


# the past instant the as-of stall query is asked for: this many days before the clock's now
AS_OF_DAYS = 30


def past_instant(services: Services, at: int) -> dict[str, Any]:
    """The as-of stall query at `at` in process, once: how many dossiers were open then, how many
    of them the views could not answer for (replayed), and its time against the way before it —
    every open dossier's history replayed (`Projector.as_of`) and judged — which must find the
    same stalls."""
    thens = asof.open_at(services.inspector(), at)  # untimed: what it found
    inspector = services.inspector()
    begun = time.perf_counter()
    found = inspector.stalls(at, current=False)
    views = time.perf_counter() - begun
    begun = time.perf_counter()
    replayed = [
        services.projector.as_of(code, at) for code in queries.open_at(inspector.projector.view, at)
    ]
    judged = (
        stall
        for then in replayed
        if then is not None and then.location.status != "closed"
        for stall in _stalls_of(inspector, then.location, at, then.legs, then.spans)
    )
    before = _kept(inspector, at, judged, None, None, None)
    replay = time.perf_counter() - begun
    if before != found:
        raise SystemExit(f"as-of stalls at {at}: the views and the replay differ")
    return {
        "days_before_now": AS_OF_DAYS,
        "open": len(thens),
        "replayed": sum(then.replayed for then in thens),
        "stalls": len(found),
        "views_s": views,
        "replay_all_s": replay,
    }


def catch_up(url: str, directory: Path) -> None:
    """The views brought up to date (made again first if their layout changed)."""
    app = create_app(settings_for(url, directory), clock=SimulatedClock(SIMULATION_END))
    with TestClient(app):
        app.state.services.projector.catch_up()


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered) + 0.5) - 1))]
    return {"p50_ms": statistics.median(ordered) * 1000, "p95_ms": p95 * 1000}


def measure(
    url: str, directory: Path, office: str, months: int, runs: int, *, as_of_too: bool = True
) -> dict[str, Any]:
    clock = SimulatedClock(SIMULATION_END)
    app = create_app(settings_for(url, directory), clock=clock)
    with TestClient(app) as http:
        services: Services = app.state.services
        started = time.perf_counter()
        applied = services.projector.catch_up()
        print(f"views caught up ({applied} entries) in {time.perf_counter() - started:.0f} s")
        now = clock.now()
        _record, token = services.tokens.create(
            "inspector", now=now, valid_seconds=86_400, office=office
        )
        sign_in(http, token, back="/giam-sat/ban-do")
        first, last = period(now, months)
        start, end = start_of(first), start_of(last)
        view = services.projector.view

        def baseline() -> None:
            queries.received_before(view, end)

        reads: dict[str, int] = {}
        figures: dict[str, int] = {}
        as_of = now - AS_OF_DAYS * 86_400 * 1_000_000

        def report() -> None:
            reads.clear()
            inspector = services.inspector()
            with counting(services.ledger, reads):
                found = office_report(
                    inspector, office, start, end, scans=services.files, ratings=services.ratings
                )
            figures.update(
                received=found.received_total,
                resolved=found.resolved,
                late_at_receipt=found.index.late_at_receipt,
                late_apologised=found.index.late_apologised,
            )

        notice_reads: dict[str, int] = {}

        def notices() -> None:
            notice_reads.clear()
            with counting(services.ledger, notice_reads):
                found = notice_counts(services.inspector(), office, start, end)
            figures.update(
                apologised=found.apologised, refused=found.refused, stopped=found.stopped
            )

        def page(path: str, **params: Any) -> Callable[[], None]:
            def get() -> None:
                answer = http.get(path, params=params)
                assert answer.status_code == 200, answer.text[:500]

            return get

        def api(path: str) -> Callable[[], None]:
            def get() -> None:
                answer = http.get(path, headers={"Authorization": f"Bearer {token}"})
                assert answer.status_code == 200, answer.text[:500]

            return get

        steps = [
            ("baseline", baseline),
            ("report", report),
            ("notices", notices),
            ("map", page("/giam-sat/ban-do", months=months)),
            # the inspector's other pages, as they open: the stalls of the subtree (first page),
            # the late decisions and the dossiers held, over the same months
            ("stalls page", page("/giam-sat")),
            ("late page", page("/giam-sat/ket-qua", months=months)),
            ("held page", page("/giam-sat/giu", months=months)),
            ("GET /v1/stalls", api("/v1/stalls")),
            # a past instant: the stalls of every dossier open then (`asof.py`), first page
            *([("as-of /v1/stalls", api(f"/v1/stalls?as_of={as_of}"))] if as_of_too else []),
        ]
        timed: dict[str, list[float]] = {name: [] for name, _ in steps}
        for _, warm in steps:  # warm: the first of each pays for caches and page templates
            warm()
        for round_ in range(runs):
            for name, step in steps if round_ % 2 == 0 else list(reversed(steps)):
                begun = time.perf_counter()
                step()
                timed[name].append(time.perf_counter() - begun)
        rows = len(queries.received_before(view, end))
        past = past_instant(services, as_of) if as_of_too else None
    return {
        "as_of": past,
        "office": office,
        "months": months,
        "period": [first.isoformat(), last.isoformat()],
        "rows_read": rows,
        "figures": figures,
        "log_reads_per_report": dict(reads),
        "log_reads_per_notice_count": dict(notice_reads),
        **{name: summary(samples) for name, samples in timed.items()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dossiers", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--years", type=float, default=2.0)
    parser.add_argument("--db", type=Path, help="the SQLite file to keep (and reuse if it exists)")
    parser.add_argument("--office", default="86")
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--json", metavar="FILE", type=Path, help="write the summary as JSON")
    parser.add_argument(
        "--copies",
        type=int,
        default=1,
        help="the views hold each simulated dossier this many times (`copied`; the as-of steps, "
        "which read the log, are left out)",
    )
    args = parser.parse_args(argv)
    if args.copies < 1:
        parser.error("--copies must be 1 or more")
    with tempfile.TemporaryDirectory(prefix="lienthong-bench-report-") as scratch:
        directory = Path(scratch)
        path = args.db.resolve() if args.db else directory / "ledger.db"
        url = f"sqlite:///{path}"
        if not path.exists():
            build(url, args.dossiers, args.seed, args.years)
        if args.copies > 1:
            catch_up(url, directory)  # the views of this layout first: a rebuild drops copies
            copied(path, args.copies)
        result = measure(
            url, directory, args.office, args.months, args.runs, as_of_too=args.copies == 1
        )
    base = result["baseline"]["p50_ms"]
    print(
        f"office {result['office']}, {result['months']} months {result['period'][0]} – "
        f"{result['period'][1]}: {result['rows_read']} dossiers received before its end; "
        f"{result['figures']}"
    )
    for name in [
        key for key in result if isinstance(result[key], dict) and "p50_ms" in result[key]
    ]:
        p50, p95 = result[name]["p50_ms"], result[name]["p95_ms"]
        print(f"  {name:14} p50 {p50:9.1f} ms  p95 {p95:9.1f} ms  ×{p50 / base:.1f} the SELECT")
    past = result["as_of"]
    if past is not None:
        print(
            f"  as of {past['days_before_now']} days before: {past['open']:,} dossiers open, "
            f"{past['replayed']:,} replayed, {past['stalls']:,} stalls; in process "
            f"{past['views_s']:.2f} s, every history replayed {past['replay_all_s']:.2f} s "
            f"(×{past['replay_all_s'] / past['views_s']:.1f})"
        )
    print(f"  log reads per report: {result['log_reads_per_report'] or 'none'}")
    print(f"  log reads per notice count: {result['log_reads_per_notice_count'] or 'none'}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
