"""`lienthong token` end to end on the demo database: create, list, revoke, and the refusals.

Demo registry used: officer cb-29266-vhxh worked in office 29266 (Thị trấn Càng Long) until the
reform of 1/7/2025 and in office 29266/2025 from then on; 84 is the province's department.
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner, Result

from api.cli.main import app
from ledger.clock import SystemClock
from ledger.stores.tokens import TokenExpired, TokenRevoked, TokenStore

runner = CliRunner()
OFFICE = "29266/2025"
OFFICER = "cb-29266-vhxh"
DAY_US = 86_400 * 1_000_000


def run(db: str, *args: str) -> Result:
    return runner.invoke(app, ["--database-url", db, "--lang", "en", *args])


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    db = f"sqlite:///{tmp_path_factory.mktemp('tokens') / 'demo.db'}"
    result = run(db, "demo", "--show", "0")
    assert result.exit_code == 0, result.output
    return db


def create(db: str, *args: str) -> str:
    """The token text `token create` prints, alone, on standard output."""
    result = run(db, "token", "create", *args)
    assert result.exit_code == 0, result.output
    text = result.stdout.strip()
    assert result.stdout == text + "\n"
    return text


def test_an_officer_token_for_a_demo_officer_authenticates(demo_db: str) -> None:
    args = ["--role", "officer", "--office", OFFICE, "--officer", OFFICER, "--label", "một cửa"]
    result = run(demo_db, "token", "create", *args, "--days", "30")
    assert result.exit_code == 0, result.output
    text = result.stdout.strip()
    store = TokenStore(demo_db)
    try:
        token = store.authenticate(text, SystemClock().now())
        assert (token.role, token.office, token.officer, token.label) == (
            "officer",
            OFFICE,
            OFFICER,
            "một cửa",
        )
        assert token.expires_at - token.created_at == 30 * DAY_US
        with pytest.raises(TokenExpired):
            store.authenticate(text, token.expires_at)
    finally:
        store.close()
    assert f"Token {token.id} created: role officer, office {OFFICE}, expires " in result.stderr
    assert text not in result.stderr


def test_tokens_last_ninety_days_unless_told(demo_db: str) -> None:
    text = create(demo_db, "--role", "consumer")
    store = TokenStore(demo_db)
    try:
        token = store.authenticate(text, SystemClock().now())
    finally:
        store.close()
    assert token.expires_at - token.created_at == 90 * DAY_US


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "inspector", "--office", "99999"], "(unknown-office) Unknown office"),
        (
            ["--role", "officer", "--office", OFFICE, "--officer", "cb-nobody"],
            "(unknown-officer) Unknown officer",
        ),
        (
            ["--role", "officer", "--office", "29266", "--officer", OFFICER],
            f"officer {OFFICER} was in office {OFFICE} at ",
        ),
        (
            ["--role", "officer", "--office", "84", "--officer", OFFICER],
            "(officer-not-in-office)",
        ),
        (["--role", "admin"], "unknown role 'admin': the roles are officer, inspector"),
        (["--role", "consumer", "--office", "84"], "consumer tokens take no office"),
        (["--role", "registrar", "--days", "0"], "(ten years), not 0 s"),
    ],
)
def test_a_token_that_does_not_fit_the_registry_or_its_role_is_refused(
    demo_db: str, args: list[str], message: str
) -> None:
    result = run(demo_db, "token", "create", *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert result.stdout == ""


def test_the_list_shows_a_new_token_and_a_revoked_one_only_with_all(demo_db: str) -> None:
    text = create(demo_db, "--role", "inspector", "--office", "84", "--label", "thanh tra")
    token_id = text.split("_")[1]
    listed = run(demo_db, "token", "list")
    assert listed.exit_code == 0, listed.output
    assert token_id in listed.stdout
    assert "inspector" in listed.stdout

    revoked = run(demo_db, "token", "revoke", token_id)
    assert revoked.exit_code == 0, revoked.output
    assert f"Token {token_id} revoked from " in revoked.stdout
    assert token_id not in run(demo_db, "token", "list").stdout
    assert token_id in run(demo_db, "token", "list", "--all").stdout


def test_a_revoked_token_no_longer_authenticates(demo_db: str) -> None:
    text = create(demo_db, "--role", "registrar")
    assert run(demo_db, "token", "revoke", text.split("_")[1]).exit_code == 0
    store = TokenStore(demo_db)
    try:
        with pytest.raises(TokenRevoked):
            store.authenticate(text, SystemClock().now())
    finally:
        store.close()


def test_revoking_an_unknown_token_is_refused(demo_db: str) -> None:
    result = run(demo_db, "token", "revoke", "0badc0de")
    assert result.exit_code == 2
    assert "(token-unknown) Unknown token: no token 0badc0de" in result.stderr


def test_words_are_vietnamese_unless_told(demo_db: str) -> None:
    result = runner.invoke(app, ["--database-url", demo_db, "token", "revoke", "0badc0de"])
    assert "Lỗi (token-unknown) Mã truy cập không tồn tại" in result.stderr
