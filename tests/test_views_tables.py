"""The views' tables as declared once (ledger/views/tables.py): the DDL made from the row
dataclasses is the one layout 8 was made with, byte for byte, so a database whose views an
earlier version of this layout made opens unchanged (one of another layout is rebuilt:
tests/test_projections.py); and the HTTP model of a location holds every column of the row, with
its type, but the report's marks (not shown), and nothing but the readings the API adds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, get_type_hints

import pytest

from api.http.render import HIDDEN, location_out
from api.http.schemas import LocationOut
from ledger.stores.database import Database
from ledger.views import queries
from ledger.views.tables import LAYOUT, LOCATION, TABLES, Location, ViewStore

# the tables of layout 8 as its first version wrote them out, statement by statement
LAYOUT_8 = [
    "CREATE TABLE IF NOT EXISTS lienthong_tracking (projection TEXT PRIMARY KEY, "
    "position BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS lienthong_location (code TEXT PRIMARY KEY, procedure "
    "TEXT NOT NULL, version INTEGER NOT NULL, status TEXT NOT NULL, received_by TEXT "
    "NOT NULL, received_at BIGINT NOT NULL, custodian TEXT, transit_from TEXT, "
    "transit_to TEXT, since BIGINT NOT NULL, appointed BIGINT NOT NULL, suspended_since "
    "BIGINT, suspended_us BIGINT NOT NULL, hops INTEGER NOT NULL, decided TEXT, "
    "decided_at BIGINT, closed_at BIGINT, channel TEXT NOT NULL, held_since BIGINT NOT "
    "NULL, last_seq INTEGER NOT NULL, appointed_at_receipt BIGINT NOT NULL, "
    "first_apology_at BIGINT, digitised INTEGER NOT NULL, score INTEGER)",
    "CREATE TABLE IF NOT EXISTS lienthong_legs (code TEXT NOT NULL, hop INTEGER NOT "
    "NULL, dispatch BYTEA NOT NULL, from_office TEXT NOT NULL, from_officer TEXT NOT "
    "NULL, to_office TEXT NOT NULL, purpose TEXT NOT NULL, dispatched_at BIGINT NOT "
    "NULL, outcome TEXT, by_office TEXT, by_officer TEXT, ended_at BIGINT, missing "
    "INTEGER NOT NULL, extra INTEGER NOT NULL, PRIMARY KEY (code, hop))",
    "CREATE TABLE IF NOT EXISTS lienthong_suspensions (code TEXT NOT NULL, started_at "
    "BIGINT NOT NULL, ended_at BIGINT, PRIMARY KEY (code, started_at))",
    "CREATE TABLE IF NOT EXISTS lienthong_subjects (family TEXT NOT NULL, subject TEXT "
    "NOT NULL, owner TEXT, PRIMARY KEY (family, subject))",
    "CREATE TABLE IF NOT EXISTS lienthong_receipt_scans (code TEXT NOT NULL, sha256 "
    "BYTEA NOT NULL, PRIMARY KEY (code, sha256))",
    "CREATE TABLE IF NOT EXISTS lienthong_notices (code TEXT NOT NULL, seq INTEGER NOT "
    "NULL, kind TEXT NOT NULL, at BIGINT NOT NULL, PRIMARY KEY (code, seq))",
    "CREATE INDEX IF NOT EXISTS lienthong_notices_at ON lienthong_notices (at)",
    "CREATE INDEX IF NOT EXISTS lienthong_location_custodian ON lienthong_location (custodian)",
    "CREATE INDEX IF NOT EXISTS lienthong_location_transit ON lienthong_location (transit_to)",
    "CREATE INDEX IF NOT EXISTS lienthong_location_status ON lienthong_location (status)",
    "CREATE INDEX IF NOT EXISTS lienthong_location_transit_since ON lienthong_location "
    "(status, since)",
    "CREATE INDEX IF NOT EXISTS lienthong_location_appointed ON lienthong_location "
    "(status, appointed, received_at, procedure, received_by, custodian, transit_to)",
    "CREATE TABLE IF NOT EXISTS lienthong_turn_deadlines (code TEXT PRIMARY KEY, "
    "last_seq INTEGER NOT NULL, basis TEXT NOT NULL, valid_from BIGINT NOT NULL, "
    "deadline BIGINT)",
    "CREATE INDEX IF NOT EXISTS lienthong_turn_deadlines_deadline ON "
    "lienthong_turn_deadlines (deadline)",
    "CREATE INDEX IF NOT EXISTS lienthong_location_closed ON lienthong_location "
    "(closed_at, received_at)",
    "CREATE INDEX IF NOT EXISTS lienthong_location_held ON lienthong_location (status, "
    "code, last_seq, received_at, procedure)",
    "CREATE INDEX IF NOT EXISTS lienthong_turn_deadlines_kept ON "
    "lienthong_turn_deadlines (code, last_seq, basis, valid_from)",
    "CREATE INDEX IF NOT EXISTS lienthong_location_office_received ON "
    "lienthong_location (received_by, received_at, channel, digitised, code)",
    "CREATE INDEX IF NOT EXISTS lienthong_location_office_decided ON lienthong_location "
    "(received_by, decided_at, received_at, appointed, closed_at, appointed_at_receipt, "
    "first_apology_at, procedure, version, score, code)",
    "CREATE INDEX IF NOT EXISTS lienthong_location_decided ON lienthong_location "
    "(decided_at, received_at, received_by, appointed, closed_at, appointed_at_receipt, "
    "first_apology_at, procedure, version, score, code)",
    "CREATE INDEX IF NOT EXISTS lienthong_legs_dispatched ON lienthong_legs "
    "(dispatched_at, from_office)",
    "CREATE TABLE IF NOT EXISTS lienthong_month_received (received_by TEXT NOT NULL, "
    "received_month INTEGER NOT NULL, channel TEXT NOT NULL, n BIGINT NOT NULL, "
    "digitised BIGINT NOT NULL, PRIMARY KEY (received_by, received_month, channel))",
    "CREATE TABLE IF NOT EXISTS lienthong_month_ended (received_by TEXT NOT NULL, "
    "received_month INTEGER NOT NULL, ended_month INTEGER NOT NULL, appointed_month "
    "INTEGER NOT NULL, n BIGINT NOT NULL, PRIMARY KEY (received_by, received_month, "
    "ended_month, appointed_month))",
    "CREATE TABLE IF NOT EXISTS lienthong_month_decided (received_by TEXT NOT NULL, "
    "received_month INTEGER NOT NULL, decided_month INTEGER NOT NULL, procedure TEXT "
    "NOT NULL, version INTEGER NOT NULL, result TEXT NOT NULL, n BIGINT NOT NULL, "
    "late_at_receipt BIGINT NOT NULL, apologised BIGINT NOT NULL, rated_1 BIGINT NOT "
    "NULL, rated_2 BIGINT NOT NULL, rated_3 BIGINT NOT NULL, rated_4 BIGINT NOT NULL, "
    "rated_5 BIGINT NOT NULL, PRIMARY KEY (received_by, received_month, decided_month, "
    "procedure, version, result))",
]
CODE = "000.00.01.H59-250602-0001"
HELD = Location(
    code=CODE,
    procedure="merit-education-preference",
    version=1,
    status="suspended",
    received_by="29266",
    received_at=1_748_824_200_000_000,
    custodian="844",
    transit_from=None,
    transit_to=None,
    since=1_748_921_400_000_000,
    appointed=1_750_352_399_999_999,
    suspended_since=1_749_000_000_000_000,
    suspended_us=7_200_000_000,
    hops=1,
    decided=None,
    decided_at=None,
    closed_at=None,
    channel="direct",
    held_since=1_748_921_400_000_000,
    last_seq=4,
    appointed_at_receipt=1_750_006_799_999_999,
    first_apology_at=1_749_100_000_000_000,
    digitised=1,
)
# what the API adds to the row's columns: readings of its instants, and what it works out
READINGS = {"received_at_iso", "since_iso", "appointed_iso", "level_deadline_iso"}
WORKED_OUT = {"level_deadline", "as_of", "suspended_seconds"}
WIRE_NAMES = {"suspended_us": "suspended_seconds"}  # the suspended time, in seconds


def test_the_tables_are_made_with_layout_8s_ddl_byte_for_byte() -> None:
    """Layout 8's statements, byte for byte: a change to a table of this layout needs a new
    layout number (a database of another layout is made again: tests/test_projections.py).
    Anything added later may only make new objects, each if it does not exist (made at every
    open, so a database of this layout gets them without a rebuild)."""
    assert LAYOUT == 8
    assert TABLES[: len(LAYOUT_8)] == LAYOUT_8
    made = {statement.split(" IF NOT EXISTS ")[1].split()[0] for statement in LAYOUT_8}
    assert len(made) == len(LAYOUT_8)
    for statement in TABLES[len(LAYOUT_8) :]:
        assert statement.startswith(("CREATE TABLE IF NOT EXISTS ", "CREATE INDEX IF NOT EXISTS "))
        assert statement.split(" IF NOT EXISTS ")[1].split()[0] not in made, statement


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_views_an_earlier_version_made_open_with_their_rows_kept(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = (
        f"sqlite:///{tmp_path / 'ledger.db'}"
        if backend == "sqlite"
        else str(request.getfixturevalue("postgres_url"))
    )
    earlier = Database(url)
    try:
        earlier.create(
            [
                *LAYOUT_8,
                "CREATE TABLE IF NOT EXISTS lienthong_views_layout (layout INTEGER NOT NULL)",
                "INSERT INTO lienthong_views_layout VALUES (8)",
                "INSERT INTO lienthong_location VALUES ('000.00.01.H59-250602-0001', "
                "'merit-education-preference', 1, 'suspended', '29266', 1748824200000000, "
                "'844', NULL, NULL, 1748921400000000, 1750352399999999, 1749000000000000, "
                "7200000000, 1, NULL, NULL, NULL, 'direct', 1748921400000000, 4, "
                "1750006799999999, 1749100000000000, 1, NULL)",
            ]
        )
    finally:
        earlier.close()

    for read_only in (False, True):  # the primary keeps them; a replica reads them
        view = ViewStore(url, read_only=read_only)
        try:
            assert queries.location(view, CODE) == HELD
        finally:
            view.close()


def test_the_location_wire_model_holds_every_column_with_its_type_and_only_readings_besides() -> (
    None
):
    row = get_type_hints(Location)
    wire = {name: field.annotation for name, field in LocationOut.model_fields.items()}

    for name in HIDDEN:  # the report's marks: counted, not shown (render.py says why)
        assert name in LOCATION.names
        assert name not in wire
    for name in set(LOCATION.names) - HIDDEN:
        assert WIRE_NAMES.get(name, name) in wire, f"column {name} is missing from LocationOut"
        if name not in WIRE_NAMES:
            assert wire[name] == row[name], (
                f"{name}: {wire[name]} on the wire, {row[name]} in the row"
            )
    assert set(wire) - set(LOCATION.names) == READINGS | WORKED_OUT
    for reading in READINGS:
        assert wire[reading] == str | None
        assert reading.removesuffix("_iso") in wire


def test_a_location_answers_with_every_column_of_its_row() -> None:
    answer: dict[str, Any] = location_out(HELD, deadline=HELD.appointed).model_dump()

    for name in LOCATION.names:
        if name in HIDDEN:
            assert name not in answer
        elif name not in WIRE_NAMES:
            assert answer[name] == getattr(HELD, name)
    assert answer["suspended_seconds"] == 7200
    assert answer["since_iso"] == "2025-06-03T10:30:00+07:00"
    assert answer["level_deadline"] == answer["appointed"]
