"""The read models on the command line: where a dossier is (now or at an instant), an office's
inbox, keeping the views current; and what the commands on them share — the instants they take,
the inspector they open, the offices and working time they print.

lienthong where CODE [--as-of "03/03/2025 10:00"]
lienthong inbox OFFICE
lienthong rebuild
lienthong project [--follow]

The stall list and the office report are in api/cli/oversight.py, a dossier's control slip in
api/cli/dossier.py.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from api import bootstrap
from api.cli.args import identifier, in_instant_range
from api.cli.shell import err, fail, open_ledger, options_of, out
from api.texts import days_left_text, word
from domain.errors import DomainError
from domain.instant import VIETNAM, format_local, from_datetime, local_date
from ledger.application import Ledger
from ledger.errors import BadEnvelope
from ledger.reference.calendar import load_calendar
from ledger.views.durations import WorkingDays, days_left
from ledger.views.projector import Location
from ledger.views.sla import Inspector


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


def instant_option(text: str | None, lang: str, option: str) -> int | None:
    """The instant an option names, or None; exit 2 naming the option if it names none, or
    one outside the range the ledger handles."""
    if text is None:
        return None
    try:
        at = parse_instant(text)
    except (ValueError, OverflowError):
        fail(
            BadEnvelope(f"{option} {text!r} is not a time: use dd/mm/yyyy [HH:MM] or ISO 8601"),
            lang,
            2,
        )
    return in_instant_range(at, option, text, lang)


@contextmanager
def open_inspector(ledger: Ledger, hours: float = 8) -> Iterator[Inspector]:
    """The inspector on read models caught up with the log; `hours`: working hours before an
    unacknowledged handover is a stall."""
    projector = bootstrap.open_projector(ledger)
    try:
        projector.catch_up()
        yield bootstrap.open_inspector(ledger, projector, unacknowledged_hours=hours)
    finally:
        projector.close()


def office_name(ledger: Ledger, office: str | None, at: int) -> str:
    """An office's id and its name on the day of `at`; the id alone if the registry does not
    know it; empty for no office."""
    if office is None:
        return ""
    try:
        return f"{office} {ledger.office(office).name_on(local_date(at))}"
    except DomainError:  # an office the registry does not know is still shown by its id
        return office


def left_in_words(calendar: WorkingDays, now: int, until: int, lang: str) -> str:
    """The working days from `now` to `until` as a deadline counts them, in words, as every page
    and the slip say it (api/texts.py): "còn 3 ngày làm việc", "quá hạn 2 ngày làm việc"."""
    return days_left_text(days_left(calendar, now, until), lang)


def describe_location(
    ledger: Ledger,
    found: Location,
    lang: str,
    deadline: int | None = None,
    left: Callable[[int], str] | None = None,
) -> list[str]:
    """Where a dossier is, a line each; `left(until)` the days left to a date in words, said
    beside the appointed date and the holding level's deadline while the dossier is open."""
    at = found.since
    open_ = left is not None and found.status != "closed"

    def date_of(until: int) -> str:
        text = format_local(until)
        return f"{text} ({left(until)})" if open_ and left is not None else text

    if found.status == "in_transit":
        where_ = (
            f"{word('transit_to', lang)} {office_name(ledger, found.transit_to, at)} "
            f"({word('handed_over', lang)}: {office_name(ledger, found.transit_from, at)})"
        )
    elif found.status == "closed":
        where_ = f"{word('closed', lang)} ({office_name(ledger, found.custodian, at)})"
    else:
        where_ = f"{word('held_by', lang)} {office_name(ledger, found.custodian, at)}"
        if found.status == "suspended":
            where_ += f" — {word('suspended', lang)}"
    return [
        f"{found.code} — {found.procedure} v{found.version}",
        f"  {word('status', lang)}: {where_}",
        f"  {word('since', lang)}: {format_local(found.since)}",
        f"  {word('appointed', lang)}: {date_of(found.appointed)}",
        *(
            [f"  {word('level_deadline', lang)}: {date_of(deadline)}"]
            if deadline is not None
            else []
        ),
        f"  {word('hops', lang)}: {found.hops}",
    ]


