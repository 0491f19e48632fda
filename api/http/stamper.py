"""RFC 3161 timestamps for certificate statements, asked off the request path.

When a time-stamping authority is configured (LIENTHONG_TSA_URL), the writer hands every statement
it recorded to the stamper; the stamper keeps those signed with certificate keys and, on a thread
of its own, asks the TSA for a token over each signature (ledger/timestamping.py). A TSA that is
slow or down delays no recording and undoes none: what gets no token is logged and left for
`lienthong timestamps catch-up`.

The backlog is bounded (MAX_PENDING statements): when it is full, what the writer offers is
dropped and logged, never waited for. Stopping does not work through the backlog — with the TSA
down each statement could cost the client's whole timeout: the statement being asked about is
finished (or given up after STOP_SECONDS), the rest is dropped and counted in the log, for the
catch-up to stamp.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Sequence

from domain.statement import AUTHORITY
from ledger.application import Ledger
from ledger.statements import schema, signing
from ledger.stores.timestamps import TimestampStore
from ledger.timestamping import TimestampClient, is_certificate_key, stamp_recorded

log = logging.getLogger("lienthong.timestamps")
MAX_PENDING = 10_000  # statements waiting for a token; past this the writer's offers are dropped
STOP_SECONDS = 5.0  # how long stopping waits for the statement being asked about
_WAKE = (b"", b"")  # put by stop() to wake a thread waiting on an empty queue
CATCH_UP = "`lienthong timestamps catch-up` stamps them"

Wanted = tuple[bytes, bytes]  # (statement hash, signature)


class Stamper:
    def __init__(
        self,
        ledger: Ledger,
        store: TimestampStore,
        client: TimestampClient,
        *,
        max_pending: int = MAX_PENDING,
        stop_seconds: float = STOP_SECONDS,
    ) -> None:
        self.ledger, self.store, self.client = ledger, store, client
        self.stop_seconds = stop_seconds
        self._queue: queue.Queue[Wanted] = queue.Queue(maxsize=max_pending)
        self._thread = threading.Thread(target=self._run, name="lienthong-stamper", daemon=True)
        self.stopping = threading.Event()
        self._closing = threading.Lock()
        self._left_to_thread = False  # stop() gave up waiting: the thread closes on its way out
        self._closed = False
        self.stamped = 0  # tokens kept, for tests and the log
        self.done = threading.Condition()
        self.handled = 0  # statements handled (stamped, had or failed)
        self.dropped = 0  # statements offered but never asked about (queue full, or stopping)

    def start(self) -> None:
        self._thread.start()

    @property
    def running(self) -> bool:
        """Whether its thread is still at work."""
        return self._thread.is_alive()

    def stop(self) -> None:
        """Stop after the statement being asked about (waiting at most `stop_seconds`); what is
        still queued is dropped and logged. Closes the client and the store."""
        self.stopping.set()
        with contextlib.suppress(queue.Full):  # a full queue: the thread is not waiting on it
            self._queue.put_nowait(_WAKE)
        if self._thread.is_alive():
            self._thread.join(self.stop_seconds)
        with self._closing:
            if self._thread.is_alive():
                log.warning(
                    "timestamps: the TSA has not answered within %.0f s of stopping; the "
                    "statement asked about is left for the catch-up",
                    self.stop_seconds,
                )
                self._left_to_thread = True
                return
        self._drop_rest()  # never started, or offered to after it ended
        self._close()

    def offer(self, recorded: Sequence[tuple[bytes, bytes]]) -> None:
        """(statement bytes, signature) of statements just recorded; certificate ones are kept.
        Never blocks: when the backlog is full, or the stamper is stopping, they are dropped."""
        wanted: list[Wanted] = []
        for raw, signature in recorded:
            statement = schema.parse(raw, max_bytes=len(raw))  # recorded: it parses
            if statement.officer == AUTHORITY or not self.ledger.has("key", statement.key):
                continue  # the authority's own key is Ed25519
            if is_certificate_key(self.ledger.key(statement.key).public_key):
                wanted.append((signing.statement_hash(raw), signature))
        if self.stopping.is_set():
            self._count_dropped(len(wanted), "the stamper is stopping")
            return
        for position, item in enumerate(wanted):
            try:
                self._queue.put_nowait(item)
            except queue.Full:
                self._count_dropped(
                    len(wanted) - position, f"{self._queue.maxsize} statements wait already"
                )
                return

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until every statement offered has been handled or dropped (for tests); False
        if `timeout` seconds passed first."""
        with self._queue.all_tasks_done:
            return self._queue.all_tasks_done.wait_for(
                lambda: self._queue.unfinished_tasks == 0, timeout
            )

    def wait_for(self, handled: int, timeout: float = 30.0) -> bool:
        """Wait until `handled` statements have been handled (for tests)."""
        with self.done:
            return self.done.wait_for(lambda: self.handled >= handled, timeout)

    def _run(self) -> None:
        try:
            while not self.stopping.is_set():
                item = self._queue.get()
                try:
                    if item is _WAKE or self.stopping.is_set():
                        if item is not _WAKE:
                            self._count_dropped(1, "the stamper is stopping")
                        continue
                    result = stamp_recorded(
                        self.store, self.client, [item], now=self.ledger.clock.now()
                    )
                    with self.done:
                        self.stamped += result.stamped
                        self.handled += 1
                        self.done.notify_all()
                finally:
                    self._queue.task_done()
        finally:
            self._drop_rest()
            with self._closing:
                if self._left_to_thread:
                    self._close()

    def _drop_rest(self) -> None:
        """Empty the queue, counting (and logging) what was never asked about."""
        taken: list[Wanted] = []
        while True:
            try:
                taken.append(self._queue.get_nowait())
            except queue.Empty:
                break
        self._count_dropped(sum(item is not _WAKE for item in taken), "the stamper stopped")
        for _item in taken:  # counted first: drain() returns with the count right
            self._queue.task_done()

    def _count_dropped(self, count: int, why: str) -> None:
        if not count:
            return
        with self.done:
            self.dropped += count
        log.warning("timestamps: %d statements dropped (%s); %s", count, why, CATCH_UP)

    def _close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.client.close()
        self.store.close()
