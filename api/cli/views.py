"""Commands on the read models: where a dossier is (now or at an instant), an office's inbox, rebuild.

lienthong where CODE [--as-of "03/03/2025 10:00"]
lienthong inbox OFFICE
lienthong rebuild
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from jinja2 import Environment, PackageLoader, select_autoescape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from api import bootstrap
from api.cli.args import identifier, in_instant_range
from api.cli.shell import err, fail, open_ledger, options_of, out
from api.texts import word
from domain.errors import DomainError
from domain.instant import VIETNAM, format_local, from_datetime, local_date
from ledger.application import Ledger
from ledger.errors import BadEnvelope
from ledger.views.projector import Location
from ledger.views.sla import (
    RULES,
    WORKING_DAY_SECONDS,
    ControlSlip,
    Inspector,
    SlipBlock,
    office_report,
)


def register(app: typer.Typer) -> None:
    app.command()(where)
    app.command()(inbox)
    app.command()(stalls)
    app.command()(report)
    app.command()(slip)
    app.command()(rebuild)
    app.command()(project)


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


def describe_location(
    ledger: Ledger, found: Location, lang: str, deadline: int | None = None
) -> list[str]:
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
        *(
            [f"  {word('level_deadline', lang)}: {format_local(deadline)}"]
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
    instant = _instant(as_of, options.lang, "--as-of")
    with open_ledger(options) as ledger, _inspector(ledger) as inspector:
        if instant is None:
            found = inspector.projector.location(code)
            if found is None:
                ledger.dossier(code)  # raises UnknownDossier
        else:
            found = inspector.projector.location_as_of(code, instant)
        if found is None:
            out.print(word("not_yet_received", options.lang, code=code), markup=False)
            return
        at = instant if instant is not None else ledger.clock.now()
        deadline = inspector.level_deadline(found, at)
        for line in describe_location(ledger, found, options.lang, deadline):
            out.print(line, markup=False)


def inbox(
    ctx: typer.Context,
    office: Annotated[
        str, typer.Argument(help="office id (mã cơ quan)", callback=identifier("office id"))
    ],
) -> None:
    """Dossiers handed over to an office and not yet acknowledged by it, oldest first."""
    options = options_of(ctx)
    with open_ledger(options) as ledger:
        projector = bootstrap.open_projector(ledger)
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
        projector = bootstrap.open_projector(ledger)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
        try:
            with Progress(*columns, console=err, transient=True) as bar:
                task = bar.add_task(word("rebuilding", options.lang), total=ledger.log_size())
                applied = projector.rebuild(lambda n: bar.advance(task, n))
        finally:
            projector.close()
        out.print(word("rebuilt", options.lang, n=applied), markup=False)


def _instant(text: str | None, lang: str, option: str) -> int | None:
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
def _inspector(ledger: Ledger, hours: float = 8) -> Iterator[Inspector]:
    projector = bootstrap.open_projector(ledger)
    try:
        projector.catch_up()
        yield bootstrap.open_inspector(ledger, projector, unacknowledged_hours=hours)
    finally:
        projector.close()


def _hours(seconds: int, lang: str) -> str:
    days, rest = divmod(seconds, WORKING_DAY_SECONDS)
    return word("working_time", lang, days=days, hours=rest // 3600)


def stalls(
    ctx: typer.Context,
    as_of: Annotated[str | None, typer.Option(help="judge at this instant (default: now)")] = None,
    office: Annotated[
        str | None,
        typer.Option(help="only this office and those below it", callback=identifier("office id")),
    ] = None,
    level: Annotated[
        str | None,
        typer.Option(help="commune, district, province …", callback=identifier("level")),
    ] = None,
    procedure: Annotated[
        str | None, typer.Option(help="procedure code", callback=identifier("procedure code"))
    ] = None,
    rule: Annotated[str | None, typer.Option(help=f"one of {', '.join(RULES)}")] = None,
    unacknowledged_hours: Annotated[
        float, typer.Option(help="working hours before an unacknowledged handover is a stall")
    ] = 8,
) -> None:
    """Stalled dossiers (hồ sơ chậm): which rule, since when, how far over, who holds it."""
    options = options_of(ctx)
    lang = options.lang
    instant = _instant(as_of, lang, "--as-of")
    if rule is not None and rule not in RULES:
        fail(BadEnvelope(f"--rule must be one of {', '.join(RULES)}, not {rule!r}"), lang, 2)
    with open_ledger(options) as ledger, _inspector(ledger, unacknowledged_hours) as inspector:
        at = instant if instant is not None else ledger.clock.now()
        found = inspector.stalls(
            at,
            office=office,
            level=level,
            procedure=procedure,
            rule=rule,
            current=instant is None,
        )
        out.print(word("stalls", lang, n=len(found), at=format_local(at)), markup=False)
        for stall in found:
            out.print(
                f"  {stall.code}  {word('rule_' + stall.rule, lang)}  "
                f"{word('since', lang)} {format_local(stall.since)}  "
                f"{word('over', lang)} {_hours(stall.over_seconds, lang)}  "
                f"{_office_name(ledger, stall.office, at)}",
                markup=False,
            )


def report(
    ctx: typer.Context,
    office: Annotated[
        str,
        typer.Argument(
            help="office id: the report covers it and those below", callback=identifier("office id")
        ),
    ],
    start: Annotated[str, typer.Option("--from", help="first day, dd/mm/yyyy")],
    end: Annotated[str, typer.Option("--to", help="last day, dd/mm/yyyy (included)")],
) -> None:
    """The office's indicators for a period: received, resolved early / on time / late, pending,
    and the rate "đúng và trước hạn"."""
    options = options_of(ctx)
    lang = options.lang
    first = _instant(start, lang, "--from")
    last = _instant(end, lang, "--to")
    assert first is not None
    assert last is not None
    until = last + 86_400_000_000  # the whole last day
    if until <= first:
        fail(BadEnvelope("--to must not be before --from"), lang, 2)
    with open_ledger(options) as ledger, _inspector(ledger) as inspector:
        result = office_report(inspector, office, first, until)
        rate = result.on_time_rate
        lines = [
            word(
                "report_title",
                lang,
                office=_office_name(ledger, office, first),
                start=start,
                end=end,
            ),
            word(
                "report_received",
                lang,
                n=sum(result.received.values()),
                channels=", ".join(
                    f"{word('channel_' + k, lang)}: {v}" for k, v in sorted(result.received.items())
                )
                or "—",
                carried=result.carried_over,
            ),
            word(
                "report_resolved",
                lang,
                n=result.resolved,
                early=result.early,
                on_time=result.on_time,
                late=result.late,
            ),
            word(
                "report_pending",
                lang,
                within=result.pending_within,
                overdue=result.pending_overdue,
            ),
            word("report_rate", lang, rate="—" if rate is None else f"{rate:.1%}"),
        ]
        for line in lines:
            out.print(line, markup=False)


def slip(
    ctx: typer.Context,
    code: Annotated[
        str, typer.Argument(help="dossier code (mã hồ sơ)", callback=identifier("dossier code"))
    ],
    html: Annotated[Path | None, typer.Option(help="also write a printable HTML page")] = None,
) -> None:
    """The process control slip (phiếu kiểm soát quá trình giải quyết hồ sơ, form 05)."""
    options = options_of(ctx)
    lang = options.lang
    with open_ledger(options) as ledger, _inspector(ledger) as inspector:
        ledger.dossier(code)  # raises UnknownDossier
        found = inspector.slip(code, ledger.clock.now())
        assert found is not None
        rows = slip_rows(ledger, found, lang)
        for line in rows:
            out.print(line, markup=False)
        if html is not None:
            try:
                html.write_text(render_slip_html(ledger, found, lang), encoding="utf-8")
            except OSError as problem:
                fail(BadEnvelope(f"cannot write {html}: {problem.strerror}"), lang, 2)


def slip_rows(ledger: Ledger, found: ControlSlip, lang: str) -> list[str]:
    location = found.location
    lines = [
        word("slip_title", lang),
        f"{word('code', lang)}: {location.code} — {location.procedure} v{location.version}",
        f"{word('received_time', lang)}: {format_local(location.received_at)} — "
        f"{_office_name(ledger, location.received_by, location.received_at)}",
        f"{word('appointed', lang)}: {format_local(location.appointed)}",
    ]
    for block in found.blocks:
        lines.append(_block_line(ledger, block, lang))
    return lines


def _block_line(ledger: Ledger, block: SlipBlock, lang: str) -> str:
    if block.from_office is None:
        head = f"{block.number + 1}. {word('reception', lang)}: " + _office_name(
            ledger, block.to_office, block.handed_at
        )
    else:
        head = (
            f"{block.number + 1}. {word('handed_over', lang)}: "
            f"{_office_name(ledger, block.from_office, block.handed_at)} ({block.from_officer}, "
            f"{format_local(block.handed_at)}) → "
        )
        if block.outcome is None:
            head += f"{_office_name(ledger, block.to_office, block.handed_at)}: " + word(
                "in_transit", lang
            )
        else:
            head += (
                f"{word('outcome_' + block.outcome, lang)}: "
                f"{_office_name(ledger, block.by_office, block.handed_at)} ({block.by_officer}, "
                f"{format_local(block.received_at or block.handed_at)})"
            )
    if block.deadline is not None:
        budget = block.budget
        assert budget is not None
        head += (
            f" — {word('budget', lang)} {budget.days} {word('days_' + budget.day_type, lang)}, "
            f"{word('deadline', lang)} {format_local(block.deadline)}: "
            f"{word('result_' + (block.result or 'pending'), lang)}"
        )
    if block.used_seconds is not None:
        head += f" ({word('used', lang)} {_hours(block.used_seconds, lang)})"
    return head


def render_slip_html(ledger: Ledger, found: ControlSlip, lang: str) -> str:
    environment = Environment(
        loader=PackageLoader("api.http", "templates"), autoescape=select_autoescape(["html"])
    )
    template = environment.get_template("slip.html")
    return template.render(
        lang=lang,
        title=word("slip_title", lang),
        header=slip_rows(ledger, found, lang)[1:4],
        blocks=[_block_line(ledger, block, lang) for block in found.blocks],
        results=[block.result for block in found.blocks],
        printed=format_local(found.at),
    )


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
