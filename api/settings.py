"""Every LIENTHONG_* setting, read from the environment here and nowhere else: the server's
(`Settings`) and the command line's (`CommandSettings`); the ledger's own (database URL, clock
tolerance, log key, checkpoints) are parsed by `LedgerSettings.from_env`, which both call. The
table of them all, with defaults and who reads each, is docs/settings.md.

LIENTHONG_DATA_KEY names the key file that protects applicants' personal data (made by
`lienthong data-key create`); the server refuses to start without one rather than fall back on a
default secret. LIENTHONG_READ_ONLY=1 serves reads from a PostgreSQL replica (a hot standby): the
server creates nothing, records nothing and needs no log key. An option given on the command line
wins over the variable that stands for it.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ledger.config import LedgerSettings


class SettingsError(ValueError):
    """A setting is missing or unusable; the message names the variable."""


@dataclass(frozen=True)
class SealSettings:
    """The office's seal (con dấu số: its official-duty certificate and key) that signs the
    control slip as a PDF (api/seal.py): a PKCS#12 file, a key and a certificate file, or a key
    on a PKCS#11 token; `chain` the certificates that lead to the root (the subordinate CA's).
    The passphrase and the token's PIN come from the environment only, never an option."""

    p12: str = ""  # LIENTHONG_SEAL_FILE: a PKCS#12 file (.p12, .pfx)
    key: str = ""  # LIENTHONG_SEAL_KEY (PEM or DER), with LIENTHONG_SEAL_CERT
    cert: str = ""  # LIENTHONG_SEAL_CERT: the seal's certificate (also for a token's key)
    chain: tuple[str, ...] = ()  # LIENTHONG_SEAL_CHAIN: files, separated as in PATH
    pkcs11: str = ""  # LIENTHONG_SEAL_MODULE: the token's PKCS#11 module
    token_label: str = ""  # LIENTHONG_SEAL_TOKEN_LABEL
    key_label: str = ""  # LIENTHONG_SEAL_KEY_LABEL (the certificate on the token: the same label)
    password: str = field(default="", repr=False)  # LIENTHONG_SEAL_PASSWORD: the file's or key's
    pin: str = field(default="", repr=False)  # LIENTHONG_SEAL_PIN: the token's user PIN

    @property
    def configured(self) -> bool:
        return bool(self.p12 or self.key or self.pkcs11)

    def problem(self) -> str | None:
        """What is inconsistent, in English naming the settings; None if nothing is."""
        if sum(1 for given in (self.p12, self.key, self.pkcs11) if given) > 1:
            return "give one seal: LIENTHONG_SEAL_FILE, LIENTHONG_SEAL_KEY or LIENTHONG_SEAL_MODULE"
        if self.key and not self.cert:
            return "LIENTHONG_SEAL_KEY needs LIENTHONG_SEAL_CERT, the seal's certificate"
        if self.pkcs11 and not (self.token_label and self.key_label):
            return "LIENTHONG_SEAL_MODULE needs LIENTHONG_SEAL_TOKEN_LABEL and _KEY_LABEL"
        return None

    @classmethod
    def from_env(cls, environ: Mapping[str, str], *, check: bool = True) -> SealSettings:
        """Read LIENTHONG_SEAL_FILE, _KEY, _CERT, _CHAIN, _MODULE, _TOKEN_LABEL, _KEY_LABEL,
        _PASSWORD and _PIN; SettingsError if they do not name one seal (unless `check` is off:
        the command line checks them with its options)."""
        chain = environ.get("LIENTHONG_SEAL_CHAIN", "")
        seal = cls(
            p12=environ.get("LIENTHONG_SEAL_FILE", ""),
            key=environ.get("LIENTHONG_SEAL_KEY", ""),
            cert=environ.get("LIENTHONG_SEAL_CERT", ""),
            chain=tuple(part for part in chain.split(os.pathsep) if part),
            pkcs11=environ.get("LIENTHONG_SEAL_MODULE", ""),
            token_label=environ.get("LIENTHONG_SEAL_TOKEN_LABEL", ""),
            key_label=environ.get("LIENTHONG_SEAL_KEY_LABEL", ""),
            password=environ.get("LIENTHONG_SEAL_PASSWORD", ""),
            pin=environ.get("LIENTHONG_SEAL_PIN", ""),
        )
        problem = seal.problem() if check else None
        if problem is not None:
            raise SettingsError(problem)
        return seal


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
    files_dir: str = ""  # where the dossiers' files are kept; see api/bootstrap.py
    max_file_bytes: int = 50 * 1024 * 1024  # one uploaded file, at most
    pending_files: int = 200  # uploads no recorded statement names yet, per office, at most
    pending_bytes: int = 1024 * 1024 * 1024  # and their bytes, per office, at most
    pending_hours: float = 24  # an upload no statement names is removed this long after it came
    max_body_bytes: int = 64 * 1024  # any other body, at most (statements: api/http/limits.py)
    seal: SealSettings = field(default_factory=SealSettings)  # signs the slip's PDF; none: no PDF

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
        if self.seal.configured and not self.public_url.startswith(("https://", "http://")):
            # the signed slip's QR code opens this address: taken from the request's Host, it
            # would be the caller's to choose, under the office's seal
            named = (
                "LIENTHONG_SEAL_FILE"
                if self.seal.p12
                else "LIENTHONG_SEAL_KEY"
                if self.seal.key
                else "LIENTHONG_SEAL_MODULE"
            )
            raise SettingsError(
                f"{named} (the office's seal) needs LIENTHONG_PUBLIC_URL, the server's public "
                "http:// or https:// address, which the signed slip's QR code opens"
                + (f", not {self.public_url!r}" if self.public_url else "")
            )
        for proxy in self.trusted_proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise SettingsError(
                    f"LIENTHONG_TRUSTED_PROXIES: {proxy!r} is not an IP address or network"
                ) from None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read (from `environ`, or this process's environment) LIENTHONG_DATA_KEY,
        LIENTHONG_LOOKUPS_PER_MINUTE, LIENTHONG_WRONG_SECRETS_PER_MINUTE,
        LIENTHONG_TRUSTED_PROXIES (comma-separated addresses or networks),
        LIENTHONG_SESSION_IDLE_HOURS, LIENTHONG_SESSION_MAX_HOURS, LIENTHONG_UNACKNOWLEDGED_HOURS,
        LIENTHONG_MAX_BATCH, LIENTHONG_PUBLIC_URL, LIENTHONG_READ_ONLY, LIENTHONG_FILES_DIR,
        LIENTHONG_MAX_FILE_MB, LIENTHONG_PENDING_FILES, LIENTHONG_PENDING_MB,
        LIENTHONG_PENDING_HOURS, LIENTHONG_MAX_BODY_KB, the seal's (SealSettings) and the
        ledger's settings."""
        environ = os.environ if environ is None else environ
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
                seal=SealSettings.from_env(environ),
            )
        except ValueError as problem:
            if isinstance(problem, SettingsError):
                raise
            raise SettingsError(str(problem)) from None


