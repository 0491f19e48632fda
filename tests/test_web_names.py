"""Names, not ids, where a person reads (api/http/web/pages.py): an office by its name on the
day, and once it has ended how and into what; a procedure by its name in the page's language."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any

import pytest

from api.http.web.pages import office_label, procedure_name
from domain.instant import VIETNAM, from_datetime
from ledger.application import Ledger
from ledger.clock import SimulatedClock
from ledger.config import LedgerSettings
from ledger.reference.seed import seed_travinh
from ledger.statements.authoring import Signer, initialise
from tests.world import seeded_key


def local(year: int, month: int, day: int) -> int:
    return from_datetime(datetime(year, month, day, 9, tzinfo=VIETNAM))


@pytest.fixture(scope="module")
def services() -> Any:
    ledger = Ledger(LedgerSettings(database_url="memory:"), clock=SimulatedClock(local(2025, 1, 2)))
    initialise(ledger, seeded_key("authority"))
    seed_travinh(ledger, Signer.authority(ledger, seeded_key("authority")))
    return SimpleNamespace(ledger=ledger)


def test_an_office_in_operation_reads_by_its_name(services: Any) -> None:
    assert office_label(services, "844", local(2025, 6, 2), "vi") == "Huyện Càng Long"


def test_an_ended_office_says_when_it_ended_and_what_took_it_over(services: Any) -> None:
    after = local(2026, 3, 3)
    assert office_label(services, "844", after, "vi") == (
        "Huyện Càng Long — giải thể 1/7/2025, nay thuộc Tỉnh Vĩnh Long"
    )
    assert office_label(services, "844", after, "en") == (
        "Huyện Càng Long — dissolved 1/7/2025, now part of Tỉnh Vĩnh Long"
    )
    merged = office_label(services, "84/sldtbxh", after, "vi")
    assert merged.startswith("Sở Lao động - Thương binh và Xã hội")
    assert "giải thể 1/3/2025, nay thuộc Sở Nội vụ" in merged


def test_an_office_the_registry_does_not_know_reads_by_its_id(services: Any) -> None:
    assert office_label(services, "nowhere", local(2025, 6, 2), "vi") == "nowhere"
    assert office_label(services, None, local(2025, 6, 2), "vi") == ""


def test_a_procedure_reads_by_its_name_in_the_pages_language(services: Any) -> None:
    vi = procedure_name(services, "social-allowance-monthly", 2, "vi")
    en = procedure_name(services, "social-allowance-monthly", None, "en")
    assert vi != "social-allowance-monthly"
    assert en != vi
    assert procedure_name(services, "no-such-procedure", None, "vi") == "no-such-procedure"
