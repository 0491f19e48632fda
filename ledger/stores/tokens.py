"""Bearer tokens for the HTTP API: who may call it, in which role, for which office, until when.

A token's text is `lt1_<id>_<secret>`: `id` is 8 random hex digits naming the record, `secret` is
32 random bytes, URL-safe base64 (43 characters). The text is shown once, when it is made; the
store keeps only its SHA-256 digest beside the metadata.

Roles: `officer` acts for one officer in one office (both given); `inspector` reads the subtree of
one office (office given, no officer); `consumer` and `registrar` are not tied to an office (neither
given). Times are integer microseconds since the epoch, always passed in: the store never reads a
clock.
"""

from __future__ import annotations

import builtins
import hashlib
import hmac
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from ledger.errors import LedgerError
from ledger.stores.database import Cursor, Database

ROLES = ("officer", "inspector", "consumer", "registrar")
PREFIX = "lt1"
_TEXT = re.compile(r"lt1_([0-9a-f]{8})_([A-Za-z0-9_-]{43})")
MICROS = 1_000_000
MAX_VALID_SECONDS = 3653 * 86_400  # ten years: a longer-lived bearer token is a mistake

TABLES = (
    "CREATE TABLE IF NOT EXISTS lienthong_tokens ("
    " id TEXT PRIMARY KEY,"
    " digest BYTEA NOT NULL,"
    " role TEXT NOT NULL,"
    " office TEXT,"
    " officer TEXT,"
    " label TEXT NOT NULL,"
    " created_at BIGINT NOT NULL,"
    " expires_at BIGINT NOT NULL,"
    " revoked_at BIGINT)",
)
COLUMNS = "id, role, office, officer, label, created_at, expires_at, revoked_at"
# the SQL below is composed of these fixed names only; values always go as parameters
INSERT = (
    f"INSERT INTO lienthong_tokens (digest, {COLUMNS}) "  # noqa: S608
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
SELECT = f"SELECT digest, {COLUMNS} FROM lienthong_tokens"  # noqa: S608


# --- refusals --------------------------------------------------------------------------------


class BadTokenRequest(LedgerError):
    """A token cannot be made as asked: unknown role, wrong office/officer for the role, bad
    validity. The message names what is wrong."""

    code: ClassVar[str] = "bad-token-request"
    title_vi: ClassVar[str] = "Yêu cầu cấp mã truy cập không hợp lệ"
    title_en: ClassVar[str] = "Invalid token request"


class TokenRefused(LedgerError):
    """A token text does not authenticate; every subclass means HTTP 401."""

    code: ClassVar[str] = "token-refused"
    title_vi: ClassVar[str] = "Mã truy cập không được chấp nhận"
    title_en: ClassVar[str] = "Token refused"
    status: ClassVar[int] = 401


class TokenMalformed(TokenRefused):
    code = "token-malformed"
    title_vi = "Mã truy cập không đúng định dạng"
    title_en = "Malformed token"


class TokenUnknown(TokenRefused):
    code = "token-unknown"
    title_vi = "Mã truy cập không tồn tại"
    title_en = "Unknown token"


class TokenExpired(TokenRefused):
    code = "token-expired"
    title_vi = "Mã truy cập đã hết hạn"
    title_en = "Token expired"


class TokenRevoked(TokenRefused):
    code = "token-revoked"
    title_vi = "Mã truy cập đã bị thu hồi"
    title_en = "Token revoked"


# --- the record ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    id: str
    role: str
    office: str | None
    officer: str | None
    label: str
    created_at: int
    expires_at: int
    revoked_at: int | None

    @classmethod
    def from_row(cls, row: Any) -> Token:
        """From a row of `SELECT` (the digest first, left out)."""
        _digest, token_id, role, office, officer, label, created, expires, revoked = row
        return cls(
            str(token_id),
            str(role),
            office,
            officer,
            str(label),
            int(created),
            int(expires),
            None if revoked is None else int(revoked),
        )


def check_request(role: str, office: str | None, officer: str | None) -> None:
    """Raise BadTokenRequest unless `office` and `officer` are what `role` needs (empty = not
    given). Says nothing about whether they exist: that is the registry's to answer."""
    if role not in ROLES:
        raise BadTokenRequest(f"unknown role {role!r}: the roles are {', '.join(ROLES)}")
    needs_office = role in ("officer", "inspector")
    needs_officer = role == "officer"
    if needs_office and not office:
        raise BadTokenRequest(f"{role} tokens need an office")
    if needs_officer and not officer:
        raise BadTokenRequest("officer tokens need an officer")
    if office and not needs_office:
        raise BadTokenRequest(f"{role} tokens take no office (got {office!r})")
    if officer and not needs_officer:
        raise BadTokenRequest(f"{role} tokens take no officer (got {officer!r})")


def digest(text: str) -> bytes:
    # A plain SHA-256 is the right hash here: the secret is 256 random bits, so there is nothing
    # for a slow password hash (bcrypt, argon2) to protect against, and every request pays for it.
    return hashlib.sha256(text.encode()).digest()


def parse(text: str) -> str:
    """The token id in a token text; TokenMalformed if the text is not `lt1_<id>_<secret>`."""
    found = _TEXT.fullmatch(text)
    if found is None:
        raise TokenMalformed(f"a token is {PREFIX}_<8 hex digits>_<43 characters>")
    return found.group(1)


# --- the store -------------------------------------------------------------------------------


class TokenStore:
    """The tokens table, on a connection of its own in the ledger's database.

    It holds a `Database` rather than being one: `create` here makes a token, while
    `Database.create` runs table definitions, and one name cannot mean both.
    """

    def __init__(self, database_url: str, *, read_only: bool = False) -> None:
        self.database = Database(database_url, read_only=read_only)
        self.database.create(TABLES)

    def close(self) -> None:
        self.database.close()

    def create(
        self,
        role: str,
        *,
        office: str | None = None,
        officer: str | None = None,
        label: str = "",
        now: int,
        valid_seconds: int,
    ) -> tuple[Token, str]:
        """Make a token valid from `now` for `valid_seconds`; returns the record and the token
        text, which is not kept. Raises BadTokenRequest (see `check_request`; `valid_seconds`
        must be positive and at most ten years)."""
        office, officer = office or None, officer or None
        check_request(role, office, officer)
        if not 0 < valid_seconds <= MAX_VALID_SECONDS:
            raise BadTokenRequest(
                f"a token must be valid for a positive time of at most {MAX_VALID_SECONDS} s "
                f"(ten years), not {valid_seconds} s"
            )
        expires = now + valid_seconds * MICROS
        with self.database.transaction() as cursor:
            token_id = _fresh_id(cursor)
            text = f"{PREFIX}_{token_id}_{secrets.token_urlsafe(32)}"
            cursor.execute(
                INSERT,
                (digest(text), token_id, role, office, officer, label, now, expires, None),
            )
        return Token(token_id, role, office, officer, label, now, expires, None), text

    def authenticate(self, text: str, now: int) -> Token:
        """The token a text names, if it is in force at `now`. Raises TokenMalformed (without
        touching the database), TokenUnknown (no such id, or the secret does not match),
        TokenRevoked, or TokenExpired (at or after `expires_at`)."""
        token_id = parse(text)
        rows = self.database.query(SELECT + " WHERE id = ?", (token_id,))
        if not rows or not hmac.compare_digest(bytes(rows[0][0]), digest(text)):
            raise TokenUnknown(f"no token {token_id} with that secret")
        token = Token.from_row(rows[0])
        if token.revoked_at is not None:
            raise TokenRevoked(f"token {token_id} was revoked")
        if now >= token.expires_at:
            raise TokenExpired(f"token {token_id} has expired")
        return token

    def get(self, token_id: str) -> Token:
        """The record of a token id; TokenUnknown if there is none."""
        rows = self.database.query(SELECT + " WHERE id = ?", (token_id,))
        if not rows:
            raise TokenUnknown(f"no token {token_id}")
        return Token.from_row(rows[0])

    def revoke(self, token_id: str, now: int) -> Token:
        """Revoke a token from `now` on; revoking it again keeps the first time. TokenUnknown if
        there is no such id."""
        with self.database.transaction() as cursor:
            cursor.execute(
                "UPDATE lienthong_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                (now, token_id),
            )
        return self.get(token_id)

    def list(self, include_revoked: bool = False) -> builtins.list[Token]:
        """Every token, oldest first; revoked ones only if asked."""
        where = "" if include_revoked else " WHERE revoked_at IS NULL"
        rows = self.database.query(SELECT + where + " ORDER BY created_at, id")
        return [Token.from_row(row) for row in rows]


def _fresh_id(cursor: Cursor) -> str:
    while True:  # 2^32 ids: a clash is rare, but it would be refused by the primary key
        token_id = secrets.token_hex(4)
        cursor.execute("SELECT 1 FROM lienthong_tokens WHERE id = ?", (token_id,))
        if cursor.fetchone() is None:
            return token_id


class RecentTokens:
    """Tokens that authenticated within the last `seconds`, kept in memory, so a busy client
    costs no database query per request. Expiry is checked on every use; a revocation takes
    effect within `seconds` (the store is asked again after that)."""

    def __init__(
        self,
        store: TokenStore,
        seconds: float = 2.0,
        size: int = 10_000,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store, self.seconds, self.size, self._monotonic = store, seconds, size, monotonic
        self._seen: OrderedDict[bytes, tuple[Token, float]] = OrderedDict()
        self._lock = threading.Lock()

    def clear(self) -> None:
        """Forget every remembered token: the next use of each asks the store again."""
        with self._lock:
            self._seen.clear()

    def authenticate(self, text: str, now: int) -> Token:
        """As TokenStore.authenticate, from memory when the token authenticated recently."""
        key = digest(text)
        with self._lock:
            hit = self._seen.get(key)
        if hit is not None and self._monotonic() - hit[1] < self.seconds:
            token = hit[0]
            if now >= token.expires_at:
                raise TokenExpired(f"token {token.id} has expired")
            return token
        token = self.store.authenticate(text, now)
        with self._lock:
            self._seen[key] = (token, self._monotonic())
            self._seen.move_to_end(key)
            while len(self._seen) > self.size:
                self._seen.popitem(last=False)
        return token
