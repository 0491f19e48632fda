"""Keeping the aggregate cache true without a database query per aggregate read.

The ledger reads registry aggregates (key, officer, office, procedure) and the subject itself on
every statement. eventsourcing's cache "fast-forward" would re-query each of them every time. Here
the cache is trusted up to a known position in the notification log instead: before each command,
one query reads the log's last position; if other writers (another process, another Ledger object)
have added entries since, the aggregates they touched are evicted, to be re-read on next use. Our
own saves advance the known position when they follow on from it, so a single writer pays one cheap
query per statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from threading import Lock
from typing import Any
from uuid import UUID

from eventsourcing.application import Cache
from eventsourcing.persistence import ApplicationRecorder, Recording

BATCH = 1000


class CacheFreshness:
    def __init__(self, recorder: ApplicationRecorder, cache: Cache[Any, Any]) -> None:
        self._recorder = recorder
        self._cache = cache
        self._lock = Lock()
        self._known = recorder.max_notification_id() or 0  # the cache is empty: all is known

    def catch_up(self) -> None:
        """Evict every cached aggregate changed by an entry after the known position."""
        latest = self._recorder.max_notification_id() or 0
        with self._lock:
            start = self._known + 1
            while start <= latest:
                batch = self._recorder.select_notifications(start, BATCH, stop=latest)
                for notification in batch:
                    self.evict(notification.originator_id)
                if len(batch) < BATCH:
                    break
                start = batch[-1].id + 1
            self._known = max(self._known, latest)

    def saw(self, recordings: Sequence[Recording[UUID]]) -> None:
        """Our own save: its aggregates are cached as saved; move on if nothing came between."""
        with self._lock:
            for recording in recordings:
                if recording.notification.id == self._known + 1:
                    self._known += 1

    def evict(self, aggregate_id: UUID | str) -> None:
        with suppress(KeyError):
            self._cache.get(aggregate_id, evict=True)
