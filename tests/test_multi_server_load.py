"""Two server processes on one PostgreSQL schema under load, with group commit (LIENTHONG_MAX_BATCH
32, the default): sixteen clients on each server at once, some receiving new dossiers at the
commune and dispatching them to the province (prepared by the server, signed here), most
submitting acknowledgements, signed beforehand, of dossiers dispatched before the servers
started; and in the middle of it, races: the same dossier's next statement sent to both servers
at the same moment. Afterwards the log's leaves are numbered 0..n-1 with no gap and no duplicate,
every accepted statement is in it exactly once where its receipt said, every refusal recorded
nothing, the full audit passes and the views the servers kept equal a rebuild.

The servers, the database they start from and the helpers are those of tests/test_multi_server.py.
No sleeps: the racing clients meet at a barrier, and every read catches the views up first."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from api.client import ApiProblem
from domain.identifier import dossier_code
from domain.instant import local_date
from domain.signed import subject_id
from ledger.application import Ledger, Receipt
from ledger.clock import SystemClock
from ledger.config import LedgerSettings
from ledger.log.audit import audit
from ledger.simulation.demo import demo_applicant, demo_key, demo_log_key
from ledger.statements.authoring import Signer
from ledger.statements.signing import Envelope, statement_hash
from ledger.stores.applicants import applicant_commitment
from ledger.stores.database import Database
from ledger.views.projector import Projector, ViewStore
from tests.apiworld import (
    APPLICANT,
    COMMUNE,
    COMMUNE_AGENCY,
    COMMUNE_OFFICER,
    DOCUMENT,
    PROVINCE,
    PROVINCE_OFFICER,
    RECEIVED_BODY,
)
from tests.test_multi_server import (
    Server,
    checkpoint,
    prepare_database,
    record_once,
    same_views,
    servers,
)

pytestmark = pytest.mark.postgres

CLIENTS = 16  # client threads per server, each with its own connections
NEW = 2  # per client: dossiers received at the commune and dispatched to the province
ACKS = 8  # per client: acknowledgements of dossiers dispatched before the servers started
# one race per pair of clients (the i-th of each server): on even i the same acknowledgement is
# sent to both servers; on odd i two acknowledgements of the same dispatch, signed 1 µs apart
RACES = CLIENTS
DOCUMENTS = [DOCUMENT]
TRANSFER = {"to": PROVINCE, "purpose": "process", "documents": DOCUMENTS}


@dataclass(frozen=True)
class New:
    code: str


@dataclass(frozen=True)
class Ack:
    envelope: Envelope


@dataclass
class Race:
    code: str
    envelopes: tuple[Envelope, Envelope]  # what each server is sent: the same bytes, or not
    barrier: threading.Barrier = field(default_factory=lambda: threading.Barrier(2, timeout=30))
    outcomes: dict[int, dict[str, Any] | ApiProblem] = field(default_factory=dict)

    @property
    def same(self) -> bool:
        return self.envelopes[0] == self.envelopes[1]


Work = New | Ack | Race


def dispatched_beforehand(url: str, codes: Sequence[str]) -> list[tuple[str, bytes]]:
    """Dossiers received at the commune and dispatched to the province before the servers start
    (straight into the ledger, dated now): each code with its dispatch's digest."""
    ledger = Ledger(LedgerSettings(database_url=url))
    try:
        commune = Signer(ledger, demo_key(COMMUNE_OFFICER), COMMUNE_OFFICER, COMMUNE)
        received = [
            commune.envelope(
                "dossier.received",
                code,
                {
                    **RECEIVED_BODY,
                    "applicant": applicant_commitment(*demo_applicant(code)),
                },
            )
            for code in codes
        ]
        recorded(ledger, received)
        sent = recorded(
            ledger, [commune.envelope("handover.dispatched", code, TRANSFER) for code in codes]
        )
    finally:
        ledger.close()
    return [(code, receipt.digest) for code, receipt in zip(codes, sent, strict=True)]


def recorded(ledger: Ledger, envelopes: list[Envelope]) -> list[Receipt]:
    outcomes = ledger.record_many([(e.statement, e.signature) for e in envelopes])
    assert all(isinstance(outcome, Receipt) for outcome in outcomes), outcomes
    return [outcome for outcome in outcomes if isinstance(outcome, Receipt)]


