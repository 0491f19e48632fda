"""A dossier's files on the command line: sent to and fetched from a server, checked where they
are kept, and carried beside an audit bundle.

lienthong attach CODE FILE… --server URL --token T          upload files, streamed from disk
lienthong fetch-file CODE SHA256 [--out PATH] [--force] …   download, kept only if it hashes right
lienthong verify --files [--data-key FILE]                  the audit, and every stored file too
lienthong export CODE -o FILE --with-files DIR              the bundle, and its files as DIR/<sha256>
lienthong verify-bundle FILE --log-key VKEY --files DIR     the bundle, and DIR/<sha256> against it
lienthong files clean [--hours H] [--data-key FILE]         remove unnamed uploads and crash leftovers

The last three are options of commands in api/cli/log.py; what they do with files is here. A file
written by these commands goes to a temporary file beside its target first (mode 0600: scans hold
personal data) and is renamed into place only once every byte has arrived and been checked, so a
refused or interrupted transfer never leaves a partial file under the final name.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn

import httpx
import typer
from rich.markup import escape

from api import bootstrap
from api.cli.args import identifier
from api.cli.serve import _remote_failure, _unreachable
from api.cli.shell import Options, err, fail, given, open_ledger, options_of, out
from api.client import ApiProblem, Client
from api.texts import word
from domain.instant import format_local
from domain.statement import FILE_KINDS
from ledger.errors import BadKeyFile, FileCorrupted, FileErased, FileNotUploaded, LedgerError
from ledger.log.bundle import Bundle
from ledger.statements import schema
from ledger.stores.applicants import DataKey
from ledger.stores.files import Cleaned, FileStore, Quota, named_in

PIECE = 256 * 1024  # bytes read from disk (or written) at a time: no file is held whole

ServerOption = Annotated[
    str | None,
    typer.Option(help="the API's address, e.g. http://127.0.0.1:8000; or set LIENTHONG_SERVER"),
]
TokenOption = Annotated[
    str | None,
    typer.Option(help="bearer token (an officer's, to upload); or set LIENTHONG_TOKEN"),
]
DataKeyOption = Annotated[
    Path | None,
    typer.Option(
        "--data-key",
        help="the data key file that opens the stored files; or set LIENTHONG_DATA_KEY",
    ),
]
FilesDirOption = Annotated[
    Path | None,
    typer.Option(
        "--files-dir",
        help="where the server keeps the files; default: <database name>-files beside a SQLite "
        "file, or in the PostgreSQL database; or set LIENTHONG_FILES_DIR",
    ),
]


files_app = typer.Typer(
    help="Tệp của hồ sơ trên máy chủ / the dossiers' files the server keeps.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.command()(attach)
    app.command("fetch-file")(fetch_file)
    app.add_typer(files_app, name="files")
    files_app.command("clean")(clean)


def connect(server: str, token: str, lang: str) -> Client:
    """The client the remote commands use (the one place tests point at an in-process app)."""
    return Client(server, token, lang=lang)


def _remote(options: Options, server: str | None, token: str | None) -> tuple[str, str]:
    """--server and --token, or the settings that stand for them (both required)."""
    defaults = options.environment
    return (
        given(server, defaults.server, "--server", "LIENTHONG_SERVER"),
        given(token, defaults.token, "--token", "LIENTHONG_TOKEN"),
    )


def refuse(options: Options, message: str, code: int = 2) -> NoReturn:
    """Stop with `message` (already in the user's language); exit 2 for the caller's input."""
    err.print(f"[bold red]{word('error', options.lang)}[/] {escape(message)}")
    raise typer.Exit(code)


# --- attach and fetch-file ------------------------------------------------------------------------


def attach(
    ctx: typer.Context,
    code: Annotated[
        str, typer.Argument(help="dossier code (mã hồ sơ)", callback=identifier("dossier code"))
    ],
    paths: Annotated[list[Path], typer.Argument(metavar="FILE…", help="the files to upload")],
    server: ServerOption = None,
    token: TokenOption = None,
) -> None:
    """Upload files of a dossier, each under its SHA-256 (read once to hash, then streamed).
    Every file is checked to be readable before anything is sent; stops at the first refusal."""
    options = options_of(ctx)
    server, token = _remote(options, server, token)
    hashed = [(path, *_hash_file(options, path)) for path in paths]
    client = connect(server, token, options.lang)
    try:
        for path, sha256, size in hashed:
            kept = client.attach(code, _pieces(path), sha256)
            status = "file_new" if kept.get("new") else "file_held"
            out.print(
                word(status, options.lang, name=path.name, size=size, sha256=sha256.hex()),
                markup=False,
            )
    except ApiProblem as problem:
        _remote_failure(problem, options)
    except httpx.HTTPError as problem:
        _unreachable(server, problem, options)
    except OSError as problem:  # the file went away between hashing and sending
        refuse(options, word("cannot_read", options.lang, path=path, reason=problem.strerror))
    finally:
        client.close()


def fetch_file(
    ctx: typer.Context,
    code: Annotated[
        str, typer.Argument(help="dossier code (mã hồ sơ)", callback=identifier("dossier code"))
    ],
    sha256: Annotated[str, typer.Argument(help="the file's SHA-256, 64 hex digits")],
    server: ServerOption = None,
    token: TokenOption = None,
    out_path: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="where to write it (default: ./<sha256>; a directory: <sha256> in it)",
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="overwrite an existing file")] = False,
) -> None:
    """Download one file of a dossier. It is kept only if its bytes hash to SHA256; otherwise
    nothing is left behind and the exit code is 1."""
    options = options_of(ctx)
    server, token = _remote(options, server, token)
    digest = _sha256_argument(options, sha256)
    target = out_path or Path(digest.hex())
    if target.is_dir():
        target = target / digest.hex()
    if target.exists() and not force:
        refuse(options, word("file_exists", options.lang, path=target))
    client = connect(server, token, options.lang)
    try:
        size = write_atomically(target, client.fetch_file(code, digest))
    except ApiProblem as problem:
        _remote_failure(problem, options)
    except httpx.HTTPError as problem:
        _unreachable(server, problem, options)
    except ValueError:
        refuse(options, word("fetched_bad_hash", options.lang, sha256=digest.hex()), 1)
    except OSError as problem:
        refuse(options, word("cannot_write", options.lang, path=target, reason=problem.strerror))
    finally:
        client.close()
    out.print(word("file_fetched", options.lang, path=target, size=size), markup=False)


def _sha256_argument(options: Options, text: str) -> bytes:
    try:
        digest = bytes.fromhex(text)
    except ValueError:
        digest = b""
    if len(digest) != 32:
        refuse(options, word("not_a_sha256", options.lang, text=text))
    return digest


def _hash_file(options: Options, path: Path) -> tuple[bytes, int]:
    """(SHA-256, size) of a local file, read once in pieces; refuses a file it cannot read."""
    digest, size = hashlib.sha256(), 0
    try:
        for piece in _pieces(path):
            digest.update(piece)
            size += len(piece)
    except OSError as problem:
        refuse(options, word("cannot_read", options.lang, path=path, reason=problem.strerror))
    return digest.digest(), size


def _pieces(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while piece := handle.read(PIECE):
            yield piece


def write_atomically(target: Path, pieces: Iterable[bytes]) -> int:
    """Write `pieces` to a temporary file beside `target`, synced, then renamed over it; any
    exception while they come (a bad hash, a dropped connection) removes the temporary file and
    is raised again, leaving `target` as it was. Returns the number of bytes written."""
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 — closed before the rename below
        "wb", dir=target.parent, prefix=f".{target.name}.", suffix=".part", delete=False
    )
    size = 0
    try:
        with handle:
            for piece in pieces:
                handle.write(piece)
                size += len(piece)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, target)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    return size


# --- the local file store: verify --files and export --with-files --------------------------------


def load_data_key(options: Options, path: Path | None) -> DataKey:
    """The data key --data-key names, or LIENTHONG_DATA_KEY; exit 2 if neither, or unreadable."""
    chosen = path or options.environment.data_key_file
    if not chosen:
        refuse(options, word("need_data_key", options.lang))
    try:
        return bootstrap.load_data_key(chosen)
    except BadKeyFile as problem:
        fail(problem, options.lang, 2)


@contextmanager
def open_files(
    options: Options, key: DataKey, files_dir: Path | None, quota: Quota | None = None
) -> Iterator[FileStore]:
    """The file store of the ledger at --database-url, where the server keeps it (--files-dir,
    or LIENTHONG_FILES_DIR, or where api/bootstrap.py says)."""
    url = options.settings.database_url
    try:
        store = bootstrap.open_files(
            url, key, files_dir=files_dir or options.environment.files_dir, quota=quota
        )
    except ValueError as problem:
        refuse(options, f"{url}: {problem}")
    try:
        yield store
    finally:
        store.close()


def check_stored_files(options: Options, key: DataKey, files_dir: Path | None) -> bool:
    """Check every stored file against its hash; print each damaged one. True if all are sound."""
    lang, checked, damaged = options.lang, 0, []
    with open_files(options, key, files_dir) as store:
        for stored, problem in store.check_all():
            checked += 1
            if problem is not None:
                damaged.append((stored.code, stored.sha256.hex(), problem))
    if not damaged:
        out.print(word("files_ok", lang, n=checked), markup=False)
        return True
    out.print(word("files_bad", lang, bad=len(damaged), n=checked), markup=False)
    for code, sha256, problem in damaged:
        out.print(f"  {code} {sha256}: {problem}", markup=False)
    return False


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
        found = _sha256_of(path)
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


def _sha256_of(path: Path) -> bytes | None:
    """The SHA-256 of a file's bytes, or None if there is no file to read there."""
    digest = hashlib.sha256()
    try:
        for piece in _pieces(path):
            digest.update(piece)
    except OSError:
        return None
    return digest.digest()


# --- files clean ----------------------------------------------------------------------------------


def clean(
    ctx: typer.Context,
    data_key: DataKeyOption = None,
    files_dir: FilesDirOption = None,
    hours: Annotated[
        float | None,
        typer.Option(
            "--hours",
            min=0,
            help="remove uploads no recorded statement names once this many hours old; default "
            "24, or the server's LIENTHONG_PENDING_HOURS",
        ),
    ] = None,
) -> None:
    """Remove the uploads no recorded statement names that are older than --hours, and what a
    crash left (uploads cut off, blobs no file names); print what was removed. Safe while
    servers run: an upload in progress, in any process, is left alone."""
    options = options_of(ctx)
    hours = options.environment.pending_hours if hours is None else hours
    key = load_data_key(options, data_key)
    with (
        open_ledger(options) as ledger,
        open_files(options, key, files_dir, Quota(hours=hours)) as store,
    ):
        cleaned = store.clean(ledger.clock.now(), named_in(ledger))
    print_cleaned(cleaned, hours, options.lang)


def print_cleaned(cleaned: Cleaned, hours: float, lang: str) -> None:
    """Say what `clean` removed: counts, bytes and dossier codes, then one line per item."""
    if not cleaned:
        out.print(word("files_clean_nothing", lang, hours=hours), markup=False)
        return
    expired, leftovers = cleaned.expired, cleaned.leftovers
    codes = ", ".join(sorted({f.code for f in expired})) or "-"
    size = sum(f.size for f in expired)
    out.print(
        word("files_cleaned", lang, n=len(expired), hours=hours, size=size, codes=codes),
        markup=False,
    )
    for gone in expired:
        uploaded = format_local(gone.uploaded_at)
        out.print(
            f"  {gone.code} {gone.sha256.hex()}: {gone.size:,} B, {uploaded}, {gone.office}",
            markup=False,
        )
    size = sum(r.size for r in leftovers)
    out.print(word("files_leftovers", lang, n=len(leftovers), size=size), markup=False)
    for removed in leftovers:
        where = f".incoming/{removed.name}" if removed.what == "incoming" else removed.name
        out.print(f"  {removed.what} {where}: {removed.size:,} B", markup=False)
