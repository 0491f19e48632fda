"""What the stores beside the log tell the views: whether a dossier is digitised (số hoá: its
receipt listed scans and the file store holds every one of them, kept or since erased) and the
citizen's rating of it once decided — two columns of its location row (`Location.digitised`,
`Location.score`), which the figures kept per month count (`months.py`). The office report and
the map then count digitised dossiers and ratings per month, not dossier by dossier.

Neither an upload nor a rating is a log entry, and either may come before or after the entry it
completes (a scan uploaded before or after the receipt that lists it; a rating after the decision,
which the views may not have applied yet). Only the projector sets the marks, in its batch's
transaction (`settle`), from two sides:

- the batch asks the stores about the dossiers it receives with scans and the decided dossiers
  it holds unrated;
- the file store and the rating store leave the key of each new file and rating in a table of
  their own (`lienthong_files_unseen`, `lienthong_ratings_unseen`), in the same transaction as
  the file or the rating. The batch reads those keys first, asks about their dossiers too, and
  deletes the keys it read.

Nothing is missed: a file or rating committed before the batch's ask is seen by the ask; one
committed after it left its key, which the batch read (and asks about) or a later one reads.
A key whose dossier the views do not hold yet is dropped: the entry that brings the dossier asks
the stores itself. Both sides may find the same mark; setting it is idempotent, and the month
cells move only when the row's value changes. A catch-up that finds no new log entry still
settles the keys left (`Projector.catch_up`), so a report reads an upload made since the last
entry. The marks are kept only where the stores share the views' database (the server's one
database): the tables are looked for in it, and a store elsewhere is asked dossier by dossier, as
the report did before (`reports.office_report`). Stores whose database holds no views (a
deployment the server does not make) still leave their keys, and nothing deletes them: a key per
file and per rating. A rebuild empties the marks with the views and asks the stores again at
each receipt and decision.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ledger.stores.database import Cursor, Database
from ledger.views.rules import Batch, one_of
from ledger.views.tables import LOCATION

FILES, FILES_UNSEEN = "lienthong_files", "lienthong_files_unseen"
RATINGS, RATINGS_UNSEEN = "lienthong_ratings", "lienthong_ratings_unseen"
SCANS = "lienthong_receipt_scans"


class Marks:
    """The marks of one views store: which of the stores' tables are in its database (looked
    for until found, then known), and `settle`."""

    def __init__(self, view: Database) -> None:
        self.view = view
        self._found: tuple[bool, bool] = (False, False)  # (files, ratings)

    def stores(self, query: Callable[[str, Sequence[Any]], list[Any]]) -> tuple[bool, bool]:
        """Whether the file store's and the rating store's tables (with their unseen keys) are
        in the views' database, by `query` (sql, params) -> rows. A table made later is found
        then: before it was, no file or rating could be kept there, so no mark was missed."""
        if all(self._found):
            return self._found
        wanted = (FILES, FILES_UNSEEN, RATINGS, RATINGS_UNSEEN)
        if self.view.kind == "postgres":  # in the schema of the connection's search path
            (row,) = query(
                "SELECT " + ", ".join("to_regclass(?) IS NOT NULL" for _ in wanted), wanted
            )
            present = dict(zip(wanted, row, strict=True))
        else:
            rows = query(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN (?, ?, ?, ?)",
                wanted,
            )
            named = {str(name) for (name,) in rows}
            present = {name: name in named for name in wanted}
        self._found = (
            bool(present[FILES] and present[FILES_UNSEEN]),
            bool(present[RATINGS] and present[RATINGS_UNSEEN]),
        )
        return self._found

    @property
    def files(self) -> bool:
        """Whether the file store's tables are in the views' database (on a replica too, whose
        projector settles nothing: the primary's marks arrive with its rows)."""
        return self.stores(self.view.query)[0]

    @property
    def ratings(self) -> bool:
        """Whether the rating store's tables are in the views' database."""
        return self.stores(self.view.query)[1]

    def unseen(self) -> bool:
        """Whether a store left a key the views have not settled yet (a catch-up with no new log
        entry then settles them): read outside any transaction."""
        files, ratings = self.stores(self.view.query)
        tables = [t for t, present in ((FILES_UNSEEN, files), (RATINGS_UNSEEN, ratings)) if present]
        if not tables:
            return False
        union = " UNION ALL ".join(f"SELECT 1 FROM {table}" for table in tables)  # noqa: S608
        return bool(self.view.query(f"SELECT 1 FROM ({union}) AS unseen LIMIT 1"))  # noqa: S608

    def settle(self, cursor: Cursor, batch: Batch) -> None:
        """Set the marks the batch's dossiers and the stores' unseen keys complete, as changes
        of the batch's rows (rows it does not hold yet are read into it), and delete the keys
        it read."""
        files, ratings = self.stores(lambda sql, params: cursor.select_each([(sql, params)])[0])
        if not (files or ratings):
            return
        read = cursor.select_each(
            [
                *([(f"SELECT code, sha256 FROM {FILES_UNSEEN}", ())] if files else []),  # noqa: S608
                *([(f"SELECT code FROM {RATINGS_UNSEEN}", ())] if ratings else []),  # noqa: S608
            ]
        )
        new_files = [(str(code), bytes(sha256)) for code, sha256 in read[0]] if files else []
        new_ratings = [str(code) for (code,) in read[-1]] if ratings else []
        listed: dict[str, set[bytes]] = {}
        for code, sha256 in batch.scans:  # the receipts of this batch
            listed.setdefault(code, set()).add(sha256)
        scanned = (set(listed) | {code for code, _ in new_files}) if files else set()
        rated = (
            {
                code
                for code, row in batch.locations.items()
                if row.decided_at is not None and row.score is None
            }
            | set(new_ratings)
            if ratings
            else set()
        )
        absent = sorted((scanned | rated) - batch.locations.keys())
        asked_scans = sorted(scanned - listed.keys())
        queries: list[tuple[str, Sequence[Any]]] = []
        shapes: list[str] = []
        for kind, sql, codes in (
            ("rows", f"SELECT {LOCATION.select} FROM lienthong_location", absent),  # noqa: S608
            ("listed", f"SELECT code, sha256 FROM {SCANS}", asked_scans),  # noqa: S608
            ("held", f"SELECT code, sha256 FROM {FILES}", sorted(scanned)),  # noqa: S608
            ("scores", f"SELECT code, score FROM {RATINGS}", sorted(rated)),  # noqa: S608
        ):
            for where, params in one_of(self.view.kind, codes):
                queries.append((f"{sql} WHERE {where}", params))
                shapes.append(kind)
        found: dict[str, list[Any]] = {"rows": [], "listed": [], "held": [], "scores": []}
        for kind, rows in zip(shapes, cursor.select_each(queries), strict=True):
            found[kind].extend(rows)
        batch.read(found["rows"])
        for code, sha256 in found["listed"]:
            listed.setdefault(str(code), set()).add(bytes(sha256))
        held: dict[str, set[bytes]] = {}
        for code, sha256 in found["held"]:
            held.setdefault(str(code), set()).add(bytes(sha256))
        for code in sorted(scanned):
            row = batch.locations.get(code)
            hashes = listed.get(code)
            if row is not None and not row.digitised and hashes and hashes <= held.get(code, set()):
                batch.change(code, digitised=1)
        for code, score in found["scores"]:
            row = batch.locations.get(str(code))
            if row is not None and row.decided_at is not None and row.score is None:
                batch.change(str(code), score=int(score))
        if new_files:
            cursor.executemany(
                f"DELETE FROM {FILES_UNSEEN} WHERE code = ? AND sha256 = ?",  # noqa: S608
                new_files,
            )
        if new_ratings:
            cursor.executemany(
                f"DELETE FROM {RATINGS_UNSEEN} WHERE code = ?",  # noqa: S608
                [(code,) for code in new_ratings],
            )
