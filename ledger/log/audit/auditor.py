"""The audit's order-dependent pass: what an entry means given the entries before it.

Fed the checked entries in log order (batches.py), it keeps the running state: the keys registered
so far (a key only counts for entries recorded after its own registration) and the revocations
(an entry signed by a key whose revocation comes earlier in the log is a finding: once recorded,
a revocation refuses everything signed with the key, whatever its date); each entry's chain link
(seq and prev continue the subject's history: the latest heads of a bounded number of subjects
are kept, older ones read back from the store); and its leaf: the leaf hash recomputed from the
entry is compared with the one the tree stored when it was recorded, and appended to a streaming
tree whose root is compared with every stored checkpoint (signature, root, and consistency with
the previous checkpoint) and with the stored tree at the end.
"""

from __future__ import annotations

import hashlib
import os
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import msgpack

from domain.errors import Refusal
from domain.office import Office
from domain.statement import ZERO_HASH
from ledger.application import Ledger
from ledger.errors import LedgerError
from ledger.log import merkle, note
from ledger.log.audit.batches import (
    PARALLEL_FROM,
    Checks,
    Pairing,
    Ref,
    StartingPool,
    all_keys,
    checked_in_log_order,
    stored_checkpoints,
)
from ledger.log.audit.entries import Checked, close_reader, entry_state
from ledger.log.audit.store import Reader, address_of, as_uuid
from ledger.log.storage.tree import LogStore, StoredCheckpoint
from ledger.statements import certificates
from ledger.statements.certificates import Revocation

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
    # how long the worker processes took to start (seconds; 0 without workers), in the background
    # while the audit read: not part of what the audit found
    pool_start: float = field(default=0.0, compare=False)
    # entries checked in the auditing process itself (with workers: while they started)
    checked_here: int = field(default=0, compare=False)

    @property
    def ok(self) -> bool:
        return not self.findings and not self.omitted


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
    address = address_of(ledger)
    # the workers start first, in the background, while this process reads the keys
    starting = (
        StartingPool(count)
        if count > 1 and (workers is not None or size >= PARALLEL_FROM)
        else None
    )
    reader = None
    try:
        # a store the workers can open is read by them, each its own range; else through here
        reader = Reader(address) if address is not None else None
        checks = Checks(all_keys(ledger), address, starting)
        report = _Audit(ledger, log, progress, log_key, checks, reader).run()
        report.checked_here = checks.here
        if starting is not None:
            starting.shutdown()
            report.pool_start = starting.started
        return report
    finally:
        if reader is not None:
            reader.close()
        if starting is not None:
            starting.shutdown()
        close_reader()  # the read connection the checks opened in this process, if they did


