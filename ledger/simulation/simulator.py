"""A deterministic traffic simulator: years of dossiers over the real Trà Vinh offices.

`simulate(ledger, clock, dossiers=N, seed=S, years=Y)` records, into an empty ledger whose clock
is a `SimulatedClock`: the genesis and the Trà Vinh registry (ledger/reference/seed.py); one or two demo
officers per office, keys `demo_key(f"sim-{office}-{n}")`; their moves and departures when offices
merge (1/1/2025) or are dissolved (1/7/2025); then N dossiers received over the Y years that end
on SIMULATION_END (default 4.5 years: from Monday 3/1/2022 to 30/6/2026), each planned by
`ledger/simulation/traffic.py`. The same seed gives the same statements, byte for byte, and the same log.

The reform, kept simple: receipts of procedures routed through a district stop on DISTRICT_STOP
(six weeks before 1/7/2025) and resume from 1/7/2025 under the procedure's version 2 (decided at
the commune, or commune → province). A dossier a district held or was sent on 30/6/2025 passes,
as the registry says, to the new province's department that now decides its procedure or back to
its commune, which decides it; one that nobody takes over is left where it is (`stranded` in the
result, none with the seeded registry), as the demo leaves its dossier in transit to a district.

Statements are built and signed by `signed_batches`, with each subject's head (seq, prev) tracked
in memory, and recorded with `Ledger.record_many` in batches of statements close in time: before
each batch the clock is set to the batch's latest `at`, so `recorded_at` is never before `at` and
at most SIMULATION_TOLERANCE_SECONDS after it. The ledger must accept that skew: open it with
`LedgerSettings(clock_tolerance_seconds=SIMULATION_TOLERANCE_SECONDS)`. With `parallel=True` they
are built and signed in a child process (ledger/simulation/workers.py) while this one records
them: the draw reads nothing from the ledger once the registry is seeded, and Ed25519 signatures
are deterministic, so the statements, the batches and the log are the same.
"""

from __future__ import annotations

import csv
import heapq
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from importlib import resources
from typing import Any

from domain.instant import local_date, start_of
from domain.office import Office
from domain.procedure import ProcedureVersion
from domain.statement import AUTHORITY, ZERO_HASH, Statement, family
from ledger.application import Ledger, Receipt
from ledger.clock import SimulatedClock
from ledger.reference.calendar import load_calendar
from ledger.reference.seed import SEED_SINCE, office_statements, seed_travinh
from ledger.simulation.arrivals import SIMULATION_END, Arrival, arrivals
from ledger.simulation.demo import AUTHORITY_KEY_NAME, demo_key
from ledger.simulation.traffic import Act, OfficeMap, Planner, WorkingTime
from ledger.simulation.workers import produced
from ledger.statements import schema, signing
from ledger.statements.authoring import Signer, initialise
from ledger.statements.signing import SigningKey
from ledger.views.projector import Projector
from ledger.views.sla import RULES, Inspector

DEFAULT_YEARS = 4.5
SIMULATION_TOLERANCE_SECONDS = 86_400
BATCH = 500
TITLE = "Cán bộ tiếp nhận và xử lý hồ sơ"


@dataclass
class SimulationResult:
    """What a run recorded: counts, the planted slow offices, the simulated period."""

    seed: int
    start: int
    end: int
    dossiers: int = 0
    statements: int = 0
    stranded: int = 0
    slow_offices: tuple[str, ...] = ()
    refusals: list[str] = field(default_factory=list)
    seconds: float = 0.0


class Author:
    """Builds and signs statements on heads it tracks itself (no ledger reads)."""

    def __init__(self, authority: SigningKey) -> None:
        self.keys: dict[str, SigningKey] = {AUTHORITY: authority}
        self.heads: dict[tuple[str, str], tuple[int, bytes]] = {}
        self.dispatches: dict[str, bytes] = {}  # dossier -> its latest dispatch's digest

    def key_of(self, officer: str) -> SigningKey:
        if officer not in self.keys:
            self.keys[officer] = demo_key(officer)
        return self.keys[officer]

    def sign(self, act: Act) -> tuple[bytes, bytes]:
        """(statement bytes, signature) of the act on the subject's head, which it becomes."""
        subject = (family(act.kind), act.subject)
        seq, prev = self.heads.get(subject, (0, ZERO_HASH))
        body = act.body
        if act.kind in ("handover.acknowledged", "handover.rejected"):
            body = {**body, "dispatch": self.dispatches[act.subject]}
        key = self.key_of(act.officer)
        raw = schema.build(
            Statement(act.kind, act.subject, seq + 1, prev, act.office, act.officer,
                      key.key_id, act.at, body)
        )  # fmt: skip
        digest = signing.statement_hash(raw)
        self.heads[subject] = (seq + 1, digest)
        if act.kind == "handover.dispatched":
            self.dispatches[act.subject] = digest
        return raw, key.sign(raw)

    def forget(self, code: str) -> None:
        """A dossier whose plan is done: its head is no longer needed."""
        self.heads.pop(("dossier", code), None)
        self.dispatches.pop(code, None)


