"""A batch's rows written in bulk: on PostgreSQL one statement per table and kind of change, its
rows' columns sent as arrays (`rules.BULK`); on SQLite the statement once per row.

The views must come out the same as entry by entry whatever the batches, on the database itself
(PostgreSQL's bulk statements included), and a dossier resumed more than once in a batch ends the
suspension the views held with its first resumption only."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from ledger.views import rules
from ledger.views.projector import NAME, Projector
from ledger.views.tables import LOCATION, TURN_DEADLINES, VIEW_TABLES, Leg, Location
from tests.test_projection_batches import SIZES, built, tell_more
from tests.test_projections import tell
from tests.world import World


@pytest.fixture
def projector(world: World) -> Iterator[Projector]:
    made = Projector(world.ledger)
    yield made
    made.close()


def emptied(projector: Projector) -> None:
    """The views emptied and their position put back to the start, as `rebuild` does."""
    with projector.view.transaction() as cursor:
        for table in (*VIEW_TABLES, TURN_DEADLINES):
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 — fixed table names
        cursor.execute("UPDATE lienthong_tracking SET position = 0 WHERE projection = ?", (NAME,))


def test_views_written_to_the_database_in_batches_of_any_size_equal_those_built_one_by_one(
    world: World, projector: Projector
) -> None:
    tell(world)
    tell_more(world)
    one_by_one = built(world, 1)  # on a fresh in-memory SQLite store

    for size in SIZES:
        emptied(projector)
        projector.catch_up(batch=size)
        assert projector.dump() == one_by_one, f"batches of {size}"
    assert projector.rebuild() > 0
    assert projector.dump() == one_by_one


class Recording:
    """A cursor that keeps what it is asked to run."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, Any]] = []

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.sent.append(("execute", sql, params))

    def executemany(self, sql: str, params: Sequence[Sequence[Any]]) -> None:
        self.sent.append(("executemany", sql, list(params)))


def location(code: str, **values: Any) -> Location:
    fields: dict[str, Any] = {
        "code": code,
        "procedure": "p",
        "version": 1,
        "status": "held",
        "received_by": "1",
        "received_at": 1,
        "custodian": "1",
        "transit_from": None,
        "transit_to": None,
        "since": 1,
        "appointed": 9,
        "suspended_since": None,
        "suspended_us": 0,
        "hops": 0,
        "decided": None,
        "decided_at": None,
        "closed_at": None,
        "channel": "direct",
        "held_since": 1,
        "last_seq": 1,
        "appointed_at_receipt": 9,
        "first_apology_at": None,
    }
    return Location(**{**fields, **values})


def leg(code: str, hop: int) -> Leg:
    return Leg(
        code=code,
        hop=hop,
        dispatch=bytes([hop]) * 32,
        from_office="1",
        from_officer="a",
        to_office="2",
        purpose="process",
        dispatched_at=hop,
        outcome=None,
        by_office=None,
        by_officer=None,
        ended_at=None,
        missing=0,
        extra=0,
    )


def a_batch() -> rules.Batch:
    """A batch that reads two dossiers and a leg, adds two, and changes all of them."""
    batch = rules.Batch([location("a"), location("b", status="suspended")], [leg("a", 1)])
    batch.receive(location("c"))
    batch.receive(location("d"))
    batch.change("a", status="in_transit")
    batch.change("b", status="held")
    batch.change("c", hops=1)
    batch.send(leg("c", 1))
    batch.send(leg("d", 1))
    batch.settle("a", bytes([1]) * 32, outcome="acknowledged")
    batch.resume("b", 20)  # ends the suspension the views hold, begun in an earlier batch
    batch.suspend("b", 30)
    batch.resume("b", 40)  # ends the one begun in this batch
    batch.suspend("b", 50)
    batch.scans.extend([("c", bytes(32)), ("c", bytes(32)), ("d", bytes(32))])
    batch.notices.extend([("c", 2, "dossier.refused", 5), ("d", 2, "dossier.stopped", 6)])
    batch.subjects.extend([("office", "9", None), ("key", "k", "a")])
    return batch


def test_on_postgresql_each_table_and_kind_of_change_is_one_statement_of_arrays() -> None:
    cursor = Recording()
    a_batch().write(cursor, postgres=True)  # type: ignore[arg-type]

    # the rows' nine statements, then the month cells' upserts (`months.py`): those of the
    # dossiers received and ended (the changes of "a" and "b" leave their cells as they were)
    assert [how for how, _sql, _params in cursor.sent] == ["execute"] * 11
    assert [sql for _how, sql, _params in cursor.sent] == list(rules.BULK.values())[:11]
    # one cell: the two dossiers received the same day, neither digitised
    assert cursor.sent[9][2][-2:] == ([2], [0])
    inserted = dict(zip(LOCATION.names, cursor.sent[0][2], strict=True))
    assert inserted["code"] == ["c", "d"]
    assert inserted["hops"] == [1, 0]
    assert cursor.sent[1][2][-1] == ["a", "b"]  # the updates' keys, last
    assert cursor.sent[6][2] == (["c", "c", "d"], [bytes(32)] * 3)  # ON CONFLICT keeps one


def test_on_sqlite_the_same_rows_go_one_statement_each() -> None:
    bulk, single = Recording(), Recording()
    a_batch().write(bulk, postgres=True)  # type: ignore[arg-type]
    a_batch().write(single)  # type: ignore[arg-type]

    assert [sql for _how, sql, _params in single.sent] == list(rules.BULK)[:11]
    for index, ((_how, _sql, columns), (_many, _each, rows)) in enumerate(
        zip(bulk.sent, single.sent, strict=True)
    ):
        if index != 4:  # the resumptions: below
            assert [list(column) for column in zip(*rows, strict=True)] == list(columns)


def test_a_dossier_resumed_twice_in_a_batch_ends_the_suspension_read_with_its_first() -> None:
    bulk, single = Recording(), Recording()
    a_batch().write(bulk, postgres=True)  # type: ignore[arg-type]
    a_batch().write(single)  # type: ignore[arg-type]

    # one UPDATE of arrays matches a row once, with whichever array entry: only the first is sent
    assert bulk.sent[4] == ("execute", rules.BULK[rules.RESUME], ([20], ["b"]))
    # one at a time, the first ends it and the second finds none open
    assert single.sent[4] == ("executemany", rules.RESUME, [(20, "b"), (40, "b")])
    # the suspensions the batch begins are inserted after, as it ended them
    assert bulk.sent[5][2] == (["b", "b"], [30, 50], [40, None])
