"""Projections applied a batch at a time: the rows a batch touches are read once, changed in memory
and written once at its end; on PostgreSQL its transaction runs in pipeline mode.

The views must come out the same whatever the batch size (one entry a batch reads every row from
the database, one batch for the whole log keeps every row in memory), and the same as built while
the log grows; a batch one of whose entries cannot be applied, or whose writes the database
refuses, leaves nothing of itself in the views and the position where it was; a location as of
an instant is the row the views held then. The pipelined transaction of `Database` counts rows
and reports failures as a plain one does. Every test runs on memory, SQLite and PostgreSQL.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

from domain.dossier import Dossier
from ledger.application import Receipt
from ledger.statements import schema
from ledger.stores.database import Database
from ledger.views import rules
from ledger.views.projector import (
    Location,
    ProjectionRaced,
    ProjectionStopped,
    Projector,
    ViewStore,
)
from tests.test_projections import CLOSED, WAITING, notifications, tell
from tests.world import DAY, HOUR, START, World, document

REFUSED = "000.00.01.H59-250303-0101"  # received listing one document twice, refused at reception
STOPPED = "000.00.01.H59-250303-0102"  # extended, delayed, suspended twice, stopped
DECIDED = "000.00.01.H59-250303-0103"  # handed up twice, refused by the province

SIZES = (1, 2, 3, 5, 8, 500)


def tell_more(world: World, after: Callable[[], None] = lambda: None) -> dict[str, Receipt]:
    """The kinds `tell` leaves out (refusal, extension, stop, a decision to refuse), a dossier
    suspended twice, and a receipt listing a document twice; `after()` after every statement."""
    told: dict[str, Receipt] = {}

    def note(name: str, receipt: Receipt) -> Receipt:
        told[name] = receipt
        after()
        return receipt

    def act(name: str, office: str, kind: str, code: str, body: dict[str, Any]) -> None:
        world.later()
        note(name, world.at(office).record(kind, code, body))

    twice = [document("Đơn"), document("Đơn"), document("CCCD")]
    note("refused.received", world.receive(REFUSED, appointed=START + 20 * DAY, documents=twice))
    act(
        "refused.refused", "29266", "dossier.refused", REFUSED, {"reason": "Không thuộc thẩm quyền"}
    )

    note("stopped.received", world.receive(STOPPED, appointed=START + 20 * DAY))
    extension = {"reason": "Cần xác minh", "appointed": START + 25 * DAY}
    act("stopped.extended", "29266", "dossier.extension_requested", STOPPED, extension)
    sent = note("stopped.sent", world.dispatch("29266", "844", STOPPED))
    note("stopped.taken", world.acknowledge("844", sent, STOPPED))
    delay = {"reason": "Chậm", "appointed": START + 30 * DAY}
    act("stopped.delayed", "844", "dossier.delay_notified", STOPPED, delay)
    for turn, hours in (("first", 5), ("second", 7)):
        missing = {"reason": "Thiếu giấy tờ", "missing": [turn]}
        act(f"stopped.suspended.{turn}", "844", "dossier.supplement_requested", STOPPED, missing)
        world.later(hours - 1)  # act() adds an hour
        supplied = {"documents": [document(turn)]}
        act(f"stopped.resumed.{turn}", "844", "dossier.supplement_received", STOPPED, supplied)
    act("stopped.stopped", "844", "dossier.stopped", STOPPED, {"reason": "Dừng giải quyết"})

    note("decided.received", world.receive(DECIDED))
    for sender, addressee in (("29266", "844"), ("844", "84")):
        sent = note(f"decided.sent.{addressee}", world.dispatch(sender, addressee, DECIDED))
        note(f"decided.taken.{addressee}", world.acknowledge(addressee, sent, DECIDED))
    decision = {"outcome": "refused", "reference": "QĐ 2/QĐ-UBND", "documents": [document("QĐ")]}
    act("decided.decided", "84", "dossier.decided", DECIDED, decision)
    return told


def built(world: World, batch: int) -> dict[str, Any]:
    """The views built on a fresh in-memory store, `batch` entries a transaction."""
    projector = Projector(world.ledger, ViewStore("memory:"))
    try:
        assert projector.catch_up(batch=batch) == len(notifications(world))
        return projector.dump()
    finally:
        projector.close()


@pytest.fixture
def projector(world: World) -> Iterator[Projector]:
    made = Projector(world.ledger)
    yield made
    made.close()


def pipelined(view: Database) -> bool:
    """Whether the view's PostgreSQL connection is in pipeline mode now."""
    return view.kind == "postgres" and view._pg.pgconn.pipeline_status != 0


