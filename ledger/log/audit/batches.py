"""The log read in batches, in log order, and checked on a pool of worker processes.

The entries and the tree's leaves are read side by side, a batch at a time, so memory stays flat
however long the log is; where they part, the store is asked which side lost what (a few indexed
reads, only where something is wrong), and what was deleted or added is named as a finding. The
checks of one batch are independent of other batches (entries.py), so they run on every core,
a few batches ahead of the order-dependent checks that consume them.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from multiprocessing.context import BaseContext
from typing import Any
from uuid import UUID

import msgpack

from ledger.application import Ledger
from ledger.log.audit.entries import (
    KEY_TOPICS,
    Checked,
    Found,
    Row,
    check_range,
    check_rows,
    checked,
    entry_state,
)
from ledger.log.audit.store import Address, Leaf, Reader, as_uuid
from ledger.log.storage.tree import LeafRef, LogStore, StoredCheckpoint
from ledger.statements import signing

BATCH = 2000  # rows a read returns
# entries a worker checks at a time: small enough that the workers start soon and finish together
RANGE = 500
# while its workers start, the main process checks the first ranges itself
CHECK_WHILE_STARTING = True
PARALLEL_FROM = 20_000  # smaller logs are checked in this process: starting workers costs more
# what the fork server imports once, before it forks each worker: the checks (preloaded.py
# freezes what it imported). The program itself is imported again by each worker: Python 3.11's
# fork server is never told the main module's path
PRELOAD = ["ledger.log.audit.batches", "ledger.log.audit.preloaded"]

# The tree's record of a leaf: read by the recorder (LeafRef) or by `Reader` (Leaf).
Ref = LeafRef | Leaf

# Where a finding goes: (position, subject, seq, problem); position 0 for the log as a whole.
OnFinding = Callable[[int, str | None, int | None, str], None]


def forkserver() -> BaseContext:
    """The context of the audit's workers: a fork server that has imported the checks (takes
    effect when the fork server starts, the first time a worker is started)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


def _ready() -> int:
    return os.getpid()


