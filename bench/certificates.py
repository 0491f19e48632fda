"""Certificate signatures: recording and audit rates against their Ed25519 baselines, same run.

Run by hand, not in CI, from the repository root:

    python bench/certificates.py [--n N] [--repeats R] [--backend sqlite|postgres]

The scenario is bench/record.py's (N/4 dossiers × received at the commune, dispatched to the
district, acknowledged there, dispatched to the province), on a fresh SQLite file (or PostgreSQL
schema) each run, the envelopes signed beforehand on a throwaway in-memory World with the same
setup so the timed loop only sets the clock and calls `Ledger.record`. Three setups:

  ed25519   every officer signs with an Ed25519 key (today's baseline);
  ecdsa     the commune's officer signs with an official-duty certificate (ECDSA P-256, chain of
            two under a test root, a CRL of the CA recorded): half of the statements;
  rsa-pss   the same with an RSA-2048 certificate key.

Recording: the rate of each setup, in alternation (ed25519, ecdsa, rsa-pss, ...), and the ratio
certificate/ed25519. Audit: `audit(workers=1)` over the log of each setup, against the raw
verification of the same signatures (the same mix of Ed25519 and certificate signatures) in this
process, and the ratio of the two (what the audit adds to the signatures it must check).
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from domain.instant import to_datetime  # noqa: E402
from ledger.log.audit import audit  # noqa: E402
from ledger.statements import schema, signing  # noqa: E402
from ledger.statements.authoring import Signer, record_revocation, register_certificate_key  # noqa: E402
from ledger.statements.signing import CertificateSigningKey  # noqa: E402
from tests.pki import Hierarchy, ec_key, rsa_key  # noqa: E402
from tests.world import World  # noqa: E402

COMMUNE, COMMUNE_NAME = "29266", "Thị trấn Càng Long"
POSTGRES_URL = os.environ.get(
    "LIENTHONG_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
SETUPS = ("ed25519", "ecdsa", "rsa-pss")


@dataclass(frozen=True)
class Prepared:
    raw: bytes
    signature: bytes
    at: int


def build(url: str, setup: str, anchors: Path, hierarchy: Hierarchy) -> World:
    """The World of `setup`: for a certificate setup, the commune's officer is re-enrolled with
    a certificate key (and a CRL of the CA recorded)."""
    world = World.build(url, trust_anchors=str(anchors))
    if setup == "ed25519":
        return world
    private = ec_key("bench-cert") if setup == "ecdsa" else rsa_key("officer-rsa")
    issued = hierarchy.issue("bench-cert", office=COMMUNE_NAME, private=private)
    world.authority.record(
        "officer.enrolled",
        "cb-cert",
        {"office": COMMUNE, "title": "Công chức một cửa", "effective": world.clock.now()},
    )
    register_certificate_key(world.authority, "cb-cert", hierarchy.chain(issued))
    when = to_datetime(world.clock.now(), UTC)
    record_revocation(world.authority, "crl", hierarchy.crl([], this_update=when))
    world.officers[COMMUNE] = Signer(
        world.ledger, CertificateSigningKey(private), "cb-cert", COMMUNE
    )
    return world


def prepare(n: int, setup: str, anchors: Path, hierarchy: Hierarchy) -> list[Prepared]:
    world = build("memory:", setup, anchors, hierarchy)
    captured: list[tuple[bytes, bytes]] = []
    record = world.ledger.record

    def capture(raw: bytes, signature: bytes) -> Any:
        captured.append((raw, signature))
        return record(raw, signature)

    world.ledger.record = capture  # type: ignore[method-assign]
    for i in range(n // 4):
        code = f"000.00.01.H59-250303-{i + 1:06d}"
        world.receive(code)
        dispatch = world.dispatch(COMMUNE, "844", code)
        world.acknowledge("844", dispatch, code)
        world.dispatch("844", "84", code)
    world.ledger.close()
    return [Prepared(raw, sig, schema.parse(raw).at) for raw, sig in captured]


def fresh_url(backend: str, directory: Path) -> tuple[str, Callable[[], None]]:
    if backend == "sqlite":
        path = directory / f"{uuid.uuid4().hex}.db"
        return f"sqlite:///{path}", lambda: None
    schema_name = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema_name}"')

    def drop() -> None:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{schema_name}" CASCADE')

    return f"{POSTGRES_URL}?schema={schema_name}", drop


def run(
    backend: str, setup: str, envelopes: list[Prepared], anchors: Path, hierarchy: Hierarchy
) -> tuple[float, float, float]:
    """(recording seconds, audit seconds, raw verification seconds) on fresh storage."""
    with tempfile.TemporaryDirectory() as directory:
        url, drop = fresh_url(backend, Path(directory))
        try:
            world = build(url, setup, anchors, hierarchy)
            ledger, set_clock = world.ledger, world.clock.set
            gc.collect()
            started = time.perf_counter()
            for item in envelopes:
                set_clock(item.at)
                ledger.record(item.raw, item.signature)
            recording = time.perf_counter() - started
            keys = {key: ledger.key(key).public_key for key in _key_ids(envelopes)}
            started = time.perf_counter()
            report = audit(ledger, workers=1)
            auditing = time.perf_counter() - started
            if not report.ok:
                raise SystemExit(f"the audit of {setup} failed: {report.findings[0].describe()}")
            raw = _raw_verification(envelopes, keys)
            ledger.close()
        finally:
            drop()
    return recording, auditing, raw


def _key_ids(envelopes: list[Prepared]) -> set[str]:
    return {schema.parse(item.raw).key for item in envelopes}


def _raw_verification(envelopes: list[Prepared], keys: dict[str, bytes]) -> float:
    """Seconds to verify the envelopes' signatures alone, as the ledger verifies them."""
    pairs = [(keys[schema.parse(item.raw).key], item) for item in envelopes]
    started = time.perf_counter()
    for public_key, item in pairs:
        signing.verify(public_key, item.raw, item.signature)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args(argv)
    hierarchy = Hierarchy.build()
    with tempfile.TemporaryDirectory() as directory:
        anchors = hierarchy.anchors(Path(directory) / "anchors")
        envelopes = {setup: prepare(args.n, setup, anchors, hierarchy) for setup in SETUPS}
        results: dict[str, list[tuple[float, float, float]]] = {setup: [] for setup in SETUPS}
        for _ in range(args.repeats):
            for setup in SETUPS:
                results[setup].append(
                    run(args.backend, setup, envelopes[setup], anchors, hierarchy)
                )
    n = args.n // 4 * 4
    print(
        f"python bench/certificates.py --n {args.n} --repeats {args.repeats} "
        f"--backend {args.backend}"
    )
    base = statistics.median(n / r[0] for r in results["ed25519"])
    print("| setup | record/s | vs ed25519 | audit/s | raw verify/s | audit vs raw |")
    print("|---|---|---|---|---|---|")
    for setup in SETUPS:
        rate = statistics.median(n / r[0] for r in results[setup])
        audit_rate = statistics.median(n / r[1] for r in results[setup])
        raw_rate = statistics.median(n / r[2] for r in results[setup])
        print(
            f"| {setup} | {rate:,.0f} | {rate / base:.2f} | {audit_rate:,.0f} | "
            f"{raw_rate:,.0f} | {audit_rate / raw_rate:.2f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
