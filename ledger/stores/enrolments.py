"""Officers' requests to register a key made in their browser (đăng ký khóa): the public key and
who asked, kept until a registrar records the `key.registered` statement that approves it. The
private key never leaves the browser; this table only holds what a registrar must check."""

from __future__ import annotations

from dataclasses import dataclass

from ledger.stores.database import Database

TABLES = (
    "CREATE TABLE IF NOT EXISTS lienthong_enrolments ("
    "key_id TEXT PRIMARY KEY, officer TEXT NOT NULL, office TEXT NOT NULL, "
    "public_key BYTEA NOT NULL, requested_at BIGINT NOT NULL)",
)


@dataclass(frozen=True)
class Enrolment:
    key_id: str
    officer: str
    office: str
    public_key: bytes
    requested_at: int


class EnrolmentStore(Database):
    def __init__(self, database_url: str, *, read_only: bool = False) -> None:
        super().__init__(database_url, read_only=read_only)
        self.create(TABLES)

    def request(self, enrolment: Enrolment) -> None:
        """Keep the request; asking again for the same key changes nothing."""
        with self.transaction() as cursor:
            cursor.execute(
                "INSERT INTO lienthong_enrolments (key_id, officer, office, public_key, "
                "requested_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (key_id) DO NOTHING",
                (
                    enrolment.key_id,
                    enrolment.officer,
                    enrolment.office,
                    enrolment.public_key,
                    enrolment.requested_at,
                ),
            )

    def all(self) -> list[Enrolment]:
        rows = self.query(
            "SELECT key_id, officer, office, public_key, requested_at FROM lienthong_enrolments "
            "ORDER BY requested_at, key_id"
        )
        return [Enrolment(r[0], r[1], r[2], bytes(r[3]), int(r[4])) for r in rows]
