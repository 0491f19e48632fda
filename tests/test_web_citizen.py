"""What the citizen reads, over HTTP (no browser; the phone itself: test_browser_citizen_phone.py):
the lookup answer in any letter case of the code, with the working days left counted as the
deadline is, where to collect the result, and no officer id or procedure key; the control slip's
turns in working days ("Quá hạn 340,5 ngày làm việc", not "Đang xử lý" for a dossier sixteen
months late), with the issuing office, the lines to sign and the QR code on the dossier's page
too; the verification page's plain verdict before any technical word; and `lienthong slip` and
`where` saying durations by the same rule.

Two small scenarios on the demo's registry, through the API at the commune: one dossier received
now, and, on a clock then moved on 480 days, one handed over to the province and never taken in,
and one still at the commune."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from api.cli.dossier import slip_rows
from api.cli.main import app as cli
from api.http.lookup import stored_code
from api.texts import days_left_text, working_span
from domain.errors import UnknownDossier
from domain.instant import format_local, local_date
from ledger.log import bundle
from ledger.simulation.demo import demo_log_key
from ledger.views.durations import days_left
from tests.apiworld import (
    APPLICANT,
    COMMUNE,
    COMMUNE_OFFICER,
    DOCUMENT,
    PROVINCE,
    RECEIVED_BODY,
    Api,
    open_api,
)
from tests.websession import sign_in

DAY = 86_400
LATER = 480 * DAY  # sixteen months


def code_for(api: Api, sequence: int) -> str:
    """The code the circular's rule gives the commune's `sequence`-th dossier of today."""
    day = local_date(api.clock.now())
    agency = api.services.ledger.office(COMMUNE).code_agency_on(day)
    return f"{agency}-{day:%y%m%d}-{sequence:04d}"


def receive(api: Api, code: str) -> str:
    """Receive `code` at the commune with the applicant's details; its receipt secret."""
    receipt = api.client("officer").record(
        api.key(COMMUNE_OFFICER), "dossier.received", code, RECEIVED_BODY, applicant=APPLICANT
    )
    secret: str = receipt["receipt_secret"]
    return secret


def text_of(html: str) -> str:
    """A page's words, its tags and QR code taken out, spaces folded."""
    html = re.sub(r"<svg.*?</svg>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'").strip()


def look_up(api: Api, code: str, secret: str, lang: str = "vi") -> tuple[int, str]:
    response = api.http.post(f"/tra-cuu?lang={lang}", data={"code": code, "secret": secret})
    return response.status_code, response.text


def worked(api: Api, start: int, end: int) -> int:
    return api.services.calendar.working_micros_between(start, end) // 1_000_000


@dataclass
class Now:
    api: Api
    code: str
    secret: str


@pytest.fixture(scope="module")
def now(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Now]:
    directory: Path = tmp_path_factory.mktemp("citizen-now")
    with open_api(f"sqlite:///{directory / 'ledger.db'}", directory) as api:
        code = code_for(api, 701)
        yield Now(api, code, receive(api, code))


@dataclass
class Later:
    api: Api
    database: str
    in_transit: str  # handed over to the province, never taken in
    held: str  # still at the commune, its own turn long past its deadline
    secret: str  # in_transit's


@pytest.fixture(scope="module")
def later(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Later]:
    directory: Path = tmp_path_factory.mktemp("citizen-later")
    database = f"sqlite:///{directory / 'ledger.db'}"
    with open_api(database, directory) as api:
        in_transit, held = code_for(api, 801), code_for(api, 802)
        secret = receive(api, in_transit)
        receive(api, held)
        api.clock.advance(3600)
        api.client("officer").record(
            api.key(COMMUNE_OFFICER),
            "handover.dispatched",
            in_transit,
            {"to": PROVINCE, "purpose": "process", "documents": [DOCUMENT]},
        )
        api.clock.advance(LATER)
        yield Later(api, database, in_transit, held, secret)


# --- the lookup ---------------------------------------------------------------------------------


