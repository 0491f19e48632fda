"""The service layer: one eventsourcing Application that verifies and records signed statements.

Recording a statement = decode it canonically; check `at` against the ledger's clock; find the key
and verify the signature; check the key, officer and office were valid at `at`; check `seq`/`prev`
against the subject's head; apply the domain rules; save. A concurrent save on the same subject
fails in the store, and becomes a `StaleHead` carrying the new head. The save also confirms, under
the store's write lock, that no registry subject the checks read (key, officer, office …) changed
since: if another writer changed one, nothing is saved and the statement is checked again.
`record_many` does the same for many statements at once, saving consecutive dossier statements in
one transaction.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from copy import deepcopy
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeAlias, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, Transcoder

from domain.dossier import Dossier
from domain.errors import (
    DomainError,
    DossierExists,
    KeyNotOfficer,
    NotAuthorised,
    RegistryConflict,
    UnknownDossier,
    UnknownKey,
)
from domain.instant import format_local, local_date
from domain.office import Office
from domain.officer import Authority, Key, Officer
from domain.procedure import Procedure
from domain.signed import SignedAggregate, subject_id
from domain.statement import AUTHORITY, ZERO_HASH, Entry, Statement, family
from ledger.clock import Clock, SystemClock
from ledger.config import LedgerSettings, persistence_env
from ledger.errors import (
    BadField,
    ClockSkew,
    LedgerError,
    NotInitialised,
    StaleHead,
)
from ledger.freshness import CacheFreshness
from ledger.handlers import UNKNOWN, Handlers, required
from ledger.log import tlog
from ledger.log.access import Checkpointer, LogAccess
from ledger.log.storage.tree import RegistryChanged
from ledger.log.tlog import LogKey
from ledger.statements import schema, signing
from ledger.statements.transcoder import MsgpackTranscoder

A = TypeVar("A", bound=SignedAggregate)
T = TypeVar("T")

# The kinds that begin a subject's history, and the aggregate class of each family.
CREATING = {
    "dossier.received",
    "authority.established",
    "office.established",
    "officer.enrolled",
    "key.registered",
    "procedure.published",
}
AGGREGATES: dict[str, type[SignedAggregate]] = {
    "dossier": Dossier,
    "authority": Authority,
    "office": Office,
    "officer": Officer,
    "key": Key,
    "procedure": Procedure,
}
# How many times `record` checks a statement again when the registry subjects its check read
# changed before its save (each time, another writer recorded a registry statement in between).
RECHECKS = 3


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


@dataclass
class _Batch:
    """Statements checked one after another, to be saved together in one transaction."""

    recorded_at: int  # one clock reading for every statement of the batch
    # each subject as the batch's statements left it, their events pending, in the order of
    # each subject's first statement: the order `save` collects (and the store inserts) them
    aggregates: dict[UUID, SignedAggregate] = field(default_factory=dict)
    entries: dict[tuple[UUID, int], Entry] = field(default_factory=dict)  # by (id, seq)
    leaves: dict[UUID, list[bytes]] = field(default_factory=dict)  # per subject, in seq order
    envelopes: list[tuple[bytes, bytes]] = field(default_factory=list)  # record_many's input
    outcomes: list[Outcome] = field(default_factory=list)  # one per envelope
    # every registry subject the checks read (aggregate id → version read): the save confirms,
    # under the store's write lock, that none has changed since
    reads: dict[UUID, int] = field(default_factory=dict)

    def accept(self, entry: Entry, aggregate: SignedAggregate) -> None:
        """Keep the aggregate, the statement's event pending on it, and the statement's leaf."""
        self.aggregates[aggregate.id] = aggregate  # a subject seen before keeps its place
        self.entries[(aggregate.id, entry.statement.seq)] = entry
        leaf = tlog.entry_leaf_hash(entry.raw, entry.signature, entry.recorded_at)
        self.leaves.setdefault(aggregate.id, []).append(leaf)

    def relied_on(self) -> dict[UUID, int]:
        """The registry subjects read, less those the batch saves (their own versions are
        checked by the store's version constraint)."""
        return {
            aggregate_id: version
            for aggregate_id, version in self.reads.items()
            if aggregate_id not in self.aggregates
        }

    def ordered_entries(self) -> list[tuple[UUID, int]]:
        """(aggregate id, seq) of each pending event, in the order `save` collects them."""
        by_subject: dict[UUID, list[int]] = {}
        for aggregate_id, seq in self.entries:  # accepted in seq order per subject
            by_subject.setdefault(aggregate_id, []).append(seq)
        return [
            (aggregate_id, seq)
            for aggregate_id in self.aggregates
            for seq in by_subject[aggregate_id]
        ]

    def ordered_leaves(self) -> list[bytes]:
        """One leaf per pending event, in the order `save` collects the events: aggregate by
        aggregate as passed, each aggregate's events in order."""
        return [leaf for aggregate_id in self.aggregates for leaf in self.leaves[aggregate_id]]


class Ledger(Handlers, LogAccess, Application[UUID]):
    name = "Lienthong"

    def __init__(
        self,
        settings: LedgerSettings | None = None,
        *,
        clock: Clock | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.settings = settings or LedgerSettings()
        self.clock: Clock = clock or SystemClock()
        config = persistence_env(self.settings.database_url)
        config.update(
            {
                "AGGREGATE_CACHE_MAXSIZE": str(self.settings.aggregate_cache_size),
                # freshness comes from the notification log (ledger/freshness.py), not from
                # one query per cached aggregate read
                "AGGREGATE_CACHE_FASTFORWARD": "n",
            }
        )
        config.update(env or {})
        super().__init__(env=config)
        assert self.repository.cache is not None
        self.checkpointer: Checkpointer | None = None
        if self.settings.log_key_file:
            self.checkpointer = Checkpointer(
                self,
                LogKey.load(Path(self.settings.log_key_file)),
                self.settings.checkpoint_every_entries,
                self.settings.checkpoint_every_seconds,
            )
        self._freshness = CacheFreshness(self.recorder, self.repository.cache)
        self._reading = threading.local()  # .reads: where this thread's checks note their reads
        self._handlers = self.handler_table()

    def construct_transcoder(self) -> Transcoder:
        return MsgpackTranscoder()

    # --- the one write use case ----------------------------------------------------------------

    def record(self, raw: bytes, signature: bytes) -> Receipt:
        """Verify and record one signed statement; raises a LedgerError or DomainError, having
        recorded nothing, when it is refused. Resubmitting a recorded statement (same bytes, same
        signature) records nothing and returns its original receipt with duplicate=True."""
        statement = schema.parse(raw, max_bytes=self.settings.max_statement_bytes)
        for _ in range(RECHECKS):
            batch = self._open_batch()
            receipt = self._check(batch, statement, raw, signature)
            if receipt.duplicate:
                return receipt
            try:
                self._save(batch)
            except RegistryChanged as changed:  # checked again, against the registry as it is
                self._forget(batch, changed.changed)
                continue
            except IntegrityError:
                raise self._overtaken(batch, statement) from None
            return replace(receipt, leaf_index=self.logstore.last_append_start())
        seq, head = self.head(statement.family, statement.subject)
        raise StaleHead(
            f"the registry entries this statement relies on changed {RECHECKS} times while it "
            f"was being recorded; nothing was recorded: send it again",
            subject=statement.subject,
            seq=seq,
            head=head,
        )

    def record_many(self, envelopes: Sequence[tuple[bytes, bytes]]) -> list[Outcome]:
        """Record (statement bytes, signature) envelopes with one result each, in input order:
        what `record` would give each had they been recorded one after another in this order —
        its Receipt, or the refusal (a LedgerError or DomainError instance, returned, not raised).

        Consecutive dossier statements form a batch: each is checked against the ledger as the
        earlier ones left it, all share one clock reading for `recorded_at`, and the accepted ones
        are saved in one transaction. In the log, a batch's statements on one subject are
        consecutive, subjects in the order of their first statement (a dossier statement reads
        nothing of other dossiers, so the outcomes are those of that order too). A registry
        statement changes how later statements are authenticated: it is recorded on its own,
        between the batches around it. If another writer changed one of a batch's subjects
        before it was saved, nothing of the batch is saved and its envelopes are recorded again
        one by one with `record` — so too if another writer changed a registry subject the
        batch's checks read (a key revoked …) before the batch was saved."""
        results: list[Outcome] = []
        batch: _Batch | None = None
        for raw, signature in envelopes:
            parsed = _outcome(schema.parse, raw, max_bytes=self.settings.max_statement_bytes)
            if isinstance(parsed, Statement) and parsed.family != "dossier":
                results += self._close(batch)
                batch = None
                results.append(_outcome(self.record, raw, signature))
                continue
            batch = batch or self._open_batch()
            batch.envelopes.append((raw, signature))
            batch.outcomes.append(self._admit(batch, parsed, raw, signature))
        return results + self._close(batch)

    def _open_batch(self) -> _Batch:
        """An empty batch, for statements checked against the cache as other writers left it."""
        batch = _Batch(self.clock.now())
        self._freshness.catch_up()
        return batch

    def _admit(
        self, batch: _Batch, parsed: Statement | Refusal, raw: bytes, signature: bytes
    ) -> Outcome:
        """The checks' outcome for one envelope of `record_many`, its statement already parsed."""
        if not isinstance(parsed, Statement):
            return parsed
        return _outcome(self._check, batch, parsed, raw, signature)

    def _check(self, batch: _Batch, statement: Statement, raw: bytes, signature: bytes) -> Receipt:
        """Check one statement against the ledger as the batch has left it. Accepted: its event
        and leaf join the batch (saved later) and its receipt is returned. A resubmission of a
        statement recorded or already in the batch: its receipt, duplicate=True, the batch
        unchanged. Refused: raises the LedgerError or DomainError, the batch unchanged."""
        entry = Entry(statement, raw, signature, signing.statement_hash(raw), batch.recorded_at)
        with self._noting_reads(batch):
            current = self._current(batch, statement)
            duplicate = self._find_duplicate(entry, current, batch)
            if duplicate is not None:  # a retry of what is already recorded: its receipt
                return duplicate
            self._check_clock(statement, batch.recorded_at)
            self._authenticate(entry)
            current = self._check_current_head(entry, current, batch)
            batch.accept(entry, self._handlers[statement.kind](entry, current))
        return Receipt(
            statement.kind, statement.subject, statement.seq, entry.digest, entry.recorded_at
        )

    @contextmanager
    def _noting_reads(self, batch: _Batch) -> Iterator[None]:
        """While checking a statement of `batch`: every registry subject read is noted in
        `batch.reads`, at the version read."""
        self._reading.reads = batch.reads
        try:
            yield
        finally:
            self._reading.reads = None

    def _current(self, batch: _Batch, statement: Statement) -> Any:
        """A copy of the subject to run the statement on: as the batch left it, else as cached."""
        pending = batch.aggregates.get(subject_id(statement.family, statement.subject))
        if pending is not None:
            return deepcopy(pending)
        return self._find(statement.family, statement.subject, copy=True)

    def _check_current_head(
        self, entry: Entry, current: SignedAggregate | None, batch: _Batch
    ) -> SignedAggregate | None:
        """The subject the statement follows on from. On a StaleHead with the cached subject, it
        is read again from the store (another writer may have got in since the catch-up) and
        checked once more; a head made by the batch itself is current and not read again."""
        try:
            self._check_head(entry, current)
            return current
        except StaleHead:
            statement = entry.statement
            aggregate_id = subject_id(statement.family, statement.subject)
            if aggregate_id in batch.aggregates:
                raise
            self._freshness.evict(aggregate_id)
            current = self._find(statement.family, statement.subject, copy=True)
            self._check_head(entry, current)
            return current

    def _save(self, batch: _Batch) -> None:
        """Save the batch's events in one transaction, each with its leaf; raises IntegrityError,
        having saved nothing, if another writer got to one of its subjects first, or
        RegistryChanged (one) if to a registry subject its checks read."""
        leaves = batch.ordered_leaves()
        saved = self.save(*batch.aggregates.values(), leaves=leaves, unchanged=batch.relied_on())
        self._freshness.saw(saved)
        if self.checkpointer is not None:
            self.checkpointer.after_recording(len(leaves))

    def _overtaken(self, batch: _Batch, statement: Statement) -> StaleHead:
        """The StaleHead for a statement whose save lost to another writer, with the new head."""
        self._forget(batch)
        seq, head = self.head(statement.family, statement.subject)
        return StaleHead(
            f"{statement.subject} changed while this statement was being recorded: its head "
            f"is now seq {seq}; re-sign the statement with seq {seq + 1} and the new prev",
            subject=statement.subject,
            seq=seq,
            head=head,
        )

    def _forget(self, batch: _Batch, changed: Sequence[UUID] = ()) -> None:
        """After a failed save: the cached versions of the batch's subjects are out of date, and
        those of the registry subjects another writer `changed`."""
        for aggregate_id in (*batch.aggregates, *changed):
            self._freshness.evict(aggregate_id)

    def _close(self, batch: _Batch | None) -> list[Outcome]:
        """Save what the batch accepted; the outcomes of its envelopes. If another writer got to
        one of its subjects first, its envelopes are recorded again one by one with `record`."""
        if batch is None:
            return []
        if not batch.aggregates:
            return batch.outcomes
        try:
            self._save(batch)
        except IntegrityError as failed:
            self._forget(batch, failed.changed if isinstance(failed, RegistryChanged) else ())
            return [_outcome(self.record, raw, signature) for raw, signature in batch.envelopes]
        return self._indexed(batch)

    def _indexed(self, batch: _Batch) -> list[Outcome]:
        """The batch's receipts with their log positions: a batch's leaves are consecutive, in
        the order the events were saved, so one lookup of the first gives them all."""
        first = self.logstore.last_append_start()
        index = {key: first + offset for offset, key in enumerate(batch.ordered_entries())}
        return [
            replace(
                outcome,
                leaf_index=index[(subject_id(family(outcome.kind), outcome.subject), outcome.seq)],
            )
            if isinstance(outcome, Receipt) and not outcome.duplicate
            else outcome
            for outcome in batch.outcomes
        ]

    def _check_clock(self, statement: Statement, recorded_at: int) -> None:
        tolerance = self.settings.clock_tolerance_seconds * 1_000_000
        if abs(statement.at - recorded_at) > tolerance:
            raise ClockSkew(
                f"the statement is dated {format_local(statement.at)} but the ledger's clock reads "
                f"{format_local(recorded_at)}; at most {self.settings.clock_tolerance_seconds} s "
                f"apart is accepted — check the signing device's clock and sign again"
            )

    def _authenticate(self, entry: Entry) -> None:
        statement = entry.statement
        if statement.kind == "authority.established":
            public_key = statement.body["public_key"]
            if statement.key != signing.key_id(public_key):
                raise BadField(
                    f"statement.key {statement.key} is not the id of the public key "
                    f"it establishes ({signing.key_id(public_key)})"
                )
            signing.verify(public_key, entry.raw, entry.signature)
            return
        if statement.officer == AUTHORITY:
            self._authenticate_authority(entry)
            return
        key = self._get(Key, "key", statement.key)
        signing.verify(key.public_key, entry.raw, entry.signature)
        key.require_valid(statement.at)
        if key.officer != statement.officer:
            raise KeyNotOfficer(
                f"key {key.subject} belongs to officer {key.officer}, "
                f"not to officer {statement.officer}"
            )
        self._get(Officer, "officer", statement.officer).require_in(statement.office, statement.at)
        self._get(Office, "office", statement.office).require_active(local_date(statement.at))
        if statement.family != "dossier" and key.role != "registrar":
            raise NotAuthorised(
                f"key {key.subject} is an officer key; registry statements "
                f"({statement.kind}) need the authority key or a registrar key"
            )
        if statement.kind in ("key.registered", "authority.rotated") and (
            statement.kind == "authority.rotated" or statement.body["role"] == "registrar"
        ):
            raise NotAuthorised(
                f"{statement.kind} with role registrar or a new authority key "
                f"must be signed by the authority key itself"
            )

    def _authenticate_authority(self, entry: Entry) -> None:
        statement = entry.statement
        authority = self._find("authority", AUTHORITY)
        if not isinstance(authority, Authority):
            raise NotInitialised("this ledger has no authority yet: run `lienthong init`")
        public_key = authority.public_key(statement.key, statement.at)
        if public_key is None:
            raise UnknownKey(f"key {statement.key} has never been the authority key of this ledger")
        signing.verify(public_key, entry.raw, entry.signature)
        if statement.office != AUTHORITY:
            raise BadField(
                f"statements signed by the authority key name office {AUTHORITY!r}, "
                f"not {statement.office!r}"
            )
        if statement.family == "dossier":
            raise NotAuthorised(
                "the authority key signs registry statements only; dossier "
                "statements are signed by the acting officer"
            )

    def _find_duplicate(
        self, entry: Entry, current: SignedAggregate | None, batch: _Batch
    ) -> Receipt | None:
        """The receipt of the same signed bytes with the same signature, if already recorded
        or accepted earlier in the batch."""
        statement = entry.statement
        if current is None or statement.seq > current.version:
            return None
        earlier = batch.entries.get((current.id, statement.seq))
        found = earlier or self._stored(statement.family, statement.subject, statement.seq)
        if found.raw != entry.raw or found.signature != entry.signature:
            return None
        return Receipt(
            statement.kind,
            statement.subject,
            statement.seq,
            entry.digest,
            found.recorded_at,
            duplicate=True,
        )

    def _check_head(self, entry: Entry, current: SignedAggregate | None) -> None:
        statement = entry.statement
        if current is None and statement.kind not in CREATING:
            required(current, entry)  # raises the family's Unknown… error
        seq, head = (current.version, current.head) if current is not None else (0, ZERO_HASH)
        if current is not None and statement.kind in CREATING - {"procedure.published"}:
            error = DossierExists if statement.family == "dossier" else RegistryConflict
            raise error(
                f"{statement.subject} already exists (its history has {seq} statements); "
                f"{statement.kind} begins a new one"
            )
        if statement.seq != seq + 1 or statement.prev != head:
            raise StaleHead(
                f"{statement.subject}: the statement was signed on seq {statement.seq - 1} "
                f"(prev {statement.prev.hex()[:16]}…) but the head is seq {seq} "
                f"(hash {head.hex()[:16]}…); re-sign with seq {seq + 1} and the current prev",
                subject=statement.subject,
                seq=seq,
                head=head,
            )

    # --- reads ---------------------------------------------------------------------------------

    def _find(self, family: str, subject: str, *, copy: bool = False) -> Any:
        try:
            found: Any = self.repository.get(subject_id(family, subject), deepcopy_from_cache=copy)
        except AggregateNotFoundError:
            return None
        reads = getattr(self._reading, "reads", None)
        if reads is not None and family != "dossier":  # a dossier's checks read no other one
            reads.setdefault(found.id, found.version)
        return found

    def _get(self, cls: type[A], family: str, subject: str) -> A:
        found = self._find(family, subject)
        if not isinstance(found, cls):
            raise UNKNOWN[family](f"{family} {subject} is not in the registry of this ledger")
        return found

    def head(self, family: str, subject: str) -> tuple[int, bytes]:
        """(seq, SHA-256) of the subject's latest statement; (0, 32 zero bytes) if it has none."""
        self._freshness.catch_up()
        current = self._find(family, subject)
        return (current.version, current.head) if current is not None else (0, ZERO_HASH)

    def dossier(self, code: str) -> Dossier:
        return self._read(Dossier, "dossier", code)

    def office(self, office_id: str) -> Office:
        return self._read(Office, "office", office_id)

    def officer(self, officer_id: str) -> Officer:
        return self._read(Officer, "officer", officer_id)

    def key(self, key: str) -> Key:
        return self._read(Key, "key", key)

    def procedure(self, code: str) -> Procedure:
        return self._read(Procedure, "procedure", code)

    def is_initialised(self) -> bool:
        return self.head("authority", AUTHORITY)[0] > 0

    def _read(self, cls: type[A], family: str, subject: str) -> A:
        """A current copy for callers outside `record`: caught up with other writers first."""
        self._freshness.catch_up()
        return deepcopy(self._get(cls, family, subject))

    def received(self, code: str) -> StoredEntry:
        """The dossier.received statement that began dossier `code`: what its applicant
        commitment is, as signed. UnknownDossier if the code has no history."""
        events = list(self.events.get(subject_id("dossier", code), gt=0, lte=1))
        if not events:
            raise UnknownDossier(f"dossier {code} is not in this ledger")
        return stored_entry(events[0])

    def history(self, family: str, subject: str) -> list[StoredEntry]:
        """Every statement recorded on a subject, oldest first (empty if none)."""
        return [stored_entry(event) for event in self.events.get(subject_id(family, subject))]

    def _stored(self, family: str, subject: str, seq: int) -> StoredEntry:
        events = list(self.events.get(subject_id(family, subject), gt=seq - 1, lte=seq))
        return stored_entry(events[0])


def stored_entry(event: Any) -> StoredEntry:
    return StoredEntry(event.raw, event.signature, event.recorded_at, schema.parse(event.raw))


def _outcome(call: Callable[..., T], *args: Any, **kwargs: Any) -> T | Refusal:
    """What `call` returns, or the refusal it raises (a LedgerError or DomainError)."""
    try:
        return call(*args, **kwargs)
    except (LedgerError, DomainError) as refused:
        return refused
