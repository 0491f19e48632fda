"""Commands about time budgets and deadlines (hạn giải quyết).

lienthong due RECEIVED_AT BUDGET [--calendar-days] [--procedure CODE[@VERSION] | --cutoff HH:MM]
    the deadline a budget gives a dossier received at RECEIVED_AT, with the holidays it skips and
    the receipt cut-off it was counted with: the procedure version's (the one in force on the
    receipt date unless @VERSION is given; read from the ledger), the one given, or none

Exit codes: 0 done; 2 input errors (a time that cannot be read, a negative budget).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from importlib.metadata import version
from typing import Annotated

import typer

from api.cli.shell import fail, open_ledger, options_of, out
from api.texts import word
from domain.calendar import BadCalendarInput, Deadline, WorkCalendar
from domain.errors import UnknownProcedure
from domain.identifier import is_identifier
from domain.instant import VIETNAM, from_datetime, local_date, to_datetime
from domain.procedure import Procedure, ProcedureVersion
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
        str | None,
        typer.Option(
            help="HH:MM, Vietnam time: later receipts count from the next working day "
            "(default: no cut-off)"
        ),
    ] = None,
    procedure: Annotated[
        str | None,
        typer.Option(
            metavar="CODE[@VERSION]",
            help="count with this procedure's cut-off, if it has one: the version in force on "
            "the receipt date, or VERSION",
        ),
    ] = None,
) -> None:
    """Hạn giải quyết / the deadline of a budget counted from receipt, by the Civil Code rules."""
    options = options_of(ctx)
    lang = options.lang
    calendar = load_calendar()
    try:
        received = parse_received(received_at)
        if cutoff is not None and procedure is not None:
            raise BadCalendarInput(
                "give --procedure or --cutoff, not both: the cut-off is the procedure's or yours"
            )
        if procedure is not None:
            code, number = parse_procedure(procedure)
            with open_ledger(options, read_only=True) as ledger:
                try:  # an unknown procedure or version is the caller's input: exit 2
                    rule = version_rule(ledger.procedure(code), code, number, local_date(received))
                except UnknownProcedure as problem:
                    fail(problem, lang, 2)
        else:
            rule = CutoffRule(parse_cutoff(cutoff) if cutoff is not None else None)
        deadline = calendar.deadline(
            received,
            budget,
            "calendar" if calendar_days else "working",
            cutoff=rule.at,
        )
    except BadCalendarInput as problem:
        fail(problem, lang, 2)
    render_deadline(deadline, calendar, rule, lang)


@dataclass(frozen=True)
class CutoffRule:
    """The receipt cut-off a deadline was counted with, and where it came from: `at` None is no
    cut-off; `version` is the procedure version that set it (or set none), None when the caller
    gave the cut-off or gave nothing."""

    at: time | None
    procedure: str | None = None
    version: ProcedureVersion | None = None

    def describe(self, lang: str) -> str:
        if self.version is None:
            key = "due_cutoff_given" if self.at is not None else "due_cutoff_none"
            return word(key, lang, cutoff=f"{self.at:%H:%M}" if self.at else "")
        if self.version.cutoff is None:
            return word(
                "due_cutoff_version_none",
                lang,
                procedure=self.procedure,
                version=self.version.version,
            )
        return word(
            "due_cutoff_version",
            lang,
            cutoff=self.version.cutoff.text,
            procedure=self.procedure,
            version=self.version.version,
            source=self.version.cutoff.source,
        )


def parse_procedure(text: str) -> tuple[str, int | None]:
    """CODE or CODE@VERSION (a version number from 1)."""
    code, at, number = text.rpartition("@") if "@" in text else (text, "", "")
    if at and not (number.isdigit() and int(number) >= 1):
        raise BadCalendarInput(
            f"cannot read the procedure version in {text!r}: give CODE or CODE@VERSION, "
            f"e.g. social-allowance-monthly@2"
        )
    if not is_identifier(code):
        raise BadCalendarInput(f"{code!r} is not a procedure code")
    return code, int(number) if at else None


def version_rule(procedure: Procedure, code: str, number: int | None, day: date) -> CutoffRule:
    """The cut-off of the procedure's version `number`, or of the version in force on `day`."""
    if number is not None:
        found = procedure.get_version(number)
    else:
        current = procedure.effective_on(day)
        if current is None:
            raise UnknownProcedure(f"procedure {code} has no version in force on {day.isoformat()}")
        found = current
    return CutoffRule(found.cutoff.at if found.cutoff else None, code, found)


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


def render_deadline(
    deadline: Deadline, calendar: WorkCalendar, rule: CutoffRule, lang: str
) -> None:
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
        cutoff = f"{rule.at:%H:%M}" if rule.at is not None else ""
        lines.append(word(reason, lang, cutoff=cutoff, day=_day(deadline.counts_from, lang)))
    lines.append(f"{word('due_cutoff', lang)}: {rule.describe(lang)}")
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
