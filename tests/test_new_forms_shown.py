"""The refusal, the extension and the stop notice where people read a dossier: the citizen's
lookup page (with its control slip), the JSON lookup, the control slip and the timeline
(`lienthong history`) — each notice named by the form of the regime in force on the dossier's date
of receipt.

Recorded through the API at the commune: a dossier received on 12/8/2025 (the forms of Circular
01/2018 still in use, which had no stop notice), one on 10/3/2026 (the forms of Circular 03/2025),
each extended and then stopped, and one refused at reception on 10/3/2026."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli.main import app as cli
from api.client import Client
from api.http.app import create_app
from api.http.services import Services
from domain.instant import VIETNAM, format_local, from_datetime
from ledger.statements.signing import SigningKey
from tests.apiworld import APPLICANT, DOCUMENT, FILES, settings_for
from tests.world import DAY, PROCEDURE, World

OFFICE, OFFICER = "29266", "cb-29266"
AUGUST = "000.00.01.H59-250812-0001"
NEXT_YEAR = "000.00.01.H59-260310-0001"
REFUSED = "000.00.01.H59-260310-0002"
RECEIVED = {
    AUGUST: datetime(2025, 8, 12, 9, 0, tzinfo=VIETNAM),
    NEXT_YEAR: datetime(2026, 3, 10, 9, 0, tzinfo=VIETNAM),
    REFUSED: datetime(2026, 3, 10, 10, 0, tzinfo=VIETNAM),
}
EXTEND = "Cần xác minh tại địa phương"
STOP = "Người nộp đề nghị dừng giải quyết"
REFUSE = "Hồ sơ không thuộc thẩm quyền của xã"
C01 = "Thông tư 01/2018/TT-VPCP"
C03 = "Thông tư 03/2025/TT-VPCP"
# code -> the notices the lookup page must print, in Vietnamese and in English
NOTICES = {
    AUGUST: (
        [
            f"Mẫu số 04 — Phiếu xin lỗi và hẹn lại ngày trả kết quả ({C01})",
            "Thông báo dừng giải quyết hồ sơ —",  # Circular 01/2018 had no such form
        ],
        [
            "Form 04 — Apology and new appointment (Circular 01/2018/TT-VPCP)",
            "Notice stopping the handling of the dossier —",
        ],
    ),
    NEXT_YEAR: (
        [
            f"Mẫu số 04 — Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết ({C03})",
            f"Mẫu số 05 — Thông báo dừng giải quyết hồ sơ ({C03})",
        ],
        [
            "Form 04 — Apology and request to extend the time for handling "
            "(Circular 03/2025/TT-VPCP)",
            "Form 05 — Notice stopping the handling of the dossier (Circular 03/2025/TT-VPCP)",
        ],
    ),
    REFUSED: (
        [f"Mẫu số 03 — Phiếu từ chối tiếp nhận giải quyết hồ sơ ({C03})"],
        ["Form 03 — Refusal to receive and handle the dossier (Circular 03/2025/TT-VPCP)"],
    ),
}


@dataclass
class Site:
    http: TestClient
    services: Services
    database: str
    secrets: dict[str, str]
    extended_to: dict[str, int]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    directory = tmp_path_factory.mktemp("new-forms")
    database = f"sqlite:///{directory / 'ledger.db'}"
    world = World.build(database)
    clock = world.clock
    world.ledger.close()
    application = create_app(settings_for(database, directory), clock=clock)
    with TestClient(application) as http:
        services: Services = application.state.services
        key = SigningKey(world.at(OFFICE).key.private, OFFICER, OFFICE)
        secrets, extended_to = {}, {}
        for code, moment in RECEIVED.items():
            clock.set(from_datetime(moment))
            token = services.tokens.create(
                "officer", office=OFFICE, officer=OFFICER, now=clock.now(), valid_seconds=86400
            )[1]
            client = Client(http=http, token=token, files=FILES)
            body = {"procedure": PROCEDURE, "version": 1, "channel": "direct"}
            receipt = client.record(
                key,
                "dossier.received",
                code,
                {**body, "documents": [DOCUMENT]},
                applicant=APPLICANT,
            )
            secrets[code] = receipt["receipt_secret"]
            clock.advance(1800)
            if code == REFUSED:
                client.record(key, "dossier.refused", code, {"reason": REFUSE})
                continue
            appointed = services.ledger.dossier(code).appointed + 5 * DAY
            client.record(
                key, "dossier.extension_requested", code, {"reason": EXTEND, "appointed": appointed}
            )
            extended_to[code] = appointed
            clock.advance(1800)
            client.record(key, "dossier.stopped", code, {"reason": STOP})
        yield Site(http, services, database, secrets, extended_to)


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("code", list(NOTICES))
def test_lookup_page_prints_each_notice_on_the_form_of_the_date_of_receipt(
    site: Site, code: str, lang: str
) -> None:
    response = site.http.post(
        f"/tra-cuu?lang={lang}", data={"code": code, "secret": site.secrets[code]}
    )
    assert response.status_code == 200, response.text
    page = response.text
    vi, en = NOTICES[code]
    for label in vi if lang == "vi" else en:
        assert label in page
    assert ("Thông báo gửi người nộp hồ sơ" if lang == "vi" else "Notices to the applicant") in page
    reasons = [REFUSE] if code == REFUSED else [EXTEND, STOP]
    for reason in reasons:
        assert reason in page
    if code == AUGUST:
        assert "Mẫu số 05 — Thông báo" not in page
        assert "Form 05 — Notice" not in page


def test_json_lookup_shows_a_stopped_dossier_ended_so_at_its_extended_appointed_date(
    site: Site,
) -> None:
    response = site.http.post(
        "/v1/public/lookup", json={"code": NEXT_YEAR, "secret": site.secrets[NEXT_YEAR]}
    )
    assert response.status_code == 200, response.text
    found = response.json()
    assert (found["status"], found["ended"]) == ("closed", "stopped")
    assert found["appointed"] == site.extended_to[NEXT_YEAR]


@pytest.mark.parametrize(
    ("code", "lang", "status"),
    [
        (NEXT_YEAR, "vi", "Đã kết thúc: dừng giải quyết hồ sơ"),
        (REFUSED, "vi", "Đã kết thúc: từ chối tiếp nhận giải quyết hồ sơ"),
        (REFUSED, "en", "Closed: refused at reception"),
    ],
)
def test_lookup_page_says_how_the_dossier_ended(
    site: Site, code: str, lang: str, status: str
) -> None:
    response = site.http.post(
        f"/tra-cuu?lang={lang}", data={"code": code, "secret": site.secrets[code]}
    )
    assert response.status_code == 200, response.text
    assert f"<dd>{status}</dd>" in response.text


@pytest.mark.parametrize(
    ("code", "kinds"),
    [
        (NEXT_YEAR, ["Xin lỗi và đề nghị gia hạn thời gian giải quyết", "Dừng giải quyết hồ sơ"]),
        (REFUSED, ["Từ chối tiếp nhận giải quyết hồ sơ"]),
    ],
)
def test_timeline_names_each_new_statement(site: Site, code: str, kinds: list[str]) -> None:
    result = CliRunner().invoke(cli, ["--database-url", site.database, "history", code])
    assert result.exit_code == 0, result.output
    for kind in kinds:
        assert kind in result.output


def test_cli_slip_lists_the_notices_as_text_and_on_the_printable_page(
    site: Site, tmp_path: Path
) -> None:
    page = tmp_path / "slip.html"
    result = CliRunner().invoke(
        cli, ["--database-url", site.database, "slip", NEXT_YEAR, "--html", str(page)]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    start = lines.index("Thông báo gửi người nộp hồ sơ:")
    extension, stop = lines[start + 1 :]
    assert extension.startswith(
        f"- Mẫu số 04 — Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết ({C03}): "
    )
    assert extension.endswith(
        f"lý do: {EXTEND}; ngày hẹn trả mới: {format_local(site.extended_to[NEXT_YEAR])}"
    )
    assert stop.startswith(f"- Mẫu số 05 — Thông báo dừng giải quyết hồ sơ ({C03}): ")
    assert stop.endswith(f"lý do: {STOP}")
    html = page.read_text(encoding="utf-8")
    assert "<h2>Thông báo gửi người nộp hồ sơ</h2>" in html
    assert f"<li>{extension[2:]}</li>" in html


def test_json_slip_lists_the_notices_with_their_forms(site: Site) -> None:
    token = site.services.tokens.create(
        "registrar", now=site.services.clock.now(), valid_seconds=86400
    )[1]
    slips = {
        code: site.http.get(
            f"/v1/dossiers/{code}/slip", headers={"Authorization": f"Bearer {token}"}
        )
        for code in (AUGUST, NEXT_YEAR)
    }
    assert all(response.status_code == 200 for response in slips.values())
    august = slips[AUGUST].json()["notices"]
    assert [(n["kind"], n["reason"]) for n in august] == [
        ("dossier.extension_requested", EXTEND),
        ("dossier.stopped", STOP),
    ]
    assert (august[0]["form"]["number"], august[0]["form"]["circular"]) == ("04", "01/2018/TT-VPCP")
    assert august[0]["appointed"] == site.extended_to[AUGUST]
    assert august[1]["form"] is None  # Circular 01/2018 had no stop notice
    stop = slips[NEXT_YEAR].json()["notices"][1]
    assert stop["form"] == {
        "type": "stop_notice",
        "number": "05",
        "name_vi": "Thông báo dừng giải quyết hồ sơ",
        "name_en": "Notice stopping the handling of the dossier",
        "circular": "03/2025/TT-VPCP",
    }
    assert (stop["appointed"], stop["officer"], stop["office"]) == (None, OFFICER, OFFICE)


def test_cli_report_counts_the_notices_and_the_dossiers_extended_more_than_once(
    site: Site,
) -> None:
    period = ["--from", "01/08/2025", "--to", "31/03/2026"]
    result = CliRunner().invoke(cli, ["--database-url", site.database, "report", OFFICE, *period])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert (
        "Thông báo gửi người nộp: xin lỗi, hẹn lại hoặc đề nghị gia hạn 2; "
        "từ chối tiếp nhận 1; dừng giải quyết 2"
    ) in lines
    assert "Đề nghị gia hạn hơn một lần (chưa xác nhận Nghị định 118/2025 có cho phép): 0" in lines


def test_json_report_counts_the_notices(site: Site) -> None:
    token = site.services.tokens.create(
        "registrar", now=site.services.clock.now(), valid_seconds=86400
    )[1]
    response = site.http.get(
        f"/v1/offices/{OFFICE}/report",
        params={"start": "2025-08-01", "end": "2026-04-01"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["notices"] == {
        "apologised": 2,
        "refused": 1,
        "stopped": 2,
        "extended_again": [],
    }
