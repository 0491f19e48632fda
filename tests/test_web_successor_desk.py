"""The officer's desk after a reorganisation (api/http/web/officer.py, acts.py): a dossier Huyện
Càng Long held on 30/6/2025 is on the desk of the office it passed to on 1/7/2025 — the commune
that received the monthly allowance, Vĩnh Long's Department of Home Affairs for the merit dossier —
and that office, not the other, may open its page of acts and hand it on (docs/law.md, "Who
decides after a reorganisation")."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from api.http.services import Services
from domain.instant import VIETNAM, from_datetime
from ledger.application import Ledger
from ledger.clock import SimulatedClock
from ledger.config import LedgerSettings
from ledger.reference.seed import seed_travinh
from ledger.statements.authoring import Signer, initialise
from tests.apiworld import settings_for
from tests.websession import sign_in
from tests.world import document, seeded_key

ALLOWANCE = "000.00.29.H59-250620-0001"  # social-allowance-monthly: back to the commune
MERIT = "000.00.29.H59-250620-0002"  # merit-education-preference: to Home Affairs
FILES = [document("Đơn đề nghị")]


def local(month: int, day: int, hour: int = 9) -> int:
    return from_datetime(datetime(2025, month, day, hour, tzinfo=VIETNAM))


def enrol(ledger: Ledger, authority: Signer, office: str, effective: int) -> Signer:
    officer = f"cb-{office.replace('/', '-')}"
    key = seeded_key(officer)
    authority.record(
        "officer.enrolled", officer, {"office": office, "title": "CC", "effective": effective}
    )
    authority.record(
        "key.registered",
        key.key_id,
        {"officer": officer, "public_key": key.public_key, "role": "officer", "effective": effective},
    )
    return Signer(ledger, key, officer, office)


@pytest.fixture(scope="module")
def desks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, TestClient]]:
    directory: Path = tmp_path_factory.mktemp("successor-desk")
    database = f"sqlite:///{directory / 'ledger.db'}"
    clock = SimulatedClock(local(6, 2))
    ledger = Ledger(LedgerSettings(database_url=database), clock=clock)
    initialise(ledger, seeded_key("authority"))
    authority = Signer.authority(ledger, seeded_key("authority"))
    seed_travinh(ledger, authority)
    commune = enrol(ledger, authority, "29266", local(6, 2, 0))
    district = enrol(ledger, authority, "844", local(6, 2, 0))
    clock.set(local(6, 20))
    for code, procedure in ((ALLOWANCE, "social-allowance-monthly"), (MERIT, "merit-education-preference")):
        commune.record(
            "dossier.received",
            code,
            {
                "procedure": procedure,
                "version": 1,
                "applicant": hashlib.sha256(f"salt|{code}".encode()).digest(),
                "channel": "direct",
                "documents": FILES,
            },
        )
        sent = commune.record(
            "handover.dispatched", code, {"to": "844", "purpose": "process", "documents": FILES}
        )
        district.record("handover.acknowledged", code, {"dispatch": sent.digest, "documents": FILES})
    clock.set(local(7, 2))
    for office in ("29266/2025", "86/snv", "86/syt"):
        enrol(ledger, authority, office, local(7, 1, 0))
    ledger.close()
    app = create_app(settings_for(database, directory), clock=clock)
    with TestClient(app):
        services: Services = app.state.services
        pages = {}
        for office in ("29266/2025", "86/snv", "86/syt"):
            page = TestClient(app)
            text = services.tokens.create(
                "officer",
                office=office,
                officer=f"cb-{office.replace('/', '-')}",
                now=clock.now(),
                valid_seconds=86400,
            )[1]
            assert sign_in(page, text, "/can-bo", follow_redirects=False).status_code == 303
            pages[office] = page
        yield pages


@pytest.mark.parametrize(
    ("office", "holds", "not_held"),
    [
        ("29266/2025", ALLOWANCE, MERIT),
        ("86/snv", MERIT, ALLOWANCE),
    ],
)
def test_the_office_a_dissolved_districts_dossier_passed_to_holds_it_on_its_desk(
    desks: dict[str, TestClient], office: str, holds: str, not_held: str
) -> None:
    desk = desks[office].get("/can-bo")
    assert desk.status_code == 200, desk.text
    assert f'href="/can-bo/xu-ly/{holds}"' in desk.text
    assert not_held not in desk.text
    assert desks[office].get(f"/can-bo/xu-ly/{holds}").status_code == 200
    assert desks[office].get(f"/can-bo/giao/{holds}").status_code == 200
    assert desks[office].get(f"/can-bo/xu-ly/{not_held}").status_code == 403
    assert desks[office].get(f"/can-bo/giao/{not_held}").status_code == 403


def test_an_office_that_took_none_over_has_none_on_its_desk(desks: dict[str, TestClient]) -> None:
    desk = desks["86/syt"].get("/can-bo")
    assert desk.status_code == 200, desk.text
    assert ALLOWANCE not in desk.text
    assert MERIT not in desk.text
    assert desks["86/syt"].get(f"/can-bo/xu-ly/{ALLOWANCE}").status_code == 403


def test_the_commune_may_decide_the_allowance_it_took_back(desks: dict[str, TestClient]) -> None:
    """Under the reformed law the commune decides the monthly allowance: its page offers it."""
    page = desks["29266/2025"].get(f"/can-bo/xu-ly/{ALLOWANCE}")
    assert 'data-kind="dossier.decided"' in page.text
