"""The unit tier: the domain's aggregates, the calendar, instants, identifiers, the statement
format and the Merkle maths, driven directly. No ledger, no database, no server: a test here that
asks for one is in the wrong tier and fails saying so."""

from __future__ import annotations

import pytest


def _refuse(request: pytest.FixtureRequest) -> None:
    pytest.fail(
        f"{request.node.nodeid} asks for {request.fixturename}: tests/unit/ uses no storage; "
        f"move the test out of the unit tier"
    )


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> None:
    _refuse(request)


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest) -> None:
    _refuse(request)


@pytest.fixture
def world(request: pytest.FixtureRequest) -> None:
    _refuse(request)
