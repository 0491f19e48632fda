"""Commands about time budgets and deadlines (hạn giải quyết).

lienthong due RECEIVED_AT BUDGET [--calendar-days] [--cutoff 15:00]
    the deadline a budget gives a dossier received at RECEIVED_AT, with the holidays it skips

Exit codes: 0 done; 2 input errors (a time that cannot be read, a negative budget).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from importlib.metadata import version
from typing import Annotated

import typer

from api.cli.shell import fail, options_of, out
from api.texts import word
from domain.calendar import BadCalendarInput, Deadline, WorkCalendar
from domain.instant import VIETNAM, from_datetime, to_datetime
from ledger.reference.calendar import load_calendar

_SLASHED = ("%d/%m/%Y %H:%M", "%d/%m/%Y")


def register(app: typer.Typer) -> None:
    # Unknown options pass through as arguments, so that a budget of "-1" reaches the check
    # below and gets its own message instead of "no such option".
    app.command("due", context_settings={"ignore_unknown_options": True})(due)


def due(
    ctx: typer.Context,
    received_at: Annotated[
        str,
        typer.Argument(
            metavar="RECEIVED_AT",
            help="ISO 8601 (2025-04-24T16:30, with +07:00 or Z or no zone, which means Vietnam "
            "time) or dd/mm/yyyy HH:MM",
        ),
    ],
    budget: Annotated[
        int, typer.Argument(metavar="BUDGET", help="days: working days unless --calendar-days")
    ],
    calendar_days: Annotated[
        bool, typer.Option("--calendar-days", help="the budget is in calendar days (ngày)")
    ] = False,
    cutoff: Annotated[
        str,
        typer.Option(help="HH:MM, Vietnam time: later receipts count from the next working day"),
    ] = "15:00",
) -> None:
    """Hạn giải quyết / the deadline of a budget counted from receipt, by the Civil Code rules."""
    lang = options_of(ctx).lang
    calendar = load_calendar()
    try:
        cut = parse_cutoff(cutoff)
        deadline = calendar.deadline(
            parse_received(received_at),
            budget,
            "calendar" if calendar_days else "working",
            cutoff=cut,
        )
    except BadCalendarInput as problem:
        fail(problem, lang, 2)
    render_deadline(deadline, calendar, cut, lang)


def parse_received(text: str) -> int:
    """ISO 8601 or dd/mm/yyyy [HH:MM]; a time without a zone is Vietnam time."""
    moment = _moment(text.strip())
    if moment is None:
        raise BadCalendarInput(
            f"cannot read {text!r} as a time: give ISO 8601 (2025-04-24T16:30, optionally with "
            f"+07:00 or Z) or dd/mm/yyyy HH:MM"
        )
    return from_datetime(moment if moment.tzinfo else moment.replace(tzinfo=VIETNAM))


def _moment(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    for pattern in _SLASHED:
        try:
            return datetime.strptime(text, pattern)  # naive: the caller makes it Vietnam time
        except ValueError:
            continue
    return None


def parse_cutoff(text: str) -> time:
    try:
        parsed = time.fromisoformat(text)
    except ValueError:
        raise BadCalendarInput(
            f"cannot read the cut-off {text!r}: give HH:MM, e.g. 15:00"
        ) from None
    if parsed.tzinfo is not None:
        raise BadCalendarInput(f"the cut-off {text!r} is Vietnam time: give it without a zone")
    return parsed


def render_deadline(deadline: Deadline, calendar: WorkCalendar, cutoff: time, lang: str) -> None:
    received = to_datetime(deadline.received_at)
    zone = word("due_vietnam_time", lang)
    lines = [
        f"{word('due_received', lang)}: {_day(received.date(), lang)} {received:%H:%M} ({zone})"
    ]
    if deadline.counts_from != received.date():
        reason = (
            "due_non_working"
            if not calendar.is_working_day(received.date())
            else "due_after_cutoff"
        )
        lines.append(
            word(reason, lang, cutoff=f"{cutoff:%H:%M}", day=_day(deadline.counts_from, lang))
        )
    unit = "due_working_days" if deadline.day_type == "working" else "due_calendar_days"
    lines.append(f"{word('due_budget', lang)}: {word(unit, lang, n=deadline.days)}")
    end = word("due_end_of", lang, day=_day(deadline.due_day, lang), zone=zone)
    lines.append(f"{word('due_deadline', lang)}: {end}")
    lines.append(f"  {to_datetime(deadline.due_at).isoformat()}")
    special = calendar.special_days(deadline.counts_from + timedelta(days=1), deadline.due_day)
    for working, heading in ((False, "due_days_off"), (True, "due_make_up")):
        listed = [day for day in special if day.working == working]
        if listed:
            lines.append(f"{word(heading, lang)}:")
            lines.extend(f"  {_day(day.day, lang)}: {day.name(lang)}" for day in listed)
    lines.append(word("due_calendar", lang, package=version("holidays"), table=calendar.version))
    provisional = calendar.provisional_days(received.date(), deadline.due_day)
    if provisional:
        days = ", ".join(
            f"{_day(override.day, lang)} ({override.name_vi if lang == 'vi' else override.name_en})"
            for override in provisional
        )
        lines.append(word("due_provisional", lang, days=days))
    for line in lines:
        out.print(line, markup=False)


def _day(day: date, lang: str) -> str:
    return f"{word('weekdays', lang).split(',')[day.weekday()]} {day:%d/%m/%Y}"