def where(
    ctx: typer.Context,
    code: Annotated[
        str, typer.Argument(help="dossier code (mã hồ sơ)", callback=identifier("dossier code"))
    ],
    as_of: Annotated[
        str | None,
        typer.Option(help='an instant: "03/03/2025 10:00", or ISO 8601; naive = Vietnam time'),
    ] = None,
) -> None:
    """Where a dossier is now — or was at an instant: who holds it, or between whom it travels."""
    options = options_of(ctx)
    instant = instant_option(as_of, options.lang, "--as-of")
    with open_ledger(options) as ledger, open_inspector(ledger) as inspector:
        then = None if instant is None else inspector.projector.as_of(code, instant)
        if instant is None:
            found = inspector.projector.location(code)
            if found is None:
                ledger.dossier(code)  # raises UnknownDossier
        else:
            found = None if then is None else then.location
        if found is None:
            out.print(word("not_yet_received", options.lang, code=code), markup=False)
            return
        at = instant if instant is not None else ledger.clock.now()
        # as of a past instant, the turn's deadline from the hops and supplement windows then
        deadline = inspector.level_deadline(
            found,
            at,
            legs=None if then is None else then.legs,
            spans=None if then is None else then.spans,
        )

        def left(until: int) -> str:
            return left_in_words(load_calendar(), at, until, options.lang)

        for line in describe_location(ledger, found, options.lang, deadline, left):
            out.print(line, markup=False)


def inbox(
    ctx: typer.Context,
    office: Annotated[
        str, typer.Argument(help="office id (mã cơ quan)", callback=identifier("office id"))
    ],
) -> None:
    """Dossiers handed over to an office, or to an office that has ended and whose dossiers
    passed to it, and not yet acknowledged, oldest first."""
    options = options_of(ctx)
    with open_ledger(options) as ledger, open_inspector(ledger) as inspector:
        waiting = inspector.inbox(office, ledger.clock.now())
        out.print(word("inbox", options.lang, office=office, n=len(waiting)), markup=False)
        for found in waiting:
            out.print(
                f"  {found.code}  {format_local(found.since)}  "
                f"{word('handed_over', options.lang)}: "
                f"{office_name(ledger, found.transit_from, found.since)}",
                markup=False,
            )


def rebuild(ctx: typer.Context) -> None:
    """Empty the read models and build them again from the whole log."""
    options = options_of(ctx)
    with open_ledger(options) as ledger:
        projector = bootstrap.open_projector(ledger)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
        try:
            with Progress(*columns, console=err, transient=True) as bar:
                task = bar.add_task(word("rebuilding", options.lang), total=ledger.log_size())
                applied = projector.rebuild(lambda n: bar.advance(task, n))
        finally:
            projector.close()
        out.print(word("rebuilt", options.lang, n=applied), markup=False)


def project(
    ctx: typer.Context,
    follow: Annotated[
        bool, typer.Option(help="keep the read models current until interrupted (Ctrl-C)")
    ] = False,
    poll_seconds: Annotated[
        float,
        typer.Option(
            min=0.01,
            help="how often to look for new entries (SQLite; PostgreSQL also listens)",
        ),
    ] = 0.5,
) -> None:
    """Bring the read models up to date with the log (the projection worker). With --follow it
    keeps them current: PostgreSQL wakes it through LISTEN/NOTIFY, SQLite is polled."""
    options = options_of(ctx)
    with open_ledger(options) as ledger:
        projector = bootstrap.open_projector(ledger)
        try:
            applied = projector.catch_up()
            out.print(word("projected", options.lang, n=applied, at=projector.position()))
            if follow:
                stop = threading.Event()
                try:
                    projector.follow(stop, poll_seconds)
                except KeyboardInterrupt:
                    stop.set()
                out.print(word("projected", options.lang, n=0, at=projector.position()))
        finally:
            projector.close()