def test_the_code_is_found_typed_in_lower_case_and_shown_as_recorded(now: Now) -> None:
    status, html = look_up(now.api, now.code.lower(), now.secret.lower())
    assert status == 200, text_of(html)
    assert f'<h1 class="code-title">Hồ sơ {now.code}</h1>' in html
    assert f"Mã hồ sơ: <strong>{now.code}</strong>" in html
    status, html = look_up(now.api, now.code.swapcase(), now.secret)
    assert status == 200, text_of(html)


def test_a_wrong_secret_in_lower_case_is_still_the_same_refusal(now: Now) -> None:
    status, html = look_up(now.api, now.code.lower(), "ZZZZZZZZZZ")
    assert status == 404
    assert "Không tìm thấy hồ sơ có mã và mã bí mật này" in text_of(html)
    assert f'value="{now.code.lower()}"' in html  # kept as typed, for correcting


def test_the_answer_says_the_working_days_left_and_where_to_collect(now: Now) -> None:
    api = now.api
    status, html = look_up(api, now.code, now.secret)
    assert status == 200
    text = text_of(html)
    appointed = api.services.views().location(now.code).appointed  # type: ignore[union-attr]
    left = days_left(api.services.calendar, api.clock.now(), appointed)
    assert left > 1
    said = days_left_text(left, "vi")
    assert f"Ngày hẹn trả kết quả {format_local(appointed)} Còn {left} ngày làm việc" in text
    assert said == f"còn {left} ngày làm việc"
    office = api.services.ledger.office(COMMUNE).name_on(local_date(api.clock.now()))
    assert f"Nơi nhận kết quả Bộ phận Một cửa — {office}" in text
    english = text_of(look_up(api, now.code, now.secret, "en")[1])
    assert f"{left} working days left" in english
    assert f"Where to collect the result The one-stop desk — {office}" in english


def test_the_citizen_reads_no_officer_id_and_no_procedure_key(now: Now) -> None:
    status, html = look_up(now.api, now.code, now.secret)
    assert status == 200
    assert COMMUNE_OFFICER not in html
    assert RECEIVED_BODY["procedure"] not in html
    text = text_of(html)
    # who took the dossier in is named by the title the registry gives, to sign beside
    title = now.api.services.ledger.officer(COMMUNE_OFFICER).title_at(now.api.clock.now())
    assert f"Người nhận: {title} (ký, ghi rõ họ tên)" in text
    assert "Người giao: Người nộp hồ sơ" in text


def test_the_lookup_answer_has_labels_above_values_not_a_wide_table(now: Now) -> None:
    html = look_up(now.api, now.code, now.secret)[1]
    facts = re.search(r'<dl class="facts screen">(.*?)</dl>', html, flags=re.S)
    assert facts is not None
    pairs = re.findall(r"<div><dt>([^<]+)</dt>", facts.group(1))
    assert pairs[:2] == ["Thủ tục", "Tình trạng"]
    # every cell of the slip's table carries its column's name, to head it when it is stacked
    cells = re.findall(r"<td( data-label=\"[^\"]+\")?>", html)
    assert cells
    assert all(label for label in cells)


# --- the code in any letter case ----------------------------------------------------------------


class Registry:
    """A ledger that knows the dossiers `codes` and nothing else."""

    def __init__(self, *codes: str) -> None:
        self.codes = set(codes)

    def dossier(self, code: str) -> object:
        if code not in self.codes:
            raise UnknownDossier(f"no dossier {code}")
        return object()


def test_a_code_in_another_case_finds_one_code_only() -> None:
    services = SimpleNamespace(ledger=Registry("000.66.29.H59-260303-0001", "hs-001", "HS-001"))
    found = lambda code: stored_code(services, code)  # noqa: E731 — services is a stand-in
    assert found("000.66.29.h59-260303-0001") == "000.66.29.H59-260303-0001"
    assert found("000.66.29.H59-260303-0001") == "000.66.29.H59-260303-0001"
    # two codes that differ only in case, as old dossiers may have: each found as recorded
    assert found("hs-001") == "hs-001"
    assert found("HS-001") == "HS-001"
    assert found("Hs-001") == "HS-001"  # any other spelling: the upper-case one, never both
    assert found("no-such") == "NO-SUCH"  # and an unknown code stays unknown


# --- the control slip ---------------------------------------------------------------------------


