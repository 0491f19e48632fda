"""Reports and slips say what judged each result: the procedure version's budgets confirmed or
provisional (and why), and the receipt cut-off the appointed time was counted with, or none.

The small world (tests/world.py) gains three procedure versions, each decided at the commune:
funeral support and the monthly social allowance as the seed publishes them after the 1/7/2025
reform (ledger/reference/data/procedures_2025.csv: funeral support's 3 working days provisional,
with the reason, the allowance's 10 confirmed), and a same-day certification with a 15:00 cut-off
(as tests/test_cutoff.py publishes it). On Monday 4/8/2025 at 16:00 the commune 29266 receives
one dossier of each, and a second funeral-support dossier; the first three are decided on
Tuesday 5/8, the fourth stays open.

Over every backend: the report's counts and per-version rules, the decisions' rows, the slip's
marks, and the read model's time appointed at receipt and earliest apology (the index figures no
longer read a dossier's history). On a SQLite file, through the app: the JSON report and slip,
`lienthong report` and `lienthong slip`, and the pages (the map's section, the list behind a
number, the dossier's slip) in both languages.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli.dossier import slip_rows
from api.cli.main import app as cli
from api.http import render
from api.http.app import create_app
from api.http.services import Services
from api.http.web.heatmap import period
from api.http.web.pages import procedure_name
from domain.calendar import end_of
from domain.instant import VIETNAM, from_datetime, local_date, start_of
from domain.procedure import Cutoff
from ledger.application import Ledger
from ledger.reference.calendar import load_calendar
from ledger.reference.seed import procedure_versions
from ledger.views.projector import Projector
from ledger.views.reports import Decision, JudgedBy, decisions, office_report
from ledger.views.sla import Inspector, appointed_for
from tests.apiworld import settings_for
from tests.websession import sign_in
from tests.world import World

COMMUNE = "29266"
PROVISIONAL, CONFIRMED, SAME_DAY = (
    "funeral-support-social",
    "social-allowance-monthly",
    "certification-copy",
)
SOURCE = "Decree 23/2015/NĐ-CP Art. 21"
FUNERAL, ALLOWANCE, COPY, OPEN = (f"000.00.01.H59-250804-{n:04d}" for n in range(1, 5))
DECISION = {"outcome": "approved", "reference": "QĐ 7/QĐ-UBND", "documents": []}
START, END = date(2025, 8, 1), date(2025, 9, 1)  # the report's period


def local(day: int, month: int, hour: int = 0, minute: int = 0) -> int:
    return from_datetime(datetime(2025, month, day, hour, minute, tzinfo=VIETNAM))


def seeded(key: str) -> list[dict[str, Any]]:
    """The versions the seed publishes for a procedure of ledger/reference/data/procedures.csv."""
    text = (
        resources.files("ledger.reference")
        .joinpath("data", "procedures.csv")
        .read_text(encoding="utf-8")
    )
    row = next(row for row in csv.DictReader(text.splitlines()) if row["key"] == key)
    return procedure_versions(row)


def reason_of(ledger: Ledger, procedure: str, version: int) -> str:
    return ledger.procedure(procedure).get_version(version).provisional


def build(world: World) -> None:
    """The three versions published, the four dossiers received, three of them decided."""
    for key in (PROVISIONAL, CONFIRMED):
        for version in seeded(key):
            world.authority.record("procedure.published", key, version)
    world.authority.record(
        "procedure.published",
        SAME_DAY,
        {
            "version": 1,
            "name_vi": "Chứng thực bản sao từ bản chính",
            "name_en": "Certified copy from the original",
            "route": [{"level": "commune", "days": 2, "day_type": "working"}],
            "decides": ["commune"],
            "legal_basis": SOURCE,
            "effective": "2022-02-15",
            "cutoff": {"time": "15:00", "source": SOURCE},
        },
    )
    world.clock.set(local(4, 8, 16))
    received = {FUNERAL: (PROVISIONAL, 2), ALLOWANCE: (CONFIRMED, 2), COPY: (SAME_DAY, 1)}
    calendar = load_calendar()
    for code, (procedure, version) in {**received, OPEN: (PROVISIONAL, 2)}.items():
        published = world.ledger.procedure(procedure).get_version(version)
        appointed = appointed_for(published, world.clock.now(), calendar)  # as the server does
        world.receive(code, procedure=procedure, version=version, appointed=appointed)
        world.later(0.1)
    world.clock.set(local(5, 8, 10))
    for code in received:
        world.at(COMMUNE).record("dossier.decided", code, DECISION)
        world.later(0.1)


@pytest.fixture
def inspector(world: World) -> Iterator[Inspector]:
    build(world)
    projector = Projector(world.ledger)
    try:
        projector.catch_up()
        yield Inspector(world.ledger, projector, load_calendar())
    finally:
        projector.close()


def judged_funeral(ledger: Ledger) -> JudgedBy:
    return JudgedBy(procedure=PROVISIONAL, version=2, provisional=reason_of(ledger, PROVISIONAL, 2))


CUT_OFF = JudgedBy(procedure=SAME_DAY, version=1, cutoff=Cutoff(time(15, 0), SOURCE))


# --- the report, the decisions and the slip, over every backend -------------------------------


def test_the_seeded_funeral_support_budget_is_provisional_and_the_allowance_s_confirmed(
    world: World,
) -> None:
    build(world)
    assert reason_of(world.ledger, PROVISIONAL, 2)  # the seed says why
    assert reason_of(world.ledger, CONFIRMED, 2) == ""


def test_the_report_counts_the_resolved_by_what_judged_them(
    world: World, inspector: Inspector
) -> None:
    for office in (COMMUNE, "844", "84"):  # the commune, and the offices it answers to
        report = office_report(inspector, office, start_of(START), start_of(END))
        assert report.resolved == 3, office
        assert report.received_total == 4
        assert report.judged_by == {
            JudgedBy(procedure=SAME_DAY, version=1, cutoff=Cutoff(time(15, 0), SOURCE)): 1,
            judged_funeral(world.ledger): 1,
            JudgedBy(procedure=CONFIRMED, version=2): 1,
        }
        assert list(report.judged_by) == sorted(
            report.judged_by, key=lambda judged: (judged.procedure, judged.version)
        )
        # the open funeral-support dossier is pending, not judged: one, not two
        assert report.provisional == 1
        assert report.provisional_versions == {judged_funeral(world.ledger): 1}
        assert report.with_cutoff == 1
        assert report.cutoff_versions == {CUT_OFF: 1}


def test_a_report_with_nothing_resolved_names_no_rule(inspector: Inspector) -> None:
    report = office_report(
        inspector, COMMUNE, start_of(date(2025, 9, 1)), start_of(END.replace(month=10))
    )
    assert (report.resolved, report.provisional, report.with_cutoff) == (0, 0, 0)
    assert report.judged_by == {}


def test_each_decision_says_whether_its_budget_was_provisional_and_which_cut_off_applied(
    world: World, inspector: Inspector
) -> None:
    rows = decisions(inspector, COMMUNE, start_of(START), start_of(END))
    by_code = {row.code: row for row in rows}
    assert set(by_code) == {FUNERAL, ALLOWANCE, COPY}
    assert by_code[FUNERAL].provisional == reason_of(world.ledger, PROVISIONAL, 2)
    assert by_code[FUNERAL].cutoff is None
    assert (by_code[ALLOWANCE].provisional, by_code[ALLOWANCE].cutoff) == ("", None)
    assert by_code[COPY].provisional == ""
    assert by_code[COPY].cutoff == Cutoff(time(15, 0), SOURCE)
    assert by_code[COPY].judged_by == CUT_OFF
    # a row still unpacks as the (code, result, decided_at, appointed) it was
    code, result, decided_at, appointed = by_code[COPY]
    assert (code, result, decided_at) == (COPY, "early", by_code[COPY].decided_at)
    assert appointed == by_code[COPY].appointed
    assert all(isinstance(row, Decision) for row in rows)


def test_the_cut_off_moved_the_appointed_time_of_the_dossier_received_after_it(
    inspector: Inspector,
) -> None:
    """Received Monday 4/8 at 16:00, after the 15:00 cut-off: the two working days count from
    Tuesday, to Thursday 7/8; without a cut-off they would end on Wednesday."""
    location = inspector.projector.location(COPY)
    assert location is not None
    assert location.appointed == end_of(local_date(local(7, 8)))


def test_the_slip_marks_the_turns_judged_against_a_provisional_budget(
    world: World, inspector: Inspector
) -> None:
    now = world.clock.now()
    reason = reason_of(world.ledger, PROVISIONAL, 2)
    funeral, allowance = inspector.slip(FUNERAL, now), inspector.slip(ALLOWANCE, now)
    assert funeral is not None
    assert allowance is not None
    assert funeral.provisional == reason
    assert [block.provisional for block in funeral.blocks] == [True]
    assert funeral.blocks[0].result == "early"
    assert allowance.provisional == ""
    assert [block.provisional for block in allowance.blocks] == [False]
    wire = render.slip_out(funeral)
    assert wire.provisional == reason
    assert [block.provisional for block in wire.blocks] == [True]
    assert render.slip_out(allowance).provisional is None

    english = slip_rows(world.ledger, funeral, "en")
    assert f"Provisional time limits (could not be confirmed): {reason}" in english
    assert "Receipt cut-off: none (the procedure sets none)" in english
    assert english[
        english.index(f"Provisional time limits (could not be confirmed): {reason}") + 1
    ].startswith("1. Received at:")
    assert ": early (provisional budget)" in english[-1]
    vietnamese = slip_rows(world.ledger, funeral, "vi")
    assert f"Thời hạn tạm tính (chưa xác nhận được): {reason}" in vietnamese
    assert "(thời hạn tạm tính)" in vietnamese[-1]
    plain = slip_rows(world.ledger, allowance, "en")
    assert not any("rovisional" in line for line in plain)


def test_the_location_keeps_the_time_appointed_at_receipt_and_the_earliest_apology(
    world: World,
) -> None:
    """The index figures count from these: an apology moves `appointed`, never
    `appointed_at_receipt`; a later extension leaves `first_apology_at` on the first apology."""
    build(world)
    received = world.ledger.dossier(OPEN).appointed
    world.clock.set(local(6, 8, 9))
    world.at(COMMUNE).record(
        "dossier.delay_notified",
        OPEN,
        {"reason": "Cần xác minh thêm", "appointed": received + 10 * 86_400_000_000},
    )
    world.clock.set(local(7, 8, 9))
    world.at(COMMUNE).record(
        "dossier.extension_requested",
        OPEN,
        {"reason": "Cần xác minh thêm", "appointed": received + 20 * 86_400_000_000},
    )
    world.clock.set(local(20, 8, 9))
    world.at(COMMUNE).record("dossier.decided", OPEN, DECISION)
    projector = Projector(world.ledger)
    try:
        projector.catch_up()
        location = projector.location(OPEN)
        assert location is not None
        assert location.appointed_at_receipt == received
        assert location.appointed == received + 20 * 86_400_000_000
        assert location.first_apology_at == local(6, 8, 9)  # the delay notice, not the extension
        untouched = projector.location(ALLOWANCE)
        assert untouched is not None
        assert untouched.first_apology_at is None
        assert untouched.appointed_at_receipt == untouched.appointed
        report = office_report(
            Inspector(world.ledger, projector, load_calendar()),
            COMMUNE,
            start_of(START),
            start_of(END),
        )
        # OPEN was decided after the time appointed at receipt, with an apology before
        assert (report.index.late_at_receipt, report.index.late_apologised) == (1, 1)
        rebuilt = projector.dump()
        projector.rebuild()
        assert projector.dump() == rebuilt
        assert (OPEN, bytes(32)) not in rebuilt["receipt_scans"]
        assert any(code == OPEN for code, _sha in rebuilt["receipt_scans"])
    finally:
        projector.close()


def test_a_report_reads_no_dossier_s_history(
    world: World, inspector: Inspector, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The index figures come from the read model: the report reads the log for no dossier."""

    def refuse(*_args: Any) -> Any:
        raise AssertionError("the report read a dossier's history")

    monkeypatch.setattr(world.ledger, "history", refuse)
    monkeypatch.setattr(world.ledger, "received", refuse)
    report = office_report(inspector, COMMUNE, start_of(START), start_of(END))
    assert report.resolved == 3


