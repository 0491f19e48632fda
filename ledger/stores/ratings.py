"""The citizen's rating of how a dossier was handled (đánh giá mức độ hài lòng): a score from 1
to 5, given once per dossier after it was decided, on the lookup page or its JSON route, by
whoever holds the receipt's secret. The satisfaction indicator of the office report counts them.

Anonymous by construction: a row holds the dossier's code, the score and when it was given —
no name, no address, no free text, nothing of the client that sent it. Ratings are kept beside
the log, never in it: they are not statements of an office, and nothing signs them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ledger.errors import LedgerError
from ledger.stores.database import Database

SCORES = range(1, 6)  # 1: very dissatisfied … 5: very satisfied
SATISFIED = 4  # a score of 4 or 5 counts as satisfied

TABLES = (
    "CREATE TABLE IF NOT EXISTS lienthong_ratings ("
    "code TEXT PRIMARY KEY, score INTEGER NOT NULL, rated_at BIGINT NOT NULL)",
    # each rating's dossier until the views have seen it (ledger/views/marks.py), which count
    # the ratings per receiving office and month
    "CREATE TABLE IF NOT EXISTS lienthong_ratings_unseen (code TEXT PRIMARY KEY)",
)


class AlreadyRated(LedgerError):
    """A dossier is rated once: a second rating is refused, and the first one stays."""

    code = "already-rated"
    title_vi = "Hồ sơ này đã được đánh giá"
    title_en = "This dossier has already been rated"
    status = 409


class NotYetDecided(LedgerError):
    """A dossier is rated on its handling, so only once it has been decided."""

    code = "not-yet-decided"
    title_vi = "Hồ sơ chưa có kết quả giải quyết nên chưa thể đánh giá"
    title_en = "The dossier has no decision yet, so it cannot be rated"
    status = 409


class BadScore(LedgerError):
    code = "bad-score"
    title_vi = "Điểm đánh giá phải từ 1 đến 5"
    title_en = "A rating's score must be from 1 to 5"


@dataclass(frozen=True)
class Rating:
    code: str
    score: int
    rated_at: int


class RatingStore(Database):
    def __init__(self, database_url: str, *, read_only: bool = False) -> None:
        super().__init__(database_url, read_only=read_only)
        self.create(TABLES)

    def rate(self, code: str, score: int, at: int) -> Rating:
        """Keep a dossier's rating; AlreadyRated if it has one (which is left as it was)."""
        if score not in SCORES:
            raise BadScore(f"score {score} is not from 1 to 5")
        with self.transaction() as cursor:
            cursor.execute(
                "INSERT INTO lienthong_ratings (code, score, rated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (code) DO NOTHING",
                (code, score, at),
            )
            if cursor.rowcount == 0:
                raise AlreadyRated(f"dossier {code} has already been rated")
            cursor.execute(  # for the views, in the rating's own transaction
                "INSERT INTO lienthong_ratings_unseen (code) VALUES (?) "
                "ON CONFLICT (code) DO NOTHING",
                (code,),
            )
        return Rating(code, score, at)

    def rated(self, code: str) -> Rating | None:
        rows = self.query(
            "SELECT code, score, rated_at FROM lienthong_ratings WHERE code = ?", (code,)
        )
        return Rating(rows[0][0], int(rows[0][1]), int(rows[0][2])) if rows else None

    def scores(self, codes: Iterable[str]) -> dict[str, int]:
        """The score of each of `codes` that was rated."""
        wanted = set(codes)
        rows = self.query("SELECT code, score FROM lienthong_ratings")
        return {code: int(score) for code, score in rows if code in wanted}
