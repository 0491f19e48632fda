"""The circular's dossier code, `<agency identifier>-<yymmdd>-<sequence>`: the rule itself
(domain/identifier.py), an office's agency identifier by date (domain/office.py), and the
statement format's `agency` field (ledger/statements/schema.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from domain.errors import (
    BadDossierCode,
    DossierCodeAgency,
    DossierCodeDate,
    DossierCodeSequence,
)
from domain.identifier import dossier_code, dossier_code_problem, is_agency
from domain.office import Office
from domain.statement import Statement
from ledger.errors import BadField
from ledger.statements import schema
from tests.unit.entries import entry

DAY = date(2026, 3, 3)
AGENCY = "000.66.29.H59"


def test_a_code_of_the_offices_identifier_the_day_and_a_sequence_passes() -> None:
    for code in (
        "000.66.29.H59-260303-0001",
        "000.66.29.H59-260303-9999",
        "000.66.29.H59-260303-123456",  # ministries' systems: six or seven digits
        "000.66.29.H59-260303-1234567",
    ):
        assert dossier_code_problem(code, AGENCY, DAY) is None, code
    assert dossier_code(AGENCY, DAY, 1) == "000.66.29.H59-260303-0001"
    assert dossier_code(AGENCY, DAY, 12345) == "000.66.29.H59-260303-12345"


def test_the_newer_order_with_the_province_first_passes_as_registered() -> None:
    assert dossier_code_problem("H59.29.66.000-260303-0001", "H59.29.66.000", DAY) is None
    # an office id standing for a missing identifier, dashes and slashes and all
    assert dossier_code_problem("29266/2025-260303-0001", "29266/2025", DAY) is None
    assert dossier_code_problem("x-y-260303-0001", "x-y", DAY) is None


@pytest.mark.parametrize(
    ("code", "error", "words"),
    [
        ("HS-001", BadDossierCode, "not of the form <agency identifier>-<yymmdd>-<sequence>"),
        ("000.66.29.H59", BadDossierCode, "e.g. 000.66.29.H59-260303-0001"),
        ("-260303-0001", BadDossierCode, "not of the form"),
        ("000.00.01.H59-260303-0001", DossierCodeAgency, "begins with '000.00.01.H59'"),
        ("000.66.29.h59-260303-0001", DossierCodeAgency, "identifier on 2026-03-03 is"),
        ("000.66.29.H59-260302-0001", DossierCodeDate, "carries the date '260302'"),
        ("000.66.29.H59-20260303-0001", DossierCodeDate, "received on 2026-03-03 carries 260303"),
        ("000.66.29.H59-26033a-0001", DossierCodeDate, "carries the date '26033a'"),
        ("000.66.29.H59-260303-001", DossierCodeSequence, "the sequence '001'"),
        ("000.66.29.H59-260303-12345678", DossierCodeSequence, "4 to 7 digits"),
        ("000.66.29.H59-260303-0000", DossierCodeSequence, "not zero"),
        ("000.66.29.H59-260303-00a1", DossierCodeSequence, "the sequence '00a1'"),
    ],
)
def test_a_code_breaking_the_rule_is_refused_naming_the_part(
    code: str, error: type[Exception], words: str
) -> None:
    problem = dossier_code_problem(code, AGENCY, DAY)
    assert type(problem) is error
    assert words in str(problem)
    assert isinstance(problem, BadDossierCode)


def test_each_part_has_its_own_problem_type_in_both_languages() -> None:
    codes = {cls.code for cls in (BadDossierCode, DossierCodeAgency, DossierCodeDate)}
    assert codes == {"bad-dossier-code", "dossier-code-agency", "dossier-code-date"}
    assert DossierCodeSequence.code == "dossier-code-sequence"
    assert "cơ quan tiếp nhận" in DossierCodeAgency.title_vi
    assert "receiving office" in DossierCodeAgency.title_en


def test_an_agency_identifier_is_groups_of_digits_and_capitals_between_dots() -> None:
    for good in ("000.00.01.H59", "H59.000.00.01", "G01", "000.00.00.A12.B3"):
        assert is_agency(good), good
    for bad in ("", "000..01.H59", ".000", "000.", "000.00.01.h59", "000-00", "0 1", 5, None):
        assert not is_agency(bad), bad
    assert not is_agency("A" * 65)


def established(agency: str | None = None, **more: Any) -> Office:
    body = {"name": "Xã Càng Long", "level": "commune", "effective": "2025-07-01", **more}
    if agency is not None:
        body["agency"] = agency
    return Office.establish(entry("office.established", "29266/2025", body), None)


def test_an_office_has_its_agency_identifier_from_its_date_and_a_new_one_from_a_rename() -> None:
    office = established("000.66.29.H59")
    assert office.agency_on(date(2025, 6, 30)) is None  # before it existed
    assert office.agency_on(date(2025, 7, 1)) == "000.66.29.H59"
    office.rename(
        entry(
            "office.renamed",
            "29266/2025",
            {"name": "Phường Càng Long", "effective": "2026-01-01", "agency": "000.01.86.H59"},
            seq=2,
        )
    )
    assert office.agency_on(date(2025, 12, 31)) == "000.66.29.H59"
    assert office.agency_on(date(2026, 1, 1)) == "000.01.86.H59"
    assert office.code_agency_on(date(2026, 1, 1)) == "000.01.86.H59"


def test_a_rename_without_an_identifier_keeps_the_one_in_force() -> None:
    office = established("000.66.29.H59")
    office.rename(
        entry("office.renamed", "29266/2025", {"name": "Xã Mới", "effective": "2026-01-01"}, seq=2)
    )
    assert office.agency_on(date(2026, 6, 1)) == "000.66.29.H59"
    assert all(event.agency is None for event in office.pending_events[1:])  # type: ignore[attr-defined]


def test_an_office_with_no_identifier_has_its_id_stand_for_it_in_codes() -> None:
    office = established()
    assert office.agency_on(date(2026, 3, 3)) is None
    assert office.code_agency_on(date(2026, 3, 3)) == "29266/2025"
    assert office.pending_events[0].agency is None  # type: ignore[attr-defined]
    office.rename(
        entry(
            "office.renamed",
            "29266/2025",
            {"name": "Xã Càng Long", "effective": "2026-01-01", "agency": "000.66.29.H59"},
            seq=2,
        )
    )
    assert office.code_agency_on(date(2025, 12, 31)) == "29266/2025"
    assert office.code_agency_on(date(2026, 1, 1)) == "000.66.29.H59"


def office_statement(kind: str, body: dict[str, Any]) -> Statement:
    return Statement(kind, "29266/2025", 1, bytes(32), "authority", "authority", "k", 1, body)


@pytest.mark.parametrize("kind", ["office.established", "office.renamed"])
def test_the_format_takes_an_optional_agency_on_establishment_and_rename(kind: str) -> None:
    body: dict[str, Any] = {"name": "Xã Càng Long", "effective": "2025-07-01"}
    if kind == "office.established":
        body["level"] = "commune"
    without = schema.parse(schema.build(office_statement(kind, body)))
    assert "agency" not in without.body
    raw = schema.build(office_statement(kind, {**body, "agency": "000.66.29.H59"}))
    assert schema.parse(raw).body["agency"] == "000.66.29.H59"
    for bad in ("000.66.29.h59", "000..29", "", "HS 1"):
        with pytest.raises(BadField, match=r"body.agency must be an agency identifier"):
            schema.build(office_statement(kind, {**body, "agency": bad}))
