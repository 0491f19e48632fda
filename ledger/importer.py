"""Bulk import of signed statements: a file of JSON envelopes, one per line, recorded in batches.

Every statement goes through `Ledger.record_many`, the same checks as recording one by one; a batch's
dossier statements are saved in one transaction (so, within a batch, the log holds each dossier's
statements together, dossiers in the order of their first statement). A line that is not an
envelope, or whose statement is refused, is reported with its number and the reason; the import
goes on. A statement resubmitted as it was recorded is counted as a duplicate and records nothing.
Like any statement, an imported one must be dated within the clock tolerance of the ledger's clock
(`LIENTHONG_CLOCK_TOLERANCE`): statements signed long ago need it raised for the import.

Resuming: after each committed batch the import writes its position (the number of lines fully
processed) and the SHA-256 of those lines to a small JSON state file, atomically. Run again, it
skips that many lines — checking they hash the same, so another file is never resumed by mistake —
and carries on. A batch committed whose position was not yet written is read again: its statements
come back as duplicates, never twice in the log. Lines appended to a file after its import
finished are imported by running it again.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ledger.application import Ledger, Outcome, Receipt, Refusal
from ledger.errors import BadEnvelope, LedgerError
from ledger.statements.signing import Envelope

STATE_SUFFIX = ".import-state"


class ImportStateMismatch(LedgerError):
    """The state file does not belong to this input (another file, or one changed since)."""

    code = "import-state-mismatch"
    title_vi = "Tệp trạng thái nhập không khớp với tệp đầu vào"
    title_en = "The import state belongs to another input"


@dataclass(frozen=True)
class Refused:
    """A refused line: its number (from 1), the refusal's code and message."""

    line: int
    code: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.code}: {self.message}"

    def to_json(self) -> str:
        return json.dumps(
            {"line": self.line, "code": self.code, "message": self.message}, ensure_ascii=False
        )


@dataclass
class ImportReport:
    """What one run of an import did, batch by committed batch."""

    resumed_from: int = 0  # lines skipped as processed by an earlier run
    lines: int = 0  # lines processed by this run (blank ones included)
    recorded: int = 0
    duplicates: int = 0
    refused: list[Refused] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def statements(self) -> int:
        """Non-blank lines processed by this run: recorded, duplicates and refused."""
        return self.recorded + self.duplicates + len(self.refused)

    @property
    def rate(self) -> float:
        """Statements per second of this run."""
        return self.statements / self.seconds if self.seconds > 0 else 0.0


@dataclass
class ImportState:
    """Where the import of one input stands, kept in a JSON file next to it.

    `position` lines have been fully processed (their batches committed); `digest` is the SHA-256
    of those lines, each as UTF-8 without its line ending, followed by a newline; `refused` counts
    the lines refused in them."""

    path: Path
    position: int = 0
    digest: str = hashlib.sha256().hexdigest()
    refused: int = 0

    @classmethod
    def beside(cls, source: Path, *, restart: bool = False) -> ImportState:
        """The state of importing `source`, kept in `source` + ".import-state"; a fresh state
        with `restart` or when there is none. Raises ImportStateMismatch on an unreadable one."""
        return cls.load(source.with_name(source.name + STATE_SUFFIX), restart=restart)

    @classmethod
    def load(cls, path: Path, *, restart: bool = False) -> ImportState:
        if restart or not path.exists():
            return cls(path)
        try:
            document: Any = json.loads(path.read_text(encoding="utf-8"))
            return cls(
                path, int(document["position"]), str(document["sha256"]), int(document["refused"])
            )
        except (OSError, ValueError, KeyError, TypeError) as problem:
            raise ImportStateMismatch(f"{path} is not an import state file: {problem}") from None

    def advance(self, position: int, digest: str, refused: int) -> None:
        """Note `position` lines processed, `refused` more of them refused; written atomically
        (a temporary file renamed over the state file), so a crash leaves the old or the new."""
        self.position, self.digest, self.refused = position, digest, self.refused + refused
        document = {"position": position, "sha256": digest, "refused": self.refused}
        temporary = self.path.with_name(self.path.name + ".tmp")
        with temporary.open("w", encoding="utf-8") as handle:
            json.dump(document, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path)


