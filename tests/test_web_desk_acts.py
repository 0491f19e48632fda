"""The officer's page for a dossier the office holds (/can-bo/xu-ly/<code>, api/http/web/acts.py),
over HTTP without a browser: it offers exactly the acts the dossier's state allows that office —
the same as the ledger accepts, checked act by act against the ledger itself — each notice named by
its form as the law in force on the dossier's date of receipt gives it; it refuses, in words, a
dossier the office does not hold; and an act goes through the page's signing endpoints only with
the page's CSRF token.

Built on the small test world (tests/world.py: a commune, its district, the province; the
procedure is decided at the province), not on the demo."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.http.app import create_app
from api.http.services import Services
from api.http.web.acts import ACTS, allowed_acts
from domain.errors import DomainError
from domain.instant import VIETNAM, from_datetime, local_date
from domain.law import FormType, form_on
from tests.apiworld import settings_for
from tests.websession import SAME_SITE, csrf_meta, sign_in
from tests.world import DAY, PROCEDURE, START, World

COMMUNE, DISTRICT, PROVINCE = "29266", "844", "84"
OLD = "000.00.01.H59-250812-0001"  # received 12/8/2025: the forms of Circular 01/2018
FRESH = "000.00.01.H59-251006-0001"  # received 6/10/2025, never handed over: Circular 03/2025
TAKEN = "000.00.01.H59-251006-0002"  # taken in by the district
AT_PROVINCE = "000.00.01.H59-251006-0003"  # at the province, which may decide it
SUSPENDED = "000.00.01.H59-251006-0004"  # at the province, a supplement awaited
DECIDED = "000.00.01.H59-251006-0005"  # decided at the province
CLOSED = "000.00.01.H59-251006-0006"  # decided and its result returned
IN_TRANSIT = "000.00.01.H59-251006-0007"  # on its way from the commune to the district
SIGNED = "000.00.01.H59-251006-0008"  # stopped through the page's signing endpoints
AUGUST = datetime(2025, 8, 12, 9, 0, tzinfo=VIETNAM)
OCTOBER = datetime(2025, 10, 6, 9, 0, tzinfo=VIETNAM)

REQUEST, SUPPLIED, EXTEND = (
    "dossier.supplement_requested",
    "dossier.supplement_received",
    "dossier.extension_requested",
)
DECIDE, RETURN, REFUSE, STOP = (
    "dossier.decided",
    "dossier.result_returned",
    "dossier.refused",
    "dossier.stopped",
)
DATA_KIND = re.compile(r'<form class="handover act"[^>]*data-kind="([a-z_.]+)"')


def bodies(appointed: int) -> dict[str, dict[str, object]]:
    """A body each act of the page accepts, on a dossier promised for `appointed`."""
    return {
        REQUEST: {"reason": "Thiếu bản sao giấy khai sinh", "missing": ["Giấy khai sinh"]},
        SUPPLIED: {"documents": []},
        EXTEND: {"reason": "Cần xác minh tại địa phương", "appointed": appointed + 5 * DAY},
        DECIDE: {"outcome": "approved", "reference": "123/QĐ-UBND", "documents": []},
        RETURN: {"channel": "direct"},
        REFUSE: {"reason": "Hồ sơ không thuộc thẩm quyền"},
        STOP: {"reason": "Người nộp đề nghị dừng giải quyết"},
    }


def taken_in(world: World, code: str, *path: str) -> None:
    """`code` received at the commune, then handed along `path` (each acknowledged)."""
    world.receive(code, COMMUNE)
    holder = COMMUNE
    for office in path:
        world.hand_over(holder, office, code)
        holder = office


def act(world: World, office: str, kind: str, code: str) -> None:
    world.later(0.25)
    world.at(office).record(kind, code, bodies(world.ledger.dossier(code).appointed)[kind])


# --- the page's acts are the ledger's ------------------------------------------------------------

REFORM = local_date(START) + timedelta(days=5)  # after every dossier below is made


def reformed(world: World, code: str) -> None:
    """`code` received at the commune under version 1 (decided at the province); version 2, in
    force from REFORM, lets the commune decide alone (as the reform of 1/7/2025 did)."""
    taken_in(world, code)
    if len(world.ledger.procedure(PROCEDURE).versions) == 1:
        world.authority.record(
            "procedure.published",
            PROCEDURE,
            {
                "version": 2,
                "name_vi": "Ưu đãi trong giáo dục đào tạo",
                "name_en": "Education preference for families of people with merit",
                "route": [{"level": "commune", "days": 10, "day_type": "working"}],
                "decides": ["commune"],
                "legal_basis": "the test's own reform",
                "effective": REFORM.isoformat(),
            },
        )


# (state, the office that acts, how to make a dossier in that state); the acts are tried once
# version 2 is in force

STATES: list[tuple[str, str, Callable[[World, str], None]]] = [
    ("received, at its receiving office", COMMUNE, lambda w, c: taken_in(w, c)),
    ("received, another office tries", DISTRICT, lambda w, c: taken_in(w, c)),
    (
        "suspended at its receiving office",
        COMMUNE,
        lambda w, c: (taken_in(w, c), act(w, COMMUNE, REQUEST, c)),
    ),
    ("taken in by the district", DISTRICT, lambda w, c: taken_in(w, c, DISTRICT)),
    (
        "back at the commune after a handover",
        COMMUNE,
        lambda w, c: taken_in(w, c, DISTRICT, COMMUNE),
    ),
    (
        "a handover refused by the district",
        COMMUNE,
        lambda w, c: (
            taken_in(w, c),
            w.at(DISTRICT).record(
                "handover.rejected",
                c,
                {
                    "dispatch": w.dispatch(COMMUNE, DISTRICT, c).digest,
                    "reason": "Không đúng thẩm quyền",
                },
            ),
        ),
    ),
    (
        "in transit, its sender tries",
        COMMUNE,
        lambda w, c: (taken_in(w, c), w.dispatch(COMMUNE, DISTRICT, c)),
    ),
    ("at the province, which decides", PROVINCE, lambda w, c: taken_in(w, c, DISTRICT, PROVINCE)),
    (
        "suspended at the province",
        PROVINCE,
        lambda w, c: (taken_in(w, c, DISTRICT, PROVINCE), act(w, PROVINCE, REQUEST, c)),
    ),
    (
        "supplied at the province",
        PROVINCE,
        lambda w, c: (
            taken_in(w, c, DISTRICT, PROVINCE),
            act(w, PROVINCE, REQUEST, c),
            act(w, PROVINCE, SUPPLIED, c),
        ),
    ),
    (
        "extended at the province",
        PROVINCE,
        lambda w, c: (taken_in(w, c, DISTRICT, PROVINCE), act(w, PROVINCE, EXTEND, c)),
    ),
    (
        "decided at the province",
        PROVINCE,
        lambda w, c: (taken_in(w, c, DISTRICT, PROVINCE), act(w, PROVINCE, DECIDE, c)),
    ),
    (
        "decided, back at the commune",
        COMMUNE,
        lambda w, c: (
            taken_in(w, c, DISTRICT, PROVINCE),
            act(w, PROVINCE, DECIDE, c),
            w.hand_over(PROVINCE, COMMUNE, c),
        ),
    ),
    (
        "closed: result returned",
        PROVINCE,
        lambda w, c: (
            taken_in(w, c, DISTRICT, PROVINCE),
            act(w, PROVINCE, DECIDE, c),
            act(w, PROVINCE, RETURN, c),
        ),
    ),
    ("closed: stopped", COMMUNE, lambda w, c: (taken_in(w, c), act(w, COMMUNE, STOP, c))),
    ("at the commune, which a later version lets decide", COMMUNE, reformed),
    (
        "at the district, which no version lets decide",
        DISTRICT,
        lambda w, c: (reformed(w, c), w.hand_over(COMMUNE, DISTRICT, c)),
    ),
    (
        "at the province, which the dossier's own version lets decide",
        PROVINCE,
        lambda w, c: (
            reformed(w, c),
            w.hand_over(COMMUNE, DISTRICT, c),
            w.hand_over(DISTRICT, PROVINCE, c),
        ),
    ),
]


@pytest.mark.parametrize(("state", "office", "make"), STATES, ids=[s[0] for s in STATES])
def test_the_acts_offered_are_exactly_those_the_ledger_accepts(
    state: str, office: str, make: Callable[[World, str], None]
) -> None:
    """For each state, one dossier per act: offered if and only if the ledger records it."""
    world = World.build()
    offered, accepted = set(), set()
    codes = {kind: f"000.00.01.H59-250303-{number:04d}" for number, kind in enumerate(ACTS, 1)}
    for code in codes.values():
        make(world, code)
    world.clock.set(from_datetime(datetime.combine(REFORM, time(9), VIETNAM)))
    for kind, code in codes.items():
        dossier = world.ledger.dossier(code)
        if kind in allowed_acts(world.ledger, dossier, office, world.clock.now()):
            offered.add(kind)
        try:
            world.at(office).record(kind, code, bodies(dossier.appointed)[kind])
        except DomainError:
            continue
        accepted.add(kind)
    assert offered == accepted, state
    world.ledger.close()


def test_the_states_above_between_them_offer_every_act_and_refuse_every_act() -> None:
    """The table is no tautology: each act is offered in some state and withheld in another."""
    world = World.build()
    seen: dict[str, set[bool]] = {kind: set() for kind in ACTS}
    for number, (_state, _office, make) in enumerate(STATES, 1):
        code = f"000.00.01.H59-250303-{number:04d}"
        make(world, code)
    world.clock.set(from_datetime(datetime.combine(REFORM, time(9), VIETNAM)))
    for number, (_state, office, _make) in enumerate(STATES, 1):
        code = f"000.00.01.H59-250303-{number:04d}"
        offered = allowed_acts(world.ledger, world.ledger.dossier(code), office, world.clock.now())
        for kind in ACTS:
            seen[kind].add(kind in offered)
    assert seen == {kind: {True, False} for kind in ACTS}
    world.ledger.close()


# --- the page over HTTP --------------------------------------------------------------------------


@dataclass
class Desk:
    app: FastAPI
    services: Services
    world: World
    pages: dict[str, TestClient]  # office -> a browser signed in as its officer

    def page(self, office: str, code: str, **params: str) -> tuple[int, str]:
        """The page as `office`'s officer sees it, in Vietnamese unless `lang` says otherwise."""
        params = {"lang": "vi", **params}
        response = self.pages[office].get(f"/can-bo/xu-ly/{code}", params=params)
        return response.status_code, response.text


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    directory: Path = tmp_path_factory.mktemp("desk-acts")
    database = f"sqlite:///{directory / 'ledger.db'}"
    world = World.build(database)
    clock = world.clock
    clock.set(from_datetime(AUGUST))
    world.receive(OLD, COMMUNE)
    clock.set(from_datetime(OCTOBER))
    taken_in(world, FRESH)
    taken_in(world, TAKEN, DISTRICT)
    taken_in(world, AT_PROVINCE, DISTRICT, PROVINCE)
    taken_in(world, SUSPENDED, DISTRICT, PROVINCE)
    act(world, PROVINCE, REQUEST, SUSPENDED)
    taken_in(world, DECIDED, DISTRICT, PROVINCE)
    act(world, PROVINCE, DECIDE, DECIDED)
    taken_in(world, CLOSED, DISTRICT, PROVINCE)
    act(world, PROVINCE, DECIDE, CLOSED)
    act(world, PROVINCE, RETURN, CLOSED)
    taken_in(world, IN_TRANSIT)
    world.dispatch(COMMUNE, DISTRICT, IN_TRANSIT)
    taken_in(world, SIGNED)
    world.ledger.close()
    app = create_app(settings_for(database, directory), clock=clock)
    with TestClient(app):  # the app started: its services, its writer
        services: Services = app.state.services
        pages = {}
        for office in (COMMUNE, DISTRICT, PROVINCE):
            page = TestClient(app)
            text = services.tokens.create(
                "officer",
                office=office,
                officer=f"cb-{office}",
                now=clock.now(),
                valid_seconds=86400,
            )[1]
            assert sign_in(page, text, "/can-bo", follow_redirects=False).status_code == 303
            pages[office] = page
        rebound = replace(
            world,
            ledger=services.ledger,
            authority=replace(world.authority, ledger=services.ledger),
            officers={o: replace(s, ledger=services.ledger) for o, s in world.officers.items()},
        )
        yield Desk(app, services, rebound, pages)


