"""Keeping the aggregate cache true without a database query per aggregate read.

The ledger reads registry aggregates (key, officer, office, procedure) and the subject itself on
every statement. eventsourcing's cache "fast-forward" would re-query each of them every time. Here
the cache is trusted up to a known position in the notification log instead: one query reads the
log's last position; if other writers (another process, another Ledger object) have added entries
since, the aggregates they touched are evicted, to be re-read on next use. Our own saves advance
the known position when they follow on from it.

Reads outside recording (`Ledger.dossier`, `head` …) catch up first, always. Recording does not ask
before each statement: the database tells the writer in each save's own answer whether another
writer got in since (the notification ids it assigned do not follow on from the known position),
and only then does the next batch catch up first (`catch_up_if_behind`). In between, what a stale
cache could change is caught where it matters: a statement accepted against a stale subject or
registry entry fails at the save (the subject's version constraint, or the registry subjects the
checks relied on — `RegistryChanged`) and is checked again after a catch-up; a statement refused
against a stale cache is checked again after a catch-up whenever other writers had added entries
(ledger/application.py). A single writer pays no query at all per statement.
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
        self._behind = False  # a save of ours showed entries by another writer before it

    def catch_up(self) -> bool:
        """Evict every cached aggregate changed by an entry after the known position; whether
        there was any (another writer added entries since)."""
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
            behind = latest > self._known
            self._known = max(self._known, latest)
            self._behind = False
        return behind

    def catch_up_if_behind(self) -> None:
        """Catch up only if a save of ours showed that another writer got in before it."""
        if self._behind:
            self.catch_up()

    def saw(self, recordings: Sequence[Recording[UUID]]) -> None:
        """Our own save: its aggregates are cached as saved; move on if nothing came between,
        else remember to catch up before the next batch."""
        with self._lock:
            for recording in recordings:
                if recording.notification.id == self._known + 1:
                    self._known += 1
                elif recording.notification.id > self._known:
                    self._behind = True

    def evict(self, aggregate_id: UUID | str) -> None:
        with suppress(KeyError):
            self._cache.get(aggregate_id, evict=True)
