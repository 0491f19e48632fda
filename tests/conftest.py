"""Fixtures: one application-level suite, run unchanged on memory, SQLite and PostgreSQL.

PostgreSQL is the server named by LIENTHONG_TEST_POSTGRES_URL (default: postgres on 127.0.0.1,
database test). Each test gets a schema of its own, dropped afterwards. Without a server the
PostgreSQL tests skip with the reason, except in CI (CI=true), where they fail instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.world import World

POSTGRES_URL = os.environ.get(
    "LIENTHONG_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
BACKENDS = ["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


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


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL to a fresh, empty schema of the test PostgreSQL database."""
    _postgres_or_skip()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{POSTGRES_URL}?schema={schema}"
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "memory":
        return "memory:"
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    """A ledger with an authority, a commune → district → province tree, officers and a procedure."""
    built = World.build(database_url)
    try:
        yield built
    finally:
        built.ledger.close()
