"""The acts on a held dossier in a real browser (/can-bo/xu-ly/<code>), each signed with the key
the officer made in that browser: the province's officer refuses one dossier at reception,
extends another (showing the date promised now), stops a third, decides and returns a fourth,
records that the applicant withdraws a fifth, and sees each on the dossier's timeline; each
notice is named by its form as the law in force on the date of receipt gives it (domain/law.py);
a field left empty is said before anything is sent; a refusal from the server (another signature
closed the dossier after the page was loaded) is shown in Vietnamese; and the page passes the
accessibility rules and runs under the Content-Security-Policy, in both languages.

Its own small world (tests/world.py: the province decides the procedure), not the demo; the
dossiers are received at the province on 6/10/2025, under the forms of Circular 03/2025, but for
one received on 12/8/2025, whose apology is the 2018 one (a new appointment), for the
accessibility check."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from api.http.app import create_app
from api.http.services import Services
from api.http.web.words import say
from api.texts import kind_label
from domain.instant import VIETNAM, from_datetime, local_date, to_datetime
from domain.law import FormType, form_on
from ledger.clock import SimulatedClock
from tests.apiworld import settings_for
from tests.browser import chromium, live
from tests.world import World

PROVINCE, OFFICER = "84", "cb-84"
RECEIVED = datetime(2025, 10, 6, 9, 0, tzinfo=VIETNAM)
REFUSED = "000.00.84.H59-251006-0001"
EXTENDED = "000.00.84.H59-251006-0002"
STOPPED = "000.00.84.H59-251006-0003"
DECIDED = "000.00.84.H59-251006-0004"
RACED = "000.00.84.H59-251006-0005"  # closed by another signature while its page is open
WITHDRAWN = "000.00.84.H59-251006-0006"
OLD = "000.00.84.H59-250812-0001"  # received 12/8/2025: the 2018 forms
RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@dataclass
class Desk:
    url: str
    services: Services
    clock: SimulatedClock
    world: World  # its signers write through the app's ledger
    page: Any  # the province officer's browser, its key made there and approved
    refused: list[str]  # what the Content-Security-Policy refused on that page


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    directory: Path = tmp_path_factory.mktemp("browser-desk-acts")
    database = f"sqlite:///{directory / 'ledger.db'}"
    world = World.build(database)
    world.clock.set(from_datetime(datetime(2025, 8, 12, 9, 0, tzinfo=VIETNAM)))
    world.receive(OLD, PROVINCE)
    world.clock.set(from_datetime(RECEIVED))
    for code in (REFUSED, EXTENDED, STOPPED, DECIDED, RACED, WITHDRAWN):
        world.receive(code, PROVINCE)
    world.ledger.close()
    app = create_app(settings_for(database, directory), clock=world.clock)
    with chromium() as browser, live(app) as url:
        services: Services = app.state.services
        ledger = services.ledger
        world = replace(
            world,
            ledger=ledger,
            authority=replace(world.authority, ledger=ledger),
            officers={o: replace(s, ledger=ledger) for o, s in world.officers.items()},
        )
        context = browser.new_context(viewport={"width": 1366, "height": 768})
        page = context.new_page()
        refused: list[str] = []
        page.on(
            "console",
            lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
        )
        text = services.tokens.create(
            "officer", office=PROVINCE, officer=OFFICER, now=world.clock.now(), valid_seconds=86400
        )[1]
        page.goto(f"{url}/can-bo/khoa")
        page.get_by_label("Mã truy cập").fill(text)
        page.get_by_role("button", name="Đăng nhập").click()
        page.get_by_role("button", name="Tạo khóa ký trên máy này").click()
        page.get_by_role("status").filter(has_text="đang chờ").wait_for()
        (request,) = services.enrolments.all()
        world.authority.record(
            "key.registered",
            request.key_id,
            {
                "officer": OFFICER,
                "public_key": request.public_key,
                "role": "officer",
                "effective": world.clock.now(),
            },
        )
        page.reload()
        page.get_by_role("status").filter(has_text="đã được phê duyệt").wait_for()
        yield Desk(url, services, world.clock, world, page, refused)
        context.close()


def label(kind: FormType) -> str:
    return form_on(local_date(from_datetime(RECEIVED)), kind).label("vi")


def open_acts(desk: Desk, code: str) -> Any:
    """The acts page of `code`, reached from the desk's list of held dossiers."""
    desk.clock.advance(60)  # each act a minute after the last
    page = desk.page
    page.goto(f"{desk.url}/can-bo?lang=vi")
    page.get_by_role("link", name=f"Xử lý {code}").click()
    page.get_by_role("heading", level=1, name=f"Xử lý hồ sơ {code}").wait_for()
    return page


