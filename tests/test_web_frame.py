"""The frame of every page (api/http/web/frame.py, templates/base.html), over HTTP: the menu of the
signed-in role with the page at hand marked (aria-current), the site's title leading to the role's
home, who is signed in by post and office (never an id), and the sign-in form saying why it is
shown — the page needs signing in, the session ended, or its user signed out — in the page's
language with a link to the fix."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from types import SimpleNamespace

import httpx
import pytest
from fastapi import Request
from fastapi.testclient import TestClient

from api.http.web import frame
from domain.instant import local_date
from ledger.simulation.demo import AUTHORITY_KEY_NAME, demo_key
from ledger.statements.authoring import Signer
from tests.apiworld import COMMUNE, PROVINCE, Api, open_api
from tests.websession import SAME_SITE, csrf_field, sign_in

COMMUNE_NAME = "Xã Càng Long"  # the registry's name of COMMUNE (ledger/reference/data)
TITLE = "Công chức Văn hóa - Xã hội"
OFFICER = "cb-frame-vhxh"  # enrolled here, in COMMUNE, with TITLE
NAV = re.compile(r'<nav class="menu" aria-label="([^"]+)">(.*?)</nav>', re.S)
LINK = re.compile(r'<a href="([^"]+)"( aria-current="(page|true)")?>([^<]+)</a>')
WHO = re.compile(r'<span class="who" id="who">(.*?)</span>\s*(?=<form|<a)', re.S)
HOME = re.compile(r'<a class="site" href="([^"]+)">')


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    directory = tmp_path_factory.mktemp("web-frame")
    with open_api(f"sqlite:///{directory / 'ledger.db'}", directory) as opened:
        authority = Signer.authority(opened.services.ledger, demo_key(AUTHORITY_KEY_NAME))
        body = {"office": COMMUNE, "title": TITLE, "effective": opened.clock.now()}
        authority.record("officer.enrolled", OFFICER, body)
        yield opened


def browser(api: Api, text: str | None = None) -> TestClient:
    """A browser of its own, signed in with `text` if given."""
    http = TestClient(api.http.app)
    if text is not None:
        assert sign_in(http, text, "/tra-cuu", follow_redirects=False).status_code == 303
    return http


def menu(html: str) -> list[tuple[str, str | None, str]]:
    """The menu's links: (href, aria-current or None, words)."""
    found = NAV.search(html)
    assert found is not None, "the page has no menu"
    return [(href, current or None, words) for href, _, current, words in LINK.findall(found[2])]


def menu_label(html: str) -> str:
    found = NAV.search(html)
    assert found is not None, "the page has no menu"
    return found[1]


def who(html: str) -> str:
    found = WHO.search(html)
    assert found is not None, "the header names nobody"
    return re.sub(r'<span class="visually-hidden">[^<]*</span>', "", found[1]).strip()


def home(html: str) -> str:
    found = HOME.search(html)
    assert found is not None
    return found[1]


# --- the menu, as a function of the role and the path ------------------------------------------


@pytest.mark.parametrize(
    ("role", "hrefs"),
    [
        ("officer", ["/can-bo", "/can-bo/tiep-nhan", "/can-bo/khoa", "/tra-cuu", "/xac-minh"]),
        ("inspector", ["/giam-sat", "/giam-sat/ban-do", "/tra-cuu", "/xac-minh"]),
        ("registrar", ["/quan-tri/khoa", "/tra-cuu", "/xac-minh"]),  # the inspector's refuse it
        ("consumer", ["/tra-cuu", "/xac-minh"]),
        (None, ["/tra-cuu", "/xac-minh", "/dang-nhap"]),
    ],
)
def test_each_role_has_its_own_pages_then_everyones(role: str | None, hrefs: list[str]) -> None:
    assert [link.href for link in frame.menu(role, "/elsewhere")] == hrefs
    assert frame.home(role) == hrefs[0]  # the title leads to the first: the role's home


