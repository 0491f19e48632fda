"""The pages' sessions: signing in with a token opens one; the browser's cookie holds only its id.

A session id is 32 random bytes (256 bits), URL-safe base64 (43 characters); the table keeps only
its SHA-256, beside the id of the token that opened it. A session is in force until the first of:

- it is revoked (signing out);
- it has not been used for `idle` microseconds (its last use is written at most once a minute);
- `longest` microseconds after it opened, or its token's own expiry, whichever is sooner;
- its token is revoked or expires: every use checks the token again, in the store, not a cache.

Rows that ended more than a day before are deleted when a session opens. The table is created
beside the tokens' (the same database, on the token store's connection) and is additive: a
database made before it gains it on start. A read-only server (a replica) reads the sessions the
primary opened, and neither opens, revokes nor touches any.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from ledger.stores.database import Database
from ledger.stores.tokens import Token, TokenRefused, TokenStore

MICROS = 1_000_000
TOUCH = 60 * MICROS  # the last use is written at most this often
KEPT = 86_400 * MICROS  # how long an ended session's row stays before it is deleted
_ID = re.compile(r"[A-Za-z0-9_-]{43}")

TABLES = (
    "CREATE TABLE IF NOT EXISTS lienthong_sessions ("
    " digest BYTEA PRIMARY KEY,"
    " token TEXT NOT NULL,"
    " created_at BIGINT NOT NULL,"
    " seen_at BIGINT NOT NULL,"
    " expires_at BIGINT NOT NULL,"
    " revoked_at BIGINT)",
)


class SessionEnded(Exception):
    """No session is in force under this id: unknown, malformed, revoked, idle too long, expired,
    or its token is no longer in force. The message says which."""


@dataclass(frozen=True)
class Session:
    token: Token
    created_at: int
    seen_at: int
    expires_at: int


def digest(session_id: str) -> bytes:
    # 256 random bits: a plain SHA-256 is enough, as for the tokens (ledger/stores/tokens.py)
    return hashlib.sha256(session_id.encode()).digest()


class SessionStore:
    """The sessions table, on the token store's connection (so `memory:` databases share it)."""

    def __init__(self, tokens: TokenStore, *, idle_seconds: float, longest_seconds: float) -> None:
        self.tokens = tokens
        self.database: Database = tokens.database
        self.idle = int(idle_seconds * MICROS)
        self.longest = int(longest_seconds * MICROS)
        self.database.create(TABLES)

    def open(self, token: Token, now: int) -> str:
        """A new session for `token` (in force: the caller has just authenticated it); returns
        the session id, which is not kept."""
        session_id = secrets.token_urlsafe(32)
        expires = min(now + self.longest, token.expires_at)
        with self.database.transaction() as cursor:
            cursor.execute(
                "DELETE FROM lienthong_sessions WHERE expires_at < ? OR seen_at < ? "
                "OR revoked_at < ?",
                (now - KEPT, now - self.idle - KEPT, now - KEPT),
            )
            cursor.execute(
                "INSERT INTO lienthong_sessions (digest, token, created_at, seen_at, expires_at, "
                "revoked_at) VALUES (?, ?, ?, ?, ?, NULL)",
                (digest(session_id), token.id, now, now, expires),
            )
        return session_id

    def authenticate(self, session_id: str, now: int) -> Session:
        """The session in force under `session_id` at `now`, with its token; SessionEnded if
        there is none. Notes the use (at most once a minute; never on a read-only store)."""
        if _ID.fullmatch(session_id) is None:
            raise SessionEnded("a session id is 43 URL-safe base64 characters")
        rows = self.database.query(
            "SELECT token, created_at, seen_at, expires_at, revoked_at FROM lienthong_sessions "
            "WHERE digest = ?",
            (digest(session_id),),
        )
        if not rows:
            raise SessionEnded("no such session")
        token_id, created, seen, expires, revoked = rows[0]
        if revoked is not None:
            raise SessionEnded("signed out")
        if now >= int(expires):
            raise SessionEnded("the session has expired")
        if now - int(seen) >= self.idle:
            raise SessionEnded("the session was unused for too long")
        token = self._token_in_force(str(token_id), now)
        if now - int(seen) >= TOUCH and not self.database.read_only:
            with self.database.transaction() as cursor:
                cursor.execute(
                    "UPDATE lienthong_sessions SET seen_at = ? WHERE digest = ? AND seen_at < ?",
                    (now, digest(session_id), now),
                )
            seen = now
        return Session(token, int(created), int(seen), int(expires))

    def revoke(self, session_id: str, now: int) -> None:
        """End the session from `now` on (signing out); an unknown or ended one is left as it is."""
        if _ID.fullmatch(session_id) is None:
            return
        with self.database.transaction() as cursor:
            cursor.execute(
                "UPDATE lienthong_sessions SET revoked_at = ? WHERE digest = ? "
                "AND revoked_at IS NULL",
                (now, digest(session_id)),
            )

    def _token_in_force(self, token_id: str, now: int) -> Token:
        try:
            token = self.tokens.get(token_id)
        except TokenRefused:
            raise SessionEnded("its token is gone") from None
        if token.revoked_at is not None:
            raise SessionEnded(f"token {token_id} was revoked")
        if now >= token.expires_at:
            raise SessionEnded(f"token {token_id} has expired")
        return token
