"""Serving the HTTP API, and the command line's remote mode.

lienthong serve [--host H] [--port P] [--workers N]     the API on the configured database
lienthong serve --demo                                  a fresh demo database, tokens printed
lienthong --database-url URL serve --demo               … the demo recorded into URL (empty)
lienthong data-key create FILE                          the key protecting applicants' data
lienthong sign … --server URL --token T                 prepared by the server, signed here
lienthong submit … --server URL --token T               recorded by the server
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, NoReturn

import httpx
import typer

from api import bootstrap, serving
from api.cli.shell import Options, emit, err, fail, open_ledger, options_of, out
from api.client import ApiProblem, Client, OfficerKey
from api.settings import (
    Settings,
    SettingsError,
    export,
    server_environment,
    with_environment,
)
from api.texts import word
from domain.instant import local_date
from ledger.application import Ledger
from ledger.clock import SimulatedClock, SystemClock
from ledger.errors import (
    AlreadyInitialised,
    BadDatabaseUrl,
    BadEnvelope,
    BadKeyFile,
    NotInitialised,
)
from ledger.simulation.demo import DEMO_START, demo_applicant, demo_log_key, run_demo
from ledger.statements.authoring import Signer
from ledger.statements.signing import Envelope
from ledger.stores.applicants import DataKey

DEMO_DIRECTORY = Path("lienthong-demo")
DEMO_TOKENS = {  # role name → (role, office, officer): offices as they are after 1/7/2025
    "officer (Xã Càng Long)": ("officer", "29266/2025", "cb-29266-vhxh"),
    "officer (Sở Nội vụ)": ("officer", "86", "cv-84-ldtbxh"),
    "inspector (Sở Nội vụ)": ("inspector", "86", None),
    "consumer": ("consumer", None, None),
    "registrar": ("registrar", None, None),
}
YEAR = 365 * 86400

data_key_app = typer.Typer(
    help="Khóa bảo vệ dữ liệu cá nhân / the key protecting applicants' data.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.add_typer(data_key_app, name="data-key")


@data_key_app.command("create")
def data_key_create(
    ctx: typer.Context, path: Annotated[Path, typer.Argument(help="where to write it (0600)")]
) -> None:
    """Make the data key; serve with LIENTHONG_DATA_KEY=FILE. Losing it loses applicants' data."""
    options = options_of(ctx)
    try:
        DataKey.generate().save(path)
    except FileExistsError:
        fail(BadKeyFile(f"{path} already exists; refusing to overwrite a key"), options.lang, 2)
    out.print(word("data_key_created", options.lang, path=path))


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(help="server processes", min=1, max=64)] = 1,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="start on a fresh demo (keys and tokens in lienthong-demo/; the ledger there "
            "too, or in the empty database --database-url names)",
        ),
    ] = False,
    data_key: Annotated[
        Path | None, typer.Option(help="data key file; or set LIENTHONG_DATA_KEY")
    ] = None,
    log_key: Annotated[
        Path | None, typer.Option(help="checkpoint key file; or set LIENTHONG_LOG_KEY")
    ] = None,
    read_only: Annotated[
        bool,
        typer.Option(
            "--read-only",
            help="serve reads from a PostgreSQL replica: create nothing, record nothing, no log "
            "key; or set LIENTHONG_READ_ONLY=1",
        ),
    ] = False,
) -> None:
    """Serve the HTTP API (OpenAPI document at /docs and /openapi.json)."""
    options = options_of(ctx)
    chosen = _environment(
        options,
        f"http://{host}:{port}",
        demo=demo,
        read_only=read_only,
        data_key=data_key,
        log_key=log_key,
    )
    settings = _settings(chosen, options.lang)
    if not demo:
        _check_initialised(options, read_only=settings.read_only)
    export(chosen)  # the worker processes build their app from the environment
    out.print(word("serving", options.lang, url=f"http://{host}:{port}"))
    serving.run(  # one listening socket per worker process: api/serving.py
        "api.http.app:app_from_env",
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        proxy_headers=False,  # forwarded headers are the app's to judge (LIENTHONG_TRUSTED_PROXIES)
    )


