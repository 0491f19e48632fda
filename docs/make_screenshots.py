"""Save a screenshot of every web page into docs/screenshots/ (the README shows them).

Run from the repository root, with Debian's Chromium installed (as the browser tests need):

    python docs/make_screenshots.py

It starts the demo on a fresh database in a temporary directory, as the browser tests do
(tests/browser.py), signs in as an officer (with a key made and approved in the browser), an
inspector and a citizen, and photographs each page at 1366×768, the screen of an office PC.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from api.client import Client  # noqa: E402
from ledger.log import bundle  # noqa: E402
from ledger.simulation.demo import AUTHORITY_KEY_NAME, demo_key, demo_log_key  # noqa: E402
from ledger.statements.authoring import Signer  # noqa: E402
from tests.apiworld import (  # noqa: E402
    COMMUNE,
    COMMUNE_OFFICER,
    DOCUMENT,
    FILES,
    PROVINCE,
    PROVINCE_OFFICER,
)
from tests.browser import Site, open_site  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
CODE = "000.66.29.H59-250708-0001"
SIZE = {"width": 1366, "height": 768}


def token(site: Site, role: str, office: str | None = None, officer: str | None = None) -> str:
    return site.services.tokens.create(
        role, office=office, officer=officer, now=site.clock.now(), valid_seconds=86400
    )[1]


def shoot(page: object, name: str) -> None:
    path = OUT / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    print(f"  {path.relative_to(ROOT)}")


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as directory, open_site(Path(directory), CODE) as site:
        client = Client(site.url, token(site, "officer", COMMUNE, COMMUNE_OFFICER), files=FILES)
        client.record(
            site.commune_key,
            "handover.dispatched",
            CODE,
            {"to": PROVINCE, "purpose": "process", "documents": [DOCUMENT]},
        )
        client.close()
        site.services.ledger.issue_checkpoint(demo_log_key())
        browser = site.browser

        citizen = browser.new_page(viewport=SIZE)
        citizen.goto(f"{site.url}/tra-cuu")
        shoot(citizen, "01-lookup")
        citizen.locator("#code").fill(CODE)
        citizen.locator("#secret").fill(site.secret)
        citizen.locator("form button[type=submit]").click()
        citizen.get_by_role("heading", level=1).wait_for()
        shoot(citizen, "02-lookup-result-and-control-slip")
        citizen.goto(f"{site.url}/xac-minh/{CODE}")
        citizen.locator("#browser-run").click()  # and the browser's own check of the same
        citizen.locator("#browser-result .verified").wait_for()
        shoot(citizen, "03-verification")
        forged = bytearray(bundle.export(site.services.ledger, CODE).encode())
        forged[len(forged) // 2] ^= 1
        citizen.goto(f"{site.url}/xac-minh")
        citizen.locator("#file").set_input_files(
            files=[{"name": "x.bundle", "mimeType": "application/msgpack", "buffer": bytes(forged)}]
        )
        citizen.locator("form button[type=submit]").click()
        citizen.get_by_role("heading", level=1).wait_for()
        shoot(citizen, "04-verification-of-a-tampered-bundle")

        officer = browser.new_context(viewport=SIZE).new_page()
        officer.goto(f"{site.url}/can-bo/khoa")
        shoot(officer, "05-sign-in")
        officer.locator("#token").fill(token(site, "officer", PROVINCE, PROVINCE_OFFICER))
        officer.locator("form button[type=submit]").click()
        officer.locator("#make-key").click()
        officer.get_by_role("status").filter(has_text="chờ").wait_for()
        shoot(officer, "06-enrol-a-browser-key")
        (request,) = site.services.enrolments.all()
        registrar = browser.new_context(viewport=SIZE).new_page()
        registrar.goto(f"{site.url}/quan-tri/khoa")
        registrar.locator("#token").fill(token(site, "registrar"))
        registrar.locator("form button[type=submit]").click()
        shoot(registrar, "07-registrar-keys-waiting")
        Signer.authority(site.services.ledger, demo_key(AUTHORITY_KEY_NAME)).record(
            "key.registered",
            request.key_id,
            {
                "officer": PROVINCE_OFFICER,
                "public_key": request.public_key,
                "role": "officer",
                "effective": site.clock.now(),
            },
        )
        officer.goto(f"{site.url}/can-bo")
        officer.get_by_role("status").filter(has_text="phê duyệt").wait_for()
        shoot(officer, "08-officer-inbox-and-held")
        officer.goto(f"{site.url}/can-bo/tiep-nhan")
        shoot(officer, "09-receive-form")
        officer.goto(f"{site.url}/can-bo")
        officer.locator("form.handover button[value=acknowledge]").first.click()
        officer.get_by_role("link", name=f"Giao {CODE}").click()
        shoot(officer, "09b-dispatch-form")

        inspector = browser.new_context(viewport=SIZE).new_page()
        inspector.goto(f"{site.url}/giam-sat")
        inspector.locator("#token").fill(token(site, "inspector", PROVINCE))
        inspector.locator("form button[type=submit]").click()
        shoot(inspector, "10-stall-dashboard")
        inspector.goto(f"{site.url}/giam-sat/ban-do")
        shoot(inspector, "11-map-of-offices")
        inspector.goto(f"{site.url}/ho-so/{CODE}")
        shoot(inspector, "12-dossier-timeline-and-slip")
        inspector.goto(f"{site.url}/giam-sat/ket-qua?result=early")
        shoot(inspector, "13-dossiers-behind-a-count")
        inspector.goto(f"{site.url}/giam-sat/giu")
        shoot(inspector, "14-dossiers-behind-a-holding-time")
    return 0


if __name__ == "__main__":
    sys.exit(main())
