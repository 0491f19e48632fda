"""A server process takes its startup heap out of the garbage collector's walks once its app has
started (`api.http.app.settle_heap`); an app made without `settle` (the tests' apps, many in one
process) leaves the collector as it was."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from tests.apiworld import demo_database, settings_for


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # the test process keeps collecting everything


@pytest.mark.parametrize("settle", [True, False])
def test_a_server_freezes_its_heap_once_started(
    tmp_path: Path, unfrozen: None, settle: bool
) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    recorded = demo_database(url, tmp_path)
    app = create_app(settings_for(url, tmp_path), clock=recorded.clock, settle=settle)
    assert gc.get_freeze_count() == 0

    with TestClient(app) as http:
        frozen = gc.get_freeze_count()
        assert http.get("/healthz").status_code == 200

    assert (frozen > 0) is settle
