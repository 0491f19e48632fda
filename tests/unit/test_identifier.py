"""The one identifier rule for dossier codes, offices, officers, keys, procedures and levels."""

from __future__ import annotations

import re

import pytest

from domain.errors import BadIdentifier
from domain.identifier import MAX_LENGTH, PATTERN, check_identifier, is_identifier

GOOD = [
    "000.00.01.H59-250602-0001",  # a dossier code of the national format
    "29266/2025",  # an office id with a version
    "cb-29266",
    "a",
    "K:ed25519+abc@x_y",
    "9" * MAX_LENGTH,
]
BAD = [
    "",
    "-29266",  # the first character must be a letter or digit
    ".hidden",
    "cb 29266",
    "cb-29266\n",
    "cb\x00",
    "xã-mỹ-cẩm",  # ASCII only
    "a/../b\\c",
    "<b>",
    "9" * (MAX_LENGTH + 1),
    29266,
    None,
    b"29266",
]


@pytest.mark.parametrize("value", GOOD)
def test_accepts_identifiers_of_every_kind_the_ledger_names(value: str) -> None:
    assert is_identifier(value)
    assert check_identifier(value, "office") == value
    assert re.fullmatch(PATTERN, value)


@pytest.mark.parametrize("value", BAD)
def test_refuses_what_breaks_the_rule_naming_what_and_the_value(value: object) -> None:
    assert not is_identifier(value)
    with pytest.raises(BadIdentifier, match=r"dossier code must be 1 to 128 characters") as caught:
        check_identifier(value, "dossier code")
    assert repr(value)[:20] in str(caught.value)
    assert caught.value.code == "bad-identifier"
    if isinstance(value, str):
        assert not re.fullmatch(PATTERN, value)


def test_a_long_value_is_shown_cut_short_in_the_refusal() -> None:
    with pytest.raises(BadIdentifier) as caught:
        check_identifier("x" * 500 + " ")
    message = str(caught.value)
    assert message.startswith("identifier must be")
    assert message.endswith("…")
    assert len(message) < 200