@pytest.mark.parametrize(
    ("role", "path", "marked"),
    [
        ("officer", "/can-bo", ("/can-bo", "page")),
        ("officer", "/can-bo/tiep-nhan", ("/can-bo/tiep-nhan", "page")),  # not also the desk
        ("officer", "/can-bo/xu-ly/000.66.29.H59-250708-0001", ("/can-bo", "true")),
        ("officer", "/can-bo/giao/000.66.29.H59-250708-0001", ("/can-bo", "true")),
        ("inspector", "/giam-sat/ket-qua", ("/giam-sat/ban-do", "true")),  # the map's numbers
        ("inspector", "/giam-sat/giu", ("/giam-sat/ban-do", "true")),
        (None, "/xac-minh/000.66.29.H59-250708-0001", ("/xac-minh", "true")),
        (None, "/dang-nhap", ("/dang-nhap", "page")),
    ],
)
def test_the_page_at_hand_is_marked_once(
    role: str | None, path: str, marked: tuple[str, str]
) -> None:
    current = [(link.href, link.current) for link in frame.menu(role, path) if link.current]
    assert current == [marked]


def test_a_page_on_no_menu_marks_nothing() -> None:
    assert not [link for link in frame.menu("officer", "/ho-so/000.66.29.H59") if link.current]
    assert not [link for link in frame.menu("consumer", "/can-bo") if link.current]


# --- the menu on the pages ---------------------------------------------------------------------


def test_signed_out_the_menu_offers_the_lookup_the_verification_and_signing_in(api: Api) -> None:
    page = browser(api).get("/tra-cuu")
    assert page.status_code == 200
    assert menu_label(page.text) == "Các trang chính"
    assert menu(page.text) == [
        ("/tra-cuu", "page", "Tra cứu"),
        ("/xac-minh", None, "Xác minh"),
        ("/dang-nhap", None, "Đăng nhập"),
    ]
    assert home(page.text) == "/tra-cuu"
    assert 'id="who"' not in page.text
    assert "/dang-xuat" not in page.text
    english = browser(api).get("/xac-minh", params={"lang": "en"})
    assert menu_label(english.text) == "Main pages"
    assert [words for _, _, words in menu(english.text)] == [
        "Look up a dossier",
        "Verify",
        "Sign in",
    ]


def test_an_officers_menu_marks_the_page_and_its_title_leads_to_the_desk(api: Api) -> None:
    http = browser(api, api.token("officer", office=COMMUNE, officer=OFFICER))
    for path, words in (("/can-bo/khoa", "Khóa ký"), ("/can-bo/tiep-nhan", "Tiếp nhận")):
        page = http.get(path)
        assert page.status_code == 200, page.text
        links = menu(page.text)
        assert [(href, words) for href, _, words in links] == [
            ("/can-bo", "Việc của tôi"),
            ("/can-bo/tiep-nhan", "Tiếp nhận"),
            ("/can-bo/khoa", "Khóa ký"),
            ("/tra-cuu", "Tra cứu"),
            ("/xac-minh", "Xác minh"),
        ]
        assert [(href, w) for href, current, w in links if current] == [(path, words)]
        assert home(page.text) == "/can-bo"
    lookup = http.get("/tra-cuu")  # a page anyone may open still knows who is signed in
    assert home(lookup.text) == "/can-bo"
    assert ("/tra-cuu", "page", "Tra cứu") in menu(lookup.text)
    assert who(lookup.text) == f"{TITLE}, {COMMUNE_NAME}"


def test_a_registrars_menu_has_the_approvals_and_no_inspectors_pages(api: Api) -> None:
    page = browser(api, api.tokens["registrar"]).get("/quan-tri/khoa")
    assert page.status_code == 200, page.text
    assert menu(page.text) == [
        ("/quan-tri/khoa", "page", "Duyệt khóa"),
        ("/tra-cuu", None, "Tra cứu"),
        ("/xac-minh", None, "Xác minh"),
    ]
    assert home(page.text) == "/quan-tri/khoa"
    assert who(page.text) == "Quản trị danh mục"


def test_an_inspectors_menu_and_home(api: Api) -> None:
    page = browser(api, api.tokens["inspector"]).get("/xac-minh")
    assert menu(page.text) == [
        ("/giam-sat", None, "Giám sát"),
        ("/giam-sat/ban-do", None, "Bản đồ"),
        ("/tra-cuu", None, "Tra cứu"),
        ("/xac-minh", "page", "Xác minh"),
    ]
    assert home(page.text) == "/giam-sat"


# --- who is signed in --------------------------------------------------------------------------


