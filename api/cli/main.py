"""The `lienthong` command line: the typer app, its global options, and every command registered
in the order `lienthong --help` lists them. The commands themselves are thin handlers, each in the
module of its concern: parse, make one ledger call, render.

Exit codes: 0 done; 1 refused by the ledger, or (for `verify`) something does not verify;
2 usage or input errors (bad arguments, unreadable key or envelope files, bad database URL).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

import typer

from api.cli import (
    agent,
    authoring,
    bundle,
    certificates,
    demo,
    dossier,
    files,
    filestore,
    imports,
    log,
    oversight,
    serve,
    sla,
    timestamps,
    tokens,
    views,
    witness,
)
from api.cli.shell import Options
from api.settings import CommandSettings, SettingsError

app = typer.Typer(
    help="Liên thông — sổ cái giao nhận hồ sơ có chữ ký điện tử (Ed25519) / "
    "a signed ledger of dossier handovers.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


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


def register(app: typer.Typer) -> None:
    """Every command and group of commands. The help lists the commands in the order they are
    added here, then the groups in theirs."""
    app.command()(authoring.init)
    app.command()(authoring.keygen)
    app.command()(authoring.sign)
    app.command()(authoring.submit)
    app.command()(agent.agent)
    app.add_typer(authoring.seed_app, name="seed")
    app.command()(dossier.history)
    app.command()(demo.demo)
    app.command()(log.checkpoint)
    app.command("consistency-proof")(log.consistency_proof)
    app.command("export")(bundle.export_bundle)
    app.command("verify-bundle")(bundle.verify_bundle_command)
    app.command()(log.verify)
    app.add_typer(log.log_key_app, name="log-key")
    app.add_typer(witness.witness_app, name="witness")
    app.add_typer(witness.cosignature_app, name="cosignature")
    sla.register(app)
    tokens.register(app)
    serve.register(app)
    app.command()(views.where)
    app.command()(views.inbox)
    app.command()(oversight.stalls)
    app.command()(oversight.report)
    app.command()(dossier.slip)
    app.command()(views.rebuild)
    app.command()(views.project)
    imports.register(app)
    app.command()(files.attach)
    app.command("fetch-file")(files.fetch_file)
    app.add_typer(filestore.files_app, name="files")
    certificates.register(app)
    timestamps.register(app)


register(app)


def main() -> None:
    app()
