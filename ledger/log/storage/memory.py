"""The log kept in memory, beside the events of eventsourcing's in-memory recorder.

The leaf step is worked out before anything is stored, under the recorder's own lock: if it fails
(a node missing, any error), the events are not stored either.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from threading import RLock
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.popo import POPOApplicationRecorder, POPOFactory

from ledger.log.merkle import NodeId
from ledger.log.storage import tree
from ledger.log.storage.tree import LeafRef, RegistryChanged, StoredCheckpoint, _Appends


class MemoryLogRecorder(_Appends, POPOApplicationRecorder):
    def __init__(self) -> None:
        super().__init__()
        self._nodes: dict[NodeId, bytes] = {}
        self._leaves: list[LeafRef] = []
        self._leaf_of: dict[tuple[UUID, int], int] = {}
        self._checkpoints: dict[int, StoredCheckpoint] = {}
        self._cosignatures: dict[int, dict[str, str]] = {}
        self._log_lock = RLock()

    def _insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        leaves = tree._leaf_hashes(stored_events, kwargs)
        with self._database_lock:
            changed = [
                aggregate_id
                for aggregate_id, version in tree._relied_on(kwargs).items()
                if version + 1 in self._stored_events_index.get(str(aggregate_id), {})
            ]
            if changed:
                raise RegistryChanged(changed)
            # the leaf step is worked out before anything is stored: if it fails (a node
            # missing, any error), the events are not stored either
            size = len(self._leaves)
            needed = tree._siblings(size, len(leaves))
            found = dict(zip(needed, self.fetch_nodes(needed), strict=True))
            nodes = tree._grow(size, found, leaves)
            refs = [
                LeafRef(
                    size + offset, tree._uuid(event.originator_id), event.originator_version, leaf
                )
                for offset, (event, leaf) in enumerate(zip(stored_events, leaves, strict=True))
            ]
            ids = super()._insert_events(stored_events, **kwargs)  # a version clash: nothing stored
            self._nodes.update(nodes)
            self._leaves.extend(refs)
            self._leaf_of.update(
                ((ref.originator_id, ref.originator_version), ref.index) for ref in refs
            )
            self._appended(size, len(leaves))
            return ids

    def select_events_of(self, originator_ids: Sequence[UUID]) -> dict[UUID, list[StoredEvent]]:
        """Every stored event of each of these subjects, in version order (tree.LogStore)."""
        found = {
            aggregate_id: list(self.select_events(aggregate_id)) for aggregate_id in originator_ids
        }
        return {aggregate_id: events for aggregate_id, events in found.items() if events}

    def tree_size(self) -> int:
        with self._database_lock:
            return len(self._leaves)

    def fetch_nodes(self, ids: Sequence[NodeId]) -> list[bytes]:
        with self._database_lock:
            try:
                return [self._nodes[node] for node in ids]
            except KeyError:
                raise tree._missing(ids, self._nodes) from None

    def leaf_index(self, originator_id: UUID, version: int) -> int | None:
        with self._database_lock:
            return self._leaf_of.get((originator_id, version))

    def leaf_refs(self, start: int, limit: int) -> list[LeafRef]:
        with self._database_lock:
            return [
                replace(ref, leaf_hash=self._nodes.get((0, ref.index), b""))
                for ref in self._leaves[start : start + limit]
            ]

    def put_checkpoint(self, checkpoint: StoredCheckpoint) -> bool:
        with self._log_lock:
            if checkpoint.size in self._checkpoints:
                return False
            self._checkpoints[checkpoint.size] = checkpoint
            return True

    def checkpoints(self, start_size: int = 0, limit: int = 1000) -> list[StoredCheckpoint]:
        with self._log_lock:
            sizes = sorted(size for size in self._checkpoints if size >= start_size)
            return [self._checkpoints[size] for size in sizes[:limit]]

    def checkpoint(self, size: int | None = None) -> StoredCheckpoint | None:
        with self._log_lock:
            if size is None:
                size = max(self._checkpoints, default=None)
            return None if size is None else self._checkpoints.get(size)

    def put_cosignature(self, size: int, witness: str, line: str, recorded_at: int) -> bool:
        with self._log_lock:
            lines = self._cosignatures.setdefault(size, {})
            if lines.get(witness) == line:
                return False
            lines[witness] = line
            return True

    def cosignatures(self, size: int) -> list[str]:
        with self._log_lock:
            return [line for _, line in sorted(self._cosignatures.get(size, {}).items())]


class MemoryFactory(POPOFactory):
    def application_recorder(self) -> MemoryLogRecorder:
        return MemoryLogRecorder()
