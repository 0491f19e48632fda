"""The office report's indicators of the national index (Decision 766/QĐ-TTg) on a known set of
dossiers, over memory, SQLite and PostgreSQL: received online, digitised at receipt (scans listed
and uploaded), late against the time appointed at receipt with or without an apology slip, and
the citizens' ratings in the satisfaction rate; the indicators the ledger cannot know are listed.

Two days after the demo, the commune 29266/2025 receives four dossiers at once:

- EARLY, online, with the scan: sent to the province and decided at once; rated 5.
- LATE, in person, no scans listed: decided after its appointed time, no apology; rated 1.
- SORRY, in person, with the scan: an apology slip moves its appointed time on, then decided
  after the time appointed at receipt but before the new one; not rated.
- OPEN, in person, no scans listed: still at the commune.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api.cli.main import app as cli
from domain.instant import MICROS, local_date
from ledger.views.reports import UNKNOWABLE
from tests.apiworld import (
    APPLICANT,
    COMMUNE,
    COMMUNE_OFFICER,
    DOCUMENT,
    PROVINCE,
    PROVINCE_OFFICER,
    RECEIVED_BODY,
    Api,
    demo_code,
    get,
    ok,
    open_api,
)
from tests.websession import sign_in

# received two days after the demo ends (the fixture's `advance`)
EARLY = demo_code(701, days_after=2)
LATE = demo_code(702, days_after=2)
SORRY = demo_code(703, days_after=2)
OPEN = demo_code(704, days_after=2)
DAY = 86_400
DECISION = {"outcome": "approved", "reference": "QĐ 12/QĐ-UBND", "documents": []}


def receive(api: Api, code: str, channel: str, documents: list[Any]) -> str:
    body = {**RECEIVED_BODY, "channel": channel, "documents": documents}
    receipt = api.client("officer").record(
        api.key(COMMUNE_OFFICER), "dossier.received", code, body, applicant=APPLICANT
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
    province, key = api.client("province_officer"), api.key(PROVINCE_OFFICER)
    body = {"dispatch": sent["digest"], "documents": [DOCUMENT]}
    province.record(key, "handover.acknowledged", code, body)
    province.record(key, "dossier.decided", code, DECISION)


def advance(api: Api, seconds: int) -> None:
    """Let time pass, with fresh tokens (theirs last 30 days)."""
    api.clock.advance(seconds)
    api.tokens = {
        "officer": api.token("officer", office=COMMUNE, officer=COMMUNE_OFFICER),
        "province_officer": api.token("officer", office=PROVINCE, officer=PROVINCE_OFFICER),
        "inspector": api.token("inspector", office=PROVINCE),
        "registrar": api.token("registrar"),
    }


def appointed(api: Api, code: str) -> int:
    api.services.projector.catch_up()
    found = api.services.views().location(code)
    assert found is not None
    return found.appointed


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[tuple[Api, str, str]]:
    """The app after the four dossiers; the report's period (first and last day, ISO)."""
    with open_api(database_url, tmp_path, lookups_per_minute=1000) as api:
        advance(api, 2 * DAY)  # a day with nothing of the demo's
        first = local_date(api.clock.now())
        secrets = {
            EARLY: receive(api, EARLY, "online", [DOCUMENT]),
            LATE: receive(api, LATE, "direct", []),
            SORRY: receive(api, SORRY, "direct", [DOCUMENT]),
            OPEN: receive(api, OPEN, "direct", []),
        }
        decide(api, EARLY)
        due = appointed(api, SORRY)
        api.client("officer").record(
            api.key(COMMUNE_OFFICER),
            "dossier.delay_notified",
            SORRY,
            {"reason": "Cần xác minh thêm", "appointed": due + 60 * DAY * MICROS},
        )
        advance(api, (due - api.clock.now()) // MICROS + DAY)  # past the first appointment
        decide(api, LATE)
        decide(api, SORRY)
        api.services.projector.catch_up()
        for code, score in ((EARLY, 5), (LATE, 1)):
            body = {"code": code, "secret": secrets[code], "score": score}
            assert api.http.post("/v1/public/rating", json=body).status_code == 201
        last = local_date(api.clock.now()) + timedelta(days=1)
        yield api, first.isoformat(), last.isoformat()


def test_the_report_counts_the_index_s_indicators_on_known_dossiers(
    world: tuple[Api, str, str],
) -> None:
    api, first, last = world
    report = ok(get(api, f"/v1/offices/{COMMUNE}/report", start=first, end=last))
    assert report["received"] == {"online": 1, "direct": 3}
    assert (report["resolved"], report["late"]) == (3, 1)  # SORRY judged by its new time
    index = report["index"]
    expected = {
        "received_online": 1,
        "online_rate": 0.25,
        "digitised": 2,  # EARLY and SORRY: scans listed at receipt and uploaded
        "digitised_rate": 0.5,
        "late_at_receipt": 2,  # LATE and SORRY
        "late_apologised": 1,  # SORRY
        "apology_rate": 0.5,
        "ratings": {"1": 1, "5": 1},
        "rated": 2,
        "dissatisfied": 1,  # LATE's 1
        "satisfaction_rate": pytest.approx(2 / 3),
    }
    assert {name: index[name] for name in expected} == expected
    assert [row["indicator"] for row in index["unknowable"]] == list(UNKNOWABLE)
    assert all(row["title_vi"] and row["title_en"] for row in index["unknowable"])


def test_the_index_s_rates_are_null_with_nothing_to_count(world: tuple[Api, str, str]) -> None:
    api, _first, _last = world
    report = ok(get(api, f"/v1/offices/{COMMUNE}/report", start="2020-01-01", end="2020-02-01"))
    index = report["index"]
    assert (index["online_rate"], index["digitised_rate"]) == (None, None)
    assert (index["apology_rate"], index["satisfaction_rate"]) == (None, None)
    assert (index["digitised"], index["rated"], index["ratings"]) == (0, 0, {})


def test_lienthong_report_prints_the_index_s_indicators(
    world: tuple[Api, str, str], database_url: str
) -> None:
    if database_url == "memory:":
        pytest.skip("the command line opens the database itself")
    _api, first, last = world
    day = [f"{d[8:10]}/{d[5:7]}/{d[0:4]}" for d in (first, last)]
    result = CliRunner().invoke(
        cli,
        [
            "--database-url",
            database_url,
            "--lang",
            "en",
            "report",
            COMMUNE,
            "--from",
            day[0],
            "--to",
            day[1],
        ],
    )
    assert result.exit_code == 0, result.output
    text = result.output
    assert "Received online: 1 (25.0%)" in text
    assert "Digitised at receipt (scans uploaded): 2 (50.0%)" in text
    assert "Late against the time appointed at receipt: 2, with an apology slip: 1 (50.0%)" in text
    assert "Citizens' ratings: 2, dissatisfied: 1; satisfaction rate: 66.7%" in text
    for _vi, en in UNKNOWABLE.values():
        assert en in text


def test_the_inspector_s_map_shows_the_index_s_indicators(world: tuple[Api, str, str]) -> None:
    api, _first, _last = world
    sign_in(api.http, api.token("inspector", office=COMMUNE), back="/giam-sat/ban-do")
    page = api.http.get("/giam-sat/ban-do", params={"months": 3, "lang": "en"})
    assert page.status_code == 200, page.text
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text))
    assert "The national index (Decision 766/QĐ-TTg)" in text
    assert "Satisfaction rate" in text
    assert "2 ratings, 1 dissatisfied" in text  # the demo's dossiers have none
    for _vi, en in UNKNOWABLE.values():
        assert en in text
