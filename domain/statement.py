"""What a person asserts, as plain data: the fields of a signed statement, and its recorded entry.

Encoding, hashing and signature checks belong to the ledger; here a statement is already decoded
and verified. Kinds are grouped in families; each family's subjects are one aggregate each.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

FORMAT_VERSION = 1
ZERO_HASH = bytes(32)

DOSSIER_KINDS = (
    "dossier.received",
    "handover.dispatched",
    "handover.acknowledged",
    "handover.rejected",
    "handover.recalled",
    "dossier.supplement_requested",
    "dossier.supplement_received",
    "dossier.delay_notified",
    "dossier.decided",
    "dossier.result_returned",
    "dossier.withdrawn",
    "dossier.refused",
    "dossier.extension_requested",
    "dossier.stopped",
)
REGISTRY_KINDS = (
    "authority.established",
    "authority.rotated",
    "office.established",
    "office.renamed",
    "office.reparented",
    "office.merged",
    "office.dissolved",
    "officer.enrolled",
    "officer.moved",
    "officer.left",
    "key.registered",
    "key.revoked",
    "procedure.published",
    "revocation.recorded",
)
KINDS = DOSSIER_KINDS + REGISTRY_KINDS
# the kinds that bring documents in with the custody: their files travel with them
FILE_KINDS = ("dossier.received", "handover.dispatched", "dossier.supplement_received")

# The signer fields of statements made with the authority key itself.
AUTHORITY = "authority"


def family(kind: str) -> str:
    """The subject family of a kind: dossier, authority, office, officer, key, procedure or
    revocation."""
    prefix = kind.split(".", 1)[0]
    return "dossier" if prefix == "handover" else prefix


@dataclass(frozen=True)
class Seen:
    """The latest log checkpoint the signer's device had seen (size and root hash)."""

    size: int
    root: bytes


@dataclass(frozen=True)
class Statement:
    """The decoded fields of a statement; `body` fields depend on `kind`."""

    kind: str
    subject: str
    seq: int
    prev: bytes
    office: str
    officer: str
    key: str
    at: int
    body: Mapping[str, Any] = field(default_factory=dict)
    seen: Seen | None = None
    v: int = FORMAT_VERSION

    @property
    def family(self) -> str:
        return family(self.kind)


@dataclass(frozen=True)
class Entry:
    """A verified statement as the ledger records it: the signed bytes verbatim, their SHA-256,
    the signature, and the ledger's own clock reading `recorded_at`."""

    statement: Statement
    raw: bytes
    signature: bytes
    digest: bytes
    recorded_at: int
