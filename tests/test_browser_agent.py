"""An officer whose key is an official-duty certificate on a token signs from the web pages through
the signing agent on their computer (`lienthong agent`), in a real Chromium with the key in a real
SoftHSM2 token: the commune's clerk, enrolled with a certificate the test CA issued for the token's
key, sets the agent's address on the key page, receives a dossier and hands it over — each time the
agent shows what is signed and the test answers at its console; an answer "n" signs nothing and
the page says so. The province's Department of Home Affairs acknowledges with a key made in its
own browser (Ed25519), and `lienthong verify` passes over the whole log with the trust anchors.

Its own small world, as tests/test_browser_desk_day.py's: the Trà Vinh registry seeded, on Tuesday
8/7/2025, a week after the reform."""

from __future__ import annotations

import hashlib
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api.cli.main import app as cli
from api.http.app import create_app
from api.http.services import Services
from domain.instant import VIETNAM, from_datetime, local_date
from ledger.application import Ledger
from ledger.clock import SimulatedClock
from ledger.config import LedgerSettings
from ledger.log.bundle import Bundle
from ledger.reference.seed import seed_travinh
from ledger.simulation.demo import demo_log_key
from ledger.statements.authoring import Signer, initialise, register_certificate_key
from ledger.statements.signing import key_id, verify
from tests.agent_process import LIENTHONG, Agent, pem
from tests.apiworld import settings_for
from tests.browser import PAGE_TIME, chromium, live, made_code
from tests.pki import Hierarchy
from tests.pki_token import chain_for, issue_for_public_key
from tests.softhsm import SoftHSM
from tests.world import seeded_key

COMMUNE, HOME_AFFAIRS = "29266/2025", "86/snv"
CLERK, CASEWORKER = "cb-29266-2025", "cv-86-snv"
TOKEN = "chung-thu-cong-vu"  # noqa: S105 (a token label, not a secret)
KEY_LABEL = "ky-cong-vu"
PROCEDURE = "merit-education-preference"
SCAN = b"%PDF-1.7 don de nghi, quet tai bo phan mot cua"
WIDTH = 1366


def local(hour: int, minute: int = 0, day: int = 8) -> int:
    return from_datetime(datetime(2025, 7, day, hour, minute, tzinfo=VIETNAM))


