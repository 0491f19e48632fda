"""A day at the desk in a real browser, each officer signing with the key made in their own
browser: the commune officer hands a dossier over — told in words to choose the addressee first,
and that this browser has no key until it makes one — choosing "Sở Nội vụ" under its province,
and sees "Đã giao …" and the dossier waiting for its addressee, with how long; the province's
Department of Home Affairs acknowledges it from an inbox that shows its procedure, purpose,
appointed date and working days left, opening the scan and ticking what arrived; the registrar
approves a waiting key with the button, signed with the registrar's key in the browser, and a
registrar with none is told how to get one. The pages pass the accessibility rules and fit the
screen.

Its own small world: the Trà Vinh registry seeded (ledger/reference/seed.py), not the demo, on
Tuesday 8/7/2025, a week after the reform."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe

from api.http.app import create_app
from api.http.services import Services
from domain.instant import VIETNAM, from_datetime, local_date
from ledger.application import Ledger
from ledger.clock import SimulatedClock
from ledger.config import LedgerSettings
from ledger.reference.seed import seed_travinh
from ledger.statements.authoring import Signer, initialise
from tests.apiworld import settings_for
from tests.browser import PAGE_TIME, chromium, live
from tests.world import seeded_key

COMMUNE, HOME_AFFAIRS = "29266/2025", "86/snv"
CLERK, CASEWORKER = "cb-29266-2025", "cv-86-snv"  # the commune's one-stop, Home Affairs
NEWCOMER, REGISTRAR = "cb-29266-2025-tp", "qt-86-snv"
CODE = "000.66.29.H59-250708-0001"
SCAN = b"%PDF-1.7 don de nghi, scanned at the commune"
DOCUMENT = {"name": "Đơn đề nghị", "sha256": hashlib.sha256(SCAN).digest()}
PROCEDURE = "merit-education-preference"
PROCEDURE_NAME = "Ưu đãi trong giáo dục đào tạo"
RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
WIDTH = 1366


def local(hour: int, minute: int = 0, day: int = 8) -> int:
    return from_datetime(datetime(2025, 7, day, hour, minute, tzinfo=VIETNAM))


@dataclass
class Day:
    url: str
    services: Services
    clock: SimulatedClock
    authority: Signer
    browser: Any

    def token(self, role: str, office: str | None = None, officer: str | None = None) -> str:
        return self.services.tokens.create(
            role, office=office, officer=officer, now=self.clock.now(), valid_seconds=86400
        )[1]

    def signed_in(self, path: str, text: str, context: Any = None) -> Any:
        """A page of a browser of its own (or of `context`), signed in with `text`, at `path`."""
        if context is None:
            context = self.browser.new_context(viewport={"width": WIDTH, "height": 768})
        page = context.new_page()
        page.clock.install(time=PAGE_TIME)
        page.clock.pause_at(PAGE_TIME + 1)  # the pages' timers run when the test says
        page.goto(f"{self.url}/dang-nhap?back={path}")
        page.locator("#token").fill(text)
        page.locator("form button[type=submit]").click()
        page.wait_for_url(f"{self.url}{path}")
        return page

    def make_key(self, page: Any, officer: str) -> str:
        """Make the officer's key in the page's browser; the id of the request it sends."""
        page.goto(f"{self.url}/can-bo/khoa")
        page.get_by_role("button", name="Tạo khóa ký trên máy này").click()
        page.get_by_role("status").filter(has_text="đang chờ").wait_for()
        (request,) = [e for e in self.services.enrolments.all() if e.officer == officer]
        return request.key_id

    def register(self, key_id: str, role: str = "officer") -> None:
        """What the authority key's holder records: `lienthong sign key.registered …`."""
        (request,) = [e for e in self.services.enrolments.all() if e.key_id == key_id]
        body = {
            "officer": request.officer,
            "public_key": request.public_key,
            "role": role,
            "effective": self.clock.now(),
        }
        self.authority.record("key.registered", key_id, body)

    def officer(self, office: str, officer: str) -> Any:
        """A browser of its own for `officer`: signed in, its key made there and approved."""
        page = self.signed_in("/can-bo", self.token("officer", office, officer))
        self.register(self.make_key(page, officer))
        page.clock.run_for(15_000)  # the waiting page asks again, and sees the approval
        page.get_by_role("status").filter(has_text="đã được phê duyệt").wait_for()
        return page


