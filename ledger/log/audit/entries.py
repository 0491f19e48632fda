"""The checks of one entry, independent of every other entry: run in the worker processes.

From the stored event alone (and the registry of public keys the log holds): the event decodes,
its statement bytes are a valid statement, stored as the event class and aggregate version its
kind and subject give, registering a key under the key's own id, and signed by a key the log
registers somewhere. What depends on the order of entries (a key registered *before* the entry,
not revoked before it; the chain of seq and prev; the tree) is checked afterwards, in log order,
by the auditor (auditor.py) from what these checks return.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any, NamedTuple
from uuid import UUID

import msgpack
from eventsourcing.utils import get_topic

from domain.dossier import Dossier
from domain.office import Office
from domain.officer import Authority, Key, Officer
from domain.procedure import Procedure
from domain.revocation import Revocations
from domain.signed import subject_id
from domain.statement import AUTHORITY, Statement
from ledger.errors import LedgerError
from ledger.log import tlog
from ledger.statements import schema, signing

# The event classes each kind is recorded as; a stored event of another class was altered.
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
    "key.registered": (Key.Registered, Key.Certified),
    "key.revoked": (Key.Revoked,),
    "procedure.published": (Procedure.Published, Procedure.Republished),
    "revocation.recorded": (Revocations.Started, Revocations.Added),
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
    "dossier.refused": (Dossier.Refused,),
    "dossier.extension_requested": (Dossier.ExtensionRequested,),
    "dossier.stopped": (Dossier.Stopped,),
}
TOPICS_OF_KIND = {
    kind: {get_topic(cls) for cls in classes} for kind, classes in EVENT_OF_KIND.items()
}
KEY_TOPICS = sorted(
    TOPICS_OF_KIND["key.registered"]
    | TOPICS_OF_KIND["authority.established"]
    | TOPICS_OF_KIND["authority.rotated"]
)

Row = tuple[int, UUID, int, str, bytes]  # position, aggregate id, version, topic, stored state


class Checked(NamedTuple):
    """What the order-dependent checks need to know about one entry (a tuple: it crosses from
    the worker processes by the thousand)."""

    position: int
    originator_id: UUID
    originator_version: int
    leaf: bytes | None
    subject: str | None
    seq: int | None
    key: str | None  # None for the genesis statement, which is signed by the key it establishes
    by_authority: bool
    learns: tuple[str, str, bytes] | None  # ("authority" | "key", key id, public key)
    problem: str | None
    prev: bytes | None = None  # the statement's `prev`, when it parses
    digest: bytes | None = None  # SHA-256 of the statement bytes, when they decode
    revokes: str | None = None  # the key id a key.revoked statement revokes
    at: int | None = None  # the statement's `at` and `office`, when it parses
    office: str | None = None
    # key.registered with certificates: the SHA-256 of each certificate of the chain
    certifies: tuple[bytes, ...] | None = None
    # revocation.recorded: (issuer key id, format, SHA-256 of the data)
    revocation: tuple[str, str, bytes] | None = None


_KEYS: dict[str, bytes] = {}  # every key id the log registers → its public key (worker global)


def set_keys(keys: dict[str, bytes]) -> None:
    """The public keys the log registers, for the checks of this process."""
    global _KEYS
    _KEYS = keys


def entry_state(state: bytes) -> dict[str, Any]:
    """A stored event's state, decoded without trusting it (ValueError if it is not a map)."""
    decoded = msgpack.unpackb(state, raw=False, strict_map_key=False, ext_hook=_ignore_ext)
    if not isinstance(decoded, dict):
        raise ValueError("stored state is not a map")
    return decoded


def _ignore_ext(code: int, data: bytes) -> msgpack.ExtType:
    return msgpack.ExtType(code, data)


def check_rows(rows: Sequence[Row]) -> list[Checked]:
    return [_check_row(row) for row in rows]


