"""The dossier codes the server makes (ledger/stores/codes.py): the next sequence of the day per
office, never the same twice — from two stores on one database, on SQLite and PostgreSQL — a code
a dossier already has passed over, and the seed's agency identifiers they begin with."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from domain.identifier import dossier_code_problem, is_agency
from ledger.reference.seed import DEMO_AGENCIES, agencies, office_statements
from ledger.stores.codes import LAST_SEQUENCE, CodeStore, NoCodeLeft
from tests.world import World

DAY = date(2026, 3, 3)
AGENCY = "000.66.29.H59"
NOW = 1_772_500_000_000_000


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def store(url: str) -> Iterator[CodeStore]:
    opened = CodeStore(url)
    yield opened
    opened.close()


def reserve(store: CodeStore, office: str = "29266/2025", day: date = DAY, **more: object) -> str:
    return store.reserve(office, AGENCY, day, officer="cb", now=NOW, **more).code  # type: ignore[arg-type]


def test_an_office_gets_the_next_sequence_of_the_day_in_the_circulars_form(
    store: CodeStore,
) -> None:
    first, second = reserve(store), reserve(store)
    assert (first, second) == ("000.66.29.H59-260303-0001", "000.66.29.H59-260303-0002")
    assert dossier_code_problem(first, AGENCY, DAY) is None
    # each office and each day counts from one
    assert reserve(store, office="29269/2025") == "000.66.29.H59-260303-0001"
    assert reserve(store, day=date(2026, 3, 4)) == "000.66.29.H59-260304-0001"
    assert reserve(store) == "000.66.29.H59-260303-0003"


def test_a_code_a_dossier_already_has_is_passed_over_and_left_a_gap(store: CodeStore) -> None:
    used = {"000.66.29.H59-260303-0001", "000.66.29.H59-260303-0002"}
    assert reserve(store, taken=lambda code: code in used) == "000.66.29.H59-260303-0003"
    assert reserve(store) == "000.66.29.H59-260303-0004"  # the passed-over ones stay used


def test_two_stores_on_one_database_never_give_the_same_code(url: str) -> None:
    stores = [CodeStore(url), CodeStore(url)]
    made: list[list[str]] = [[], []]
    start = threading.Barrier(2)

    def ask(n: int) -> None:
        start.wait()
        for _ in range(25):
            made[n].append(reserve(stores[n]))

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for opened in stores:
        opened.close()
    every = made[0] + made[1]
    assert len(set(every)) == 50
    assert sorted(every) == [f"000.66.29.H59-260303-{n:04d}" for n in range(1, 51)]


def test_past_the_last_sequence_of_the_day_none_is_made(store: CodeStore) -> None:
    with store.transaction() as cursor:
        cursor.execute(
            "INSERT INTO lienthong_dossier_codes (office, day, sequence, code, officer, "
            "reserved_at) VALUES (?, ?, ?, ?, ?, ?)",
            ("29266/2025", DAY.isoformat(), LAST_SEQUENCE, "x", "cb", NOW),
        )
    with pytest.raises(NoCodeLeft, match="every sequence of 2026-03-03, up to 9,999,999"):
        reserve(store)
    assert reserve(store, office="29269/2025").endswith("-0001")  # another office's is its own


def test_the_rows_of_days_before_yesterday_are_let_go(store: CodeStore) -> None:
    reserve(store, day=date(2026, 3, 1))
    reserve(store, day=date(2026, 3, 2))
    reserve(store, day=DAY)
    days = sorted(str(row[0]) for row in store.query("SELECT day FROM lienthong_dossier_codes"))
    assert days == ["2026-03-02", "2026-03-03"]


# --- the seed's agency identifiers ---------------------------------------------------------------


def test_every_seeded_office_is_established_with_an_identifier_of_its_own() -> None:
    found = agencies()
    established = {
        subject: body.get("agency")
        for kind, subject, body in office_statements()
        if kind == "office.established"
    }
    assert established == found
    assert all(is_agency(agency) and agency.endswith(".H59") for agency in found.values())
    assert len(set(found.values())) == len(found)  # no two offices share one


def test_the_offices_the_demo_receives_at_keep_the_demos_identifiers() -> None:
    found = agencies()
    assert {office: found[office] for office in DEMO_AGENCIES} == {
        "29266": "000.00.01.H59",
        "29269": "000.00.02.H59",
        "29266/2025": "000.66.29.H59",
    }
    assert found["84"] == "000.00.00.H59"  # Trà Vinh province, as its real identifier reads


def test_the_ledger_itself_still_records_a_code_of_before_the_rule() -> None:
    """Only the HTTP API holds a new dossier to the circular's rule: the ledger (and so
    `lienthong import`, which records through it) takes any code the identifier rule allows, so
    the histories recorded before the rule stay as they are."""
    world = World.build()
    receipt = world.receive("HS-001")
    assert (receipt.subject, receipt.seq) == ("HS-001", 1)
    assert world.ledger.office("29266").code_agency_on(DAY) == "000.00.01.H59"
