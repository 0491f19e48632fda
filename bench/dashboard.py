"""The stall dashboard (`GET /giam-sat`) as it is — counts in SQL, the page's dossiers alone
(`ledger/views/dashboard.py`) — against the way before it, the whole list of stalls grouped by
dossier (`whole_list_counts`, `whole_list_page`, kept in api/http/web/oversight.py), in one run.

Run by hand, not in CI, from the repository root, on a SQLite file `bench/report.py --db FILE`
built (it is only read, but for the kept level deadlines the stall queries write):

    python bench/report.py --dossiers N --db FILE --runs 1     # builds FILE once
    python bench/dashboard.py --db FILE [--office ID] [--runs R] [--json OUT]

It opens the HTTP app on FILE with the clock at the simulation's end, signs an inspector of
`--office` (default 86, the province after the 1/7/2025 reform) in, and times, R rounds in ABBA
order, each page now and as before (the same answer: the bodies are compared once): the first
page, the second, the first page of each rule, and the first page of a district dissolved on
1/7/2025 and of a commune. It prints p50 and p95 of each (ms) and the ratio of the p50s.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402

from api.http.app import create_app  # noqa: E402
from api.http.services import Services  # noqa: E402
from api.http.web import oversight  # noqa: E402
from domain.instant import local_date  # noqa: E402
from ledger.clock import SimulatedClock  # noqa: E402
from ledger.simulation.arrivals import SIMULATION_END  # noqa: E402
from ledger.views import dashboard  # noqa: E402
from ledger.views.sla import RULES  # noqa: E402
from tests.apiworld import settings_for  # noqa: E402
from tests.websession import sign_in  # noqa: E402


class Before:
    """The page made as before, while in use."""

    def __enter__(self) -> None:
        self.saved = (oversight.stalled_page, dashboard.counts)
        oversight.stalled_page = oversight.whole_list_page
        dashboard.counts = oversight.whole_list_counts

    def __exit__(self, *_: object) -> None:
        oversight.stalled_page, dashboard.counts = self.saved


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered) + 0.5) - 1))]
    return {"p50_ms": statistics.median(ordered) * 1000, "p95_ms": p95 * 1000}


def _same(text: str) -> str:
    return re.sub(r'(nonce|value)="[A-Za-z0-9_\-+/=]{16,}"', r'\1=""', text)


def measure(url: str, directory: Path, office: str, runs: int) -> dict[str, Any]:
    clock = SimulatedClock(SIMULATION_END)
    app = create_app(settings_for(url, directory), clock=clock)
    with TestClient(app) as http:
        services: Services = app.state.services
        services.projector.catch_up()
        now = clock.now()
        _record, token = services.tokens.create(
            "inspector", now=now, valid_seconds=86_400, office=office
        )
        sign_in(http, token, back="/giam-sat")
        inspector = services.inspector()
        every = inspector.stalls(now, office=office)
        day = local_date(now)
        closed = sorted(
            {
                s.office
                for s in every
                if (found := inspector.office_of(s.office)) is not None and not found.active_on(day)
            }
        )
        addresses = {"first page": "/giam-sat", "second page": "/giam-sat?page=2"}
        addresses |= {f"rule {rule}": f"/giam-sat?rule={rule}" for rule in RULES}
        if closed:
            addresses["closed office"] = f"/giam-sat?office={closed[0]}"
        if every:
            addresses["commune"] = f"/giam-sat?office={every[0].received_by}"

        def get(address: str) -> Callable[[], str]:
            def answer() -> str:
                found = http.get(address)
                assert found.status_code == 200, found.text[:500]
                return str(found.text)

            return answer

        timed: dict[str, list[float]] = {}
        for name, address in addresses.items():  # warm, and the same answer both ways
            now_text = get(address)()
            with Before():
                before_text = get(address)()
            assert _same(now_text) == _same(before_text), address
            timed[name] = []
            timed[f"{name} (before)"] = []
        for round_ in range(runs):
            for way in ("now", "before") if round_ % 2 == 0 else ("before", "now"):
                for name, address in addresses.items():
                    key = name if way == "now" else f"{name} (before)"
                    begun = time.perf_counter()
                    if way == "now":
                        get(address)()
                    else:
                        with Before():
                            get(address)()
                    timed[key].append(time.perf_counter() - begun)
    return {"office": office, "stalls": len(every), **{k: summary(v) for k, v in timed.items()}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--db", type=Path, required=True, help="a SQLite file bench/report.py built"
    )
    parser.add_argument("--office", default="86")
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--json", metavar="FILE", type=Path, help="write the summary as JSON")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="lienthong-bench-dashboard-") as scratch:
        result = measure(f"sqlite:///{args.db.resolve()}", Path(scratch), args.office, args.runs)
    print(f"office {result['office']}: {result['stalls']:,} stalls")
    for name in [key for key in result if isinstance(result[key], dict)]:
        if name.endswith("(before)"):
            continue
        now, before = result[name], result[f"{name} (before)"]
        print(
            f"  {name:28} now p50 {now['p50_ms']:8.1f} p95 {now['p95_ms']:8.1f} ms; before p50 "
            f"{before['p50_ms']:8.1f} p95 {before['p95_ms']:8.1f} ms  "
            f"(×{before['p50_ms'] / now['p50_ms']:.1f} faster)"
        )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