# --- the same views whatever the batches -------------------------------------------------------


def test_views_built_in_batches_of_any_size_equal_those_built_entry_by_entry(
    world: World,
) -> None:
    tell(world)
    tell_more(world)
    one_by_one = built(world, 1)

    for size in SIZES[1:]:
        assert built(world, size) == one_by_one, f"batches of {size}"


@pytest.mark.parametrize("per_select", [rules.SQLITE_CODES, 2])
def test_a_batch_reads_the_rows_of_every_dossier_it_names(
    world: World, projector: Projector, monkeypatch: pytest.MonkeyPatch, per_select: int
) -> None:
    """On SQLite the codes are listed `SQLITE_CODES` to a SELECT: here also two."""
    monkeypatch.setattr(rules, "SQLITE_CODES", per_select)
    codes = [f"000.00.01.H59-250303-02{number:02}" for number in range(7)]
    sent = {}
    for code in codes:
        world.receive(code)
        sent[code] = world.dispatch("29266", "844", code)
    projector.catch_up()  # received and sent
    for code in codes:
        world.acknowledge("844", sent[code], code)
    world.receive(REFUSED)

    assert projector.catch_up() == len(codes) + 1  # one batch: seven rows read, one added
    custodians = [getattr(projector.location(code), "custodian", None) for code in codes]
    assert custodians == ["844"] * len(codes)
    assert projector.dump() == built(world, 1)


def test_views_rebuilt_equal_those_built_as_the_log_grew(
    world: World, projector: Projector
) -> None:
    def catch_up() -> None:
        projector.catch_up()

    tell(world, lambda _name, _receipt: catch_up())
    tell_more(world, catch_up)
    grown = projector.dump()

    assert grown == built(world, 1)
    assert projector.rebuild() == len(notifications(world))
    assert projector.dump() == grown


def test_rows_changed_many_times_in_one_batch_hold_every_change(
    world: World, projector: Projector
) -> None:
    tell(world)
    told = tell_more(world)
    assert projector.catch_up() == len(notifications(world))  # one batch
    views = projector.dump()

    def at(name: str) -> int:
        receipt = told[name]
        history = world.ledger.history("dossier", receipt.subject)
        return next(e.statement.at for e in history if e.statement.seq == receipt.seq)

    stopped = projector.location(STOPPED)
    assert stopped is not None
    assert (stopped.status, stopped.custodian, stopped.hops) == ("closed", "844", 1)
    assert stopped.suspended_us == 12 * HOUR
    assert stopped.suspended_since is None
    assert (stopped.appointed, stopped.appointed_at_receipt) == (START + 30 * DAY, START + 20 * DAY)
    assert stopped.first_apology_at == at("stopped.extended")
    assert projector.suspensions(STOPPED) == [
        (at("stopped.suspended.first"), at("stopped.resumed.first")),
        (at("stopped.suspended.second"), at("stopped.resumed.second")),
    ]
    assert [(code, kind) for code, _seq, kind, _at in views["notices"] if code != CLOSED] == [
        (REFUSED, "dossier.refused"),
        (STOPPED, "dossier.extension_requested"),
        (STOPPED, "dossier.delay_notified"),
        (STOPPED, "dossier.stopped"),
    ]
    assert [row[0] for row in views["receipt_scans"]].count(REFUSED) == 2  # "Đơn" listed twice

    decided = projector.location(DECIDED)
    assert decided is not None
    assert (decided.decided, decided.custodian, decided.hops) == ("refused", "84", 2)
    assert [(leg.hop, leg.outcome, leg.by_office) for leg in projector.legs(DECIDED)] == [
        (1, "acknowledged", "844"),
        (2, "acknowledged", "84"),
    ]
    assert projector.location(WAITING).status == "suspended"  # type: ignore[union-attr]


def test_a_location_as_of_an_instant_is_the_row_the_views_held_then(
    world: World, projector: Projector
) -> None:
    held: list[tuple[str, int, Location | None]] = []

    def keep() -> None:
        projector.catch_up()
        entry = world.ledger.recorder.select_notifications(projector.position(), 1)[0]
        event: Any = world.ledger.mapper.to_domain_event(entry)
        statement = schema.parse(event.raw)
        if statement.family == "dossier":
            held.append((statement.subject, statement.at, projector.location(statement.subject)))

    tell(world, lambda _name, _receipt: keep())
    tell_more(world, keep)

    assert len(held) > 40
    for code, at, location in held:
        assert projector.location_as_of(code, at) == location
    first = held[0]
    assert projector.location_as_of(first[0], first[1] - 1) is None