def violations(page: Any) -> list[str]:
    page.clock.resume()  # axe waits on timers of its own
    results = Axe().run(page, options=RULES)
    return [
        f"{v['id']}: {v['help']} — {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
    ]


def wide(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Day]:
    directory: Path = tmp_path_factory.mktemp("browser-desk-day")
    database = f"sqlite:///{directory / 'ledger.db'}"
    clock = SimulatedClock(local(8, 0, day=1))
    ledger = Ledger(LedgerSettings(database_url=database), clock=clock)
    initialise(ledger, seeded_key("authority"))
    authority = Signer.authority(ledger, seeded_key("authority"))
    seed_travinh(ledger, authority)
    for officer, office, title in (
        (CLERK, COMMUNE, "Công chức Văn hóa - Xã hội"),
        (CASEWORKER, HOME_AFFAIRS, "Chuyên viên Phòng Người có công"),
        (NEWCOMER, COMMUNE, "Công chức Tư pháp - Hộ tịch"),
        (REGISTRAR, HOME_AFFAIRS, "Quản trị hệ thống"),
    ):
        authority.record(
            "officer.enrolled",
            officer,
            {"office": office, "title": title, "effective": local(0, day=1)},
        )
    # the key the receipt below is signed with (the clerk's browser key is made in the test)
    receiving = seeded_key(CLERK)
    authority.record(
        "key.registered",
        receiving.key_id,
        {
            "officer": CLERK,
            "public_key": receiving.public_key,
            "role": "officer",
            "effective": local(0, day=1),
        },
    )
    ledger.close()
    clock.set(local(9))
    app = create_app(settings_for(database, directory), clock=clock)
    with chromium() as browser, live(app) as url:
        services: Services = app.state.services
        day = Day(
            url,
            services,
            clock,
            Signer.authority(services.ledger, seeded_key("authority")),
            browser,
        )
        uploaded = httpx.put(
            f"{url}/v1/dossiers/{CODE}/files/{DOCUMENT['sha256'].hex()}",
            content=SCAN,
            headers={"Authorization": f"Bearer {day.token('officer', COMMUNE, CLERK)}"},
        )
        assert uploaded.status_code == 201, uploaded.text
        version = services.ledger.procedure(PROCEDURE).effective_on(local_date(clock.now()))
        assert version is not None
        Signer(services.ledger, receiving, CLERK, COMMUNE).record(
            "dossier.received",
            CODE,
            {
                "procedure": PROCEDURE,
                "version": version.version,
                "applicant": hashlib.sha256(b"salt|applicant").digest(),
                "channel": "direct",
                "documents": [DOCUMENT],
            },
        )
        yield day


