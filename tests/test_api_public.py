"""The citizen's lookup (tra cứu hồ sơ): a dossier code and the secret printed on the receipt show
where the dossier is and when the result is due, with no token and nothing about the applicant;
refusals do not tell a wrong secret from an unknown code; guessing is slowed by a rate limit per
client address and per dossier code.

After the demo the commune 29266/2025 receives HELD and SENT, each with the applicant's details,
and sends SENT to province 86.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.apiworld import (
    APPLICANT,
    COMMUNE,
    COMMUNE_OFFICER,
    DOCUMENT,
    PROVINCE,
    RECEIVED_BODY,
    Api,
    ok,
    open_api,
)

# received when the demo ends, on Tuesday 3/3/2026 at 08:30
HELD = "000.66.29.H59-260303-0401"
SENT = "000.66.29.H59-260303-0402"
UNKNOWN = "000.66.29.H59-260303-9999"
LOOKUP_FIELDS = {
    "code",
    "procedure",
    "procedure_name",
    "status",
    "office",
    "office_name",
    "since",
    "since_iso",
    "appointed",
    "appointed_iso",
    "decided",
    "ended",
}


def receive(api: Api, code: str) -> str:
    """Receive a dossier at the commune with the applicant's details; the receipt's secret."""
    receipt = api.client("officer").record(
        api.key(COMMUNE_OFFICER), "dossier.received", code, RECEIVED_BODY, applicant=APPLICANT
    )
    secret: str = receipt["receipt_secret"]
    return secret


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Api, dict[str, str]]]:
    directory = tmp_path_factory.mktemp("public")
    url = f"sqlite:///{directory / 'ledger.db'}"
    with open_api(url, directory, lookups_per_minute=1000) as api:
        secrets = {code: receive(api, code) for code in (HELD, SENT)}
        api.client("officer").record(
            api.key(COMMUNE_OFFICER),
            "handover.dispatched",
            SENT,
            {"to": PROVINCE, "purpose": "process", "documents": [DOCUMENT]},
        )
        yield api, secrets


@pytest.fixture
def api(world: tuple[Api, dict[str, str]]) -> Api:
    return world[0]


@pytest.fixture
def secrets(world: tuple[Api, dict[str, str]]) -> dict[str, str]:
    return world[1]


def lookup(http: TestClient, code: str, secret: str) -> httpx.Response:
    """The lookup as a citizen's browser makes it: no token."""
    response: httpx.Response = http.post("/v1/public/lookup", json={"code": code, "secret": secret})
    return response


def test_lookup_shows_the_status_the_office_and_the_appointed_date(
    api: Api, secrets: dict[str, str]
) -> None:
    found = ok(lookup(api.http, HELD, secrets[HELD]))
    location = api.services.views().location(HELD)
    assert location is not None
    assert found == {
        "code": HELD,
        "procedure": "merit-education-preference",
        "procedure_name": "Ưu đãi trong giáo dục đào tạo",
        "status": "held",
        "office": COMMUNE,
        "office_name": "Xã Càng Long",
        "since": location.since,
        "since_iso": "2026-03-03T08:30:00+07:00",
        "appointed": location.appointed,
        # ten working days: the commune's three and the province's seven
        "appointed_iso": "2026-03-17T23:59:59.999999+07:00",
        "decided": None,
        "ended": None,
    }


def test_lookup_of_a_dossier_in_transit_names_the_office_it_was_sent_to(
    api: Api, secrets: dict[str, str]
) -> None:
    found = ok(lookup(api.http, SENT, secrets[SENT]))
    assert (found["status"], found["office"], found["office_name"]) == (
        "in_transit",
        PROVINCE,
        "Tỉnh Vĩnh Long",
    )


def test_lookup_shows_no_personal_data(api: Api, secrets: dict[str, str]) -> None:
    response = lookup(api.http, HELD, secrets[HELD])
    assert set(response.json()) == LOOKUP_FIELDS
    for value in APPLICANT.values():
        assert value not in response.text
    for word in ("applicant", "salt", "commitment", "officer"):
        assert word not in response.text


@pytest.mark.parametrize(
    "typed",
    [
        lambda secret: secret.lower(),
        lambda secret: f"{secret[:4]}-{secret[4:8]}-{secret[8:]}",
        lambda secret: f"  {secret[:5]} {secret[5:]} ",
        # Crockford's base32 reads I and L as 1 and O as 0
        lambda secret: secret.replace("1", "l").replace("0", "o"),
    ],
    ids=["lowercase", "dashes", "spaces", "letters-for-digits"],
)
def test_lookup_forgives_how_the_secret_is_typed(
    api: Api, secrets: dict[str, str], typed: Callable[[str], str]
) -> None:
    assert ok(lookup(api.http, HELD, typed(secrets[HELD])))["code"] == HELD


def test_lookup_finds_a_code_typed_in_any_letter_case(api: Api, secrets: dict[str, str]) -> None:
    """As the lookup page does (api/http/lookup.py stored_code): the agency identifiers that begin
    a code are upper case, so "…h59…" finds "…H59…"."""
    assert HELD.lower() != HELD
    assert ok(lookup(api.http, HELD.lower(), secrets[HELD]))["code"] == HELD


def test_a_wrong_secret_and_an_unknown_code_give_the_same_not_found_problem(
    api: Api, secrets: dict[str, str]
) -> None:
    wrong = "Z" if secrets[HELD][0] != "Z" else "Y"
    refusals = [
        lookup(api.http, HELD, wrong + secrets[HELD][1:]),
        lookup(api.http, UNKNOWN, secrets[HELD]),
        lookup(api.http, HELD, secrets[SENT]),  # another dossier's secret
        lookup(api.http, HELD, "too short"),
    ]
    assert {response.status_code for response in refusals} == {404}
    assert {response.headers["content-type"] for response in refusals} == {
        "application/problem+json"
    }
    bodies = [response.json() for response in refusals]
    assert all(body == bodies[0] for body in bodies)
    assert (bodies[0]["code"], bodies[0]["type"]) == ("not-found", "/problems/not-found")
    assert HELD not in bodies[0]["detail"]


def test_lookup_is_refused_when_its_fields_are_missing(api: Api) -> None:
    response = api.http.post("/v1/public/lookup", json={"code": HELD})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert "secret" in response.json()["detail"]


def test_the_fourth_lookup_in_a_minute_is_rate_limited(tmp_path: Path) -> None:
    with open_api(f"sqlite:///{tmp_path / 'ledger.db'}", tmp_path, lookups_per_minute=3) as api:
        secret = receive(api, HELD)
        answers = [lookup(api.http, HELD, secret) for _ in range(3)]
        assert [answer.status_code for answer in answers] == [200, 200, 200]
        refused = lookup(api.http, HELD, secret)
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        problem = refused.json()
        assert (problem["code"], problem["type"]) == ("rate-limited", "/problems/rate-limited")
        assert "3 lookups a minute" in problem["detail"]
        # the limit is per client address: this address stays refused on any dossier, while
        # another address looks this one up as before (nothing is counted per code alone)
        elsewhere = TestClient(api.http.app, client=("203.0.113.7", 50000))
        assert lookup(elsewhere, HELD, secret).status_code == 200
        assert lookup(api.http, UNKNOWN, secret).status_code == 429
        assert lookup(elsewhere, UNKNOWN, secret).status_code == 404
