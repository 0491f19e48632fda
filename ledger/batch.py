"""A batch: statements checked one after another and saved in one transaction; `record_many`.

`record` checks and saves a batch of one statement; `record_many` puts consecutive dossier
statements in one batch, each checked against the ledger as the earlier ones left it, all sharing
one clock reading, saved in one transaction with their leaves consecutive in the log. A registry
statement is recorded on its own, between the batches around it. `RecordMany` is a part of
`Ledger` (a mixin); the checks and the save are the ledger's own (ledger/application.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from domain.errors import DomainError
from domain.signed import SignedAggregate, subject_id
from domain.statement import Entry, Statement, family
from ledger.errors import LedgerError
from ledger.log import tlog
from ledger.log.storage.tree import RegistryChanged
from ledger.receipts import Outcome, Receipt, Refusal

if TYPE_CHECKING:
    from ledger.config import LedgerSettings
    from ledger.log.storage.tree import LogStore

T = TypeVar("T")


@dataclass
class Batch:
    """Statements checked one after another, to be saved together in one transaction."""

    recorded_at: int  # one clock reading for every statement of the batch
    # each subject as the batch's statements left it, their events pending, in the order of
    # each subject's first statement: the order `save` collects (and the store inserts) them
    aggregates: dict[UUID, SignedAggregate] = field(default_factory=dict)
    entries: dict[tuple[UUID, int], Entry] = field(default_factory=dict)  # by (id, seq)
    leaves: dict[UUID, list[bytes]] = field(default_factory=dict)  # per subject, in seq order
    # record_many's input: parsed, or as given when its bytes were refused
    envelopes: list[Prechecked | tuple[bytes, bytes]] = field(default_factory=list)
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


@dataclass(frozen=True)
class Prechecked:
    """A statement parsed for recording by `Ledger.precheck`, with its signed bytes: the bytes
    are not parsed again. Made only by `precheck` (the statement is the one its bytes hold)."""

    raw: bytes
    signature: bytes
    statement: Statement


class RecordMany:
    if TYPE_CHECKING:  # provided by the Ledger this is mixed into
        settings: LedgerSettings

        @property
        def logstore(self) -> LogStore: ...
        def record(self, raw: bytes, signature: bytes) -> Receipt: ...
        def record_prechecked(self, envelope: Prechecked) -> Receipt: ...
        def precheck(self, raw: bytes, signature: bytes, *, ahead: bool = True) -> Prechecked: ...
        def _open_batch(self) -> Batch: ...
        def _check(
            self, batch: Batch, statement: Statement, raw: bytes, signature: bytes
        ) -> Receipt: ...
        def _save(self, batch: Batch) -> None: ...
        def _forget(self, batch: Batch, changed: Sequence[UUID] = ()) -> None: ...
        def _load_uncached(self, aggregate_ids: Iterable[UUID]) -> None: ...

    def record_many(self, envelopes: Sequence[tuple[bytes, bytes] | Prechecked]) -> list[Outcome]:
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
        batch: Batch | None = None
        parsed_all: list[Prechecked | Refusal] = [
            envelope
            if isinstance(envelope, Prechecked)
            else _outcome(self.precheck, *envelope, ahead=False)
            for envelope in envelopes
        ]
        self._load_uncached(
            subject_id("dossier", parsed.statement.subject)
            for parsed in parsed_all
            if isinstance(parsed, Prechecked) and parsed.statement.family == "dossier"
        )
        for envelope, parsed in zip(envelopes, parsed_all, strict=True):
            if isinstance(parsed, Prechecked) and parsed.statement.family != "dossier":
                results += self._close(batch)
                batch = None
                results.append(_outcome(self.record_prechecked, parsed))
                continue
            batch = batch or self._open_batch()
            batch.envelopes.append(parsed if isinstance(parsed, Prechecked) else envelope)
            batch.outcomes.append(self._admit(batch, parsed))
        return results + self._close(batch)

    def _admit(self, batch: Batch, parsed: Prechecked | Refusal) -> Outcome:
        """The checks' outcome for one envelope of `record_many`, its statement already parsed."""
        if not isinstance(parsed, Prechecked):
            return parsed
        return _outcome(self._check, batch, parsed.statement, parsed.raw, parsed.signature)

    def _close(self, batch: Batch | None) -> list[Outcome]:
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
            return [_outcome(self._record_again, envelope) for envelope in batch.envelopes]
        return self._indexed(batch)

    def _record_again(self, envelope: tuple[bytes, bytes] | Prechecked) -> Receipt:
        """One envelope of a batch that could not be saved, recorded on its own."""
        if isinstance(envelope, Prechecked):
            return self.record_prechecked(envelope)
        return self.record(*envelope)

    def _indexed(self, batch: Batch) -> list[Outcome]:
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


def _outcome(call: Callable[..., T], *args: Any, **kwargs: Any) -> T | Refusal:
    """What `call` returns, or the refusal it raises (a LedgerError or DomainError)."""
    try:
        return call(*args, **kwargs)
    except (LedgerError, DomainError) as refused:
        return refused