def test_the_commune_hands_over_to_home_affairs_and_the_department_acknowledges_from_its_inbox(
    day: Day,
) -> None:
    clerk = day.signed_in("/can-bo", day.token("officer", COMMUNE, CLERK))
    clerk.get_by_role("link", name=f"Giao {CODE}").click()
    form = clerk.locator("form#dispatch")
    addressee = clerk.get_by_label("Giao cho cơ quan")
    assert addressee.input_value() == ""  # none is chosen for the officer
    form.get_by_role("button", name="Giao hồ sơ và ký").click()
    said = form.get_by_role("alert")
    assert said.inner_text() == "Hãy chọn cơ quan nhận hồ sơ: chưa ký gì."
    department = clerk.locator('optgroup[label="Tỉnh Vĩnh Long"] option', has_text="Sở Nội vụ")
    assert department.get_attribute("value") == HOME_AFFAIRS
    addressee.select_option(label="Sở Nội vụ")
    # this browser has no key yet: said in words, with the way to make one
    form.get_by_role("button", name="Giao hồ sơ và ký").click()
    said.filter(has_text="chưa có khóa ký").wait_for()
    assert said.inner_text() == (
        "Máy này chưa có khóa ký của bạn: chưa ký được. Tạo khóa ký trên máy này"
    )
    assert said.get_by_role("link").get_attribute("href") == "/can-bo/khoa"
    assert [e.statement.kind for e in day.services.ledger.history("dossier", CODE)] == [
        "dossier.received"
    ]
    assert violations(clerk) == []
    said.get_by_role("link").click()
    day.register(day.make_key(clerk, CLERK))
    clerk.clock.run_for(15_000)
    clerk.get_by_role("status").filter(has_text="đã được phê duyệt").wait_for()

    clerk.goto(f"{day.url}/can-bo/giao/{CODE}")
    clerk.get_by_label("Giao cho cơ quan").select_option(label="Sở Nội vụ")
    clerk.get_by_role("button", name="Giao hồ sơ và ký").click()
    done = clerk.get_by_role("status").filter(has_text="Đã giao")
    done.wait_for()
    assert done.inner_text() == f"Đã giao hồ sơ {CODE} cho Sở Nội vụ tỉnh Vĩnh Long."
    waiting = clerk.get_by_role("region", name=re.compile("Đã gửi, chờ bên nhận"))
    row = waiting.get_by_role("row").filter(has_text=CODE)
    assert row.get_by_role("cell").all_inner_texts() == [
        CODE,
        PROCEDURE_NAME,
        "Sở Nội vụ tỉnh Vĩnh Long",
        "08/07/2025 09:00",
        "dưới 1 giờ làm việc",
    ]
    day.clock.set(local(11))  # two working hours later, it still waits
    clerk.reload()
    assert row.get_by_role("cell").last.inner_text() == "2 giờ làm việc"
    dispatched = day.services.ledger.history("dossier", CODE)[-1].statement
    assert (dispatched.kind, dispatched.body["to"]) == ("handover.dispatched", HOME_AFFAIRS)

    caseworker = day.officer(HOME_AFFAIRS, CASEWORKER)
    caseworker.goto(f"{day.url}/can-bo")
    arriving = caseworker.locator("form.handover").filter(has_text=CODE)
    facts = arriving.locator("dl").inner_text()
    assert PROCEDURE_NAME in facts
    assert "Để giải quyết" in facts
    appointed = day.services.views().location(CODE).appointed  # type: ignore[union-attr]
    assert f"{datetime.fromtimestamp(appointed / 1e6, VIETNAM):%d/%m/%Y %H:%M} — còn " in facts
    assert re.search(r"còn \d+ ngày làm việc", facts)
    assert "Xã Càng Long" in arriving.locator("h3").inner_text()
    box = arriving.get_by_label("Đơn đề nghị")
    assert not box.is_checked()  # the officer ticks what is actually there
    scan = arriving.get_by_role("link", name=re.compile("Mở bản quét Đơn đề nghị"))
    opened = caseworker.request.get(f"{day.url}{scan.get_attribute('href')}")
    assert opened.status == 200
    assert opened.body() == SCAN
    assert violations(caseworker) == []
    box.check()
    arriving.get_by_role("button", name="Nhận hồ sơ và ký").click()
    received = caseworker.get_by_role("status").filter(has_text="Đã nhận hồ sơ")
    received.wait_for()
    assert received.inner_text() == f"Đã nhận hồ sơ {CODE} từ Xã Càng Long."
    held = caseworker.get_by_role("region", name=re.compile("Hồ sơ đơn vị đang giữ"))
    assert PROCEDURE_NAME in held.get_by_role("row").filter(has_text=CODE).inner_text()
    acknowledged = day.services.ledger.history("dossier", CODE)[-1].statement
    assert (acknowledged.kind, acknowledged.office, acknowledged.body["documents"]) == (
        "handover.acknowledged",
        HOME_AFFAIRS,
        [DOCUMENT],
    )
    clerk.reload()
    assert "Không có hồ sơ nào đã gửi mà bên nhận chưa nhận." in waiting.inner_text()
    clerk.context.close()
    caseworker.context.close()


