"""Commands of the transparency log: its key, checkpoints, proofs, and the full audit; and how
every command that needs the log's key, or reads a note, proof or bundle file, gets it.

lienthong log-key create --origin NAME        the key that signs checkpoints; prints its vkey
lienthong log-key show FILE                   the verifier key of a log key file
lienthong checkpoint                          sign and keep a checkpoint now; print the note
lienthong consistency-proof OLD [--size NEW]  for a witness working from files
lienthong verify [--log-key VKEY] [--files]   the full audit (and every stored file)

The witnesses' commands are in api/cli/witness.py, the audit bundles' in api/cli/bundle.py.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from api.cli.filestore import DataKeyOption, FilesDirOption, check_stored_files, load_data_key
from api.cli.shell import Options, emit, err, fail, open_ledger, options_of, out
from api.texts import word
from ledger.application import Ledger
from ledger.errors import BadKeyFile, BadProofRequest, LedgerError
from ledger.log import note, witness
from ledger.log.audit import AuditReport, audit
from ledger.log.tlog import LogKey, read_verifier

log_key_app = typer.Typer(
    help="Khóa ký điểm kiểm tra / the key that signs the log's checkpoints.", no_args_is_help=True
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


def bad_input(options: Options, problem: LedgerError) -> NoReturn:
    """Stop on the caller's input (a key, note, proof or bundle file): the refusal, exit 2."""
    fail(problem, options.lang, 2)


def log_key_of(options: Options, path: Path | None) -> LogKey:
    """The log key file `path` names, or LIENTHONG_LOG_KEY's; exit 2 if neither, or unreadable."""
    chosen = path or (
        Path(options.settings.log_key_file) if options.settings.log_key_file else None
    )
    if chosen is None:
        bad_input(options, LogKeyNeeded("no log key: pass --log-key FILE or set LIENTHONG_LOG_KEY"))
    try:
        return LogKey.load(chosen)
    except BadKeyFile as problem:
        bad_input(options, problem)


def _verifier(options: Options, given: str | None) -> note.Verifier | None:
    try:
        if given:
            return read_verifier(given)
        if options.settings.log_verifier:
            return read_verifier(options.settings.log_verifier)
        if options.settings.log_key_file:
            return LogKey.load(Path(options.settings.log_key_file)).verifier
    except BadKeyFile as problem:
        bad_input(options, problem)
    return None


def read_file(options: Options, path: Path, what: str) -> bytes:
    """The bytes of a note, proof or bundle file; exit 2 naming `what` if it cannot be read."""
    try:
        return path.read_bytes()
    except OSError as problem:
        bad_input(options, BadKeyFile(f"cannot read {what} {path}: {problem.strerror}"))


def cosigned_note(ledger: Ledger, size: int, text: str) -> str:
    """A checkpoint's note with the witnesses' cosignature lines kept beside it."""
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
        bad_input(options, BadKeyFile(f"{out_file} already exists; refusing to overwrite a key"))
    err.print(f"{word('log_key_written', options.lang)} {out_file}")
    err.print(f"{word('verifier_key', options.lang)}:")
    emit(key.verifier.line())


@log_key_app.command("show")
def log_key_show(
    ctx: typer.Context,
    key_file: Annotated[Path, typer.Argument(help="the log key file")],
) -> None:
    """Print the log's public verifier key (C2SP vkey format), to publish."""
    emit(log_key_of(options_of(ctx), key_file).verifier.line())


def checkpoint(
    ctx: typer.Context,
    log_key: Annotated[
        Path | None, typer.Option(help="the log key file; default LIENTHONG_LOG_KEY")
    ] = None,
) -> None:
    """Sign and keep a checkpoint of the log now (C2SP tlog-checkpoint); print the signed note."""
    options = options_of(ctx)
    key = log_key_of(options, log_key)
    with open_ledger(options) as ledger:
        issued = ledger.issue_checkpoint(key)
        emit(cosigned_note(ledger, issued.size, issued.note), end="")


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
    anchors: Annotated[
        Path | None,
        typer.Option(
            help="the directory of trusted root certificates for official-duty certificate "
            "signatures (default: LIENTHONG_TRUST_ANCHORS)"
        ),
    ] = None,
) -> None:
    """Full audit: every statement, signature and chain link, the Merkle tree, and every stored
    checkpoint's signature, root and consistency; with --files, every dossier file held too.
    Statements signed with official-duty certificates have their chains validated again at their
    time, with the revocation data recorded before them. Exit 1 if anything fails."""
    options = options_of(ctx)
    if anchors is not None:
        options = replace(options, settings=replace(options.settings, trust_anchors=str(anchors)))
    verifier = _verifier(options, log_key)
    files_key = load_data_key(options, data_key) if files else None
    with open_ledger(options) as ledger:
        if verifier is None and ledger.checkpoint() is not None:
            bad_input(options, LogKeyNeeded(word("need_log_key", options.lang)))
        started = time.perf_counter()
        report = _audit_with_progress(ledger, verifier, workers, options.lang)
        _print_audit(report, max(time.perf_counter() - started, 1e-9), options.lang)
    files_ok = files_key is None or check_stored_files(options, files_key, files_dir)
    if not report.ok or not files_ok:
        raise typer.Exit(1)


def _audit_with_progress(
    ledger: Ledger, verifier: note.Verifier | None, workers: int | None, lang: str
) -> AuditReport:
    """The full audit, its progress on standard error (gone once done)."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(word("verifying", lang), total=ledger.log_size())
        return audit(ledger, lambda n: bar.advance(task, n), log_key=verifier, workers=workers)


def _print_audit(report: AuditReport, seconds: float, lang: str) -> None:
    """The verdict: what was checked, or how many findings and the first twenty; then the rate."""
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
            word("verify_bad", lang, bad=len(report.findings) + report.omitted, n=report.checked)
        )
        for finding in report.findings[:20]:
            out.print(f"  {finding.describe()}", markup=False)
    rate = report.checked / seconds
    out.print(word("verify_rate", lang, n=report.checked, seconds=seconds, rate=rate))
