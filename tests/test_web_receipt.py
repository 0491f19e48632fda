"""The dossier code the server makes and the receipt the desk prints, over HTTP (no browser):
making a code (the page's route and the API's), the circular's rule on every route a receipt
takes (the API's prepare and submit, the page's), the same signed receipt sent twice, and the
receipt page — what it says, in both languages, and who may open it."""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from api.http.schemas.statements import DossierCode
from domain.identifier import dossier_code, dossier_code_problem
from domain.instant import local_date
from ledger.statements import authoring
from tests.apiworld import (
    APPLICANT,
    COMMUNE,
    COMMUNE_AGENCY,
    COMMUNE_OFFICER,
    DOCUMENT,
    PROVINCE,
    PROVINCE_OFFICER,
    RECEIVED_BODY,
    Api,
    assert_problem,
    code_today,
    open_api,
)
from tests.websession import SAME_SITE, csrf_meta, sign_in

COMMITTED = {**RECEIVED_BODY, "applicant": bytes(range(32))}  # a commitment the client keeps
THREE_LEVELS = "000.00.01.H59-250602-0001"  # the demo's first, received at 29266 before 1/7/2025
SHA = DOCUMENT["sha256"].hex()  # type: ignore[attr-defined]
TODAY = re.compile(r"^000\.66\.29\.H59-(\d{6})-(\d{4})$")


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    directory = tmp_path_factory.mktemp("web-receipt")
    with open_api(f"sqlite:///{directory / 'ledger.db'}", directory) as opened:
        yield opened


def web(api: Api, role: str) -> TestClient:
    """A browser session of `role` on the pages, sending what the pages' scripts send."""
    http = TestClient(api.http.app)
    assert sign_in(http, api.tokens[role], "/can-bo", follow_redirects=False).status_code == 303
    page = http.get("/can-bo/khoa") if role != "inspector" else http.get("/giam-sat")
    http.headers.update({**SAME_SITE, "X-CSRF-Token": csrf_meta(page.text)})
    return http


def new_code(api: Api, role: str = "officer") -> httpx.Response:
    response: httpx.Response = api.http.post("/v1/dossier-codes", headers=api.headers(role))
    return response


def text_of(page: str) -> str:
    """What a person reads on a page: its main element's text, without tags or attributes."""
    main = page.split('<main id="main">', 1)[1].split("</main>", 1)[0]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)))


def received(api: Api, **extra: Any) -> tuple[str, dict[str, Any]]:
    """A dossier the commune receives through the API with the applicant's details, under a code
    the server made: the code and the receipt."""
    code = new_code(api).json()["code"]
    receipt = api.client("officer").record(
        api.key(COMMUNE_OFFICER), "dossier.received", code, RECEIVED_BODY, **extra
    )
    return code, receipt


# --- making the code -------------------------------------------------------------------------------


def test_the_api_makes_the_next_code_of_the_callers_office_today(api: Api) -> None:
    first, second = new_code(api), new_code(api)
    assert (first.status_code, second.status_code) == (201, 201)
    day = f"{local_date(api.clock.now()):%y%m%d}"
    a, b = (TODAY.fullmatch(r.json()["code"]) for r in (first, second))
    assert a is not None
    assert b is not None
    assert a.group(1) == b.group(1) == day
    assert int(b.group(2)) == int(a.group(2)) + 1  # reserved: the next caller gets the next one
    province = new_code(api, "province_officer").json()["code"]
    assert province == dossier_code("000.00.40.H59", local_date(api.clock.now()), 1)


def test_the_page_makes_a_code_for_its_officer_and_only_for_an_officer(api: Api) -> None:
    page = web(api, "officer").post("/can-bo/ma-ho-so")
    assert page.status_code == 200, page.text
    assert TODAY.fullmatch(page.json()["code"])
    for role in ("consumer", "registrar", "inspector"):
        assert_problem(new_code(api, role), 403, "forbidden")
    assert_problem(web(api, "inspector").post("/can-bo/ma-ho-so"), 403, "forbidden")
    signed_out = TestClient(api.http.app).post(
        "/can-bo/ma-ho-so", headers=SAME_SITE, follow_redirects=False
    )
    assert signed_out.status_code == 303
    assert "/dang-nhap" in signed_out.headers["location"]


def test_a_code_the_server_made_is_received_and_the_next_one_passes_it_over(api: Api) -> None:
    code, receipt = received(api, applicant=APPLICANT)
    assert receipt["seq"] == 1
    assert receipt["receipt_secret"]
    again = new_code(api).json()["code"]
    assert again != code
    assert TODAY.fullmatch(again)


# --- the rule on every route a receipt takes -------------------------------------------------------

