"""The command line's checks of what names a subject or an instant, shared by every command.

A dossier code, office, officer, key, procedure or level given on the command line passes the one
identifier rule (domain/identifier.py) that the statements and every HTTP route use, or the command
stops before opening the ledger: the refusal (`bad-identifier`) named, exit code 2. An instant lies
in the range domain/instant.py gives, or the same.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer

from api.cli.shell import Options, fail
from domain.errors import BadIdentifier
from domain.identifier import check_identifier
from domain.instant import RANGE, in_range
from ledger.errors import BadEnvelope


def _lang(ctx: typer.Context) -> str:
    found = ctx.find_object(dict)
    options = found.get("options") if found else None
    return options.lang if isinstance(options, Options) else "vi"


def identifier(what: str) -> Callable[[typer.Context, Any], Any]:
    """A typer callback for an argument or option naming `what` (e.g. "dossier code"): the value
    if it passes the identifier rule (or is absent); else the refusal and exit 2."""

    def check(ctx: typer.Context, value: Any) -> Any:
        if value is None or ctx.resilient_parsing:
            return value
        try:
            return check_identifier(value, what)
        except BadIdentifier as problem:
            fail(problem, _lang(ctx), 2)

    return check


def in_instant_range(at: int, option: str, text: str, lang: str) -> int:
    """`at` if it lies in the range the ledger handles; else the refusal naming the option and
    the range, exit 2."""
    if not in_range(at):
        fail(
            BadEnvelope(f"{option} {text!r} is outside the instants this ledger handles: {RANGE}"),
            lang,
            2,
        )
    return at