class Staff:
    """The demo officers: who is posted where, from which day, and the registry acts for it."""

    def __init__(self, offices: OfficeMap, first: date, rng: random.Random) -> None:
        self.offices = offices
        self.eras = [first, *sorted(_boundaries(offices, first))]
        self.rosters: list[dict[str, list[str]]] = []
        home: dict[str, str | None] = {}
        for era in self.eras:
            roster: dict[str, list[str]] = {}
            for officer, office in list(home.items()):
                home[officer] = office and offices.resolve(office, era)
            for office in (o for level in _LEVELS for o in offices.by_level(level, era)):
                if not any(where == office for where in home.values()):
                    count = 2 if offices.level(office) != "commune" else rng.randint(1, 2)
                    for n in range(1, count + 1):
                        home[f"sim-{office}-{n}"] = office
            for officer, office in home.items():
                if office is not None:
                    roster.setdefault(office, []).append(officer)
            self.rosters.append(roster)

    def roster(self, office: str, day: date) -> list[str]:
        era = max(i for i, start in enumerate(self.eras) if start <= day)
        return self.rosters[era].get(office, [])

    def registry_acts(self, at_era: Callable[[date], int]) -> Iterator[Act]:
        """officer.enrolled + key.registered, officer.moved and officer.left, era by era."""
        posted: dict[str, str] = {}
        for era, roster in zip(self.eras, self.rosters, strict=True):
            at, effective = at_era(era), start_of(era)
            now = {officer: office for office, names in roster.items() for officer in names}
            for officer, office in sorted(now.items()):
                title = f"{TITLE}, {self.offices.offices[office].name_on(era)}"
                if officer not in posted:
                    body = {"office": office, "title": title, "effective": effective}
                    yield _authority(at, "officer.enrolled", officer, body)
                    key = demo_key(officer)
                    body = {"officer": officer, "public_key": key.public_key, "role": "officer",
                            "effective": effective}  # fmt: skip
                    yield _authority(at, "key.registered", key.key_id, body)
                elif posted[officer] != office:
                    body = {"office": office, "title": title, "effective": effective}
                    yield _authority(at, "officer.moved", officer, body)
            for officer in sorted(set(posted) - set(now)):
                yield _authority(at, "officer.left", officer, {"effective": effective})
            posted = now


_LEVELS = ("province", "district", "commune")


def _authority(at: int, kind: str, subject: str, body: dict[str, Any]) -> Act:
    return Act(at, kind, subject, AUTHORITY, AUTHORITY, body)


def _boundaries(offices: OfficeMap, first: date) -> set[date]:
    return {o.ended for o in offices.offices.values() if o.ended is not None and o.ended > first}


def simulation_start(years: float) -> date:
    """The first Monday on or after SIMULATION_END minus `years` years."""
    first = local_date(SIMULATION_END) - timedelta(days=round(years * 365.25))
    return first + timedelta(days=(7 - first.weekday()) % 7)


# --- the run ---------------------------------------------------------------------------------


