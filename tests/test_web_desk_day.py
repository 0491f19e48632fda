"""A day at the desk, over HTTP (no browser): the inbox shows each incoming dossier's procedure,
purpose, appointed date and working days left, its documents unticked, each opening its scan; the
desk confirms from the ledger what was signed ("Đã nhận hồ sơ … từ …", "Đã giao … cho …") and
lists what it sent that waits for its addressee, with the working time waited; the handover form
offers the departments under their province and chooses none; the registrar's page names who
asked by title and office, and its button's route prepares only the approval asked for, signed
with a registrar's key (api/http/web/officer.py)."""

from __future__ import annotations

import base64
import hashlib
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from api.http.services import Services
from api.http.web.officer import approval_command
from domain.instant import VIETNAM, from_datetime, local_date
from ledger.application import Ledger
from ledger.clock import SimulatedClock
from ledger.config import LedgerSettings
from ledger.reference.seed import seed_travinh
from ledger.statements.authoring import Signer, initialise
from ledger.statements.signing import SigningKey
from ledger.stores.enrolments import Enrolment
from tests.apiworld import settings_for
from tests.websession import SAME_SITE, csrf_meta, sign_in
from tests.world import seeded_key

COMMUNE, HOME_AFFAIRS, HEALTH, PROVINCE = "29266/2025", "86/snv", "86/syt", "86"
MERIT = "000.66.29.H59-250708-0001"  # to Home Affairs, to process
ALLOWANCE = "000.66.29.H59-250708-0002"  # to Health, waiting there
KEPT = "000.66.29.H59-250708-0003"  # held at the commune
SCAN = b"%PDF-1.7 don de nghi, scanned at the commune"
DOCUMENT = {"name": "Đơn đề nghị", "sha256": hashlib.sha256(SCAN).digest()}
NEWCOMER = "cb-29266-2025-moi"  # asks for a key from the browser; the registrar approves it
MERIT_NAME = "Ưu đãi trong giáo dục đào tạo"


def local(month: int, day: int, hour: int = 9, minute: int = 0) -> int:
    return from_datetime(datetime(2025, month, day, hour, minute, tzinfo=VIETNAM))


def officer_id(office: str) -> str:
    return f"cb-{office.replace('/', '-')}"


