"""Save a screenshot of every web page into docs/screenshots/ (the README shows them).

Run from the repository root, with Debian's Chromium installed (as the browser tests need):

    python docs/make_screenshots.py

It starts the demo on a fresh database in a temporary directory, as the browser tests do
(tests/browser.py), signs in as an officer (with a key made and approved in the browser), an
inspector and a citizen, and photographs each page at 1366×768, the screen of an office PC, and
the citizen's lookup answer on a phone (390×844). The officer acknowledges a dossier handed over
by the commune (its acts page), receives one under the code the server makes (the receipt) and
hands that one over (the desk's list of what waits for its addressee).
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
from ledger.simulation.demo import demo_log_key  # noqa: E402
from tests.apiworld import (  # noqa: E402
    APPLICANT,
    COMMUNE,
    COMMUNE_OFFICER,
    DOCUMENT,
    FILES,
    PROVINCE,
    PROVINCE_OFFICER,
    RECEIVED_BODY,
    demo_code,
)
from tests.browser import Site, approve, made_code, open_site  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
CODE = demo_code(1)  # received by the commune on the demo's last day, by the circular's rule
ARRIVING = demo_code(2)  # a second one, on its way to the province when the desk is shot
SIZE = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
SCAN = b"%PDF-1.7 don de nghi, quet tai bo phan mot cua"


def token(site: Site, role: str, office: str | None = None, officer: str | None = None) -> str:
    return site.services.tokens.create(
        role, office=office, officer=officer, now=site.clock.now(), valid_seconds=86400
    )[1]


def shoot(page: object, name: str, full_page: bool = True) -> None:
    path = OUT / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)  # type: ignore[attr-defined]
    print(f"  {path.relative_to(ROOT)}")


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as directory, open_site(Path(directory), CODE) as site:
        client = Client(site.url, token(site, "officer", COMMUNE, COMMUNE_OFFICER), files=FILES)
        client.record(
            site.commune_key, "dossier.received", ARRIVING, RECEIVED_BODY, applicant=APPLICANT
        )
        for code in (CODE, ARRIVING):
            client.record(
                site.commune_key,
                "handover.dispatched",
                code,
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
        phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
        phone.goto(f"{site.url}/tra-cuu")
        phone.locator("#code").fill(CODE.lower())  # as a citizen types it, in any letter case
        phone.locator("#secret").fill(site.secret)
        with phone.expect_navigation():
            phone.locator("form button[type=submit]").tap()
        phone.get_by_role("heading", level=1).wait_for()
        shoot(phone, "02b-lookup-on-a-phone", full_page=False)  # the screen, as the phone shows it
        phone.context.close()
        citizen.goto(f"{site.url}/xac-minh/{CODE}")
        citizen.locator("details.technical summary").first.click()  # the technical details
        citizen.locator("#browser-run").click()  # and the browser's own check of the same
        citizen.locator("#browser-result .verified").wait_for()
        shoot(citizen, "03-verification")
        forged = bytearray(bundle.export(site.services.ledger, CODE).encode())
        forged[len(forged) // 2] ^= 1
        citizen.goto(f"{site.url}/xac-minh")
        upload = citizen.locator("#file")
        if not upload.is_visible():
            citizen.locator("details.technical summary").first.click()
        upload.set_input_files(
            files=[{"name": "x.bundle", "mimeType": "application/msgpack", "buffer": bytes(forged)}]
        )
        citizen.locator("form:has(#file) button[type=submit]").click()
        citizen.get_by_role("heading", level=1).wait_for()
        citizen.locator("details:not(.technical) summary").first.click()  # the reason why
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
        approve(site, PROVINCE_OFFICER, request.key_id, request.public_key)
        officer.goto(f"{site.url}/can-bo")
        officer.get_by_role("status").filter(has_text="phê duyệt").wait_for()

        # the province acknowledges the first dossier, ticking what arrived, and holds it
        arriving = officer.locator("form.handover").filter(has_text=CODE)
        arriving.get_by_label(str(DOCUMENT["name"])).check()
        arriving.locator("button[value=acknowledge]").click()
        officer.get_by_role("status").filter(has_text="Đã nhận hồ sơ").wait_for()
        officer.goto(f"{site.url}/can-bo/xu-ly/{CODE}")
        officer.get_by_role("heading", level=1).wait_for()
        shoot(officer, "09c-acts-on-a-held-dossier")

        # it receives a dossier at its own desk, under the code the server made
        officer.goto(f"{site.url}/can-bo/tiep-nhan")
        received = made_code(officer)
        officer.get_by_label("Thủ tục").select_option(index=0)
        officer.get_by_label("Họ và tên").fill("Phạm Văn E")
        officer.get_by_label("Tệp quét của giấy tờ").first.set_input_files(
            files=[{"name": "don.pdf", "mimeType": "application/pdf", "buffer": SCAN}]
        )
        shoot(officer, "09-receive-form")
        officer.get_by_role("button", name="Tiếp nhận và ký").click()
        officer.wait_for_url(f"{site.url}/can-bo/bien-nhan/{received}?moi=1")
        officer.locator("#secret").wait_for()
        shoot(officer, "09a-receipt")

        # and hands it over; the desk then shows it waiting for its addressee
        officer.get_by_role("link", name="Giao hồ sơ này").click()
        officer.wait_for_url(f"{site.url}/can-bo/giao/{received}")
        officer.get_by_label("Giao cho cơ quan").select_option(index=1)
        shoot(officer, "09b-dispatch-form")
        officer.get_by_role("button", name="Giao hồ sơ và ký").click()
        officer.get_by_role("status").filter(has_text="Đã giao").wait_for()
        officer.goto(f"{site.url}/can-bo")
        officer.get_by_role("region", name="Đã gửi, chờ bên nhận").wait_for()
        shoot(officer, "08-officer-inbox-and-held")

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
