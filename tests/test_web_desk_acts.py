"""The officer's page for a dossier the office holds (/can-bo/xu-ly/<code>, api/http/web/acts.py),
over HTTP without a browser: it offers exactly the acts the dossier's state allows that office —
the same as the ledger accepts, checked act by act against the ledger itself, but for the apology:
only the one of the form in use on the dossier's date of receipt (the 2018 apology and new
appointment, once, before 15/9/2025; the request to extend from then), though the ledger refuses
neither by date — each notice named by its form as the law in force on the dossier's date of
receipt gives it; it refuses, in words, a dossier the office does not hold; an act goes through
the page's signing endpoints only with the page's CSRF token; and on a read-only replica its sign
buttons are disabled.

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
from domain.law import FormType, apology_kind, form_on
from tests import test_replica
from tests.apiworld import settings_for
from tests.websession import SAME_SITE, csrf_meta, sign_in
from tests.world import DAY, PROCEDURE, START, World

COMMUNE, DISTRICT, PROVINCE = "29266", "844", "84"
OLD = "000.00.01.H59-250812-0001"  # received 12/8/2025: the forms of Circular 01/2018
REAPPOINTED = "000.00.01.H59-250812-0002"  # received 12/8/2025, its result date set again once
FRESH = "000.00.01.H59-251006-0001"  # received 6/10/2025, never handed over: Circular 03/2025
TAKEN = "000.00.01.H59-251006-0002"  # taken in by the district
AT_PROVINCE = "000.00.01.H59-251006-0003"  # at the province, which may decide it
SUSPENDED = "000.00.01.H59-251006-0004"  # at the province, a supplement awaited
DECIDED = "000.00.01.H59-251006-0005"  # decided at the province
CLOSED = "000.00.01.H59-251006-0006"  # decided and its result returned
IN_TRANSIT = "000.00.01.H59-251006-0007"  # on its way from the commune to the district
SIGNED = "000.00.01.H59-251006-0008"  # stopped through the page's signing endpoints
WITHDRAWN = "000.00.01.H59-251006-0009"  # withdrawn by the applicant, as the commune records
AUGUST = datetime(2025, 8, 12, 9, 0, tzinfo=VIETNAM)
OCTOBER = datetime(2025, 10, 6, 9, 0, tzinfo=VIETNAM)

REQUEST, SUPPLIED, DELAY, EXTEND = (
    "dossier.supplement_requested",
    "dossier.supplement_received",
    "dossier.delay_notified",
    "dossier.extension_requested",
)
DECIDE, RETURN, REFUSE, STOP, WITHDRAW = (
    "dossier.decided",
    "dossier.result_returned",
    "dossier.refused",
    "dossier.stopped",
    "dossier.withdrawn",
)
APOLOGIES = {DELAY, EXTEND}
DATA_KIND = re.compile(r'<form class="handover act"[^>]*data-kind="([a-z_.]+)"')


def bodies(appointed: int) -> dict[str, dict[str, object]]:
    """A body each act of the page accepts, on a dossier promised for `appointed`."""
    return {
        REQUEST: {"reason": "Thiếu bản sao giấy khai sinh", "missing": ["Giấy khai sinh"]},
        SUPPLIED: {"documents": []},
        DELAY: {"reason": "Cần xác minh thêm", "appointed": appointed + 3 * DAY},
        EXTEND: {"reason": "Cần xác minh tại địa phương", "appointed": appointed + 5 * DAY},
        DECIDE: {"outcome": "approved", "reference": "123/QĐ-UBND", "documents": []},
        RETURN: {"channel": "direct"},
        REFUSE: {"reason": "Hồ sơ không thuộc thẩm quyền"},
        STOP: {"reason": "Người nộp đề nghị dừng giải quyết"},
        WITHDRAW: {"reason": "Người nộp đề nghị rút hồ sơ"},
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


def received_on(world: World, code: str) -> date:
    """The dossier's (civil) date of receipt, which chooses its forms."""
    return local_date(world.ledger.history("dossier", code)[0].statement.at)


