"""Ledger settings, and the translation of a database URL into eventsourcing's persistence settings.

URLs: `memory:` (unit tests; nothing kept), `sqlite:///relative/path.db` or `sqlite:////abs/path.db`
(the embedded default), `postgresql://user[:password]@host[:port]/dbname[?schema=name]`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from ledger.errors import BadDatabaseUrl
from ledger.statements.canonical import DEFAULT_MAX_BYTES

DEFAULT_DATABASE_URL = "sqlite:///lienthong.db"
DEFAULT_TOLERANCE_SECONDS = 600


@dataclass(frozen=True)
class LedgerSettings:
    database_url: str = DEFAULT_DATABASE_URL
    clock_tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS
    max_statement_bytes: int = DEFAULT_MAX_BYTES
    aggregate_cache_size: int = 10_000
    log_key_file: str = ""  # the key that signs checkpoints (made by `lienthong log-key create`)
    log_verifier: str = ""  # the log's public verifier key (C2SP vkey), to check checkpoints
    checkpoint_every_entries: int = 1000
    checkpoint_every_seconds: int = 60
    # official-duty certificates: the directory of trusted root certificates (PEM or DER files;
    # a deployment installs the Government Cipher Committee's) and the longest chain accepted,
    # counted from the officer's certificate to the root, both included
    trust_anchors: str = ""
    certificate_max_chain: int = 4
    # whether a certificate signature needs recorded revocation data that speaks for every
    # certificate of its chain at its time (a CRL or OCSP response between thisUpdate and
    # nextUpdate); by default the data recorded, if any, is applied and none means not revoked
    revocation_required: bool = False
    # RFC 3161 timestamps of certificate statements' signatures: the time-stamping authority's
    # address (none: no timestamp is asked for) and its trusted root certificates (a PEM file, or
    # a directory of PEM or DER files), which every token is checked against
    tsa_url: str = ""
    tsa_roots: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> LedgerSettings:
        """Read LIENTHONG_DATABASE_URL, LIENTHONG_CLOCK_TOLERANCE, LIENTHONG_MAX_STATEMENT_BYTES,
        LIENTHONG_LOG_KEY, LIENTHONG_LOG_VERIFIER, LIENTHONG_CHECKPOINT_ENTRIES,
        LIENTHONG_CHECKPOINT_SECONDS, LIENTHONG_TRUST_ANCHORS, LIENTHONG_CERTIFICATE_MAX_CHAIN,
        LIENTHONG_REVOCATION_REQUIRED, LIENTHONG_TSA_URL and LIENTHONG_TSA_ROOTS."""
        tsa_url, tsa_roots = _tsa(environ)
        return cls(
            database_url=environ.get("LIENTHONG_DATABASE_URL", DEFAULT_DATABASE_URL),
            clock_tolerance_seconds=_int(
                environ, "LIENTHONG_CLOCK_TOLERANCE", DEFAULT_TOLERANCE_SECONDS
            ),
            max_statement_bytes=_int(environ, "LIENTHONG_MAX_STATEMENT_BYTES", DEFAULT_MAX_BYTES),
            log_key_file=environ.get("LIENTHONG_LOG_KEY", ""),
            log_verifier=environ.get("LIENTHONG_LOG_VERIFIER", ""),
            checkpoint_every_entries=_int(environ, "LIENTHONG_CHECKPOINT_ENTRIES", 1000),
            checkpoint_every_seconds=_int(environ, "LIENTHONG_CHECKPOINT_SECONDS", 60),
            trust_anchors=environ.get("LIENTHONG_TRUST_ANCHORS", ""),
            certificate_max_chain=_int(environ, "LIENTHONG_CERTIFICATE_MAX_CHAIN", 4),
            revocation_required=_flag(environ, "LIENTHONG_REVOCATION_REQUIRED"),
            tsa_url=tsa_url,
            tsa_roots=tsa_roots,
        )


def _tsa(environ: Mapping[str, str]) -> tuple[str, str]:
    """LIENTHONG_TSA_URL (an http:// or https:// address) and LIENTHONG_TSA_ROOTS, which a URL
    needs: a token is kept only once checked against the authority's roots."""
    url = environ.get("LIENTHONG_TSA_URL", "").strip()
    roots = environ.get("LIENTHONG_TSA_ROOTS", "").strip()
    if url and urlsplit(url).scheme not in ("http", "https"):
        raise ValueError(f"LIENTHONG_TSA_URL must be an http:// or https:// address, not {url!r}")
    if url and not roots:
        raise ValueError(
            "LIENTHONG_TSA_URL is set: LIENTHONG_TSA_ROOTS must name the time-stamping "
            "authority's root certificates (a PEM file or a directory)"
        )
    return url, roots


def _flag(environ: Mapping[str, str], name: str) -> bool:
    text = environ.get(name, "0")
    if text not in ("0", "1"):
        raise ValueError(f"{name} must be 0 or 1, not {text!r}")
    return text == "1"


def _int(environ: Mapping[str, str], name: str, default: int) -> int:
    text = environ.get(name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {text!r}") from None
    if value <= 0:
        raise ValueError(f"{name} must be positive, not {value}")
    return value


def persistence_env(url: str) -> dict[str, str]:
    """eventsourcing settings for a database URL; raises BadDatabaseUrl naming what is wrong."""
    parts = urlsplit(url)
    if parts.scheme == "memory":
        return {"PERSISTENCE_MODULE": "ledger.log.storage.memory:MemoryFactory"}
    if parts.scheme == "sqlite":
        path = unquote(parts.path[1:] if parts.path.startswith("/") else parts.path)
        if parts.netloc or not path:
            raise BadDatabaseUrl(
                f"{url!r}: a SQLite URL is sqlite:///relative.db or sqlite:////absolute/path.db"
            )
        return {
            "PERSISTENCE_MODULE": "ledger.log.storage.sqlite:SQLiteLogFactory",
            "SQLITE_DBNAME": path,
            "SQLITE_LOCK_TIMEOUT": "30",
        }
    if parts.scheme in ("postgresql", "postgres"):
        dbname = parts.path.lstrip("/")
        if not parts.hostname or not dbname:
            raise BadDatabaseUrl(f"{url!r}: a PostgreSQL URL is postgresql://user@host:port/dbname")
        env = {
            "PERSISTENCE_MODULE": "ledger.log.storage.postgres:PostgresLogFactory",
            "POSTGRES_DBNAME": dbname,
            "POSTGRES_HOST": parts.hostname,
            "POSTGRES_PORT": str(parts.port or 5432),
            "POSTGRES_USER": unquote(parts.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
        }
        schema = parse_qs(parts.query).get("schema")
        if schema:
            env["POSTGRES_SCHEMA"] = schema[0]
        return env
    raise BadDatabaseUrl(
        f"{url!r}: the database URL must start with sqlite:///, postgresql:// or memory:"
    )