def _environment(
    options: Options,
    url: str,
    *,
    demo: bool,
    read_only: bool,
    data_key: Path | None,
    log_key: Path | None,
) -> dict[str, str]:
    """The environment the server's processes start from: a fresh demo's (recorded now, at
    `url`), or the database, keys and mode given; exit 2 for a demo on a read-only replica."""
    if demo and read_only:
        err.print(
            f"[bold red]{word('error', options.lang)}[/] {word('demo_read_only', options.lang)}"
        )
        raise typer.Exit(2)
    if demo:
        return prepare_demo(options, DEMO_DIRECTORY, url)
    return server_environment(
        database_url=options.settings.database_url,
        data_key_file=data_key,
        log_key_file=log_key,
        read_only=read_only,
    )


def _settings(chosen: dict[str, str], lang: str) -> Settings:
    """The server's settings from the environment it will start with; exit 2 naming what is
    wrong (a default secret, a bad value) before anything listens."""
    try:
        return Settings.from_env(with_environment(chosen))
    except SettingsError as problem:
        err.print(f"[bold red]{word('error', lang)}[/] {problem}")
        raise typer.Exit(2) from None


def _check_initialised(options: Options, read_only: bool) -> None:
    with open_ledger(options, read_only=read_only) as ledger:  # a replica: create nothing
        if not ledger.is_initialised():
            raise NotInitialised(
                f"{options.settings.database_url} holds no ledger: run `lienthong init` (or serve "
                f"--demo)"
            )


def prepare_demo(options: Options, directory: Path, url: str) -> dict[str, str]:
    """A fresh demo in `directory`: the ledger (there, or in the database --database-url names,
    which must hold no ledger yet), its keys, tokens for every role, one dossier received with
    applicant details (for the citizen lookup). Prints how to use them; returns the environment
    the server needs."""
    database_url = demo_database(options, directory)
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    log_key_file, data_key_file = directory / "log.key", directory / "data.key"
    demo_log_key().save(log_key_file)
    data_key = DataKey.generate()
    data_key.save(data_key_file)
    settings = replace(options.settings, database_url=database_url, log_key_file=str(log_key_file))
    demo_options = replace(options, settings=settings)
    clock = SimulatedClock(DEMO_START)
    with open_ledger(demo_options, clock=clock) as ledger:
        if ledger.is_initialised():
            raise AlreadyInitialised(
                f"{database_url} already holds a ledger; serve --demo records a fresh demo and "
                f"needs an empty database (without --database-url it makes {directory}/ledger.db)"
            )
        recorded = run_demo(ledger, clock, lambda message: err.print(f"… {message}"))
        clock.set(max(clock.now(), SystemClock().now()))
        receipt = _receive_with_applicant(ledger, recorded.officers["cb-29266-vhxh"], data_key)
        ledger.issue_checkpoint(demo_log_key())
        tokens = _demo_tokens(database_url, clock.now())
    document: dict[str, Any] = {
        "url": url,
        "tokens": tokens,
        "lookup": receipt,
        "log_verifier": demo_log_key().verifier.line(),
    }
    (directory / "demo.json").write_text(json.dumps(document, ensure_ascii=False, indent=2))
    _print_demo(document, options.lang)
    return server_environment(
        database_url=database_url, log_key_file=log_key_file, data_key_file=data_key_file
    )


def demo_database(options: Options, directory: Path) -> str:
    """Where `serve --demo` records: the database --database-url (or LIENTHONG_DATABASE_URL)
    names, else a SQLite file in `directory`. Not memory: the server's processes would each
    see an empty one."""
    if not options.url_given:
        return f"sqlite:///{directory / 'ledger.db'}"
    url = options.settings.database_url
    if url.startswith("memory:"):
        fail(
            BadDatabaseUrl(
                "serve --demo needs a database the server's processes share: sqlite:///FILE or "
                "postgresql://…, not memory:"
            ),
            options.lang,
            2,
        )
    return url