def _check_row(row: Row) -> Checked:
    position, originator_id, version, _, state = row
    try:
        raw, signature, recorded_at = _recorded(state)
    except (ValueError, KeyError, TypeError, msgpack.UnpackException) as problem:
        return _unread(row, f"stored event cannot be decoded: {problem}")
    leaf = tlog.entry_leaf_hash(raw, signature, recorded_at)
    digest = hashlib.sha256(raw).digest()
    try:
        statement = schema.parse(raw, max_bytes=max(len(raw), 1))
    except LedgerError as problem:
        return _unread(row, f"statement bytes are not a valid statement: {problem}", leaf, digest)
    wrong = _stored_as_signed(row, statement) or _signed_by_its_key(statement, raw, signature)
    return Checked(
        position,
        originator_id,
        version,
        leaf=leaf,
        subject=statement.subject,
        seq=statement.seq,
        key=None if statement.kind == "authority.established" else statement.key,
        by_authority=statement.officer == AUTHORITY and statement.kind != "authority.established",
        learns=_learns(statement),
        problem=wrong,
        prev=statement.prev,
        digest=digest,
        revokes=statement.subject if statement.kind == "key.revoked" else None,
        at=statement.at,
        office=statement.office,
        certifies=tuple(statement.body["certificates"])
        if statement.kind == "key.registered" and "certificates" in statement.body
        else None,
        revocation=(statement.subject, statement.body["format"], statement.body["sha256"])
        if statement.kind == "revocation.recorded"
        else None,
    )


def _unread(
    row: Row, problem: str, leaf: bytes | None = None, digest: bytes | None = None
) -> Checked:
    """An entry whose statement cannot be read: its place, what could be computed, the problem."""
    position, originator_id, version, _, _ = row
    return Checked(
        position,
        originator_id,
        version,
        leaf=leaf,
        subject=None,
        seq=version,
        key=None,
        by_authority=False,
        learns=None,
        problem=problem,
        digest=digest,
    )


def _recorded(state: bytes) -> tuple[bytes, bytes, int]:
    """(statement bytes, signature, recorded_at) of a stored event, their types checked."""
    entry = entry_state(state)
    raw, signature, recorded_at = entry["raw"], entry["signature"], entry["recorded_at"]
    if not (isinstance(raw, bytes) and isinstance(signature, bytes)):
        raise TypeError("statement or signature is not bytes")
    if isinstance(recorded_at, bool) or not isinstance(recorded_at, int):
        raise TypeError("recorded_at is not an integer")
    return raw, signature, recorded_at


def _learns(statement: Statement) -> tuple[str, str, bytes] | None:
    """The public key the statement registers, if it registers one."""
    if statement.kind in ("authority.established", "authority.rotated"):
        public_key = statement.body["public_key"]
        return ("authority", signing.key_id(public_key), public_key)
    if statement.kind == "key.registered":
        return ("key", statement.subject, statement.body["public_key"])
    return None


def _stored_as_signed(row: Row, statement: Statement) -> str | None:
    """What is wrong with how the statement is stored: its event class and aggregate version."""
    _, originator_id, version, topic, _ = row
    if topic not in TOPICS_OF_KIND[statement.kind]:
        return f"stored as {topic}, but the signed statement is a {statement.kind}"
    if originator_id != subject_id(statement.family, statement.subject) or version != statement.seq:
        return (
            f"stored under aggregate {originator_id} version {version}, but the statement is "
            f"{statement.family} {statement.subject} seq {statement.seq}"
        )
    if statement.kind == "key.registered" and statement.subject != signing.key_id(
        statement.body["public_key"]
    ):
        return "registers a public key under an id that is not the key's id"
    return None


def _signed_by_its_key(statement: Statement, raw: bytes, signature: bytes) -> str | None:
    """What is wrong with the signature: its key is none the log registers, or it fails."""
    if statement.kind == "authority.established":
        public_key = statement.body["public_key"]
        if statement.key != signing.key_id(public_key):
            return "the genesis statement is not signed by the key it establishes"
    else:
        public_key = _KEYS.get(statement.key, b"")
    if not public_key:
        return f"key {statement.key} is not registered anywhere in the log"
    try:
        signing.verify(public_key, raw, signature)
    except LedgerError as problem:
        return f"signature does not verify: {problem}"
    return None
