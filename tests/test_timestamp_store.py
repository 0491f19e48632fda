"""The side store of timestamp tokens (ledger/stores/timestamps.py), on memory, SQLite and
PostgreSQL: a statement's token is kept once, the first one stays, and many are read at once."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from ledger.stores.timestamps import CHUNK, Timestamp, TimestampStore


def digest(n: int) -> bytes:
    return hashlib.sha256(f"statement {n}".encode()).digest()


def test_a_token_is_kept_and_read_back(database_url: str) -> None:
    store = TimestampStore(database_url)
    try:
        assert store.get(digest(1)) is None
        assert store.put(digest(1), b"\x30token", 1_740_963_605_000_000, 1_740_963_606_000_000)
        assert store.get(digest(1)) == Timestamp(
            digest(1), b"\x30token", 1_740_963_605_000_000, 1_740_963_606_000_000
        )
        assert store.get(digest(2)) is None
        assert store.count() == 1
    finally:
        store.close()


def test_the_first_token_stays(database_url: str) -> None:
    store = TimestampStore(database_url)
    try:
        assert store.put(digest(1), b"first", 1, 2)
        assert not store.put(digest(1), b"second", 3, 4)
        kept = store.get(digest(1))
        assert kept is not None
        assert (kept.token, kept.gen_time, kept.recorded_at) == (b"first", 1, 2)
    finally:
        store.close()


def test_many_are_read_at_once_past_a_query_of_placeholders(database_url: str) -> None:
    store = TimestampStore(database_url)
    try:
        kept = range(0, CHUNK * 2 + 10, 2)  # every other one, over more than two chunks
        for n in kept:
            store.put(digest(n), f"token {n}".encode(), n, n + 1)
        asked = [digest(n) for n in range(CHUNK * 2 + 10)]
        found = store.get_many([*asked, digest(0)])  # a digest twice is asked for once
        assert set(found) == {digest(n) for n in kept}
        assert found[digest(4)] == Timestamp(digest(4), b"token 4", 4, 5)
        assert store.get_many([]) == {}
    finally:
        store.close()


def test_a_digest_is_a_statement_hash(database_url: str) -> None:
    store = TimestampStore(database_url)
    try:
        with pytest.raises(ValueError, match="32 bytes"):
            store.put(b"short", b"token", 1, 2)
        assert store.count() == 0
    finally:
        store.close()


@pytest.mark.parametrize(
    "backend",
    [
        pytest.param("sqlite", marks=pytest.mark.sqlite),
        pytest.param("postgres", marks=pytest.mark.postgres),
    ],
)
def test_two_stores_on_one_database_share_the_tokens(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Two server processes stamping the same statement: the second put keeps nothing."""
    url = (
        f"sqlite:///{tmp_path / 'ledger.db'}"
        if backend == "sqlite"
        else str(request.getfixturevalue("postgres_url"))
    )
    one, two = TimestampStore(url), TimestampStore(url)
    try:
        assert one.put(digest(1), b"one's", 1, 2)
        assert not two.put(digest(1), b"two's", 3, 4)
        kept = two.get(digest(1))
        assert kept is not None
        assert kept.token == b"one's"
    finally:
        one.close()
        two.close()