def test_a_dossier_sixteen_months_in_transit_reads_overdue_not_in_progress(later: Later) -> None:
    api = later.api
    status, html = look_up(api, later.in_transit.lower(), later.secret)
    assert status == 200, text_of(html)
    rows = re.findall(r"<tr>.*?</tr>", html, flags=re.S)
    transit = text_of(rows[-1])
    appointed = api.services.views().location(later.in_transit).appointed  # type: ignore[union-attr]
    over = working_span(worked(api, appointed, api.clock.now()), "vi")
    assert f"Quá hạn {over} so với ngày hẹn trả kết quả" in transit
    assert re.search(r"Quá hạn \d{3}(,\d)? ngày làm việc", transit), transit
    assert "Đang xử lý" not in transit
    assert "chưa nhận" in transit
    # the answer's own line counts the days past the date as a deadline counts them
    behind = -days_left(api.services.calendar, api.clock.now(), appointed)
    assert f"Quá hạn {behind} ngày làm việc" in text_of(html)


def test_a_turn_past_its_own_deadline_says_by_how_much_and_its_time_used(later: Later) -> None:
    api = later.api
    slip = api.services.inspector().slip(later.held, api.clock.now())
    assert slip is not None
    (turn,) = slip.blocks
    assert turn.result == "late"
    assert turn.deadline is not None
    assert turn.used_seconds is not None
    token = api.token("inspector", office=PROVINCE)
    sign_in(api.http, token, back=f"/ho-so/{later.held}")
    page = api.http.get(f"/ho-so/{later.held}?lang=vi")
    assert page.status_code == 200
    text = text_of(page.text)
    over = working_span(worked(api, turn.deadline, api.clock.now()), "vi")
    assert f"Quá hạn {over}" in text
    assert "so với ngày hẹn trả kết quả" not in text  # judged against its own deadline
    assert f"Thời gian xử lý: {working_span(turn.used_seconds, 'vi')}" in text
    english = text_of(api.http.get(f"/ho-so/{later.held}?lang=en").text)
    assert f"{working_span(worked(api, turn.deadline, api.clock.now()), 'en')} overdue" in english


def test_the_dossiers_page_carries_the_issuer_the_qr_code_and_the_lines_to_sign(
    later: Later,
) -> None:
    api = later.api
    sign_in(api.http, api.token("inspector", office=PROVINCE), back=f"/ho-so/{later.in_transit}")
    html = api.http.get(f"/ho-so/{later.in_transit}?lang=vi").text
    slip = html[html.index('<section class="slip"') :]
    office = api.services.ledger.office(COMMUNE)
    received = api.services.views().location(later.in_transit).received_at  # type: ignore[union-attr]
    issuer = office.name_on(local_date(received))
    assert f'<p class="slip-issuer">{issuer}<br><span>Bộ phận Một cửa</span></p>' in slip
    assert "<svg" in slip
    assert f"/xac-minh/{later.in_transit}</a>" in slip
    assert text_of(slip).count("(ký, ghi rõ họ tên)") == 4  # two turns, a giver and a taker each
    assert COMMUNE_OFFICER not in slip


# --- the verification page ----------------------------------------------------------------------


def test_the_verification_page_says_its_verdict_before_any_technical_word(now: Now) -> None:
    api = now.api
    html = api.http.get(f"/xac-minh/{now.code.lower()}?lang=vi").text  # in any case, too
    main = text_of(html[html.index("<main") :])
    verdict = main.index(f"✔ Hồ sơ {now.code} được xác minh")
    found = re.search(r'<p class="verified".*?</p>', html, flags=re.S)
    assert found is not None
    plain = text_of(found.group(0))
    for technical in ("bản khai", "Merkle", ".bundle", "checkpoint", "sổ cái có"):
        assert technical not in plain, technical
    for technical in ("bản khai", "Merkle", ".bundle", "checkpoint"):
        assert technical not in main[:verdict], technical
    assert main.index("Các bước đã ghi") > verdict
    details = html[html.index('<details class="technical"') :]
    assert "bản khai" in text_of(details)
    assert "Merkle" in text_of(details)
    assert '<input id="file"' in details  # checking another file is there, behind the summary