# --- a batch applies whole or not at all --------------------------------------------------------


def test_a_batch_whose_third_entry_cannot_be_applied_leaves_nothing_and_the_position_unmoved(
    world: World, projector: Projector, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.receive(CLOSED)
    projector.catch_up()
    start = projector.position()
    with projector.view.transaction() as cursor:  # the views lose a dossier the log holds
        cursor.execute("DELETE FROM lienthong_location WHERE code = ?", (CLOSED,))
    before = projector.dump()
    world.receive(REFUSED)
    world.dispatch("29266", "844", REFUSED)
    world.dispatch("29266", "844", CLOSED)  # the third entry: no location row to move
    world.receive(DECIDED)
    batch = world.ledger.recorder.select_notifications(start + 1, 100)
    assert len(batch) == 4

    seen: list[bool] = []
    handlers: dict[Any, Any] = rules.HANDLERS
    dispatched = handlers[Dossier.Dispatched]

    def spied(cursor: Any, event: Any, statement: Any) -> None:
        seen.append(pipelined(projector.view))
        dispatched(cursor, event, statement)

    monkeypatch.setitem(handlers, Dossier.Dispatched, spied)
    with pytest.raises(
        ProjectionStopped, match=f"log entry {batch[2].id} \\({batch[2].topic}\\)"
    ) as stop:
        projector.apply(batch, start)
    assert f"dossier {CLOSED}: the views hold no earlier entry" in str(stop.value)
    assert seen == [projector.view.kind == "postgres"] * 2  # the pipeline was on
    assert projector.position() == start
    assert projector.dump() == before
    assert projector.location(REFUSED) is None

    monkeypatch.undo()
    assert projector.rebuild() == len(notifications(world))
    assert projector.dump() == built(world, 1)


def test_a_write_the_database_refuses_at_the_end_of_a_batch_stops_it_and_applies_nothing(
    world: World, projector: Projector
) -> None:
    world.receive(CLOSED)
    projector.catch_up()
    start = projector.position()
    with projector.view.transaction() as cursor:  # a leg the log does not have: hop 1 is taken
        cursor.execute(
            "INSERT INTO lienthong_legs VALUES (?, 1, ?, '1', '1', '1', 'process', 0, NULL, "
            "NULL, NULL, NULL, 0, 0)",
            (CLOSED, bytes(32)),
        )
    before = projector.dump()
    world.receive(REFUSED)
    world.dispatch("29266", "844", CLOSED)
    batch = world.ledger.recorder.select_notifications(start + 1, 100)

    with pytest.raises(
        ProjectionStopped, match=f"cannot apply log entries {batch[0].id} to {batch[-1].id}"
    ):
        projector.apply(batch, start)
    assert projector.position() == start
    assert projector.dump() == before

    with projector.view.transaction() as cursor:  # the connection is still usable
        cursor.execute("DELETE FROM lienthong_legs WHERE dispatch = ?", (bytes(32),))
    assert projector.catch_up() == len(batch)
    assert projector.dump() == built(world, 1)


def test_a_claimed_batch_holds_another_projector_off_until_it_ends(
    world: World, projector: Projector, monkeypatch: pytest.MonkeyPatch
) -> None:
    if world.ledger.settings.database_url == "memory:":
        pytest.skip("a memory: ledger's views live on one connection: its projectors take turns")
    world.receive(CLOSED)
    batch = notifications(world)
    second = Projector(world.ledger)
    if second.view.kind == "postgres":  # the second gives up waiting soon, instead of waiting
        second.view._pg.execute("SET lock_timeout = '200ms'")
    else:
        second.view._sqlite.execute("PRAGMA busy_timeout = 200")
    claimed, finish = threading.Event(), threading.Event()
    handlers: dict[Any, Any] = rules.HANDLERS
    received = handlers[Dossier.Received]

    def paused(batch: Any, event: Any, statement: Any) -> None:
        claimed.set()  # the first is inside its batch: its claim is made
        assert finish.wait(10)
        received(batch, event, statement)

    monkeypatch.setitem(handlers, Dossier.Received, paused)
    failures: list[BaseException] = []

    def first_applies() -> None:
        try:
            projector.apply(batch, 0)
        except BaseException as problem:
            failures.append(problem)

    first = threading.Thread(target=first_applies)
    first.start()
    try:
        assert claimed.wait(10)
        with pytest.raises(ProjectionStopped, match=r"(?i)lock") as held:
            second.apply(batch, 0)
        assert not isinstance(held.value, ProjectionRaced)
    finally:
        finish.set()
        first.join(10)
    try:
        assert failures == []
        with pytest.raises(ProjectionRaced, match=rf"the views are at {batch[-1].id}\)"):
            second.apply(batch, 0)
        assert second.dump() == projector.dump() == built(world, 1)
    finally:
        second.close()


# --- the pipelined transaction -------------------------------------------------------------------


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    made = Database(database_url)
    made.create(["CREATE TABLE IF NOT EXISTS t_pipeline (k INTEGER PRIMARY KEY, v TEXT)"])
    with made.transaction() as cursor:
        cursor.executemany("INSERT INTO t_pipeline VALUES (?, ?)", [(1, "a"), (2, "a"), (3, "b")])
    yield made
    made.close()


def test_a_pipelined_transaction_counts_the_rows_of_each_statement(database: Database) -> None:
    with database.transaction(pipeline=True) as cursor:
        assert pipelined(database) == (database.kind == "postgres")
        cursor.execute("UPDATE t_pipeline SET v = ? WHERE v = ?", ("c", "a"))
        assert cursor.rowcount == 2
        cursor.execute("UPDATE t_pipeline SET v = ? WHERE v = ?", ("c", "nothing"))
        assert cursor.rowcount == 0
        cursor.execute("INSERT INTO t_pipeline VALUES (?, ?)", (4, "d"))
        ks, vs = cursor.select_each(
            [
                ("SELECT k FROM t_pipeline WHERE v = ? ORDER BY k", ("c",)),
                ("SELECT v FROM t_pipeline WHERE k = ?", (4,)),
            ]
        )
        assert [row[0] for row in ks] == [1, 2]
        assert [row[0] for row in vs] == ["d"]
    assert not pipelined(database)
    assert database.query("SELECT k, v FROM t_pipeline ORDER BY k") == [
        (1, "c"),
        (2, "c"),
        (3, "b"),
        (4, "d"),
    ]


def test_a_statement_refused_in_a_pipelined_transaction_rolls_it_back(database: Database) -> None:
    def refused_midway() -> None:
        with database.transaction(pipeline=True) as cursor:
            cursor.execute("UPDATE t_pipeline SET v = ? WHERE k = ?", ("z", 3))
            cursor.executemany("INSERT INTO t_pipeline VALUES (?, ?)", [(5, "e"), (1, "again")])
            cursor.execute("UPDATE t_pipeline SET v = ? WHERE k = ?", ("z", 2))
            assert cursor.rowcount == 1  # on PostgreSQL: waits, and raises the refusal

    with pytest.raises(Exception, match=r"(?i)unique|duplicate") as refused:
        refused_midway()
    assert refused.type.__module__.split(".")[0] in ("sqlite3", "psycopg")
    assert database.query("SELECT k, v FROM t_pipeline ORDER BY k") == [
        (1, "a"),
        (2, "a"),
        (3, "b"),
    ]
    with database.transaction(pipeline=True) as cursor:  # and the connection goes on
        cursor.execute("DELETE FROM t_pipeline WHERE k = ?", (3,))
    assert database.query("SELECT count(*) FROM t_pipeline") == [(2,)]


def test_an_error_ending_a_pipelined_transaction_with_a_refusal_unread_rolls_it_back(
    database: Database,
) -> None:
    """The refusal may be read before the block's own error is raised (a statement sent reads
    what has come back already) or not; either is raised, never the statements it made the
    server skip ("pipeline aborted")."""

    def fails_with_a_refusal_unread() -> None:
        with database.transaction(pipeline=True) as cursor:
            cursor.executemany("INSERT INTO t_pipeline VALUES (?, ?)", [(1, "again"), (6, "f")])
            cursor.execute("UPDATE t_pipeline SET v = ? WHERE k = ?", ("z", 2))
            raise RuntimeError("the block ends here")

    refusals = (sqlite3.IntegrityError, psycopg.errors.UniqueViolation)
    with pytest.raises((RuntimeError, *refusals)):
        fails_with_a_refusal_unread()
    assert database.query("SELECT k, v FROM t_pipeline ORDER BY k") == [
        (1, "a"),
        (2, "a"),
        (3, "b"),
    ]
