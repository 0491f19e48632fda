"""The HTTP API over the demo: the app on a database, the demo recorded through its own ledger, a
token for every role, and the demo officers' keys to sign with. Keys and tokens from fixed seeds
or the demo's public seeds; the clock is simulated, so nothing waits."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from api.client import Client
from api.http.app import create_app
from api.http.services import Services
from api.settings import Settings
from domain.identifier import dossier_code
from domain.instant import local_date
from ledger.clock import SimulatedClock
from ledger.config import LedgerSettings
from ledger.simulation.demo import DEMO_START, Demo, demo_log_key, run_demo
from ledger.statements.signing import SigningKey
from ledger.stores.applicants import DataKey
from tests.templates import TEMPLATES

DATA_KEY = DataKey(bytes(range(32)))
# after the demo: who works where (the 1/7/2025 reform moved them)
COMMUNE_OFFICER, COMMUNE = "cb-29266-vhxh", "29266/2025"
PROVINCE_OFFICER, PROVINCE = "cv-84-ldtbxh", "86"
# their agency identifiers in the seed (ledger/reference/seed.py), which begin their dossiers' codes
COMMUNE_AGENCY, PROVINCE_AGENCY = "000.66.29.H59", "000.00.40.H59"
# the day the demo ends, when the tests that name their codes before the app starts receive them
DEMO_DAY = date(2026, 3, 3)
DOCUMENT_BYTES = b"don de nghi"  # the scanned application, as far as these tests need
DOCUMENT = {"name": "Đơn đề nghị", "sha256": hashlib.sha256(DOCUMENT_BYTES).digest()}
FILES = {DOCUMENT["sha256"]: DOCUMENT_BYTES}  # what an officer's client holds and uploads
RECEIVED_BODY = {  # a dossier.received body without the applicant (details or commitment)
    "procedure": "merit-education-preference",
    "version": 2,
    "channel": "direct",
    "documents": [DOCUMENT],
}
APPLICANT = {"full_name": "Trần Thị B", "id_number": "084190000001", "phone": "0901234567"}


@dataclass
class Api:
    http: TestClient
    services: Services
    clock: SimulatedClock
    demo: Demo
    tokens: dict[str, str] = field(default_factory=dict)

    def client(self, role: str) -> Client:
        """A client for `role` that holds the test document and uploads it when a statement
        lists it, as an officer's client attaches the scans it sends."""
        return Client(http=self.http, token=self.tokens[role], files=FILES)

    def attach(self, code: str, role: str = "officer", data: bytes = DOCUMENT_BYTES) -> None:
        """Upload a file to a dossier, as `role` (an officer of the office holding it)."""
        self.client(role).attach(code, data, hashlib.sha256(data).digest())

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def key(self, officer: str) -> SigningKey:
        signer = self.demo.officers[officer]
        return SigningKey(signer.key.private, officer, signer.office)

    def token(self, role: str, **fields: Any) -> str:
        _record, text = self.services.tokens.create(
            role, now=self.clock.now(), valid_seconds=30 * 86400, **fields
        )
        return text


def settings_for(url: str, directory: Path, **extra: Any) -> Settings:
    log_key = directory / "log.key"
    if not log_key.exists():
        demo_log_key().save(log_key)
    data_key = directory / "data.key"
    if not data_key.exists():
        DATA_KEY.save(data_key)
    return Settings(
        ledger=LedgerSettings(database_url=url, log_key_file=str(log_key)),
        data_key_file=str(data_key),
        **extra,
    )


def record_demo(url: str, directory: Path) -> Demo:
    """The demo recorded by the app on `url`, as open_api records it, and its views caught up."""
    clock = SimulatedClock(DEMO_START)
    app = create_app(settings_for(url, directory), clock=clock)
    with TestClient(app):
        services: Services = app.state.services
        demo = run_demo(services.ledger, clock)
        services.projector.catch_up()
    return demo


def app_tables(url: str, directory: Path) -> None:
    with TestClient(create_app(settings_for(url, directory))):
        pass


@dataclass
class Recorded:
    """What a test's app starts from: the demo, recorded here or copied from the session's."""

    clock: SimulatedClock
    demo: Demo | None  # None: record it once the app has started

    def bind(self, services: Services) -> Demo:
        if self.demo is None:
            return run_demo(services.ledger, self.clock)
        ledger = services.ledger
        officers = {
            name: replace(signer, ledger=ledger) for name, signer in self.demo.officers.items()
        }
        return Demo(ledger, self.clock, officers, list(self.demo.dossiers))


def demo_database(url: str, directory: Path) -> Recorded:
    """A fresh SQLite or PostgreSQL database at `url` gets a copy of the demo recorded once per
    session (tests/templates.py), and the clock as the demo left it; any other is recorded into
    once the app has started, as before."""
    recorded = TEMPLATES.restore("demo", url, directory, record_demo, app_tables)
    if recorded is None:
        return Recorded(SimulatedClock(DEMO_START), None)
    return Recorded(SimulatedClock(recorded.clock.now()), recorded)


@contextmanager
def open_api(url: str, directory: Path, **extra: Any) -> Iterator[Api]:
    """The app on `url` with the demo recorded; tokens for every role."""
    recorded = demo_database(url, directory)
    clock = recorded.clock
    app = create_app(settings_for(url, directory, **extra), clock=clock)
    with TestClient(app) as http:
        services: Services = app.state.services
        demo = recorded.bind(services)
        api = Api(http, services, clock, demo)
        api.tokens = {
            "officer": api.token("officer", office=COMMUNE, officer=COMMUNE_OFFICER),
            "province_officer": api.token("officer", office=PROVINCE, officer=PROVINCE_OFFICER),
            "inspector": api.token("inspector", office=PROVINCE),
            "commune_inspector": api.token("inspector", office=COMMUNE),
            "consumer": api.token("consumer"),
            "registrar": api.token("registrar"),
        }
        yield api


def demo_code(number: int, agency: str = COMMUNE_AGENCY, *, days_after: int = 0) -> str:
    """The code of the `number`-th dossier the office whose identifier is `agency` receives on the
    day the demo ends (DEMO_DAY), or `days_after` it, by the circular's rule: for a test's codes
    named before its app starts. Each test keeps to numbers of its own."""
    return dossier_code(agency, DEMO_DAY + timedelta(days=days_after), number)


def code_today(services: Services, number: int, office: str = COMMUNE) -> str:
    """The code of the `number`-th dossier `office` receives today on the test's clock, by the
    circular's rule the API holds a new dossier to: the office's agency identifier in the registry,
    the date, the number (`000.66.29.H59-260303-0301`). Each test keeps to numbers of its own."""
    day = local_date(services.clock.now())
    return dossier_code(services.ledger.office(office).code_agency_on(day), day, number)


def get(api: Api, path: str, role: str = "registrar", **params: Any) -> httpx.Response:
    response: httpx.Response = api.http.get(path, params=params, headers=api.headers(role))
    return response


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The response is the problem `code` with `status`, as RFC 9457 problem details."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert (problem["status"], problem["code"], problem["type"]) == (
        status,
        code,
        f"/problems/{code}",
    )
    assert problem["detail"]
    assert problem["title"]
    return problem