def offered(html: str) -> list[str]:
    return DATA_KIND.findall(html)


@pytest.mark.parametrize(
    ("office", "code", "kinds"),
    [
        (COMMUNE, FRESH, [REQUEST, EXTEND, REFUSE, STOP]),
        (COMMUNE, OLD, [REQUEST, EXTEND, REFUSE, STOP]),
        (DISTRICT, TAKEN, [REQUEST, EXTEND, STOP]),
        (PROVINCE, AT_PROVINCE, [REQUEST, EXTEND, DECIDE, STOP]),
        (PROVINCE, SUSPENDED, [SUPPLIED, EXTEND, STOP]),
        (PROVINCE, DECIDED, [RETURN]),
        (PROVINCE, CLOSED, []),
    ],
)
def test_the_page_offers_only_the_acts_the_dossier_allows_its_holder(
    desk: Desk, office: str, code: str, kinds: list[str]
) -> None:
    status, html = desk.page(office, code)
    assert status == 200, html
    assert offered(html) == kinds
    assert 'src="/static/acts.js"' in html
    if not kinds:
        assert "Lúc này đơn vị không có việc nào khác để làm với hồ sơ này." in html
        assert "Đã kết thúc: đã trả kết quả" in html


def test_the_desk_links_each_held_dossier_to_its_page(desk: Desk) -> None:
    html = desk.pages[PROVINCE].get("/can-bo", params={"lang": "vi"}).text
    for code in (AT_PROVINCE, SUSPENDED, DECIDED):
        assert f'<a href="/can-bo/xu-ly/{code}">Xử lý<span class="visually-hidden"> {code}' in html
    assert f"/can-bo/xu-ly/{CLOSED}" not in html  # closed: no longer among those held


