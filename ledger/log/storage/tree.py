"""The tree logic every storage backend shares: leaves and nodes written with the events they log.

Every stored event is one leaf. The recorders (one module per backend beside this one) extend
eventsourcing's application recorders so that inserting events also appends their leaves to the
Merkle tree, inside the same database transaction and under the same write lock:

- `leaves` maps the dense leaf index (0, 1, 2 …) to the event (aggregate id and version);
- `nodes` keeps every perfect subtree hash (level 0 = the leaf hashes), so the root at any size,
  an inclusion proof or a consistency proof reads O(log n) rows;
- `checkpoints` keeps every signed checkpoint note issued, and `cosignatures` the witnesses'
  cosignature lines beside the checkpoint they cosign.

The leaf hashes come from the application (`leaves=` keyword of `save`): a save without one leaf
hash per event is refused before anything is written. The leaf index is never derived from the
store's notification ids (PostgreSQL sequences skip numbers after a failed insert).

A save is atomic on every backend: whatever fails in the leaf step (a tree node missing, any
error), neither the events nor their leaves are stored.

A save also says which registry subjects its statements' checks relied on, and the version each
was read at (`unchanged=` keyword of `save`). Under the same write lock, one query confirms that
none of them has a later event; if one has (another server recorded a key's revocation, an
officer's departure … after the checks read the registry), nothing is stored and `RegistryChanged`
is raised, for the ledger to check the statements again.

The backends (memory.py, sqlite.py, postgres.py) differ in how they store rows and take the
write lock; what a save appends, and the checks before it, are worked out here. They call the
underscored helpers through this module (`tree._grow`), so that a test can put a failure into the
leaf step of every backend.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.persistence import IntegrityError, ProgrammingError, StoredEvent

from ledger.log import merkle
from ledger.log.merkle import NodeId


@dataclass(frozen=True)
class StoredCheckpoint:
    size: int
    note: str
    issued_at: int  # the ledger's clock, microseconds since the epoch


@dataclass(frozen=True)
class LeafRef:
    """Which event a leaf is."""

    index: int
    originator_id: UUID
    originator_version: int
    leaf_hash: bytes  # as stored in the tree when the entry was recorded


class TreeMissing(ProgrammingError):
    """A node the tree needs is not stored: the log's tables were damaged outside the ledger."""


class RegistryChanged(IntegrityError):
    """A registry subject the save's checks relied on has changed since they read it: another
    writer recorded a statement on it in between. Nothing of the save was stored."""

    def __init__(self, changed: Sequence[UUID]) -> None:
        super().__init__(
            f"{len(changed)} registry subject(s) the checks read changed before the save: "
            + ", ".join(str(aggregate_id) for aggregate_id in changed)
        )
        self.changed = list(changed)


class LogStore(Protocol):
    """What the rest of the ledger needs from the recorder about the log."""

    def tree_size(self) -> int: ...
    def fetch_nodes(self, ids: Sequence[NodeId]) -> list[bytes]: ...
    def leaf_index(self, originator_id: UUID, version: int) -> int | None: ...
    def leaf_refs(self, start: int, limit: int) -> list[LeafRef]: ...
    def put_checkpoint(self, checkpoint: StoredCheckpoint) -> bool: ...
    def checkpoints(self, start_size: int = 0, limit: int = 1000) -> list[StoredCheckpoint]: ...
    def checkpoint(self, size: int | None = None) -> StoredCheckpoint | None: ...
    def put_cosignature(self, size: int, witness: str, line: str, recorded_at: int) -> bool: ...
    def cosignatures(self, size: int) -> list[str]: ...
    def last_append_start(self) -> int: ...
    def select_events_of(self, originator_ids: Sequence[UUID]) -> dict[UUID, list[StoredEvent]]: ...


class _Appends:
    """Remembers, per thread, the leaf index the calling thread's latest append started at: a
    save's leaves are consecutive, so its receipts know their log positions with no query.

    It also remembers, per recorder, the size the tree had after the latest save made through
    it: the size the next save most likely finds. The SQL backends read, in the one query that
    reads the tree's true size under the write lock, the nodes a save at that expected size
    combines with; only when the true size differs (another writer appended in between, or that
    save was not committed) are the nodes for the true size read by a second query. The guess
    saves a query; it never decides what is written."""

    def _appended(self, start: int, count: int) -> None:
        local = self.__dict__.setdefault("_appends", threading.local())
        local.start = start
        self.__dict__["_size_guess"] = start + count

    def last_append_start(self) -> int:
        """The first leaf index of this thread's latest save (call it right after the save)."""
        return int(self.__dict__["_appends"].start)

    def _guess(self, count: int) -> tuple[int, list[NodeId]]:
        """The size the next save expects the tree to have, and the stored nodes appending
        `count` leaves at that size combines with (none before this recorder's first save)."""
        guess = self.__dict__.get("_size_guess")
        if guess is None:
            return -1, []
        return guess, _siblings(guess, count)


def _leaf_hashes(stored_events: Sequence[StoredEvent], kwargs: dict[str, Any]) -> list[bytes]:
    """The leaf hashes passed with a save, checked before anything is written."""
    leaves = kwargs.get("leaves")
    if leaves is None or len(leaves) != len(stored_events):
        raise ProgrammingError(
            f"every event recorded is a leaf of the log: this save has {len(stored_events)} "
            f"events and {0 if leaves is None else len(leaves)} leaf hashes"
        )
    for leaf in leaves:
        if not isinstance(leaf, bytes) or len(leaf) != merkle.HASH_SIZE:
            raise ProgrammingError("a leaf hash is 32 bytes")
    return list(leaves)


def _relied_on(kwargs: dict[str, Any]) -> dict[UUID, int]:
    """The registry subjects the save's checks read (aggregate id → version read)."""
    return dict(kwargs.get("unchanged") or {})


def _siblings(size: int, count: int) -> list[NodeId]:
    """The stored nodes that appending `count` leaves to a tree of `size` combines with: for each
    new leaf, the left sibling at every level where it completes a subtree, less those the
    appended leaves make themselves. About one node per leaf, not the whole frontier."""
    needed: list[NodeId] = []
    for index in range(size, size + count):
        level = 0
        while (index >> level) & 1:
            sibling = (level, (index >> level) - 1)
            if (sibling[1] + 1) << level <= size:  # made before this save
                needed.append(sibling)
            level += 1
    return needed


def _grow(
    size: int, siblings: dict[NodeId, bytes], leaves: Sequence[bytes]
) -> list[tuple[NodeId, bytes]]:
    """The nodes (leaves included) that appending `leaves` to a tree of `size` adds, given the
    stored `siblings` they combine with."""
    known = dict(siblings)
    added: list[tuple[NodeId, bytes]] = []
    for offset, leaf in enumerate(leaves):
        index, level, value = size + offset, 0, leaf
        known[(0, index)] = value
        added.append(((0, index), value))
        while (index >> level) & 1:
            value = merkle.node_hash(known[(level, (index >> level) - 1)], value)
            level += 1
            node = (level, index >> level)
            known[node] = value
            added.append((node, value))
    return added


def _missing(ids: Sequence[NodeId], found: dict[NodeId, bytes]) -> TreeMissing:
    absent = [node for node in ids if node not in found]
    return TreeMissing(
        f"the log's tree has no stored node (level, index) {absent[0]}"
        f"{f' and {len(absent) - 1} more' if len(absent) > 1 else ''}: the log tables were changed "
        f"outside the ledger; run `lienthong verify`"
    )


def _uuid(value: UUID | str) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))