def test_the_header_names_an_officer_by_title_and_office_never_by_id(api: Api) -> None:
    http = browser(api, api.token("officer", office=COMMUNE, officer=OFFICER))
    page = http.get("/can-bo/khoa")
    header = page.text.split("</header>")[0]
    assert who(page.text) == "Công chức Văn hóa - Xã hội, Xã Càng Long"
    assert COMMUNE not in header
    assert OFFICER not in header
    assert who(http.get("/can-bo/khoa", params={"lang": "en"}).text) == f"{TITLE}, {COMMUNE_NAME}"


def test_a_title_that_names_its_office_is_not_followed_by_it_again(api: Api) -> None:
    authority = Signer.authority(api.services.ledger, demo_key(AUTHORITY_KEY_NAME))
    title = f"Chủ tịch Ủy ban nhân dân {COMMUNE_NAME}"
    body = {"office": COMMUNE, "title": title, "effective": api.clock.now()}
    authority.record("officer.enrolled", "ct-frame", body)
    http = browser(api, api.token("officer", office=COMMUNE, officer="ct-frame"))
    assert who(http.get("/tra-cuu").text) == title


def test_an_officer_the_registry_does_not_know_is_named_by_role_and_office(api: Api) -> None:
    http = browser(api, api.token("officer", office=COMMUNE, officer="cb-not-enrolled"))
    assert who(http.get("/tra-cuu").text) == f"Cán bộ, {COMMUNE_NAME}"
    assert who(http.get("/tra-cuu", params={"lang": "en"}).text) == f"Officer, {COMMUNE_NAME}"


def test_an_inspector_is_named_by_office(api: Api) -> None:
    name = api.services.ledger.office(PROVINCE).name_on(local_date(api.clock.now()))
    http = browser(api, api.tokens["inspector"])
    page = http.get("/tra-cuu")
    assert who(page.text) == f"Thanh tra — {name}"
    # the office by name, not its id (the id is searched in what the header says of who is
    # signed in: the rest of the header holds random form tokens, which may contain "86")
    assert re.search(rf"\b{re.escape(PROVINCE)}\b", who(page.text)) is None
    assert who(http.get("/tra-cuu", params={"lang": "en"}).text) == f"Inspector — {name}"


def test_the_header_says_who_is_signed_in_to_a_screen_reader(api: Api) -> None:
    page = browser(api, api.tokens["consumer"]).get("/tra-cuu")
    assert '<span class="visually-hidden">Đang đăng nhập: </span>' in page.text
    assert who(page.text) == "Tài khoản khai thác dữ liệu"


# --- signing in: where to, and why the form is shown -------------------------------------------


@pytest.mark.parametrize(
    ("role", "where"),
    [
        ("officer", "/can-bo"),
        ("inspector", "/giam-sat"),
        ("registrar", "/quan-tri/khoa"),
        ("consumer", "/tra-cuu"),
    ],
)
def test_signed_in_with_no_page_to_go_back_to_the_browser_goes_to_the_roles_home(
    api: Api, role: str, where: str
) -> None:
    http = browser(api)
    for back in ("", "https://evil.example/", "//evil.example"):
        answer = sign_in(http, api.tokens[role], back, follow_redirects=False)
        assert (answer.status_code, answer.headers["location"]) == (303, where), back


def why(html: str) -> re.Match[str]:
    found = re.search(r'<p class="(\w+)" role="(\w+)" id="why">(.*?)</p>', html, re.S)
    assert found is not None, "the sign-in form says nothing about why it is shown"
    return found