def labels(received: date, lang: str) -> dict[FormType, str]:
    return {
        kind: form_on(received, kind).label(lang)
        for kind in (FormType.SUPPLEMENT, FormType.APOLOGY, FormType.REFUSAL)
    }


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_each_notice_is_named_by_its_form_in_force_on_the_date_of_receipt(
    desk: Desk, lang: str
) -> None:
    _status, october = desk.page(COMMUNE, FRESH, lang=lang)
    for label in labels(OCTOBER.date(), lang).values():
        assert f">{label}</h3>" in october
    stop = form_on(OCTOBER.date(), FormType.STOP_NOTICE).label(lang)
    assert f">{stop}</h3>" in october
    assert ("Mẫu số 05 — Thông báo dừng" if lang == "vi" else "Form 05 — Notice stopping") in stop
    assert ("Thông tư 03/2025/TT-VPCP" if lang == "vi" else "Circular 03/2025/TT-VPCP") in october

    _status, august = desk.page(COMMUNE, OLD, lang=lang)
    for label in labels(AUGUST.date(), lang).values():
        assert f">{label}</h3>" in august
    assert "01/2018/TT-VPCP" in labels(AUGUST.date(), lang)[FormType.REFUSAL]
    # the 2018 forms had no stop notice: its name alone, and the page says why
    name = form_on(OCTOBER.date(), FormType.STOP_NOTICE).name(lang)
    assert f">{name}</h3>" in august
    no_form = "không có mẫu số" if lang == "vi" else "have no numbered form"
    assert no_form in august
    assert no_form not in october