def act_form(page: Any, heading: str) -> Any:
    return page.locator("form.act").filter(
        has=page.get_by_role("heading", name=heading, exact=True)
    )


def signed(desk: Desk, what: str) -> str:
    """The confirmation the page shows after signing, which must name `what`."""
    said = desk.page.locator("#signed")
    said.wait_for()
    text: str = said.inner_text()
    assert text.startswith(f"Đã ký và ghi vào sổ cái: {what}, lúc "), text
    return text


def on_timeline(desk: Desk, code: str, *kinds: str) -> None:
    """From the page's link, the dossier's timeline lists `kinds`, in order, each signature good."""
    page = desk.page
    page.get_by_role("link", name="Xem diễn biến của hồ sơ").first.click()
    page.get_by_role("heading", level=1, name=f"Hồ sơ {code}").wait_for()
    rows = page.locator("table.steps tbody tr")
    cells = [row.locator("td").all_inner_texts() for row in rows.all()]
    assert [what for _when, what, _who, _signature in cells] == [
        kind_label(kind, "vi") for kind in kinds
    ]
    assert {signature for *_rest, signature in cells} == {say("sig_ok", "vi")}


def kinds(desk: Desk, code: str) -> list[str]:
    return [e.statement.kind for e in desk.services.ledger.history("dossier", code)]


def test_the_officer_refuses_a_dossier_at_reception(desk: Desk) -> None:
    page = open_acts(desk, REFUSED)
    form = act_form(page, label(FormType.REFUSAL))
    forms_by = "Biểu mẫu theo ngày tiếp nhận hồ sơ (06/10/2025): Nghị định 118/2025"
    assert forms_by in page.locator("main").inner_text()
    form.get_by_role("button", name="Từ chối tiếp nhận và ký").click()
    alert = form.get_by_role("alert")
    assert alert.inner_text() == "Hãy điền: Lý do từ chối tiếp nhận giải quyết."
    assert kinds(desk, REFUSED) == ["dossier.received"]  # nothing sent without a reason
    form.get_by_label("Lý do từ chối tiếp nhận giải quyết").fill("Hồ sơ không thuộc thẩm quyền")
    form.get_by_role("button", name="Từ chối tiếp nhận và ký").click()
    signed(desk, label(FormType.REFUSAL))
    assert page.locator("#state").inner_text() == "Đã kết thúc: từ chối tiếp nhận giải quyết hồ sơ"
    assert page.locator("form.act").count() == 0
    last = desk.services.ledger.history("dossier", REFUSED)[-1].statement
    (request,) = desk.services.enrolments.all()
    assert (last.kind, last.body["reason"], last.key) == (
        "dossier.refused",
        "Hồ sơ không thuộc thẩm quyền",
        request.key_id,
    )
    on_timeline(desk, REFUSED, "dossier.received", "dossier.refused")


def test_the_officer_extends_the_time_shown_with_the_date_promised_now(desk: Desk) -> None:
    page = open_acts(desk, EXTENDED)
    before = desk.services.ledger.dossier(EXTENDED).appointed
    form = act_form(page, label(FormType.APOLOGY))
    assert f"Ngày hẹn trả kết quả hiện tại: {to_datetime(before):%d/%m/%Y %H:%M}" in (
        form.inner_text()
    )
    later = before + 5 * 86_400 * 1_000_000
    form.get_by_label("Ngày hẹn trả kết quả mới").fill(f"{to_datetime(later):%Y-%m-%dT%H:%M}")
    form.get_by_label("Lý do xin lỗi và đề nghị gia hạn").fill("Cần xác minh tại địa phương")
    form.get_by_role("button", name="Đề nghị gia hạn và ký").click()
    signed(desk, label(FormType.APOLOGY))
    assert desk.services.ledger.dossier(EXTENDED).appointed == later
    assert f"{to_datetime(later):%d/%m/%Y %H:%M}" in page.locator("dl").inner_text()
    # still being handled: it may be extended again, decided or stopped
    assert act_form(page, label(FormType.APOLOGY)).count() == 1
    on_timeline(desk, EXTENDED, "dossier.received", "dossier.extension_requested")


def test_the_officer_stops_the_handling(desk: Desk) -> None:
    page = open_acts(desk, STOPPED)
    stop = label(FormType.STOP_NOTICE)
    assert stop.startswith("Mẫu số 05 — Thông báo dừng giải quyết hồ sơ")
    form = act_form(page, stop)
    form.get_by_label("Lý do dừng giải quyết").fill("Người nộp đề nghị dừng giải quyết")
    form.get_by_role("button", name="Dừng giải quyết và ký").click()
    signed(desk, stop)
    assert page.locator("#state").inner_text() == "Đã kết thúc: dừng giải quyết hồ sơ"
    on_timeline(desk, STOPPED, "dossier.received", "dossier.stopped")