def test_the_registrar_approves_a_waiting_key_with_the_button(day: Day) -> None:
    newcomer = day.signed_in("/can-bo/khoa", day.token("officer", COMMUNE, NEWCOMER))
    waiting_key = day.make_key(newcomer, NEWCOMER)
    fingerprint = " ".join(waiting_key[i : i + 4] for i in range(0, 32, 4))

    # a registrar whose browser holds no registrar key is told how to get one
    keyless = day.signed_in("/quan-tri/khoa", day.token("registrar"))
    state = keyless.locator("#registrar-state")
    state.filter(has_text="chưa có khóa ký quản trị viên").wait_for()
    how = keyless.locator("#registrar-none")
    assert how.is_visible()
    assert how.get_by_role("link").get_attribute("href") == "/can-bo/khoa"
    assert keyless.get_by_role("button", name=re.compile("Phê duyệt và ký")).count() == 0
    request = keyless.get_by_role("region", name="Công chức Tư pháp - Hộ tịch — Xã Càng Long")
    assert fingerprint in request.inner_text()
    assert "lienthong sign key.registered" in request.locator("pre").inner_text()
    assert wide(keyless) <= WIDTH  # the command wraps (it made the page 3,498 px wide)
    keyless.context.close()

    # the registrar makes a key in the browser, signed in as the officer they are; the authority
    # key's holder registers it as a registrar's
    registrar = day.signed_in("/can-bo/khoa", day.token("officer", HOME_AFFAIRS, REGISTRAR))
    registrar_key = day.make_key(registrar, REGISTRAR)
    day.register(registrar_key, role="registrar")
    registrar.context.grant_permissions(["clipboard-read", "clipboard-write"])
    registrar = day.signed_in("/quan-tri/khoa", day.token("registrar"), registrar.context)
    ready = registrar.locator("#registrar-state")
    ready.filter(has_text="Phê duyệt và ký").wait_for()
    assert " ".join(registrar_key[i : i + 4] for i in range(0, 32, 4)) in ready.inner_text()
    assert "(Quản trị hệ thống — Sở Nội vụ tỉnh Vĩnh Long)" in ready.inner_text()
    request = registrar.get_by_role("region", name="Công chức Tư pháp - Hộ tịch — Xã Càng Long")
    request.get_by_role("button", name=re.compile("Sao chép lệnh")).click()
    request.get_by_text("Đã sao chép lệnh.").wait_for()
    copied = registrar.evaluate("navigator.clipboard.readText()")
    assert copied == request.locator("pre").inner_text()
    assert violations(registrar) == []
    assert wide(registrar) <= WIDTH
    request.get_by_role("button", name=f"Phê duyệt và ký {fingerprint}").click()
    approved = registrar.get_by_role("status").filter(has_text="Đã phê duyệt")
    approved.wait_for()
    assert approved.inner_text() == (
        f"Đã phê duyệt khóa {fingerprint} của Công chức Tư pháp - Hộ tịch — Xã Càng Long."
    )
    assert "Không có khóa nào chờ phê duyệt." in registrar.locator("main").inner_text()
    (entry,) = day.services.ledger.history("key", waiting_key)
    assert (entry.statement.officer, entry.statement.office, entry.statement.key) == (
        REGISTRAR,
        HOME_AFFAIRS,
        registrar_key,
    )
    assert (entry.statement.body["officer"], entry.statement.body["role"]) == (NEWCOMER, "officer")
    # the officer's waiting page sees it approved
    newcomer.clock.run_for(15_000)
    newcomer.get_by_role("status").filter(has_text="đã được phê duyệt").wait_for()
    newcomer.context.close()
    registrar.context.close()