def test_the_extension_shows_the_date_promised_now(desk: Desk) -> None:
    _status, html = desk.page(PROVINCE, AT_PROVINCE)
    appointed = desk.services.ledger.dossier(AT_PROVINCE).appointed
    shown = f"{datetime.fromtimestamp(appointed / 1e6, VIETNAM):%d/%m/%Y %H:%M}"
    assert f"Ngày hẹn trả kết quả hiện tại: {shown}" in html
    assert f'min="{datetime.fromtimestamp(appointed / 1e6, VIETNAM):%Y-%m-%dT%H:%M}"' in html


@pytest.mark.parametrize(
    ("office", "code", "status", "said"),
    [
        (COMMUNE, TAKEN, 403, "Đơn vị của bạn không giữ hồ sơ"),
        (DISTRICT, FRESH, 403, "Đơn vị của bạn không giữ hồ sơ"),
        (COMMUNE, IN_TRANSIT, 403, "đang được chuyển từ Thị trấn Càng Long đến Huyện Càng Long"),
        (DISTRICT, IN_TRANSIT, 403, "chưa đơn vị nào giữ nó"),
        (COMMUNE, "000.00.01.H59-251006-9999", 404, "Không có hồ sơ nào mang mã"),
        (COMMUNE, "mã-hồ-sơ", 422, "Mã hồ sơ không đúng dạng"),
    ],
)
def test_a_dossier_the_office_does_not_hold_is_refused_in_words(
    desk: Desk, office: str, code: str, status: int, said: str
) -> None:
    got, html = desk.page(office, code)
    assert got == status
    assert said in html
    assert offered(html) == []
    assert "/static/acts.js" not in html


