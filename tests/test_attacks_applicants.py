"""Attacks on the applicant's personal data, as an officer of another office would try them:
planting details on a dossier, swapping them between another office's prepare and submit, and
getting served a record the receiving officer never signed. Every refusal stores nothing.

A new dossier's code begins with its receiving office's agency identifier (the circular's rule,
docs/api.md), so another office cannot even prepare a receipt of the commune's next code: it is
refused as `dossier-code-agency` before any detail is looked at. Another officer of the same
office can, and is refused as `applicant-held` while the first one's details are pending."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import msgpack
import pytest
from fastapi.testclient import TestClient

from api.client import ApiProblem
from ledger.errors import UnknownApplicant
from ledger.statements.signing import Envelope
from tests.apiworld import (
    APPLICANT,
    COMMUNE,
    COMMUNE_OFFICER,
    PROVINCE,
    PROVINCE_OFFICER,
    RECEIVED_BODY,
    Api,
    assert_problem,
    code_today,
    open_api,
)
from tests.websession import SAME_SITE, csrf_meta, sign_in

PLANTED = {"full_name": "Kẻ Mạo Danh", "id_number": "000000000000", "phone": "0999999999"}
COMMITTED = {**RECEIVED_BODY, "applicant": bytes(range(32))}  # the client kept the record itself


@pytest.fixture
def api(database_url: str, tmp_path: Path) -> Iterator[Api]:
    with open_api(database_url, tmp_path) as opened:
        yield opened


def hexed(value: Any) -> Any:
    """A value as JSON carries it: bytes in hex."""
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {key: hexed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [hexed(item) for item in value]
    return value


COLLEAGUE = "cb-29269-vhxh"  # the demo's other officer of the commune since 1/7/2025
SIGNERS = {
    "officer": (COMMUNE_OFFICER, COMMUNE),
    "province_officer": (PROVINCE_OFFICER, PROVINCE),
    "colleague": (COLLEAGUE, COMMUNE),
}


def prepare(api: Api, role: str, code: str, **fields: Any) -> httpx.Response:
    """POST /v1/statements/prepare of a dossier.received by `role`'s officer, `fields` changed."""
    officer, office = SIGNERS[role]
    request = {
        "kind": "dossier.received",
        "subject": code,
        "office": office,
        "officer": officer,
        "key": api.key(officer).key_id,
        "body": hexed(RECEIVED_BODY),
        **fields,
    }
    response: httpx.Response = api.http.post(
        "/v1/statements/prepare", json=request, headers=api.headers(role)
    )
    return response


def stored_codes(api: Api) -> list[str]:
    rows = api.services.applicants.query("SELECT code FROM lienthong_applicants ORDER BY code")
    return [str(row[0]) for row in rows]


def web(api: Api, role: str) -> TestClient:
    """A browser session of `role` on the officer's pages (signing in records nothing)."""
    http = TestClient(api.http.app)
    response = sign_in(http, api.tokens[role], "/can-bo", follow_redirects=False)
    assert response.status_code == 303, response.text
    # what the officer's pages send with their scripts' requests (api/http/web/csrf.py)
    http.headers.update({**SAME_SITE, "X-CSRF-Token": csrf_meta(http.get("/can-bo").text)})
    return http


def web_prepare(http: TestClient, api: Api, officer: str, code: str) -> httpx.Response:
    intent = {
        "kind": "dossier.received",
        "subject": code,
        "key": api.key(officer).key_id,
        "body": {**RECEIVED_BODY, "documents": []},
        "applicant": PLANTED,
    }
    return http.post("/can-bo/ky/chuan-bi", json=intent)


# --- planting details on a dossier already received --------------------------------------------


def test_refuses_applicant_details_for_a_dossier_already_received(api: Api) -> None:
    code = code_today(api.services, 201)
    api.client("officer").record(api.key(COMMUNE_OFFICER), "dossier.received", code, COMMITTED)
    before = stored_codes(api)

    response = prepare(api, "province_officer", code, applicant=PLANTED)

    problem = assert_problem(response, 409, "dossier-exists")
    assert "already received" in problem["detail"]
    assert stored_codes(api) == before
    with pytest.raises(ApiProblem) as caught:
        api.client("officer").applicant(code)
    assert caught.value.status == 404  # no record: nothing planted to serve


