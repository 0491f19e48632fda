"""The service layer: one eventsourcing Application that verifies and records signed statements.

Recording a statement = decode it canonically; check `at` against the ledger's clock; find the key
and verify the signature; check the key, officer and office were valid at `at`; check `seq`/`prev`
against the subject's head; apply the domain rules; save. A concurrent save on the same subject
fails in the store; the statement is checked once more against the store, and a `StaleHead`
carrying the new head is what a true race ends in. The save also confirms, under
the store's write lock, that no registry subject the checks read (key, officer, office …) changed
since: if another writer changed one, nothing is saved and the statement is checked again.
`record_many` does the same for many statements at once, saving consecutive dossier statements in
one transaction.

`Ledger` is made of parts: the checks before the domain rules (ledger/checks.py), each kind's
handler (ledger/handlers.py), the batch and `record_many` (ledger/batch.py), and the log as the
application sees it (ledger/log/access.py). What recording says back (`Receipt`, `StoredEntry`,
`Outcome`, `Refusal`) is defined in ledger/receipts.py and named here too.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from copy import deepcopy
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    ProcessingEvent,
    project_aggregate,
)
from eventsourcing.domain import DomainEventProtocol, MutableOrImmutableAggregate
from eventsourcing.persistence import IntegrityError, Recording, Transcoder

from domain.dossier import Dossier
from domain.errors import DomainError, UnknownDossier
from domain.office import Office
from domain.officer import Authority, Key, Officer
from domain.procedure import Procedure
from domain.revocation import Revocations
from domain.signed import SignedAggregate, subject_id
from domain.statement import AUTHORITY, ZERO_HASH, Entry, Statement
from ledger.batch import Batch, Prechecked, RecordMany
from ledger.certification import CertificateChecks
from ledger.checks import Checks
from ledger.clock import Clock, SystemClock
from ledger.config import LedgerSettings, persistence_env
from ledger.errors import LedgerError, StaleHead
from ledger.freshness import CacheFreshness
from ledger.handlers import UNKNOWN, Handlers
from ledger.log.access import Checkpointer, LogAccess
from ledger.log.storage.tree import RegistryChanged
from ledger.log.tlog import LogKey
from ledger.receipts import Outcome as Outcome
from ledger.receipts import Receipt as Receipt
from ledger.receipts import Refusal as Refusal
from ledger.receipts import StoredEntry as StoredEntry
from ledger.receipts import stored_entry as stored_entry
from ledger.statements import schema, signing
from ledger.statements.transcoder import MsgpackTranscoder

A = TypeVar("A", bound=SignedAggregate)

# The aggregate class of each family.
AGGREGATES: dict[str, type[SignedAggregate]] = {
    "dossier": Dossier,
    "authority": Authority,
    "office": Office,
    "officer": Officer,
    "key": Key,
    "procedure": Procedure,
    "revocation": Revocations,
}
# How many times `record` checks a statement again when the registry subjects its check read
# changed before its save (each time, another writer recorded a registry statement in between).
RECHECKS = 3


class Ledger(Handlers, Checks, CertificateChecks, RecordMany, LogAccess, Application[UUID]):
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
        self._pki_read_only = config.get("CREATE_TABLE") == "n"
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
        self.verified = signing.VerifiedSignatures()  # signatures verified ahead (`precheck`)
        self._reading = threading.local()  # .reads: where this thread's checks note their reads
        self._handlers = self.handler_table()

    def construct_transcoder(self) -> Transcoder:
        return MsgpackTranscoder()

    # --- the one write use case ----------------------------------------------------------------

    def record(self, raw: bytes, signature: bytes) -> Receipt:
        """Verify and record one signed statement; raises a LedgerError or DomainError, having
        recorded nothing, when it is refused. Resubmitting a recorded statement (the same bytes,
        signed again or not) records nothing and returns its original receipt with
        duplicate=True."""
        return self.record_prechecked(self.precheck(raw, signature, ahead=False))

    def record_prechecked(self, envelope: Prechecked) -> Receipt:
        """`record` for a statement `precheck` has parsed (and maybe verified ahead)."""
        statement, raw, signature = envelope.statement, envelope.raw, envelope.signature
        overtaken = False
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
                # another writer got to the subject first, perhaps before the check (the cache
                # is not asked before each statement): checked once more against the store
                if overtaken:
                    raise self._overtaken(batch, statement) from None
                overtaken = True
                self._forget(batch)
                self._freshness.catch_up()
                continue
            return replace(receipt, leaf_index=self.logstore.last_append_start())
        seq, head = self.head(statement.family, statement.subject)
        raise StaleHead(
            f"the registry entries this statement relies on changed {RECHECKS} times while it "
            f"was being recorded; nothing was recorded: send it again",
            subject=statement.subject,
            seq=seq,
            head=head,
        )

    def precheck(self, raw: bytes, signature: bytes, *, ahead: bool = True) -> Prechecked:
        """Parse a statement for recording (refusals: see `ledger.errors`), and with `ahead`
        verify its signature now, on the calling thread, if its key is in the cache: a server
        does this on the thread that received the statement, in parallel with the writer, and
        `record_many` then neither parses the bytes again nor verifies the same signature again
        (`signing.VerifiedSignatures`). Every check is still made by the writer, in order; a
        signature that does not verify here is left for the writer to refuse."""
        statement = schema.parse(raw, max_bytes=self.settings.max_statement_bytes)
        if ahead and statement.officer != AUTHORITY and statement.kind != "authority.established":
            try:
                key = self.repository.cache.get(subject_id("key", statement.key))  # type: ignore[union-attr]
            except KeyError:
                key = None  # not cached: the writer reads it and verifies
            if isinstance(key, Key):
                self.verified.verify_ahead(key.public_key, raw, signature)
        return Prechecked(raw, signature, statement)

    def _open_batch(self) -> Batch:
        """An empty batch, for statements checked against the cache (caught up first if a save
        showed that another writer got in: ledger/freshness.py)."""
        batch = Batch(self.clock.now())
        self._freshness.catch_up_if_behind()
        return batch

    def _check(self, batch: Batch, statement: Statement, raw: bytes, signature: bytes) -> Receipt:
        """Check one statement against the ledger as the batch has left it. Accepted: its event
        and leaf join the batch (saved later) and its receipt is returned. A resubmission of a
        statement recorded or already in the batch: its receipt, duplicate=True, the batch
        unchanged. Refused: raises the LedgerError or DomainError, the batch unchanged — after a
        second check if other writers had added entries the cache had not seen (a stale cache
        never refuses what the ledger as it is accepts)."""
        try:
            return self._check_once(batch, statement, raw, signature)
        except (LedgerError, DomainError):
            if not self._freshness.catch_up():
                raise
        return self._check_once(batch, statement, raw, signature)

    def _check_once(
        self, batch: Batch, statement: Statement, raw: bytes, signature: bytes
    ) -> Receipt:
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
    def _noting_reads(self, batch: Batch) -> Iterator[None]:
        """While checking a statement of `batch`: every registry subject read is noted in
        `batch.reads`, at the version read."""
        self._reading.reads = batch.reads
        try:
            yield
        finally:
            self._reading.reads = None

    def _current(self, batch: Batch, statement: Statement) -> Any:
        """A copy of the subject to run the statement on: as the batch left it, else as cached."""
        pending = batch.aggregates.get(subject_id(statement.family, statement.subject))
        if pending is not None:
            return deepcopy(pending)
        return self._find(statement.family, statement.subject, copy=True)

    def _check_current_head(
        self, entry: Entry, current: SignedAggregate | None, batch: Batch
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

    def _save(self, batch: Batch) -> None:
        """Save the batch's events in one transaction, each with its leaf; raises IntegrityError,
        having saved nothing, if another writer got to one of its subjects first, or
        RegistryChanged (one) if to a registry subject its checks read."""
        leaves = batch.ordered_leaves()
        saved = self.save(*batch.aggregates.values(), leaves=leaves, unchanged=batch.relied_on())
        self._freshness.saw(saved)
        if self.checkpointer is not None:
            self.checkpointer.after_recording(len(leaves))

    def save(
        self,
        *objs: MutableOrImmutableAggregate[UUID] | DomainEventProtocol[UUID] | None,
        **kwargs: Any,
    ) -> list[Recording[UUID]]:
        """`Application.save`, with the same steps, for the writer's saves of signed aggregates
        alone: without its two `isinstance` checks of each object against runtime-checkable
        Protocols (is it an event, can it give its events), which cost ~19 µs an object on
        Python 3.11. Anything else is saved by `Application.save` itself."""
        if not all(isinstance(obj, SignedAggregate) for obj in objs):
            return super().save(*objs, **kwargs)
        processing_event: ProcessingEvent[UUID] = ProcessingEvent()
        for aggregate in objs:
            assert isinstance(aggregate, SignedAggregate)
            processing_event.events.extend(aggregate.collect_events())
            processing_event.aggregates[aggregate.id] = aggregate
        processing_event.saved_kwargs.update(kwargs)
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        self.notify(processing_event.events)  # deprecated, still called as save calls it
        return recordings

    def _overtaken(self, batch: Batch, statement: Statement) -> StaleHead:
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

    def _forget(self, batch: Batch, changed: Sequence[UUID] = ()) -> None:
        """After a failed save: the cached versions of the batch's subjects are out of date, and
        those of the registry subjects another writer `changed`."""
        for aggregate_id in (*batch.aggregates, *changed):
            self._freshness.evict(aggregate_id)

    def _load_uncached(self, aggregate_ids: Iterable[UUID]) -> None:
        """Read the subjects a group of statements is about that are not in the cache, with one
        query for all of them, into the cache: checking the group then reads none one by one.
        What a query per subject would have read, read at once (a stale read is caught at the
        save, as any read of the cache is: ledger/freshness.py)."""
        cache = self.repository.cache
        assert cache is not None
        missing: list[UUID] = []
        for aggregate_id in dict.fromkeys(aggregate_ids):
            try:
                cache.get(aggregate_id)
            except KeyError:
                missing.append(aggregate_id)
        if len(missing) < 2:  # one subject: the usual read costs no more
            return
        for aggregate_id, stored in self.logstore.select_events_of(missing).items():
            aggregate = project_aggregate(None, map(self.mapper.to_domain_event, stored))
            if aggregate is not None:
                cache.put(aggregate_id, aggregate)

    # --- reads ---------------------------------------------------------------------------------

    def _find(self, family: str, subject: str, *, copy: bool = False) -> Any:
        reads = getattr(self._reading, "reads", None)
        try:
            found: Any = self.repository.get(subject_id(family, subject), deepcopy_from_cache=copy)
        except AggregateNotFoundError:
            if reads is not None and family != "dossier":
                # relied on as absent (no revocation data of a CA yet …): its first statement,
                # recorded by another writer before this save, changes what the check found
                reads.setdefault(subject_id(family, subject), 0)
            return None
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

    def has(self, family: str, subject: str) -> bool:
        """Whether the subject has a history in the log."""
        return self._find(family, subject) is not None

    def dossier(self, code: str) -> Dossier:
        return self._read(Dossier, "dossier", code)

    def office(self, office_id: str, *, caught_up: bool = False) -> Office:
        """The office's current copy; `caught_up`: the caller has just caught up with other
        writers (`catch_up`) and reads many offices as of then, without asking again."""
        if caught_up:
            return deepcopy(self._get(Office, "office", office_id))
        return self._read(Office, "office", office_id)

    def officer(self, officer_id: str) -> Officer:
        return self._read(Officer, "officer", officer_id)

    def key(self, key: str) -> Key:
        return self._read(Key, "key", key)

    def procedure(self, code: str) -> Procedure:
        return self._read(Procedure, "procedure", code)

    def is_initialised(self) -> bool:
        return self.head("authority", AUTHORITY)[0] > 0

    def catch_up(self) -> None:
        """Evict what other writers (another process, another Ledger object) changed since this
        one last looked: reads after it see their entries."""
        self._freshness.catch_up()

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