def simulate(
    ledger: Ledger,
    clock: SimulatedClock,
    *,
    dossiers: int,
    seed: int = 0,
    years: float = DEFAULT_YEARS,
    progress: Callable[[int, int], None] | None = None,
    parallel: bool = False,
) -> SimulationResult:
    """Record the simulation into an empty ledger (see the module docstring). `clock` must read
    no later than the first day's 06:00; ValueError if the years reach back before the seeded
    registry (2019) or `dossiers` is not positive; `progress(dossiers received, statements recorded)` is
    called after each batch. Refusals (there should be none) are listed in the result.
    `parallel`: the statements are built and signed in a child process while this one records
    them (ledger/simulation/workers.py): the same statements in the same batches, the same log."""
    started = time.perf_counter()
    first = simulation_start(years)
    if first < date.fromisoformat(SEED_SINCE) or dossiers < 1:
        raise ValueError(f"simulate 1 dossier or more from {SEED_SINCE} on, not from {first}")
    clock.set(start_of(first) + 6 * 3600 * 1_000_000)
    authority = demo_key(AUTHORITY_KEY_NAME)
    initialise(ledger, authority)
    seed_travinh(ledger, Signer.authority(ledger, authority))
    world = World(
        seed,
        dossiers,
        first,
        _office_map(ledger).offices,
        _versions(ledger),
        ledger.settings.clock_tolerance_seconds * 1_000_000,
    )
    result = SimulationResult(seed, start_of(first), SIMULATION_END)
    items = produced(_produce, world) if parallel else signed_batches(world)
    for item in items:
        if isinstance(item, SignedBatch):
            result.dossiers = item.dossiers
            _flush(ledger, clock, item.envelopes, item.last, result, progress)
        else:
            result.slow_offices, result.dossiers, result.stranded = item
    result.seconds = time.perf_counter() - started
    return result


@dataclass(frozen=True)
class World:
    """What the traffic is drawn from, read from the ledger once: plain data, which a child
    process receives (pickled) to build and sign the statements there."""

    seed: int
    dossiers: int
    first: date
    offices: dict[str, Office]
    versions: dict[str, list[ProcedureVersion]]
    tolerance: int  # the ledger's clock tolerance, in microseconds


@dataclass(frozen=True)
class SignedBatch:
    """Statements to record together, (statement bytes, signature) each; `last` is the latest
    `at` among them, `dossiers` how many dossiers had been received when the batch closed."""

    envelopes: list[tuple[bytes, bytes]]
    last: int
    dossiers: int


# after the last batch: (the slow offices, dossiers received, dossiers stranded)
Drawn = tuple[tuple[str, ...], int, int]


def _produce(world: World, put: Callable[[SignedBatch | Drawn], None]) -> None:
    """In the child process: every batch, then what was drawn."""
    for item in signed_batches(world):
        put(item)


def signed_batches(world: World) -> Iterator[SignedBatch | Drawn]:
    """The whole draw from the seed, in the order it has always been made: the officers, the
    communes' shares, the slow offices, then the dossiers; each statement built and signed on its
    subject's head, in batches of at most BATCH statements whose times lie within the ledger's
    clock tolerance; last, what was drawn (`Drawn`). Reads no ledger."""
    rng = random.Random(world.seed)  # noqa: S311 — reproducible traffic, not secrets
    offices = OfficeMap(world.offices)
    staff = Staff(offices, world.first, rng)
    weights = _commune_weights(offices, world.first, rng)
    slow = _plant_slow(offices, weights, rng)
    counts = SimulationResult(world.seed, start_of(world.first), SIMULATION_END)
    hours = WorkingTime(load_calendar())
    planner = Planner(rng, offices, hours, staff.roster, set(slow))
    planner.versions = world.versions
    registry = list(staff.registry_acts(lambda era: start_of(era) + 6 * 3600 * 1_000_000 + 60))
    stream = _stream(
        planner,
        registry,
        arrivals(rng, hours, offices, weights, world.versions, world.dossiers, world.first),
        counts,
    )
    author = Author(demo_key(AUTHORITY_KEY_NAME))
    batch: list[tuple[bytes, bytes]] = []
    first = last = 0
    for act, done in stream:
        if batch and (len(batch) >= BATCH or act.at - first > world.tolerance):
            yield SignedBatch(batch, last, counts.dossiers)
            batch = []
        if not batch:
            first = act.at
        batch.append(author.sign(act))
        last = act.at
        if done:
            author.forget(act.subject)
    if batch:
        yield SignedBatch(batch, last, counts.dossiers)
    yield slow, counts.dossiers, counts.stranded


def _office_map(ledger: Ledger) -> OfficeMap:
    subjects = {subject for _kind, subject, _body in office_statements()}
    return OfficeMap({subject: ledger.office(subject) for subject in sorted(subjects)})