BAD = [
    ("HS-001", "bad-dossier-code", "Mã hồ sơ không theo quy tắc"),
    ("000.00.01.H59-{day}-0900", "dossier-code-agency", "không mang mã định danh"),
    ("000.66.29.H59-{yesterday}-0900", "dossier-code-date", "không phải ngày tiếp nhận"),
    ("000.66.29.H59-{day}-090", "dossier-code-sequence", "từ 4 đến 7 chữ số"),
]


def bad_code(api: Api, pattern: str) -> str:
    day = local_date(api.clock.now())
    yesterday = day - timedelta(days=1)
    return pattern.format(day=f"{day:%y%m%d}", yesterday=f"{yesterday:%y%m%d}")


def signed_elsewhere(api: Api, code: str) -> dict[str, str]:
    """A receipt built and signed without the API's prepare, as a client of its own would."""
    key = api.key(COMMUNE_OFFICER)
    raw = authoring.prepare(
        api.services.ledger,
        "dossier.received",
        code,
        COMMITTED,
        office=COMMUNE,
        officer=COMMUNE_OFFICER,
        key=key.key_id,
    )
    return {
        "statement": base64.b64encode(raw).decode(),
        "signature": base64.b64encode(key.sign(raw)).decode(),
    }


@pytest.mark.parametrize(("pattern", "problem", "title"), BAD, ids=[b[1] for b in BAD])
def test_the_api_refuses_a_receipt_whose_code_breaks_the_rule_on_prepare_and_submit(
    api: Api, pattern: str, problem: str, title: str
) -> None:
    code = bad_code(api, pattern)
    size = api.services.ledger.log_size()
    prepared = api.http.post(
        "/v1/statements/prepare",
        headers=api.headers("officer"),
        json={
            "kind": "dossier.received",
            "subject": code,
            "office": COMMUNE,
            "officer": COMMUNE_OFFICER,
            "key": api.key(COMMUNE_OFFICER).key_id,
            "body": {**RECEIVED_BODY, "documents": []},
            "applicant": APPLICANT,
        },
    )
    assert title in assert_problem(prepared, 422, problem)["title"]
    submitted = api.http.post(
        "/v1/statements",
        json=signed_elsewhere(api, code),
        headers={**api.headers("officer"), "Accept-Language": "en"},
    )
    english = assert_problem(submitted, 422, problem)
    assert "dossier code" in english["title"].lower()  # the title in the caller's language
    assert code in english["detail"]
    assert api.services.ledger.log_size() == size
    kept = api.services.applicants.query(
        "SELECT code FROM lienthong_applicants WHERE code = ?", (code,)
    )
    assert kept == []  # nothing of the applicant is kept either


@pytest.mark.parametrize(("pattern", "problem", "title"), BAD, ids=[b[1] for b in BAD])
def test_the_officers_page_refuses_the_same_on_its_own_routes(
    api: Api, pattern: str, problem: str, title: str
) -> None:
    code = bad_code(api, pattern)
    page = web(api, "officer")
    size = api.services.ledger.log_size()
    intent = {
        "kind": "dossier.received",
        "subject": code,
        "key": api.key(COMMUNE_OFFICER).key_id,
        "body": {**RECEIVED_BODY, "documents": []},
        "applicant": APPLICANT,
    }
    prepared = page.post("/can-bo/ky/chuan-bi", json=intent)
    assert title in assert_problem(prepared, 422, problem)["title"]
    submitted = page.post("/can-bo/ky/gui", json=signed_elsewhere(api, code))
    assert_problem(submitted, 422, problem)
    assert api.services.ledger.log_size() == size


def test_a_code_recorded_before_the_rule_is_not_judged_again(api: Api) -> None:
    """The demo's dossiers were recorded through the ledger itself: preparing another receipt of
    one is refused as it always was, as a dossier that exists, not for its code."""
    prepared = api.http.post(
        "/v1/statements/prepare",
        headers=api.headers("officer"),
        json={
            "kind": "dossier.received",
            "subject": THREE_LEVELS,
            "office": COMMUNE,
            "officer": COMMUNE_OFFICER,
            "key": api.key(COMMUNE_OFFICER).key_id,
            "body": {**RECEIVED_BODY, "documents": []},
            "applicant": APPLICANT,
        },
    )
    assert_problem(prepared, 409, "dossier-exists")


# --- the same receipt sent twice -------------------------------------------------------------------