class _Audit:
    def __init__(
        self,
        ledger: Ledger,
        log: LogStore,
        progress: Callable[[int], None] | None,
        log_key: note.Verifier | None,
        checks: Checks,
        reader: Reader | None,
    ) -> None:
        self.ledger, self.logstore, self.progress = ledger, log, progress
        self.log_key = log_key
        self.checks, self.reader = checks, reader
        self.report = AuditReport()
        self.authority_keys: dict[str, bytes] = {}
        self.keys: dict[str, bytes] = {}
        self.revoked: dict[str, int] = {}  # key id → the position of its revocation
        self.certified: dict[str, tuple[bytes, ...]] = {}  # key id → its certificates' SHA-256
        # issuer key id → the revocation data recorded so far, in log order
        self.revocations: dict[str, list[Revocation]] = {}
        # a certificate key's chain (DER) and its CAs' key ids, by its certificates' SHA-256
        self.chains: dict[tuple[bytes, ...], tuple[list[bytes], list[str]]] = {}
        self.mismatched, self.later_mismatches = False, 0
        self.misaligned, self.later_misaligned = False, 0
        self.heads: OrderedDict[UUID | str, tuple[int, bytes]] = OrderedDict()
        self.checkpoints: Iterator[StoredCheckpoint] = iter(())
        self.next_checkpoint: StoredCheckpoint | None = None
        self.previous: tuple[StoredCheckpoint, bytes] | None = None  # checked, and its root

    def run(self) -> AuditReport:
        self.report.size = size = self.logstore.tree_size()
        self.checkpoints = stored_checkpoints(self.logstore)
        self.next_checkpoint = next(self.checkpoints, None)
        tree = merkle.CompactRange()
        self._checkpoints_at(tree)  # of the empty log
        batches = Pairing(self.ledger, self.logstore, self._finding, self.reader).batches()
        for checked, ref in checked_in_log_order(batches, self.checks, self.progress):
            self.report.checked += 1
            self._order_checks(checked, ref)
            self._check_chain(checked)
            tree.append(checked.leaf if checked.leaf is not None else ref.leaf_hash)
            self._checkpoints_at(tree)
        self._check_size(tree, size)
        self._check_root(tree, size)
        self._count_later()
        # entries first, in log order; then what concerns the log as a whole
        self.report.findings.sort(key=lambda finding: (finding.position == 0, finding.position))
        return self.report

    def _checkpoints_at(self, tree: merkle.CompactRange) -> None:
        """Check the checkpoints of the tree's size against its root."""
        while self.next_checkpoint is not None and self.next_checkpoint.size == tree.size:
            self.previous = self._checkpoint(self.next_checkpoint, tree.root(), self.previous)
            self.next_checkpoint = next(self.checkpoints, None)

    # the log as a whole, at the end ------------------------------------------------------------

    def _check_size(self, tree: merkle.CompactRange, size: int) -> None:
        if tree.size != size:
            self._finding(
                0, None, None, f"the tree has {size} leaves but the store holds {tree.size} entries"
            )
        if self.next_checkpoint is not None:
            self._finding(
                0,
                None,
                None,
                f"a checkpoint of size {self.next_checkpoint.size} is kept, "
                f"but the log has only {tree.size} entries: entries were deleted",
            )

    def _check_root(self, tree: merkle.CompactRange, size: int) -> None:
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

    def _count_later(self) -> None:
        """What was counted, not named, after the first finding of its kind."""
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

    # log order ---------------------------------------------------------------------------------

    def _order_checks(self, checked: Checked, ref: Ref) -> None:
        self._check_leaf(checked, ref)
        if checked.problem is not None:
            self._finding(checked.position, checked.subject, checked.seq, checked.problem)
        elif checked.key is not None:  # every entry but the genesis needs a key registered before
            self._check_key(checked)
            if checked.key in self.certified and not checked.by_authority:
                self._check_certificate(checked, self.certified[checked.key])
        if checked.problem is None and checked.learns is not None:
            family, key_id, public_key = checked.learns
            (self.authority_keys if family == "authority" else self.keys)[key_id] = public_key
            if checked.certifies is not None:
                self.certified[key_id] = checked.certifies
        if checked.problem is None and checked.revocation is not None:
            self._learn_revocation(checked)
        if checked.problem is None and checked.revokes is not None:
            self.revoked.setdefault(checked.revokes, checked.position)

    def _check_leaf(self, checked: Checked, ref: Ref) -> None:
        """The entry is the one the tree's leaf was recorded for, unchanged since."""
        aligned = (ref.originator_id, ref.originator_version) == (
            checked.originator_id,
            checked.originator_version,
        )
        if not aligned and self.misaligned:
            self.later_misaligned += 1
        elif not aligned:
            self._finding(
                checked.position,
                checked.subject,
                checked.seq,
                f"leaf {ref.index} of the tree was recorded for another entry: entries "
                f"were deleted, inserted or reordered",
            )
        self.misaligned = not aligned
        if aligned and checked.leaf is not None and checked.leaf != ref.leaf_hash:
            self._finding(
                checked.position,
                checked.subject,
                checked.seq,
                "the entry differs from the one the tree recorded (leaf hash "
                f"{_short(checked.leaf)}, recorded {_short(ref.leaf_hash)}): it was "
                f"changed after recording",
            )

    def _check_key(self, checked: Checked) -> None:
        """The entry's key was registered before it, and not revoked before it."""
        known = self.authority_keys if checked.by_authority else self.keys
        if checked.key not in known:
            self._finding(
                checked.position,
                checked.subject,
                checked.seq,
                f"key {checked.key} was not registered before this entry",
            )
        elif not checked.by_authority and checked.key in self.revoked:
            self._finding(
                checked.position,
                checked.subject,
                checked.seq,
                f"signed with key {checked.key}, whose revocation was recorded earlier "
                f"(entry {self.revoked[checked.key]}): nothing signed with a revoked key "
                f"counts, whatever its date",
            )

    def _check_certificate(self, checked: Checked, digests: tuple[bytes, ...]) -> None:
        """An entry signed with a certificate key: its chain validated again at its `at`, with
        the trust anchors of this audit and the revocation data recorded before the entry."""
        assert checked.at is not None
        assert checked.office is not None
        try:
            validation = self.ledger.certificate_validation()
            found = self.chains.get(digests)
            if found is None:  # each key's chain and CAs, worked out once
                chain = self.ledger.pki_objects(list(digests), "certificate")
                cas = {certificates.key_id_of(der) for der in chain[1:]}
                cas.update(certificates.key_id_of(der) for der in validation.anchors)
                found = self.chains[digests] = (chain, sorted(cas))
            chain, issuers = found
            held = [item for issuer in issuers for item in self.revocations.get(issuer, ())]
            office = self.ledger._get(Office, "office", checked.office)
            self.ledger._require_names_office(chain[0], office, checked.at)
            validation.validate(chain, held, checked.at)
        except Refusal as problem:
            self._finding(
                checked.position,
                checked.subject,
                checked.seq,
                f"signed with certificate key {checked.key}, whose certificate does not hold "
                f"at the statement's time: {problem}",
            )

    def _learn_revocation(self, checked: Checked) -> None:
        assert checked.revocation is not None
        issuer, kind, digest = checked.revocation
        try:
            [der] = self.ledger.pki_objects([digest], f"the {kind.upper()}")
        except Refusal as problem:
            self._finding(checked.position, checked.subject, checked.seq, str(problem))
            return
        if hashlib.sha256(der).digest() != digest:
            self._finding(
                checked.position,
                checked.subject,
                checked.seq,
                f"the {kind.upper()} kept beside the log is not the one recorded (its SHA-256 "
                f"differs)",
            )
            return
        self.revocations.setdefault(issuer, []).append(Revocation(kind, der))

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
            self._check_consistent(where, previous, checkpoint.size, body.root)
        return checkpoint, body.root

    def _check_consistent(
        self, where: str, previous: tuple[StoredCheckpoint, bytes], size: int, root: bytes
    ) -> None:
        """The checkpoint's tree extends the previous checkpoint's."""
        earlier, earlier_root = previous
        try:
            proof = self.ledger.consistency_proof(earlier.size, size)
            merkle.verify_consistency(earlier.size, size, earlier_root, root, proof)
        except (merkle.ProofError, LedgerError, ValueError) as problem:
            self._finding(
                0,
                None,
                None,
                f"{where} is not consistent with the checkpoint of size {earlier.size}: {problem}",
            )

    # chains ------------------------------------------------------------------------------------

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

    def _stored_head(self, originator_id: UUID | str, version: int) -> tuple[int, bytes]:
        if version <= 1:
            return 0, ZERO_HASH
        events = self.ledger.recorder.select_events(
            as_uuid(originator_id), lte=version - 1, desc=True, limit=1
        )
        if not events:
            return 0, ZERO_HASH
        try:
            raw = entry_state(events[0].state)["raw"]
        except (ValueError, KeyError, TypeError, msgpack.UnpackException):
            raw = b""
        return events[0].originator_version, hashlib.sha256(raw).digest()

    def _finding(self, position: int, subject: str | None, seq: int | None, problem: str) -> None:
        if len(self.report.findings) >= MAX_FINDINGS:  # memory stays flat on a wrecked log too
            self.report.omitted += 1
            return
        self.report.findings.append(Finding(position, subject, seq, problem))


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


def _short(value: Any) -> str:
    return f"{value.hex()[:16]}…" if isinstance(value, bytes) else repr(value)
