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
import pickle
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, NamedTuple
from uuid import UUID

import msgpack
import msgspec
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
from ledger.log.audit.store import Address, Reader
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
    originator_id: UUID | str  # as the pairing read it (`batches.ref_id`)
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


# What the checks of one entry find, without its place (position, aggregate, version), which the
# main process knows: the fields of `Checked` after `originator_version`, in order. A plain tuple,
# so a batch of them crosses from a worker process as little more than its bytes.
Found = tuple[Any, ...]

_KEYS: dict[str, bytes] = {}  # every key id the log registers → its public key (worker global)
_KEYS_TOKEN = ""  # the audit whose keys _KEYS holds


def use_keys(token: str, keys: bytes) -> None:
    """The keys of audit `token` (pickled once by the main process), unpickled once a process."""
    global _KEYS, _KEYS_TOKEN
    if token != _KEYS_TOKEN:
        _KEYS, _KEYS_TOKEN = pickle.loads(keys), token  # noqa: S301 — from the auditing process


def entry_state(state: bytes) -> dict[str, Any]:
    """A stored event's state, decoded without trusting it (ValueError if it is not a map)."""
    decoded = msgpack.unpackb(state, raw=False, strict_map_key=False, ext_hook=_ignore_ext)
    if not isinstance(decoded, dict):
        raise ValueError("stored state is not a map")
    return decoded


def _ignore_ext(code: int, data: bytes) -> msgpack.ExtType:
    return msgpack.ExtType(code, data)


def check_rows(token: str, keys: bytes, rows: Sequence[Row]) -> list[Found]:
    """The checks of rows read by the main process (a store other processes cannot open)."""
    use_keys(token, keys)
    return [examine(oid.hex, version, topic, state) for _, oid, version, topic, state in rows]


_READER: Reader | None = None  # this worker's own read connection


def check_range(
    address: Address, token: str, keys: bytes, first: int, last: int, ids: Sequence[int]
) -> list[Found]:
    """The checks of the entries `ids` (notification ids, ascending, from `first` to `last`),
    read by this process from the store at `address` on its own connection. An id whose row is
    gone by the time it is read (deleted during the audit) is named as such."""
    global _READER
    use_keys(token, keys)
    if _READER is None or _READER.address != address:
        if _READER is not None:
            _READER.close()
        _READER = Reader(address)
    rows = iter(_READER.rows(first, last))
    found: list[Found] = []
    row = next(rows, None)
    for wanted in ids:
        while row is not None and row[0] < wanted:
            row = next(rows, None)
        if row is None or row[0] != wanted:
            found.append(unread(None, "the stored event is gone: it was deleted during the audit"))
            continue
        _, originator_hex, version, topic, state = row
        found.append(examine(originator_hex, version, topic, state))
        row = next(rows, None)
    return found


def close_reader() -> None:
    """Close this process's read connection, if it opened one."""
    global _READER
    if _READER is not None:
        _READER.close()
        _READER = None


def checked(position: int, originator_id: UUID | str, version: int, found: Found) -> Checked:
    return Checked(position, originator_id, version, *found)


def examine(originator_hex: str, version: int, topic: str, state: bytes) -> Found:
    """The checks of one stored entry (its aggregate id as 32 hex digits): a `Found`."""
    try:
        raw, signature, recorded_at = _recorded(state)
    except (ValueError, KeyError, TypeError, msgpack.UnpackException) as problem:
        return unread(version, f"stored event cannot be decoded: {problem}")
    leaf = tlog.entry_leaf_hash(raw, signature, recorded_at)
    digest = hashlib.sha256(raw).digest()
    try:
        statement = schema.parse(raw, max_bytes=max(len(raw), 1))
    except LedgerError as problem:
        return unread(
            version, f"statement bytes are not a valid statement: {problem}", leaf, digest
        )
    kind = statement.kind
    wrong = _stored_as_signed(originator_hex, version, topic, statement) or _signed_by_its_key(
        statement, raw, signature
    )
    return (
        leaf,
        statement.subject,
        statement.seq,
        None if kind == "authority.established" else statement.key,
        statement.officer == AUTHORITY and kind != "authority.established",
        _learns(statement),
        wrong,
        statement.prev,
        digest,
        statement.subject if kind == "key.revoked" else None,
        statement.at,
        statement.office,
        tuple(statement.body["certificates"])
        if kind == "key.registered" and "certificates" in statement.body
        else None,
        (statement.subject, statement.body["format"], statement.body["sha256"])
        if kind == "revocation.recorded"
        else None,
    )


def unread(
    version: int | None, problem: str, leaf: bytes | None = None, digest: bytes | None = None
) -> Found:
    """An entry whose statement cannot be read: what could be computed, and the problem."""
    return (leaf, None, version, None, False, None, problem, None, digest, None, None, None)


class _Recorded(msgspec.Struct):
    """What the checks read of a stored event's state; its other fields are skipped unread."""

    raw: bytes
    signature: bytes
    recorded_at: int


_RECORDED = msgspec.msgpack.Decoder(_Recorded)


def _recorded(state: bytes) -> tuple[bytes, bytes, int]:
    """(statement bytes, signature, recorded_at) of a stored event, their types checked. The
    three fields are read alone first (msgspec: bytes, bytes, an integer that is not a bool);
    what that refuses is decoded whole, and refused naming the problem."""
    try:
        found = _RECORDED.decode(state)
    except (msgspec.DecodeError, msgspec.ValidationError):
        pass
    else:
        return found.raw, found.signature, found.recorded_at
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


@lru_cache(maxsize=65_536)
def _subject_hex(family: str, subject: str) -> str:
    return subject_id(family, subject).hex


def _stored_as_signed(
    originator_hex: str, version: int, topic: str, statement: Statement
) -> str | None:
    """What is wrong with how the statement is stored: its event class and aggregate version."""
    if topic not in TOPICS_OF_KIND[statement.kind]:
        return f"stored as {topic}, but the signed statement is a {statement.kind}"
    family = statement.family
    if originator_hex != _subject_hex(family, statement.subject) or version != statement.seq:
        return (
            f"stored under aggregate {UUID(hex=originator_hex)} version {version}, but the "
            f"statement is {family} {statement.subject} seq {statement.seq}"
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
