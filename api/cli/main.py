"""The `lienthong` command line: thin handlers that parse, make one ledger call, and render.

Exit codes: 0 done; 1 refused by the ledger, or (for `verify`) something does not verify;
2 usage or input errors (bad arguments, unreadable key or envelope files, bad database URL).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from api.cli.args import identifier, in_instant_range
from api.cli.files import register as register_files
from api.cli.imports import register as register_import
from api.cli.log import register
from api.cli.serve import register as register_serve
from api.cli.serve import remote_sign, remote_submit
from api.cli.shell import (
    Options,
    emit,
    err,
    fail,
    load_key,
    open_ledger,
    options_of,
    out,
    print_hops,
)
from api.cli.sla import register as register_sla
from api.cli.tokens import register as register_tokens
from api.cli.views import register as register_views
from api.settings import CommandSettings, SettingsError
from api.texts import kind_label, word
from domain.instant import format_local, from_datetime, local_date
from ledger.application import Ledger
from ledger.clock import SimulatedClock
from ledger.config import persistence_env
from ledger.errors import (
    AlreadyInitialised,
    BadEnvelope,
    BadKeyFile,
    MalformedStatement,
)
from ledger.log.access import Checkpointer
from ledger.reference.seed import seed_travinh, statement_count
from ledger.simulation.demo import AUTHORITY_KEY_NAME, DEMO_START, demo_key, demo_log_key, run_demo
from ledger.simulation.simulator import (
    DEFAULT_YEARS,
    SIMULATION_TOLERANCE_SECONDS,
    simulate,
    stall_counts,
)
from ledger.statements import schema
from ledger.statements.authoring import Signer, initialise, prepare
from ledger.statements.signing import Envelope, SigningKey
from ledger.views.timeline import Timeline, describe, timeline

DEMO_DATABASE_URL = "sqlite:///lienthong-demo.db"

app = typer.Typer(
    help="Liên thông — sổ cái giao nhận hồ sơ có chữ ký số / a signed ledger of dossier handovers.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
seed_app = typer.Typer(help="Nạp dữ liệu thật / load real registry data.", no_args_is_help=True)
app.add_typer(seed_app, name="seed")


@app.callback()
def configure(
    ctx: typer.Context,
    database_url: Annotated[
        str | None,
        typer.Option(
            help="sqlite:///path.db (default sqlite:///lienthong.db), postgresql://… or memory:; "
            "or set LIENTHONG_DATABASE_URL"
        ),
    ] = None,
    lang: Annotated[
        str | None, typer.Option(help="vi (default) or en; or set LIENTHONG_LANG")
    ] = None,
) -> None:
    try:
        environment = CommandSettings.from_env()
    except SettingsError as problem:
        raise typer.BadParameter(str(problem)) from None
    settings = environment.ledger
    if database_url:
        settings = replace(settings, database_url=database_url)
    chosen = lang or environment.lang
    if chosen not in ("vi", "en"):
        raise typer.BadParameter(f"--lang must be vi or en, not {chosen!r}")
    url_given = bool(database_url) or environment.database_url_given
    ctx.ensure_object(dict)["options"] = Options(settings, chosen, url_given, environment)


Server = Annotated[
    str | None,
    typer.Option(help="the API's address, e.g. http://127.0.0.1:8000; or set LIENTHONG_SERVER"),
]
Token = Annotated[
    str | None, typer.Option(help="bearer token for --server; or set LIENTHONG_TOKEN")
]

# --- commands --------------------------------------------------------------------------------


@app.command()
def init(
    ctx: typer.Context,
    authority_key: Annotated[
        Path, typer.Option(help="where to write the new authority key (0600)")
    ] = Path("lienthong-authority.key"),
) -> None:
    """Create the authority key and record it as this ledger's root of trust."""
    options = options_of(ctx)
    with open_ledger(options) as ledger:
        if ledger.is_initialised():
            raise AlreadyInitialised(f"{options.settings.database_url} already has an authority")
        if authority_key.exists():
            raise BadKeyFile(f"{authority_key} already exists; move it away or choose another path")
        key = SigningKey.generate("authority", "authority")
        key.save(authority_key)
        receipt = initialise(ledger, key)
        out.print(f"authority key {key.key_id} → {authority_key} (seq {receipt.seq})")


