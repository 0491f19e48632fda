"""The log in order, for consumers that follow it: entries by their position (leaf index).

A position is the entry's leaf index in the transparency log, dense from 0 on every backend
(notification ids are not: PostgreSQL's sequence skips a value on a failed insert), so it is the
cursor a consumer keeps, and the index its inclusion proofs name.
"""

from __future__ import annotations

from dataclasses import dataclass

from ledger.application import Ledger, StoredEntry, stored_entry

MAX_PAGE = 500


@dataclass(frozen=True)
class FeedEntry:
    index: int
    entry: StoredEntry


def entries(ledger: Ledger, start: int, limit: int) -> list[FeedEntry]:
    """Up to `limit` (at most MAX_PAGE) entries from position `start`, in log order."""
    found: list[FeedEntry] = []
    for ref in ledger.logstore.leaf_refs(start, min(limit, MAX_PAGE)):
        events = list(
            ledger.events.get(
                ref.originator_id, gt=ref.originator_version - 1, lte=ref.originator_version
            )
        )
        found.append(FeedEntry(ref.index, stored_entry(events[0])))
    return found
