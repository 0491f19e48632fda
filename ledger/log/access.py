"""The ledger's transparency log as the application sees it: its size, root, proofs, checkpoints,
and the log read in order; and the Checkpointer that issues checkpoints as entries are recorded.

`LogAccess` is a part of `Ledger` (a mixin): it reads the log through the recorder, which is the
log store (ledger/log/storage/), and the Merkle maths of ledger/log/merkle.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, cast

from domain.signed import subject_id
from ledger.errors import BadProofRequest
from ledger.log import merkle
from ledger.log.storage.tree import LogStore, StoredCheckpoint
from ledger.log.tlog import LogKey

if TYPE_CHECKING:
    from eventsourcing.persistence import ApplicationRecorder, Mapper

    from ledger.clock import Clock


class LogAccess:
    if TYPE_CHECKING:  # provided by the Application this is mixed into
        recorder: ApplicationRecorder
        mapper: Mapper[Any]
        clock: Clock

    @property
    def logstore(self) -> LogStore:
        return cast(LogStore, self.recorder)

    def log_size(self) -> int:
        """How many entries the log holds: the size of its Merkle tree."""
        return self.logstore.tree_size()

    def root(self, size: int | None = None) -> bytes:
        """The Merkle root of the log's first `size` entries (all of them by default)."""
        size = self._size(size)
        return merkle.root(size, self.logstore.fetch_nodes)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        size = self._size(size)
        if not 0 <= index < size:
            raise BadProofRequest(f"entry {index} is not in a log of size {size}")
        return merkle.inclusion_proof(index, size, self.logstore.fetch_nodes)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        new_size = self._size(new_size)
        if not 0 <= old_size <= new_size:
            raise BadProofRequest(
                f"a consistency proof goes from a smaller size to a larger one, not from "
                f"{old_size} to {new_size}"
            )
        return merkle.consistency_proof(old_size, new_size, self.logstore.fetch_nodes)

    def _size(self, size: int | None) -> int:
        current = self.logstore.tree_size()
        if size is None:
            return current
        if not 0 <= size <= current:
            raise BadProofRequest(
                f"the log has {current} entries; size {size} is not one of its sizes"
            )
        return size

    def leaf_index(self, family: str, subject: str, seq: int) -> int:
        """The log position (leaf index, from 0) of a subject's statement number `seq`."""
        found = self.logstore.leaf_index(subject_id(family, subject), seq)
        if found is None:
            raise BadProofRequest(f"{family} {subject} has no statement {seq} in this log")
        return found

    def issue_checkpoint(self, log_key: LogKey) -> StoredCheckpoint:
        """Sign and keep a checkpoint of the log as it is now. A checkpoint carries no time, so
        one size has one checkpoint: the one already kept for this size is returned as is."""
        size = self.logstore.tree_size()
        existing = self.logstore.checkpoint(size)
        if existing is not None:
            return existing
        signed = StoredCheckpoint(
            size, log_key.sign_checkpoint(size, self.root(size)), self.clock.now()
        )
        if self.logstore.put_checkpoint(signed):
            return signed
        kept = self.logstore.checkpoint(size)  # another process issued it meanwhile
        assert kept is not None
        return kept

    def checkpoint(self, size: int | None = None) -> StoredCheckpoint | None:
        """The checkpoint kept for `size`, or the latest one."""
        return self.logstore.checkpoint(size)

    def read_log(self, batch: int = 500) -> Iterator[tuple[int, Any]]:
        """(notification id, stored event or the exception that decoding it raised), in log order.

        Decoding problems are yielded, not raised: an audit must name the bad entry and go on."""
        start: int | None = 1
        while True:
            notifications = self.recorder.select_notifications(start, batch)
            for notification in notifications:
                try:
                    yield notification.id, self.mapper.to_domain_event(notification)
                except Exception as problem:
                    yield notification.id, problem
            if len(notifications) < batch:
                return
            start = notifications[-1].id + 1


class Checkpointer:
    """Issues checkpoints on its own while the ledger records: once `every_entries` new entries
    have been recorded since the last checkpoint, or `every_seconds` have passed with new entries
    (checked after each recording and on `tick`, which a server calls on a timer)."""

    def __init__(
        self, ledger: LogAccess, log_key: LogKey, every_entries: int, every_seconds: float
    ) -> None:
        self.ledger = ledger
        self.log_key = log_key
        self.every_entries = every_entries
        self.every_us = int(every_seconds * 1_000_000)
        latest = ledger.checkpoint()
        self._size = latest.size if latest else 0
        self._issued_at = latest.issued_at if latest else ledger.clock.now()
        self._pending = 0

    def after_recording(self, entries: int = 1) -> None:
        """Count `entries` newly recorded (one save); issue a checkpoint if one is due."""
        self._pending += entries
        if (
            self._pending >= self.every_entries
            or self.ledger.clock.now() - self._issued_at >= self.every_us
        ):
            self.issue()

    def tick(self) -> StoredCheckpoint | None:
        """Issue a checkpoint if entries were recorded and the interval has passed."""
        if self.ledger.clock.now() - self._issued_at < self.every_us:
            return None
        if self.ledger.log_size() == self._size:
            return None
        return self.issue()

    def issue(self) -> StoredCheckpoint:
        issued = self.ledger.issue_checkpoint(self.log_key)
        self._size, self._issued_at, self._pending = issued.size, self.ledger.clock.now(), 0
        return issued
