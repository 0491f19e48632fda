"""Full audit: re-verify every stored entry, the Merkle tree and every checkpoint, streaming.

Trusts nothing stored but the bytes. Two passes, each reading the store in batches, so memory
stays flat however long the log is:

1. Keys: the public keys the log registers (key.registered, authority.*) — a registry-sized map the
   signature checks need. A key only counts for entries recorded after its own registration.
2. Log order: for every entry, the canonical statement, the event class and aggregate it is stored
   as, the signature, its chain link (seq and prev continue the subject's history: the latest heads
   of a bounded number of subjects are kept, older ones read back from the store), its key (an
   entry signed by a key whose revocation comes earlier in the log is a finding: once recorded, a
   revocation refuses everything signed with the key, whatever its date), and its leaf:
   the leaf hash is recomputed from the entry and compared with the one the tree stored when it
   was recorded, and appended to a streaming tree whose root is compared with every stored
   checkpoint (signature, root, and consistency with the previous checkpoint) and with the stored
   tree at the end.

The checks of one batch are independent of other batches, so they run in worker processes on every
core; the main process only reads batches and keeps the running order-dependent state.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from uuid import UUID

import msgpack
from eventsourcing.utils import get_topic

from domain.dossier import Dossier
from domain.office import Office
from domain.officer import Authority, Key, Officer
from domain.procedure import Procedure
from domain.signed import subject_id
from domain.statement import AUTHORITY, ZERO_HASH
from ledger.application import Ledger
from ledger.errors import LedgerError
from ledger.log import merkle, note, tlog
from ledger.log.storage.tree import LeafRef, LogStore, StoredCheckpoint
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
TOPICS_OF_KIND = {
    kind: {get_topic(cls) for cls in classes} for kind, classes in EVENT_OF_KIND.items()
}
KEY_TOPICS = sorted(
    TOPICS_OF_KIND["key.registered"]
    | TOPICS_OF_KIND["authority.established"]
    | TOPICS_OF_KIND["authority.rotated"]
)
BATCH = 2000
PARALLEL_FROM = 20_000  # smaller logs are checked in this process: starting workers costs more
HEADS_KEPT = 50_000  # subjects whose latest head the chain check keeps in memory
MAX_FINDINGS = 10_000  # kept in the report; more are counted in `omitted`


@dataclass(frozen=True)
class Finding:
    position: int  # the entry's position in the log (leaf index + 1: the first entry is 1)
    subject: str | None
    seq: int | None
    problem: str

    def describe(self) -> str:
        where = f"entry {self.position}" if self.position else "log"
        if self.subject is not None:
            where += f" ({self.subject}, seq {self.seq})"
        return f"{where}: {self.problem}"


@dataclass
class AuditReport:
    checked: int = 0
    checkpoints: int = 0
    size: int = 0
    root: bytes = merkle.EMPTY_ROOT
    findings: list[Finding] = field(default_factory=list)
    omitted: int = 0  # findings beyond MAX_FINDINGS, counted only

    @property
    def ok(self) -> bool:
        return not self.findings and not self.omitted


# --- checks of one batch, run in a worker (or here) ---------------------------------------------

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


_KEYS: dict[str, bytes] = {}  # every key id the log registers → its public key (worker global)


def _set_keys(keys: dict[str, bytes]) -> None:
    global _KEYS
    _KEYS = keys


def _entry_state(state: bytes) -> dict[str, Any]:
    decoded = msgpack.unpackb(state, raw=False, strict_map_key=False, ext_hook=_ignore_ext)
    if not isinstance(decoded, dict):
        raise ValueError("stored state is not a map")
    return decoded


def _ignore_ext(code: int, data: bytes) -> msgpack.ExtType:
    return msgpack.ExtType(code, data)


def check_rows(rows: Sequence[Row]) -> list[Checked]:
    return [_check_row(row) for row in rows]


def _check_row(row: Row) -> Checked:
    position, originator_id, version, topic, state = row
    subject: str | None = None
    seq: int | None = version
    try:
        entry = _entry_state(state)
        raw, signature, recorded_at = entry["raw"], entry["signature"], entry["recorded_at"]
        if not (isinstance(raw, bytes) and isinstance(signature, bytes)):
            raise TypeError("statement or signature is not bytes")
        if isinstance(recorded_at, bool) or not isinstance(recorded_at, int):
            raise TypeError("recorded_at is not an integer")
    except (ValueError, KeyError, TypeError, msgpack.UnpackException) as problem:
        return Checked(
            position,
            originator_id,
            version,
            None,
            None,
            seq,
            None,
            False,
            None,
            f"stored event cannot be decoded: {problem}",
        )
    leaf = tlog.entry_leaf_hash(raw, signature, recorded_at)
    digest = hashlib.sha256(raw).digest()
    try:
        statement = schema.parse(raw, max_bytes=max(len(raw), 1))
    except LedgerError as problem:
        return Checked(
            position,
            originator_id,
            version,
            leaf,
            None,
            seq,
            None,
            False,
            None,
            f"statement bytes are not a valid statement: {problem}",
            None,
            digest,
        )
    subject, seq = statement.subject, statement.seq
    by_authority = statement.officer == AUTHORITY and statement.kind != "authority.established"
    learns: tuple[str, str, bytes] | None = None
    if statement.kind in ("authority.established", "authority.rotated"):
        public_key = statement.body["public_key"]
        learns = ("authority", signing.key_id(public_key), public_key)
    elif statement.kind == "key.registered":
        learns = ("key", statement.subject, statement.body["public_key"])

    key = None if statement.kind == "authority.established" else statement.key

    def checked(problem: str | None) -> Checked:
        return Checked(
            position,
            originator_id,
            version,
            leaf,
            subject,
            seq,
            key,
            by_authority,
            learns,
            problem,
            statement.prev,
            digest,
            statement.subject if statement.kind == "key.revoked" else None,
        )

    if topic not in TOPICS_OF_KIND[statement.kind]:
        return checked(f"stored as {topic}, but the signed statement is a {statement.kind}")
    if originator_id != subject_id(statement.family, statement.subject) or version != seq:
        return checked(
            f"stored under aggregate {originator_id} version {version}, but the statement is "
            f"{statement.family} {statement.subject} seq {statement.seq}"
        )
    if statement.kind == "key.registered" and statement.subject != signing.key_id(
        statement.body["public_key"]
    ):
        return checked("registers a public key under an id that is not the key's id")
    if statement.kind == "authority.established":
        public_key = statement.body["public_key"]
        if statement.key != signing.key_id(public_key):
            return checked("the genesis statement is not signed by the key it establishes")
    else:
        public_key = _KEYS.get(statement.key, b"")
    if not public_key:
        return checked(f"key {statement.key} is not registered anywhere in the log")
    try:
        signing.verify(public_key, raw, signature)
    except LedgerError as problem:
        return checked(f"signature does not verify: {problem}")
    return checked(None)


def _short(value: Any) -> str:
    return f"{value.hex()[:16]}…" if isinstance(value, bytes) else repr(value)


# --- the audit ----------------------------------------------------------------------------------


def audit(
    ledger: Ledger,
    progress: Callable[[int], None] | None = None,
    *,
    log_key: note.Verifier | None = None,
    workers: int | None = None,
) -> AuditReport:
    """Check the whole log. `progress(n)` is called as batches of n entries are done (each entry
    once in the log-order pass). Checkpoint signatures are checked with `log_key` when given, else
    with the key that signed the first checkpoint (and every later one must be signed by it too)."""
    log = ledger.logstore
    size = log.tree_size()
    count = workers if workers is not None else (os.cpu_count() or 1)
    if count > 1 and (workers is not None or size >= PARALLEL_FROM):
        context = multiprocessing.get_context("forkserver")
        # workers import what they need once, in the fork server, not each on its own
        context.set_forkserver_preload(["ledger.log.audit"])
        keys = _all_keys(ledger)
        with ProcessPoolExecutor(count, context, initializer=_set_keys, initargs=(keys,)) as pool:
            return _Audit(ledger, log, progress, log_key, keys, pool, count).run()
    return _Audit(ledger, log, progress, log_key, _all_keys(ledger), None, 1).run()


def _all_keys(ledger: Ledger) -> dict[str, bytes]:
    keys: dict[str, bytes] = {}
    start = 1
    while True:
        batch = ledger.recorder.select_notifications(start, BATCH, topics=KEY_TOPICS)
        for notification in batch:
            try:
                statement = msgpack.unpackb(_entry_state(notification.state)["raw"], raw=False)
                public_key = statement["body"]["public_key"]
                if isinstance(public_key, bytes):
                    keys.setdefault(signing.key_id(public_key), public_key)
            except (ValueError, KeyError, TypeError, msgpack.UnpackException):
                continue  # the log-order pass names the damaged entry
        if len(batch) < BATCH:
            return keys
        start = batch[-1].id + 1


class _Audit:
    def __init__(
        self,
        ledger: Ledger,
        log: LogStore,
        progress: Callable[[int], None] | None,
        log_key: note.Verifier | None,
        keys: dict[str, bytes],
        pool: Executor | None,
        workers: int,
    ) -> None:
        self.ledger, self.logstore, self.progress = ledger, log, progress
        self.log_key = log_key
        self.pool, self.workers = pool, workers
        self.report = AuditReport()
        self.authority_keys: dict[str, bytes] = {}
        self.keys: dict[str, bytes] = {}
        self.revoked: dict[str, int] = {}  # key id → the position of its revocation
        self.mismatched, self.later_mismatches = False, 0
        self.misaligned, self.later_misaligned = False, 0
        self.heads: OrderedDict[UUID, tuple[int, bytes]] = OrderedDict()
        _set_keys(keys)  # for batches checked in this process

    def run(self) -> AuditReport:
        self.report.size = size = self.logstore.tree_size()
        checkpoints = _checkpoints(self.logstore)
        next_checkpoint = next(checkpoints, None)
        tree = merkle.CompactRange()
        previous: tuple[StoredCheckpoint, bytes] | None = None
        while next_checkpoint is not None and next_checkpoint.size == 0:  # of the empty log
            previous = self._checkpoint(next_checkpoint, merkle.EMPTY_ROOT, previous)
            next_checkpoint = next(checkpoints, None)
        for checked, ref in self._log_order(size):
            self.report.checked += 1
            self._order_checks(checked, ref)
            self._check_chain(checked)
            tree.append(checked.leaf if checked.leaf is not None else ref.leaf_hash)
            while next_checkpoint is not None and next_checkpoint.size == tree.size:
                previous = self._checkpoint(next_checkpoint, tree.root(), previous)
                next_checkpoint = next(checkpoints, None)
        if tree.size != size:
            self._finding(
                0, None, None, f"the tree has {size} leaves but the store holds {tree.size} entries"
            )
        if next_checkpoint is not None:
            self._finding(
                0,
                None,
                None,
                f"a checkpoint of size {next_checkpoint.size} is kept, "
                f"but the log has only {tree.size} entries: entries were deleted",
            )
        self.report.root = tree.root()
        try:
            stored_root = self.ledger.root(tree.size) if tree.size == size else None
        except LedgerError as problem:
            self._finding(0, None, None, f"the stored tree is damaged: {problem}")
            stored_root = None
        if stored_root is not None and stored_root != self.report.root:
            self._finding(
                0,
                None,
                None,
                f"the stored tree's root {_short(stored_root)} is not "
                f"the root {_short(self.report.root)} recomputed from the entries",
            )
        if self.later_misaligned:
            self._finding(
                0,
                None,
                None,
                f"and {self.later_misaligned} more entries are out of place in the tree after "
                f"the first one named",
            )
        if self.later_mismatches:
            self._finding(
                0,
                None,
                None,
                f"and {self.later_mismatches} later checkpoints do not match the entries either",
            )
        # entries first, in log order; then what concerns the log as a whole
        self.report.findings.sort(key=lambda finding: (finding.position == 0, finding.position))
        return self.report

    # log order -----------------------------------------------------------------------------

    def _log_order(self, size: int) -> Iterator[tuple[Checked, Any]]:
        """(checked entry, its leaf record) in log order, batches checked ahead on the workers."""
        pending: list[Any] = []
        for rows, refs in self._batches():
            pending.append((self._submit(rows), refs))
            if len(pending) > 2 * self.workers:
                yield from self._collect(pending.pop(0))
        for item in pending:
            yield from self._collect(item)

    def _submit(self, rows: list[Row]) -> Any:
        return self.pool.submit(check_rows, rows) if self.pool else check_rows(rows)

    def _collect(self, item: tuple[Any, list[Any]]) -> Iterator[tuple[Checked, Any]]:
        future, refs = item
        results = future if isinstance(future, list) else future.result()
        if self.progress is not None:
            self.progress(len(results))
        yield from zip(results, refs, strict=True)

    def _batches(self) -> Iterator[tuple[list[Row], list[LeafRef]]]:
        """Batches of entries in log order, each paired with the tree's record of its leaf. The
        entries and the leaves are read side by side; where they part, the store is asked which
        side lost what (a few indexed reads, only where something is wrong)."""
        rows: list[Row] = []
        refs: list[LeafRef] = []
        leaves = self._leaf_stream()
        ref = next(leaves, None)
        expected = 0  # the next leaf index, were the tree dense
        for notification in self._notification_stream():
            key = (_uuid(notification.originator_id), notification.originator_version)
            while ref is not None and (ref.originator_id, ref.originator_version) != key:
                if self._event_exists(ref.originator_id, ref.originator_version):
                    break  # both exist, in different places: reordered (named when paired)
                self._finding(
                    ref.index + 1,
                    None,
                    None,
                    f"entry {ref.index + 1} is gone from the store but its leaf remains: "
                    f"entries were deleted",
                )
                expected = ref.index + 1
                ref = next(leaves, None)
            if ref is None or (
                (ref.originator_id, ref.originator_version) != key
                and self.logstore.leaf_index(*key) is None
            ):
                self._finding(
                    expected + 1,
                    None,
                    notification.originator_version,
                    f"the entry stored after entry {expected} (aggregate {key[0]}, version "
                    f"{key[1]}) is not a leaf of the tree: its leaf was deleted, or the entry was "
                    f"added outside the ledger",
                )
                expected += 1  # it stands where its leaf would be
                continue
            if ref.index != expected:
                gone = (
                    f"{expected + 1}"
                    if ref.index == expected + 1
                    else f"{expected + 1} to {ref.index}"
                )
                self._finding(
                    expected + 1,
                    None,
                    None,
                    f"entry {gone} is gone from the store together with its leaf: "
                    f"entries were deleted",
                )
            expected = ref.index + 1
            rows.append(
                (
                    ref.index + 1,
                    key[0],
                    key[1],
                    notification.topic,
                    notification.state,
                )
            )
            refs.append(ref)
            ref = next(leaves, None)
            if len(rows) == BATCH:
                yield rows, refs
                rows, refs = [], []
        if rows:
            yield rows, refs
        if ref is not None:
            self._finding(
                ref.index + 1,
                None,
                None,
                "the tree has leaves from here on whose entries are gone: entries were deleted "
                "from the store",
            )

    def _notification_stream(self) -> Iterator[Any]:
        start = 1
        while True:
            batch = self.ledger.recorder.select_notifications(start, BATCH)
            yield from batch
            if len(batch) < BATCH:
                return
            start = batch[-1].id + 1

    def _leaf_stream(self) -> Iterator[LeafRef]:
        start = 0
        while True:
            batch = self.logstore.leaf_refs(start, BATCH)
            yield from batch
            if len(batch) < BATCH:
                return
            start = batch[-1].index + 1

    def _event_exists(self, originator_id: UUID, version: int) -> bool:
        return bool(self.ledger.recorder.select_events(originator_id, gt=version - 1, lte=version))

    def _order_checks(self, checked: Checked, ref: Any) -> None:
        position = checked.position
        aligned = (ref.originator_id, ref.originator_version) == (
            checked.originator_id,
            checked.originator_version,
        )
        if not aligned and self.misaligned:
            self.later_misaligned += 1
        elif not aligned:
            self._finding(
                position,
                checked.subject,
                checked.seq,
                f"leaf {ref.index} of the tree was recorded for another entry: entries "
                f"were deleted, inserted or reordered",
            )
        self.misaligned = not aligned
        if aligned and checked.leaf is not None and checked.leaf != ref.leaf_hash:
            self._finding(
                position,
                checked.subject,
                checked.seq,
                "the entry differs from the one the tree recorded (leaf hash "
                f"{_short(checked.leaf)}, recorded {_short(ref.leaf_hash)}): it was "
                f"changed after recording",
            )
        if checked.problem is not None:
            self._finding(position, checked.subject, checked.seq, checked.problem)
        elif checked.key is not None:  # every entry but the genesis needs a key registered before
            known = self.authority_keys if checked.by_authority else self.keys
            if checked.key not in known:
                self._finding(
                    position,
                    checked.subject,
                    checked.seq,
                    f"key {checked.key} was not registered before this entry",
                )
            elif not checked.by_authority and checked.key in self.revoked:
                self._finding(
                    position,
                    checked.subject,
                    checked.seq,
                    f"signed with key {checked.key}, whose revocation was recorded earlier "
                    f"(entry {self.revoked[checked.key]}): nothing signed with a revoked key "
                    f"counts, whatever its date",
                )
        if checked.problem is None and checked.learns is not None:
            family, key_id, public_key = checked.learns
            (self.authority_keys if family == "authority" else self.keys)[key_id] = public_key
        if checked.problem is None and checked.revokes is not None:
            self.revoked.setdefault(checked.revokes, position)

    def _checkpoint(
        self,
        checkpoint: StoredCheckpoint,
        root: bytes,
        previous: tuple[StoredCheckpoint, bytes] | None,
    ) -> tuple[StoredCheckpoint, bytes]:
        self.report.checkpoints += 1
        where = f"checkpoint of size {checkpoint.size}"
        try:
            parsed = note.parse_note(checkpoint.note)
            if self.log_key is None:
                self.log_key = _first_signer_key(self.ledger, parsed)
            opened = note.open_note(checkpoint.note, [self.log_key])
            body = note.Checkpoint.parse(opened.text)
        except (note.NoteError, LedgerError) as problem:
            self._finding(0, None, None, f"{where}: {problem}")
            return previous or (checkpoint, root)
        if body.size != checkpoint.size:
            self._finding(0, None, None, f"{where}: the note says size {body.size}")
        if body.root != root and self.mismatched:
            self.later_mismatches += 1
        elif body.root != root:
            self.mismatched = True
            self._finding(
                0,
                None,
                None,
                f"{where}: signed root {_short(body.root)}, but the entries give "
                f"{_short(root)}: the log was changed after this checkpoint",
            )
        if previous is not None:
            earlier, earlier_root = previous
            try:
                proof = self.ledger.consistency_proof(earlier.size, checkpoint.size)
                merkle.verify_consistency(
                    earlier.size, checkpoint.size, earlier_root, body.root, proof
                )
            except (merkle.ProofError, LedgerError, ValueError) as problem:
                self._finding(
                    0,
                    None,
                    None,
                    f"{where} is not consistent with the checkpoint of "
                    f"size {earlier.size}: {problem}",
                )
        return checkpoint, body.root

    # chains ------------------------------------------------------------------------------

    def _check_chain(self, checked: Checked) -> None:
        """seq and prev continue the subject's history. The last heads seen are kept (a bounded
        number, so memory stays flat); an older one is read back from the store."""
        if checked.digest is None:
            return  # undecodable: named already
        heads = self.heads
        head = heads.pop(checked.originator_id, None)
        if head is None:
            head = self._stored_head(checked.originator_id, checked.originator_version)
        last_version, last_hash = head
        if checked.prev is not None and (
            checked.seq != last_version + 1 or checked.prev != last_hash
        ):
            self._finding(
                checked.position,
                checked.subject,
                checked.seq,
                f"chain broken: seq {checked.seq} with prev {_short(checked.prev)} follows seq "
                f"{last_version} with hash {_short(last_hash)}",
            )
        heads[checked.originator_id] = (checked.originator_version, checked.digest)
        if len(heads) > HEADS_KEPT:
            heads.popitem(last=False)

    def _stored_head(self, originator_id: UUID, version: int) -> tuple[int, bytes]:
        if version <= 1:
            return 0, ZERO_HASH
        events = self.ledger.recorder.select_events(
            originator_id, lte=version - 1, desc=True, limit=1
        )
        if not events:
            return 0, ZERO_HASH
        try:
            raw = _entry_state(events[0].state)["raw"]
        except (ValueError, KeyError, TypeError, msgpack.UnpackException):
            raw = b""
        return events[0].originator_version, hashlib.sha256(raw).digest()

    def _finding(self, position: int, subject: str | None, seq: int | None, problem: str) -> None:
        if len(self.report.findings) >= MAX_FINDINGS:  # memory stays flat on a wrecked log too
            self.report.omitted += 1
            return
        self.report.findings.append(Finding(position, subject, seq, problem))


def _checkpoints(log: LogStore) -> Iterator[StoredCheckpoint]:
    start = 0
    while True:
        batch = log.checkpoints(start, 1000)
        yield from batch
        if len(batch) < 1000:
            return
        start = batch[-1].size + 1


def _first_signer_key(ledger: Ledger, parsed: note.Note) -> note.Verifier:
    """Without a log key given, the key that signed the first checkpoint: its name is the
    origin and the note must verify with it (the public key is not in the note, so it must be
    configured; fall back to the ledger's configured verifier)."""
    configured = ledger.settings.log_verifier
    if configured:
        return note.parse_verifier(configured)
    raise LedgerError(
        "checkpoints are kept but no log verifier key is configured: pass --log-key "
        "(or set LIENTHONG_LOG_VERIFIER) to check their signatures"
    )


def _uuid(value: UUID | str) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))
