"""Commands of the transparency log: keys, checkpoints, proofs, witnesses, audit bundles, full audit.

lienthong log-key create --origin NAME        the key that signs checkpoints; prints its vkey
lienthong checkpoint                          sign and keep a checkpoint now; print the note
lienthong consistency-proof OLD [--size NEW]  for a witness working from files
lienthong witness key / witness cosign        act as a witness for another ledger
lienthong cosignature add NOTE --witness-key  keep witnesses' cosignatures beside a checkpoint
lienthong export CODE -o FILE                 one dossier's audit bundle
  [--with-files DIR]                            … and its files, as DIR/<sha256>
lienthong verify-bundle FILE --log-key VKEY   verify a bundle offline
  [--files DIR]                                 … and the files it lists, in DIR
lienthong verify [--log-key VKEY] [--files]   the full audit (and every stored file)
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from api.cli.args import identifier
from api.cli.files import (
    DataKeyOption,
    FilesDirOption,
    check_bundle_files,
    check_stored_files,
    load_data_key,
    write_bundle_files,
)
from api.cli.shell import Options, emit, err, fail, open_ledger, options_of, out, print_hops
from api.texts import kind_label, word
from domain.instant import format_local
from ledger.application import Ledger
from ledger.errors import BadBundle, BadCheckpoint, BadKeyFile, BadProofRequest, LedgerError
from ledger.log import note, witness
from ledger.log.audit import audit
from ledger.log.bundle import Bundle, BundleReport, export, verify_bundle
from ledger.log.tlog import LogKey, read_verifier

log_key_app = typer.Typer(
    help="Khóa ký điểm kiểm tra / the key that signs the log's checkpoints.", no_args_is_help=True
)
witness_app = typer.Typer(
    help="Làm nhân chứng cho sổ cái khác / act as a witness for another ledger.",
    no_args_is_help=True,
)
cosignature_app = typer.Typer(
    help="Chữ ký đồng ký của nhân chứng / witnesses' cosignatures.", no_args_is_help=True
)

VerifierOption = Annotated[
    str | None,
    typer.Option(
        "--log-key",
        help="the log's public key: C2SP verifier key text (name+hash+key) or a file holding it "
        "(or the log key file); default LIENTHONG_LOG_VERIFIER or LIENTHONG_LOG_KEY",
    ),
]


class LogKeyNeeded(LedgerError):
    """The command needs the log's key (to sign a checkpoint, or to check the signatures of
    those kept) and none was given: not a bad key file, a missing one."""

    code = "log-key-needed"
    title_vi = "Cần khóa của sổ (--log-key)"
    title_en = "The log's key is needed (--log-key)"


def register(app: typer.Typer) -> None:
    app.add_typer(log_key_app, name="log-key")
    app.add_typer(witness_app, name="witness")
    app.add_typer(cosignature_app, name="cosignature")
    app.command()(checkpoint)
    app.command("consistency-proof")(consistency_proof)
    app.command("export")(export_bundle)
    app.command("verify-bundle")(verify_bundle_command)
    app.command()(verify)


def _input(options: Options, problem: LedgerError) -> NoReturn:
    fail(problem, options.lang, 2)


def _log_key(options: Options, path: Path | None) -> LogKey:
    chosen = path or (
        Path(options.settings.log_key_file) if options.settings.log_key_file else None
    )
    if chosen is None:
        _input(options, LogKeyNeeded("no log key: pass --log-key FILE or set LIENTHONG_LOG_KEY"))
    try:
        return LogKey.load(chosen)
    except BadKeyFile as problem:
        _input(options, problem)


def _verifier(options: Options, given: str | None) -> note.Verifier | None:
    try:
        if given:
            return read_verifier(given)
        if options.settings.log_verifier:
            return read_verifier(options.settings.log_verifier)
        if options.settings.log_key_file:
            return LogKey.load(Path(options.settings.log_key_file)).verifier
    except BadKeyFile as problem:
        _input(options, problem)
    return None


def _read(options: Options, path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as problem:
        _input(options, BadKeyFile(f"cannot read {what} {path}: {problem.strerror}"))


def _note_with_cosignatures(ledger: Ledger, size: int, text: str) -> str:
    return text + "".join(ledger.logstore.cosignatures(size))


# --- log key and checkpoints --------------------------------------------------------------------


@log_key_app.command("create")
def log_key_create(
    ctx: typer.Context,
    origin: Annotated[
        str, typer.Option(help="the log's name in every checkpoint, e.g. a host/path")
    ],
    out_file: Annotated[Path, typer.Option("-o", "--out", help="key file to write (0600)")] = Path(
        "lienthong-log.key"
    ),
) -> None:
    """Create the key that signs checkpoints (never the authority key); print its verifier key."""
    options = options_of(ctx)
    try:
        key = LogKey.generate(origin)
    except ValueError as problem:
        raise typer.BadParameter(str(problem)) from None
    try:
        key.save(out_file)
    except FileExistsError:
        _input(options, BadKeyFile(f"{out_file} already exists; refusing to overwrite a key"))
    err.print(f"{word('log_key_written', options.lang)} {out_file}")
    err.print(f"{word('verifier_key', options.lang)}:")
    emit(key.verifier.line())


@log_key_app.command("show")
def log_key_show(
    ctx: typer.Context,
    key_file: Annotated[Path, typer.Argument(help="the log key file")],
) -> None:
    """Print the log's public verifier key (C2SP vkey format), to publish."""
    emit(_log_key(options_of(ctx), key_file).verifier.line())


