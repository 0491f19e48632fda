"""RFC 3161 timestamp tokens of recorded statements' signatures, kept beside the log.

A row holds, for one statement (named by its statement hash, SHA-256 of its bytes), the token a
time-stamping authority (TSA) gave over SHA-256 of the statement's signature, the time the token
states (its genTime, as an instant) and when the ledger kept it. Tokens are checked before they are
kept (ledger/timestamping.py); a statement has one token, the first kept: another server stamping
the same statement at the same moment leaves the first in place.

The token is not part of the statement nor of the log's tree: a statement is recorded, and stays
recorded, whether or not a token is ever had for it. What a token adds is a third party's word
that the signature existed at its genTime (docs/log-format.md, the audit bundle).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ledger.stores.database import Database

TABLES = (
    "CREATE TABLE IF NOT EXISTS lienthong_timestamps ("
    "digest BYTEA PRIMARY KEY, token BYTEA NOT NULL, gen_time BIGINT NOT NULL, "
    "recorded_at BIGINT NOT NULL)",
)
COLUMNS = "digest, token, gen_time, recorded_at"
CHUNK = 500  # digests asked for in one query


@dataclass(frozen=True)
class Timestamp:
    digest: bytes  # the statement hash
    token: bytes  # the DER TimeStampToken (a CMS ContentInfo of SignedData)
    gen_time: int  # the token's genTime, microseconds since the epoch
    recorded_at: int  # when the ledger kept it


class TimestampStore(Database):
    def __init__(self, database_url: str, *, read_only: bool = False) -> None:
        super().__init__(database_url, read_only=read_only)
        self.create(TABLES)

    def put(self, digest: bytes, token: bytes, gen_time: int, recorded_at: int) -> bool:
        """Keep a statement's token; False (and the first kept) if it already has one."""
        if len(digest) != 32:
            raise ValueError(f"a statement hash is 32 bytes, not {len(digest)}")
        with self.transaction() as cursor:
            cursor.execute(
                "INSERT INTO lienthong_timestamps (digest, token, gen_time, recorded_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (digest) DO NOTHING",
                (digest, token, gen_time, recorded_at),
            )
            return cursor.rowcount == 1

    def get(self, digest: bytes) -> Timestamp | None:
        rows = self.query(
            f"SELECT {COLUMNS} FROM lienthong_timestamps WHERE digest = ?",  # noqa: S608
            (digest,),
        )
        return _timestamp(rows[0]) if rows else None

    def get_many(self, digests: Iterable[bytes]) -> dict[bytes, Timestamp]:
        """The tokens kept for any of `digests`, by digest (those without one are left out)."""
        wanted = list(dict.fromkeys(bytes(digest) for digest in digests))
        found: dict[bytes, Timestamp] = {}
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            marks = ", ".join("?" * len(chunk))
            for row in self.query(
                f"SELECT {COLUMNS} FROM lienthong_timestamps WHERE digest IN ({marks})",  # noqa: S608
                chunk,
            ):
                stamp = _timestamp(row)
                found[stamp.digest] = stamp
        return found

    def count(self) -> int:
        rows = self.query("SELECT COUNT(*) FROM lienthong_timestamps")
        return int(rows[0][0])


def _timestamp(row: Any) -> Timestamp:
    digest, token, gen_time, recorded_at = row
    return Timestamp(bytes(digest), bytes(token), int(gen_time), int(recorded_at))
