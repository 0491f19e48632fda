"""Who may read what through the HTTP API: tokens that do not authenticate (401), tokens that may
not read this (403), and the applicant's personal data, read by the offices that held the dossier
and erased by a registrar.

Tokens (tests/apiworld.py): `officer` acts for cb-29266-vhxh in commune 29266/2025, under
province 86 since the reform of 1/7/2025; `province_officer` for cv-84-ldtbxh in 86;
`inspector` reads the subtree of 86, `commune_inspector` that of 29266/2025.
After the demo the commune receives AT_COMMUNE; the province receives KEPT_BY_PROVINCE and keeps
it, and SENT_TO_COMMUNE, which it sends to the commune; each with the applicant's details.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from ledger.log.audit import audit
from ledger.simulation.demo import demo_log_key
from ledger.stores.applicants import applicant_commitment
from tests.apiworld import (
    APPLICANT,
    COMMUNE,
    COMMUNE_OFFICER,
    DOCUMENT,
    PROVINCE,
    PROVINCE_AGENCY,
    PROVINCE_OFFICER,
    RECEIVED_BODY,
    Api,
    assert_problem,
    demo_code,
    get,
    ok,
    open_api,
)

AT_COMMUNE = demo_code(301)
ERASED = demo_code(302)
KEPT_BY_PROVINCE = demo_code(303, PROVINCE_AGENCY)
SENT_TO_COMMUNE = demo_code(304, PROVINCE_AGENCY)
ERASED_APPLICANT = {"full_name": "Lê Văn C", "phone": "0907654321", "address": "Ấp Mới"}
BEARER = 'Bearer realm="lienthong"'


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    directory = tmp_path_factory.mktemp("access")
    with open_api(f"sqlite:///{directory / 'ledger.db'}", directory) as opened:
        commune, commune_key = opened.client("officer"), opened.key(COMMUNE_OFFICER)
        commune.record(
            commune_key, "dossier.received", AT_COMMUNE, RECEIVED_BODY, applicant=APPLICANT
        )
        province, province_key = opened.client("province_officer"), opened.key(PROVINCE_OFFICER)
        for code in (KEPT_BY_PROVINCE, SENT_TO_COMMUNE):
            province.record(
                province_key, "dossier.received", code, RECEIVED_BODY, applicant=APPLICANT
            )
        province.record(
            province_key,
            "handover.dispatched",
            SENT_TO_COMMUNE,
            {"to": COMMUNE, "purpose": "process", "documents": [DOCUMENT]},
        )
        yield opened


# --- 401: no usable token ------------------------------------------------------------------------


def authorization(api: Api, case: str) -> dict[str, str]:
    """The Authorization header of each kind of token that does not authenticate."""
    if case == "none":
        return {}
    if case == "basic":
        return {"Authorization": "Basic dXNlcjpwYXNz"}
    if case == "malformed":
        return {"Authorization": "Bearer not-a-token"}
    if case == "unknown":
        return {"Authorization": f"Bearer lt1_00000000_{'A' * 43}"}
    if case == "wrong-secret":
        real = api.tokens["consumer"]
        return {"Authorization": f"Bearer {real[:-1]}{'B' if real[-1] != 'B' else 'C'}"}
    if case == "revoked":
        record, text = api.services.tokens.create(
            "consumer", now=api.clock.now(), valid_seconds=3600
        )
        assert get_with(api, text).status_code == 200
        api.services.tokens.revoke(record.id, api.clock.now())
        api.services.tokens_seen.clear()  # as when the seconds it is remembered for have passed
        return {"Authorization": f"Bearer {text}"}
    assert case == "expired"
    _record, text = api.services.tokens.create("consumer", now=api.clock.now(), valid_seconds=60)
    assert get_with(api, text).status_code == 200
    api.clock.advance(61)  # the other tokens are valid for thirty days
    return {"Authorization": f"Bearer {text}"}


def get_with(api: Api, token: str) -> httpx.Response:
    response: httpx.Response = api.http.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
    return response


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("none", "unauthenticated"),
        ("basic", "unauthenticated"),
        ("malformed", "token-malformed"),
        ("unknown", "token-unknown"),
        ("wrong-secret", "token-unknown"),
        ("expired", "token-expired"),
        ("revoked", "token-revoked"),
    ],
)
def test_a_token_that_does_not_authenticate_is_a_401_naming_why(
    api: Api, case: str, code: str
) -> None:
    response = api.http.get(f"/v1/dossiers/{AT_COMMUNE}", headers=authorization(api, case))
    assert_problem(response, 401, code)
    assert response.headers["www-authenticate"] == BEARER


def test_every_read_needs_a_token_but_the_lookup_and_the_log_key(api: Api) -> None:
    for path in (
        f"/v1/dossiers/{AT_COMMUNE}",
        f"/v1/dossiers/{AT_COMMUNE}/history",
        "/v1/stalls",
        f"/v1/offices/{COMMUNE}/inbox",
        "/v1/registry/offices",
        "/v1/log/checkpoint",
        "/v1/log/proofs/consistency?old=1",
        "/v1/events",
    ):
        assert_problem(api.http.get(path), 401, "unauthenticated")
    assert api.http.get("/v1/log/verifier").status_code == 200


def test_a_valid_token_says_who_it_is(api: Api) -> None:
    me = ok(get(api, "/v1/me", "officer"))
    assert (me["role"], me["office"], me["officer"]) == ("officer", COMMUNE, COMMUNE_OFFICER)


# --- 403: a valid token that may not read this ---------------------------------------------------


def test_a_commune_inspector_may_not_read_the_province_s_stalls(api: Api) -> None:
    response = get(api, "/v1/stalls", "commune_inspector", office=PROVINCE)
    assert f"may not read {PROVINCE}" in assert_problem(response, 403, "forbidden")["detail"]


A_WEEK_LATER = "2026-03-10T09:30:00+07:00"  # the demo ends, and these are received, on 3/3/2026


def commune_stalls(api: Api, role: str, **query: str) -> list[tuple[str, str, str]]:
    """The stalls a token reads a week after the receipts, of the dossiers made here."""
    stalls = ok(get(api, "/v1/stalls", role, as_of=A_WEEK_LATER, **query))["items"]
    ours = (AT_COMMUNE, SENT_TO_COMMUNE, KEPT_BY_PROVINCE)
    return [(item["code"], item["rule"], item["office"]) for item in stalls if item["code"] in ours]


def test_a_commune_inspector_reads_the_stalls_of_its_own_subtree(api: Api) -> None:
    assert commune_stalls(api, "commune_inspector") == [
        (SENT_TO_COMMUNE, "unacknowledged", COMMUNE),
        (AT_COMMUNE, "over_level_budget", COMMUNE),
    ]


def test_an_officer_may_not_read_another_office_s_stalls(api: Api) -> None:
    assert_problem(get(api, "/v1/stalls", "officer", office=PROVINCE), 403, "forbidden")


def test_a_province_inspector_reads_the_stalls_of_a_commune_below_it(api: Api) -> None:
    assert commune_stalls(api, "inspector", office=COMMUNE) == [
        (SENT_TO_COMMUNE, "unacknowledged", COMMUNE),
        (AT_COMMUNE, "over_level_budget", COMMUNE),
    ]


@pytest.mark.parametrize("read", ["", "/history", "/slip", "/bundle"])
def test_a_commune_inspector_may_not_read_a_dossier_that_never_passed_through_it(
    api: Api, read: str
) -> None:
    response = get(api, f"/v1/dossiers/{KEPT_BY_PROVINCE}{read}", "commune_inspector")
    assert "never passed through" in assert_problem(response, 403, "forbidden")["detail"]


def test_a_commune_inspector_reads_the_dossiers_that_passed_through_it(api: Api) -> None:
    held = ok(get(api, f"/v1/dossiers/{AT_COMMUNE}", "commune_inspector"))
    sent = ok(get(api, f"/v1/dossiers/{SENT_TO_COMMUNE}", "commune_inspector"))
    assert (held["custodian"], sent["transit_to"]) == (COMMUNE, COMMUNE)
    assert ok(get(api, f"/v1/dossiers/{KEPT_BY_PROVINCE}", "inspector"))["custodian"] == PROVINCE


@pytest.mark.parametrize("read", ["inbox", "report"])
def test_an_officer_may_not_read_another_office_s_inbox_or_report(api: Api, read: str) -> None:
    response = get(api, f"/v1/offices/{PROVINCE}/{read}", "officer")
    assert_problem(response, 403, "forbidden")


def test_an_officer_reads_its_own_office_s_inbox(api: Api) -> None:
    inbox = ok(get(api, f"/v1/offices/{COMMUNE}/inbox", "officer"))
    assert [(item["code"], item["transit_from"]) for item in inbox["items"]] == [
        (SENT_TO_COMMUNE, PROVINCE)
    ]


def test_a_province_inspector_reads_a_commune_s_inbox_in_its_subtree(api: Api) -> None:
    inbox = ok(get(api, f"/v1/offices/{COMMUNE}/inbox", "inspector"))
    assert [item["code"] for item in inbox["items"]] == [SENT_TO_COMMUNE]
    query = {"start": "2025-07-01", "end": "2025-07-08"}
    report = ok(get(api, f"/v1/offices/{COMMUNE}/report", "inspector", **query))
    assert (report["received"], report["early"]) == ({"direct": 1}, 1)  # the demo's 0005


def test_a_commune_inspector_may_not_read_the_province_s_inbox(api: Api) -> None:
    response = get(api, f"/v1/offices/{PROVINCE}/inbox", "commune_inspector")
    assert_problem(response, 403, "forbidden")


@pytest.mark.parametrize("query", [{}, {"office": PROVINCE}])
def test_a_consumer_may_not_read_stalls(api: Api, query: dict[str, str]) -> None:
    assert_problem(get(api, "/v1/stalls", "consumer", **query), 403, "forbidden")


def test_a_consumer_reads_dossiers_the_registry_and_the_log(api: Api) -> None:
    assert ok(get(api, f"/v1/dossiers/{KEPT_BY_PROVINCE}", "consumer"))["status"] == "held"
    assert ok(get(api, f"/v1/registry/offices/{PROVINCE}", "consumer"))["level"] == "province"
    assert get(api, "/v1/log/checkpoint", "consumer").status_code == 200


@pytest.mark.parametrize("role", ["consumer", "inspector", "commune_inspector"])
def test_only_officers_and_registrars_read_applicant_details(api: Api, role: str) -> None:
    response = get(api, f"/v1/dossiers/{AT_COMMUNE}/applicant", role)
    problem = assert_problem(response, 403, "forbidden")
    assert APPLICANT["full_name"] not in response.text
    assert "officers of an office that has held" in problem["detail"]


def test_an_officer_of_an_office_that_never_held_the_dossier_may_not_read_its_applicant(
    api: Api,
) -> None:
    response = get(api, f"/v1/dossiers/{AT_COMMUNE}/applicant", "province_officer")
    assert_problem(response, 403, "forbidden")


# --- applicant details: read, then erased ---------------------------------------------------


def test_an_officer_of_the_receiving_office_reads_the_applicant_details(api: Api) -> None:
    record = ok(get(api, f"/v1/dossiers/{AT_COMMUNE}/applicant", "officer"))
    assert (record["code"], record["details"]) == (AT_COMMUNE, APPLICANT)
    commitment = applicant_commitment(bytes.fromhex(record["salt"]), record["details"])
    assert record["commitment"] == commitment.hex()
    received = api.services.ledger.history("dossier", AT_COMMUNE)[0].statement
    assert received.body["applicant"] == commitment  # the log holds the commitment only


def test_an_office_the_dossier_was_sent_to_reads_its_applicant(api: Api) -> None:
    record = ok(get(api, f"/v1/dossiers/{SENT_TO_COMMUNE}/applicant", "officer"))
    assert record["details"] == APPLICANT
    assert ok(get(api, f"/v1/dossiers/{SENT_TO_COMMUNE}/applicant", "registrar")) == record


def test_only_a_registrar_erases_applicant_details(api: Api) -> None:
    response = api.http.delete(
        f"/v1/dossiers/{AT_COMMUNE}/applicant", headers=api.headers("officer")
    )
    assert_problem(response, 403, "forbidden")
    assert ok(get(api, f"/v1/dossiers/{AT_COMMUNE}/applicant", "officer"))["details"] == APPLICANT


def test_erased_applicant_details_are_gone_while_the_log_still_verifies(api: Api) -> None:
    receipt = api.client("officer").record(
        api.key(COMMUNE_OFFICER),
        "dossier.received",
        ERASED,
        RECEIVED_BODY,
        applicant=ERASED_APPLICANT,
    )
    lookup = {"code": ERASED, "secret": receipt["receipt_secret"]}
    assert api.http.post("/v1/public/lookup", json=lookup).status_code == 200
    path = f"/v1/dossiers/{ERASED}/applicant"
    assert ok(get(api, path, "officer"))["details"] == ERASED_APPLICANT

    erased = api.http.delete(path, headers=api.headers("registrar"))
    assert (erased.status_code, erased.content) == (204, b"")

    problem = assert_problem(get(api, path, "officer"), 410, "applicant-erased")
    assert ERASED_APPLICANT["full_name"] not in problem["detail"]
    store = api.services.applicants
    rows = store.query(
        "SELECT record, secret, secret_mac, erased_at FROM lienthong_applicants WHERE code = ?",
        (ERASED,),
    )
    assert [tuple(row) for row in rows] == [(None, None, None, api.clock.now())]
    keys = store.query("SELECT wrapped FROM lienthong_applicant_keys WHERE code = ?", (ERASED,))
    assert list(keys) == []
    report = audit(api.services.ledger, log_key=demo_log_key().verifier, workers=1)
    assert report.ok, [finding.describe() for finding in report.findings]
    assert report.checked == api.services.ledger.log_size()
    assert_problem(api.http.post("/v1/public/lookup", json=lookup), 404, "not-found")
    again = api.http.delete(path, headers=api.headers("registrar"))
    assert again.status_code == 204  # erasing again changes nothing


def test_erasing_the_applicant_of_a_dossier_without_one_is_a_not_found_problem(api: Api) -> None:
    response = api.http.delete(
        "/v1/dossiers/000.00.01.H59-250101-9999/applicant", headers=api.headers("registrar")
    )
    assert_problem(response, 404, "unknown-applicant")


# --- across the reform of 1/7/2025 -----------------------------------------------------------

LEFT_IN_TRANSIT = "000.00.01.H59-250626-0004"  # sent by 29266 to district 844 on 30/6, never taken


def test_the_successor_province_s_inspector_sees_a_stall_left_at_a_dissolved_district(
    api: Api,
) -> None:
    stalls = ok(get(api, "/v1/stalls", "inspector"))["items"]
    assert LEFT_IN_TRANSIT in [stall["code"] for stall in stalls]


def test_the_successor_commune_s_inspector_reads_the_dossiers_of_the_communes_merged_into_it(
    api: Api,
) -> None:
    found = ok(get(api, f"/v1/dossiers/{LEFT_IN_TRANSIT}", "commune_inspector"))
    assert found["received_by"] == "29266"
