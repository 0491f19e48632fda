"""A dossier's own record, rendered: its timeline, hop by hop, every signature checked.

lienthong history CODE      every statement, the officers on both sides, the hops; exit 1 if a
                            signature does not verify

Exit codes: 0 done; 1 an unknown dossier, or a signature that does not verify; 2 input errors.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from api.cli.args import identifier
from api.cli.shell import open_ledger, options_of, out, print_hops
from api.texts import kind_label, word
from domain.instant import format_local
from ledger.application import Ledger
from ledger.views.timeline import Timeline, describe, timeline


def history(
    ctx: typer.Context,
    code: Annotated[
        str, typer.Argument(help="dossier code (mã hồ sơ)", callback=identifier("dossier code"))
    ],
) -> None:
    """A dossier's timeline: every hop, the officers on both sides, times, signatures."""
    options = options_of(ctx)
    with open_ledger(options) as ledger:
        view = timeline(ledger, code)
        render_timeline(view, ledger, options.lang)
        if not view.all_verified:
            raise typer.Exit(1)


def render_timeline(view: Timeline, ledger: Ledger, lang: str) -> None:
    dossier = ledger.dossier(view.code)
    if dossier.closed:
        status = f"{word('closed', lang)} ({kind_label('dossier.' + dossier.closed, lang)})"
    elif dossier.transit:
        status = f"{word('transit_to', lang)} {dossier.transit.addressee}"
    else:
        status = f"{word('held_by', lang)} {dossier.custodian}"
    out.print(
        f"\n[bold]{escape(view.code)}[/] — {escape(dossier.procedure)} v{dossier.procedure_version} "
        f"— {word('status', lang)}: {escape(status)}"
    )
    for step in view.steps:
        statement = step.statement
        mark = "[green]✓[/]" if step.verified else "[bold red]✗[/]"
        signature = word("valid" if step.verified else "invalid", lang)
        out.print(
            f"{statement.seq:>3}  {format_local(statement.at)}  "
            f"[bold]{kind_label(statement.kind, lang)}[/]  {mark} {word('signature', lang)} "
            f"{signature}"
        )
        out.print(
            f"     {word('office', lang)}: {statement.office} {step.office_name} — "
            f"{word('officer', lang)}: {statement.officer} ({step.officer_title})",
            markup=False,
        )
        out.print(f"     {describe(statement)}", markup=False)
        if step.problem:
            out.print(f"     {step.problem}", markup=False)
    print_hops(view, lang)
    out.print(word("all_verified" if view.all_verified else "not_all_verified", lang))
