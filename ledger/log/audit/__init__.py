"""Full audit: re-verify every stored entry, the Merkle tree and every checkpoint, streaming.

Trusts nothing stored but the bytes. Two passes, each reading the store in batches, so memory
stays flat however long the log is:

1. Keys: the public keys the log registers (key.registered, authority.*) — a registry-sized map the
   signature checks need. A key only counts for entries recorded after its own registration.
2. Log order: for every entry, the canonical statement, the event class and aggregate it is stored
   as, the signature, its chain link (seq and prev continue the subject's history: the latest heads
   of a bounded number of subjects are kept, older ones read back from the store), its key (an
   entry signed by a key whose revocation comes earlier in the log is a finding: once recorded, a
   revocation refuses everything signed with the key, whatever its date), and its leaf:
   the leaf hash is recomputed from the entry and compared with the one the tree stored when it
   was recorded, and appended to a streaming tree whose root is compared with every stored
   checkpoint (signature, root, and consistency with the previous checkpoint) and with the stored
   tree at the end.

The checks of one batch are independent of other batches, so they run in worker processes on every
core, started in the background as the audit begins. On SQLite and PostgreSQL each worker reads its
own ranges of the store on a read-only connection of its own (store.py): the main process reads
only each entry's place (notification id, aggregate, version), pairs it with the tree's leaves,
hands the ranges out and keeps the running order-dependent state; the in-memory store's rows pass
through the main process.

entries.py holds the checks of one entry (run on the workers), store.py the workers' reads,
batches.py the pairing with the tree and the worker pool, auditor.py the order-dependent pass and
the report.
"""

from ledger.log.audit.auditor import AuditReport, Finding, audit

__all__ = ["AuditReport", "Finding", "audit"]