def test_the_same_signed_receipt_sent_twice_is_recorded_once_with_the_same_secret(api: Api) -> None:
    code = new_code(api).json()["code"]
    key = api.key(COMMUNE_OFFICER)
    client = api.client("officer")
    raw = client.prepare(key, "dossier.received", code, RECEIVED_BODY, applicant=APPLICANT)
    api.attach(code)
    envelope = {
        "statement": base64.b64encode(raw).decode(),
        "signature": base64.b64encode(key.sign(raw)).decode(),
    }
    page = web(api, "officer")
    first = page.post("/can-bo/ky/gui", json=envelope)  # the answer lost on a bad line …
    again = page.post("/can-bo/ky/gui", json=envelope)  # … so the page sends it again
    through_the_api = api.http.post("/v1/statements", json=envelope, headers=api.headers("officer"))

    assert (first.status_code, again.status_code) == (200, 200)
    assert first.json()["secret"]
    assert first.json() == again.json()
    assert through_the_api.status_code == 200  # the original receipt, not a new entry
    assert through_the_api.json()["duplicate"] is True
    assert through_the_api.json()["receipt_secret"] == first.json()["secret"]
    assert len(api.services.ledger.history("dossier", code)) == 1
    # pressing "Tiếp nhận và ký" again prepares afresh: the dossier exists, and the page goes to
    # its receipt (receive.js), which holds the same secret
    intent = {
        "kind": "dossier.received",
        "subject": code,
        "key": key.key_id,
        "body": {**RECEIVED_BODY, "documents": [{**DOCUMENT, "sha256": {"bin": SHA}}]},
        "applicant": APPLICANT,
    }
    assert_problem(page.post("/can-bo/ky/chuan-bi", json=intent), 409, "dossier-exists")
    receipt = page.get(f"/can-bo/bien-nhan/{code}")
    assert first.json()["secret"] in receipt.text


# --- the receipt page ------------------------------------------------------------------------------


def test_the_receipt_says_what_form_01_says_in_the_officers_language(api: Api) -> None:
    code, receipt = received(api, applicant=APPLICANT)
    page = web(api, "officer")
    vi = page.get(f"/can-bo/bien-nhan/{code}?moi=1")
    assert vi.status_code == 200, vi.text
    said = text_of(vi.text)
    day = local_date(api.clock.now())
    location = api.services.views().location(code)
    assert location is not None
    for words in (
        "Đã tiếp nhận và ký. In giấy này và trao cho người nộp hồ sơ.",
        "Mẫu số 01 — Giấy tiếp nhận hồ sơ và hẹn trả kết quả (Thông tư 03/2025/TT-VPCP)",
        "Cộng hòa xã hội chủ nghĩa Việt Nam",
        f"Mã hồ sơ: {code}",
        f"Mã bí mật để tra cứu {receipt['receipt_secret']}",
        f"Người nộp hồ sơ {APPLICANT['full_name']}",
        APPLICANT["id_number"],
        "Nội dung yêu cầu giải quyết Ưu đãi trong giáo dục đào tạo",
        "Hình thức nộp Trực tiếp",
        f"Thành phần hồ sơ nộp gồm {DOCUMENT['name']}",
        f"Thời gian nhận hồ sơ {day:%d/%m/%Y}",
        "Nơi nhận kết quả Bộ phận Một cửa — Xã Càng Long",
        "Công chức Văn hóa - Xã hội, Xã Càng Long",  # title, office
        "(Ký và ghi rõ họ tên)",
        "Căn cứ: Nghị định 118/2025/NĐ-CP",
        "Giao hồ sơ này",
        "Tiếp nhận hồ sơ khác",
    ):
        assert words in said, words
    appointed = f"{local_date(location.appointed):%d/%m/%Y}"
    assert f"Thời gian trả kết quả giải quyết hồ sơ {appointed}" in said
    assert "<svg" in vi.text
    assert "/tra-cuu" in said
    assert f'href="/can-bo/giao/{code}"' in vi.text
    assert 'href="/can-bo/tiep-nhan"' in vi.text
    assert 'src="/static/print.js"' in vi.text
    for internal in (
        COMMUNE,
        COMMUNE_OFFICER,
        "merit-education-preference",
        api.key(COMMUNE_OFFICER).key_id,
    ):
        assert internal not in said, internal  # names, never ids, where a person reads

    en = text_of(page.get(f"/can-bo/bien-nhan/{code}?lang=en").text)
    for words in (
        "Form 01 — Receipt and appointment slip (Circular 03/2025/TT-VPCP)",
        f"Secret for the lookup {receipt['receipt_secret']}",
        "Collect the result at One-stop desk — Xã Càng Long",
        "Education preference for families of people with merit",
        "Hand this dossier over",
        "Receive another dossier",
    ):
        assert words in en, words
    assert "Đã tiếp nhận" not in en


