"""Commands of the audit bundles: one dossier's entries with their proofs and a checkpoint, written
from the ledger and verified offline — no database, no server.

lienthong export CODE -o FILE                 one dossier's audit bundle
  [--with-files DIR]                            … and its files, as DIR/<sha256>
lienthong verify-bundle FILE --log-key VKEY   verify a bundle offline
  [--witness-key VKEY]                          … cosigned by this witness
  [--files DIR]                                 … and the files it lists, in DIR

The files a bundle's statements list travel beside it as DIR/<sha256 hex>: written from the file
store the server keeps (each checked whole first, api/cli/filestore.py), and checked offline
against their names.

Exit codes: 0 written, or verified; 1 something does not verify (or a listed file cannot be
written); 2 input errors (an unreadable key or bundle, a file that cannot be written).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from api.cli.args import identifier
from api.cli.files import sha256_of, write_atomically
from api.cli.filestore import DataKeyOption, FilesDirOption, load_data_key, open_files
from api.cli.log import bad_input, log_key_of, read_file
from api.cli.shell import Options, open_ledger, options_of, out, print_hops, refuse
from api.texts import kind_label, word
from domain.instant import format_local, from_datetime
from domain.statement import FILE_KINDS
from ledger.errors import (
    BadBundle,
    BadKeyFile,
    FileCorrupted,
    FileErased,
    FileNotUploaded,
    LedgerError,
)
from ledger.log import note
from ledger.log.bundle import Bundle, BundleReport, export, verify_bundle
from ledger.log.tlog import read_verifier
from ledger.statements import certificates, schema
from ledger.stores.applicants import DataKey
from ledger.stores.timestamps import TimestampStore
from ledger.timestamping import load_roots, verify_token


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
    withhold_certificates: Annotated[
        bool,
        typer.Option(
            "--withhold-certificates",
            help="leave officers' certificates out (they carry names): a bundle for the public",
        ),
    ] = False,
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
        bundle = export(
            ledger,
            code,
            timestamps=_kept_tokens(options),
            certificates_of_officers=not withhold_certificates,
        )
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
    anchors: Annotated[
        Path | None,
        typer.Option(
            help="the directory of trusted root certificates, to check official-duty "
            "certificate signatures (default: LIENTHONG_TRUST_ANCHORS)"
        ),
    ] = None,
    tsa_roots: Annotated[
        Path | None,
        typer.Option(
            help="the time-stamping authority's root certificates (PEM file or directory), to "
            "check the RFC 3161 timestamps the bundle carries (default: LIENTHONG_TSA_ROOTS)"
        ),
    ] = None,
    require_revocation: Annotated[
        bool,
        typer.Option(
            "--require-revocation",
            help="refuse a certificate signature unless the bundle's revocation data speaks for "
            "every certificate of its chain at its time (default: LIENTHONG_REVOCATION_REQUIRED)",
        ),
    ] = False,
) -> None:
    """Verify an audit bundle offline — no database, no server: checkpoint signature, inclusion
    proofs, every signature and rule. Prints each hop; exit 1 if anything fails. With --files,
    also each listed file: present in DIR and hashing to its name. Statements signed with
    official-duty certificates have their chains validated at their time against --anchors
    with the revocation data the bundle carries."""
    options = options_of(ctx)
    try:
        verifier = read_verifier(log_key)
        witnesses = [read_verifier(text) for text in witness_key or []]
    except BadKeyFile as problem:
        bad_input(options, problem)
    data = read_file(options, bundle_file, "bundle")
    try:
        report = verify_bundle(
            data,
            verifier,
            witnesses,
            anchors=str(anchors) if anchors is not None else options.settings.trust_anchors,
            check_token=_token_checker(options, tsa_roots),
            revocation_required=require_revocation or options.settings.revocation_required,
        )
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


def _kept_tokens(options: Options) -> Callable[[list[bytes]], dict[bytes, bytes]] | None:
    """The RFC 3161 tokens kept for statements, when a TSA is configured."""
    if not options.settings.tsa_url:
        return None
    url = options.settings.database_url

    def lookup(digests: list[bytes]) -> dict[bytes, bytes]:
        store = TimestampStore(url)
        try:
            return {digest: kept.token for digest, kept in store.get_many(digests).items()}
        finally:
            store.close()

    return lookup


def _token_checker(
    options: Options, tsa_roots: Path | None
) -> Callable[[bytes, bytes], datetime] | None:
    path = str(tsa_roots) if tsa_roots is not None else options.settings.tsa_roots
    if not path:
        return None
    try:
        roots = load_roots(path)
    except ValueError as problem:
        bad_input(options, BadKeyFile(f"the TSA roots {path}: {problem}"))
    return lambda token, signature: verify_token(token, signature, roots)


def _certificate_line(report: BundleReport, key_id: str, lang: str) -> str:
    """For a statement signed with an official-duty certificate: whose, and by which CA."""
    if report.replayed is None or key_id == "authority" or not report.replayed.has("key", key_id):
        return ""
    key = report.replayed.key(key_id)
    if not key.certificates:
        return ""
    try:
        chain = report.replayed.pki_objects(list(key.certificates), "certificate")
    except LedgerError:  # withheld: the bundle was made for the public
        return word("certificate_withheld", lang)
    return word(
        "certificate_signed",
        lang,
        subject=certificates.subject_text(chain[0]),
        issuer=certificates.issuer_text(chain[0]),
    )


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
        certified = _certificate_line(report, statement.key, lang)
        if certified:
            out.print(f"     {certified}", markup=False)
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
    for index, moment in report.timestamps:
        out.print(
            word("timestamp_held", lang, entry=index + 1, at=format_local(from_datetime(moment))),
            markup=False,
        )
    if report.unchecked_timestamps:
        out.print(word("timestamps_unchecked", lang, n=report.unchecked_timestamps), markup=False)
    if report.withheld_chains:
        out.print(word("certificates_withheld", lang, n=report.withheld_chains), markup=False)


# --- the files a bundle lists ---------------------------------------------------------------------


def bundle_documents(bundle: Bundle) -> dict[bytes, str]:
    """The documents the dossier's statements in the bundle bring in (receipt, dispatches,
    supplements: the ones the server holds the files of): SHA-256 → the name it is first listed
    under, in log order. An acknowledgement's list says what arrived; what it lists beyond
    the dispatch is a discrepancy, not a file."""
    documents: dict[bytes, str] = {}
    for entry in bundle.entries:
        try:
            statement = schema.parse(entry.statement, max_bytes=max(len(entry.statement), 1))
        except LedgerError:
            continue  # not a statement: verify_bundle names it
        if statement.subject != bundle.dossier or statement.kind not in FILE_KINDS:
            continue  # the registry entries, acknowledgements and the dossier's other acts
        for document in statement.body.get("documents") or ():
            documents.setdefault(document["sha256"], document["name"])
    return documents


def write_bundle_files(
    options: Options, bundle: Bundle, directory: Path, key: DataKey, files_dir: Path | None
) -> bool:
    """Write each document the bundle lists as `directory`/<sha256 hex>, checked whole first;
    print those that cannot be written (not uploaded, erased, damaged). True if all were."""
    lang, written, problems = options.lang, 0, []
    with open_files(options, key, files_dir) as store:
        for sha256, name in bundle_documents(bundle).items():
            target = directory / sha256.hex()
            try:
                directory.mkdir(parents=True, exist_ok=True)
                write_atomically(target, store.open(bundle.dossier, sha256))
            except (FileNotUploaded, FileErased, FileCorrupted) as problem:
                problems.append((name, sha256.hex(), _described(problem, lang)))
            except OSError as problem:
                refuse(options, word("cannot_write", lang, path=target, reason=problem.strerror))
            else:
                written += 1
    out.print(word("files_written", lang, n=written, dir=directory), markup=False)
    for name, hexed, text in problems:
        out.print(f"  {name} ({hexed}): {text}", markup=False)
    return not problems


def _described(problem: LedgerError, lang: str) -> str:
    return f"{problem.title(lang)}: {problem}"


def check_bundle_files(bundle: Bundle, directory: Path, lang: str) -> bool:
    """Check that `directory`/<sha256> is present and hashes to its name for every document the
    bundle lists; print each missing or mismatching one. True if all are there and right."""
    documents = bundle_documents(bundle)
    problems = []
    for sha256, name in documents.items():
        path = directory / sha256.hex()
        found = sha256_of(path)
        if found is None:
            problems.append((name, sha256.hex(), word("file_missing", lang, path=path)))
        elif found != sha256:
            text = word("file_mismatch", lang, path=path, actual=found.hex())
            problems.append((name, sha256.hex(), text))
    if not problems:
        out.print(word("bundle_files_ok", lang, n=len(documents), dir=directory), markup=False)
        return True
    out.print(word("bundle_files_bad", lang, bad=len(problems), n=len(documents)), markup=False)
    for name, hexed, text in problems:
        out.print(f"  {name} ({hexed}): {text}", markup=False)
    return False
