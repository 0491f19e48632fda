"""The token store on memory, SQLite and PostgreSQL: tokens made, authenticated, refused, revoked."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.stores.tokens import (
    ROLES,
    BadTokenRequest,
    RecentTokens,
    Token,
    TokenExpired,
    TokenMalformed,
    TokenRefused,
    TokenRevoked,
    TokenStore,
    TokenUnknown,
)

NOW = 1_750_000_000_000_000  # microseconds: 15/06/2025
DAY = 86_400
MICROS = 1_000_000
# role -> (office, officer) a token of that role is made with
FITTING = {
    "officer": ("29266", "cb-29266-vhxh"),
    "inspector": ("84", None),
    "consumer": (None, None),
    "registrar": (None, None),
}


@pytest.fixture
def store(database_url: str) -> Iterator[TokenStore]:
    opened = TokenStore(database_url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def memory_store() -> Iterator[TokenStore]:
    opened = TokenStore("memory:")
    try:
        yield opened
    finally:
        opened.close()


def make(store: TokenStore, role: str = "officer", days: int = 90) -> tuple[Token, str]:
    office, officer = FITTING[role]
    return store.create(
        role, office=office, officer=officer, label="một cửa", now=NOW, valid_seconds=days * DAY
    )


# --- made and authenticated ------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_a_token_of_each_role_authenticates_as_what_it_was_made(
    store: TokenStore, role: str
) -> None:
    token, text = make(store, role)
    office, officer = FITTING[role]
    assert token == Token(
        token.id, role, office, officer, "một cửa", NOW, NOW + 90 * DAY * MICROS, None
    )
    assert store.authenticate(text, NOW + 1) == token
    assert store.get(token.id) == token


def test_token_text_is_lt1_id_and_a_43_character_secret(memory_store: TokenStore) -> None:
    token, text = make(memory_store)
    assert re.fullmatch(rf"lt1_{token.id}_[A-Za-z0-9_-]{{43}}", text)
    assert re.fullmatch(r"[0-9a-f]{8}", token.id)


def test_every_token_is_different(memory_store: TokenStore) -> None:
    made = [make(memory_store) for _ in range(20)]
    assert len({token.id for token, _ in made}) == 20
    assert len({text for _, text in made}) == 20


def test_the_stored_row_holds_the_digest_and_never_the_token_text(store: TokenStore) -> None:
    _, text = make(store)
    secret = text.split("_", 2)[2]
    (row,) = store.database.query("SELECT * FROM lienthong_tokens")
    stored = [bytes(value) if isinstance(value, memoryview) else value for value in row]
    assert hashlib.sha256(text.encode()).digest() in stored
    for value in stored:
        raw = value if isinstance(value, bytes) else str(value).encode()
        assert secret.encode() not in raw  # nor, then, the text that contains it


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_a_token_made_by_one_store_authenticates_in_another_on_the_same_database(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    database_url = (
        f"sqlite:///{tmp_path / 'tokens.db'}"
        if backend == "sqlite"
        else str(request.getfixturevalue("postgres_url"))
    )
    first, second = TokenStore(database_url), TokenStore(database_url)
    try:
        token, text = make(first)
        assert second.authenticate(text, NOW) == token
    finally:
        first.close()
        second.close()


# --- refused ---------------------------------------------------------------------------------


def test_a_token_is_refused_from_its_expiry_on(store: TokenStore) -> None:
    token, text = make(store, days=1)
    assert store.authenticate(text, token.expires_at - 1) == token
    with pytest.raises(TokenExpired, match=f"token {token.id} has expired"):
        store.authenticate(text, token.expires_at)
    with pytest.raises(TokenExpired):
        store.authenticate(text, token.expires_at + 365 * DAY * MICROS)


def test_a_revoked_token_is_refused_before_its_expiry(store: TokenStore) -> None:
    token, text = make(store)
    revoked = store.revoke(token.id, NOW + 5)
    assert revoked.revoked_at == NOW + 5
    with pytest.raises(TokenRevoked, match=f"token {token.id} was revoked"):
        store.authenticate(text, NOW + 6)


def test_revoking_twice_keeps_the_first_revocation(store: TokenStore) -> None:
    token, _ = make(store)
    store.revoke(token.id, NOW + 5)
    assert store.revoke(token.id, NOW + 9).revoked_at == NOW + 5


def test_an_unknown_token_id_is_refused(store: TokenStore) -> None:
    make(store)
    with pytest.raises(TokenUnknown, match="no token 0badc0de"):
        store.authenticate("lt1_0badc0de_" + "A" * 43, NOW)


def test_a_known_id_with_the_wrong_secret_is_refused_as_unknown(store: TokenStore) -> None:
    token, text = make(store)
    forged = text[:-1] + ("B" if text[-1] != "B" else "C")
    with pytest.raises(TokenUnknown, match=f"no token {token.id} with that secret"):
        store.authenticate(forged, NOW)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Bearer lt1_0badc0de_" + "A" * 43,
        "lt2_0badc0de_" + "A" * 43,
        "lt1_0BADC0DE_" + "A" * 43,
        "lt1_0badc0d_" + "A" * 43,
        "lt1_0badc0de_" + "A" * 42,
        "lt1_0badc0de_" + "A" * 44,
        "lt1_0badc0de_" + "A" * 42 + "=",
        "lt1_0badc0de_" + "A" * 43 + "\n",
        "lt1_0badc0de_" + "A" * 42 + "é",
    ],
)
def test_a_malformed_token_is_refused_without_reading_the_database(
    memory_store: TokenStore, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    def no_query(*_args: object) -> None:
        raise AssertionError("a malformed token reached the database")

    monkeypatch.setattr(memory_store.database, "query", no_query)
    with pytest.raises(TokenMalformed, match="a token is lt1_<8 hex digits>_<43 characters>"):
        memory_store.authenticate(text, NOW)


def test_each_refusal_has_its_own_code_and_is_a_token_refusal() -> None:
    refusals = (TokenUnknown, TokenExpired, TokenRevoked, TokenMalformed)
    assert [cls.code for cls in refusals] == [
        "token-unknown",
        "token-expired",
        "token-revoked",
        "token-malformed",
    ]
    for cls in refusals:
        assert issubclass(cls, TokenRefused)
        assert cls.title_vi
        assert cls.title_en


# --- requests that do not fit ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "office", "officer", "message"),
    [
        ("officer", None, "cb-29266-vhxh", "officer tokens need an office"),
        ("officer", "29266", None, "officer tokens need an officer"),
        ("officer", "", "", "officer tokens need an office"),
        ("inspector", None, None, "inspector tokens need an office"),
        ("inspector", "84", "cb-29266-vhxh", "inspector tokens take no officer"),
        ("consumer", "84", None, "consumer tokens take no office"),
        ("consumer", None, "cb-29266-vhxh", "consumer tokens take no officer"),
        ("registrar", "84", None, "registrar tokens take no office"),
        ("registrar", None, "cb-29266-vhxh", "registrar tokens take no officer"),
        (
            "admin",
            None,
            None,
            "unknown role 'admin': the roles are officer, inspector, consumer, registrar",
        ),
    ],
)
def test_a_role_with_the_wrong_office_or_officer_is_refused_naming_what_is_wrong(
    memory_store: TokenStore, role: str, office: str | None, officer: str | None, message: str
) -> None:
    with pytest.raises(BadTokenRequest, match=re.escape(message)):
        memory_store.create(role, office=office, officer=officer, now=NOW, valid_seconds=DAY)
    assert memory_store.list(include_revoked=True) == []


@pytest.mark.parametrize("seconds", [0, -1, 3653 * DAY + 1, 10**15])
def test_a_validity_that_is_not_positive_or_over_ten_years_is_refused(
    memory_store: TokenStore, seconds: int
) -> None:
    with pytest.raises(BadTokenRequest, match=re.escape(f"(ten years), not {seconds} s")):
        memory_store.create("consumer", now=NOW, valid_seconds=seconds)


def test_revoking_an_unknown_id_is_refused(store: TokenStore) -> None:
    with pytest.raises(TokenUnknown, match="no token 0badc0de"):
        store.revoke("0badc0de", NOW)
    with pytest.raises(TokenUnknown):
        store.get("0badc0de")


# --- listed ----------------------------------------------------------------------------------


def test_the_list_leaves_out_revoked_tokens_unless_asked(store: TokenStore) -> None:
    kept, _ = make(store, "consumer")
    gone, _ = make(store, "registrar")
    store.revoke(gone.id, NOW + 1)
    assert store.list() == [kept]
    assert {token.id for token in store.list(include_revoked=True)} == {kept.id, gone.id}


# --- remembered tokens --------------------------------------------------------------------------


class Ticking:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_remembered_token_is_refused_once_revoked_after_its_seconds_pass() -> None:
    store = TokenStore("memory:")
    ticking = Ticking()
    recent = RecentTokens(store, seconds=2.0, monotonic=ticking)
    record, text = store.create("consumer", now=NOW, valid_seconds=3600)
    assert recent.authenticate(text, NOW) == record

    store.revoke(record.id, NOW)
    ticking.now = 1.9
    assert recent.authenticate(text, NOW) == record  # remembered: no query
    ticking.now = 2.0
    with pytest.raises(TokenRevoked):
        recent.authenticate(text, NOW)


def test_a_remembered_token_still_expires_on_time() -> None:
    store = TokenStore("memory:")
    recent = RecentTokens(store, seconds=60.0, monotonic=Ticking())
    record, text = store.create("consumer", now=NOW, valid_seconds=10)
    recent.authenticate(text, NOW)
    with pytest.raises(TokenExpired):
        recent.authenticate(text, record.expires_at)


def test_only_a_token_that_authenticated_is_remembered() -> None:
    store = TokenStore("memory:")
    recent = RecentTokens(store, monotonic=Ticking())
    record, text = store.create("consumer", now=NOW, valid_seconds=10)
    wrong = text[:-1] + ("A" if text[-1] != "A" else "B")
    for _ in range(2):
        with pytest.raises(TokenUnknown):
            recent.authenticate(wrong, NOW)
    assert recent.authenticate(text, NOW) == record