def test_only_the_receiving_office_sees_the_receipt_with_its_secret(api: Api) -> None:
    code, receipt = received(api, applicant=APPLICANT)
    secret = receipt["receipt_secret"]
    province = web(api, "province_officer").get(f"/can-bo/bien-nhan/{code}")
    assert province.status_code == 403
    assert "Chỉ cán bộ của cơ quan đã tiếp nhận hồ sơ" in province.text
    assert secret not in province.text
    inspector = web(api, "inspector").get(f"/can-bo/bien-nhan/{code}")
    assert inspector.status_code == 403
    assert secret not in inspector.text
    unknown = web(api, "officer").get("/can-bo/bien-nhan/000.66.29.H59-200101-0001")
    assert unknown.status_code == 404
    assert "Không có hồ sơ nào mang mã 000.66.29.H59-200101-0001" in unknown.text
    assert web(api, "officer").get("/can-bo/bien-nhan/%3Cx%3E").status_code == 422
    signed_out = TestClient(api.http.app).get(f"/can-bo/bien-nhan/{code}", follow_redirects=False)
    assert signed_out.status_code == 303
    assert "/dang-nhap" in signed_out.headers["location"]


def test_the_office_that_took_a_merged_communes_dossiers_over_reprints_their_receipts(
    api: Api,
) -> None:
    """29266 received the demo's first dossier in June 2025 and merged into 29266/2025 on
    1/7/2025: the merged commune prints its receipt. The demo kept no applicant details (and so
    no secret), which the receipt says."""
    page = web(api, "officer").get(f"/can-bo/bien-nhan/{THREE_LEVELS}")
    assert page.status_code == 200, page.text
    said = text_of(page.text)
    assert "Mẫu số 01 — Giấy tiếp nhận hồ sơ và hẹn trả kết quả (Thông tư 01/2018/TT-VPCP)" in said
    assert "Không còn mã bí mật" in said
    assert "Thị trấn Càng Long" in said  # the office that received it, by its name then
    assert 'href="/can-bo/giao/' not in page.text  # it is held elsewhere now: nothing to hand over
    assert web(api, "province_officer").get(f"/can-bo/bien-nhan/{THREE_LEVELS}").status_code == 403


def test_an_erased_applicant_leaves_a_receipt_without_the_secret(api: Api) -> None:
    code, receipt = received(api, applicant=APPLICANT)
    erased = api.http.delete(f"/v1/dossiers/{code}/applicant", headers=api.headers("registrar"))
    assert erased.status_code == 204
    page = web(api, "officer").get(f"/can-bo/bien-nhan/{code}")
    assert page.status_code == 200
    assert receipt["receipt_secret"] not in page.text
    assert APPLICANT["full_name"] not in page.text
    assert "Không còn mã bí mật" in text_of(page.text)


def test_a_code_the_rule_accepts_for_today_is_the_one_the_test_world_makes(api: Api) -> None:
    """The helper the other tests name their codes with agrees with the server's rule."""
    assert code_today(api.services, 7) == dossier_code(
        COMMUNE_AGENCY, local_date(api.clock.now()), 7
    )
    assert PROVINCE != COMMUNE
    assert PROVINCE_OFFICER != COMMUNE_OFFICER


def test_the_desk_and_the_dossiers_page_link_to_its_receipt_for_the_office_that_received_it(
    api: Api,
) -> None:
    code, _receipt = received(api, applicant=APPLICANT)
    link = f'href="/can-bo/bien-nhan/{code}"'
    commune = web(api, "officer")
    assert link in commune.get("/can-bo").text
    assert link in commune.get(f"/can-bo/xu-ly/{code}").text
    # handed over to the province, which holds it now but did not receive it: no receipt there
    sent = api.client("officer").record(
        api.key(COMMUNE_OFFICER),
        "handover.dispatched",
        code,
        {"to": PROVINCE, "purpose": "process", "documents": [DOCUMENT]},
    )
    api.client("province_officer").record(
        api.key(PROVINCE_OFFICER),
        "handover.acknowledged",
        code,
        {"dispatch": sent["digest"], "documents": [DOCUMENT]},
    )
    province = web(api, "province_officer")
    desk = province.get("/can-bo").text
    assert f'href="/can-bo/xu-ly/{code}"' in desk
    assert link not in desk
    assert link not in province.get(f"/can-bo/xu-ly/{code}").text
    assert 'id="to-dispatch"' not in commune.get(f"/can-bo/bien-nhan/{code}").text


def test_the_openapi_document_describes_the_code_route(api: Api) -> None:
    document = api.http.get("/openapi.json").json()
    operation = document["paths"]["/v1/dossier-codes"]["post"]
    assert {"201", "401", "403", "409"} <= set(operation["responses"])
    assert "reserved" in operation["description"]
    [example] = DossierCode.model_json_schema()["examples"]
    assert DossierCode.model_validate(example).model_dump() == example
    assert dossier_code_problem(example["code"], COMMUNE_AGENCY, date(2026, 3, 3)) is None
