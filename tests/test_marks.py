"""The marks the views keep from the stores beside the log (ledger/views/marks.py): a dossier is
digitised once the file store holds every scan its receipt listed, and carries the citizen's
rating once decided — whenever the files and the rating came: before the views applied the
receipt or the decision (the batch asks the stores), or after (the key the store left is settled
by the next batch, or by a catch-up with no new entry). On the simulator's traffic, on SQLite and
PostgreSQL: every row's marks are the stores' answers, the month cells are the sum of the rows,
and a rebuild finds the same. On PostgreSQL, a key left while a batch settles stays for the next.

The simulator lists scans whose bytes it never made, so the files are the store's rows written as
`FileStore._keep` writes them (with the key it leaves for the views); a real upload's key is
checked on its own."""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger.application import Ledger
from ledger.stores.files import FileStore
from ledger.stores.ratings import AlreadyRated, RatingStore
from ledger.views import marks
from ledger.views.projector import Projector
from ledger.views.tables import LOCATION, TURN_DEADLINES, VIEW_TABLES
from tests import test_month_cells
from tests.conftest import fresh_schema
from tests.test_files import KEY, upload
from tests.test_month_cells import _expected, _kept, _nonzero
from tests.test_stalls_sql import _simulated

database_url = test_month_cells.database_url  # a database of the module's own, each backend


@pytest.fixture(scope="module")
def ledger(database_url: str) -> Iterator[Ledger]:
    found = _simulated(database_url, dossiers=200)
    try:
        yield found
    finally:
        found.close()


UNSEEN = (marks.FILES_UNSEEN, marks.RATINGS_UNSEEN)


def _keep(files: FileStore, code: str, hashes: list[bytes], rng: random.Random) -> None:
    """Files of a dossier as the store keeps them: rows, and the keys it leaves for the views
    in the same transaction; one in five marked erased (its hash still counts)."""
    with files.transaction() as cursor:
        for sha256 in hashes:
            erased = 1_750_000_000_000_000 if rng.random() < 0.2 else None
            cursor.execute(
                "INSERT INTO lienthong_files (code, sha256, size, blob, uploaded_at, office, "
                "officer, erased_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (code, sha256, 10, secrets.token_bytes(16), 1, None, None, erased),
            )
            cursor.execute(
                "INSERT INTO lienthong_files_unseen (code, sha256) VALUES (?, ?)", (code, sha256)
            )


def _empty(projector: Projector) -> None:
    """The views emptied and their position back to 0, as a rebuild begins (without applying)."""
    with projector.view.transaction() as cursor:
        for table in (*VIEW_TABLES, TURN_DEADLINES):
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 — fixed names
        cursor.execute("UPDATE lienthong_tracking SET position = 0")


def _marks(projector: Projector) -> dict[str, tuple[int, int | None]]:
    rows = projector.view.query(f"SELECT {LOCATION.select} FROM lienthong_location")  # noqa: S608
    return {row.code: (row.digitised, row.score) for row in map(LOCATION.of, rows)}


def _unseen(projector: Projector, tables: tuple[str, ...] = UNSEEN) -> int:
    return sum(
        int(projector.view.query(f"SELECT COUNT(*) FROM {table}")[0][0])  # noqa: S608
        for table in tables
    )


def test_marks_follow_the_files_and_ratings_whenever_they_come(
    ledger: Ledger, tmp_path: Path
) -> None:
    url = ledger.settings.database_url
    files = FileStore(url, KEY, directory=tmp_path / "files")
    ratings = RatingStore(url)
    projector = Projector(ledger)
    try:
        projector.catch_up()  # to learn what the receipts listed and which dossiers are decided
        listed: dict[str, list[bytes]] = {}
        for code, sha256 in projector.view.query(
            "SELECT code, sha256 FROM lienthong_receipt_scans ORDER BY code, sha256"
        ):
            listed.setdefault(str(code), []).append(bytes(sha256))
        decided = [
            str(code)
            for (code,) in projector.view.query(
                "SELECT code FROM lienthong_location WHERE decided_at IS NOT NULL ORDER BY code"
            )
        ]
        assert not any(digitised or score for digitised, score in _marks(projector).values())
        _empty(projector)

        rng = random.Random(7)
        plan = {code: rng.choice(["before", "after", "all but one", "none"]) for code in listed}
        when = {code: rng.choice(["before", "after", "never"]) for code in decided}
        scores = {code: rng.randint(1, 5) for code in decided}
        for code, kind in plan.items():  # before the views applied anything
            if kind in ("before", "all but one"):
                _keep(files, code, listed[code][: -1 if kind == "all but one" else None], rng)
        for code in decided:
            if when[code] == "before":
                ratings.rate(code, scores[code], 1)

        end, start, half = ledger.log_size(), 0, ledger.log_size() // 2
        while start < end:  # batches of 7 entries; the other files and ratings half way
            notifications = ledger.recorder.select_notifications(start + 1, 7)
            projector.apply(notifications, start)
            start = notifications[-1].id
            if start - 7 < half <= start:
                for code, kind in plan.items():
                    if kind == "after":
                        _keep(files, code, listed[code], rng)
                for code in decided:
                    if when[code] == "after":
                        ratings.rate(code, scores[code], 1)
                held = _marks(projector)
                # some came for dossiers the views held, marked now; some for dossiers not yet
                assert any(plan.get(code) == "after" for code in held)
                assert any(plan[code] == "after" for code in listed if code not in held)
        assert projector.catch_up() == 0  # the keys left by the last ones settled all the same
        assert _unseen(projector) == 0

        expected = {
            code: (
                int(plan.get(code) in ("before", "after")),
                scores[code] if when.get(code, "never") != "never" else None,
            )
            for code in _marks(projector)
        }
        assert set(plan.values()) == {"before", "after", "all but one", "none"}
        assert set(when.values()) == {"before", "after", "never"}
        assert _marks(projector) == expected
        cells = _nonzero(_expected(projector))
        assert _kept(projector) == cells
        assert any(key[-1] == "digitised" for key in cells["lienthong_month_received"])
        assert {key[-1] for key in cells["lienthong_month_decided"]} >= {
            f"rated_{score}" for score in range(1, 6)
        }

        projector.rebuild()  # the stores asked again at each receipt and decision
        assert _marks(projector) == expected
        assert _kept(projector) == cells
    finally:
        with files.transaction() as cursor:  # the next tests start with the stores empty
            for table in ("lienthong_files", marks.FILES_UNSEEN, "lienthong_ratings"):
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608
        projector.close()
        files.close()
        ratings.close()