def test_a_page_that_needs_signing_in_says_so_and_where_citizens_go(api: Api) -> None:
    answer = browser(api).get("/can-bo/khoa", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/dang-nhap?back=/can-bo/khoa&why=needed"
    form = browser(api).get(answer.headers["location"])
    kind, role, words = why(form.text).groups()
    assert (kind, role) == ("notice", "status")
    assert words.startswith("Trang này dành cho cán bộ: hãy đăng nhập")
    assert '<a href="/tra-cuu">Tra cứu hồ sơ</a>' in words
    assert 'name="back" value="/can-bo/khoa"' in form.text  # and back there after


def test_an_ended_session_is_said_as_a_problem_with_the_way_back_in(api: Api) -> None:
    text = api.token("officer", office=COMMUNE, officer=OFFICER)
    http = browser(api, text)
    assert http.get("/can-bo/khoa").status_code == 200
    api.services.tokens.revoke(text.split("_")[1], api.clock.now())  # the session ends with it
    answer = http.get("/can-bo/khoa", follow_redirects=False)
    assert answer.headers["location"] == "/dang-nhap?back=/can-bo/khoa&why=ended"
    form = http.get(answer.headers["location"])
    kind, role, words = why(form.text).groups()
    assert (kind, role) == ("problem", "alert")
    assert words.startswith("Phiên đăng nhập đã kết thúc")
    assert '<a href="#token">Đăng nhập lại</a>' in words
    assert 'id="who"' not in form.text  # the header shows nobody signed in
    english = http.get(answer.headers["location"] + "&lang=en")
    assert why(english.text)[3].startswith("Your session has ended")
    assert '<a href="#token">Sign in again</a>' in why(english.text)[3]


def test_signing_out_lands_on_the_form_saying_so(api: Api) -> None:
    http = browser(api, api.tokens["inspector"])
    page = http.get("/tra-cuu")
    out = http.post(
        "/dang-xuat",
        data={"csrf": csrf_field(page.text)},
        headers=SAME_SITE,
        follow_redirects=False,
    )
    assert (out.status_code, out.headers["location"]) == (303, "/dang-nhap?why=out")
    form = http.get(out.headers["location"] + "&lang=en")
    kind, role, words = why(form.text).groups()
    assert (kind, role) == ("notice", "status")
    assert words.startswith("You have signed out.")
    assert '<a href="#token">Sign in again</a>' in words
    assert '<a href="/tra-cuu">Look up a dossier</a>' in words


def test_the_form_says_nothing_for_a_reason_it_does_not_know(api: Api) -> None:
    form = browser(api).get("/dang-nhap", params={"why": "<script>"})
    assert 'id="why"' not in form.text
    assert "&lt;script&gt;" not in form.text


def test_signed_in_the_sign_in_form_offers_signing_in_again_not_signing_out(api: Api) -> None:
    """Its forms carry the sign-in cookie's CSRF token, not the session's: a sign-out button
    there could not work, and signing in again ends the session in force."""
    http = browser(api, api.tokens["inspector"])
    form = http.get("/dang-nhap")
    assert who(form.text).startswith("Thanh tra — ")
    assert "/dang-xuat" not in form.text
    again: httpx.Response = sign_in(http, api.tokens["registrar"], "", follow_redirects=False)
    assert again.headers["location"] == "/quan-tri/khoa"
    assert who(http.get("/tra-cuu").text) == "Quản trị danh mục"


# --- the read-only notice ----------------------------------------------------------------------


def test_a_read_only_server_reached_directly_links_to_the_page_at_the_public_address(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    http = browser(api, api.token("officer", office=COMMUNE, officer=OFFICER))
    services = api.services
    monkeypatch.setattr(services, "read_only", True)
    public = "https://lienthong.example"
    monkeypatch.setattr(services, "settings", replace(services.settings, public_url=public))
    page = http.get("/can-bo/khoa")
    notice = re.search(r'<p class="notice" role="note" id="read-only">(.*?)</p>', page.text)
    assert notice is not None
    assert notice[1].startswith("Máy chủ này chỉ để xem")
    assert f'<a href="{public}/can-bo/khoa">Mở trang này trên máy chủ chính</a>' in notice[1]


def test_at_the_public_address_itself_there_is_no_other_address_to_offer(api: Api) -> None:
    services = SimpleNamespace(settings=SimpleNamespace(public_url="https://lienthong.example/"))
    scope = {
        "type": "http",
        "scheme": "https",
        "server": ("lienthong.example", 443),
        "path": "/can-bo/khoa",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"lienthong.example")],
    }
    assert frame.primary_url(Request(scope), services) is None
    direct = {**scope, "scheme": "http", "headers": [(b"host", b"10.0.0.7:8000")]}
    assert frame.primary_url(Request(direct), services) == "https://lienthong.example/can-bo/khoa"
    services.settings.public_url = ""
    assert frame.primary_url(Request(direct), services) is None
