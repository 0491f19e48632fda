"""Commands on the read models: where a dossier is (now or at an instant), an office's inbox, rebuild.

lienthong where CODE [--as-of "03/03/2025 10:00"]
lienthong inbox OFFICE
lienthong rebuild
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from api.shell import err, fail, open_ledger, options_of, out
from api.texts import word
from domain.errors import DomainError
from domain.instant import VIETNAM, format_local, from_datetime, local_date
from ledger.application import Ledger
from ledger.errors import BadEnvelope
from ledger.projections import Location, Projector


def register(app: typer.Typer) -> None:
    app.command()(where)
    app.command()(inbox)
    app.command()(rebuild)


def parse_instant(text: str) -> int:
    """ISO 8601 (a naive time is Vietnam time) or dd/mm/yyyy [HH:MM]; ValueError otherwise."""
    text = text.strip()
    for pattern in ("%d/%m/%Y %H:%M", "%d/%m/%Y"):
        try:
            moment = datetime.strptime(text, pattern)
        except ValueError:
            continue
        return from_datetime(moment.replace(tzinfo=VIETNAM))
    moment = datetime.fromisoformat(text)
    return from_datetime(moment if moment.tzinfo else moment.replace(tzinfo=VIETNAM))


def _office_name(ledger: Ledger, office: str | None, at: int) -> str:
    if office is None:
        return ""
    try:
        return f"{office} {ledger.office(office).name_on(local_date(at))}"
    except DomainError:  # an office the registry does not know is still shown by its id
        return office


def describe_location(ledger: Ledger, found: Location, lang: str) -> list[str]:
    at = found.since
    if found.status == "in_transit":
        where_ = (
            f"{word('transit_to', lang)} {_office_name(ledger, found.transit_to, at)} "
            f"({word('handed_over', lang)}: {_office_name(ledger, found.transit_from, at)})"
        )
    elif found.status == "closed":
        where_ = f"{word('closed', lang)} ({_office_name(ledger, found.custodian, at)})"
    else:
        where_ = f"{word('held_by', lang)} {_office_name(ledger, found.custodian, at)}"
        if found.status == "suspended":
            where_ += f" — {word('suspended', lang)}"
    return [
        f"{found.code} — {found.procedure} v{found.version}",
        f"  {word('status', lang)}: {where_}",
        f"  {word('since', lang)}: {format_local(found.since)}",
        f"  {word('appointed', lang)}: {format_local(found.appointed)}",
        f"  {word('hops', lang)}: {found.hops}",
    ]


def where(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="dossier code (mã hồ sơ)")],
    as_of: Annotated[
        str | None,
        typer.Option(help='an instant: "03/03/2025 10:00", or ISO 8601; naive = Vietnam time'),
    ] = None,
) -> None:
    """Where a dossier is now — or was at an instant: who holds it, or between whom it travels."""
    options = options_of(ctx)
    instant = None
    if as_of is not None:
        try:
            instant = parse_instant(as_of)
        except ValueError:
            fail(
                BadEnvelope(f"--as-of {as_of!r} is not a time: use dd/mm/yyyy HH:MM or ISO 8601"),
                options.lang,
                2,
            )
    with open_ledger(options) as ledger:
        projector = Projector(ledger)
        try:
            if instant is None:
                projector.catch_up()
                found = projector.location(code)
                if found is None:
                    ledger.dossier(code)  # raises UnknownDossier
            else:
                found = projector.location_as_of(code, instant)
        finally:
            projector.close()
        if found is None:
            out.print(word("not_yet_received", options.lang, code=code), markup=False)
            return
        for line in describe_location(ledger, found, options.lang):
            out.print(line, markup=False)


def inbox(
    ctx: typer.Context,
    office: Annotated[str, typer.Argument(help="office id (mã cơ quan)")],
) -> None:
    """Dossiers handed over to an office and not yet acknowledged by it, oldest first."""
    options = options_of(ctx)
    with open_ledger(options) as ledger:
        projector = Projector(ledger)
        try:
            projector.catch_up()
            waiting = projector.inbox(office)
        finally:
            projector.close()
        out.print(word("inbox", options.lang, office=office, n=len(waiting)), markup=False)
        for found in waiting:
            out.print(
                f"  {found.code}  {format_local(found.since)}  "
                f"{word('handed_over', options.lang)}: "
                f"{_office_name(ledger, found.transit_from, found.since)}",
                markup=False,
            )


def rebuild(ctx: typer.Context) -> None:
    """Empty the read models and build them again from the whole log."""
    options = options_of(ctx)
    with open_ledger(options) as ledger:
        projector = Projector(ledger)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
        try:
            with Progress(*columns, console=err, transient=True) as bar:
                task = bar.add_task(word("rebuilding", options.lang), total=ledger.log_size())
                applied = projector.rebuild(lambda n: bar.advance(task, n))
        finally:
            projector.close()
        out.print(word("rebuilt", options.lang, n=applied), markup=False)
