"""Bulk import of signed envelopes from a file, resumable.

lienthong import FILE [--batch 500] [--restart] [--report refused.jsonl]

Exit codes: 0 every line recorded or already recorded; 1 some lines refused (in this run or an
earlier run of the same import); 2 input errors (unreadable file, a state file of another input).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from api.cli.shell import err, fail, open_ledger, options_of, out
from api.texts import word
from ledger.application import Ledger
from ledger.errors import BadEnvelope
from ledger.importer import ImportReport, ImportState, ImportStateMismatch, import_envelopes

SHOWN_REFUSALS = 20  # refused lines printed; the report file has them all


def register(app: typer.Typer) -> None:
    app.command("import")(import_file)


def import_file(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(metavar="FILE", help="signed envelopes, one JSON envelope per line")
    ],
    batch: Annotated[int, typer.Option(min=1, help="envelopes recorded per transaction")] = 500,
    restart: Annotated[
        bool, typer.Option("--restart", help="ignore FILE.import-state; start from line 1")
    ] = False,
    report: Annotated[
        Path | None, typer.Option(help="write the refused lines there (JSON lines)")
    ] = None,
) -> None:
    """Record a file of signed envelopes in batches; refused lines are reported, not fatal.
    Interrupted, the same command carries on after the last batch committed. Statements dated
    further from now than the clock tolerance are refused (clock-skew): to import old ones, raise
    LIENTHONG_CLOCK_TOLERANCE for the import."""
    options = options_of(ctx)
    lang = options.lang
    total = _count_lines(file, lang)
    try:
        state = ImportState.beside(file, restart=restart)
    except ImportStateMismatch as problem:
        fail(problem, lang, 2)
    log = _RefusalLog(report, state.position > 0, lang)
    with open_ledger(options) as ledger:
        if state.position:
            out.print(word("import_resumed", lang, line=state.position), markup=False)
        try:
            done = _import_with_bar(ledger, file, batch, state, total, log, lang)
        except ImportStateMismatch as problem:
            fail(problem, lang, 2)
        _summary(done, state, lang)
    if state.refused:
        raise typer.Exit(1)


def _import_with_bar(
    ledger: Ledger,
    file: Path,
    batch: int,
    state: ImportState,
    total: int,
    log: _RefusalLog,
    lang: str,
) -> ImportReport:
    """The import under a progress bar of lines; each committed batch's refusals to the log."""
    done = ImportReport()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(word("importing", lang), total=total, completed=state.position)
        return import_envelopes(
            ledger,
            file,
            batch=batch,
            state=state,
            progress=lambda n: _advance(bar, task, n, done, log),
            report=done,
        )


class _RefusalLog:
    """The --report file (or nowhere): each committed batch's refused lines appended as JSON lines.
    Emptied first unless the import resumes, so it then holds the earlier runs' lines too."""

    def __init__(self, path: Path | None, resuming: bool, lang: str) -> None:
        self.path = path
        self.written = 0
        if path is not None and not resuming:
            try:
                path.write_text("", encoding="utf-8")
            except OSError as problem:
                fail(BadEnvelope(f"cannot write {path}: {problem.strerror}"), lang, 2)

    def append(self, done: ImportReport) -> None:
        """Append the refusals of `done` not yet written."""
        if self.path is not None and len(done.refused) > self.written:
            with self.path.open("a", encoding="utf-8") as handle:
                handle.writelines(r.to_json() + "\n" for r in done.refused[self.written :])
        self.written = len(done.refused)


def _advance(bar: Progress, task: TaskID, lines: int, done: ImportReport, log: _RefusalLog) -> None:
    """After each committed batch: its refused lines to the report file, the bar moved on."""
    log.append(done)
    bar.advance(task, lines)


def _count_lines(file: Path, lang: str) -> int:
    """The file's line count (the progress bar's total); exit 2 if it cannot be read."""
    try:
        with file.open("rb") as handle:
            return sum(1 for _ in handle)
    except OSError as problem:
        fail(BadEnvelope(f"cannot read {file}: {problem.strerror}"), lang, 2)


def _summary(done: ImportReport, state: ImportState, lang: str) -> None:
    for refused in done.refused[:SHOWN_REFUSALS]:
        err.print(
            f"{word('import_line', lang, line=refused.line)}: {refused.code}: {refused.message}",
            markup=False,
        )
    if len(done.refused) > SHOWN_REFUSALS:
        err.print(word("import_more", lang, n=len(done.refused) - SHOWN_REFUSALS), markup=False)
    out.print(
        word(
            "import_done",
            lang,
            lines=done.lines,
            seconds=done.seconds,
            recorded=done.recorded,
            duplicates=done.duplicates,
            refused=len(done.refused),
            rate=done.rate,
        ),
        markup=False,
    )
    if state.refused != len(done.refused):
        out.print(word("import_refused_total", lang, n=state.refused), markup=False)