def test_a_real_upload_and_a_rating_leave_their_key_once(ledger: Ledger, tmp_path: Path) -> None:
    url = ledger.settings.database_url
    files = FileStore(url, KEY, directory=tmp_path / "files")
    ratings = RatingStore(url)
    try:
        data = b"a scan" * 1000
        stored, new = upload(files, data, code="T-MARKS-1")
        assert new
        _, new_again = upload(files, data, code="T-MARKS-1")
        assert not new_again
        assert files.query(
            "SELECT code, sha256 FROM lienthong_files_unseen WHERE code = 'T-MARKS-1'"
        ) == [("T-MARKS-1", stored.sha256)]
        ratings.rate("T-MARKS-1", 4, 1)
        with pytest.raises(AlreadyRated):
            ratings.rate("T-MARKS-1", 2, 1)
        assert ratings.query("SELECT code FROM lienthong_ratings_unseen") == [("T-MARKS-1",)]
        projector = Projector(ledger)
        try:
            projector.catch_up()
            assert _unseen(projector) == 0  # no dossier of that code in the views: dropped
            assert projector.location("T-MARKS-1") is None
        finally:
            projector.close()
    finally:
        with files.transaction() as cursor:
            for table in ("lienthong_files", "lienthong_ratings"):
                cursor.execute(f"DELETE FROM {table} WHERE code = 'T-MARKS-1'")  # noqa: S608
        files.close()
        ratings.close()


def test_without_the_stores_tables_nothing_is_marked(tmp_path: Path) -> None:
    """Views whose database holds no file or rating store keep no marks; the report then asks
    the stores where they are (tests/test_report_sql.py)."""
    found = _simulated(f"sqlite:///{tmp_path / 'alone.db'}", dossiers=30)
    projector = Projector(found)
    try:
        projector.catch_up()
        assert (projector.marks.files, projector.marks.ratings) == (False, False)
        assert set(_marks(projector).values()) == {(0, None)}
    finally:
        projector.close()
        found.close()


class _Meanwhile:
    """A cursor that, right after the batch has read the stores' unseen keys, has another
    connection keep a file and leave its key (committed while the batch runs)."""

    def __init__(self, cursor: Any, then: Any) -> None:
        self._cursor, self._then = cursor, then

    def select_each(self, queries: Any) -> Any:
        found = self._cursor.select_each(queries)
        if self._then is not None and any(marks.FILES_UNSEEN in sql for sql, _ in queries):
            then, self._then = self._then, None
            then()
        return found

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)


@pytest.mark.postgres
def test_a_key_left_while_a_batch_settles_stays_for_the_next(tmp_path: Path) -> None:
    """PostgreSQL's writers do not take turns as SQLite's do: a key committed after the batch
    read the keys is not deleted with them, and the next catch-up settles it."""
    with fresh_schema() as url:
        found = _simulated(url, dossiers=40)
        files = FileStore(url, KEY, directory=tmp_path / "files")
        other = FileStore(url, KEY, directory=tmp_path / "files")  # another connection
        projector = Projector(found)
        try:
            projector.catch_up()
            listed: dict[str, list[bytes]] = {}
            for code, sha256 in projector.view.query(
                "SELECT code, sha256 FROM lienthong_receipt_scans ORDER BY code, sha256"
            ):
                listed.setdefault(str(code), []).append(bytes(sha256))
            first, second = sorted(listed)[:2]
            rng = random.Random(3)
            _keep(files, first, listed[first], rng)
            settle = marks.Marks.settle

            def meanwhile(self: marks.Marks, cursor: Any, batch: Any) -> None:
                later = _Meanwhile(cursor, lambda: _keep(other, second, listed[second], rng))
                settle(self, later, batch)

            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(marks.Marks, "settle", meanwhile)
                projector.catch_up()
            assert _marks(projector)[first] == (1, None)
            assert _marks(projector)[second] == (0, None)  # its key came after the batch read
            assert _unseen(projector, (marks.FILES_UNSEEN,)) == len(listed[second])
            projector.catch_up()
            assert _marks(projector)[second] == (1, None)
            assert _unseen(projector, (marks.FILES_UNSEEN,)) == 0
        finally:
            projector.close()
            files.close()
            other.close()
            found.close()
