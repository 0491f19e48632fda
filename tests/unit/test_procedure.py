"""Procedures on the aggregate itself: versions published in order, each in effect from its date
until the next one's. tests/test_registry.py checks the same through the ledger."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from domain.errors import RegistryConflict, UnknownProcedure
from domain.procedure import Budget, Procedure
from tests.unit.entries import PROCEDURE, VERSION_1, entry, refused

VERSION_2: dict[str, Any] = {
    **VERSION_1,
    "version": 2,
    "route": [
        {"level": "commune", "days": 3, "day_type": "working"},
        {"level": "province", "days": None, "day_type": "calendar", "note": "no time stated"},
    ],
    "legal_basis": "Decree 55/2025/NĐ-CP",
    "effective": "2025-03-05",
}


def published(*versions: dict[str, Any]) -> Procedure:
    first, *rest = versions or (VERSION_1,)
    procedure = Procedure.publish_first(entry("procedure.published", PROCEDURE, first))
    for seq, version in enumerate(rest, start=2):
        procedure.publish(entry("procedure.published", PROCEDURE, version, seq=seq))
    return procedure


def test_a_version_reads_back_with_its_route_budgets_and_deciding_levels() -> None:
    version = published(VERSION_1, VERSION_2).get_version(2)
    assert version.version == 2
    assert version.levels == ("commune", "province")
    assert version.route[1] == Budget("province", None, "calendar", "no time stated")
    assert version.route[0] == Budget("commune", 3, "working", "")
    assert (version.decides, version.effective) == (("province",), date(2025, 3, 5))
    assert version.national_code == ""


def test_each_version_is_in_effect_from_its_date_until_the_next_ones() -> None:
    procedure = published(VERSION_1, VERSION_2)
    assert procedure.effective_on(date(2022, 2, 14)) is None
    assert procedure.effective_on(date(2022, 2, 15)).version == 1  # type: ignore[union-attr]
    assert procedure.effective_on(date(2025, 3, 4)).version == 1  # type: ignore[union-attr]
    assert procedure.effective_on(date(2025, 3, 5)).version == 2  # type: ignore[union-attr]
    assert procedure.require_effective(2, date(2025, 3, 5)).version == 2
    assert procedure.require_effective(1, date(2025, 3, 4)).version == 1


@pytest.mark.parametrize(
    ("number", "day", "words"),
    [
        (1, date(2025, 3, 5), "version 1 is not in effect on 2025-03-05 \\(version 2 is\\)"),
        (2, date(2025, 3, 4), "version 2 is not in effect on 2025-03-04 \\(version 1 is\\)"),
        (1, date(2020, 1, 1), "version 1 is not in effect on 2020-01-01 \\(no version is\\)"),
        (3, date(2025, 3, 5), "has no version 3"),
    ],
)
def test_refuses_a_version_not_in_effect_on_the_day_or_never_published(
    number: int, day: date, words: str
) -> None:
    procedure = published(VERSION_1, VERSION_2)
    refused(procedure, UnknownProcedure, words, lambda: procedure.require_effective(number, day))


@pytest.mark.parametrize("version", [0, 2, 7])
def test_refuses_a_first_published_version_other_than_1(version: int) -> None:
    refused(
        None,
        RegistryConflict,
        f"the first published version must be 1, not {version}",
        lambda: published({**VERSION_1, "version": version}),
    )


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"version": 3}, "the next version must be 2, not 3"),
        ({"version": 1}, "the next version must be 2, not 1"),
        (
            {"effective": "2022-02-15"},
            "version 2 must take effect after version 1 \\(2022-02-15\\)",
        ),
        ({"effective": "2021-01-01"}, "version 2 must take effect after version 1"),
    ],
)
def test_refuses_a_version_that_does_not_follow_the_latest(
    changes: dict[str, Any], words: str
) -> None:
    procedure = published()
    refused(
        procedure,
        RegistryConflict,
        words,
        lambda: procedure.publish(
            entry("procedure.published", PROCEDURE, {**VERSION_2, **changes}, seq=2)
        ),
    )
    assert [v["version"] for v in procedure.versions] == [1]