def _versions(ledger: Ledger) -> dict[str, list[ProcedureVersion]]:
    found: dict[str, list[ProcedureVersion]] = {}
    for key in sorted(_procedure_keys()):
        procedure = ledger.procedure(key)
        found[key] = [procedure.get_version(n) for n in range(1, len(procedure.versions) + 1)]
    return found


def _procedure_keys() -> list[str]:
    text = (
        resources.files("ledger.reference")
        .joinpath("data", "procedures.csv")
        .read_text(encoding="utf-8")
    )
    return [row["key"] for row in csv.DictReader(text.splitlines())]


def _commune_weights(offices: OfficeMap, first: date, rng: random.Random) -> dict[str, float]:
    """Each commune's share of receipts: drawn for the communes of the first day; a commune
    formed by a merger inherits the shares of those merged into it."""
    weights = {c: rng.lognormvariate(0, 0.5) for c in offices.communes(first)}
    for day in sorted(_boundaries(offices, first)):
        for commune in list(weights):
            successor = offices.resolve(commune, day)
            if successor is not None and successor != commune:
                weights[successor] = weights.get(successor, 0.0) + weights[commune]
    return weights


def _plant_slow(
    offices: OfficeMap, weights: dict[str, float], rng: random.Random
) -> tuple[str, ...]:
    """One of the three busiest districts (before the reform) and two of the six busiest
    communes of the last day."""
    last, before = local_date(SIMULATION_END), date(2025, 6, 30)
    load: dict[str, float] = {}
    for commune in offices.communes(before):
        parent = offices.parent(commune, before) or ""
        load[parent] = load.get(parent, 0.0) + weights.get(commune, 0.0)
    districts = sorted(offices.by_level("district", before), key=lambda d: -load.get(d, 0.0))
    district = rng.choice(districts[:3])
    busiest = sorted(offices.communes(last), key=lambda c: -weights.get(c, 0.0))[:6]
    return (district, *sorted(rng.sample(busiest, 2)))


def _stream(
    planner: Planner, registry: list[Act], arrivals: Iterator[Arrival], result: SimulationResult
) -> Iterator[tuple[Act, bool]]:
    """Every act in time order, each with whether it is its dossier's last (ties: first pushed
    first). Acts after SIMULATION_END are not planned: those dossiers are still open then."""
    heap: list[tuple[int, int, Act, bool]] = []
    counter = 0

    def push(act: Act, last: bool) -> None:
        nonlocal counter
        counter += 1
        heapq.heappush(heap, (act.at, counter, act, last))

    for act in registry:
        push(act, False)
    for arrival in arrivals:
        while heap and heap[0][0] <= arrival.at:
            _at, _n, act, last = heapq.heappop(heap)
            yield act, last
        plan = planner.plan(
            arrival.code, arrival.commune, arrival.at, arrival.procedure, arrival.version
        )
        acts = [act for act in plan.acts if act.at <= SIMULATION_END]
        result.dossiers += 1
        result.stranded += plan.stranded
        for index, act in enumerate(acts):
            push(act, index == len(acts) - 1)
    while heap:
        _at, _n, act, last = heapq.heappop(heap)
        yield act, last


def _flush(
    ledger: Ledger,
    clock: SimulatedClock,
    batch: list[tuple[bytes, bytes]],
    last: int,
    result: SimulationResult,
    progress: Callable[[int, int], None] | None,
) -> None:
    clock.set(max(clock.now(), last))
    for (raw, _signature), outcome in zip(batch, ledger.record_many(batch), strict=True):
        if isinstance(outcome, Receipt):
            result.statements += 1
        else:
            statement = schema.parse(raw)
            result.refusals.append(
                f"{statement.kind} {statement.subject} seq {statement.seq}: {outcome}"
            )
    if progress is not None:
        progress(result.dossiers, result.statements)


def stall_counts(
    ledger: Ledger, at: int, progress: Callable[[int], None] | None = None
) -> dict[str, int]:
    """How many stalls each rule finds at `at` (the end of the simulation: nothing later is
    recorded, so the read models as they are describe that instant). Brings the read models up
    to date first; `progress(n)` is told the entries they held already, then each batch applied."""
    projector = Projector(ledger)
    try:
        if progress is not None:
            progress(projector.position())
        projector.catch_up(progress)
        inspector = Inspector(ledger, projector, load_calendar())
        counts = dict.fromkeys(RULES, 0)
        for stall in inspector.stalls(at):
            counts[stall.rule] += 1
        return counts
    finally:
        projector.close()
