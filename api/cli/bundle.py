"""Commands of the audit bundles: one dossier's entries with their proofs and a checkpoint, written
from the ledger and verified offline — no database, no server.

lienthong export CODE -o FILE                 one dossier's audit bundle
  [--with-files DIR]                            … and its files, as DIR/<sha256>
lienthong verify-bundle FILE --log-key VKEY   verify a bundle offline
  [--witness-key VKEY]                          … cosigned by this witness
  [--files DIR]                                 … and the files it lists, in DIR

Exit codes: 0 written, or verified; 1 something does not verify (or a listed file cannot be
written); 2 input errors (an unreadable key or bundle, a file that cannot be written).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from api.cli.args import identifier
from api.cli.files import (
    DataKeyOption,
    FilesDirOption,
    check_bundle_files,
    load_data_key,
    write_bundle_files,
)
from api.cli.log import bad_input, log_key_of, read_file
from api.cli.shell import open_ledger, options_of, out, print_hops
from api.texts import kind_label, word
from domain.instant import format_local
from ledger.errors import BadBundle, BadKeyFile
from ledger.log import note
from ledger.log.bundle import Bundle, BundleReport, export, verify_bundle
from ledger.log.tlog import read_verifier


def export_bundle(
    ctx: typer.Context,
    code: Annotated[
        str, typer.Argument(help="dossier code (mã hồ sơ)", callback=identifier("dossier code"))
    ],
    out_file: Annotated[Path, typer.Option("-o", "--out", help="bundle file to write")],
    log_key: Annotated[
        Path | None,
        typer.Option(
            help="log key file: sign a fresh checkpoint first (default LIENTHONG_LOG_KEY)"
        ),
    ] = None,
    with_files: Annotated[
        Path | None,
        typer.Option(help="also write the files its statements list, as DIR/<sha256 hex>"),
    ] = None,
    data_key: DataKeyOption = None,
    files_dir: FilesDirOption = None,
) -> None:
    """Write one dossier's audit bundle: its entries, the registry entries they rely on,
    inclusion proofs and the checkpoint. Verifiable offline with `verify-bundle`. With
    --with-files, exit 1 if a listed file cannot be written (not uploaded, erased, damaged)."""
    options = options_of(ctx)
    files_key = load_data_key(options, data_key) if with_files else None
    key = log_key_of(options, log_key) if log_key or options.settings.log_key_file else None
    with open_ledger(options) as ledger:
        if key is not None:
            ledger.issue_checkpoint(key)
        bundle = export(ledger, code)
        try:
            out_file.write_bytes(bundle.encode())
        except OSError as problem:
            bad_input(options, BadKeyFile(f"cannot write {out_file}: {problem.strerror}"))
        size = note.Checkpoint.parse(note.parse_note(bundle.checkpoint).text).size
        out.print(
            word(
                "bundle_written",
                options.lang,
                file=out_file,
                code=code,
                n=len(bundle.entries),
                size=size,
            )
        )
    if (
        with_files is not None
        and files_key is not None
        and not write_bundle_files(options, bundle, with_files, files_key, files_dir)
    ):
        raise typer.Exit(1)


def verify_bundle_command(
    ctx: typer.Context,
    bundle_file: Annotated[Path, typer.Argument(metavar="FILE", help="the bundle from `export`")],
    log_key: Annotated[str, typer.Option(help="the log's verifier key (text or file)")],
    witness_key: Annotated[
        list[str] | None,
        typer.Option(help="require a cosignature by this witness (verifier key; repeatable)"),
    ] = None,
    files: Annotated[
        Path | None,
        typer.Option(help="check DIR/<sha256> for every file the statements list (--with-files)"),
    ] = None,
) -> None:
    """Verify an audit bundle offline — no database, no server: checkpoint signature, inclusion
    proofs, every signature and rule. Prints each hop; exit 1 if anything fails. With --files,
    also each listed file: present in DIR and hashing to its name."""
    options = options_of(ctx)
    try:
        verifier = read_verifier(log_key)
        witnesses = [read_verifier(text) for text in witness_key or []]
    except BadKeyFile as problem:
        bad_input(options, problem)
    data = read_file(options, bundle_file, "bundle")
    try:
        report = verify_bundle(data, verifier, witnesses)
    except BadBundle as problem:
        bad_input(options, problem)
    lang = options.lang
    if not report.ok:
        out.print(f"[bold red]{escape(word('bundle_bad', lang, code=report.dossier))}[/]")
        for text in report.problems:
            out.print(f"  {text}", markup=False)
    else:
        _render_bundle(report, verifier, lang)
    files_ok = files is None or check_bundle_files(Bundle.decode(data), files, lang)
    if not report.ok or not files_ok:
        raise typer.Exit(1)


def _render_bundle(report: BundleReport, verifier: note.Verifier, lang: str) -> None:
    assert report.view is not None
    view = report.view
    out.print(f"[bold]{escape(view.code)}[/]")
    for step in view.steps:
        statement = step.statement
        signed = escape(
            f"{statement.office} {step.office_name}, {statement.officer} ({step.officer_title})"
        )
        out.print(
            f"{statement.seq:>3}  {format_local(statement.at)}  "
            f"[bold]{kind_label(statement.kind, lang)}[/] — {signed}; {word('recorded_at', lang)} "
            f"{format_local(step.recorded_at)} — [green]{word('verified', lang)}[/]"
        )
    print_hops(view, lang, suffix=f" — {word('verified', lang)}")
    witnesses = (
        word("cosigned_by", lang, names=", ".join(report.witnesses)) if report.witnesses else ""
    )
    out.print(
        word(
            "bundle_ok",
            lang,
            n=report.entries,
            size=report.size,
            origin=verifier.name,
            witnesses=witnesses,
        ),
        markup=False,
    )