def test_the_web_page_refuses_applicant_details_for_a_dossier_already_received(api: Api) -> None:
    code = code_today(api.services, 202)
    api.client("officer").record(api.key(COMMUNE_OFFICER), "dossier.received", code, COMMITTED)
    before = stored_codes(api)

    response = web_prepare(web(api, "province_officer"), api, PROVINCE_OFFICER, code)

    assert_problem(response, 409, "dossier-exists")
    assert stored_codes(api) == before


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"subject": "../../etc/passwd"}, 422, None),
        ({"office": COMMUNE, "officer": COMMUNE_OFFICER}, 403, "forbidden"),
        ({"kind": "dossier.withdrawn", "body": {"reason": "x"}}, 422, "bad-request"),
        ({"body": {**hexed(RECEIVED_BODY), "procedure": "no-such-procedure"}}, 422, None),
    ],
    ids=["bad-code", "another-office", "another-kind", "unbuildable"],
)
def test_refuses_applicant_details_before_storing_them(
    api: Api, change: dict[str, Any], status: int, code: str | None
) -> None:
    before = stored_codes(api)
    response = prepare(
        api,
        "province_officer",
        "000.66.29.H59-250708-0203",
        applicant=PLANTED,
        **change,
    )
    assert response.status_code == status, response.text
    if code is not None:
        assert response.json()["code"] == code
    assert stored_codes(api) == before


def test_refuses_applicant_details_beside_a_commitment_of_the_clients_own(api: Api) -> None:
    response = prepare(
        api,
        "province_officer",
        code_today(api.services, 207, PROVINCE),
        body=hexed(COMMITTED),
        applicant=PLANTED,
    )

    problem = assert_problem(response, 422, "bad-request")
    assert "not both" in problem["detail"]
    assert stored_codes(api) == []


def test_the_web_page_refuses_applicant_details_beside_a_commitment_as_the_api_does(
    api: Api,
) -> None:
    intent = {
        "kind": "dossier.received",
        "subject": code_today(api.services, 208, PROVINCE),
        "key": api.key(PROVINCE_OFFICER).key_id,
        "body": {**hexed(COMMITTED), "documents": []},
        "applicant": PLANTED,
    }

    response = web(api, "province_officer").post("/can-bo/ky/chuan-bi", json=intent)

    problem = assert_problem(response, 422, "bad-request")
    assert "not both" in problem["detail"]
    assert stored_codes(api) == []


# --- swapping details between another office's prepare and submit ------------------------------


def test_refuses_to_replace_another_offices_pending_applicant_details(api: Api) -> None:
    code = code_today(api.services, 204)
    key = api.key(COMMUNE_OFFICER)
    raw = api.client("officer").prepare(
        key, "dossier.received", code, RECEIVED_BODY, applicant=APPLICANT
    )
    held = stored_codes(api)

    # between the commune's prepare and its submit, another office prepares the same code: the
    # code is not of its office
    attack = prepare(api, "province_officer", code, applicant=PLANTED)
    assert "000.00.40.H59" in assert_problem(attack, 422, "dossier-code-agency")["detail"]
    page = web_prepare(web(api, "province_officer"), api, PROVINCE_OFFICER, code)
    assert_problem(page, 422, "dossier-code-agency")
    # another officer of the same office: the details are held by the first
    api.tokens["colleague"] = api.token("officer", office=COMMUNE, officer=COLLEAGUE)
    colleague = prepare(api, "colleague", code, applicant=PLANTED)
    problem = assert_problem(colleague, 409, "applicant-held")
    assert COMMUNE_OFFICER in problem["detail"]
    # and so does the page
    page = web_prepare(web(api, "colleague"), api, COLLEAGUE, code)
    assert_problem(page, 409, "applicant-held")
    assert stored_codes(api) == held

    receipt = api.client("officer").submit(Envelope(raw, key.sign(raw)))

    assert receipt["receipt_secret"] is not None
    stored = api.client("officer").applicant(code)
    assert stored["details"] == APPLICANT
    [entry] = api.client("officer").history(code)
    assert entry["decoded"]["body"]["applicant"] == stored["commitment"]


def test_the_same_officer_may_prepare_its_receipt_again(api: Api) -> None:
    code = code_today(api.services, 205)
    key = api.key(COMMUNE_OFFICER)
    client = api.client("officer")
    client.prepare(key, "dossier.received", code, RECEIVED_BODY, applicant=PLANTED)
    raw = client.prepare(key, "dossier.received", code, RECEIVED_BODY, applicant=APPLICANT)

    receipt = client.submit(Envelope(raw, key.sign(raw)))

    assert receipt["receipt_secret"] is not None
    assert client.applicant(code)["details"] == APPLICANT


# --- a record the receiving officer did not sign is never served --------------------------------


def planted(api: Api, code: str) -> str | None:
    """What the earlier code let another office do: store details for a dossier whose receipt
    committed to something else (here straight into the store), confirmed with a secret."""
    store, now = api.services.applicants, api.clock.now()
    proposal = store.propose(code, PLANTED, now, office=PROVINCE, officer=PROVINCE_OFFICER)
    return store.confirm(code, proposal.commitment, now, office=PROVINCE)


