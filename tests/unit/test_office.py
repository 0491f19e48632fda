"""Offices on the aggregate itself: an effective-dated hierarchy that is established, renamed,
reparented, merged and dissolved. tests/test_registry.py checks the same through the ledger."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from domain.errors import OfficeNotActive, RegistryConflict
from domain.office import Office
from tests.unit.entries import entry, office, refused


def change(subject: str, kind: str, seq: int = 2, **body: Any) -> Any:
    return entry(kind, subject, body, seq=seq)


def test_an_established_office_has_its_name_level_and_parent_from_its_date() -> None:
    district = office("844")
    commune = office("29266", parent=district)

    assert (commune.subject, commune.level, commune.version) == ("29266", "commune", 1)
    assert (commune.established, commune.ended, commune.successor) == (date(2019, 1, 1), None, None)
    assert commune.name_on(date(2025, 3, 3)) == "Thị trấn Càng Long"
    assert commune.parent_on(date(2025, 3, 3)) == "844"
    assert commune.parent_on(date(2018, 12, 31)) is None
    assert not commune.active_on(date(2018, 12, 31))
    assert commune.active_on(date(2019, 1, 1))


def test_refuses_establishing_an_office_under_a_parent_not_active_on_its_date() -> None:
    district = office("844", effective="2020-01-01")
    body = {"name": "Xã Mới", "level": "commune", "parent": "844", "effective": "2019-06-01"}
    refused(
        None,
        OfficeNotActive,
        "office 844 .* exists from 2020-01-01; it was not active on 2019-06-01",
        lambda: Office.establish(entry("office.established", "29999", body), district),
    )


def test_a_renamed_office_keeps_its_former_name_before_the_rename() -> None:
    commune = office("29266")
    commune.rename(
        change("29266", "office.renamed", name="Phường Càng Long", effective="2025-07-01")
    )

    assert commune.name_on(date(2025, 6, 30)) == "Thị trấn Càng Long"
    assert commune.name_on(date(2025, 7, 1)) == "Phường Càng Long"
    assert commune.name_on(date(2018, 1, 1)) == "Thị trấn Càng Long"  # before it: its first name


def test_a_reparented_office_has_its_new_parent_from_the_effective_date() -> None:
    commune, other = office("29266"), office("845")
    commune.reparent(
        change("29266", "office.reparented", parent="845", effective="2025-07-01"), other, ["84"]
    )
    assert commune.parent_on(date(2025, 6, 30)) == "844"
    assert commune.parent_on(date(2025, 7, 1)) == "845"
    assert commune.parents_from(date(2025, 3, 3)) == {"844", "845"}
    assert commune.parents_from(date(2025, 7, 1)) == {"845"}


@pytest.mark.parametrize(
    ("parent", "ancestors"),
    [("29266", ["844", "84"]), ("29269", ["29266", "844", "84"])],
    ids=["itself", "an office inside its subtree"],
)
def test_refuses_reparenting_into_a_cycle(parent: str, ancestors: list[str]) -> None:
    commune = office("29266")
    target = commune if parent == "29266" else office(parent)
    refused(
        commune,
        RegistryConflict,
        f"cannot be placed under {parent}: {parent} is inside 29266's own subtree",
        lambda: commune.reparent(
            change("29266", "office.reparented", parent=parent, effective="2025-07-01"),
            target,
            ancestors,
        ),
    )


def test_refuses_reparenting_under_an_office_not_active_then() -> None:
    commune, dissolved = office("29266"), office("845")
    dissolved.dissolve(change("845", "office.dissolved", effective="2025-01-01"))
    refused(
        commune,
        OfficeNotActive,
        "office 845 .* dissolved on 2025-01-01",
        lambda: commune.reparent(
            change("29266", "office.reparented", parent="845", effective="2025-07-01"),
            dissolved,
            ["84"],
        ),
    )


def test_a_merged_office_ends_with_its_successor_named() -> None:
    merged, successor = office("29266"), office("29269")
    merged.merge_into(
        change("29266", "office.merged", successor="29269", effective="2025-07-01"), successor
    )
    assert (merged.ended, merged.successor) == (date(2025, 7, 1), "29269")
    assert merged.active_on(date(2025, 6, 30))
    assert not merged.active_on(date(2025, 7, 1))
    refused(
        merged,
        OfficeNotActive,
        "existed from 2019-01-01 and was merged into 29269 on 2025-07-01; "
        "it was not active on 2025-07-01",
        lambda: merged.require_active(date(2025, 7, 1)),
    )


def test_the_office_refuses_being_merged_into_itself_even_when_asked_directly() -> None:
    # the ledger refuses a merger into itself before the office sees it (the chain of successors
    # contains the office); the office keeps the rule of its own
    established = {"name": "Xã Mỹ Cẩm", "level": "commune", "effective": "2019-01-01"}
    office = Office.establish(entry("office.established", "29269", established, seq=1), None)
    merged = {"successor": "29269", "effective": "2025-03-03"}

    with pytest.raises(RegistryConflict, match="cannot be merged into itself"):
        office.merge_into(entry("office.merged", "29269", merged, seq=2), office)
    assert (office.ended, office.successor, office.version) == (None, None, 1)


@pytest.mark.parametrize("kind", ["office.merged", "office.dissolved"])
def test_the_office_refuses_naming_itself_its_successor_for_a_procedure(kind: str) -> None:
    # the ledger refuses such a row before the office sees it; the office keeps the rule of its own
    ending, successor = office("29266"), office("29269")
    body: dict[str, Any] = {"effective": "2025-07-01"}
    rows = {"1.001776": successor, "2.000286": ending}
    if kind == "office.merged":
        body["successor"] = "29269"

        def act() -> None:
            ending.merge_into(change("29266", kind, **body), successor, rows)
    else:

        def act() -> None:
            ending.dissolve(change("29266", kind, **body), rows)

    refused(
        ending,
        RegistryConflict,
        "office 29266 cannot be its own successor for procedure 2.000286",
        act,
    )


def test_refuses_merging_into_an_office_not_active_on_the_merger_date() -> None:
    merged, later = office("29266"), office("29272", effective="2025-08-01")
    refused(
        merged,
        OfficeNotActive,
        "office 29272 .* not active on 2025-07-01",
        lambda: merged.merge_into(
            change("29266", "office.merged", successor="29272", effective="2025-07-01"), later
        ),
    )


def test_a_dissolved_office_refuses_every_later_change() -> None:
    commune = office("29269")
    commune.dissolve(change("29269", "office.dissolved", effective="2025-07-01"))
    assert commune.ended == date(2025, 7, 1)
    assert commune.successor is None
    for act in (
        lambda: commune.rename(
            change("29269", "office.renamed", 3, name="Xã Khác", effective="2025-08-01")
        ),
        lambda: commune.dissolve(change("29269", "office.dissolved", 3, effective="2025-08-01")),
        lambda: commune.merge_into(
            change("29269", "office.merged", 3, successor="29266", effective="2025-08-01"),
            office("29266"),
        ),
        lambda: commune.reparent(
            change("29269", "office.reparented", 3, parent="845", effective="2025-08-01"),
            office("845"),
            ["84"],
        ),
    ):
        refused(commune, OfficeNotActive, "was dissolved on 2025-07-01", act)


@pytest.mark.parametrize("kind", ["renamed", "reparented", "merged", "dissolved"])
def test_refuses_a_change_dated_before_the_last_change_already_effective(kind: str) -> None:
    commune = office("29266")
    commune.rename(
        change("29266", "office.renamed", name="Phường Càng Long", effective="2025-07-01")
    )
    early = "2025-06-30"
    acts = {
        "renamed": lambda: commune.rename(
            change("29266", "office.renamed", 3, name="Xã Cũ", effective=early)
        ),
        "reparented": lambda: commune.reparent(
            change("29266", "office.reparented", 3, parent="845", effective=early),
            office("845"),
            ["84"],
        ),
        "merged": lambda: commune.merge_into(
            change("29266", "office.merged", 3, successor="29269", effective=early),
            office("29269"),
        ),
        "dissolved": lambda: commune.dissolve(
            change("29266", "office.dissolved", 3, effective=early)
        ),
    }
    refused(
        commune,
        RegistryConflict,
        "a change effective 2025-06-30 comes before the change already effective 2025-07-01",
        acts[kind],
    )
    # on the same date as the last change: in order
    commune.dissolve(change("29266", "office.dissolved", 3, effective="2025-07-01"))
    assert commune.ended == date(2025, 7, 1)