def test_the_officer_decides_then_returns_the_result(desk: Desk) -> None:
    page = open_acts(desk, DECIDED)
    form = act_form(page, "Ghi kết quả giải quyết")
    form.get_by_label("Kết quả giải quyết").select_option("approved")
    form.get_by_label("Số, ký hiệu văn bản giải quyết").fill("123/QĐ-SNV")
    form.get_by_role("button", name="Ghi kết quả và ký").click()
    signed(desk, "Ghi kết quả giải quyết")
    assert page.locator("#state").inner_text() == "Đã có kết quả giải quyết: chấp thuận"
    assert [f.get_attribute("data-kind") for f in page.locator("form.act").all()] == [
        "dossier.result_returned"
    ]
    desk.clock.advance(60)
    form = act_form(page, "Trả kết quả cho người nộp")
    form.get_by_label("Hình thức trả kết quả").select_option("postal")
    form.get_by_role("button", name="Trả kết quả và ký").click()
    page.locator("#signed").filter(has_text="Trả kết quả cho người nộp").wait_for()
    assert page.locator("#state").inner_text() == "Đã kết thúc: đã trả kết quả"
    history = desk.services.ledger.history("dossier", DECIDED)
    assert [(e.statement.kind, dict(e.statement.body)) for e in history[1:]] == [
        ("dossier.decided", {"outcome": "approved", "reference": "123/QĐ-SNV", "documents": []}),
        ("dossier.result_returned", {"channel": "postal"}),
    ]
    on_timeline(desk, DECIDED, "dossier.received", "dossier.decided", "dossier.result_returned")


def test_the_officer_records_that_the_applicant_withdraws_the_dossier(desk: Desk) -> None:
    page = open_acts(desk, WITHDRAWN)
    title = "Rút hồ sơ theo đề nghị của người nộp"
    form = act_form(page, title)
    form.get_by_role("button", name="Ghi nhận rút hồ sơ và ký").click()
    alert = form.get_by_role("alert")
    assert alert.inner_text() == "Hãy điền: Lý do người nộp rút hồ sơ."
    assert kinds(desk, WITHDRAWN) == ["dossier.received"]  # nothing sent without a reason
    form.get_by_label("Lý do người nộp rút hồ sơ").fill("Người nộp đề nghị rút hồ sơ")
    form.get_by_role("button", name="Ghi nhận rút hồ sơ và ký").click()
    signed(desk, title)
    assert page.locator("#state").inner_text() == "Đã kết thúc: người nộp rút hồ sơ"
    assert page.locator("form.act").count() == 0
    last = desk.services.ledger.history("dossier", WITHDRAWN)[-1].statement
    assert (last.kind, dict(last.body)) == (
        "dossier.withdrawn",
        {"reason": "Người nộp đề nghị rút hồ sơ"},
    )
    on_timeline(desk, WITHDRAWN, "dossier.received", "dossier.withdrawn")


def test_a_refusal_from_the_server_is_shown_in_vietnamese(desk: Desk) -> None:
    page = open_acts(desk, RACED)
    form = act_form(page, label(FormType.REFUSAL))
    form.get_by_label("Lý do từ chối tiếp nhận giải quyết").fill("Hồ sơ không thuộc thẩm quyền")
    # meanwhile the same office stops it from another computer
    desk.world.at(PROVINCE).record("dossier.stopped", RACED, {"reason": "Người nộp rút đơn"})
    form.get_by_role("button", name="Từ chối tiếp nhận và ký").click()
    alert = form.get_by_role("alert")
    alert.filter(has_text="Máy chủ không ghi").wait_for()
    assert alert.inner_text().startswith("Máy chủ không ghi: Hồ sơ đã kết thúc. Chi tiết: ")
    assert alert.locator("span[lang=en]").inner_text().startswith(f"dossier {RACED} is closed")
    assert kinds(desk, RACED) == ["dossier.received", "dossier.stopped"]
    assert form.get_by_role("button", name="Từ chối tiếp nhận và ký").is_enabled()


@pytest.mark.parametrize(
    ("code", "apology"),
    [(EXTENDED, "dossier.extension_requested"), (OLD, "dossier.delay_notified")],
)
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_page_passes_the_accessibility_rules_under_the_policy(
    desk: Desk, lang: str, code: str, apology: str
) -> None:
    page = desk.page
    page.goto(f"{desk.url}/can-bo/xu-ly/{code}?lang={lang}")
    assert page.locator("form.act").count() >= 3
    assert page.locator(f'form.act[data-kind="{apology}"]').count() == 1
    results = Axe().run(page, options=RULES)
    assert [v["id"] for v in results.response["violations"]] == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    assert desk.refused == []
    page.goto(f"{desk.url}/can-bo?lang=vi")
