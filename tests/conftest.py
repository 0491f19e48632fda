"""Fixtures: one application-level suite, run unchanged on memory, SQLite and PostgreSQL.

PostgreSQL is the server named by LIENTHONG_TEST_POSTGRES_URL (default: postgres on 127.0.0.1,
database test). Each test gets a schema of its own, dropped afterwards. Without a server the
PostgreSQL tests skip with the reason, except in CI (CI=true), where they fail instead.

The tiers, as markers (pyproject.toml declares them): `unit` for tests/unit/ (no storage),
`memory`, `sqlite` and `postgres` for the three runs of a test over `database_url` (`postgres`
also for any test that needs the server), `browser` for tests that drive Chromium through
tests/browser.py, `fuzz` for the parsers' fuzzing. `pytest -m unit` runs in seconds.

A `world` on SQLite or PostgreSQL is a copy of one recorded once per session (tests/templates.py):
the same rows, in a database of the test's own.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest

from ledger.application import Ledger
from ledger.clock import SimulatedClock
from ledger.config import LedgerSettings
from tests.templates import TEMPLATES
from tests.world import World

POSTGRES_URL = os.environ.get(
    "LIENTHONG_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
BACKENDS = [
    pytest.param("memory", marks=pytest.mark.memory),
    pytest.param("sqlite", marks=pytest.mark.sqlite),
    pytest.param("postgres", marks=pytest.mark.postgres),
]
UNIT = Path(__file__).parent / "unit"
BROWSER = "tests.browser"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tiers no test needs to declare: `unit` for tests/unit/, `browser` for the tests of
    a module that uses tests/browser.py (it drives Chromium)."""
    browser_modules: dict[object, bool] = {}
    for item in items:
        if item.path.is_relative_to(UNIT):
            item.add_marker(pytest.mark.unit)
        module = getattr(item, "module", None)
        if module is None:
            continue
        if module not in browser_modules:
            browser_modules[module] = any(
                getattr(value, "__module__", getattr(value, "__name__", None)) == BROWSER
                for value in vars(module).values()
            )
        if browser_modules[module]:
            item.add_marker(pytest.mark.browser)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """`-m unit` alone selects tests/unit/ only: no need to import the rest of the suite (the
    server, the browser) to deselect it, which took longer than the tier runs."""
    if config.option.markexpr.strip() != "unit" or collection_path.is_relative_to(UNIT):
        return None
    return collection_path.is_file() or None


def pytest_sessionfinish() -> None:
    TEMPLATES.close()


def _postgres_or_skip() -> None:
    try:
        psycopg.connect(POSTGRES_URL, connect_timeout=3).close()
    except psycopg.OperationalError as problem:
        if os.environ.get("CI") == "true":
            pytest.fail(
                f"PostgreSQL is required in CI and is not reachable at {POSTGRES_URL}: {problem}"
            )
        pytest.skip(
            f"no PostgreSQL server at {POSTGRES_URL} ({problem}); set "
            f"LIENTHONG_TEST_POSTGRES_URL to run these tests"
        )


@contextmanager
def fresh_schema() -> Iterator[str]:
    """A URL to a fresh, empty schema of the test PostgreSQL database, dropped on leaving (for
    fixtures of any scope)."""
    _postgres_or_skip()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{POSTGRES_URL}?schema={schema}"
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL to a fresh, empty schema of the test PostgreSQL database."""
    with fresh_schema() as url:
        yield url


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "memory":
        return "memory:"
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    """A ledger with an authority, a commune → district → province tree, officers and a procedure."""
    recorded = TEMPLATES.restore("world", database_url, tmp_path, record_world, ledger_tables)
    built = World.build(database_url) if recorded is None else reopen_world(recorded, database_url)
    try:
        yield built
    finally:
        built.ledger.close()


def record_world(url: str, _directory: Path) -> World:
    recorded = World.build(url)
    recorded.ledger.close()
    return recorded


def ledger_tables(url: str, _directory: Path) -> None:
    Ledger(LedgerSettings(database_url=url)).close()


def reopen_world(recorded: World, url: str) -> World:
    """The world `World.build` made, on a copy of its database: the same clock reading, and the
    same signers, signing into the copy."""
    clock = SimulatedClock(recorded.clock.now())
    ledger = Ledger(LedgerSettings(database_url=url), clock=clock)
    return World(
        ledger,
        clock,
        replace(recorded.authority, ledger=ledger),
        {office: replace(signer, ledger=ledger) for office, signer in recorded.officers.items()},
    )
