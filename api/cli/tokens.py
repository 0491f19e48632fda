"""Commands that manage the HTTP API's bearer tokens.

lienthong token create --role ROLE [--office ID] [--officer ID] [--label TEXT] [--days N]
    prints the token text alone on standard output (it is shown this once), a note on stderr
lienthong token list [--all]
lienthong token revoke ID

Exit codes: 0 done; 2 input errors (a role, office or officer that does not fit, an office or
officer the registry does not know, an unknown token id, a bad database URL).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from api import bootstrap
from api.cli.args import identifier
from api.cli.shell import Options, emit, err, fail, open_ledger, options_of, out
from api.texts import word
from domain.errors import DomainError
from domain.instant import format_local
from ledger.application import Ledger
from ledger.clock import SystemClock
from ledger.errors import LedgerError
from ledger.stores.tokens import ROLES, Token, TokenStore, check_request

token_app = typer.Typer(
    help="Mã truy cập cho API / bearer tokens for the HTTP API.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(token_app, name="token")
    token_app.command("create")(create)
    token_app.command("list")(list_tokens)
    token_app.command("revoke")(revoke)


@contextmanager
def _store(options: Options) -> Iterator[TokenStore]:
    """The token store; every refusal of the store (or of the database URL) is an input error."""
    store: TokenStore | None = None
    try:
        store = bootstrap.open_tokens(options.settings.database_url)
        yield store
    except LedgerError as problem:
        fail(problem, options.lang, 2)
    finally:
        if store is not None:
            store.close()


def _check_registry(ledger: Ledger, office: str | None, officer: str | None, now: int) -> None:
    """The office exists; an officer exists and is in that office now. DomainError otherwise."""
    if office:
        ledger.office(office)
    if office and officer:
        ledger.officer(officer).require_in(office, now)


def create(
    ctx: typer.Context,
    role: Annotated[str, typer.Option(help=" | ".join(ROLES))],
    office: Annotated[
        str | None,
        typer.Option(
            help="office id: officer's office, or inspector's subtree root",
            callback=identifier("office"),
        ),
    ] = None,
    officer: Annotated[
        str | None,
        typer.Option(help="officer id (officer tokens)", callback=identifier("officer")),
    ] = None,
    label: Annotated[str, typer.Option(help="what the token is for, to recognise it")] = "",
    days: Annotated[int, typer.Option(help="days the token stays valid")] = 90,
) -> None:
    """Make a token; print it once on standard output, and a note on standard error."""
    options = options_of(ctx)
    lang = options.lang
    with open_ledger(options) as ledger, _store(options) as store:
        check_request(role, office, officer)
        now = ledger.clock.now()
        try:
            _check_registry(ledger, office, officer, now)
        except DomainError as problem:
            fail(problem, lang, 2)
        token, text = store.create(
            role, office=office, officer=officer, label=label, now=now, valid_seconds=days * 86400
        )
    emit(text)
    err.print(
        word(
            "token_created",
            lang,
            id=token.id,
            role=token.role,
            office=token.office or "—",
            expires=format_local(token.expires_at),
        ),
        markup=False,
    )


def list_tokens(
    ctx: typer.Context,
    include_revoked: Annotated[bool, typer.Option("--all", help="revoked tokens too")] = False,
) -> None:
    """The tokens, oldest first: id, role, office, officer, label, expiry, revocation."""
    options = options_of(ctx)
    with _store(options) as store:
        tokens = store.list(include_revoked=include_revoked)
    if not tokens:
        out.print(word("token_none", options.lang), markup=False)
        return
    out.print(_table(tokens, options.lang))


def _table(tokens: list[Token], lang: str) -> Table:
    table = Table(box=box.SIMPLE_HEAD)
    for key in ("token_id", "role", "office", "officer", "label", "expires", "revoked"):
        # ids, roles and times stay on one line; names and labels fold in a narrow terminal
        folds = key in ("office", "officer", "label")
        table.add_column(
            word(key, lang), no_wrap=not folds, overflow="fold" if folds else "ellipsis"
        )
    for token in tokens:
        cells = (
            token.id,
            token.role,
            token.office or "—",
            token.officer or "—",
            token.label,
            format_local(token.expires_at),
            "—" if token.revoked_at is None else format_local(token.revoked_at),
        )
        table.add_row(*(Text(cell) for cell in cells))  # Text: a label is never read as markup
    return table


def revoke(
    ctx: typer.Context,
    token_id: Annotated[str, typer.Argument(metavar="ID", help="the token's id (8 hex digits)")],
) -> None:
    """Revoke a token from now on; it no longer authenticates."""
    options = options_of(ctx)
    with _store(options) as store:
        token = store.revoke(token_id, SystemClock().now())
    assert token.revoked_at is not None
    out.print(
        word("token_revoked", options.lang, id=token.id, at=format_local(token.revoked_at)),
        markup=False,
    )
