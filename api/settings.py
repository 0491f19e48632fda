"""The server's settings: the only reader of the environment for the HTTP API.

LIENTHONG_DATA_KEY names the key file that protects applicants' personal data (made by
`lienthong data-key create`); the server refuses to start without one rather than fall back on a
default secret. LIENTHONG_READ_ONLY=1 serves reads from a PostgreSQL replica (a hot standby): the
server creates nothing, records nothing and needs no log key. The ledger's own settings (database
URL, log key, checkpoints) are read by `LedgerSettings.from_env`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ledger.config import LedgerSettings, persistence_env


class SettingsError(ValueError):
    """A setting is missing or unusable; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    ledger: LedgerSettings = field(default_factory=LedgerSettings)
    data_key_file: str = ""
    lookups_per_minute: int = 30  # public citizen lookups, per client address
    wrong_secrets_per_minute: int = 10  # wrong receipt secrets, per client address and dossier
    trusted_proxies: tuple[str, ...] = ()  # addresses or networks whose X-Forwarded-For is used
    session_idle_hours: float = 12  # a web session unused for this long has ended
    session_max_hours: float = 7 * 24  # and any web session after this long (or its token's end)
    unacknowledged_hours: float = 8  # a dispatch not acknowledged for this long is a stall
    max_batch: int = 32  # statements recorded in one transaction, at most
    views_poll_seconds: float = 0.5  # how often the read models look for new entries (SQLite)
    stream_poll_seconds: float = 1.0  # how often the event stream looks for new entries
    public_url: str = ""  # the address printed on receipts and in links, if not the request's
    read_only: bool = False  # reads only, from a replica the primary's writes reach
    files_dir: str = ""  # where the dossiers' files are kept; see `files_directory`
    max_file_bytes: int = 50 * 1024 * 1024  # one uploaded file, at most
    pending_files: int = 200  # uploads no recorded statement names yet, per office, at most
    pending_bytes: int = 1024 * 1024 * 1024  # and their bytes, per office, at most
    pending_hours: float = 24  # an upload no statement names is removed this long after it came
    max_body_bytes: int = 64 * 1024  # any other request body, at most (statements: api/http/limits.py)

    def __post_init__(self) -> None:
        if not self.data_key_file:
            raise SettingsError(
                "LIENTHONG_DATA_KEY must name the data key file that protects applicants' "
                "personal data (make one with `lienthong data-key create FILE`)"
            )
        if not self.ledger.log_key_file and not self.read_only:
            raise SettingsError(
                "LIENTHONG_LOG_KEY must name the key file that signs the log's checkpoints "
                "(make one with `lienthong log-key create FILE --origin NAME`)"
            )
        for name in (
            "lookups_per_minute",
            "wrong_secrets_per_minute",
            "max_batch",
            "max_file_bytes",
            "pending_files",
            "pending_bytes",
            "max_body_bytes",
        ):
            if getattr(self, name) < 1:
                raise SettingsError(f"{name} must be at least 1, not {getattr(self, name)}")
        for name in (
            "unacknowledged_hours",
            "views_poll_seconds",
            "stream_poll_seconds",
            "pending_hours",
            "session_idle_hours",
            "session_max_hours",
        ):
            if getattr(self, name) <= 0:
                raise SettingsError(f"{name} must be positive, not {getattr(self, name)}")
        for proxy in self.trusted_proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise SettingsError(
                    f"LIENTHONG_TRUSTED_PROXIES: {proxy!r} is not an IP address or network"
                ) from None

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Read LIENTHONG_DATA_KEY, LIENTHONG_LOOKUPS_PER_MINUTE,
        LIENTHONG_WRONG_SECRETS_PER_MINUTE, LIENTHONG_TRUSTED_PROXIES (comma-separated addresses
        or networks), LIENTHONG_SESSION_IDLE_HOURS, LIENTHONG_SESSION_MAX_HOURS,
        LIENTHONG_UNACKNOWLEDGED_HOURS, LIENTHONG_MAX_BATCH, LIENTHONG_PUBLIC_URL,
        LIENTHONG_READ_ONLY, LIENTHONG_FILES_DIR, LIENTHONG_MAX_FILE_MB, LIENTHONG_MAX_BODY_KB
        and the ledger's settings."""
        try:
            return cls(
                ledger=LedgerSettings.from_env(environ),
                data_key_file=environ.get("LIENTHONG_DATA_KEY", ""),
                lookups_per_minute=int(environ.get("LIENTHONG_LOOKUPS_PER_MINUTE", "30")),
                wrong_secrets_per_minute=int(
                    environ.get("LIENTHONG_WRONG_SECRETS_PER_MINUTE", "10")
                ),
                trusted_proxies=tuple(
                    part.strip()
                    for part in environ.get("LIENTHONG_TRUSTED_PROXIES", "").split(",")
                    if part.strip()
                ),
                session_idle_hours=float(environ.get("LIENTHONG_SESSION_IDLE_HOURS", "12")),
                session_max_hours=float(environ.get("LIENTHONG_SESSION_MAX_HOURS", "168")),
                unacknowledged_hours=float(environ.get("LIENTHONG_UNACKNOWLEDGED_HOURS", "8")),
                max_batch=int(environ.get("LIENTHONG_MAX_BATCH", "32")),
                public_url=environ.get("LIENTHONG_PUBLIC_URL", ""),
                read_only=_flag(environ, "LIENTHONG_READ_ONLY"),
                files_dir=environ.get("LIENTHONG_FILES_DIR", ""),
                max_file_bytes=int(float(environ.get("LIENTHONG_MAX_FILE_MB", "50")) * 1024 * 1024),
                # LIENTHONG_PENDING_FILES, _MB and _HOURS: an office's uploads no statement names
                pending_files=int(environ.get("LIENTHONG_PENDING_FILES", "200")),
                pending_bytes=int(float(environ.get("LIENTHONG_PENDING_MB", "1024")) * 1024 * 1024),
                pending_hours=float(environ.get("LIENTHONG_PENDING_HOURS", "24")),
                max_body_bytes=int(float(environ.get("LIENTHONG_MAX_BODY_KB", "64")) * 1024),
            )
        except ValueError as problem:
            if isinstance(problem, SettingsError):
                raise
            raise SettingsError(str(problem)) from None


def files_directory(settings: Settings) -> Path | None:
    """Where the dossiers' files are kept: LIENTHONG_FILES_DIR if set; else, beside a SQLite
    ledger file, the directory `<name>-files`; else (PostgreSQL) in the database itself."""
    return files_directory_of(settings.ledger.database_url, settings.files_dir)


def files_directory_of(database_url: str, files_dir: str = "") -> Path | None:
    """`files_directory` for a database URL and a files directory setting ("" if not set):
    shared by the server and the command line, so both find the same files."""
    if files_dir:
        return Path(files_dir)
    env = persistence_env(database_url)
    if "SQLITE_DBNAME" in env:
        database = Path(env["SQLITE_DBNAME"])
        return database.with_name(f"{database.stem}-files")
    return None


def _flag(environ: Mapping[str, str], name: str) -> bool:
    text = environ.get(name, "").strip().lower()
    if text in ("", "0", "false", "no"):
        return False
    if text in ("1", "true", "yes"):
        return True
    raise SettingsError(f"{name} must be 1 or 0 (true or false), not {text!r}")
