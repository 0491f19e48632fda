"""The suite's templates (tests/templates.py) give each test the database recording would have made.

A test that gets a copy of the world or the demo must read exactly what it would have read had
it recorded them itself: the same log rows, Merkle root and checkpoints, the same views; its copy
is its own (what it records reaches neither the template nor the next test's copy); and a
database a test prepared itself is never written over.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from ledger.application import Ledger
from ledger.config import LedgerSettings
from ledger.views.projector import Projector
from tests.apiworld import app_tables, record_demo
from tests.conftest import (
    POSTGRES_URL,
    _postgres_or_skip,
    ledger_tables,
    record_world,
    reopen_world,
)
from tests.templates import Templates, backend
from tests.world import World

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture
def databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], str]]:
    """Fresh databases of the test's backend, as many as it asks for: SQLite files to be, or
    empty PostgreSQL schemas (dropped afterwards)."""
    kind = request.param
    made: list[str] = []
    if kind == "postgres":
        _postgres_or_skip()

    def fresh() -> str:
        name = f"t_{uuid.uuid4().hex[:12]}"
        if kind == "sqlite":
            (tmp_path / name).mkdir()
            return f"sqlite:///{tmp_path / name / 'ledger.db'}"
        with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
            connection.execute(f'CREATE SCHEMA "{name}"')
        made.append(name)
        return f"{POSTGRES_URL}?schema={name}"

    yield fresh
    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        for name in made:
            connection.execute(f'DROP SCHEMA "{name}" CASCADE')


@pytest.fixture
def templates() -> Iterator[Templates]:
    """Templates of the test's own, not the session's: recorded here, removed afterwards."""
    own = Templates()
    yield own
    own.close()


def directory_of(url: str, tmp_path: Path) -> Path:
    if backend(url) == "sqlite":
        return Path(url.removeprefix("sqlite:///")).parent
    place = tmp_path / url.rsplit("=", 1)[1]
    place.mkdir(exist_ok=True)
    return place


def log_of(url: str) -> dict[str, Any]:
    """What a test could read of the log: every row in order, the root, the checkpoints."""
    ledger = Ledger(LedgerSettings(database_url=url))
    try:
        size = ledger.log_size()
        rows = [
            (n.id, n.originator_id, n.originator_version, n.topic, bytes(n.state))
            for n in ledger.recorder.select_notifications(1, size + 1)
        ]
        checkpoints = ledger.logstore.checkpoints(0, size + 1)
        return {"size": size, "root": ledger.root(), "rows": rows, "checkpoints": checkpoints}
    finally:
        ledger.close()


def views_of(url: str) -> dict[str, Any]:
    ledger = Ledger(LedgerSettings(database_url=url))
    projector = Projector(ledger)
    try:
        return {"position": projector.position(), "rows": projector.dump()}
    finally:
        projector.close()
        ledger.close()


@pytest.mark.parametrize("databases", BACKENDS, indirect=True)
def test_a_world_copied_from_the_template_is_the_world_recorded_afresh(
    databases: Callable[[], str], templates: Templates, tmp_path: Path
) -> None:
    afresh, copied = databases(), databases()
    record_world(afresh, tmp_path)

    state = templates.restore("world", copied, tmp_path, record_world, ledger_tables)

    assert isinstance(state, World)
    template = templates.made("world", copied)
    assert template is not None
    assert log_of(copied) == log_of(template.url) == log_of(afresh)
    assert log_of(copied)["size"] > 10


@pytest.mark.parametrize("databases", BACKENDS, indirect=True)
def test_the_demo_copied_from_the_template_is_the_demo_recorded_afresh(
    databases: Callable[[], str], templates: Templates, tmp_path: Path
) -> None:
    afresh, copied = databases(), databases()
    recorded = record_demo(afresh, directory_of(afresh, tmp_path))

    state = templates.restore(
        "demo", copied, directory_of(copied, tmp_path), record_demo, app_tables
    )

    assert state is not None
    assert (state.clock.now(), state.dossiers) == (recorded.clock.now(), recorded.dossiers)
    assert state.officers.keys() == recorded.officers.keys()
    template = templates.made("demo", copied)
    assert template is not None
    log = log_of(copied)
    assert log == log_of(template.url)  # byte for byte, checkpoints included
    assert log["checkpoints"]
    assert views_of(copied) == views_of(template.url) == views_of(afresh)
    assert views_of(copied)["position"] == log["size"]
    # recorded again, the statements and the tree are the same; the checkpoints may not be: the
    # server's writer issues one when idle, whenever its thread runs
    assert {key: log_of(afresh)[key] for key in ("size", "root", "rows")} == {
        key: log[key] for key in ("size", "root", "rows")
    }


@pytest.mark.parametrize("databases", BACKENDS, indirect=True)
def test_each_copy_is_private_to_its_test(
    databases: Callable[[], str], templates: Templates, tmp_path: Path
) -> None:
    first, second = databases(), databases()
    recorded = templates.restore("world", first, tmp_path, record_world, ledger_tables)
    assert recorded is not None
    size = log_of(first)["size"]
    world = reopen_world(recorded, first)
    try:
        world.receive()
    finally:
        world.ledger.close()
    assert log_of(first)["size"] == size + 1

    templates.restore("world", second, tmp_path, record_world, ledger_tables)

    assert log_of(second)["size"] == size
    assert log_of(second)["root"] != log_of(first)["root"]


@pytest.mark.parametrize("databases", BACKENDS, indirect=True)
def test_a_database_the_test_prepared_itself_takes_no_template(
    databases: Callable[[], str], templates: Templates, tmp_path: Path
) -> None:
    url = databases()
    if backend(url) == "sqlite":
        with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
            connection.execute("CREATE TABLE left_by_a_crash (x INTEGER)")
        connection.close()
    else:
        schema = url.rsplit("=", 1)[1]
        with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
            connection.execute(f'CREATE TABLE "{schema}".left_by_a_crash (x INTEGER)')

    assert templates.restore("world", url, tmp_path, record_world, ledger_tables) is None
    assert tables_of(url) == ["left_by_a_crash"]


def test_memory_takes_no_template(templates: Templates, tmp_path: Path) -> None:
    assert templates.restore("world", "memory:", tmp_path, record_world, ledger_tables) is None


def tables_of(url: str) -> list[str]:
    if backend(url) == "sqlite":
        with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
            rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            names = sorted(row[0] for row in rows)
        connection.close()
        return names
    schema = url.rsplit("=", 1)[1]
    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY 1", (schema,)
        ).fetchall()
    return [row[0] for row in rows]