def taken_in_october(world: World, code: str, *path: str) -> None:
    """`code` received at the commune on 6/10/2025 (the forms of Circular 03/2025), then handed
    along `path`."""
    world.clock.set(max(world.clock.now(), from_datetime(OCTOBER)))
    taken_in(world, code, *path)


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
# version 2 is in force. All but the last four are received on 3/3/2025, before the forms of
# Circular 03/2025 (the 2018 apology and new appointment); the last four on 6/10/2025.

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
    ("closed: withdrawn", COMMUNE, lambda w, c: (taken_in(w, c), act(w, COMMUNE, WITHDRAW, c))),
    (
        "re-appointed once at the province",
        PROVINCE,
        lambda w, c: (taken_in(w, c, DISTRICT, PROVINCE), act(w, PROVINCE, DELAY, c)),
    ),
    (
        "re-appointed, then decided at the province",
        PROVINCE,
        lambda w, c: (
            taken_in(w, c, DISTRICT, PROVINCE),
            act(w, PROVINCE, DELAY, c),
            act(w, PROVINCE, DECIDE, c),
        ),
    ),
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
    # received from 15/9/2025
    ("received in October, at its receiving office", COMMUNE, lambda w, c: taken_in_october(w, c)),
    (
        "received in October, taken in by the district",
        DISTRICT,
        lambda w, c: taken_in_october(w, c, DISTRICT),
    ),
    (
        "received in October, extended at the district",
        DISTRICT,
        lambda w, c: (taken_in_october(w, c, DISTRICT), act(w, DISTRICT, EXTEND, c)),
    ),
    (
        "received in October, decided at the province",
        PROVINCE,
        lambda w, c: (
            taken_in_october(w, c, DISTRICT, PROVINCE),
            act(w, PROVINCE, DECIDE, c),
        ),
    ),
]


def acting_time(world: World) -> None:
    """The acts are tried once version 2 may be in force (the clock never runs backwards)."""
    reform = from_datetime(datetime.combine(REFORM, time(9), VIETNAM))
    world.clock.set(max(world.clock.now(), reform))


@pytest.mark.parametrize(("state", "office", "make"), STATES, ids=[s[0] for s in STATES])
def test_the_acts_offered_are_exactly_those_the_ledger_accepts(
    state: str, office: str, make: Callable[[World, str], None]
) -> None:
    """For each state, one dossier per act: offered if and only if the ledger records it — but
    the apology of the form not in use on the date of receipt, which the ledger records too and
    the page never offers."""
    world = World.build()
    offered, accepted = set(), set()
    codes = {kind: f"000.00.01.H59-250303-{number:04d}" for number, kind in enumerate(ACTS, 1)}
    for code in codes.values():
        make(world, code)
    acting_time(world)
    not_in_use = set()
    for kind, code in codes.items():
        dossier, received = world.ledger.dossier(code), received_on(world, code)
        not_in_use |= APOLOGIES - {apology_kind(received)}
        if kind in allowed_acts(world.ledger, dossier, office, world.clock.now(), received):
            offered.add(kind)
        try:
            world.at(office).record(kind, code, bodies(dossier.appointed)[kind])
        except DomainError:
            continue
        accepted.add(kind)
    assert len(not_in_use) == 1, state  # the state's dossiers are all on one side of 15/9/2025
    assert offered == accepted - not_in_use, state
    world.ledger.close()


def test_the_ledger_records_either_apology_whatever_the_date_and_the_page_offers_one() -> None:
    """What the test above sets aside is real: the ledger refuses neither apology by date
    (docs/law.md), so which one is offered is the page's reading of the law, by the date of
    receipt alone."""
    world = World.build()
    march = ("000.00.01.H59-250303-0001", "000.00.01.H59-250303-0002")
    october = ("000.00.01.H59-251006-0001", "000.00.01.H59-251006-0002")
    for code in march:
        taken_in(world, code)
    for code in october:
        taken_in_october(world, code)
    now = world.clock.now()
    for (first, second), offered, other in ((march, DELAY, EXTEND), (october, EXTEND, DELAY)):
        received = received_on(world, first)
        assert apology_kind(received) == offered
        acts = allowed_acts(world.ledger, world.ledger.dossier(first), COMMUNE, now, received)
        assert offered in acts
        assert other not in acts
        for code, kind in ((first, offered), (second, other)):
            act(world, COMMUNE, kind, code)
            assert world.ledger.history("dossier", code)[-1].statement.kind == kind
    world.ledger.close()


