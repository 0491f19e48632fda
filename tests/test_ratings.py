"""The citizen's rating of a dossier's handling (đánh giá mức độ hài lòng): the dossier code and
the receipt secret rate a decided dossier once, 1 to 5, on the JSON route beside the lookup and on
the lookup page; anonymous (the score and when, nothing of the person or the client); refused with
the lookup's own answer for a wrong secret, and refused before the decision, a second time, or
out of range — nothing kept then. Over memory, SQLite and PostgreSQL.

The commune 29266/2025 receives DECIDED and OPEN with the applicant's details; the province 86
decides DECIDED after the commune sends it there.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.apiworld import (
    APPLICANT,
    COMMUNE_OFFICER,
    DOCUMENT,
    PROVINCE,
    PROVINCE_OFFICER,
    RECEIVED_BODY,
    Api,
    assert_problem,
    demo_code,
    open_api,
)
from tests.websession import SAME_SITE

DECIDED = demo_code(601)
OPEN = demo_code(602)
DECISION = {"outcome": "approved", "reference": "QĐ 12/QĐ-UBND", "documents": []}


def receive(api: Api, code: str) -> str:
    receipt = api.client("officer").record(
        api.key(COMMUNE_OFFICER), "dossier.received", code, RECEIVED_BODY, applicant=APPLICANT
    )
    secret: str = receipt["receipt_secret"]
    return secret


def decide(api: Api, code: str) -> None:
    sent = api.client("officer").record(
        api.key(COMMUNE_OFFICER),
        "handover.dispatched",
        code,
        {"to": PROVINCE, "purpose": "process", "documents": [DOCUMENT]},
    )
    province = api.client("province_officer")
    key = api.key(PROVINCE_OFFICER)
    body = {"dispatch": sent["digest"], "documents": [DOCUMENT]}
    province.record(key, "handover.acknowledged", code, body)
    province.record(key, "dossier.decided", code, DECISION)


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[tuple[Api, dict[str, str]]]:
    with open_api(database_url, tmp_path, lookups_per_minute=1000) as api:
        secrets = {code: receive(api, code) for code in (DECIDED, OPEN)}
        decide(api, DECIDED)
        api.services.projector.catch_up()
        yield api, secrets


def rate(api: Api, code: str, secret: str, score: Any) -> httpx.Response:
    """The rating as a citizen's browser sends it: no token."""
    body = {"code": code, "secret": secret, "score": score}
    response: httpx.Response = api.http.post("/v1/public/rating", json=body)
    return response


def test_a_citizen_rates_a_decided_dossier_and_only_the_score_is_kept(
    world: tuple[Api, dict[str, str]],
) -> None:
    api, secrets = world
    response = rate(api, DECIDED, secrets[DECIDED].lower(), 4)  # any case, as the lookup
    assert response.status_code == 201, response.text
    assert response.json()["score"] == 4
    kept = api.services.ratings.rated(DECIDED)
    assert kept is not None
    assert (kept.code, kept.score) == (DECIDED, 4)
    columns = api.services.ratings.query("SELECT * FROM lienthong_ratings")
    assert columns == [(DECIDED, 4, kept.rated_at)]  # nothing of the person or the client


def test_refuses_a_second_rating_of_the_same_dossier_and_keeps_the_first(
    world: tuple[Api, dict[str, str]],
) -> None:
    api, secrets = world
    assert rate(api, DECIDED, secrets[DECIDED], 5).status_code == 201
    assert_problem(rate(api, DECIDED, secrets[DECIDED], 1), 409, "already-rated")
    kept = api.services.ratings.rated(DECIDED)
    assert kept is not None
    assert kept.score == 5


def test_refuses_a_wrong_secret_with_the_lookup_s_own_not_found(
    world: tuple[Api, dict[str, str]],
) -> None:
    api, secrets = world
    wrong = rate(api, DECIDED, secrets[OPEN], 5)  # another dossier's secret
    unknown = rate(api, "000.66.29.H59-250708-9999", secrets[DECIDED], 5)
    for response in (wrong, unknown):
        assert_problem(response, 404, "not-found")
    assert wrong.json()["detail"] == unknown.json()["detail"]
    assert api.services.ratings.rated(DECIDED) is None


def test_refuses_to_rate_a_dossier_not_yet_decided(world: tuple[Api, dict[str, str]]) -> None:
    api, secrets = world
    assert_problem(rate(api, OPEN, secrets[OPEN], 5), 409, "not-yet-decided")
    assert api.services.ratings.rated(OPEN) is None


