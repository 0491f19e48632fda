"""The office report's digitised count and ratings from the marks the views keep
(ledger/views/marks.py: the file store and the rating store on the views' own database), held
equal to the report judged one dossier at a time, which asks the same stores dossier by dossier
(`_office_report_by_rows`).

On the simulator's traffic (tests/test_report_sql.py's ledger, on SQLite and PostgreSQL), the
stores are the server's own, opened on the ledger's URL, after the views have applied the log. The
ratings are given through the store. The files are rows of the store's table, each with the key
the store leaves for the views in the same transaction, written beside the simulated receipts'
listed hashes — the simulator lists scans whose bytes it never made, so no upload could match them
— for about half the dossiers whose receipt listed scans: every listed scan for some, all but one
for others, and some of those rows marked erased (the store keeps an erased file's hash: it still
counts). A catch-up with no new log entry then settles the keys, as a request's would."""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from domain.instant import start_of
from ledger.application import Ledger
from ledger.stores.database import Database
from ledger.stores.files import FileStore
from ledger.stores.ratings import RatingStore
from ledger.views.projector import Projector
from ledger.views.reports import _office_report_by_rows, office_report
from tests import test_report_sql
from tests.test_files import KEY
from tests.test_report_sql import PERIODS, _inspector, _listed, _offices

simulated = test_report_sql.simulated  # its simulated ledger (a fixture), built for this module


@pytest.fixture(scope="module")
def stores(
    simulated: tuple[Ledger, Projector], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[FileStore, RatingStore, dict[str, str]]]:
    """The file and rating stores on the ledger's own database, filled as the module says; and
    how each dossier whose receipt listed scans was filled (all, all but one, none)."""
    ledger, projector = simulated
    url = ledger.settings.database_url
    files = FileStore(url, KEY, directory=tmp_path_factory.mktemp("files"))
    ratings = RatingStore(url)
    rng = random.Random(22)
    filled: dict[str, str] = {}
    with files.transaction() as cursor:
        for code, hashes in sorted(_listed(_inspector(simulated)).items()):
            kind = rng.choice(["all", "all", "all but one", "none"])
            kept = sorted(hashes)[: len(hashes) - 1] if kind == "all but one" else sorted(hashes)
            for sha256 in [] if kind == "none" else kept:
                erased = 1_750_000_000_000_000 if rng.random() < 0.2 else None
                cursor.execute(
                    "INSERT INTO lienthong_files (code, sha256, size, blob, uploaded_at, "
                    "office, officer, erased_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (code, sha256, 10, secrets.token_bytes(16), 1, None, None, erased),
                )
                cursor.execute(  # as the store leaves it for the views (FileStore._keep)
                    "INSERT INTO lienthong_files_unseen (code, sha256) VALUES (?, ?)",
                    (code, sha256),
                )
            filled[code] = kind
    for (code,) in projector.view.query(
        "SELECT code FROM lienthong_location WHERE decided_at IS NOT NULL ORDER BY code"
    ):
        if rng.random() < 0.6:
            ratings.rate(str(code), rng.randint(1, 5), 1)
    position = projector.position()
    assert projector.catch_up() == 0  # no new entry: the keys left are settled all the same
    assert projector.position() == position
    for table in ("lienthong_files_unseen", "lienthong_ratings_unseen"):
        assert projector.view.query(f"SELECT COUNT(*) FROM {table}") == [(0,)]  # noqa: S608
    try:
        yield files, ratings, filled
    finally:
        files.close()
        ratings.close()


def test_the_report_from_the_marks_is_the_one_each_dossier_asked_of_the_stores_gives(
    simulated: tuple[Ledger, Projector], stores: tuple[FileStore, RatingStore, dict[str, str]]
) -> None:
    files, ratings, filled = stores
    inspector = _inspector(simulated)
    view = inspector.projector.view
    assert files.same_database(view)
    assert ratings.same_database(view)
    assert {"all", "all but one", "none"} <= set(filled.values())
    digitised = rated = 0
    for office in _offices(inspector):
        for first, after in PERIODS:
            start, end = start_of(first), start_of(after)
            found = office_report(inspector, office, start, end, scans=files, ratings=ratings)
            expected = _office_report_by_rows(
                inspector, office, start, end, scans=files, ratings=ratings
            )
            assert found == expected, (office, first)
            digitised += found.index.digitised or 0
            rated += sum((found.index.ratings or {}).values())
    assert digitised > 0
    assert rated > 0
    # the report read the marks: the rows say how many are digitised and rated
    marked = view.query(
        "SELECT SUM(digitised), COUNT(score) FROM lienthong_location"
    )[0]
    assert (int(marked[0]), int(marked[1])) == (
        sum(kind != "none" and kind != "all but one" for kind in filled.values()),
        int(ratings.query("SELECT COUNT(*) FROM lienthong_ratings")[0][0]),
    )


def test_only_a_connection_to_the_same_file_or_database_is_the_same_database(
    tmp_path: Path, postgres_url: str
) -> None:
    here = f"sqlite:///{tmp_path / 'a.db'}"
    opened = [
        Database(here),
        Database(here),
        Database(f"sqlite:///{tmp_path / 'b.db'}"),
        Database("memory:"),
        Database("memory:"),
        Database(postgres_url),
        Database(postgres_url),
    ]
    try:
        a, again, b, memory, other_memory, pg, pg_again = opened
        assert a.same_database(again)
        assert pg.same_database(pg_again)
        assert not a.same_database(b)
        assert not a.same_database(pg)
        assert not memory.same_database(other_memory)
        assert not memory.same_database(memory)
    finally:
        for database in opened:
            database.close()