def test_the_states_above_between_them_offer_every_act_and_refuse_every_act() -> None:
    """The table is no tautology: each act is offered in some state and withheld in another."""
    seen: dict[str, set[bool]] = {kind: set() for kind in ACTS}
    code = "000.00.01.H59-250303-0001"
    for _state, office, make in STATES:
        world = World.build()  # a world each: the clock never runs backwards
        make(world, code)
        acting_time(world)
        dossier, received = world.ledger.dossier(code), received_on(world, code)
        offered = allowed_acts(world.ledger, dossier, office, world.clock.now(), received)
        for kind in ACTS:
            seen[kind].add(kind in offered)
        world.ledger.close()
    assert seen == {kind: {True, False} for kind in ACTS}


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
    world.receive(REAPPOINTED, COMMUNE)
    act(world, COMMUNE, DELAY, REAPPOINTED)
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
    taken_in(world, WITHDRAWN)
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
        (COMMUNE, FRESH, [REQUEST, EXTEND, REFUSE, STOP, WITHDRAW]),
        (COMMUNE, OLD, [REQUEST, DELAY, REFUSE, STOP, WITHDRAW]),
        (COMMUNE, REAPPOINTED, [REQUEST, REFUSE, STOP, WITHDRAW]),
        (DISTRICT, TAKEN, [REQUEST, EXTEND, STOP, WITHDRAW]),
        (PROVINCE, AT_PROVINCE, [REQUEST, EXTEND, DECIDE, STOP, WITHDRAW]),
        (PROVINCE, SUSPENDED, [SUPPLIED, EXTEND, STOP, WITHDRAW]),
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


def act_html(html: str, kind: str) -> str:
    """The small form of act `kind` on the page."""
    found = re.search(rf'<form class="handover act"[^>]*data-kind="{kind}".*?</form>', html, re.S)
    assert found, kind
    return found.group(0)


@pytest.mark.parametrize(
    ("office", "code", "kind"), [(PROVINCE, AT_PROVINCE, EXTEND), (COMMUNE, OLD, DELAY)]
)
def test_either_apology_shows_the_date_promised_now_and_asks_a_later_one(
    desk: Desk, office: str, code: str, kind: str
) -> None:
    _status, html = desk.page(office, code)
    form = act_html(html, kind)
    appointed = desk.services.ledger.dossier(code).appointed
    shown = f"{datetime.fromtimestamp(appointed / 1e6, VIETNAM):%d/%m/%Y %H:%M}"
    assert f"Ngày hẹn trả kết quả hiện tại: {shown}" in form
    assert f'min="{datetime.fromtimestamp(appointed / 1e6, VIETNAM):%Y-%m-%dT%H:%M}"' in form
    assert 'name="appointed" type="datetime-local"' in form
    assert 'name="reason"' in form


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_apology_offered_is_the_one_of_the_form_in_use_on_the_date_of_receipt(
    desk: Desk, lang: str
) -> None:
    """Received 12/8/2025: the 2018 apology and new appointment (dossier.delay_notified), once;
    received 6/10/2025: the apology and request to extend the time (dossier.extension_requested)."""
    _status, august = desk.page(COMMUNE, OLD, lang=lang)
    assert DELAY in offered(august)
    assert EXTEND not in offered(august)
    old = form_on(AUGUST.date(), FormType.APOLOGY)
    assert (old.number, old.circular.number) == ("04", "01/2018/TT-VPCP")
    delay = act_html(august, DELAY)
    assert f">{old.label(lang)}</h3>" in delay
    once = "chỉ được hẹn lại một lần" if lang == "vi" else "can be set again only once"
    assert once in delay
    sign = "Hẹn lại ngày trả kết quả và ký" if lang == "vi" else "Set the new date and sign"
    assert f">{sign}</button>" in delay

    _status, october = desk.page(COMMUNE, FRESH, lang=lang)
    assert EXTEND in offered(october)
    assert DELAY not in offered(october)
    new = form_on(OCTOBER.date(), FormType.APOLOGY)
    assert (new.number, new.circular.number) == ("04", "03/2025/TT-VPCP")
    assert f">{new.label(lang)}</h3>" in act_html(october, EXTEND)
    assert once not in october

    # re-appointed once already: no apology at all
    _status, again = desk.page(COMMUNE, REAPPOINTED, lang=lang)
    assert not set(offered(again)) & {DELAY, EXTEND}
    assert old.label(lang) not in again


def test_the_re_appointment_signed_is_confirmed_by_its_form(desk: Desk) -> None:
    # REAPPOINTED: 1 received, 2 re-appointed by the commune
    history = desk.services.ledger.history("dossier", REAPPOINTED)
    assert history[1].statement.kind == DELAY
    status, html = desk.page(COMMUNE, REAPPOINTED, **{"da-ky": "2"})
    assert status == 200
    label = form_on(AUGUST.date(), FormType.APOLOGY).label("vi")
    assert label.startswith("Mẫu số 04 — Phiếu xin lỗi và hẹn lại ngày trả kết quả")
    assert f"Đã ký và ghi vào sổ cái: {label}, lúc " in html
    appointed = desk.services.ledger.dossier(REAPPOINTED).appointed
    assert appointed == history[1].statement.body["appointed"]
    assert f"<dd>{datetime.fromtimestamp(appointed / 1e6, VIETNAM):%d/%m/%Y %H:%M}" in html


