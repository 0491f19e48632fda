"""The command the registrar's page prints beside a waiting key (api/http/web/officer.py
`approval_command`, which tests/test_web_desk_day.py sees printed whole) works as printed: run by
bash, against a live server, in a directory holding the authority key file `lienthong init`
writes, with a registrar's token in LIENTHONG_TOKEN, it records the `key.registered` that approves
the key — the officer's, with the role officer, in force from the request. (It printed
`"effective": "NOW"`, which the command line refuses.)"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from api.http.app import create_app
from api.http.services import Services
from api.http.web.officer import approval_command
from domain.instant import VIETNAM, from_datetime
from ledger.application import Ledger
from ledger.clock import SimulatedClock
from ledger.config import LedgerSettings
from ledger.reference.seed import seed_travinh
from ledger.statements.authoring import Signer, initialise
from ledger.statements.signing import SigningKey
from ledger.stores.enrolments import Enrolment
from tests.apiworld import settings_for
from tests.browser import live
from tests.world import seeded_key

OFFICER, OFFICE = "cb-29266-2025", "29266/2025"


def local(day: int, hour: int, minute: int = 0) -> int:
    return from_datetime(datetime(2025, 7, day, hour, minute, tzinfo=VIETNAM))


def lienthong() -> str:
    """The command line installed beside this interpreter (the project's venv)."""
    found = shutil.which("lienthong", path=str(Path(sys.executable).parent))
    assert found is not None, f"no `lienthong` beside {sys.executable}: pip install -e ."
    return found


def test_the_printed_command_run_verbatim_registers_the_key(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'ledger.db'}"
    clock = SimulatedClock(local(1, 8))
    ledger = Ledger(LedgerSettings(database_url=database), clock=clock)
    authority_key = SigningKey(seeded_key("authority").private, "authority", "authority")
    initialise(ledger, authority_key)
    authority = Signer.authority(ledger, authority_key)
    seed_travinh(ledger, authority)
    authority.record(
        "officer.enrolled",
        OFFICER,
        {"office": OFFICE, "title": "Công chức Văn hóa - Xã hội", "effective": local(1, 0)},
    )
    ledger.close()
    browser_key = seeded_key("made in the officer's browser")
    clock.set(local(8, 9))
    app = create_app(settings_for(database, tmp_path), clock=clock)
    with live(app) as url:
        services: Services = app.state.services
        enrolment = Enrolment(
            browser_key.key_id, OFFICER, OFFICE, browser_key.public_key, local(8, 8, 30)
        )
        services.enrolments.request(enrolment)
        registrar = services.tokens.create("registrar", now=clock.now(), valid_seconds=86400)[1]
        where = tmp_path / "registrar"
        where.mkdir()
        authority_key.save(where / "lienthong-authority.key")
        command = approval_command(enrolment, url)
        environment = {
            name: value for name, value in os.environ.items() if not name.startswith("LIENTHONG_")
        }
        environment["LIENTHONG_TOKEN"] = registrar
        environment["PATH"] = f"{Path(lienthong()).parent}{os.pathsep}{environment.get('PATH', '')}"
        done = subprocess.run(
            ["bash", "-c", f"set -o pipefail\n{command}"],
            cwd=where,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"key.registered {browser_key.key_id} seq 1" in done.stdout
        key = services.ledger.key(browser_key.key_id)
        assert (key.officer, key.public_key, key.role, key.effective) == (
            OFFICER,
            browser_key.public_key,
            "officer",
            local(8, 8, 30),
        )
        (entry,) = services.ledger.history("key", browser_key.key_id)
        assert entry.statement.key == authority_key.key_id