# --- through the app: JSON, the command line and the pages -------------------------------------


@dataclass
class Site:
    http: TestClient
    services: Services
    database: str
    reason: str


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    directory = tmp_path_factory.mktemp("report-provisional")
    database = f"sqlite:///{directory / 'ledger.db'}"
    world = World.build(database)
    build(world)
    clock = world.clock
    reason = reason_of(world.ledger, PROVISIONAL, 2)
    world.ledger.close()
    clock.set(local(25, 8, 9))
    application = create_app(settings_for(database, directory), clock=clock)
    with TestClient(application) as http:
        services: Services = application.state.services
        token = services.tokens.create(
            "inspector", office=COMMUNE, now=clock.now(), valid_seconds=86_400
        )[1]
        http.headers["Authorization"] = f"Bearer {token}"
        sign_in(http, token, back="/giam-sat/ban-do")
        yield Site(http, services, database, reason)


def test_the_json_report_says_what_judged_the_resolved(site: Site) -> None:
    response = site.http.get(
        f"/v1/offices/{COMMUNE}/report", params={"start": START.isoformat(), "end": END.isoformat()}
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["resolved"] == 3
    assert (report["provisional"], report["with_cutoff"], report["without_cutoff"]) == (1, 1, 2)
    assert report["judged_by"] == [
        {
            "procedure": SAME_DAY,
            "version": 1,
            "resolved": 1,
            "provisional": None,
            "cutoff": {"time": "15:00", "source": SOURCE},
        },
        {
            "procedure": PROVISIONAL,
            "version": 2,
            "resolved": 1,
            "provisional": site.reason,
            "cutoff": None,
        },
        {
            "procedure": CONFIRMED,
            "version": 2,
            "resolved": 1,
            "provisional": None,
            "cutoff": None,
        },
    ]


def test_the_json_slip_marks_the_provisional_budget(site: Site) -> None:
    funeral = site.http.get(f"/v1/dossiers/{FUNERAL}/slip")
    copy = site.http.get(f"/v1/dossiers/{COPY}/slip")
    assert funeral.status_code == copy.status_code == 200
    assert funeral.json()["provisional"] == site.reason
    assert [block["provisional"] for block in funeral.json()["blocks"]] == [True]
    assert copy.json()["provisional"] is None
    assert [block["provisional"] for block in copy.json()["blocks"]] == [False]
    assert copy.json()["cutoff"] == {"time": "15:00", "source": SOURCE}


def cli_report(site: Site, lang: str) -> str:
    result = CliRunner().invoke(
        cli,
        [
            "--database-url",
            site.database,
            "--lang",
            lang,
            "report",
            COMMUNE,
            "--from",
            "01/08/2025",
            "--to",
            "31/08/2025",
        ],
    )
    assert result.exit_code == 0, result.output
    return str(result.output)


def test_lienthong_report_prints_what_judged_the_resolved(site: Site) -> None:
    lines = cli_report(site, "en").splitlines()
    at = lines.index(
        "Judged against a provisional budget (could not be confirmed): 1 of 3 resolved"
    )
    assert lines[at + 1] == f"  - {PROVISIONAL} version 2: 1 — {site.reason}"
    assert lines[at + 2] == "Appointed time counted with a receipt cut-off: 1; without one: 2"
    assert lines[at + 3] == f"  - {SAME_DAY} version 1: 1 — 15:00 ({SOURCE})"
    vietnamese = cli_report(site, "vi").splitlines()
    assert (
        "Đánh giá theo thời hạn tạm tính (chưa xác nhận được): 1 / 3 hồ sơ đã giải quyết"
        in vietnamese
    )
    assert f"  - {PROVISIONAL} phiên bản 2: 1 — {site.reason}" in vietnamese
    assert "Ngày hẹn tính theo giờ chốt tiếp nhận: 1; không có giờ chốt: 2" in vietnamese


def test_lienthong_slip_marks_the_provisional_budget_as_text_and_on_the_printable_page(
    site: Site, tmp_path: Path
) -> None:
    page = tmp_path / "slip.html"
    result = CliRunner().invoke(
        cli,
        ["--database-url", site.database, "--lang", "en", "slip", FUNERAL, "--html", str(page)],
    )
    assert result.exit_code == 0, result.output
    line = f"Provisional time limits (could not be confirmed): {site.reason}"
    assert line in result.output.splitlines()
    assert "(provisional budget)" in result.output
    html = page.read_text(encoding="utf-8")
    assert "<p>Receipt cut-off: none (the procedure sets none)</p>" in html
    assert f"<p>{line}</p>" in html
    assert html.count("<li") == 1
    assert "(provisional budget)" in html


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'")


@pytest.mark.parametrize(
    ("lang", "provisional", "cutoff", "version"),
    [
        (
            "en",
            "Judged against a provisional budget (could not be confirmed)",
            "Appointed time counted with a receipt cut-off",
            "{procedure} version {version}: {n} dossiers — {rule}",
        ),
        (
            "vi",
            "Đánh giá theo thời hạn tạm tính (chưa xác nhận được)",
            "Ngày hẹn tính theo giờ chốt tiếp nhận",
            "{procedure} phiên bản {version}: {n} hồ sơ — {rule}",
        ),
    ],
)
def test_the_map_page_says_what_judged_the_resolved(
    site: Site, lang: str, provisional: str, cutoff: str, version: str
) -> None:
    page = site.http.get("/giam-sat/ban-do", params={"months": 1, "lang": lang})
    assert page.status_code == 200, page.text
    text = text_of(page.text)
    first, last = period(site.services.clock.now(), 1)
    report = office_report(site.services.inspector(), COMMUNE, start_of(first), start_of(last))
    # the dossiers of August are in the month
    assert (report.provisional, report.with_cutoff) == (1, 1)
    assert provisional in text
    assert cutoff in text
    for judged, n in report.provisional_versions.items():
        name = procedure_name(site.services, judged.procedure, judged.version, lang)
        line = version.format(procedure=name, version=judged.version, n=n, rule=judged.provisional)
        assert line in text  # the procedure by its name, not its key
    rule = f"15:00 ({SOURCE})"
    name = procedure_name(site.services, SAME_DAY, 1, lang)
    assert version.format(procedure=name, version=1, n=1, rule=rule) in text


def test_the_list_behind_a_number_says_what_judged_each_dossier(site: Site) -> None:
    page = site.http.get("/giam-sat/ket-qua", params={"result": "early", "months": 1, "lang": "en"})
    assert page.status_code == 200, page.text
    rows = {
        code: text_of(row)
        for row in re.findall(r"<tr>.*?</tr>", page.text, flags=re.S)
        for code in re.findall(r"/ho-so/([^\"]+)\"", row)
    }
    for code, procedure, version, judged in [
        (FUNERAL, PROVISIONAL, 2, "against a provisional budget; no receipt cut-off"),
        (ALLOWANCE, CONFIRMED, 2, "confirmed budget; no receipt cut-off"),
        (COPY, SAME_DAY, 1, f"confirmed budget; Receipt cut-off 15:00 ({SOURCE})"),
    ]:
        name = procedure_name(site.services, procedure, version, "en")
        assert name in rows[code]  # by its name, in a column of its own
        assert procedure not in rows[code]
        assert f"Version {version}: {judged}" in rows[code]


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (
            "en",
            ("Provisional time limits (could not be confirmed)", "against a provisional budget"),
        ),
        ("vi", ("Thời hạn tạm tính (chưa xác nhận được)", "theo thời hạn tạm tính")),
    ],
)
def test_the_dossier_s_page_marks_its_slip(site: Site, lang: str, words: tuple[str, str]) -> None:
    funeral = text_of(site.http.get(f"/ho-so/{FUNERAL}", params={"lang": lang}).text)
    assert f"{words[0]}: {site.reason}" in funeral
    assert f"({words[1]})" in funeral
    allowance = text_of(site.http.get(f"/ho-so/{ALLOWANCE}", params={"lang": lang}).text)
    assert words[0] not in allowance
    assert f"({words[1]})" not in allowance
