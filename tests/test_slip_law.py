"""The control slip's form and legal basis by the dossier's date of receipt, everywhere a slip is
shown: the JSON slip, the citizen's lookup page, and `lienthong slip` (text and printable page).

Three dossiers are received through the API at the commune: on 30/6/2025 (Decree 61/2018, form 05
of Circular 01/2018), on 12/8/2025 (Decree 118/2025 in force, the 2018 form still in use) and on
10/3/2026 (form 06 of Circular 03/2025)."""

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
from domain.instant import VIETNAM, from_datetime
from ledger.statements.signing import SigningKey
from tests.apiworld import APPLICANT, DOCUMENT, FILES, settings_for
from tests.world import PROCEDURE, World

OFFICE, OFFICER = "29266", "cb-29266"
JUNE = "000.00.01.H59-250630-0001"
AUGUST = "000.00.01.H59-250812-0001"
NEXT_YEAR = "000.00.01.H59-260310-0001"
RECEIVED = {
    JUNE: datetime(2025, 6, 30, 9, 0, tzinfo=VIETNAM),
    AUGUST: datetime(2025, 8, 12, 9, 0, tzinfo=VIETNAM),
    NEXT_YEAR: datetime(2026, 3, 10, 9, 0, tzinfo=VIETNAM),
}
DECREE_2018 = "Nghị định 61/2018/NĐ-CP (được sửa đổi, bổ sung bởi Nghị định 107/2021/NĐ-CP)"
DECREE_2025 = "Nghị định 118/2025/NĐ-CP (được sửa đổi, bổ sung bởi Nghị định 367/2025/NĐ-CP)"
# code -> (form number, circular, legal basis in Vietnamese, in English)
SLIPS = {
    JUNE: (
        "05",
        "01/2018/TT-VPCP",
        f"{DECREE_2018}; Thông tư 01/2018/TT-VPCP",
        "Decree 61/2018/NĐ-CP (as amended by Decree 107/2021/NĐ-CP); Circular 01/2018/TT-VPCP",
    ),
    AUGUST: (
        "05",
        "01/2018/TT-VPCP",
        f"{DECREE_2025}; Thông tư 01/2018/TT-VPCP (biểu mẫu còn được sử dụng đến ngày 15/9/2025)",
        "Decree 118/2025/NĐ-CP (as amended by Decree 367/2025/NĐ-CP); Circular 01/2018/TT-VPCP "
        "(its forms still in use until 15/9/2025)",
    ),
    NEXT_YEAR: (
        "06",
        "03/2025/TT-VPCP",
        f"{DECREE_2025}; Thông tư 03/2025/TT-VPCP",
        "Decree 118/2025/NĐ-CP (as amended by Decree 367/2025/NĐ-CP); Circular 03/2025/TT-VPCP",
    ),
}
CASES = list(SLIPS)


@dataclass
class Site:
    http: TestClient
    services: Services
    database: str
    token: str
    secrets: dict[str, str]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    directory = tmp_path_factory.mktemp("slip-law")
    database = f"sqlite:///{directory / 'ledger.db'}"
    world = World.build(database)
    clock = world.clock
    world.ledger.close()
    application = create_app(settings_for(database, directory), clock=clock)
    with TestClient(application) as http:
        services: Services = application.state.services
        key = SigningKey(world.at(OFFICE).key.private, OFFICER, OFFICE)
        secrets = {}
        for code, moment in RECEIVED.items():
            clock.set(from_datetime(moment))
            token = services.tokens.create(
                "officer", office=OFFICE, officer=OFFICER, now=clock.now(), valid_seconds=86400
            )[1]
            body = {
                "procedure": PROCEDURE,
                "version": 1,
                "channel": "direct",
                "documents": [DOCUMENT],
            }
            client = Client(http=http, token=token, files=FILES)
            receipt = client.record(key, "dossier.received", code, body, applicant=APPLICANT)
            secrets[code] = receipt["receipt_secret"]
        registrar = services.tokens.create("registrar", now=clock.now(), valid_seconds=86400)[1]
        yield Site(http, services, database, registrar, secrets)


@pytest.mark.parametrize("code", CASES)
def test_json_slip_names_the_form_and_legal_basis_in_force_on_the_date_of_receipt(
    site: Site, code: str
) -> None:
    number, circular, basis_vi, basis_en = SLIPS[code]
    response = site.http.get(
        f"/v1/dossiers/{code}/slip", headers={"Authorization": f"Bearer {site.token}"}
    )
    assert response.status_code == 200, response.text
    slip = response.json()
    assert slip["form"] == {
        "type": "control_slip",
        "number": number,
        "name_vi": "Phiếu kiểm soát quá trình giải quyết hồ sơ",
        "name_en": "Process control slip",
        "circular": circular,
    }
    assert (slip["legal_basis_vi"], slip["legal_basis_en"]) == (basis_vi, basis_en)


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("code", CASES)
def test_lookup_page_prints_the_slip_on_the_form_in_force_on_the_date_of_receipt(
    site: Site, code: str, lang: str
) -> None:
    number, circular, basis_vi, basis_en = SLIPS[code]
    response = site.http.post(
        f"/tra-cuu?lang={lang}", data={"code": code, "secret": site.secrets[code]}
    )
    assert response.status_code == 200, response.text
    page = response.text
    if lang == "vi":
        label = (
            f"Mẫu số {number} — Phiếu kiểm soát quá trình giải quyết hồ sơ (Thông tư {circular})"
        )
        basis = f"Căn cứ: {basis_vi}"
    else:
        label = f"Form {number} — Process control slip (Circular {circular})"
        basis = f"Legal basis: {basis_en}"
    assert label in page
    assert basis in page
    other = "06" if number == "05" else "05"
    assert f"Mẫu số {other}" not in page
    assert f"Form {other}" not in page


@pytest.mark.parametrize("code", CASES)
def test_cli_slip_names_the_form_and_legal_basis_in_force_on_the_date_of_receipt(
    site: Site, code: str, tmp_path: Path
) -> None:
    number, circular, basis_vi, basis_en = SLIPS[code]
    page = tmp_path / "slip.html"
    result = CliRunner().invoke(
        cli, ["--database-url", site.database, "slip", code, "--html", str(page)]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    label = f"Mẫu số {number} — Phiếu kiểm soát quá trình giải quyết hồ sơ (Thông tư {circular})"
    assert lines[:3] == [
        "Phiếu kiểm soát quá trình giải quyết hồ sơ",
        label,
        f"Căn cứ: {basis_vi}",
    ]
    html = page.read_text(encoding="utf-8")
    assert f"<p>{label}</p>" in html
    assert f"<p>Căn cứ: {basis_vi}</p>" in html
    english = CliRunner().invoke(
        cli, ["--database-url", site.database, "--lang", "en", "slip", code]
    )
    assert english.output.splitlines()[1:3] == [
        f"Form {number} — Process control slip (Circular {circular})",
        f"Legal basis: {basis_en}",
    ]