def _flag(environ: Mapping[str, str], name: str) -> bool:
    text = environ.get(name, "").strip().lower()
    if text in ("", "0", "false", "no"):
        return False
    if text in ("1", "true", "yes"):
        return True
    raise SettingsError(f"{name} must be 1 or 0 (true or false), not {text!r}")


@dataclass(frozen=True)
class CommandSettings:
    """What the command line takes from the environment; each stands for an option, and the
    option, when given, wins."""

    ledger: LedgerSettings = field(default_factory=LedgerSettings)
    database_url_given: bool = False  # LIENTHONG_DATABASE_URL is set (the demo's database)
    lang: str = "vi"  # vi or en; checked by the command line, which names --lang
    server: str = ""  # --server of the remote commands
    token: str = ""  # --token of the remote commands
    data_key_file: str = ""  # --data-key: the stored files' key (verify, export, files clean)
    files_dir: str = ""  # --files-dir: where the server keeps the files
    pending_hours: float = 24  # files clean --hours
    public_url: str = ""  # slip --pdf --public-url: the server whose page the slip's QR code opens
    seal: SealSettings = field(default_factory=SealSettings)  # slip --pdf's --seal-* options
    token_pin: str = field(default="", repr=False)  # sign --pkcs11, agent: the token's user PIN

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> CommandSettings:
        """Read (from `environ`, or this process's environment) LIENTHONG_LANG,
        LIENTHONG_SERVER, LIENTHONG_TOKEN, LIENTHONG_DATA_KEY, LIENTHONG_FILES_DIR,
        LIENTHONG_PENDING_HOURS, LIENTHONG_PUBLIC_URL, LIENTHONG_TOKEN_PIN (the PIN of the token
        `sign --pkcs11` and `agent` sign with; asked for when unset), the seal's (SealSettings)
        and the ledger's settings."""
        environ = os.environ if environ is None else environ
        try:
            ledger = LedgerSettings.from_env(environ)
        except ValueError as problem:
            raise SettingsError(str(problem)) from None
        hours = environ.get("LIENTHONG_PENDING_HOURS", "24")
        try:
            pending_hours = float(hours)
        except ValueError:
            pending_hours = -1
        if not pending_hours >= 0:  # a number of hours, NaN refused too
            raise SettingsError(f"LIENTHONG_PENDING_HOURS must be a number of hours, not {hours!r}")
        return cls(
            ledger=ledger,
            database_url_given="LIENTHONG_DATABASE_URL" in environ,
            lang=environ.get("LIENTHONG_LANG", "vi"),
            server=environ.get("LIENTHONG_SERVER", ""),
            token=environ.get("LIENTHONG_TOKEN", ""),
            data_key_file=environ.get("LIENTHONG_DATA_KEY", ""),
            files_dir=environ.get("LIENTHONG_FILES_DIR", ""),
            pending_hours=pending_hours,
            public_url=environ.get("LIENTHONG_PUBLIC_URL", ""),
            seal=SealSettings.from_env(environ, check=False),
            token_pin=environ.get("LIENTHONG_TOKEN_PIN", ""),
        )


def server_environment(
    *,
    database_url: str,
    data_key_file: str | Path | None = None,
    log_key_file: str | Path | None = None,
    read_only: bool = False,
) -> dict[str, str]:
    """The variables that carry the command line's choices (serve's options, the demo's files) to
    the server's processes, which read them back with `Settings.from_env`; what is not given is
    left to the environment."""
    variables = {"LIENTHONG_DATABASE_URL": database_url}
    if data_key_file is not None:
        variables["LIENTHONG_DATA_KEY"] = str(data_key_file)
    if log_key_file is not None:
        variables["LIENTHONG_LOG_KEY"] = str(log_key_file)
    if read_only:
        variables["LIENTHONG_READ_ONLY"] = "1"
    return variables


def with_environment(variables: Mapping[str, str]) -> dict[str, str]:
    """This process's environment with `variables` over it: what a process started with them
    would read."""
    return {**os.environ, **variables}


def export(variables: Mapping[str, str]) -> None:
    """Put `variables` in this process's environment, for the processes it starts (uvicorn's
    workers each build their app from it: api.http.app:app_from_env)."""
    os.environ.update(variables)
