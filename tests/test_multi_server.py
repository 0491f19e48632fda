"""Two server processes on one PostgreSQL schema: real uvicorn subprocesses, the demo recorded
beforehand, officers of two offices writing through both at once, and a deliberate race on one
dossier's head. Afterwards both servers must tell the same story, the views must equal a rebuild
from zero, the full audit must pass and every statement must be in the log exactly once.

No sleeps: a server is ready when it says so on its output; every read catches the views up
first, so nothing polls."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.client import ApiProblem, Client
from domain.instant import local_date
from ledger.application import Ledger
from ledger.clock import SimulatedClock, SystemClock
from ledger.config import LedgerSettings
from ledger.log import merkle, note
from ledger.log.audit import audit
from ledger.simulation.demo import DEMO_START, demo_key, demo_log_key, run_demo
from ledger.statements.signing import Envelope, SigningKey
from ledger.stores.applicants import ApplicantStore, DataKey
from ledger.stores.tokens import TokenStore
from ledger.views.projector import Projector, ViewStore
from tests.apiworld import (
    APPLICANT,
    COMMUNE,
    COMMUNE_OFFICER,
    DATA_KEY,
    DOCUMENT,
    FILES,
    PROVINCE,
    PROVINCE_OFFICER,
    RECEIVED_BODY,
)

pytestmark = pytest.mark.postgres

DOSSIERS = 24  # each: received and dispatched on one server, acknowledged on the other, and back
RACES = 6  # of those, dossiers whose next statement is prepared on both servers at once
THREADS = 8
DAY = 86_400
DAY_US = DAY * 1_000_000
KEYS = {
    COMMUNE_OFFICER: SigningKey(demo_key(COMMUNE_OFFICER).private, COMMUNE_OFFICER, COMMUNE),
    PROVINCE_OFFICER: SigningKey(demo_key(PROVINCE_OFFICER).private, PROVINCE_OFFICER, PROVINCE),
}


@dataclass
class Server:
    url: str
    tokens: dict[str, str]  # officer → token
    output: list[str] = field(default_factory=list)

    def client(self, officer: str) -> Client:
        return Client(self.url, self.tokens[officer], files=FILES)

    def get(self, path: str, **params: Any) -> httpx.Response:
        token = self.tokens[PROVINCE_OFFICER]
        response = httpx.get(
            f"{self.url}{path}", params=params, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200, response.text
        return response


def listening_sockets(count: int) -> list[socket.socket]:
    """Sockets bound to free ports and listening, handed to the servers (`uvicorn --fd`): a port
    probed free and bound again later can be taken in between by any outgoing connection."""
    sockets = []
    for _ in range(count):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)
        sock.set_inheritable(True)
        sockets.append(sock)
    return sockets


def prepare_database(url: str, directory: Path) -> tuple[dict[str, str], list[str], dict[str, str]]:
    """The demo recorded on a simulated clock, then the clock moved to now; every table the
    servers use made once here (two processes creating them at once can collide in the DDL);
    tokens for the two officers. Returns the servers' environment, the demo's dossiers and the
    tokens."""
    log_key, data_key = directory / "log.key", directory / "data.key"
    demo_log_key().save(log_key)
    DATA_KEY.save(data_key)
    clock = SimulatedClock(DEMO_START)
    ledger = Ledger(LedgerSettings(database_url=url), clock=clock)
    try:
        demo = run_demo(ledger, clock)
        clock.set(max(clock.now(), SystemClock().now()))
        ledger.issue_checkpoint(demo_log_key())
        Projector(ledger).close()
        ApplicantStore(url, DataKey.load(data_key)).close()
        store = TokenStore(url)
        try:
            tokens = {
                officer: store.create(
                    "officer",
                    office=key.office,
                    officer=officer,
                    now=clock.now(),
                    valid_seconds=DAY,
                )[1]
                for officer, key in KEYS.items()
            }
        finally:
            store.close()
    finally:
        ledger.close()
    environ = {
        name: value for name, value in os.environ.items() if not name.startswith("LIENTHONG_")
    }
    environ.update(
        LIENTHONG_DATABASE_URL=url,
        LIENTHONG_LOG_KEY=str(log_key),
        LIENTHONG_DATA_KEY=str(data_key),
        LIENTHONG_CHECKPOINT_ENTRIES="1",  # a checkpoint per save: both processes sign them
    )
    return environ, demo.dossiers, tokens


@contextmanager
def servers(
    environ: dict[str, str], directory: Path, tokens: dict[str, str]
) -> Iterator[list[Server]]:
    """Two uvicorn processes started together; each is ready once it prints that it is running
    (after its startup, once its socket listens). Their further output is drained by a thread
    each (a full pipe would block them)."""
    processes: list[subprocess.Popen[str]] = []
    started: list[Server] = []
    drains: list[threading.Thread] = []
    sockets = listening_sockets(2)
    try:
        for sock in sockets:
            processes.append(
                subprocess.Popen(
                    [
                        *(
                            sys.executable,
                            "-m",
                            "uvicorn",
                            "api.http.app:app_from_env",
                            "--factory",
                        ),
                        *("--fd", str(sock.fileno()), "--no-access-log"),
                    ],
                    cwd=directory,
                    env=environ,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                    pass_fds=(sock.fileno(),),
                )
            )
            started.append(Server(f"http://127.0.0.1:{sock.getsockname()[1]}", tokens))
        for process, server in zip(processes, started, strict=True):
            assert process.stdout is not None
            for line in process.stdout:  # blocks until the server says it is up (or exits)
                server.output.append(line)
                if "Uvicorn running on" in line:  # serving (startup completes before that)
                    break
            else:
                raise AssertionError(
                    "the server stopped before serving:\n" + "".join(server.output)
                )
            assert process.poll() is None, "".join(server.output)
            drain = threading.Thread(
                target=server.output.extend, args=(process.stdout,), daemon=True
            )
            drain.start()
            drains.append(drain)
        try:
            yield started
        except Exception:
            for process, server in zip(processes, started, strict=True):
                print(f"--- {server.url} (exit code {process.poll()}):\n{''.join(server.output)}")
            raise
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
        for drain in drains:
            drain.join(timeout=10)
        for sock in sockets:
            sock.close()


def signed(
    client: Client, officer: str, kind: str, code: str, body: dict[str, Any], **extra: Any
) -> Envelope:
    key = KEYS[officer]
    raw = client.prepare(key, kind, code, body, **extra)
    return Envelope(raw, key.sign(raw))


def record_once(
    client: Client, officer: str, kind: str, code: str, body: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    """Prepare, sign and submit with no second attempt: within one dossier the statements follow
    one another, so a stale head here would mean a server prepared on an out-of-date copy."""
    return client.submit(signed(client, officer, kind, code, body, **extra))


def handovers(there: Server, back: Server, code: str) -> list[dict[str, Any]]:
    """Received and dispatched to the province on `there`, acknowledged on `back`; returned to the
    commune on `there` (whose cached copy the other server has moved on), acknowledged on `back`."""
    commune, province = there.client(COMMUNE_OFFICER), back.client(PROVINCE_OFFICER)
    province_there, commune_back = there.client(PROVINCE_OFFICER), back.client(COMMUNE_OFFICER)
    documents = [DOCUMENT]
    try:
        received = record_once(
            commune, COMMUNE_OFFICER, "dossier.received", code, RECEIVED_BODY, applicant=APPLICANT
        )
        sent = record_once(
            commune,
            COMMUNE_OFFICER,
            "handover.dispatched",
            code,
            {"to": PROVINCE, "purpose": "process", "documents": documents},
        )
        taken = record_once(
            province,
            PROVINCE_OFFICER,
            "handover.acknowledged",
            code,
            {"dispatch": bytes.fromhex(sent["digest"]), "documents": documents},
        )
        returned = record_once(
            province_there,
            PROVINCE_OFFICER,
            "handover.dispatched",
            code,
            {"to": COMMUNE, "purpose": "return", "documents": documents},
        )
        back_home = record_once(
            commune_back,
            COMMUNE_OFFICER,
            "handover.acknowledged",
            code,
            {"dispatch": bytes.fromhex(returned["digest"]), "documents": documents},
        )
    finally:
        for client in (commune, province, province_there, commune_back):
            client.close()
    return [received, sent, taken, returned, back_home]


def race(first: Server, second: Server, code: str, appointed: int) -> list[dict[str, Any]]:
    """The commune prepares two statements on the same head, one on each server, and submits
    both at once: a delay notice and a supplement request (valid in either order)."""
    bodies: list[tuple[str, dict[str, Any]]] = [
        (
            "dossier.delay_notified",
            {"reason": "cần xác minh thêm", "appointed": appointed + 10 * DAY_US},
        ),
        ("dossier.supplement_requested", {"reason": "thiếu giấy tờ", "missing": ["Giấy xác nhận"]}),
    ]
    barrier = threading.Barrier(2)
    outcomes: dict[int, Any] = {}
    clients = [first.client(COMMUNE_OFFICER), second.client(COMMUNE_OFFICER)]

    def attempt(side: int) -> None:
        kind, body = bodies[side]
        envelope = signed(clients[side], COMMUNE_OFFICER, kind, code, body)
        barrier.wait(timeout=30)  # both prepared on the same head before either is submitted
        try:
            outcomes[side] = (envelope, clients[side].submit(envelope))
        except ApiProblem as problem:
            outcomes[side] = (envelope, problem)

    try:
        threads = [threading.Thread(target=attempt, args=(side,)) for side in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        won = [side for side in (0, 1) if isinstance(outcomes[side][1], dict)]
        assert len(won) == 1, outcomes
        winner, loser = won[0], 1 - won[0]
        envelope, receipt = outcomes[winner]
        problem = outcomes[loser][1]
        assert isinstance(problem, ApiProblem)
        assert (problem.status, problem.code) == (409, "stale-head"), problem.problem
        assert problem.problem["current"] == {"subject": code, "seq": 6, "head": receipt["digest"]}
        kind, body = bodies[loser]
        again = record_once(clients[loser], COMMUNE_OFFICER, kind, code, body)
        assert again["seq"] == 7
        # the winner's envelope sent to the loser's server again: the original receipt
        duplicate = clients[loser].submit(envelope)
        assert duplicate["duplicate"] is True
        assert (duplicate["digest"], duplicate["seq"]) == (receipt["digest"], 6)
        return [receipt, again]
    finally:
        for client in clients:
            client.close()


def event_pages(server: Server) -> list[dict[str, Any]]:
    pages, cursor = [], "0"
    while cursor is not None:
        page = server.get("/v1/events", cursor=cursor).json()
        pages.append(page)
        cursor = page["next"]
    return pages


def checkpoint(server: Server) -> note.Checkpoint:
    text = server.get("/v1/log/checkpoint").text
    return note.Checkpoint.parse(note.open_note(text, [demo_log_key().verifier]).text)


def test_two_servers_on_one_database_record_every_statement_once_and_agree(
    postgres_url: str, tmp_path: Path
) -> None:
    environ, demo_dossiers, tokens = prepare_database(postgres_url, tmp_path)
    today = f"{local_date(SystemClock().now()):%y%m%d}"
    codes = [f"000.66.29.H59-{today}-{1000 + number:04d}" for number in range(DOSSIERS)]

    with servers(environ, tmp_path, tokens) as (a, b):
        with ThreadPoolExecutor(THREADS) as pool:
            flows = list(
                pool.map(
                    lambda number: handovers((a, b)[number % 2], (b, a)[number % 2], codes[number]),
                    range(DOSSIERS),
                )
            )
        receipts = [receipt for flow in flows for receipt in flow]
        assert [[r["seq"] for r in flow] for flow in flows] == [[1, 2, 3, 4, 5]] * DOSSIERS
        assert all(flow[0]["receipt_secret"] for flow in flows)
        before = checkpoint(a)

        for number, code in enumerate(codes[:RACES]):
            appointed = a.get(f"/v1/dossiers/{code}").json()["appointed"]
            receipts += race(*((a, b) if number % 2 else (b, a)), code, appointed)
        after = checkpoint(b)

        # both servers read the same log and the same views
        for code in codes + demo_dossiers:
            assert a.get(f"/v1/dossiers/{code}").json() == b.get(f"/v1/dossiers/{code}").json()
        readers = [a.client(PROVINCE_OFFICER), b.client(PROVINCE_OFFICER)]
        for number, code in enumerate(codes):
            lengths = {len(reader.history(code)) for reader in readers}
            assert lengths == {7 if number < RACES else 5}, code
            where = a.get(f"/v1/dossiers/{code}").json()
            assert where["custodian"] == COMMUNE
            assert where["status"] == ("suspended" if number < RACES else "held")
        for reader in readers:
            reader.close()
        pages = event_pages(a)
        assert pages == event_pages(b)
        assert a.get("/v1/log/checkpoint").text == b.get("/v1/log/checkpoint").text

        # the checkpoint read before the races is a prefix of the one after, by proof
        assert before.size < after.size
        for server in (a, b):
            proof = server.get("/v1/log/proofs/consistency", old=before.size, new=after.size)
            merkle.verify_consistency(
                before.size,
                after.size,
                before.root,
                after.root,
                [bytes.fromhex(node) for node in proof.json()["proof"]],
            )

    # every statement once, where its receipt said
    entries = [item for page in pages for item in page["items"]]
    assert [entry["index"] for entry in entries] == list(range(len(entries)))
    digests = [entry["digest"] for entry in entries]
    assert len(set(digests)) == len(digests)
    for receipt in receipts:
        assert entries[receipt["leaf_index"]]["digest"] == receipt["digest"]
    assert len(receipts) == DOSSIERS * 5 + RACES * 2

    ledger = Ledger(LedgerSettings(database_url=postgres_url))
    try:
        assert ledger.log_size() == len(entries) == after.size
        report = audit(ledger, log_key=demo_log_key().verifier, workers=1)
        assert report.ok, [finding.describe() for finding in report.findings]
        assert (report.checked, report.size) == (len(entries), len(entries))
        assert report.checkpoints > 2

        served = Projector(ledger)  # the views the servers kept, in the shared schema
        rebuilt = Projector(ledger, ViewStore("memory:"))
        try:
            assert served.position() == ledger.recorder.max_notification_id()
            rebuilt.rebuild()
            same_views(rebuilt, served)
        finally:
            served.close()
            rebuilt.close()
    finally:
        ledger.close()


def same_views(rebuilt: Projector, served: Projector) -> None:
    """The views `rebuilt` in memory from the log are the ones `served`, but for the marks
    (ledger/views/marks.py): the views in memory have no file or rating store beside them; the
    served ones have the servers' stores, and their marks are what those stores say."""
    kept = served.dump()
    marks = [row[-2:] for row in kept["location"]]
    kept["location"] = [row[:-2] for row in kept["location"]]
    found = rebuilt.dump()
    assert {row[-2:] for row in found["location"]} <= {(0, None)}
    found["location"] = [row[:-2] for row in found["location"]]
    assert found == kept
    codes = [row[0] for row in kept["location"]]
    assert _marks(served) == dict(zip(codes, marks, strict=True))


def _marks(views: Projector) -> dict[str, tuple[int, int | None]]:
    """Each dossier's marks as the stores beside the views say: digitised when every scan its
    receipt listed is in the file store; the citizen's score once decided."""
    listed: dict[str, set[bytes]] = {}
    for code, sha256 in views.view.query("SELECT code, sha256 FROM lienthong_receipt_scans"):
        listed.setdefault(str(code), set()).add(bytes(sha256))
    held: dict[str, set[bytes]] = {}
    for code, sha256 in views.view.query("SELECT code, sha256 FROM lienthong_files"):
        held.setdefault(str(code), set()).add(bytes(sha256))
    scores = dict(views.view.query("SELECT code, score FROM lienthong_ratings"))
    return {
        str(code): (
            int(bool(listed.get(code)) and listed.get(code, set()) <= held.get(code, set())),
            scores.get(code) if decided is not None else None,
        )
        for code, decided in views.view.query("SELECT code, decided_at FROM lienthong_location")
    }