@app.command()
def keygen(
    ctx: typer.Context,
    out_file: Annotated[Path, typer.Argument(metavar="KEY_FILE", help="file to write (mode 0600)")],
    officer: Annotated[
        str, typer.Option(help="the officer id this key signs for", callback=identifier("officer"))
    ],
    office: Annotated[
        str, typer.Option(help="the office id the officer signs in", callback=identifier("office"))
    ],
) -> None:
    """Generate an officer's Ed25519 key pair; give the printed public key to the registrar."""
    options = options_of(ctx)
    key = SigningKey.generate(officer, office)
    try:
        key.save(out_file)
    except FileExistsError:
        fail(BadKeyFile(f"{out_file} already exists; refusing to overwrite a key"), options.lang, 2)
    emit(
        json.dumps(
            {
                "key": key.key_id,
                "officer": officer,
                "office": office,
                "public_key": key.public_key.hex(),
            },
            ensure_ascii=False,
        )
    )


@seed_app.command("travinh")
def seed_travinh_command(
    ctx: typer.Context,
    authority_key: Annotated[Path, typer.Option(help="the authority key file from `init`")] = Path(
        "lienthong-authority.key"
    ),
) -> None:
    """Trà Vinh offices before and after 1/7/2025, and the thirteen procedures."""
    options = options_of(ctx)
    key = load_key(authority_key, options.lang)
    with open_ledger(options) as ledger, Progress(console=err, transient=True) as bar:
        task = bar.add_task(word("seeding", options.lang), total=statement_count())
        report = seed_travinh(ledger, Signer.authority(ledger, key), lambda n: bar.advance(task, n))
    out.print(
        f"{word('recorded', options.lang)}: {report.recorded}; "
        f"{word('duplicate', options.lang)}: {report.skipped}"
    )


@app.command()
def sign(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(help="e.g. handover.dispatched")],
    subject: Annotated[
        str,
        typer.Argument(
            help="the dossier code, or the registry subject", callback=identifier("subject")
        ),
    ],
    key: Annotated[Path, typer.Option(help="key file from `keygen`")],
    body: Annotated[str, typer.Option(help="JSON object; bytes in hex, times as ISO 8601")] = "{}",
    at: Annotated[str | None, typer.Option(help="ISO 8601 time with zone (default: now)")] = None,
    seq: Annotated[int | None, typer.Option(help="default: the head's seq + 1")] = None,
    prev: Annotated[str | None, typer.Option(help="hex; default: the head's hash")] = None,
    office: Annotated[
        str | None,
        typer.Option(help="default: the key file's office", callback=identifier("office")),
    ] = None,
    officer: Annotated[
        str | None,
        typer.Option(help="default: the key file's officer", callback=identifier("officer")),
    ] = None,
    server: Server = None,
    token: Token = None,
) -> None:
    """Build a statement on the current head, sign it with a key file, print the envelope.
    With --server, the server prepares the bytes on its head; they are checked, then signed here."""
    options = options_of(ctx)
    signing_key = load_key(key, options.lang)
    server, token = server or options.environment.server, token or options.environment.token
    if server:
        try:
            fields = schema.from_json(kind, json.loads(body))
        except (ValueError, MalformedStatement) as problem:
            fail(BadEnvelope(f"cannot build the statement: {problem}"), options.lang, 2)
        remote_sign(options, server, token or "", signing_key, kind, subject, fields)
        return
    with open_ledger(options) as ledger:
        try:
            fields = schema.from_json(kind, json.loads(body))
            instant = from_datetime(datetime.fromisoformat(at)) if at else None
            previous = bytes.fromhex(prev) if prev is not None else None
        except (ValueError, MalformedStatement) as problem:
            fail(BadEnvelope(f"cannot build the statement: {problem}"), options.lang, 2)
        if instant is not None and at is not None:
            in_instant_range(instant, "--at", at, options.lang)
        raw = prepare(
            ledger,
            kind,
            subject,
            fields,
            office=office or signing_key.office,
            officer=officer or signing_key.officer,
            key=signing_key.key_id,
            at=instant,
            seq=seq,
            prev=previous,
        )
        emit(Envelope(raw, signing_key.sign(raw)).to_json())