@dataclass
class World:
    url: str
    services: Services
    clock: SimulatedClock
    authority: Signer
    browser: Any
    agent: Agent
    spki: bytes  # the token key's DER SubjectPublicKeyInfo
    database: str
    anchors: Path

    def token(self, role: str, office: str | None = None, officer: str | None = None) -> str:
        return self.services.tokens.create(
            role, office=office, officer=officer, now=self.clock.now(), valid_seconds=86400
        )[1]

    def signed_in(self, path: str, text: str) -> Any:
        page = self.browser.new_context(viewport={"width": WIDTH, "height": 768}).new_page()
        page.clock.install(time=PAGE_TIME)
        page.clock.pause_at(PAGE_TIME + 1)  # the pages' timers run when the test says
        page.goto(f"{self.url}/dang-nhap?back={path}")
        page.locator("#token").fill(text)
        page.locator("form button[type=submit]").click()
        page.wait_for_url(f"{self.url}{path}")
        return page

    def asked(self) -> str:
        """What the agent showed before asking "Ký? / Sign? [y/N]"."""
        self.agent.until(lambda line: "Yêu cầu ký / Signature request" in line)
        self.agent.until(lambda line: line.endswith("[y/N]"))
        return "\n".join(self.agent.seen)

    def kinds(self, code: str) -> list[str]:
        return [entry.statement.kind for entry in self.services.ledger.history("dossier", code)]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    directory: Path = tmp_path_factory.mktemp("browser-agent")
    hsm = SoftHSM.create(directory / "hsm")
    token = hsm.token(TOKEN)
    spki = token.generate_ec(KEY_LABEL)  # made inside the token; it never leaves it
    hierarchy = Hierarchy.build()
    anchors = hierarchy.anchors(directory / "anchors")
    database = f"sqlite:///{directory / 'ledger.db'}"
    clock = SimulatedClock(local(8, 0, day=1))
    ledger = Ledger(LedgerSettings(database_url=database, trust_anchors=str(anchors)), clock=clock)
    initialise(ledger, seeded_key("authority"))
    authority = Signer.authority(ledger, seeded_key("authority"))
    seed_travinh(ledger, authority)
    for officer, office, title in (
        (CLERK, COMMUNE, "Công chức Văn hóa - Xã hội"),
        (CASEWORKER, HOME_AFFAIRS, "Chuyên viên Phòng Người có công"),
    ):
        authority.record(
            "officer.enrolled",
            officer,
            {"office": office, "title": title, "effective": local(0, day=1)},
        )
    # the certificate names the office as it is called that day; the CA saw the public key only
    commune = ledger.office(COMMUNE).name_on(local_date(clock.now()))
    issued = issue_for_public_key(hierarchy, CLERK, office=commune, spki=spki)
    chain = chain_for(hierarchy, issued)
    register_certificate_key(authority, CLERK, chain, effective=local(0, day=1))
    ledger.close()
    clock.set(local(9))
    settings = settings_for(database, directory)
    settings = replace(settings, ledger=replace(settings.ledger, trust_anchors=str(anchors)))
    server = create_app(settings, clock=clock)
    with chromium() as browser, live(server) as url:
        services: Services = server.state.services
        services.projector.catch_up()
        files = []
        for number, der in enumerate(chain):
            path = directory / f"chain-{number}.pem"
            path.write_text(pem(der), encoding="ascii")
            files += ["--chain", str(path)]
        on_token = ["--pkcs11", hsm.module, "--token-label", TOKEN, "--key-label", KEY_LABEL]
        process = subprocess.Popen(
            [*LIENTHONG, "agent", *on_token, "--allow-origin", url, "--port", "0", *files],
            env={**hsm.environment(), "LIENTHONG_TOKEN_PIN": token.pin},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            agent = Agent(process)  # once it says it listens
            yield World(
                url,
                services,
                clock,
                Signer.authority(services.ledger, seeded_key("authority")),
                browser,
                agent,
                spki,
                database,
                anchors,
            )
        finally:
            process.terminate()
            process.wait(timeout=60)


def test_a_certificate_officer_receives_and_hands_over_through_the_agent(world: World) -> None:
    clerk = world.signed_in("/can-bo/khoa", world.token("officer", COMMUNE, CLERK))
    # this browser is told where the agent of this computer listens (it is not the default port)
    clerk.get_by_label("Địa chỉ phần mềm ký").fill("http://evil.example:8787")
    clerk.get_by_role("button", name="Lưu địa chỉ").click()
    state = clerk.locator("#agent-state")
    state.filter(has_text="http://127.0.0.1:cổng").wait_for()
    clerk.get_by_label("Địa chỉ phần mềm ký").fill(world.agent.url)
    clerk.get_by_role("button", name="Lưu địa chỉ").click()
    fingerprint = " ".join(key_id(world.spki)[i : i + 4] for i in range(0, 32, 4))
    state.filter(has_text="đã được phê duyệt").wait_for()
    assert state.inner_text() == (
        "Bạn ký bằng chứng thư số công vụ trên thiết bị ký (token), qua phần mềm ký trên máy này "
        f"({world.agent.url}): khóa {fingerprint} đã được phê duyệt."
    )
    clerk.goto(f"{world.url}/can-bo")  # the desk says how this officer signs, not "no key here"
    clerk.locator("#key-state").filter(has_text=fingerprint).wait_for()
    assert "chứng thư số công vụ" in clerk.locator("#key-state").inner_text()

    # receive a dossier: the agent shows it, Vietnamese first, and signs on "y"
    clerk.goto(f"{world.url}/can-bo/tiep-nhan")
    code = made_code(clerk)
    clerk.get_by_label("Thủ tục").select_option(value=PROCEDURE)
    clerk.get_by_label("Họ và tên").fill("Phạm Văn E")
    clerk.get_by_label("Tệp quét của giấy tờ").first.set_input_files(
        files=[{"name": "don.pdf", "mimeType": "application/pdf", "buffer": SCAN}]
    )
    clerk.get_by_role("button", name="Tiếp nhận và ký").click()
    shown = world.asked()
    assert "Loại / Kind: Tiếp nhận hồ sơ / Dossier received (dossier.received)" in shown
    assert f"Hồ sơ / đối tượng / Dossier / subject: {code}" in shown
    assert f"Cơ quan / Office: {COMMUNE}" in shown
    assert f"Cán bộ / Officer: {CLERK}" in shown
    assert f"Từ trang / From page: {world.url}" in shown
    assert f"SHA-256 {hashlib.sha256(SCAN).hexdigest()[:16]}" in shown
    assert world.kinds(code) == []  # nothing is recorded before the officer answers
    world.agent.answer("y")
    clerk.wait_for_url(f"{world.url}/can-bo/bien-nhan/{code}?moi=1")
    (received,) = world.services.ledger.history("dossier", code)
    assert received.statement.key == key_id(world.spki)
    verify(world.spki, received.raw, received.signature)

    # hand it over: "n" at the agent signs nothing, and the page says so; then "y"
    clerk.goto(f"{world.url}/can-bo/giao/{code}")
    clerk.get_by_label("Giao cho cơ quan").select_option(label="Sở Nội vụ")
    form = clerk.locator("form#dispatch")
    form.get_by_role("button", name="Giao hồ sơ và ký").click()
    shown = world.asked()
    assert "Loại / Kind: Giao hồ sơ" in shown
    assert f"Giao cho cơ quan / To office: {HOME_AFFAIRS}" in shown
    world.agent.answer("n")
    said = form.get_by_role("alert")
    said.filter(has_text="không đồng ý").wait_for()
    assert said.inner_text() == "Bạn đã không đồng ý ký tại phần mềm ký: chưa ký gì."
    assert world.kinds(code) == ["dossier.received"]
    form.get_by_role("button", name="Giao hồ sơ và ký").click()
    world.asked()
    world.agent.answer("y")
    done = clerk.get_by_role("status").filter(has_text="Đã giao")
    done.wait_for()
    assert done.inner_text() == f"Đã giao hồ sơ {code} cho Sở Nội vụ tỉnh Vĩnh Long."
    dispatched = world.services.ledger.history("dossier", code)[-1]
    assert (dispatched.statement.kind, dispatched.statement.key) == (
        "handover.dispatched",
        key_id(world.spki),
    )
    clerk.context.close()

    # the department acknowledges with a key made in its own browser
    caseworker = world.signed_in("/can-bo/khoa", world.token("officer", HOME_AFFAIRS, CASEWORKER))
    caseworker.get_by_role("button", name="Tạo khóa ký trên máy này").click()
    caseworker.get_by_role("status").filter(has_text="đang chờ").wait_for()
    (request,) = [e for e in world.services.enrolments.all() if e.officer == CASEWORKER]
    world.authority.record(
        "key.registered",
        request.key_id,
        {
            "officer": CASEWORKER,
            "public_key": request.public_key,
            "role": "officer",
            "effective": world.clock.now(),
        },
    )
    caseworker.clock.run_for(15_000)  # the waiting page asks again, and sees the approval
    caseworker.get_by_role("status").filter(has_text="đã được phê duyệt").wait_for()
    caseworker.goto(f"{world.url}/can-bo")
    arriving = caseworker.locator("form.handover").filter(has_text=code)
    arriving.get_by_label("Đơn đề nghị").check()
    arriving.get_by_role("button", name="Nhận hồ sơ và ký").click()
    caseworker.get_by_role("status").filter(has_text="Đã nhận hồ sơ").wait_for()
    acknowledged = world.services.ledger.history("dossier", code)[-1].statement
    assert (acknowledged.kind, acknowledged.office, acknowledged.key) == (
        "handover.acknowledged",
        HOME_AFFAIRS,
        request.key_id,
    )
    assert len(world.services.ledger.key(request.key_id).public_key) == 32  # Ed25519
    caseworker.context.close()

    # the whole log verifies: signatures of both kinds, the chain at each statement's time
    trusted = ["--anchors", str(world.anchors), "--log-key", demo_log_key().verifier.line()]
    result = CliRunner().invoke(
        cli,
        ["--database-url", world.database, "--lang", "en", "verify", "--workers", "1", *trusted],
    )
    assert result.exit_code == 0, result.output
    assert re.search(r"every signature.*verifies", result.output), result.output

    # the dossier's verification page (its QR code's address) says which CA issued the
    # certificates that signed, never whose they are
    checking = world.browser.new_page()
    checking.goto(f"{world.url}/xac-minh/{code}")
    said = checking.locator("main").inner_text()
    assert "✔" in said
    assert "2 bước được ký bằng chứng thư số công vụ do Cục Chứng thực số và BMTT (Test) cấp" in said
    assert "thử nghiệm" not in said  # the holder's name (CN) stays off the public page
    # and off the bundle anyone may download there: the officer's certificate is withheld
    public = checking.request.get(f"{world.url}/xac-minh/tai/{code}").body()
    assert "Cán bộ thử nghiệm".encode() not in public
    downloaded = Bundle.decode(public)
    assert len(downloaded.withheld) == 1
    assert downloaded.pki == ()
    checking.close()
