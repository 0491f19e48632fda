"""How a process opens the ledger, its read models and its side stores over one database: the one
wiring the server (api/http/services.py) and the command line (api/cli) share, so that both open
the same tables the same way, a replica's the same read-only way, and find the same files.

What to open comes from the settings (api/settings.py, the only reader of the environment); each
edge says a refusal in its own words (a problem, or a message and an exit code).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from domain.calendar import WorkCalendar
from ledger.application import Ledger
from ledger.clock import Clock
from ledger.config import LedgerSettings, persistence_env
from ledger.reference.calendar import load_calendar
from ledger.stores.applicants import ApplicantStore, DataKey
from ledger.stores.enrolments import EnrolmentStore
from ledger.stores.files import DEFAULT_MAX_BYTES, FileStore, Quota, named_in
from ledger.stores.tokens import TokenStore
from ledger.views.projector import Projector, ViewStore
from ledger.views.sla import Inspector

# eventsourcing's own setting: open the recorder without creating its tables
NO_TABLES = {"CREATE_TABLE": "n"}


def open_ledger(
    settings: LedgerSettings, *, clock: Clock | None = None, read_only: bool = False
) -> Ledger:
    """The ledger at `settings.database_url`. On a replica (`read_only`) it creates no table and
    signs no checkpoint, so it needs no log key: the primary signs them."""
    if read_only:
        return Ledger(replace(settings, log_key_file=""), clock=clock, env=NO_TABLES)
    return Ledger(settings, clock=clock)


def replica_views(settings: LedgerSettings) -> ViewStore:
    """The read models of a replica, as the primary keeps them: refused (views-not-ready) unless
    they exist in the layout this version reads. A replica checks them before it opens the
    ledger: without them there is nothing it can serve."""
    return ViewStore(settings.database_url, read_only=True)


def open_projector(ledger: Ledger, views: ViewStore | None = None) -> Projector:
    """The read models of `ledger`, kept by this process unless `views` is a replica's."""
    return Projector(ledger, views)


def open_inspector(
    ledger: Ledger,
    projector: Projector,
    *,
    unacknowledged_hours: float = 8,
    calendar: WorkCalendar | None = None,
) -> Inspector:
    """The stall and deadline rules over the read models, on the working calendar (read from the
    reference data unless given: a server reads it once)."""
    return Inspector(ledger, projector, calendar or load_calendar(), unacknowledged_hours)


def load_data_key(path: str | Path) -> DataKey:
    """The key that protects applicants' details and the dossiers' files (BadKeyFile if it
    cannot be read)."""
    return DataKey.load(Path(path))


def open_tokens(database_url: str, *, read_only: bool = False) -> TokenStore:
    return TokenStore(database_url, read_only=read_only)


def open_applicants(
    database_url: str, data_key: DataKey, *, read_only: bool = False
) -> ApplicantStore:
    return ApplicantStore(database_url, data_key, read_only=read_only)


def open_enrolments(database_url: str, *, read_only: bool = False) -> EnrolmentStore:
    return EnrolmentStore(database_url, read_only=read_only)


def files_directory(database_url: str, files_dir: str = "") -> Path | None:
    """Where the dossiers' files are kept: `files_dir` (LIENTHONG_FILES_DIR) if set; else, beside a
    SQLite ledger file, the directory `<name>-files`; else (PostgreSQL) in the database itself."""
    if files_dir:
        return Path(files_dir)
    env = persistence_env(database_url)
    if "SQLITE_DBNAME" in env:
        database = Path(env["SQLITE_DBNAME"])
        return database.with_name(f"{database.stem}-files")
    return None


def open_files(
    database_url: str,
    data_key: DataKey,
    *,
    files_dir: str | Path = "",
    directory: Path | None = None,
    ledger: Ledger | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    quota: Quota | None = None,
    read_only: bool = False,
) -> FileStore:
    """The dossiers' files, where `files_directory` says (or in `directory`, if given); with
    `ledger`, an upload is known to be named once a recorded statement lists it."""
    return FileStore(
        database_url,
        data_key,
        directory=directory or files_directory(database_url, str(files_dir)),
        max_bytes=max_bytes,
        quota=quota,
        named=named_in(ledger) if ledger is not None else None,
        read_only=read_only,
    )