def test_an_applicant_record_the_receipt_did_not_sign_is_not_served(api: Api) -> None:
    code = code_today(api.services, 206)
    api.client("officer").record(api.key(COMMUNE_OFFICER), "dossier.received", code, COMMITTED)
    planted(api, code)

    response = api.http.get(f"/v1/dossiers/{code}/applicant", headers=api.headers("officer"))

    problem = assert_problem(response, 409, "applicant-mismatch")
    for value in PLANTED.values():
        assert value not in response.text
    assert "not the one the receiving officer signed" in problem["detail"]


def test_the_secret_of_a_record_the_receipt_did_not_sign_opens_no_lookup(api: Api) -> None:
    code = code_today(api.services, 207)
    api.client("officer").record(api.key(COMMUNE_OFFICER), "dossier.received", code, COMMITTED)
    secret = planted(api, code)
    assert secret is not None

    response = api.http.post("/v1/public/lookup", json={"code": code, "secret": secret})

    assert_problem(response, 404, "not-found")


def test_a_lookup_of_a_dossier_never_received_is_the_same_not_found(api: Api) -> None:
    response = api.http.post(
        "/v1/public/lookup", json={"code": "000.66.29.H59-250708-0299", "secret": "ABCDEFGHJK"}
    )
    assert_problem(response, 404, "not-found")


def test_a_submit_confirms_only_the_record_its_statement_signed(api: Api) -> None:
    """A pending record that commits to something else stays pending and unserved."""
    code = code_today(api.services, 208)
    store, now = api.services.applicants, api.clock.now()
    store.propose(code, PLANTED, now, office=COMMUNE, officer=COMMUNE_OFFICER)

    receipt = api.client("officer").record(
        api.key(COMMUNE_OFFICER), "dossier.received", code, COMMITTED
    )

    assert receipt["receipt_secret"] is None
    assert not store.read(code).recorded
    response = api.http.get(f"/v1/dossiers/{code}/applicant", headers=api.headers("officer"))
    assert_problem(response, 409, "applicant-mismatch")


def test_nothing_is_stored_for_a_refused_web_prepare(api: Api) -> None:
    with pytest.raises(UnknownApplicant):
        api.services.applicants.read("000.66.29.H59-250708-0203")
    response = web_prepare(web(api, "province_officer"), api, PROVINCE_OFFICER, "../x")
    assert response.status_code == 422, response.text
    assert stored_codes(api) == []


# --- the envelope's media type and fields ------------------------------------------------------


def envelope(api: Api, code: str) -> Envelope:
    key = api.key(COMMUNE_OFFICER)
    raw = api.client("officer").prepare(key, "dossier.received", code, COMMITTED)
    api.attach(code)  # the file it lists goes up first, as the client does
    return Envelope(raw, key.sign(raw))


def as_json(signed: Envelope) -> dict[str, str]:
    return {
        "statement": base64.b64encode(signed.statement).decode(),
        "signature": base64.b64encode(signed.signature).decode(),
    }


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml", None]
)
def test_refuses_an_envelope_in_another_media_type_with_415(
    api: Api, content_type: str | None
) -> None:
    signed = envelope(api, code_today(api.services, 209))
    size = api.services.ledger.log_size()
    headers = api.headers("officer")
    if content_type is not None:
        headers["Content-Type"] = content_type
    body = httpx.Request("POST", "/", json=as_json(signed)).content

    response = api.http.post("/v1/statements", content=body, headers=headers)

    problem = assert_problem(response, 415, "unsupported-media-type")
    assert "application/json" in problem["detail"]
    assert api.services.ledger.log_size() == size


def test_refuses_an_envelope_with_an_unknown_field_naming_it(api: Api) -> None:
    signed = envelope(api, code_today(api.services, 210))
    size = api.services.ledger.log_size()

    response = api.http.post(
        "/v1/statements",
        json={**as_json(signed), "recorded_at": 0},
        headers=api.headers("officer"),
    )

    problem = assert_problem(response, 422, "bad-envelope")
    assert "recorded_at" in problem["detail"]
    assert api.services.ledger.log_size() == size


@pytest.mark.parametrize(
    ("content_type", "number"),
    [("Application/MsgPack", 211), ("APPLICATION/JSON; charset=UTF-8", 212)],
)
def test_media_types_are_matched_whatever_their_case(
    api: Api, content_type: str, number: int
) -> None:
    code = code_today(api.services, number)
    signed = envelope(api, code)
    body = (
        msgpack.packb({"statement": signed.statement, "signature": signed.signature})
        if "msgpack" in content_type.lower()
        else httpx.Request("POST", "/", json=as_json(signed)).content
    )

    response = api.http.post(
        "/v1/statements",
        content=body,
        headers={**api.headers("officer"), "Content-Type": content_type},
    )

    assert response.status_code == 201, response.text
    assert response.json()["subject"] == code