@pytest.mark.parametrize("score", [0, 6, -1, "năm", None, 4.5])
def test_refuses_a_score_out_of_one_to_five(world: tuple[Api, dict[str, str]], score: Any) -> None:
    api, secrets = world
    assert_problem(rate(api, DECIDED, secrets[DECIDED], score), 422, "malformed-request")
    assert api.services.ratings.rated(DECIDED) is None


def test_refuses_a_rating_body_over_the_default_cap(world: tuple[Api, dict[str, str]]) -> None:
    api, secrets = world
    over = api.services.settings.max_body_bytes + 1
    body = {"code": DECIDED, "secret": secrets[DECIDED], "score": 5, "pad": "x" * over}
    assert_problem(api.http.post("/v1/public/rating", json=body), 413, "too-large")
    assert api.services.ratings.rated(DECIDED) is None


def test_ratings_are_limited_with_the_lookups(tmp_path: Path) -> None:
    with open_api(f"sqlite:///{tmp_path / 'ledger.db'}", tmp_path, lookups_per_minute=2) as api:
        secret = receive(api, OPEN)
        assert rate(api, OPEN, secret, 5).status_code == 409
        assert api.http.post("/v1/public/lookup", json={"code": OPEN, "secret": secret}).is_success
        assert_problem(rate(api, OPEN, secret, 5), 429, "rate-limited")


# --- the lookup page's form ------------------------------------------------------------------


def look_up(api: Api, code: str, secret: str) -> httpx.Response:
    response: httpx.Response = api.http.post(
        "/tra-cuu", data={"code": code, "secret": secret}, headers=SAME_SITE
    )
    return response


def rate_on_page(
    api: Api, code: str, secret: str, score: str, headers: dict[str, str] = SAME_SITE
) -> httpx.Response:
    response: httpx.Response = api.http.post(
        "/tra-cuu/danh-gia", data={"code": code, "secret": secret, "score": score}, headers=headers
    )
    return response


def test_the_lookup_page_offers_the_rating_once_the_dossier_is_decided(
    world: tuple[Api, dict[str, str]],
) -> None:
    api, secrets = world
    assert 'action="/tra-cuu/danh-gia"' in look_up(api, DECIDED, secrets[DECIDED]).text
    assert 'action="/tra-cuu/danh-gia"' not in look_up(api, OPEN, secrets[OPEN]).text


def test_the_page_form_rates_once_and_then_offers_no_form(
    world: tuple[Api, dict[str, str]],
) -> None:
    api, secrets = world
    done = rate_on_page(api, DECIDED, secrets[DECIDED], "2")
    assert done.status_code == 200, done.text
    assert "Đánh giá của bạn đã được ghi nhận" in done.text
    assert 'action="/tra-cuu/danh-gia"' not in done.text
    again = rate_on_page(api, DECIDED, secrets[DECIDED], "5")
    assert again.status_code == 409
    assert "Hồ sơ này đã được đánh giá" in again.text
    kept = api.services.ratings.rated(DECIDED)
    assert kept is not None
    assert kept.score == 2


@pytest.mark.parametrize(
    ("code", "secret_of", "score", "status", "words"),
    [
        (DECIDED, OPEN, "5", 404, "Không tìm thấy hồ sơ"),
        (OPEN, OPEN, "5", 409, "chưa thể đánh giá"),
        (DECIDED, DECIDED, "6", 422, "từ 1 đến 5"),
        (DECIDED, DECIDED, "", 422, "từ 1 đến 5"),
    ],
)
def test_the_page_form_refuses_what_the_route_refuses(
    world: tuple[Api, dict[str, str]],
    code: str,
    secret_of: str,
    score: str,
    status: int,
    words: str,
) -> None:
    api, secrets = world
    response = rate_on_page(api, code, secrets[secret_of], score)
    assert response.status_code == status, response.text
    assert words in response.text
    assert api.services.ratings.rated(code) is None


def test_the_page_form_refuses_a_foreign_origin(world: tuple[Api, dict[str, str]]) -> None:
    api, secrets = world
    foreign = {"Origin": "https://elsewhere.example"}
    response = rate_on_page(api, DECIDED, secrets[DECIDED], "1", headers=foreign)
    assert response.status_code == 403
    assert api.services.ratings.rated(DECIDED) is None