@app.command()
def submit(
    ctx: typer.Context,
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            help="envelope files, one JSON envelope per line; none or - reads standard input"
        ),
    ] = None,
    server: Server = None,
    token: Token = None,
) -> None:
    """Record signed envelopes; stops at the first refusal. With --server, the server records."""
    options = options_of(ctx)
    server, token = server or options.environment.server, token or options.environment.token
    if server:
        remote_submit(options, server, token or "", list(_envelope_lines(files or [Path("-")])))
        return
    with open_ledger(options) as ledger:
        for line in _envelope_lines(files or [Path("-")]):
            envelope = Envelope.from_json(line)
            receipt = ledger.record(envelope.statement, envelope.signature)
            status = word("duplicate" if receipt.duplicate else "recorded", options.lang)
            out.print(
                f"{status}: {receipt.kind} {receipt.subject} seq {receipt.seq} "
                f"{receipt.digest.hex()} @ {format_local(receipt.recorded_at)}"
            )


def _envelope_lines(files: list[Path]) -> Iterator[str]:
    for path in files:
        try:
            text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
        except OSError as problem:
            raise BadEnvelope(f"cannot read {path}: {problem.strerror}") from None
        yield from (line for line in text.splitlines() if line.strip())


@app.command()
def history(
    ctx: typer.Context,
    code: Annotated[
        str, typer.Argument(help="dossier code (mã hồ sơ)", callback=identifier("dossier code"))
    ],
) -> None:
    """A dossier's timeline: every hop, the officers on both sides, times, signatures."""
    options = options_of(ctx)
    with open_ledger(options) as ledger:
        view = timeline(ledger, code)
        render_timeline(view, ledger, options.lang)
        if not view.all_verified:
            raise typer.Exit(1)


def render_timeline(view: Timeline, ledger: Ledger, lang: str) -> None:
    dossier = ledger.dossier(view.code)
    if dossier.closed:
        status = f"{word('closed', lang)} ({kind_label('dossier.' + dossier.closed, lang)})"
    elif dossier.transit:
        status = f"{word('transit_to', lang)} {dossier.transit.addressee}"
    else:
        status = f"{word('held_by', lang)} {dossier.custodian}"
    out.print(
        f"\n[bold]{escape(view.code)}[/] — {escape(dossier.procedure)} v{dossier.procedure_version} "
        f"— {word('status', lang)}: {escape(status)}"
    )
    for step in view.steps:
        statement = step.statement
        mark = "[green]✓[/]" if step.verified else "[bold red]✗[/]"
        signature = word("valid" if step.verified else "invalid", lang)
        out.print(
            f"{statement.seq:>3}  {format_local(statement.at)}  "
            f"[bold]{kind_label(statement.kind, lang)}[/]  {mark} {word('signature', lang)} "
            f"{signature}"
        )
        out.print(
            f"     {word('office', lang)}: {statement.office} {step.office_name} — "
            f"{word('officer', lang)}: {statement.officer} ({step.officer_title})",
            markup=False,
        )
        out.print(f"     {describe(statement)}", markup=False)
        if step.problem:
            out.print(f"     {step.problem}", markup=False)
    print_hops(view, lang)
    out.print(word("all_verified" if view.all_verified else "not_all_verified", lang))


@app.command()
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
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with open_ledger(replace(options, settings=settings), clock=clock) as ledger:
        if ledger.is_initialised():
            raise AlreadyInitialised(f"{settings.database_url} already holds a ledger")
        with Progress(*columns, TimeElapsedColumn(), console=err, transient=True) as bar:
            task = bar.add_task("hồ sơ / dossiers", total=dossiers)
            result = simulate(
                ledger,
                clock,
                dossiers=dossiers,
                seed=seed,
                years=years,
                progress=lambda n, s: bar.update(task, completed=n, description=f"{s} statements"),
            )
            ledger.issue_checkpoint(log_key := demo_log_key())
            bar.update(task, description="views", completed=0, total=ledger.log_size())
            stalled = stall_counts(ledger, result.end, lambda n: bar.advance(task, n))
        url, end = settings.database_url, format_local(result.end)
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
            f"lienthong --database-url {url} verify --log-key {log_key.verifier.line()}",
            markup=False,
        )
        if result.refusals:
            err.print("\n".join(result.refusals[:20]), markup=False)
            raise typer.Exit(1)


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


register(app)
register_sla(app)
register_tokens(app)
register_serve(app)
register_views(app)
register_import(app)
register_files(app)


def main() -> None:
    app()
