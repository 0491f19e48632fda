"""What a round of stamping says when something fails that is neither a TSA's refusal nor a bad
token (ledger/timestamping.py stamp_recorded): each failure is labelled by what failed, the TSA
client or the store, and left for the next catch-up."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest

from ledger.stores.timestamps import TimestampStore
from ledger.timestamping import TimestampClient, stamp_recorded
from tests.pki import Hierarchy
from tests.tsa import LocalTSA, running

SIGNATURE = hashlib.sha256(b"a statement's signature").digest() * 2


@pytest.fixture
def tsa() -> Iterator[LocalTSA]:
    with running(LocalTSA.of(Hierarchy.build())) as served:
        yield served


def test_an_unexpected_client_failure_is_labelled_tsa_not_store(
    tsa: LocalTSA, caplog: pytest.LogCaptureFixture
) -> None:
    store = TimestampStore("memory:")
    client = TimestampClient(tsa.url, 5.0, tsa.roots)
    client.close()  # its HTTP client now raises RuntimeError: no TimestampUnavailable
    result = stamp_recorded(store, client, [(bytes(32), SIGNATURE)], now=7)
    assert result.stamped == 0
    assert [(digest, why.split(":")[0]) for digest, why in result.failed] == [(bytes(32), "tsa")]
    assert "asking the TSA failed" in caplog.text
    assert store.get(bytes(32)) is None
    assert tsa.requests == 0