def checkpoint(
    ctx: typer.Context,
    log_key: Annotated[
        Path | None, typer.Option(help="the log key file; default LIENTHONG_LOG_KEY")
    ] = None,
) -> None:
    """Sign and keep a checkpoint of the log now (C2SP tlog-checkpoint); print the signed note."""
    options = options_of(ctx)
    key = _log_key(options, log_key)
    with open_ledger(options) as ledger:
        issued = ledger.issue_checkpoint(key)
        emit(_note_with_cosignatures(ledger, issued.size, issued.note), end="")


def consistency_proof(
    ctx: typer.Context,
    old: Annotated[int, typer.Argument(help="the size the witness saw last")],
    size: Annotated[
        int | None, typer.Option(help="the newer size (default: latest checkpoint)")
    ] = None,
) -> None:
    """Print a consistency proof between two sizes as JSON (for witnesses working from files)."""
    options = options_of(ctx)
    with open_ledger(options) as ledger:
        if size is None:
            latest = ledger.checkpoint()
            if latest is None:
                raise BadProofRequest("this log has no checkpoint yet: run `lienthong checkpoint`")
            size = latest.size
        emit(witness.encode_proof(old, size, ledger.consistency_proof(old, size)))


# --- witnesses ----------------------------------------------------------------------------------


@witness_app.command("key")
def witness_key(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="the witness's name, e.g. its host/path")],
    out_file: Annotated[Path, typer.Option("-o", "--out", help="key file to write (0600)")] = Path(
        "lienthong-witness.key"
    ),
) -> None:
    """Create a witness key; print its verifier key for logs to configure."""
    options = options_of(ctx)
    try:
        key = witness.WitnessKey.generate(name)
        key.save(out_file)
    except note.NoteError as problem:
        raise typer.BadParameter(str(problem)) from None
    except FileExistsError:
        _input(options, BadKeyFile(f"{out_file} already exists; refusing to overwrite a key"))
    err.print(f"{word('witness_key_written', options.lang)} {out_file}")
    emit(key.verifier.line())


@witness_app.command("cosign")
def witness_cosign(
    ctx: typer.Context,
    key: Annotated[Path, typer.Option(help="the witness key file")],
    state: Annotated[Path, typer.Option(help="the witness's memory of what it cosigned (JSON)")],
    log_key: Annotated[str, typer.Option(help="the log's verifier key (text or file)")],
    checkpoint_file: Annotated[
        Path | None,
        typer.Option(
            "--checkpoint",
            help="a checkpoint note exported from the log; without it, the latest checkpoint of "
            "the ledger at --database-url is read, and the cosignature is stored there",
        ),
    ] = None,
    proof: Annotated[
        Path | None,
        typer.Option(
            help="with --checkpoint: the log's consistency proof from `consistency-proof`"
        ),
    ] = None,
) -> None:
    """Check that the log only grew since the last checkpoint this witness saw, and cosign."""
    options = options_of(ctx)
    try:
        witness_key_ = witness.WitnessKey.load(key)
        verifier = read_verifier(log_key)
        memory = witness.WitnessState(state)
    except BadKeyFile as problem:
        _input(options, problem)
    seen = memory.logs.get(verifier.name)
    try:
        if checkpoint_file is not None:
            text = _read(options, checkpoint_file, "checkpoint").decode("utf-8", "replace")
            hashes: list[bytes] = []
            if proof is None and seen is not None:
                raise BadCheckpoint(
                    f"this witness last cosigned size {seen.size} of {verifier.name}: give the "
                    f"log's consistency proof from that size with --proof (made by `lienthong "
                    f"consistency-proof {seen.size}` on the log)"
                )
            if proof is not None:
                old, new, hashes = witness.decode_proof(
                    _read(options, proof, "proof").decode("utf-8", "replace")
                )
                size = note.Checkpoint.parse(note.parse_note(text).text).size
                if seen is not None and (old, new) != (seen.size, size):
                    raise BadCheckpoint(
                        f"the proof goes from size {old} to {new}; this witness needs one from "
                        f"{seen.size} to {size}"
                    )
            line = witness.cosign(text, hashes, verifier, witness_key_, memory, int(time.time()))
            emit(text + line, end="")
            return
        with open_ledger(options) as ledger:
            latest = ledger.checkpoint()
            if latest is None:
                raise BadCheckpoint("that ledger has issued no checkpoint yet")
            old_size = seen.size if seen is not None and seen.size <= latest.size else 0
            hashes = ledger.consistency_proof(old_size, latest.size) if seen else []
            line = witness.cosign(
                latest.note, hashes, verifier, witness_key_, memory, int(time.time())
            )
            ledger.logstore.put_cosignature(
                latest.size, witness_key_.name, line, ledger.clock.now()
            )
            emit(_note_with_cosignatures(ledger, latest.size, latest.note), end="")
    except note.NoteError as problem:
        fail(BadCheckpoint(str(problem)), options.lang, 1)
    except LedgerError as problem:
        fail(problem, options.lang, 1)


