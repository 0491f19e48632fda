"""What recording says back, and a recorded statement as read back from the store.

A statement recorded (or found already recorded) gets a `Receipt`; one refused, its refusal (a
LedgerError or DomainError, raised by `record`, returned by `record_many`). ledger.application
names these too, for the callers of the recording core.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeAlias

from domain.errors import DomainError
from domain.statement import Statement
from ledger.errors import LedgerError
from ledger.statements import schema


@dataclass(frozen=True)
class Receipt:
    """What the ledger says back after recording (or finding already recorded) a statement."""

    kind: str
    subject: str
    seq: int
    digest: bytes
    recorded_at: int
    duplicate: bool = False
    leaf_index: int | None = None  # its position in the log; None on a duplicate's receipt


@dataclass(frozen=True)
class StoredEntry:
    """One recorded statement as read back from the store."""

    raw: bytes
    signature: bytes
    recorded_at: int
    statement: Statement


Refusal: TypeAlias = LedgerError | DomainError
Outcome: TypeAlias = Receipt | Refusal


def stored_entry(event: Any) -> StoredEntry:
    return StoredEntry(event.raw, event.signature, event.recorded_at, schema.parse(event.raw))