def _receive_with_applicant(ledger: Ledger, signer: Signer, data_key: DataKey) -> dict[str, str]:
    """One dossier received today the way the API receives one: applicant details encrypted off
    the log, the commitment signed, the receipt secret issued."""
    now = ledger.clock.now()
    code = f"000.66.29.H59-{local_date(now):%y%m%d}-0001"
    store = bootstrap.open_applicants(ledger.settings.database_url, data_key)
    try:
        _salt, details = demo_applicant(code)
        proposal = store.propose(code, details, now, office=signer.office, officer=signer.officer)
        signer.record(
            "dossier.received",
            code,
            {
                "procedure": "merit-education-preference",
                "version": 2,
                "applicant": proposal.commitment,
                "channel": "direct",
                "documents": [],
            },
        )
        secret = store.confirm(code, proposal.commitment, now, office=signer.office)
    finally:
        store.close()
    return {"code": code, "secret": secret or ""}


def _demo_tokens(database_url: str, now: int) -> dict[str, str]:
    store = bootstrap.open_tokens(database_url)
    try:
        return {
            name: store.create(
                role,
                office=office,
                officer=officer,
                label=f"demo {name}",
                now=now,
                valid_seconds=YEAR,
            )[1]
            for name, (role, office, officer) in DEMO_TOKENS.items()
        }
    finally:
        store.close()


def _print_demo(document: dict[str, Any], lang: str) -> None:
    url = document["url"]
    out.print(word("demo_addresses", lang, url=url))
    for name, token in document["tokens"].items():
        out.print(f"  {name:<24} {token}", markup=False)
    lookup = document["lookup"]
    out.print(word("demo_lookup", lang, url=url, code=lookup["code"], secret=lookup["secret"]))
    out.print(word("demo_pages", lang, url=url))
    out.print(word("demo_saved", lang), markup=False)


# --- remote mode of sign and submit -------------------------------------------------------------


def remote_sign(
    options: Options,
    server: str,
    token: str,
    key: OfficerKey,
    kind: str,
    subject: str,
    body: dict[str, Any],
) -> None:
    client = Client(server, token, lang=options.lang)
    try:
        with server_answers(options, server):
            raw = client.prepare(key, kind, subject, body)
    finally:
        client.close()
    emit(Envelope(raw, key.sign(raw)).to_json())


def remote_submit(options: Options, server: str, token: str, lines: list[str]) -> None:
    client = Client(server, token, lang=options.lang)
    try:
        with server_answers(options, server):
            _submit_lines(client, lines, options)
    except BadEnvelope as problem:
        fail(problem, options.lang, 2)
    finally:
        client.close()


def _submit_lines(client: Client, lines: list[str], options: Options) -> None:
    for line in lines:
        receipt = client.submit(Envelope.from_json(line))
        status = word("duplicate" if receipt["duplicate"] else "recorded", options.lang)
        out.print(
            f"{status}: {receipt['kind']} {receipt['subject']} seq {receipt['seq']} "
            f"{receipt['digest']} @ {receipt['recorded_at_iso']}",
            markup=False,
        )
        if receipt.get("receipt_secret"):
            out.print(word("receipt_secret", options.lang, secret=receipt["receipt_secret"]))


@contextmanager
def server_answers(options: Options, server: str) -> Iterator[None]:
    """What a call to `server` inside it may meet, reported as the command line reports it: the
    server's refusal (its problem, exit 1, or 2 for bad input) or a server it cannot reach."""
    try:
        yield
    except ApiProblem as problem:
        _remote_failure(problem, options)
    except httpx.HTTPError as problem:
        _unreachable(server, problem, options)


INPUT_PROBLEMS = ("malformed-request", "bad-envelope", "bad-request")


def _remote_failure(problem: ApiProblem, options: Options) -> NoReturn:
    """Exit 2 for the caller's own mistakes (token, access, input); 1 when the ledger refused."""
    err.print(
        f"[bold red]{word('error', options.lang)}[/] ({problem.code or problem.status}) "
        f"{problem.problem.get('title', '')}: {problem.problem.get('detail', '')}",
        markup=True,
    )
    mine = problem.status in (401, 403, 429) or problem.code in INPUT_PROBLEMS
    raise typer.Exit(2 if mine else 1)


def _unreachable(server: str, problem: httpx.HTTPError, options: Options) -> NoReturn:
    err.print(f"[bold red]{word('error', options.lang)}[/] {server}: {problem}", markup=True)
    raise typer.Exit(2)
