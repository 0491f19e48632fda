"""RFC 3161 timestamps for certificate statements, asked off the request path.

When a time-stamping authority is configured (LIENTHONG_TSA_URL), the writer hands every statement
it recorded to the stamper; the stamper keeps those signed with certificate keys and, on a thread
of its own, asks the TSA for a token over each signature (ledger/timestamping.py). A TSA that is
slow or down delays no recording and undoes none: what gets no token is logged and left for
`lienthong timestamps catch-up`.
"""

from __future__ import annotations

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
_STOP = object()


class Stamper:
    def __init__(self, ledger: Ledger, store: TimestampStore, client: TimestampClient) -> None:
        self.ledger, self.store, self.client = ledger, store, client
        self._queue: queue.Queue[object] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="lienthong-stamper", daemon=True)
        self.stamped = 0  # tokens kept, for tests and the log
        self.done = threading.Condition()
        self.handled = 0  # statements handled (stamped, had or failed)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join()
        self.client.close()
        self.store.close()

    def offer(self, recorded: Sequence[tuple[bytes, bytes]]) -> None:
        """(statement bytes, signature) of statements just recorded; certificate ones are kept."""
        wanted: list[tuple[bytes, bytes]] = []
        for raw, signature in recorded:
            statement = schema.parse(raw, max_bytes=len(raw))  # recorded: it parses
            if statement.officer == AUTHORITY or not self.ledger.has("key", statement.key):
                continue  # the authority's own key is Ed25519
            if is_certificate_key(self.ledger.key(statement.key).public_key):
                wanted.append((signing.statement_hash(raw), signature))
        if wanted:
            self._queue.put(wanted)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            assert isinstance(item, list)
            result = stamp_recorded(self.store, self.client, item, now=self.ledger.clock.now())
            with self.done:
                self.stamped += result.stamped
                self.handled += len(item)
                self.done.notify_all()

    def wait_for(self, handled: int, timeout: float = 30.0) -> bool:
        """Wait until `handled` statements have been handled (for tests)."""
        with self.done:
            return self.done.wait_for(lambda: self.handled >= handled, timeout)
