"""The demo on the command line: the real Trà Vinh offices and demo keys recorded into a fresh
database, or years of simulated traffic, with the commands to look at what was recorded.

lienthong demo [--show N]                                 the demo's dossiers, timelines printed
lienthong demo --dossiers N [--seed S] [--years Y]        N simulated dossiers, and a summary

Without --database-url (or LIENTHONG_DATABASE_URL) the demo writes lienthong-demo.db, replacing
an earlier demo's file; it never touches a database that holds a ledger it did not make.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from api.cli.dossier import render_timeline
from api.cli.shell import Options, err, open_ledger, options_of, out
from domain.instant import format_local, local_date
from ledger.application import Ledger
from ledger.clock import SimulatedClock
from ledger.config import persistence_env
from ledger.errors import AlreadyInitialised
from ledger.log.access import Checkpointer
from ledger.simulation.demo import AUTHORITY_KEY_NAME, DEMO_START, demo_key, demo_log_key, run_demo
from ledger.simulation.simulator import (
    DEFAULT_YEARS,
    SIMULATION_TOLERANCE_SECONDS,
    SimulationResult,
    simulate,
    stall_counts,
)
from ledger.simulation.workers import views_followed
from ledger.views.timeline import timeline

DEMO_DATABASE_URL = "sqlite:///lienthong-demo.db"


def demo(
    ctx: typer.Context,
    show: Annotated[int, typer.Option(help="how many dossier timelines to print")] = 3,
    dossiers: Annotated[
        int | None,
        typer.Option(min=1, help="simulate this many dossiers over years of traffic instead"),
    ] = None,
    seed: Annotated[int, typer.Option(help="with --dossiers: the simulation's seed")] = 0,
    years: Annotated[
        float, typer.Option(min=0.1, max=7, help="with --dossiers: years ending 30/06/2026")
    ] = DEFAULT_YEARS,
) -> None:
    """Record the demo (real Trà Vinh offices, demo keys) into a fresh database, print timelines.
    With --dossiers N: N simulated dossiers instead (same seed, same ledger), and a summary."""
    options = options_of(ctx)
    if not options.url_given:
        options = replace(
            options, settings=replace(options.settings, database_url=DEMO_DATABASE_URL)
        )
    _clear_previous_demo(options)
    if dossiers is not None:
        _simulated_demo(options, dossiers, seed, years)
        return
    clock = SimulatedClock(DEMO_START)
    with open_ledger(options, clock=clock) as ledger:
        if ledger.is_initialised():
            raise AlreadyInitialised(
                f"{options.settings.database_url} already holds a ledger; "
                f"the demo needs an empty database"
            )
        log_key = demo_log_key()
        ledger.checkpointer = Checkpointer(ledger, log_key, every_entries=50, every_seconds=86400)
        recorded = run_demo(ledger, clock, lambda message: err.print(f"… {message}"))
        ledger.issue_checkpoint(log_key)
        for code in recorded.dossiers[:show]:
            render_timeline(timeline(ledger, code), ledger, options.lang)
        out.print(
            f"\n{ledger.log_size()} statements → {options.settings.database_url}\n"
            f"lienthong --database-url {options.settings.database_url} verify "
            f"--log-key {log_key.verifier.line()}"
        )


def _simulated_demo(options: Options, dossiers: int, seed: int, years: float) -> None:
    """The simulator into an empty ledger whose clock tolerance allows its batches; a checkpoint
    with the demo log key; then counts, stalls by rule, and the planted slow offices."""
    settings = replace(options.settings, clock_tolerance_seconds=SIMULATION_TOLERANCE_SECONDS)
    clock = SimulatedClock(0)
    with open_ledger(replace(options, settings=settings), clock=clock) as ledger:
        if ledger.is_initialised():
            raise AlreadyInitialised(f"{settings.database_url} already holds a ledger")
        result, stalled = _simulate_with_progress(ledger, clock, dossiers, seed, years)
        _print_simulation(ledger, result, stalled, seed, settings.database_url)
        if result.refusals:
            err.print("\n".join(result.refusals[:20]), markup=False)
            raise typer.Exit(1)


def _simulate_with_progress(
    ledger: Ledger, clock: SimulatedClock, dossiers: int, seed: int, years: float
) -> tuple[SimulationResult, dict[str, int]]:
    """Simulate, sign a checkpoint with the demo log key, and count the stalls at the end, the
    progress on standard error (gone once done). The statements are built and signed in another
    process, and the read models kept in a third while this one records (workers.py)."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=err, transient=True) as bar:
        task = bar.add_task("hồ sơ / dossiers", total=dossiers)
        with views_followed(ledger.settings):
            result = simulate(
                ledger,
                clock,
                dossiers=dossiers,
                seed=seed,
                years=years,
                progress=lambda n, s: bar.update(task, completed=n, description=f"{s} statements"),
                parallel=True,
            )
            ledger.issue_checkpoint(demo_log_key())
        bar.update(task, description="views", completed=0, total=ledger.log_size())
        stalled = stall_counts(ledger, result.end, lambda n: bar.advance(task, n))
    return result, stalled


def _print_simulation(
    ledger: Ledger, result: SimulationResult, stalled: dict[str, int], seed: int, url: str
) -> None:
    """What was simulated, how fast, the stalls by rule, the slow offices and how to look at
    them, and how to verify the whole ledger."""
    end = format_local(result.end)
    out.print(
        f"{ledger.log_size()} statements, {result.dossiers} dossiers "
        f"({format_local(result.start)} – {end}, seed {seed}) → {url} "
        f"in {result.seconds:.0f} s ({result.statements / result.seconds:.0f} statements/s)",
        markup=False,
    )
    out.print(f"stalled at {end}: " + ", ".join(f"{k} {v}" for k, v in stalled.items()))
    out.print(f"left with a district dissolved on 1/7/2025: {result.stranded}")
    for office in result.slow_offices:
        name = ledger.office(office).name_on(local_date(result.end))
        out.print(
            f"slow office {office} {name}: lienthong --database-url {url} stalls "
            f'--office {office} --as-of "{end}"',
            markup=False,
        )
    out.print(
        f"lienthong --database-url {url} verify --log-key {demo_log_key().verifier.line()}",
        markup=False,
    )


def _clear_previous_demo(options: Options) -> None:
    """Replace an earlier demo's SQLite file; never touch a database the demo did not make."""
    env = persistence_env(options.settings.database_url)
    path = Path(env.get("SQLITE_DBNAME", ""))
    if not env.get("SQLITE_DBNAME") or not path.exists():
        return
    with open_ledger(options) as ledger:
        genesis = ledger.history("authority", "authority")[:1]
        if genesis and genesis[0].statement.key != demo_key(AUTHORITY_KEY_NAME).key_id:
            raise AlreadyInitialised(
                f"{path} holds a ledger that is not a demo; choose another --database-url"
            )
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