@cosignature_app.command("add")
def cosignature_add(
    ctx: typer.Context,
    cosigned: Annotated[Path, typer.Argument(help="the checkpoint note with cosignature lines")],
    witness_key: Annotated[
        list[str], typer.Option(help="a configured witness's verifier key (repeat for several)")
    ],
) -> None:
    """Keep the cosignatures of configured witnesses beside the checkpoint they cosign."""
    options = options_of(ctx)
    try:
        witnesses = [read_verifier(text) for text in witness_key]
    except BadKeyFile as problem:
        _input(options, problem)
    text = _read(options, cosigned, "cosigned note").decode("utf-8", "replace")
    with open_ledger(options) as ledger:
        try:
            names = witness.accept_cosignatures(
                ledger.logstore, text, witnesses, ledger.clock.now()
            )
        except note.NoteError as problem:
            raise BadCheckpoint(str(problem)) from None
        out.print(f"{word('cosignature_kept', options.lang)}: {', '.join(names)}", markup=False)


# --- audit bundles ------------------------------------------------------------------------------


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
    key = _log_key(options, log_key) if log_key or options.settings.log_key_file else None
    with open_ledger(options) as ledger:
        if key is not None:
            ledger.issue_checkpoint(key)
        bundle = export(ledger, code)
        try:
            out_file.write_bytes(bundle.encode())
        except OSError as problem:
            _input(options, BadKeyFile(f"cannot write {out_file}: {problem.strerror}"))
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
        _input(options, problem)
    data = _read(options, bundle_file, "bundle")
    try:
        report = verify_bundle(data, verifier, witnesses)
    except BadBundle as problem:
        _input(options, problem)
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


# --- the full audit -----------------------------------------------------------------------------


def verify(
    ctx: typer.Context,
    log_key: VerifierOption = None,
    workers: Annotated[
        int | None, typer.Option(help="worker processes (default: one per core)")
    ] = None,
    files: Annotated[
        bool, typer.Option("--files", help="also check every stored file against its hash")
    ] = False,
    data_key: DataKeyOption = None,
    files_dir: FilesDirOption = None,
) -> None:
    """Full audit: every statement, signature and chain link, the Merkle tree, and every stored
    checkpoint's signature, root and consistency; with --files, every dossier file held too.
    Exit 1 if anything fails."""
    options = options_of(ctx)
    verifier = _verifier(options, log_key)
    files_key = load_data_key(options, data_key) if files else None
    lang = options.lang
    with open_ledger(options) as ledger:
        if verifier is None and ledger.checkpoint() is not None:
            _input(options, LogKeyNeeded(word("need_log_key", lang)))
        started = time.perf_counter()
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=err, transient=True) as bar:
            task = bar.add_task(word("verifying", lang), total=ledger.log_size())
            report = audit(
                ledger,
                lambda n: bar.advance(task, n),
                log_key=verifier,
                workers=workers,
            )
        seconds = max(time.perf_counter() - started, 1e-9)
        if report.ok:
            out.print(
                word(
                    "verify_ok",
                    lang,
                    n=report.checked,
                    size=report.size,
                    root=report.root.hex()[:16] + "…",
                    checkpoints=report.checkpoints,
                )
            )
        else:
            out.print(
                word(
                    "verify_bad", lang, bad=len(report.findings) + report.omitted, n=report.checked
                )
            )
            for finding in report.findings[:20]:
                out.print(f"  {finding.describe()}", markup=False)
        rate = report.checked / seconds
        out.print(word("verify_rate", lang, n=report.checked, seconds=seconds, rate=rate))
    files_ok = files_key is None or check_stored_files(options, files_key, files_dir)
    if not report.ok or not files_ok:
        raise typer.Exit(1)
