"""The file store the server keeps, opened by the command line on the same database: checked
whole by `verify --files`, read by `export --with-files`, and cleaned of what no statement names.

lienthong verify --files [--data-key FILE]            the audit, and every stored file too
lienthong files clean [--hours H] [--data-key FILE]   remove unnamed uploads and crash leftovers

The store is found where the server keeps it: --files-dir, or LIENTHONG_FILES_DIR, or where
api/bootstrap.py says; its files open only with the data key.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from api import bootstrap
from api.cli.shell import Options, fail, open_ledger, options_of, out, refuse
from api.texts import word
from domain.instant import format_local
from ledger.errors import BadKeyFile
from ledger.stores.applicants import DataKey
from ledger.stores.files import Cleaned, FileStore, Quota, named_in

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


# --- files clean ----------------------------------------------------------------------------------


@files_app.command("clean")
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
