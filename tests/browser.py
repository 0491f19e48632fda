"""A live server in this process and a real headless Chromium driving it.

The server is uvicorn on a socket bound before its thread starts: a first request waits in the
backlog until the app has started, then returns; no polling, no sleeps.
Chromium is Debian's (`/usr/bin/chromium`), driven by Playwright; without it these tests skip
with the reason, except in CI (CI=true), where they fail.
"""

from __future__ import annotations

import os
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from api.client import Client
from api.http.app import create_app
from api.http.services import Services
from ledger.clock import SimulatedClock
from ledger.simulation.demo import AUTHORITY_KEY_NAME, demo_key
from ledger.statements.authoring import Signer
from ledger.statements.signing import SigningKey
from tests.apiworld import (
    APPLICANT,
    COMMUNE,
    COMMUNE_OFFICER,
    FILES,
    RECEIVED_BODY,
    demo_database,
    settings_for,
)

PAGE_TIME = 1_750_000_000  # the browser's own clock, in Unix seconds, where a test holds it
CHROMIUM = Path(os.environ.get("LIENTHONG_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_or_skip() -> None:
    if CHROMIUM.exists():
        return
    message = f"no Chromium at {CHROMIUM} (apt-get install chromium); set LIENTHONG_CHROMIUM"
    if os.environ.get("CI") == "true":
        pytest.fail(f"Chromium is required in CI: {message}")
    pytest.skip(message)


@contextmanager
def live(app: Any) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 from a thread; its base URL. The lifespan runs in that thread."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    # the first request waits in the backlog until the lifespan has started the app's services
    httpx.get(f"{url}/healthz", timeout=120).raise_for_status()
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium browser (Playwright's sync API)."""
    chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Site:
    """A live server with the demo recorded and one dossier received with an applicant: its URL,
    the dossier's receipt secret, the app's services and clock, and a browser."""

    url: str
    code: str
    secret: str
    services: Services
    clock: SimulatedClock
    browser: Any
    commune_key: SigningKey  # the demo's commune officer's, who received the dossier


@contextmanager
def open_site(directory: Path, code: str, browser: Any = None) -> Iterator[Site]:
    """The site on a fresh database in `directory`; its own Chromium, or `browser` (one
    Playwright per thread: a second site in a module shares the first one's browser)."""
    if browser is None:
        with chromium() as launched, open_site(directory, code, launched) as site:
            yield site
        return
    database = f"sqlite:///{directory / 'ledger.db'}"
    recorded = demo_database(database, directory)
    clock = recorded.clock
    app = create_app(settings_for(database, directory), clock=clock)
    with live(app) as url:
        services: Services = app.state.services
        demo = recorded.bind(services)
        _record, token = services.tokens.create(
            "officer", office=COMMUNE, officer=COMMUNE_OFFICER, now=clock.now(), valid_seconds=86400
        )
        signer = demo.officers[COMMUNE_OFFICER]
        key = SigningKey(signer.key.private, COMMUNE_OFFICER, signer.office)
        client = Client(url, token, files=FILES)
        try:
            receipt = client.record(
                key, "dossier.received", code, RECEIVED_BODY, applicant=APPLICANT
            )
        finally:
            client.close()
        yield Site(url, code, receipt["receipt_secret"], services, clock, browser, key)


def token(site: Site, role: str, office: str | None = None, officer: str | None = None) -> str:
    """A token for the site, valid for a day of its clock."""
    return site.services.tokens.create(
        role, office=office, officer=officer, now=site.clock.now(), valid_seconds=86400
    )[1]


def approve(site: Site, officer: str, key_id: str, public_key: bytes) -> None:
    """What a registrar's `lienthong sign key.registered … | lienthong submit` records."""
    authority = Signer.authority(site.services.ledger, demo_key(AUTHORITY_KEY_NAME))
    body = {
        "officer": officer,
        "public_key": public_key,
        "role": "officer",
        "effective": site.clock.now(),
    }
    authority.record("key.registered", key_id, body)


def enrolled_officer(site: Site, office: str, officer: str) -> Any:
    """A browser of its own for `officer`: signed in, its key made there and approved; the page."""
    context = site.browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.clock.install(time=PAGE_TIME)
    page.clock.pause_at(PAGE_TIME + 1)  # the page's timers run when the test says, not before
    page.goto(f"{site.url}/can-bo/khoa")
    page.locator("#token").fill(token(site, "officer", office, officer))
    page.locator("form button[type=submit]").click()
    page.locator("#make-key").click()
    page.get_by_role("status").filter(has_text="đang chờ").wait_for()
    (request,) = [e for e in site.services.enrolments.all() if e.officer == officer]
    approve(site, officer, request.key_id, request.public_key)
    # the waiting page asks again every 15 s, and sees the approval without a reload
    page.clock.run_for(15_000)
    page.get_by_role("status").filter(has_text="đã được phê duyệt").wait_for()
    return page


def made_code(page: Any) -> str:
    """The dossier code the receipt form shows once the server has made it (receive.js)."""
    shown = page.locator("#code")
    shown.filter(has_text=re.compile(r"-\d{6}-\d{4,7}$")).wait_for()
    return str(shown.inner_text()).strip()