def acknowledgements(url: str, dispatched: Sequence[tuple[str, bytes]], at: int) -> list[Envelope]:
    """The province's acknowledgement of each dispatch, signed now, dated `at` (µs) plus its
    position (one µs apart: the racing pairs differ by `at` alone)."""
    ledger = Ledger(LedgerSettings(database_url=url))
    try:
        province = Signer(ledger, demo_key(PROVINCE_OFFICER), PROVINCE_OFFICER, PROVINCE)
        return [
            province.envelope(
                "handover.acknowledged",
                code,
                {"dispatch": digest, "documents": DOCUMENTS},
                at=at + number,
            )
            for number, (code, digest) in enumerate(dispatched)
        ]
    finally:
        ledger.close()


def client(server: Server, side: int, work: list[Work]) -> list[dict[str, Any]]:
    """One client of `server` (side 0 or 1) doing its work in turn: the receipts of what it had
    recorded alone, in order. A race's outcome is kept in the race. Should it fail, the races it
    has not reached are called off, so that its partner on the other server fails too instead of
    waiting."""
    commune, province = server.client(COMMUNE_OFFICER), server.client(PROVINCE_OFFICER)
    receipts: list[dict[str, Any]] = []
    try:
        for item in work:
            if isinstance(item, New):
                receipts.append(
                    record_once(
                        commune,
                        COMMUNE_OFFICER,
                        "dossier.received",
                        item.code,
                        RECEIVED_BODY,
                        applicant=APPLICANT,
                    )
                )
                receipts.append(
                    record_once(
                        commune, COMMUNE_OFFICER, "handover.dispatched", item.code, TRANSFER
                    )
                )
            elif isinstance(item, Ack):
                receipts.append(province.submit(item.envelope))
            else:
                item.barrier.wait()  # both sides connected and ready: sent at the same moment
                try:
                    item.outcomes[side] = province.submit(item.envelopes[side])
                except ApiProblem as problem:
                    item.outcomes[side] = problem
    except BaseException:
        for item in work:
            if isinstance(item, Race):
                item.barrier.abort()
        raise
    finally:
        commune.close()
        province.close()
    return receipts


