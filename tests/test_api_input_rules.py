"""Input the ledger cannot store or compute with is refused as a 422 problem at the edge, never a 500:
identifiers that break the one identifier rule (a NUL, a space, markup, a lone surrogate) in every
path, query and body field that names a subject; free text that no database can hold; instants
outside the range the ledger computes with. The NUL-byte attack is played on PostgreSQL, whose
text columns cannot hold a NUL, with and without a token."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from api.http.web.oversight import office_refusal
from domain.identifier import dossier_code
from domain.instant import LATEST, local_date
from tests.apiworld import (
    COMMUNE,
    COMMUNE_AGENCY,
    COMMUNE_OFFICER,
    Api,
    assert_problem,
    demo_code,
    get,
    open_api,
)

CODE = "000.00.01.H59-250602-0001"  # the demo's first dossier
RECEIPT_LIKE = "AAAA-BBBB-CC"  # of the receipt secret's form, so the lookup would query the database
BAD_CODES = [
    "a\x00b",  # PostgreSQL cannot hold it: the reported 500
    "ab\ud800",  # a lone surrogate: no UTF-8 text holds it
    "../../etc/passwd",
    "<script>",
    "two words",
    "a" * 129,
]


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    directory = tmp_path_factory.mktemp("input-rules")
    with open_api(f"sqlite:///{directory / 'ledger.db'}", directory) as opened:
        opened.http._transport.raise_server_exceptions = False  # type: ignore[attr-defined]
        yield opened


def in_path(text: str) -> str:
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def identifier_reads(code: str) -> list[str]:
    """Every read that names a dossier, office, officer, key or procedure, with `code` there."""
    named = in_path(code)
    return [
        f"/v1/dossiers/{named}",
        f"/v1/dossiers/{named}/history",
        f"/v1/dossiers/{named}/slip",
        f"/v1/dossiers/{named}/bundle",
        f"/v1/dossiers/{named}/applicant",
        f"/v1/offices/{named}/inbox",
        f"/v1/offices/{named}/report",
        f"/v1/registry/offices/{named}",
        f"/v1/registry/officers/{named}",
        f"/v1/registry/keys/{named}",
        f"/v1/stalls?office={named}",
        f"/v1/stalls?procedure={named}",
        f"/v1/stalls?level={named}",
        f"/v1/registry/officers?office={named}",
        f"/v1/registry/offices?cursor={named}",
        f"/v1/log/proofs/inclusion?seq=1&code={named}",
    ]


def lookup(api: Api, code: str, secret: str = RECEIPT_LIKE) -> httpx.Response:
    body = f'{{"code": "{code}", "secret": "{secret}"}}'.encode("utf-8", "surrogatepass")
    return api.http.post(
        "/v1/public/lookup", content=body, headers={"Content-Type": "application/json"}
    )


def json_text(text: str) -> str:
    """`text` as the inside of a JSON string, control characters and surrogates escaped."""
    return "".join(c if " " <= c < "\x7f" and c not in '"\\' else f"\\u{ord(c):04x}" for c in text)


# --- identifiers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("code", BAD_CODES, ids=repr)
def test_refuses_an_identifier_that_breaks_the_rule_in_every_read(api: Api, code: str) -> None:
    for path in identifier_reads(code):
        response = api.http.get(path, headers=api.headers("registrar"))
        if "/" in code:  # a code with slashes may route nowhere: still never a fault
            assert response.status_code in (404, 422), (path, response.text)
            continue
        problem = assert_problem(response, 422, "malformed-request")
        assert "pattern" in problem["detail"] or "at most" in problem["detail"], problem


@pytest.mark.parametrize("code", BAD_CODES, ids=repr)
def test_the_public_lookup_refuses_a_code_that_breaks_the_rule(api: Api, code: str) -> None:
    assert_problem(lookup(api, json_text(code)), 422, "malformed-request")


@pytest.mark.parametrize("secret", ["AAAA\x00BBBB", "AAAA\ud800BBB", "AAAA\x1bBBBB"], ids=repr)
def test_the_public_lookup_refuses_a_secret_that_cannot_be_stored(api: Api, secret: str) -> None:
    assert_problem(lookup(api, CODE, json_text(secret)), 422, "malformed-request")


def test_the_lookup_page_refuses_a_code_that_breaks_the_rule_in_words(api: Api) -> None:
    response = api.http.post("/tra-cuu?lang=vi", data={"code": "a\x00b", "secret": RECEIPT_LIKE})
    assert response.status_code == 422
    assert "Mã hồ sơ không đúng dạng" in response.text
    assert "\x00" not in response.text
    english = api.http.post("/tra-cuu?lang=en", data={"code": "<b>x</b>", "secret": RECEIPT_LIKE})
    assert english.status_code == 422
    assert "That is not a dossier code" in english.text
    assert "<b>x</b>" not in english.text


def test_the_lookup_page_refuses_a_secret_that_cannot_be_stored(api: Api) -> None:
    response = api.http.post("/tra-cuu?lang=vi", data={"code": CODE, "secret": "AAAA\x00BBBBB"})
    assert response.status_code == 422
    assert "Mã bí mật chỉ gồm chữ và số" in response.text


@pytest.mark.parametrize("path", ["/xac-minh/", "/xac-minh/tai/"])
def test_the_verification_pages_refuse_a_code_that_breaks_the_rule(api: Api, path: str) -> None:
    response = api.http.get(path + in_path("a\x00b") + "?lang=vi")
    assert response.status_code == 422
    assert "Mã hồ sơ không đúng dạng" in response.text


def test_the_pages_refuse_an_office_that_breaks_the_rule(api: Api) -> None:
    token = api.services.tokens_seen.authenticate(api.tokens["inspector"], api.clock.now())
    refused = office_refusal(
        api.services, token, "a\x00b", api.services.inspector(), api.clock.now(), "vi"
    )
    assert refused is not None
    assert refused[0] == 422
    assert "Mã cơ quan không đúng dạng" in refused[1]


def prepare(api: Api, **fields: Any) -> httpx.Response:
    body: dict[str, Any] = {
        "kind": "handover.dispatched",
        "subject": CODE,
        "office": COMMUNE,
        "officer": COMMUNE_OFFICER,
        "key": "ed25519:0123456789abcdef",
        "body": {"to": "86", "purpose": "process", "documents": []},
        **fields,
    }
    text = _dumps(body)
    return api.http.post(
        "/v1/statements/prepare",
        content=text.encode("utf-8"),
        headers={**api.headers("officer"), "Content-Type": "application/json"},
    )


def _dumps(value: Any) -> str:
    """JSON with every string escaped by `json_text`: lone surrogates travel as \\uXXXX."""
    if isinstance(value, str):
        return f'"{json_text(value)}"'
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_dumps(k)}: {_dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_dumps(v) for v in value) + "]"
    if value is None:
        return "null"
    return str(value)


@pytest.mark.parametrize("field", ["subject", "office", "officer", "key"])
@pytest.mark.parametrize("value", ["a\x00b", "ab\ud800", "<script>"], ids=repr)
def test_prepare_refuses_an_identifier_that_breaks_the_rule(api: Api, field: str, value: str) -> None:
    problem = assert_problem(prepare(api, **{field: value}), 422, "malformed-request")
    assert f"body.{field}" in problem["detail"]


@pytest.mark.parametrize("note", ["a\ud800b", "a\x00b", "\udfff"], ids=repr)
def test_prepare_refuses_body_text_that_cannot_be_stored(api: Api, note: str) -> None:
    body = {"to": "86", "purpose": "process", "documents": [], "note": note}
    response = prepare(api, body=body)
    assert response.status_code == 422, response.text
    assert "note" in response.json()["detail"]


def test_prepare_refuses_applicant_details_that_cannot_be_stored(api: Api) -> None:
    response = prepare(
        api,
        kind="dossier.received",
        subject=demo_code(42),
        body={"procedure": "merit-education-preference", "version": 2, "channel": "direct"},
        applicant={"full_name": "Trần\x00Thị B"},
    )
    problem = assert_problem(response, 422, "malformed-request")
    assert "full_name" in problem["detail"]
    assert "U+0000" in problem["detail"]


# --- instants ------------------------------------------------------------------------------------

OUT_OF_RANGE = [
    "9223372036854775807",  # the reported 500
    str(LATEST + 1),
    "9999-12-31T23:59:59+00:00",
    "0001-01-01T00:00:00+07:00",
    "1969-12-31T23:59:59Z",
]


@pytest.mark.parametrize("value", OUT_OF_RANGE)
@pytest.mark.parametrize(
    ("path", "name"),
    [(f"/v1/dossiers/{CODE}", "as_of"), (f"/v1/dossiers/{CODE}/slip", "at"), ("/v1/stalls", "as_of")],
)
def test_refuses_an_instant_outside_the_range_naming_it_and_the_range(
    api: Api, path: str, name: str, value: str
) -> None:
    problem = assert_problem(get(api, path, "inspector", **{name: value}), 422, "bad-request")
    assert problem["detail"].startswith(f"{name}: ")
    assert "1970-01-01T00:00:00Z to 9998-12-31T23:59:59.999999+07:00" in problem["detail"]


@pytest.mark.parametrize(
    ("path", "name"),
    [(f"/v1/dossiers/{CODE}", "as_of"), (f"/v1/dossiers/{CODE}/slip", "at"), ("/v1/stalls", "as_of")],
)
def test_the_ends_of_the_range_are_answered(api: Api, path: str, name: str) -> None:
    for value in ("0", str(LATEST), "9998-12-31T23:59:59.999999+07:00"):
        response = get(api, path, "inspector", **{name: value})
        assert response.status_code in (200, 404), (value, response.text)


@pytest.mark.parametrize("at", [9223372036854775807, LATEST + 1, -1])
def test_prepare_refuses_an_at_outside_the_range(api: Api, at: int) -> None:
    problem = assert_problem(prepare(api, at=at), 422, "malformed-request")
    assert "body.at" in problem["detail"]
    assert "1970-01-01T00:00:00Z to 9998-12-31" in problem["detail"]


RECEIVED_AT_LATEST = {
    "procedure": "merit-education-preference",
    "version": 2,
    "channel": "direct",
    "documents": [],
    "applicant": "00" * 32,
}


def prepare_at_latest(api: Api, **body: Any) -> httpx.Response:
    return prepare(
        api,
        kind="dossier.received",
        subject=dossier_code(COMMUNE_AGENCY, local_date(LATEST), 43),  # received on its day
        at=LATEST,
        body={**RECEIVED_AT_LATEST, **body},
    )


def test_prepare_builds_on_the_last_instant_of_the_range(api: Api) -> None:
    response = prepare_at_latest(api, appointed=LATEST)
    assert response.status_code == 200, response.text
    assert response.json()["decoded"]["at"] == LATEST


def test_prepare_refuses_a_deadline_the_law_would_put_past_the_range(api: Api) -> None:
    response = prepare_at_latest(api)
    assert response.status_code == 422, response.text
    assert "body.appointed" in response.json()["detail"]


# --- PostgreSQL: the NUL byte --------------------------------------------------------------------


@pytest.mark.postgres
def test_a_nul_byte_in_a_code_is_refused_on_postgresql_with_or_without_a_token(
    postgres_url: str, tmp_path: Path
) -> None:
    with open_api(postgres_url, tmp_path) as opened:
        opened.http._transport.raise_server_exceptions = False  # type: ignore[attr-defined]
        assert_problem(lookup(opened, json_text("a\x00b")), 422, "malformed-request")
        assert_problem(lookup(opened, CODE, json_text("AAAA\x00BBBB")), 422, "malformed-request")
        page = opened.http.post("/tra-cuu", data={"code": "a\x00b", "secret": RECEIPT_LIKE})
        assert page.status_code == 422
        for path in identifier_reads("a\x00b"):
            with_token = opened.http.get(path, headers=opened.headers("officer"))
            assert_problem(with_token, 422, "malformed-request")
            without = opened.http.get(path)
            assert without.status_code in (401, 422), (path, without.text)
        for path in ("/xac-minh/", "/xac-minh/tai/"):
            assert opened.http.get(path + in_path("a\x00b")).status_code == 422
        assert prepare(opened, subject="a\x00b").status_code == 422


# --- media types ---------------------------------------------------------------------------------


def test_bodies_are_read_whatever_the_case_of_their_media_type(api: Api) -> None:
    """Media types are case-insensitive (RFC 9110 §8.3.1): the lookup's JSON, the prepare's JSON,
    the lookup page's form and the verification page's upload are read under any case."""
    looked_up = api.http.post(
        "/v1/public/lookup",
        content=f'{{"code": "{CODE}", "secret": "{RECEIPT_LIKE}"}}'.encode(),
        headers={"Content-Type": "Application/JSON; Charset=UTF-8"},
    )
    assert looked_up.status_code == 404, looked_up.text  # read, and no such secret
    prepared = api.http.post(
        "/v1/statements/prepare",
        content=json.dumps(
            {
                "kind": "handover.dispatched",
                "subject": CODE,
                "office": COMMUNE,
                "officer": COMMUNE_OFFICER,
                "key": "ed25519:0123456789abcdef",
                "body": {},
            }
        ).encode(),
        headers={**api.headers("officer"), "Content-Type": "APPLICATION/json"},
    )
    assert prepared.json()["code"] == "missing-field", prepared.text  # read, and incomplete
    page = api.http.post(
        "/tra-cuu?lang=vi",
        content=f"code={CODE}&secret={RECEIPT_LIKE}".encode(),
        headers={"Content-Type": "Application/X-WWW-Form-Urlencoded"},
    )
    assert page.status_code == 404  # read, and no such secret: not "enter both fields"
    boundary = "XyZ"
    upload = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="b.bundle"\r\n'
        f"Content-Type: application/octet-stream\r\n\r\nnot a bundle\r\n--{boundary}--\r\n"
    ).encode()
    verified = api.http.post(
        "/xac-minh?lang=vi",
        content=upload,
        headers={"Content-Type": f"Multipart/Form-Data; Boundary={boundary}"},
    )
    assert verified.status_code == 422  # read, and not a bundle: not "choose a file"
    assert "Tệp này không phải là gói kiểm toán đọc được" in verified.text
