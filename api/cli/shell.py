"""What every command shares: the options, opening the ledger, and failing with the right exit code.

Exit codes: 0 done; 1 refused by the ledger, or something does not verify; 2 usage or input errors
(bad arguments, unreadable key, envelope or bundle files, bad database URL).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import psycopg
import typer
from eventsourcing.persistence import PersistenceError
from rich.console import Console
from rich.markup import escape

from api import bootstrap
from api.settings import CommandSettings
from api.texts import kind_label, word
from domain.errors import DomainError
from domain.instant import format_local
from ledger.application import Ledger
from ledger.clock import Clock
from ledger.config import LedgerSettings
from ledger.errors import BadBundle, BadDatabaseUrl, BadEnvelope, BadKeyFile, LedgerError
from ledger.statements.signing import SigningKey
from ledger.views.timeline import Timeline

INPUT_ERRORS = (BadEnvelope, BadKeyFile, BadDatabaseUrl, BadBundle)
# what opening a database raises when it cannot be opened: the library's, or the drivers' own
CANNOT_OPEN = (PersistenceError, psycopg.Error, sqlite3.Error)

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


@dataclass
class Options:
    settings: LedgerSettings
    lang: str
    url_given: bool  # by --database-url or LIENTHONG_DATABASE_URL
    # what the environment gives the options that stand for a setting (api/settings.py)
    environment: CommandSettings = field(default_factory=CommandSettings)


def emit(text: str, end: str = "\n") -> None:
    """Machine-readable output (keys, notes, JSON) exactly as given: no markup, no wrapping."""
    typer.echo(text + end, nl=False)


def options_of(ctx: typer.Context) -> Options:
    options = ctx.ensure_object(dict)["options"]
    assert isinstance(options, Options)
    return options


class MissingOption(typer.BadParameter):
    """A required option given neither on the command line nor by the setting that stands for
    it: a usage error (exit 2)."""

    def __init__(self, option: str, setting: str) -> None:
        super().__init__(f"give {option}, or set {setting}", param_hint=f"'{option}'")
        self.option, self.setting = option, setting

    def format_message(self) -> str:
        return f"Missing option '{self.option}' (or set {self.setting})."


def given(value: str | None, default: str, option: str, setting: str) -> str:
    """An option's value, else the setting's that stands for it (`default`); MissingOption if
    neither is given."""
    if value:
        return value
    if default:
        return default
    raise MissingOption(option, setting)


@contextmanager
def open_ledger(
    options: Options, *, clock: Clock | None = None, read_only: bool = False
) -> Iterator[Ledger]:
    """Open the ledger (api/bootstrap.py; on a replica, creating nothing); map every refusal to
    its message and exit code, in this one place."""
    ledger: Ledger | None = None
    try:
        try:
            ledger = bootstrap.open_ledger(options.settings, clock=clock, read_only=read_only)
        except CANNOT_OPEN as problem:  # no such schema or database, no server, no access
            raise BadDatabaseUrl(f"cannot open the database: {problem}".strip()) from None
        yield ledger
    except INPUT_ERRORS as problem:
        fail(problem, options.lang, 2)
    except (LedgerError, DomainError) as problem:
        fail(problem, options.lang, 1)
    finally:
        if ledger is not None:
            ledger.close()


def fail(problem: LedgerError | DomainError, lang: str, code: int) -> NoReturn:
    err.print(
        f"[bold red]{word('error', lang)}[/] ({problem.code}) {problem.title(lang)}: {problem}",
        markup=True,
    )
    raise typer.Exit(code)


def refuse(options: Options, message: str, code: int = 2) -> NoReturn:
    """Stop with `message` (already in the user's language); exit 2 for the caller's input."""
    err.print(f"[bold red]{word('error', options.lang)}[/] {escape(message)}")
    raise typer.Exit(code)


def load_key(path: Path, lang: str) -> SigningKey:
    try:
        return SigningKey.load(path)
    except BadKeyFile as problem:
        fail(problem, lang, 2)


def print_hops(view: Timeline, lang: str, suffix: str = "") -> None:
    """The hops (giao – nhận) of a timeline: who handed over, to whom, who received, when."""
    out.print(f"[bold]{word('hops', lang)}[/]")
    for number, hop in enumerate(view.hops, 1):
        sent = hop.dispatch.statement
        line = (
            f"  {number}. {word('handed_over', lang)}: {sent.office} {hop.dispatch.office_name} "
            f"({sent.officer}, {format_local(sent.at)})"
        )
        if hop.outcome is None:
            line += f" → {sent.body['to']}: {word('in_transit', lang)}"
        else:
            got = hop.outcome.statement
            line += (
                f" → {kind_label(got.kind, lang)}: {got.office} {hop.outcome.office_name} "
                f"({got.officer}, {format_local(got.at)})"
            )
        out.print(line + suffix, markup=False)
        missing, extra = hop.differences()
        if missing:
            out.print(f"     {word('missing', lang)}: {', '.join(missing)}", markup=False)
        if extra:
            out.print(f"     {word('extra', lang)}: {', '.join(extra)}", markup=False)