def read_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number from 1, text without its line ending) of a UTF-8 file, read as it goes;
    BadEnvelope if it cannot be read. Bytes that are not UTF-8 are kept (as surrogates): the
    line is then not an envelope, and is refused as such."""
    try:
        with path.open(encoding="utf-8", errors="surrogateescape", newline="") as handle:
            for number, line in enumerate(handle, 1):
                yield number, line.rstrip("\r\n")
    except OSError as problem:
        raise BadEnvelope(f"cannot read {path}: {problem.strerror}") from None


def import_envelopes(
    ledger: Ledger,
    source: Iterable[tuple[int, str]] | Path,
    *,
    batch: int = 500,
    state: ImportState,
    progress: Callable[[int], None] | None = None,
    report: ImportReport | None = None,
) -> ImportReport:
    """Record the envelopes of `source` (numbered lines, or a file) after `state.position`,
    `batch` envelopes per `record_many`; the report of this run.

    After each committed batch the state advances, then `progress` is called with the number of
    lines the batch covered. Pass a `report` to see what was committed should the import be
    interrupted (an exception from the store or from `progress` propagates; the state stays at
    the last batch committed). Raises ImportStateMismatch, having recorded nothing, if the lines
    up to `state.position` do not hash to `state.digest`."""
    report = report if report is not None else ImportReport()
    started = time.perf_counter()
    lines = read_lines(source) if isinstance(source, Path) else iter(source)
    hasher = _skip(lines, state, report)
    pending = _Pending(state.position)
    for number, text in lines:
        _hash_line(hasher, text)
        pending.add(number, text)
        if len(pending.envelopes) >= batch:
            pending = _commit(ledger, pending, hasher, state, report, progress)
            report.seconds = time.perf_counter() - started
    if pending.last > state.position:
        _commit(ledger, pending, hasher, state, report, progress)
    report.seconds = time.perf_counter() - started
    return report


@dataclass
class _Pending:
    """The lines read since the last commit: their envelopes, and the lines already refused."""

    last: int  # the number of the last line read
    numbers: list[int] = field(default_factory=list)  # the line of each envelope
    envelopes: list[tuple[bytes, bytes]] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)

    def add(self, number: int, text: str) -> None:
        self.last = number
        if not text.strip():
            return
        try:
            envelope = Envelope.from_json(text)
        except BadEnvelope as problem:
            self.refused.append(Refused(number, problem.code, str(problem)))
            return
        self.numbers.append(number)
        self.envelopes.append((envelope.statement, envelope.signature))


def _skip(
    lines: Iterator[tuple[int, str]], state: ImportState, report: ImportReport
) -> hashlib._Hash:
    """Read the lines an earlier run processed; the hasher of the lines read, which must match
    the state's digest (ImportStateMismatch otherwise)."""
    hasher = hashlib.sha256()
    last = 0
    while last < state.position:
        found = next(lines, None)
        if found is None:
            break
        last = found[0]
        _hash_line(hasher, found[1])
    if last != state.position or hasher.hexdigest() != state.digest:
        raise ImportStateMismatch(
            f"{state.path} records {state.position} lines of another input (or of this one "
            f"before it changed); import it with --restart, or remove the state file"
        )
    report.resumed_from = state.position
    return hasher


def _hash_line(hasher: hashlib._Hash, text: str) -> None:
    hasher.update(text.encode("utf-8", "surrogateescape") + b"\n")


def _commit(
    ledger: Ledger,
    pending: _Pending,
    hasher: hashlib._Hash,
    state: ImportState,
    report: ImportReport,
    progress: Callable[[int], None] | None,
) -> _Pending:
    """Record the pending envelopes, count their outcomes, advance the state; the next _Pending."""
    outcomes = ledger.record_many(pending.envelopes) if pending.envelopes else []
    refused = list(pending.refused)
    for number, outcome in zip(pending.numbers, outcomes, strict=True):
        _count(number, outcome, report, refused)
    refused.sort(key=lambda found: found.line)
    report.refused += refused
    lines = pending.last - state.position
    report.lines += lines
    state.advance(pending.last, hasher.hexdigest(), len(refused))
    if progress is not None:
        progress(lines)
    return _Pending(pending.last)


def _count(number: int, outcome: Outcome, report: ImportReport, refused: list[Refused]) -> None:
    if isinstance(outcome, Receipt):
        if outcome.duplicate:
            report.duplicates += 1
        else:
            report.recorded += 1
        return
    refusal: Refusal = outcome
    refused.append(Refused(number, refusal.code, str(refusal)))
