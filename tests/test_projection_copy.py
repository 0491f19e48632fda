"""A batch's added rows sent by binary COPY on PostgreSQL (`rules.Batch.copy`, the projector's
default there): the location rows, legs, supplement windows and notices a batch adds, each table's
in one COPY; the rest as `Batch.write` sends it (arrays, one statement per table and kind of
change), first, in the batch's pipeline, which the first COPY then leaves (COPY has no pipeline
mode).

The reference is `Batch.write` alone (`Projector.copying = False`, the pipelined transaction): on
the simulator's output and on the story of `tell` and `tell_more`, views built by COPY equal it row
for row whatever the batch size. COPY has no ON CONFLICT: a row already in the views (the views
out of step with the log) is refused when its COPY ends, and the projection stops at that batch
having applied nothing of it — its other rows, and the move of its position, included."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, cast

import psycopg
import pytest

from domain.dossier import Dossier
from ledger.application import Ledger
from ledger.clock import SimulatedClock
from ledger.config import LedgerSettings
from ledger.simulation.simulator import SIMULATION_TOLERANCE_SECONDS, simulate
from ledger.stores.database import Database
from ledger.views import months, rules
from ledger.views.projector import ProjectionStopped, Projector, ViewStore
from ledger.views.tables import LEGS, LOCATION, Leg, Location
from tests.test_projection_batches import SIZES, tell_more
from tests.test_projection_bulk import a_batch, emptied, leg, location
from tests.test_projections import notifications, tell
from tests.world import World


class Recording:
    """A cursor that keeps what it is asked to run, COPY included."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, Any]] = []

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.sent.append(("execute", sql, params))

    def executemany(self, sql: str, params: Sequence[Sequence[Any]]) -> None:
        self.sent.append(("executemany", sql, list(params)))

    def copy(self, sql: str, types: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        self.sent.append(("copy", sql, (list(types), list(rows))))


def test_the_added_rows_of_tables_without_on_conflict_go_by_copy_the_rest_as_write_sends_them() -> (
    None
):
    copied, written = Recording(), Recording()
    a_batch().copy(copied)  # type: ignore[arg-type]
    a_batch().write(written, postgres=True)  # type: ignore[arg-type]

    # the statements that are not COPY first, in `write`'s order (resumptions before the
    # supplement windows begun in the batch are added); then a COPY per table, in that order too
    # (of the month cells, the batch moves those of dossiers received and ended, none decided)
    order = [sql for sql in rules.BULK if sql != months.UPSERT[months.DECIDED]]
    expected = [(sql, rules.BULK[sql]) for sql in order if sql not in rules.COPIED]
    expected += [(sql, rules.COPIED[sql][0]) for sql in order if sql in rules.COPIED]
    assert [sql for _how, sql, _params in copied.sent] == [sent for _sql, sent in expected]
    assert [how for how, _sql, _params in copied.sent] == ["execute"] * 7 + ["copy"] * 4
    assert [sql for sql, _sent in expected[7:]] == [
        LOCATION.insert,
        LEGS.insert,
        rules.SUSPEND,
        rules.NOTICE,
    ]
    sent = dict(zip([sql for sql, _sent in expected], copied.sent, strict=True))
    for (_execute, _bulk, columns), sql in zip(written.sent, order, strict=True):
        how, _text, params = sent[sql]
        if how == "copy":  # the same rows, by row rather than by column
            types, rows = params
            assert [list(column) for column in zip(*rows, strict=True)] == list(columns)
            assert len(types) == len(columns)
        else:
            assert params == columns


def test_a_copy_names_every_column_of_its_table_with_its_postgresql_type() -> None:
    sql, types = rules.COPIED[LOCATION.insert]
    assert sql == f"COPY lienthong_location ({LOCATION.select}) FROM STDIN (FORMAT BINARY)"
    assert types[:4] == ["text", "text", "int4", "text"]  # code, procedure, version, status
    assert rules.COPIED[LEGS.insert][1][:3] == ["text", "int4", "bytea"]  # code, hop, dispatch
    assert rules.SCAN not in rules.COPIED
    assert rules.SUBJECT not in rules.COPIED


@pytest.fixture
def simulated(postgres_url: str) -> Iterator[Ledger]:
    clock = SimulatedClock(0)
    ledger = Ledger(
        LedgerSettings(
            database_url=postgres_url, clock_tolerance_seconds=SIMULATION_TOLERANCE_SECONDS
        ),
        clock=clock,
    )
    result = simulate(ledger, clock, dossiers=30, seed=3, years=0.5)
    assert result.refusals == []
    yield ledger
    ledger.close()


def build(projector: Projector, batch: int) -> dict[str, list[tuple[Any, ...]]]:
    emptied(projector)
    projector.catch_up(batch=batch)
    return projector.dump()


@pytest.mark.postgres
def test_views_built_by_copy_equal_those_built_by_arrays_on_the_simulators_log(
    simulated: Ledger,
) -> None:
    projector = Projector(simulated)
    try:
        assert projector.copying  # the default on PostgreSQL
        for size in (1, 7, 500):
            projector.copying = False
            reference = build(projector, size)  # today's writes: arrays, pipelined
            assert all(reference[table] for table in ("location", "legs", "suspensions"))
            projector.copying = True
            assert build(projector, size) == reference, f"batches of {size}"
    finally:
        projector.close()


@pytest.mark.postgres
def test_views_built_by_copy_equal_those_built_by_arrays_on_every_kind_of_entry(
    postgres_url: str,
) -> None:
    world = World.build(postgres_url)
    projector = Projector(world.ledger)
    try:
        tell(world)
        tell_more(world)
        for size in SIZES:
            projector.copying = False
            reference = build(projector, size)
            assert all(reference[table] for table in ("notices", "receipt_scans"))
            projector.copying = True
            assert build(projector, size) == reference, f"batches of {size}"
    finally:
        projector.close()
        world.ledger.close()


KINDS = {  # the dossier event whose row is put there first, by table
    "location": "Received",
    "legs": "Dispatched",
    "notices": "Refused",
    "suspensions": "SupplementRequested",
}
COLUMNS = {
    "location": LOCATION.select,
    "legs": LEGS.select,
    "notices": "code, seq, kind, at",
    "suspensions": "code, started_at, ended_at",
}


@pytest.mark.postgres
@pytest.mark.parametrize("table", list(KINDS))
def test_a_row_already_there_refused_by_a_copy_stops_the_batch_which_applies_nothing(
    postgres_url: str, table: str
) -> None:
    world = World.build(postgres_url)
    projector = Projector(world.ledger)
    reference = Projector(world.ledger, ViewStore("memory:"))
    try:
        tell(world)
        tell_more(world)
        entries = notifications(world)
        index = next(
            i for i, entry in enumerate(entries) if f".dossier.{KINDS[table]}." in entry.topic
        )
        start = index - index % 3  # the batch of three that holds it
        projector.apply(entries[:start], 0)
        position = projector.position()
        before = projector.dump()
        # the rows the batch adds to the table (a build from the start of the log, in memory)
        reference.apply(entries[: start + 3], 0)
        added = [row for row in reference.dump()[table] if row not in before[table]]
        assert added, f"the batch adds {table} rows"
        row = list(added[0])
        if table == "legs":  # the same hop of another dispatch: the rules cannot tell, the key can
            row[LEGS.names.index("dispatch")] = bytes(32)
        values = ", ".join("?" for _ in row)
        with projector.view.transaction() as cursor:  # the views out of step with the log
            cursor.execute(
                f"INSERT INTO lienthong_{table} ({COLUMNS[table]}) VALUES ({values})",  # noqa: S608
                row,
            )
        there = projector.dump()

        with pytest.raises(ProjectionStopped, match="applies nothing") as stop:
            projector.apply(entries[start : start + 3], position)
        assert isinstance(stop.value.__cause__, psycopg.errors.UniqueViolation)
        assert projector.position() == position
        assert projector.dump() == there  # nothing of the batch: its other rows neither
    finally:
        reference.close()
        projector.close()
        world.ledger.close()


# --- the pipelined transaction a COPY leaves (`Database`) ---------------------------------------

COPY_T = "COPY t (a, b) FROM STDIN (FORMAT BINARY)"


@pytest.fixture
def database(postgres_url: str) -> Iterator[Database]:
    made = Database(postgres_url)
    made.create(["CREATE TABLE t (a TEXT PRIMARY KEY, b BIGINT)"])
    yield made
    made.close()


@pytest.mark.postgres
def test_a_copy_leaves_the_pipeline_and_its_transaction_goes_on_and_commits(
    database: Database,
) -> None:
    with database.transaction(pipeline=True) as cursor:
        cursor.execute("INSERT INTO t (a, b) VALUES (?, ?)", ("x", 1))
        copying = cast(rules.Copying, cursor)
        copying.copy(COPY_T, ["text", "int8"], [("y", 2), ("z", None)])
        copying.copy(COPY_T, ["text", "int8"], [("w", 4)])  # out of the pipeline already
        cursor.execute("UPDATE t SET b = ? WHERE a = ?", (3, "x"))
        assert cursor.rowcount == 1
    assert database.query("SELECT a, b FROM t ORDER BY a") == [
        ("w", 4),
        ("x", 3),
        ("y", 2),
        ("z", None),
    ]


def refused_before_a_copy(database: Database) -> None:
    with database.transaction(pipeline=True) as cursor:
        cursor.execute("INSERT INTO t (a, b) VALUES (?, ?)", ("v", 0))
        cursor.execute("INSERT INTO t (a, b) VALUES (?, ?)", ("x", 2))  # refused: read later
        cast(rules.Copying, cursor).copy(COPY_T, ["text", "int8"], [("y", 2)])


def refused_by_a_copy(database: Database) -> None:
    with database.transaction(pipeline=True) as cursor:
        cursor.execute("INSERT INTO t (a, b) VALUES (?, ?)", ("v", 0))
        cast(rules.Copying, cursor).copy(COPY_T, ["text", "int8"], [("x", 2)])  # refused


@pytest.mark.postgres
def test_a_refusal_sent_in_the_pipeline_is_raised_by_the_copy_that_leaves_it_and_nothing_stays(
    database: Database,
) -> None:
    with database.transaction() as cursor:
        cursor.execute("INSERT INTO t (a, b) VALUES (?, ?)", ("x", 1))

    with pytest.raises(psycopg.errors.UniqueViolation):
        refused_before_a_copy(database)
    assert database.query("SELECT a, b FROM t ORDER BY a") == [("x", 1)]

    with pytest.raises(psycopg.errors.UniqueViolation):
        refused_by_a_copy(database)
    assert database.query("SELECT a, b FROM t ORDER BY a") == [("x", 1)]

    with database.transaction(pipeline=True) as cursor:  # the connection is usable again
        cast(rules.Copying, cursor).copy(COPY_T, ["text", "int8"], [("y", 2)])
    assert database.query("SELECT a FROM t ORDER BY a") == [("x",), ("y",)]


# --- a rebuild's commits do not wait for the disk -------------------------------------------------


def test_a_rebuilds_batches_commit_without_waiting_for_the_disk_and_catching_up_waits_again(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = World.build(database_url)
    projector = Projector(world.ledger)
    try:
        tell(world)
        postgres = projector.view.kind == "postgres"
        setting = "SHOW synchronous_commit" if postgres else "PRAGMA synchronous"
        seen: list[Any] = []
        handlers: dict[Any, Any] = rules.HANDLERS
        received = handlers[Dossier.Received]

        def spied(batch: Any, event: Any, statement: Any) -> None:
            seen.append(projector.view.query(setting)[0][0])  # in the batch's transaction
            received(batch, event, statement)

        monkeypatch.setitem(handlers, Dossier.Received, spied)
        before = projector.view.query(setting)[0][0]
        assert projector.catch_up(batch=4) > 0
        durable = set(seen)
        reference = projector.dump()
        seen.clear()
        assert projector.rebuild() > 0
        rebuilt = set(seen)

        assert projector.dump() == reference
        assert projector.view.query(setting)[0][0] == before  # as it was, after the rebuild
        if postgres:
            assert (durable, rebuilt) == ({"on"}, {"off"})
        elif projector.view.kind == "sqlite" and "sqlite:" in database_url:
            assert (durable, rebuilt) == ({2}, {1})  # FULL; NORMAL
    finally:
        projector.close()
        world.ledger.close()


# --- rows made without the dataclass's __init__ (`rules.made`) -----------------------------------


def test_a_row_made_equals_the_one_its_class_makes_and_names_every_column_and_no_other() -> None:
    values = dict(vars(location("a", hops=2, transit_to="9")))
    row = rules.made(Location, **values)
    assert row == Location(**values)
    assert type(row) is Location
    assert LOCATION.values(row) == LOCATION.values(Location(**values))
    assert LOCATION.replace(row, hops=3).hops == 3
    leg_values = dict(vars(leg("a", 1)))
    assert rules.made(Leg, **leg_values) == Leg(**leg_values)

    del values["first_apology_at"]
    with pytest.raises(TypeError, match="first_apology_at not given"):
        rules.made(Location, **values)
    with pytest.raises(TypeError, match="no column colour"):
        rules.made(Leg, **leg_values, colour="red")


# --- rows a batch holds alone, changed in place ---------------------------------------------------


def test_a_batch_copies_a_row_it_was_given_once_then_changes_its_own_copy_in_place() -> None:
    read, read_leg = location("a"), leg("a", 1)
    batch = rules.Batch([read], [read_leg])

    first = batch.change("a", status="in_transit", hops=1)
    assert read.status == "held"  # the row it was given (read from the views) is left as it was
    assert first is not read
    again = batch.change("a", status="held", custodian="2")
    assert again is first  # its own copy, changed in place
    assert (again.status, again.hops, again.custodian) == ("held", 1, "2")
    assert batch.location("a") is again

    settled = batch.settle("a", read_leg.dispatch, outcome="rejected")
    assert read_leg.outcome is None
    assert batch.settle("a", read_leg.dispatch, ended_at=7) is settled
    assert (settled.outcome, settled.ended_at) == ("rejected", 7)

    received = location("b")
    batch.receive(received)  # the rules make the rows they hand over: the batch's own
    assert batch.change("b", hops=2) is received
    assert received.hops == 2

    with pytest.raises(TypeError, match="no column colour"):
        batch.change("a", colour="red")  # in place
    with pytest.raises(TypeError, match="no field colour"):
        rules.Batch([location("c")]).change("c", colour="red")  # a first copy
    with pytest.raises(TypeError, match="no column colour"):
        batch.settle("a", read_leg.dispatch, colour="red")
