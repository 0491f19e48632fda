"""Dossier codes the server makes (cấp mã hồ sơ): the next sequence of the day for an office,
reserved so that two officers never get the same code.

A code is `<agency identifier>-<yymmdd>-<sequence>` (domain/identifier.py, the circular's rule).
`reserve` takes the office's next sequence of the day in one transaction under the table's
unique (office, day, sequence): two servers, or two officers of one office, asking at the same
moment get different sequences (on PostgreSQL the second insert waits for the first and finds
its sequence taken, then takes the next). A sequence whose code a dossier in the ledger already
has (one a client made itself and recorded through the API) is passed over.

A reservation that is never used — the officer closed the page, or reloaded it and was given
another code — is left as a gap in the day's sequence: nothing gives a sequence back, as a
number two officers might then both be holding would be worse than a missing one. Rows of days
before yesterday are deleted at the next reservation: a day's sequence is only ever asked for on
that day, and the ledger keeps every code that was used.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from domain.identifier import SEQUENCE_DIGITS, dossier_code
from ledger.errors import LedgerError
from ledger.stores.database import Database

TABLES = (
    "CREATE TABLE IF NOT EXISTS lienthong_dossier_codes ("
    "office TEXT NOT NULL, day TEXT NOT NULL, sequence INTEGER NOT NULL, code TEXT NOT NULL, "
    "officer TEXT NOT NULL, reserved_at BIGINT NOT NULL, PRIMARY KEY (office, day, sequence))",
)
LAST_SEQUENCE = 10 ** SEQUENCE_DIGITS[1] - 1  # seven digits at most
ATTEMPTS = 1000  # sequences tried in one call before giving up (each taken by someone else)


class NoCodeLeft(LedgerError):
    """An office's sequence of the day has reached its last number (9,999,999), or every
    sequence tried was taken meanwhile."""

    code = "no-dossier-code-left"
    title_vi = "Không còn số thứ tự nào để cấp mã hồ sơ trong ngày"
    title_en = "No sequence of the day is left to make a dossier code"
    status = 409


@dataclass(frozen=True)
class Reservation:
    code: str
    office: str
    day: date
    sequence: int


class CodeStore(Database):
    def __init__(self, database_url: str, *, read_only: bool = False) -> None:
        super().__init__(database_url, read_only=read_only)
        self.create(TABLES)

    def reserve(
        self,
        office: str,
        agency: str,
        day: date,
        *,
        officer: str,
        now: int,
        taken: Callable[[str], bool] = lambda code: False,
    ) -> Reservation:
        """The next code of `office` (whose codes begin with `agency`) on `day`, reserved for
        `officer` at `now`; a sequence whose code `taken` says is in use is passed over (and
        stays reserved, a gap). NoCodeLeft past the last sequence of the day."""
        for _ in range(ATTEMPTS):
            with self.transaction() as cursor:
                cursor.execute(
                    "DELETE FROM lienthong_dossier_codes WHERE day < ?",
                    ((day - timedelta(days=1)).isoformat(),),
                )
                cursor.execute(
                    "SELECT MAX(sequence) FROM lienthong_dossier_codes WHERE office = ? AND day = ?",
                    (office, day.isoformat()),
                )
                row = cursor.fetchone()
                sequence = (int(row[0]) if row and row[0] is not None else 0) + 1
                if sequence > LAST_SEQUENCE:
                    raise NoCodeLeft(
                        f"office {office} has given every sequence of {day.isoformat()}, up to "
                        f"{LAST_SEQUENCE:,}"
                    )
                code = dossier_code(agency, day, sequence)
                cursor.execute(
                    "INSERT INTO lienthong_dossier_codes "
                    "(office, day, sequence, code, officer, reserved_at) VALUES (?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (office, day, sequence) DO NOTHING",
                    (office, day.isoformat(), sequence, code, officer, now),
                )
                reserved = cursor.rowcount == 1
            if reserved and not taken(code):
                return Reservation(code, office, day, sequence)
        raise NoCodeLeft(
            f"office {office}: {ATTEMPTS} sequences of {day.isoformat()} tried were all taken; "
            f"try again"
        )
