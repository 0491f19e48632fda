"""Generate the audit-bundle vectors of the revocation rule; prints JSON on stdout.

Run by hand from the repository root, once, when a bundle vector is added:

    python -m tests.golden.make_bundles > tests/golden/bundles.json

A small ledger (tests/world.py: keys from fixed seeds, a simulated clock) receives dossier
`CODE` with the commune officer's key; the key is then revoked, and a second dossier `OTHER` is
received with it in a statement dated 300 s before the revocation — recorded under the rule the
ledger applied before (a key valid up to its revocation's `effective` instant, whatever was
recorded since), as an earlier version of the ledger could have recorded it. The log key (from a
fixed seed) signs a checkpoint, and both dossiers' bundles are exported:

- `sound`: CODE's bundle. Its key's revocation is in it, after CODE's entries: it verifies.
- `revoked`: OTHER's bundle. Its entry comes after its key's revocation in log order: the
  server's replay (`ledger.log.bundle.verify_bundle`) and the browser's check (api/http/static/verify.js)
  both refuse it, naming that entry.

tests/test_bundle_vectors.py checks the server's verdicts on the file; tests/js/verify.test.mjs
the browser's. The file is what they read: never regenerate it to make a failing test pass.
Positions are 0-based leaf indexes, as the browser's check names them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from domain.errors import KeyRevoked
from domain.instant import format_local
from domain.officer import Key
from ledger.log import bundle
from ledger.log.tlog import LogKey
from tests.world import CODE, DAY, PROCEDURE, World

OTHER = "000.00.01.H59-250303-0002"
OFFICE = "29266"
LOG_KEY = LogKey.from_seed(
    "test.lienthong.example/log", hashlib.sha256(b"lienthong golden bundle log key").digest()
)
BACK_DATED = 300 * 1_000_000  # inside the ledger's clock tolerance (600 s by default)


def _old_rule(key: Key, at: int) -> None:
    """The rule an earlier version applied: a key valid at any `at` before its revocation's
    effective instant, so a statement back-dated into the clock tolerance went through."""
    if key.revoked is not None and at >= key.revoked:
        raise KeyRevoked(f"key {key.subject} was revoked from {format_local(key.revoked)}")


@contextmanager
def _under_the_old_rule() -> Iterator[None]:
    current = Key.require_valid
    Key.require_valid = _old_rule  # type: ignore[method-assign, assignment]
    try:
        yield
    finally:
        Key.require_valid = current  # type: ignore[method-assign]


def build() -> dict[str, Any]:
    world = World.build("memory:")
    try:
        ledger = world.ledger
        world.receive()
        world.later()
        key_id = world.at(OFFICE).key.key_id
        revoked_at = world.clock.now()
        with _under_the_old_rule():
            world.authority.record(
                "key.revoked", key_id, {"reason": "Mất thiết bị", "effective": revoked_at}
            )
            revocation = ledger.log_size() - 1
            world.at(OFFICE).record(
                "dossier.received",
                OTHER,
                {
                    "procedure": PROCEDURE,
                    "version": 1,
                    "applicant": bytes(32),
                    "channel": "direct",
                    "documents": [],
                    "appointed": revoked_at + 20 * DAY,
                },
                at=revoked_at - BACK_DATED,
            )
            entry = ledger.log_size() - 1
        ledger.issue_checkpoint(LOG_KEY)
        return {
            "log_key": LOG_KEY.verifier.line(),
            "sound": {
                "dossier": CODE,
                "bundle": bundle.export(ledger, CODE).encode().hex(),
            },
            "revoked": {
                "dossier": OTHER,
                "bundle": bundle.export(ledger, OTHER).encode().hex(),
                "key": key_id,
                "revocation": revocation,
                "entry": entry,
            },
        }
    finally:
        world.ledger.close()


if __name__ == "__main__":
    print(json.dumps(build(), indent=2, ensure_ascii=False))
