"""Full audit: re-verify every stored statement, its signature and its chain link, in log order.

Trusts nothing stored but the bytes: keys are learnt from the registry statements as the log is
read (the authority's genesis key is self-signed), so a key can only verify statements recorded
after its own registration. Every problem is reported with its log position, subject and seq.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from domain.dossier import Dossier
from domain.office import Office
from domain.officer import Authority, Key, Officer
from domain.procedure import Procedure
from domain.signed import SignedAggregate, subject_id
from domain.statement import AUTHORITY, ZERO_HASH, Statement
from ledger import schema, signing
from ledger.application import Ledger
from ledger.errors import LedgerError

# The event class each kind is recorded as; a stored event of another class was altered.
EVENT_OF_KIND: dict[str, tuple[type[Any], ...]] = {
    "authority.established": (Authority.Established,),
    "authority.rotated": (Authority.Rotated,),
    "office.established": (Office.Established,),
    "office.renamed": (Office.Renamed,),
    "office.reparented": (Office.Reparented,),
    "office.merged": (Office.Merged,),
    "office.dissolved": (Office.Dissolved,),
    "officer.enrolled": (Officer.Enrolled,),
    "officer.moved": (Officer.Moved,),
    "officer.left": (Officer.Left,),
    "key.registered": (Key.Registered,),
    "key.revoked": (Key.Revoked,),
    "procedure.published": (Procedure.Published, Procedure.Republished),
    "dossier.received": (Dossier.Received,),
    "handover.dispatched": (Dossier.Dispatched,),
    "handover.acknowledged": (Dossier.Acknowledged,),
    "handover.rejected": (Dossier.Rejected,),
    "handover.recalled": (Dossier.Recalled,),
    "dossier.supplement_requested": (Dossier.SupplementRequested,),
    "dossier.supplement_received": (Dossier.SupplementReceived,),
    "dossier.delay_notified": (Dossier.DelayNotified,),
    "dossier.decided": (Dossier.Decided,),
    "dossier.result_returned": (Dossier.ResultReturned,),
    "dossier.withdrawn": (Dossier.Withdrawn,),
}


@dataclass(frozen=True)
class Finding:
    position: int  # the entry's position in the log (notification id)
    subject: str | None
    seq: int | None
    problem: str

    def describe(self) -> str:
        where = f"entry {self.position}"
        if self.subject is not None:
            where += f" ({self.subject}, seq {self.seq})"
        return f"{where}: {self.problem}"


@dataclass
class AuditReport:
    checked: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


class _Problem(Exception):
    pass


@dataclass
class _Auditor:
    authority_keys: dict[str, bytes] = field(default_factory=dict)
    keys: dict[str, bytes] = field(default_factory=dict)
    heads: dict[UUID, tuple[int, bytes]] = field(default_factory=dict)

    def check(self, event: Any) -> Statement:
        if not isinstance(event, SignedAggregate.Event):
            raise _Problem(f"stored event of type {type(event).__name__} is not a signed statement")
        try:
            statement = schema.parse(event.raw, max_bytes=max(len(event.raw), 1))
        except LedgerError as problem:
            raise _Problem(f"statement bytes are not a valid statement: {problem}") from None
        self._check_event(event, statement)
        self._check_signature(event, statement)
        self._check_chain(event, statement)
        self._learn(statement)
        return statement

    def _check_event(self, event: Any, statement: Statement) -> None:
        if not isinstance(event, EVENT_OF_KIND[statement.kind]):
            raise _Problem(
                f"stored as {type(event).__qualname__}, but the signed statement is "
                f"a {statement.kind}"
            )
        expected = subject_id(statement.family, statement.subject)
        if event.originator_id != expected or event.originator_version != statement.seq:
            raise _Problem(
                f"stored under aggregate {event.originator_id} version "
                f"{event.originator_version}, but the statement is {statement.family} "
                f"{statement.subject} seq {statement.seq}"
            )

    def _check_signature(self, event: Any, statement: Statement) -> None:
        if statement.kind == "authority.established":
            public_key = statement.body["public_key"]
        elif statement.officer == AUTHORITY:
            public_key = self.authority_keys.get(statement.key, b"")
        else:
            public_key = self.keys.get(statement.key, b"")
        if not public_key:
            raise _Problem(f"key {statement.key} was not registered before this entry")
        try:
            signing.verify(public_key, event.raw, event.signature)
        except LedgerError as problem:
            raise _Problem(f"signature does not verify: {problem}") from None

    def _check_chain(self, event: Any, statement: Statement) -> None:
        seq, head = self.heads.get(event.originator_id, (0, ZERO_HASH))
        if statement.seq != seq + 1 or statement.prev != head:
            raise _Problem(
                f"chain broken: seq {statement.seq} with prev "
                f"{statement.prev.hex()[:16]}… follows seq {seq} with hash "
                f"{head.hex()[:16]}…"
            )
        self.heads[event.originator_id] = (statement.seq, signing.statement_hash(event.raw))

    def _learn(self, statement: Statement) -> None:
        if statement.kind in ("authority.established", "authority.rotated"):
            public_key = statement.body["public_key"]
            self.authority_keys[signing.key_id(public_key)] = public_key
        elif statement.kind == "key.registered":
            self.keys[statement.subject] = statement.body["public_key"]


def audit(ledger: Ledger, progress: Callable[[int], None] | None = None) -> AuditReport:
    """Check every entry of the log; `progress(n)` is called after each batch of n entries."""
    auditor = _Auditor()
    report = AuditReport()
    for position, event in ledger.read_log():
        report.checked += 1
        if isinstance(event, Exception):
            report.findings.append(
                Finding(position, None, None, f"stored event cannot be decoded: {event}")
            )
        else:
            try:
                auditor.check(event)
            except _Problem as problem:
                subject, seq = _best_guess(event)
                report.findings.append(Finding(position, subject, seq, str(problem)))
        if progress is not None and report.checked % 200 == 0:
            progress(200)
    if progress is not None:
        progress(report.checked % 200)
    return report


def _best_guess(event: Any) -> tuple[str | None, int | None]:
    """The subject and seq to name in a finding, even when the statement itself is damaged."""
    try:
        statement = schema.parse(event.raw, max_bytes=max(len(event.raw), 1))
    except (LedgerError, AttributeError):
        return None, getattr(event, "originator_version", None)
    return statement.subject, statement.seq
