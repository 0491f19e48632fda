"""The inspector's commands: the stalled dossiers, and an office's indicators for a period.

lienthong stalls [--as-of WHEN] [--office ID] [--level L] [--procedure P] [--rule R]
lienthong report OFFICE --from dd/mm/yyyy --to dd/mm/yyyy

Exit codes: 0 done; 1 refused by the ledger (an unknown office); 2 input errors (a time that
cannot be read, an unknown rule, a period that ends before it starts).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from typing import Annotated, TypeVar

import typer

from api.cli.args import identifier
from api.cli.shell import fail, open_ledger, options_of, out
from api.cli.views import instant_option, office_name, open_inspector
from api.texts import word, working_span
from domain.instant import format_local
from ledger.errors import BadEnvelope
from ledger.stores.database import Database
from ledger.stores.files.records import FileRecords
from ledger.stores.ratings import RatingStore
from ledger.views.notices import NoticeCounts, notice_counts
from ledger.views.reports import UNKNOWABLE
from ledger.views.sla import RULES, OfficeReport, office_report


def _rate(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.1%}"


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
    instant = instant_option(as_of, lang, "--as-of")
    if rule is not None and rule not in RULES:
        fail(BadEnvelope(f"--rule must be one of {', '.join(RULES)}, not {rule!r}"), lang, 2)
    with open_ledger(options) as ledger, open_inspector(ledger, unacknowledged_hours) as inspector:
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
                f"{word('over', lang)} {working_span(stall.over_seconds, lang)}  "
                f"{office_name(ledger, stall.office, at)}",
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
    first = instant_option(start, lang, "--from")
    last = instant_option(end, lang, "--to")
    assert first is not None
    assert last is not None
    until = last + 86_400_000_000  # the whole last day
    if until <= first:
        fail(BadEnvelope("--to must not be before --from"), lang, 2)
    with (
        open_ledger(options) as ledger,
        open_inspector(ledger) as inspector,
        _side_stores(options.settings.database_url) as (scans, ratings),
    ):
        result = office_report(inspector, office, first, until, scans=scans, ratings=ratings)
        title = word(
            "report_title", lang, office=office_name(ledger, office, first), start=start, end=end
        )
        notices = _notice_lines(notice_counts(inspector, office, first, until), lang)
        lines = [
            title,
            *_report_lines(result, lang),
            *_judged_lines(result, lang),
            *notices,
            *_index_lines(result, lang),
        ]
        for line in lines:
            out.print(line, markup=False)


def _judged_lines(result: OfficeReport, lang: str) -> list[str]:
    """What judged the resolved dossiers: how many against a provisional budget, each such
    procedure version with its reason; how many had their appointed time counted with a receipt
    cut-off and how many without, each version's cut-off with its source."""
    lines = [word("report_provisional", lang, n=result.provisional, resolved=result.resolved)]
    lines += [
        word(
            "report_version",
            lang,
            procedure=judged.procedure,
            version=judged.version,
            n=n,
            rule=judged.provisional,
        )
        for judged, n in result.provisional_versions.items()
    ]
    lines.append(
        word(
            "report_cutoff",
            lang,
            n=result.with_cutoff,
            without=result.resolved - result.with_cutoff,
        )
    )
    for judged, n in result.cutoff_versions.items():
        assert judged.cutoff is not None
        rule = f"{judged.cutoff.text} ({judged.cutoff.source})"
        lines.append(
            word(
                "report_version",
                lang,
                procedure=judged.procedure,
                version=judged.version,
                n=n,
                rule=rule,
            )
        )
    return lines


def _notice_lines(counts: NoticeCounts, lang: str) -> list[str]:
    """The notices signed to applicants, and the dossiers extended more than once, by code."""
    again = counts.extended_again
    return [
        word(
            "report_notices",
            lang,
            apologised=counts.apologised,
            refused=counts.refused,
            stopped=counts.stopped,
        ),
        word(
            "report_extended_again",
            lang,
            n=len(again),
            codes=f" ({', '.join(again)})" if again else "",
        ),
    ]


@contextmanager
def _side_stores(url: str) -> Iterator[tuple[FileRecords | None, RatingStore | None]]:
    """The file records and the ratings kept beside the log, read only; None for either this
    database does not hold (no server kept files or ratings here)."""
    with ExitStack() as stack:
        files = _opened(stack, FileRecords(url, read_only=True), "lienthong_files")
        ratings = _opened(stack, RatingStore(url, read_only=True), "lienthong_ratings")
        yield files, ratings


S = TypeVar("S", bound=Database)


def _opened(stack: ExitStack, store: S, table: str) -> S | None:
    stack.callback(store.close)
    with suppress(Exception):  # no such table: nothing kept
        store.query(f"SELECT 1 FROM {table} LIMIT 1")  # noqa: S608 — a fixed table name
        return store
    return None


def _index_lines(result: OfficeReport, lang: str) -> list[str]:
    """The national index's indicators the ledger knows, then those it cannot."""
    figures = result.index
    lines = [
        word("report_index_index", lang),
        word(
            "report_index_online",
            lang,
            n=result.received.get("online", 0),
            rate=_rate(result.online_rate),
        ),
        word(
            "report_index_digitised",
            lang,
            n="—" if figures.digitised is None else figures.digitised,
            rate=_rate(result.digitised_rate),
        ),
        word(
            "report_index_apology",
            lang,
            late=figures.late_at_receipt,
            n=figures.late_apologised,
            rate=_rate(result.apology_rate),
        ),
        word(
            "report_index_satisfaction",
            lang,
            rated=figures.rated,
            dissatisfied=figures.dissatisfied,
            rate=_rate(result.satisfaction_rate),
        ),
        word("report_index_unknowable", lang),
    ]
    return lines + [f"  - {vi if lang == 'vi' else en}" for vi, en in UNKNOWABLE.values()]


def _report_lines(result: OfficeReport, lang: str) -> list[str]:
    """The indicators, a line each: received (by channel), resolved, pending, and the rate."""
    rate = result.on_time_rate
    channels = ", ".join(
        f"{word('channel_' + k, lang)}: {v}" for k, v in sorted(result.received.items())
    )
    return [
        word(
            "report_received",
            lang,
            n=sum(result.received.values()),
            channels=channels or "—",
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
        word("report_pending", lang, within=result.pending_within, overdue=result.pending_overdue),
        word("report_rate", lang, rate="—" if rate is None else f"{rate:.1%}"),
    ]