@pytest.mark.parametrize(
    ("lang", "title", "reason", "sign"),
    [
        (
            "vi",
            "Rút hồ sơ theo đề nghị của người nộp",
            "Lý do người nộp rút hồ sơ",
            "Ghi nhận rút hồ sơ và ký",
        ),
        (
            "en",
            "The applicant withdraws the dossier",
            "Why the applicant withdraws it",
            "Record the withdrawal and sign",
        ),
    ],
)
def test_the_withdrawal_is_offered_with_its_reason_in_both_languages(
    desk: Desk, lang: str, title: str, reason: str, sign: str
) -> None:
    _status, html = desk.page(COMMUNE, FRESH, lang=lang)
    form = act_html(html, WITHDRAW)
    assert f">{title}</h3>" in form
    field = rf'<label for="reason-\d+">{reason}</label>\s*<input id="reason-\d+" name="reason"'
    assert re.search(field, form), form
    assert f">{sign}</button>" in form


def test_a_withdrawal_recorded_closes_the_dossier_and_is_confirmed(desk: Desk) -> None:
    desk.world.later(0.25)
    receipt = desk.world.at(COMMUNE).record(
        WITHDRAW, WITHDRAWN, {"reason": "Người nộp đề nghị rút hồ sơ"}
    )
    status, html = desk.page(COMMUNE, WITHDRAWN, **{"da-ky": str(receipt.seq)})
    assert status == 200
    said = "Đã ký và ghi vào sổ cái: Rút hồ sơ theo đề nghị của người nộp, lúc "
    assert said in html
    assert "Đã kết thúc: người nộp rút hồ sơ" in html
    assert offered(html) == []


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


# --- on a read-only replica ----------------------------------------------------------------------

reader = test_replica.reader  # the fixture: a role that may only read, as on a hot standby
SUBMIT = re.compile(r'<button type="submit"[^>]*>')


@pytest.mark.postgres
def test_on_a_read_only_replica_the_acts_are_shown_with_their_sign_buttons_disabled(
    postgres_url: str, reader: str, tmp_path: Path
) -> None:
    """A replica shows the same acts (tests/test_replica.py: its database role may only read),
    every sign button disabled and the page saying why; the primary's are enabled."""
    world = World.build(postgres_url)
    world.clock.set(from_datetime(AUGUST))
    world.receive(OLD, COMMUNE)
    world.clock.set(from_datetime(OCTOBER))
    taken_in(world, FRESH)
    world.ledger.close()
    (tmp_path / "primary").mkdir()
    primary = create_app(settings_for(postgres_url, tmp_path / "primary"), clock=world.clock)
    with TestClient(primary) as writer:
        services: Services = primary.state.services
        services.views()  # the primary's projector keeps the views the replica reads
        text = services.tokens.create(
            "officer",
            office=COMMUNE,
            officer=f"cb-{COMMUNE}",
            now=world.clock.now(),
            valid_seconds=86400,
        )[1]
        assert sign_in(writer, text, "/can-bo", follow_redirects=False).status_code == 303
        settings = test_replica.replica_settings(reader, tmp_path / "replica")
        with TestClient(create_app(settings, clock=world.clock)) as copy:
            for cookie in writer.cookies.jar:  # the session, opened on the primary
                copy.cookies.jar.set_cookie(cookie)
            for code, apology in ((OLD, DELAY), (FRESH, EXTEND)):
                for http, read_only in ((copy, True), (writer, False)):
                    page = http.get(f"/can-bo/xu-ly/{code}", params={"lang": "vi"})
                    assert page.status_code == 200, page.text
                    kinds = offered(page.text)
                    assert {apology, WITHDRAW, STOP} <= set(kinds), (code, read_only)
                    # the sign-out button (class="link") records nothing
                    buttons = [b for b in SUBMIT.findall(page.text) if 'class="link"' not in b]
                    assert len(buttons) == len(kinds)
                    assert all(("disabled" in b) is read_only for b in buttons), buttons
                    assert ('id="read-only"' in page.text) is read_only