def plans(new: list[str], acks: list[Envelope], races: list[Race]) -> list[list[Work]]:
    """The work of the 2 × CLIENTS clients, client i of server 0 first: each its own new dossiers
    and acknowledgements, its race in the middle of them (client i of either server: race i)."""
    work: list[list[Work]] = []
    for number in range(2 * CLIENTS):
        mine: list[Work] = [New(code) for code in new[number * NEW : (number + 1) * NEW]]
        mine += [Ack(envelope) for envelope in acks[number * ACKS : (number + 1) * ACKS]]
        mine.insert(len(mine) // 2, races[number % CLIENTS])
        work.append(mine)
    return work


def digest(envelope: Envelope) -> str:
    return statement_hash(envelope.statement).hex()


def test_two_servers_under_load_number_the_log_without_gap_and_agree(
    postgres_url: str, tmp_path: Path
) -> None:
    environ, _demo, tokens = prepare_database(postgres_url, tmp_path)
    assert "LIENTHONG_MAX_BATCH" not in environ  # group commit as served by default (32)
    day = local_date(SystemClock().now())
    new = [dossier_code(COMMUNE_AGENCY, day, 1000 + n) for n in range(2 * CLIENTS * NEW)]
    waiting = [dossier_code(COMMUNE_AGENCY, day, 3000 + n) for n in range(2 * CLIENTS * ACKS)]
    raced = [dossier_code(COMMUNE_AGENCY, day, 5000 + n) for n in range(RACES)]
    dispatched = dispatched_beforehand(postgres_url, waiting + raced)
    now = SystemClock().now()
    acks = acknowledgements(postgres_url, dispatched, now)
    others = acknowledgements(postgres_url, dispatched[len(waiting) :], now + len(dispatched))
    races = [
        Race(code, (ack, ack if number % 2 == 0 else other))
        for number, (code, ack, other) in enumerate(
            zip(raced, acks[len(waiting) :], others, strict=True)
        )
    ]
    assert [race.same for race in races] == [number % 2 == 0 for number in range(RACES)]
    ledger = Ledger(LedgerSettings(database_url=postgres_url))
    try:
        size_before = ledger.log_size()
    finally:
        ledger.close()

    with servers(environ, tmp_path, tokens) as (a, b):
        work = plans(new, acks[: len(waiting)], races)
        with ThreadPoolExecutor(2 * CLIENTS) as pool:
            done = [
                pool.submit(client, (a, b)[number // CLIENTS], number // CLIENTS, mine)
                for number, mine in enumerate(work)
            ]
            alone = [receipt for future in done for receipt in future.result()]
        # a read catches each server's views up with the log, final now; both tell the same
        for code in (new[-1], waiting[-1], raced[-1]):
            assert a.get(f"/v1/dossiers/{code}").json() == b.get(f"/v1/dossiers/{code}").json()
        latest = checkpoint(a)
        assert checkpoint(b) == latest

    # what the clients were told
    assert len(alone) == 2 * CLIENTS * (2 * NEW + ACKS)
    assert not any(receipt["duplicate"] for receipt in alone)
    acked = {receipt["digest"] for receipt in alone if receipt["kind"] == "handover.acknowledged"}
    assert acked == {digest(envelope) for envelope in acks[: len(waiting)]}
    accepted = list(alone)
    refused: list[str] = []  # digests of the statements refused
    for race in races:
        assert set(race.outcomes) == {0, 1}, race
        fresh = [
            side
            for side, outcome in race.outcomes.items()
            if isinstance(outcome, dict) and outcome["duplicate"] is False
        ]
        assert len(fresh) == 1, race.outcomes  # exactly one wins
        winner = fresh[0]
        receipt, other = race.outcomes[winner], race.outcomes[1 - winner]
        assert isinstance(receipt, dict)
        assert (receipt["subject"], receipt["seq"]) == (race.code, 3)
        assert receipt["digest"] == digest(race.envelopes[winner])
        accepted.append(receipt)
        if race.same:  # the same bytes: the original receipt
            assert isinstance(other, dict), other
            assert other["duplicate"] is True
            assert (other["digest"], other["seq"]) == (receipt["digest"], 3)
        else:  # another statement on the same head: refused, naming the head as it is
            assert isinstance(other, ApiProblem), other
            assert (other.status, other.code) == (409, "stale-head"), other.problem
            assert other.problem["current"] == {
                "subject": race.code,
                "seq": 3,
                "head": receipt["digest"],
            }
            refused.append(digest(race.envelopes[1 - winner]))
    assert len(accepted) == 2 * CLIENTS * (2 * NEW + ACKS) + RACES
    assert len(refused) == RACES // 2
    # the writers did group statements (one group's receipts share one recorded_at)
    groups = Counter(receipt["recorded_at"] for receipt in accepted)
    assert max(groups.values()) > 1, groups

    # the log: leaves 0..n-1, each statement once; every accepted one where its receipt said
    database = Database(postgres_url)
    try:
        leaves = database.query(
            "SELECT leaf_index, originator_id, originator_version FROM lienthong_leaves "
            "ORDER BY leaf_index"
        )
    finally:
        database.close()
    size = size_before + len(accepted)  # a refusal or a duplicate adds nothing
    assert [leaf[0] for leaf in leaves] == list(range(size))
    position = {(leaf[1], leaf[2]): leaf[0] for leaf in leaves}
    assert len(position) == size  # no statement under two leaves
    assert latest.size == size  # what the servers signed last covers it all

    ledger = Ledger(LedgerSettings(database_url=postgres_url))
    try:
        assert ledger.log_size() == size
        events = [event for _, event in ledger.read_log()]
        assert len(events) == size
        digests = {  # leaf index → the hash of the statement stored there
            position[(event.originator_id, event.originator_version)]: statement_hash(event.raw)
            for event in events
        }
        assert sorted(digests) == list(range(size))
        logged = Counter(value.hex() for value in digests.values())
        assert max(logged.values()) == 1
        for receipt in accepted:
            index = position[(subject_id("dossier", receipt["subject"]), receipt["seq"])]
            assert receipt["leaf_index"] == index, receipt
            assert digests[index].hex() == receipt["digest"], receipt
        assert not any(logged[refusal] for refusal in refused)
        for codes, length in ((new, 2), (waiting, 3), (raced, 3)):
            for code in codes:
                versions = sorted(v for (o, v) in position if o == subject_id("dossier", code))
                assert versions == list(range(1, length + 1)), code

        report = audit(ledger, log_key=demo_log_key().verifier, workers=1)
        assert report.ok, [finding.describe() for finding in report.findings]
        assert (report.checked, report.size) == (size, size)

        served = Projector(ledger)  # the views the servers kept, in the shared schema
        rebuilt = Projector(ledger, ViewStore("memory:"))
        try:
            assert served.position() == ledger.recorder.max_notification_id()
            rebuilt.rebuild()
            same_views(rebuilt, served)  # but the marks the servers' stores gave theirs
            for code in waiting + raced:
                place = served.location(code)
                assert place is not None, code
                assert (place.status, place.custodian) == ("held", PROVINCE), code
            for code in new:
                place = served.location(code)
                assert place is not None, code
                assert (place.status, place.transit_to) == ("in_transit", PROVINCE), code
        finally:
            served.close()
            rebuilt.close()
    finally:
        ledger.close()
