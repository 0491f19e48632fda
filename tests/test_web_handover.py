"""A whole handover in two browsers, each officer signing with the key made in its own browser:
the commune officer enrols, is approved, receives a dossier with its scan, and dispatches it to
the province; the province officer, enrolled in its own browser, acknowledges it. The ledger
then holds the three statements, each signed by the browser key of the office that made it, and
the full audit passes."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator

import pytest

from ledger.log.audit import audit
from ledger.simulation.demo import demo_log_key
from tests.apiworld import COMMUNE, COMMUNE_OFFICER, PROVINCE, PROVINCE_OFFICER, demo_code
from tests.browser import Site, enrolled_officer, made_code, open_site

SEED = demo_code(1000)  # the fixture's own dossier, received through the API


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with open_site(tmp_path_factory.mktemp("web-handover"), SEED) as opened:
        yield opened


def test_receipt_dispatch_and_acknowledgement_each_signed_in_its_officers_browser(
    site: Site,
) -> None:
    commune = enrolled_officer(site, COMMUNE, COMMUNE_OFFICER)
    province = enrolled_officer(site, PROVINCE, PROVINCE_OFFICER)
    scan = b"%PDF-1.7 the application, scanned at the commune"

    commune.goto(f"{site.url}/can-bo/tiep-nhan")
    code = made_code(commune)  # made by the server, shown before signing
    commune.get_by_label("Họ và tên").fill("Lê Thị D")
    commune.get_by_label("Tệp quét của giấy tờ").first.set_input_files(
        files=[{"name": "don.pdf", "mimeType": "application/pdf", "buffer": scan}]
    )
    commune.get_by_role("button", name="Tiếp nhận và ký").click()
    commune.wait_for_url(re.compile(r"/can-bo/bien-nhan/"))  # the receipt, to print

    commune.goto(f"{site.url}/can-bo")
    commune.get_by_role("link", name=f"Giao {code}").click()
    commune.get_by_label("Giao cho cơ quan").select_option(PROVINCE)
    commune.get_by_role("button", name="Giao hồ sơ và ký").click()
    commune.wait_for_url(re.compile(r"/can-bo\?da-giao="))

    province.goto(f"{site.url}/can-bo")
    arriving = province.locator("form.handover").filter(has_text=code)
    arriving.get_by_label("Đơn đề nghị").check()  # none is ticked for the officer
    arriving.get_by_role("button", name="Nhận hồ sơ và ký").click()
    province.get_by_role("link", name=code, exact=True).wait_for()

    keys = {e.officer: e.key_id for e in site.services.enrolments.all()}
    history = site.services.ledger.history("dossier", code)
    assert [(e.statement.kind, e.statement.office, e.statement.key) for e in history] == [
        ("dossier.received", COMMUNE, keys[COMMUNE_OFFICER]),
        ("handover.dispatched", COMMUNE, keys[COMMUNE_OFFICER]),
        ("handover.acknowledged", PROVINCE, keys[PROVINCE_OFFICER]),
    ]
    digest = hashlib.sha256(scan).digest()
    assert [d["sha256"] for d in history[2].statement.body["documents"]] == [digest]
    assert site.services.views().location(code).custodian == PROVINCE  # type: ignore[union-attr]
    report = audit(site.services.ledger, log_key=demo_log_key().verifier)
    assert report.ok, [f.describe() for f in report.findings[:3]]
    commune.context.close()
    province.context.close()