class Text(HTMLParser):
    """What a person reads on a page: its text, not its tags, attributes or scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "title"):
            self.hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "title"):
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def visible(page: str) -> str:
    reader = Text()
    reader.feed(page)
    return re.sub(r"\s+", " ", " ".join(reader.parts))


@dataclass
class Desk:
    services: Services
    clock: SimulatedClock
    signers: dict[str, Signer]
    pages: dict[str, TestClient]
    registrar: TestClient
    registrar_key: SigningKey

    def page(self, office: str, path: str = "/can-bo", **params: str) -> str:
        response = self.pages[office].get(path, params=params)
        assert response.status_code == 200, response.text
        return response.text


def enrol(authority: Signer, office: str, officer: str, title: str, role: str = "officer") -> Any:
    key = seeded_key(officer)
    effective = local(7, 1, 0)
    authority.record(
        "officer.enrolled", officer, {"office": office, "title": title, "effective": effective}
    )
    authority.record(
        "key.registered",
        key.key_id,
        {"officer": officer, "public_key": key.public_key, "role": role, "effective": effective},
    )
    return key


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    directory: Path = tmp_path_factory.mktemp("desk-day")
    database = f"sqlite:///{directory / 'ledger.db'}"
    clock = SimulatedClock(local(7, 1, 8))
    ledger = Ledger(LedgerSettings(database_url=database), clock=clock)
    initialise(ledger, seeded_key("authority"))
    authority = Signer.authority(ledger, seeded_key("authority"))
    seed_travinh(ledger, authority)
    keys = {
        COMMUNE: enrol(authority, COMMUNE, officer_id(COMMUNE), "Công chức Văn hóa - Xã hội"),
        HOME_AFFAIRS: enrol(authority, HOME_AFFAIRS, officer_id(HOME_AFFAIRS), "Chuyên viên"),
        HEALTH: enrol(authority, HEALTH, officer_id(HEALTH), "Chuyên viên"),
    }
    enrol(authority, COMMUNE, NEWCOMER, "Công chức Tư pháp - Hộ tịch")
    registrar_key = enrol(authority, HOME_AFFAIRS, "qt-86-snv", "Quản trị hệ thống", "registrar")
    ledger.close()
    app = create_app(settings_for(database, directory), clock=clock)
    with TestClient(app):
        services: Services = app.state.services
        signers = {
            office: Signer(services.ledger, key, officer_id(office), office)
            for office, key in keys.items()
        }
        clock.set(local(7, 8, 9))
        api = TestClient(app)
        bearer = services.tokens.create(
            "officer",
            office=COMMUNE,
            officer=officer_id(COMMUNE),
            now=clock.now(),
            valid_seconds=86400,
        )[1]
        version = services.ledger.procedure("merit-education-preference").effective_on(
            local_date(clock.now())
        )
        assert version is not None
        for code, to in ((MERIT, HOME_AFFAIRS), (ALLOWANCE, HEALTH), (KEPT, None)):
            uploaded = api.put(
                f"/v1/dossiers/{code}/files/{DOCUMENT['sha256'].hex()}",
                content=SCAN,
                headers={"Authorization": f"Bearer {bearer}"},
            )
            assert uploaded.status_code == 201, uploaded.text
            signers[COMMUNE].record(
                "dossier.received",
                code,
                {
                    "procedure": "merit-education-preference",
                    "version": version.version,
                    "applicant": hashlib.sha256(f"salt|{code}".encode()).digest(),
                    "channel": "direct",
                    "documents": [DOCUMENT],
                },
            )
            if to is not None:
                signers[COMMUNE].record(
                    "handover.dispatched",
                    code,
                    {"to": to, "purpose": "process", "documents": [DOCUMENT]},
                )
        services.enrolments.request(
            Enrolment(
                seeded_key(f"{NEWCOMER}-browser").key_id,
                NEWCOMER,
                COMMUNE,
                seeded_key(f"{NEWCOMER}-browser").public_key,
                local(7, 8, 8, 30),
            )
        )
        clock.set(local(7, 8, 11))  # two working hours after the dispatches
        registrar = TestClient(app)
        text = services.tokens.create("registrar", now=clock.now(), valid_seconds=86400)[1]
        assert sign_in(registrar, text, "/quan-tri/khoa", follow_redirects=False).status_code == 303
        pages = {}
        for office in keys:
            page = TestClient(app)
            text = services.tokens.create(
                "officer",
                office=office,
                officer=officer_id(office),
                now=clock.now(),
                valid_seconds=30 * 86400,
            )[1]
            assert sign_in(page, text, "/can-bo", follow_redirects=False).status_code == 303
            pages[office] = page
        yield Desk(services, clock, signers, pages, registrar, registrar_key)


def handover_form(page: str, code: str) -> str:
    start = page.index(f'data-code="{code}"')
    return page[start : page.index("</form>", start)]


# --- the inbox -------------------------------------------------------------------------------


def test_the_inbox_shows_procedure_purpose_appointed_date_and_days_left(desk: Desk) -> None:
    html = desk.page(HOME_AFFAIRS)
    form = handover_form(html, MERIT)
    location = desk.services.views().location(MERIT)
    assert location is not None
    text = visible(form)
    assert f"{MERIT} — từ Xã Càng Long, 08/07/2025 09:00" in text
    assert f"Thủ tục {MERIT_NAME}" in text
    assert "Mục đích Để giải quyết" in text
    appointed = datetime.fromtimestamp(location.appointed / 1e6, VIETNAM)
    assert f"{appointed:%d/%m/%Y %H:%M} — còn " in text
    assert re.search(r"— còn \d+ ngày làm việc", text)
    # in English too, by the page's language
    english = visible(handover_form(desk.page(HOME_AFFAIRS, lang="en"), MERIT))
    assert "Education preference for families of people with merit" in english
    assert "To process" in english
    assert re.search(r"\d+ working days left", english)
    desk.page(HOME_AFFAIRS, lang="vi")


def test_the_inbox_boxes_start_unticked_and_each_document_opens_its_scan(desk: Desk) -> None:
    form = handover_form(desk.page(HOME_AFFAIRS), MERIT)
    boxes = re.findall(r'<input type="checkbox"[^>]*>', form)
    assert len(boxes) == 1
    assert "checked" not in boxes[0]
    link = f'href="/can-bo/tep/{MERIT}/{DOCUMENT["sha256"].hex()}"'
    assert link in form
    opened = desk.pages[HOME_AFFAIRS].get(f"/can-bo/tep/{MERIT}/{DOCUMENT['sha256'].hex()}")
    assert opened.status_code == 200
    assert opened.content == SCAN
    assert opened.headers["content-disposition"].startswith("attachment;")
    assert "%C4%90%C6%A1n%20%C4%91%E1%BB%81%20ngh%E1%BB%8B" in opened.headers["content-disposition"]
    served = [
        a
        for a in desk.services.files.accesses(MERIT, after=0, limit=100)
        if a.office == HOME_AFFAIRS
    ]
    assert [a.outcome for a in served] == ["served"]


def test_a_scan_is_refused_to_an_office_that_never_held_the_dossier_and_a_bad_hash_named(
    desk: Desk,
) -> None:
    digest = DOCUMENT["sha256"].hex()
    refused = desk.pages[HEALTH].get(f"/can-bo/tep/{MERIT}/{digest}")
    assert refused.status_code == 403
    bad = desk.pages[HOME_AFFAIRS].get(f"/can-bo/tep/{MERIT}/{digest[:-1]}X")
    assert bad.status_code == 422
    assert "64 lowercase hex digits" in bad.text
    logged = desk.services.files.accesses(MERIT, after=0, limit=100)
    assert [a.outcome for a in logged if a.office == HEALTH] == ["refused"]


def test_refusing_is_drawn_as_the_secondary_dangerous_act(desk: Desk) -> None:
    form = handover_form(desk.page(HOME_AFFAIRS), MERIT)
    assert re.search(r'<button type="submit" value="acknowledge"(?![^>]*class)', form)
    assert re.search(r'<button type="submit" value="reject" class="danger"', form)
    css = desk.pages[HOME_AFFAIRS].get("/static/site.css").text
    assert re.search(r"button\.danger \{[^}]*color: #b00020[^}]*background: #fff", css)


def test_no_internal_id_is_shown_on_the_desk(desk: Desk) -> None:
    for office in (HOME_AFFAIRS, COMMUNE):
        text = visible(desk.page(office))
        for internal in (
            COMMUNE,
            HOME_AFFAIRS,
            HEALTH,
            officer_id(office),
            "merit-education-preference",
        ):
            assert internal not in text, (office, internal)


# --- the desk's confirmations and what waits -------------------------------------------------


def test_the_desk_confirms_an_acknowledgement_from_the_ledger(desk: Desk) -> None:
    desk.page(HOME_AFFAIRS)
    assert "Đã nhận hồ sơ" not in visible(desk.page(HOME_AFFAIRS, **{"da-nhan": MERIT}))
    dispatch = desk.services.views().legs(MERIT)[-1].dispatch
    desk.signers[HOME_AFFAIRS].record(
        "handover.acknowledged", MERIT, {"dispatch": dispatch, "documents": [DOCUMENT]}
    )
    text = visible(desk.page(HOME_AFFAIRS, **{"da-nhan": MERIT}))
    assert f"Đã nhận hồ sơ {MERIT} từ Xã Càng Long." in text
    # the dossier is now among those held, by its procedure's name, with its days left
    held = text[text.index("Hồ sơ đơn vị đang giữ") :]
    assert MERIT in held
    assert MERIT_NAME in held
    assert re.search(r"còn \d+ ngày làm việc", held)
    # another office asking about it is told nothing
    assert "Đã nhận hồ sơ" not in visible(desk.page(HEALTH, **{"da-nhan": MERIT}))


def test_the_desk_lists_what_it_sent_that_waits_and_for_how_long(desk: Desk) -> None:
    text = visible(desk.page(COMMUNE))
    waiting = text[text.index("Đã gửi, chờ bên nhận") :]
    assert waiting.startswith("Đã gửi, chờ bên nhận (")
    assert f"{ALLOWANCE} {MERIT_NAME} Sở Y tế tỉnh Vĩnh Long 08/07/2025 09:00 2 giờ làm việc" in (
        waiting
    )
    assert KEPT not in waiting
    confirmed = visible(desk.page(COMMUNE, **{"da-giao": ALLOWANCE}))
    assert f"Đã giao hồ sơ {ALLOWANCE} cho Sở Y tế tỉnh Vĩnh Long." in confirmed
    assert "Đã giao hồ sơ" not in visible(desk.page(COMMUNE, **{"da-giao": KEPT}))
    assert "Handed over" not in visible(desk.page(COMMUNE, **{"da-giao": "HS 1"}))
    english = visible(desk.page(COMMUNE, lang="en", **{"da-giao": ALLOWANCE}))
    assert "Sent, waiting for the addressee" in english
    assert "2 working hours" in english
    assert f"Dossier {ALLOWANCE} handed over to Sở Y tế tỉnh Vĩnh Long." in english
    desk.page(COMMUNE, lang="vi")


def test_the_desk_confirms_a_refusal_and_the_dossier_no_longer_waits(desk: Desk) -> None:
    dispatch = desk.services.views().legs(ALLOWANCE)[-1].dispatch
    desk.signers[HEALTH].record(
        "handover.rejected", ALLOWANCE, {"dispatch": dispatch, "reason": "Không thuộc thẩm quyền"}
    )
    text = visible(desk.page(HEALTH, **{"da-tu-choi": ALLOWANCE}))
    assert f"Đã từ chối nhận hồ sơ {ALLOWANCE}; hồ sơ trở lại Xã Càng Long." in text
    commune = visible(desk.page(COMMUNE))
    waiting = commune[commune.index("Đã gửi, chờ bên nhận") :]
    assert waiting.startswith("Đã gửi, chờ bên nhận (0) Không có hồ sơ nào đã gửi")
    assert ALLOWANCE in commune[: commune.index("Đã gửi, chờ bên nhận")]  # held again


# --- the handover form -----------------------------------------------------------------------


def test_the_handover_names_departments_under_their_province_and_chooses_none(desk: Desk) -> None:
    form = desk.page(COMMUNE, f"/can-bo/giao/{KEPT}")
    select = form[form.index('<select id="to"') : form.index("</select>")]
    options = re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', select)
    assert options[0] == ("", " selected", "— Chọn cơ quan nhận —")
    assert [selected for _value, selected, _name in options[1:]] == [""] * (len(options) - 1)
    groups = re.findall(r'<optgroup label="([^"]*)">(.*?)</optgroup>', select, re.S)
    labels = [label for label, _ in groups]
    assert labels[0] == "Tỉnh Vĩnh Long"
    options_of = re.findall(r'value="([^"]+)">([^<]*)<', groups[0][1])
    province = dict(options_of)
    assert province[PROVINCE] == "Tỉnh Vĩnh Long"
    assert province[HOME_AFFAIRS] == "Sở Nội vụ"
    assert province[HEALTH] == "Sở Y tế"
    assert "Tỉnh Vĩnh Long — Cấp xã" in labels
    assert f'value="{COMMUNE}"' not in select  # not to itself
    assert "Huyện Càng Long" not in select  # dissolved on 1/7/2025
    assert f"Thủ tục {MERIT_NAME}" in visible(form)
    assert 'data-needed="Hãy chọn cơ quan nhận hồ sơ: chưa ký gì."' in form
    assert "novalidate" in form[form.index('<form id="dispatch"') :][:200]


# --- the registrar ---------------------------------------------------------------------------


def waiting_key() -> SigningKey:
    return seeded_key(f"{NEWCOMER}-browser")


def test_the_registrar_reads_who_asked_by_title_and_office_with_the_fingerprint(
    desk: Desk,
) -> None:
    response = desk.registrar.get("/quan-tri/khoa")
    assert response.status_code == 200
    text = visible(response.text)
    key = waiting_key()
    fingerprint = " ".join(key.key_id[i : i + 4] for i in range(0, 32, 4))
    assert "Công chức Tư pháp - Hộ tịch — Xã Càng Long Yêu cầu lúc 08/07/2025 08:30" in text
    assert f"Dấu vân tay của khóa {fingerprint}" in text
    assert "Phê duyệt và ký" in text
    # the command is the one that works (tests/test_web_enrolment_command.py runs it): printed
    # whole, on lines of their own
    enrolment = next(e for e in desk.services.enrolments.all() if e.key_id == key.key_id)
    (printed,) = re.findall(r'<code id="command-1">(.*?)</code>', response.text, re.S)
    assert html.unescape(printed) == approval_command(enrolment, "http://testserver")
    assert '"effective": "2025-07-08T08:30:00+07:00"' in html.unescape(printed)
    assert "NOW" not in printed
    assert len(printed.splitlines()) == 4
    # the officer's id stands in the command and the button's data only, not in what is read
    outside = re.sub(r"<pre.*?</pre>", "", response.text, flags=re.S)
    assert NEWCOMER not in visible(outside)


def test_the_registrar_is_told_which_key_of_the_browser_can_approve(desk: Desk) -> None:
    registrar = desk.registrar.get(f"/quan-tri/khoa/ky/{desk.registrar_key.key_id}")
    assert registrar.json() == {
        "key_id": desk.registrar_key.key_id,
        "usable": True,
        "officer": "qt-86-snv",
        "office": HOME_AFFAIRS,
        "who": "Quản trị hệ thống — Sở Nội vụ tỉnh Vĩnh Long",
    }
    officer = desk.signers[COMMUNE].key.key_id
    assert desk.registrar.get(f"/quan-tri/khoa/ky/{officer}").json() == {
        "key_id": officer,
        "usable": False,
    }
    assert desk.registrar.get("/quan-tri/khoa/ky/not-a-key").status_code == 422
    assert desk.pages[COMMUNE].get(f"/quan-tri/khoa/ky/{officer}").status_code == 403


def prepare(desk: Desk, key: str, body: dict[str, Any], subject: str | None = None) -> Any:
    page = desk.registrar.get("/quan-tri/khoa").text
    intent = {
        "kind": "key.registered",
        "subject": subject or waiting_key().key_id,
        "key": key,
        "body": body,
    }
    headers = {**SAME_SITE, "X-CSRF-Token": csrf_meta(page)}
    return desk.registrar.post("/quan-tri/ky/chuan-bi", json=intent, headers=headers), headers


def asked() -> dict[str, Any]:
    return {
        "officer": NEWCOMER,
        "public_key": {"bin": waiting_key().public_key.hex()},
        "role": "officer",
        "effective": local(7, 8, 8, 30),
    }


def test_the_approval_prepared_is_only_the_one_asked_for_and_only_with_a_registrar_key(
    desk: Desk,
) -> None:
    officer_key = desk.signers[COMMUNE].key.key_id
    refused, _ = prepare(desk, officer_key, asked())
    assert refused.status_code == 403
    assert "not a registrar's key" in refused.json()["detail"]
    registrar = desk.registrar_key.key_id
    for wrong in ({**asked(), "role": "registrar"}, {**asked(), "officer": officer_id(COMMUNE)}):
        bad, _ = prepare(desk, registrar, wrong)
        assert bad.status_code == 422, bad.text
        assert "as the officer asked" in bad.json()["detail"]
    unknown, _ = prepare(desk, registrar, asked(), subject=desk.signers[COMMUNE].key.key_id)
    assert unknown.status_code == 404


def test_the_registrar_approves_with_the_key_of_the_browser_and_the_page_confirms(
    desk: Desk,
) -> None:
    prepared, headers = prepare(desk, desk.registrar_key.key_id, asked())
    assert prepared.status_code == 200, prepared.text
    raw = base64.b64decode(prepared.json()["statement"])
    envelope = {
        "statement": prepared.json()["statement"],
        "signature": base64.b64encode(desk.registrar_key.sign(raw)).decode(),
    }
    sent = desk.registrar.post("/can-bo/ky/gui", json=envelope, headers=headers)
    assert sent.status_code == 200, sent.text
    key = desk.services.ledger.key(waiting_key().key_id)
    assert (key.officer, key.role, key.effective) == (NEWCOMER, "officer", local(7, 8, 8, 30))
    (entry,) = desk.services.ledger.history("key", waiting_key().key_id)
    assert (entry.statement.officer, entry.statement.office) == ("qt-86-snv", HOME_AFFAIRS)
    after = desk.registrar.get("/quan-tri/khoa", params={"da-duyet": waiting_key().key_id})
    text = visible(after.text)
    fingerprint = " ".join(waiting_key().key_id[i : i + 4] for i in range(0, 32, 4))
    assert (
        f"Đã phê duyệt khóa {fingerprint} của Công chức Tư pháp - Hộ tịch — Xã Càng Long." in text
    )
    assert "Không có khóa nào chờ phê duyệt." in text