class StartingPool:
    """Worker processes started in the background: the main process reads meanwhile, and waits
    for them only when it hands over its first batch. `started` is how long they took to start,
    each answering once (seconds, once `pool()` has returned)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.started = 0.0
        self._pool: ProcessPoolExecutor | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._start, name="audit-pool-start", daemon=True)
        self._thread.start()

    def _start(self) -> None:
        began = time.perf_counter()
        try:
            self._pool = ProcessPoolExecutor(self.workers, forkserver())
            # each submission starts one more worker (forkserver: started on demand)
            for future in [self._pool.submit(_ready) for _ in range(self.workers)]:
                future.result()
        except BaseException as problem:  # raised again in the main thread by `pool()`
            self._error = problem
        self.started = time.perf_counter() - began

    def ready(self) -> bool:
        """Whether the workers have started (or failed to)."""
        return not self._thread.is_alive()

    def pool(self) -> ProcessPoolExecutor:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._pool is not None
        return self._pool

    def shutdown(self) -> None:
        """Stop the workers, once started (again: nothing more)."""
        self._thread.join()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def all_keys(ledger: Ledger) -> dict[str, bytes]:
    """Every public key the log registers (key.registered, authority.*), by key id."""
    keys: dict[str, bytes] = {}
    start = 1
    while True:
        batch = ledger.recorder.select_notifications(start, BATCH, topics=KEY_TOPICS)
        for notification in batch:
            try:
                statement = msgpack.unpackb(entry_state(notification.state)["raw"], raw=False)
                public_key = statement["body"]["public_key"]
                if isinstance(public_key, bytes):
                    keys.setdefault(signing.key_id(public_key), public_key)
            except (ValueError, KeyError, TypeError, msgpack.UnpackException):
                continue  # the log-order pass names the damaged entry
        if len(batch) < BATCH:
            return keys
        start = batch[-1].id + 1


class Checks:
    """Where the batches are checked: on the workers (`pool`, else in this process), from rows
    the main process read (`rows`), or read by the workers themselves from `address` (`ids`)."""

    def __init__(
        self,
        keys: dict[str, bytes],
        address: Address | None,
        pool: StartingPool | None,
    ) -> None:
        self.token = uuid.uuid4().hex
        self.keys = pickle.dumps(keys)  # once: a batch carries it as bytes
        self.address, self.starting = address, pool
        self.workers = pool.workers if pool is not None else 1
        self._executor: Executor | None = None
        self.here = 0  # entries checked in this process

    def submit(self, paired: list[tuple[int, Any]]) -> Future[list[Found]] | list[Found]:
        """Check a batch of (position, notification) pairs, notifications in store order."""
        if self.address is not None:
            ids = [notification.id for _, notification in paired]
            args: tuple[Any, ...] = (self.address, self.token, self.keys, ids[0], ids[-1], ids)
            task: Callable[..., list[Found]] = check_range
        else:
            rows: list[Row] = [
                (position, _uuid(n.originator_id), n.originator_version, n.topic, n.state)
                for position, n in paired
            ]
            args, task = (self.token, self.keys, rows), check_rows
        if self.starting is None or (
            self._executor is None and CHECK_WHILE_STARTING and not self.starting.ready()
        ):
            self.here += len(paired)  # checked here, while the workers start if there are any
            return task(*args)
        if self._executor is None:
            self._executor = self.starting.pool()
        return self._executor.submit(task, *args)


def checked_in_log_order(
    batches: Iterable[tuple[list[tuple[int, Any]], list[Ref]]],
    checks: Checks,
    progress: Callable[[int], None] | None,
) -> Iterator[tuple[Checked, Ref]]:
    """(checked entry, its leaf record) in log order, batches checked ahead on the workers."""
    pending: list[tuple[Any, list[tuple[int, Any]], list[Ref]]] = []
    for paired, refs in batches:
        pending.append((checks.submit(paired), paired, refs))
        if len(pending) > 4 * checks.workers:
            yield from _collect(pending.pop(0), progress)
    for item in pending:
        yield from _collect(item, progress)


def _collect(
    item: tuple[Any, list[tuple[int, Any]], list[Ref]],
    progress: Callable[[int], None] | None,
) -> Iterator[tuple[Checked, Ref]]:
    future, paired, refs = item
    results: list[Found] = future if isinstance(future, list) else future.result()
    if progress is not None:
        progress(len(results))
    for (position, notification), found, ref in zip(paired, results, refs, strict=True):
        # the aggregate id as the pairing compared it (the store's text when read by `Reader`)
        yield checked(position, ref_id(notification), notification.originator_version, found), ref


def ref_id(notification: Any) -> UUID | str:
    """An entry's aggregate id as the pairing compares it: the store's text when `Reader` read
    it (the leaves too), a UUID when the recorder did."""
    value = notification.originator_id
    return value if isinstance(value, UUID | str) else _uuid(value)


class Pairing:
    """Batches of entries in log order, each paired with the tree's record of its leaf; what
    lost its partner (an entry, a leaf, or both) is named in a finding."""

    def __init__(
        self, ledger: Ledger, log: LogStore, finding: OnFinding, reader: Reader | None = None
    ) -> None:
        self.ledger, self.logstore, self.finding = ledger, log, finding
        self.reader = reader  # reads the entries' places only, their states left to the workers
        self.leaves: Iterator[Ref] = iter(())
        self.ref: Ref | None = None  # the next leaf not yet paired
        self.expected = 0  # the next leaf index, were the tree dense

    def batches(self) -> Iterator[tuple[list[tuple[int, Any]], list[Ref]]]:
        """Batches of (position, notification) pairs with the leaf records they pair with."""
        rows: list[tuple[int, Any]] = []
        refs: list[Ref] = []
        self.leaves = self._leaf_stream()
        self.ref = next(self.leaves, None)
        for notification in self._notification_stream():
            key = (ref_id(notification), notification.originator_version)
            ref = self._pair(key)
            if ref is None:
                continue
            rows.append((ref.index + 1, notification))
            refs.append(ref)
            if len(rows) == RANGE:
                yield rows, refs
                rows, refs = [], []
        if rows:
            yield rows, refs
        if self.ref is not None:
            self.finding(
                self.ref.index + 1,
                None,
                None,
                "the tree has leaves from here on whose entries are gone: entries were deleted "
                "from the store",
            )

    def _pair(self, key: tuple[UUID | str, int]) -> Ref | None:
        """The leaf of the entry `key`: the next one in the tree, once the leaves of entries
        gone from the store are passed. None (and a finding) if the entry has no leaf."""
        self._pass_leaves_of_deleted(key)
        ref = self.ref
        if ref is None or (
            (ref.originator_id, ref.originator_version) != key
            and self.logstore.leaf_index(as_uuid(key[0]), key[1]) is None
        ):
            self.finding(
                self.expected + 1,
                None,
                key[1],
                f"the entry stored after entry {self.expected} (aggregate {as_uuid(key[0])}, version "
                f"{key[1]}) is not a leaf of the tree: its leaf was deleted, or the entry was "
                f"added outside the ledger",
            )
            self.expected += 1  # it stands where its leaf would be
            return None
        if ref.index != self.expected:
            self._name_gap(ref.index)
        self.expected = ref.index + 1
        self.ref = next(self.leaves, None)
        return ref

    def _pass_leaves_of_deleted(self, key: tuple[UUID | str, int]) -> None:
        """Pass the leaves before the entry `key` whose entries are gone from the store; a leaf
        whose entry exists elsewhere stays, to be paired (and named) where it is."""
        while self.ref is not None and (self.ref.originator_id, self.ref.originator_version) != key:
            if self._event_exists(self.ref.originator_id, self.ref.originator_version):
                return  # both exist, in different places: reordered (named when paired)
            self.finding(
                self.ref.index + 1,
                None,
                None,
                f"entry {self.ref.index + 1} is gone from the store but its leaf remains: "
                f"entries were deleted",
            )
            self.expected = self.ref.index + 1
            self.ref = next(self.leaves, None)

    def _name_gap(self, index: int) -> None:
        """Entries from the expected one up to leaf `index` are gone with their leaves."""
        expected = self.expected
        gone = f"{expected + 1}" if index == expected + 1 else f"{expected + 1} to {index}"
        self.finding(
            expected + 1,
            None,
            None,
            f"entry {gone} is gone from the store together with its leaf: entries were deleted",
        )

    def _notification_stream(self) -> Iterator[Any]:
        start = 1
        while True:
            if self.reader is not None:
                batch: Any = self.reader.keys(start, BATCH)
            else:
                batch = self.ledger.recorder.select_notifications(start, BATCH)
            yield from batch
            if len(batch) < BATCH:
                return
            start = batch[-1].id + 1

    def _leaf_stream(self) -> Iterator[Ref]:
        start = 0
        while True:
            if self.reader is not None:
                batch: Any = self.reader.leaves(start, BATCH)
            else:
                batch = self.logstore.leaf_refs(start, BATCH)
            yield from batch
            if len(batch) < BATCH:
                return
            start = batch[-1].index + 1

    def _event_exists(self, originator_id: UUID | str, version: int) -> bool:
        return bool(
            self.ledger.recorder.select_events(as_uuid(originator_id), gt=version - 1, lte=version)
        )


def stored_checkpoints(log: LogStore) -> Iterator[StoredCheckpoint]:
    """Every checkpoint kept, smallest first, read a thousand at a time."""
    start = 0
    while True:
        batch = log.checkpoints(start, 1000)
        yield from batch
        if len(batch) < 1000:
            return
        start = batch[-1].size + 1


def _uuid(value: UUID | str) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))
