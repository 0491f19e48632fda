"""Several processes starting on one empty PostgreSQL schema at once: each creates the tables,
types and functions it needs, and they must take turns (an advisory lock), or PostgreSQL refuses
the losers ("tuple concurrently updated", a duplicate pg_type row). Threads stand in for the
processes: each opens its own connections, as a server process does."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from ledger.application import Ledger
from ledger.config import LedgerSettings
from ledger.stores.tokens import TokenStore
from ledger.views.projector import Projector

pytestmark = pytest.mark.postgres
STARTERS = 6


def test_servers_starting_together_on_an_empty_schema_all_start(postgres_url: str) -> None:
    ready = threading.Barrier(STARTERS)

    def start(_number: int) -> int:
        ready.wait()  # all at once, as two uvicorn processes launched together
        ledger = Ledger(LedgerSettings(database_url=postgres_url))
        try:
            Projector(ledger).close()
            TokenStore(postgres_url).close()
            return ledger.log_size()
        finally:
            ledger.close()

    with ThreadPoolExecutor(STARTERS) as pool:
        sizes = list(pool.map(start, range(STARTERS)))
    assert sizes == [0] * STARTERS


@pytest.mark.parametrize("attempt", range(3))
def test_read_models_starting_together_on_an_existing_log_all_start(
    postgres_url: str, attempt: int
) -> None:
    Ledger(LedgerSettings(database_url=postgres_url)).close()  # the log's tables exist
    ready = threading.Barrier(STARTERS)

    def start(_number: int) -> int:
        ledger = Ledger(LedgerSettings(database_url=postgres_url))
        try:
            ready.wait()  # the views' tables, all at once
            projector = Projector(ledger)
            try:
                return projector.catch_up()
            finally:
                projector.close()
        finally:
            ledger.close()

    with ThreadPoolExecutor(STARTERS) as pool:
        assert list(pool.map(start, range(STARTERS))) == [0] * STARTERS