def test_only_an_officer_may_open_the_page_and_a_bad_statement_number_is_named(
    desk: Desk,
) -> None:
    inspector = TestClient(desk.app)
    text = desk.services.tokens.create(
        "inspector", office=PROVINCE, now=desk.services.clock.now(), valid_seconds=86400
    )[1]
    sign_in(inspector, text, "/giam-sat")
    response = inspector.get(f"/can-bo/xu-ly/{AT_PROVINCE}")
    assert response.status_code == 403
    assert "Mã truy cập này không được xem trang này." in response.text
    assert offered(response.text) == []
    for bad in ("abc", "0", "-1", "٣", "9" * 5000):
        status, html = desk.page(PROVINCE, AT_PROVINCE, **{"da-ky": bad})
        assert status == 400, bad
        assert f"Số bản khai không hợp lệ: {bad} (phải là một số nguyên dương)." in html


def test_an_act_is_prepared_and_sent_only_with_the_pages_csrf_token(desk: Desk) -> None:
    page = desk.pages[COMMUNE]
    signer = desk.world.at(COMMUNE)
    html = page.get(f"/can-bo/xu-ly/{SIGNED}").text
    intent = {
        "kind": STOP,
        "subject": SIGNED,
        "key": signer.key.key_id,
        "body": {"reason": "Người nộp đề nghị dừng giải quyết"},
    }
    before = len(desk.services.ledger.history("dossier", SIGNED))
    refused = page.post("/can-bo/ky/chuan-bi", json=intent, headers=SAME_SITE)
    assert refused.status_code == 403
    assert refused.json()["code"] == "cross-site-refused"
    headers = {**SAME_SITE, "X-CSRF-Token": csrf_meta(html)}
    prepared = page.post("/can-bo/ky/chuan-bi", json=intent, headers=headers)
    assert prepared.status_code == 200, prepared.text
    raw = base64.b64decode(prepared.json()["statement"])
    envelope = {
        "statement": prepared.json()["statement"],
        "signature": base64.b64encode(signer.key.sign(raw)).decode(),
    }
    unsent = page.post("/can-bo/ky/gui", json=envelope, headers=SAME_SITE)
    assert unsent.status_code == 403
    assert len(desk.services.ledger.history("dossier", SIGNED)) == before
    sent = page.post("/can-bo/ky/gui", json=envelope, headers=headers)
    assert sent.status_code == 200, sent.text
    seq = sent.json()["seq"]

    status, after = desk.page(COMMUNE, SIGNED, **{"da-ky": str(seq)})
    assert status == 200
    stop = form_on(OCTOBER.date(), FormType.STOP_NOTICE).label("vi")
    assert f"Đã ký và ghi vào sổ cái: {stop}, lúc " in after
    assert f"(bản khai số {seq} của hồ sơ)" in after
    assert "Đã kết thúc: dừng giải quyết hồ sơ" in after
    assert offered(after) == []
    # a statement the dossier does not have confirms nothing
    assert "Đã ký và ghi" not in desk.page(COMMUNE, SIGNED, **{"da-ky": "99"})[1]


def test_a_statement_of_another_office_is_not_confirmed_as_this_ones(desk: Desk) -> None:
    # TAKEN: 1 received and 2 dispatched by the commune, 3 acknowledged by the district
    status, html = desk.page(DISTRICT, TAKEN, **{"da-ky": "2"})
    assert status == 200
    assert "Đã ký và ghi" not in html
    status, html = desk.page(DISTRICT, TAKEN, **{"da-ky": "3"})
    assert "Đã ký và ghi vào sổ cái: Nhận hồ sơ" in html
