"""A dossier's timeline: every statement with its signer and whether its signature verifies, and
the hops (giao – nhận) pairing each dispatch with its acknowledgement, rejection or recall."""

from __future__ import annotations

from dataclasses import dataclass

from domain.instant import format_local, local_date
from domain.statement import AUTHORITY, Statement
from ledger.application import Ledger, StoredEntry
from ledger.errors import LedgerError
from ledger.statements import signing


@dataclass(frozen=True, kw_only=True)
class Step:
    statement: Statement
    recorded_at: int
    office_name: str
    officer_title: str
    digest: bytes
    verified: bool
    problem: str = ""


@dataclass(frozen=True)
class Hop:
    dispatch: Step
    outcome: Step | None  # acknowledged, rejected or recalled; None while in transit

    def differences(self) -> tuple[list[str], list[str]]:
        """Documents (missing, extra): sent but not acknowledged, acknowledged but not sent."""
        if self.outcome is None or self.outcome.statement.kind != "handover.acknowledged":
            return [], []
        sent = _documents(self.dispatch.statement)
        got = _documents(self.outcome.statement)
        return (
            [name for name, digest in sent if (name, digest) not in got],
            [name for name, digest in got if (name, digest) not in sent],
        )


def _documents(statement: Statement) -> list[tuple[str, bytes]]:
    return [(item["name"], item["sha256"]) for item in statement.body.get("documents", [])]


@dataclass(frozen=True)
class Timeline:
    code: str
    steps: list[Step]
    hops: list[Hop]

    @property
    def all_verified(self) -> bool:
        return all(step.verified for step in self.steps)


def timeline(ledger: Ledger, code: str) -> Timeline:
    """Raises UnknownDossier if the code has no history."""
    ledger.dossier(code)
    steps = [_step(ledger, entry) for entry in ledger.history("dossier", code)]
    return Timeline(code, steps, _hops(steps))


def _step(ledger: Ledger, entry: StoredEntry) -> Step:
    statement = entry.statement
    verified, problem = True, ""
    try:
        signing.verify(_public_key(ledger, statement), entry.raw, entry.signature)
    except LedgerError as error:
        verified, problem = False, str(error)
    office = ledger.office(statement.office)
    officer = ledger.officer(statement.officer)
    return Step(
        statement=statement,
        recorded_at=entry.recorded_at,
        office_name=office.name_on(local_date(statement.at)),
        officer_title=officer.title_at(statement.at),
        digest=signing.statement_hash(entry.raw),
        verified=verified,
        problem=problem,
    )


def _public_key(ledger: Ledger, statement: Statement) -> bytes:
    if statement.officer == AUTHORITY:
        raise LedgerError("dossier statements are never signed by the authority")
    return ledger.key(statement.key).public_key


def _hops(steps: list[Step]) -> list[Hop]:
    hops: list[Hop] = []
    open_dispatch: dict[bytes, int] = {}
    for step in steps:
        kind = step.statement.kind
        if kind == "handover.dispatched":
            open_dispatch[step.digest] = len(hops)
            hops.append(Hop(step, None))
        elif kind in ("handover.acknowledged", "handover.rejected", "handover.recalled"):
            index = open_dispatch.pop(step.statement.body["dispatch"], None)
            if index is not None:
                hops[index] = Hop(hops[index].dispatch, step)
    return hops


def describe(statement: Statement) -> str:
    """The body in one line for a person: documents by name, times in Vietnam time,
    hashes shortened (the applicant commitment is not shown)."""
    parts: list[str] = []
    for name, value in statement.body.items():
        if name == "applicant":
            continue
        if name == "appointed":
            text = format_local(value)
        elif isinstance(value, bytes):
            text = value.hex()[:12] + "…"
        elif isinstance(value, list):
            text = (
                ", ".join(
                    str(item["name"]) if isinstance(item, dict) else str(item) for item in value
                )
                or "—"
            )
        else:
            text = str(value)
        parts.append(f"{name}: {text}")
    return "; ".join(parts)