def test_a_verification_that_fails_says_so_plainly_first(now: Now) -> None:
    api = now.api
    api.services.ledger.issue_checkpoint(demo_log_key())
    decoded = bundle.Bundle.decode(bundle.export(api.services.ledger, now.code).encode())
    last = decoded.entries[-1]
    forged = bytearray(last.statement)
    forged[-5] ^= 0x01  # one bit of the dossier's last statement
    tampered = replace(decoded, entries=(*decoded.entries[:-1], replace(last, statement=bytes(forged))))
    page = api.http.post(
        "/xac-minh?lang=vi",
        files={"file": ("ho-so.bundle", tampered.encode(), "application/msgpack")},
    )
    assert page.status_code == 422
    alert = page.text[page.text.index('<div class="problem" role="alert">') :]
    said = text_of(alert[: alert.index("<details")])
    assert said == (
        f"✘ KHÔNG xác minh được hồ sơ {now.code}: nội dung này có thể đã bị sửa đổi. "
        "Đừng tin vào nó."
    )
    reasons = alert[alert.index('<details class="reasons">') : alert.index("</details>")]
    assert "<li>" in reasons  # what failed, behind "Lý do"


def test_without_a_verdict_the_form_is_in_plain_view(now: Now) -> None:
    page = now.api.http.post(
        "/xac-minh",
        files={"file": ("ho-so.bundle", b"%PDF-1.7 not a bundle", "application/msgpack")},
    )
    assert page.status_code == 422
    assert 'role="alert"' in page.text
    assert "<details" not in page.text


# --- the command line ---------------------------------------------------------------------------


def test_lienthong_slip_says_overdue_turns_in_working_days(later: Later) -> None:
    api = later.api
    at = api.clock.now()
    inspector = api.services.inspector()
    in_transit, held = inspector.slip(later.in_transit, at), inspector.slip(later.held, at)
    assert in_transit is not None
    assert held is not None
    over = working_span(worked(api, in_transit.location.appointed, at), "en")
    (line,) = [line for line in slip_rows(api.services.ledger, in_transit, "en") if line[:3] == "2. "]
    assert line.endswith(
        f"in transit, not yet acknowledged — against the date promised: {over} overdue"
    )
    (turn,) = held.blocks
    assert turn.deadline is not None
    assert turn.used_seconds is not None
    (line,) = [line for line in slip_rows(api.services.ledger, held, "vi") if line[:3] == "1. "]
    over = working_span(worked(api, turn.deadline, at), "vi")
    used = working_span(turn.used_seconds, "vi")
    assert f"hạn {format_local(turn.deadline)}: quá hạn {over}" in line
    assert line.endswith(f"(đã dùng {used})")
    assert re.search(r"quá hạn \d{3}(,\d)? ngày làm việc", line), line


def test_lienthong_where_says_the_days_left_as_the_pages_do(later: Later) -> None:
    api = later.api
    location = api.services.views().location(later.in_transit)
    assert location is not None
    at = location.appointed - 3 * DAY * 1_000_000
    result = CliRunner().invoke(
        cli,
        ["--database-url", later.database, "where", later.in_transit, "--as-of", format_local(at)],
    )
    assert result.exit_code == 0, result.output
    left = days_left(api.services.calendar, at, location.appointed)
    assert f"Hẹn trả kết quả: {format_local(location.appointed)} ({days_left_text(left, 'vi')})" in (
        result.output
    )


def test_the_receipts_qr_code_opens_the_lookup_with_the_code_filled_in(
    tmp_path: Path,
) -> None:
    """The receipt's QR code leads to /tra-cuu?code=<code>: the form comes with the code typed,
    and anything that is not a code is left out."""
    with open_api(f"sqlite:///{tmp_path / 'ledger.db'}", tmp_path) as api:
        code = api.demo.dossiers[0]
        filled = api.http.get("/tra-cuu", params={"code": code})
        assert filled.status_code == 200
        assert f'value="{code}"' in filled.text
        odd = api.http.get("/tra-cuu", params={"code": "<script>"})
        assert odd.status_code == 200
        assert 'value=""' in odd.text
