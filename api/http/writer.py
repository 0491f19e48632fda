"""The one writer of a server process: signed statements recorded by a single thread, in groups.

Requests hand their envelope to the writer and wait for its result. The writer takes whatever has
queued up while the previous group was being saved — up to `max_batch` — and records it with
`Ledger.record_many`: one transaction for the group, each statement checked exactly as if it had
been recorded alone, in arrival order. A lone request is recorded at once (no waiting for company).
Between groups, and at least every `tick_seconds` when idle, the writer lets the checkpointer issue
a checkpoint that is due, so checkpoints are signed by the same thread that writes.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future

from domain.errors import DomainError
from ledger.application import Ledger, Receipt
from ledger.batch import Prechecked
from ledger.errors import LedgerError

log = logging.getLogger("lienthong.writer")
_STOP = object()


class Writer:
    def __init__(
        self,
        ledger: Ledger,
        max_batch: int = 32,
        tick_seconds: float = 1.0,
        on_recorded: Callable[[Sequence[tuple[bytes, bytes]]], None] | None = None,
    ) -> None:
        if max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, not {max_batch}")
        self.ledger = ledger
        self.max_batch = max_batch
        self.tick_seconds = tick_seconds
        self._queue: queue.Queue[object] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="lienthong-writer", daemon=True)
        # told (statement bytes, signature) of what each group recorded, after the waiters
        self.on_recorded = on_recorded
        self.groups = 0  # how many saves, for the benchmark's report
        self.statements = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join()

    def submit(
        self, raw: bytes, signature: bytes, *, prechecked: Prechecked | None = None
    ) -> Future[Receipt]:
        """Queue one envelope (parsed by `Ledger.precheck` if `prechecked`, not parsed again);
        the future holds its Receipt or its refusal."""
        future: Future[Receipt] = Future()
        if not self._thread.is_alive():
            future.set_exception(RuntimeError("the writer is not running"))
            return future
        envelope = prechecked if prechecked is not None else (raw, signature)
        self._queue.put((envelope, future))
        return future

    async def record(self, envelope: Prechecked) -> Receipt:
        return await asyncio.wrap_future(
            self.submit(envelope.raw, envelope.signature, prechecked=envelope)
        )

    def _run(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=self.tick_seconds)
            except queue.Empty:
                self.idle()
                continue
            if first is _STOP:
                return
            group = [first]
            while len(group) < self.max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    self._queue.put(_STOP)  # finish this group, then stop
                    break
                group.append(item)
            self._record(group)
            self.idle()

    def _record(self, group: list[object]) -> None:
        items = [item for item in group if isinstance(item, tuple)]
        results: list[object]
        try:
            results = list(self.ledger.record_many([envelope for envelope, _ in items]))
        except Exception as problem:  # a fault of the store: every waiter learns of it
            log.exception("recording a group of %d statements failed", len(items))
            results = [problem] * len(items)
        self.groups += 1
        self.statements += len(items)
        recorded: list[tuple[bytes, bytes]] = []
        for (envelope, future), result in zip(items, results, strict=True):
            if isinstance(result, Receipt):
                future.set_result(result)
                if not result.duplicate:
                    recorded.append(
                        (envelope.raw, envelope.signature)
                        if isinstance(envelope, Prechecked)
                        else envelope
                    )
            else:
                assert isinstance(result, Exception)
                future.set_exception(result)
        if recorded and self.on_recorded is not None:
            try:
                self.on_recorded(recorded)
            except Exception:  # what follows a recording never undoes it
                log.exception("handing on %d recorded statements failed", len(recorded))

    def idle(self) -> None:
        """Issue the checkpoint that is due, if any (between groups, and when idle)."""
        if self.ledger.checkpointer is None:
            return
        try:
            self.ledger.checkpointer.tick()
        except (LedgerError, DomainError, OSError):
            log.exception("issuing a checkpoint failed; the next tick tries again")
