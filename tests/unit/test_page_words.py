"""The pages' words: one entry point, `say`, over the words of every area of the site, each key
in one area only, and in both languages with the same {placeholders}."""

from __future__ import annotations

from string import Formatter

import pytest

from api.http.web import words
from api.http.web.words import AREAS, BROWSER_WORDS, PAGE_WORDS, browser_words, say


def placeholders(text: str) -> set[str]:
    return {name for _literal, name, _spec, _conversion in Formatter().parse(text) if name}


def test_joining_the_areas_refuses_a_key_defined_in_two() -> None:
    with pytest.raises(ValueError, match="defined in two areas: site"):
        words._joined({"site": ("a", "b")}, {"site": ("c", "d")})


def test_each_key_belongs_to_one_area_and_say_finds_every_one() -> None:
    assert sum(len(area) for area in AREAS) == len(PAGE_WORDS)
    for area in AREAS:
        for key, (vi, en) in area.items():
            values = dict.fromkeys(placeholders(vi) | placeholders(en), "X")
            assert say(key, "vi", **values) == vi.format(**values)
            assert say(key, "en", **values) == en.format(**values)


@pytest.mark.parametrize("table", [PAGE_WORDS, BROWSER_WORDS], ids=["pages", "browser"])
def test_every_word_is_in_vietnamese_and_english_with_the_same_placeholders(
    table: dict[str, tuple[str, str]],
) -> None:
    for key, (vi, en) in table.items():
        assert vi.strip(), key
        assert en.strip(), key
        assert placeholders(vi) == placeholders(en), key


def test_the_browser_check_gets_its_words_in_the_pages_language() -> None:
    assert browser_words("vi")["checking"] == "Đang kiểm tra…"
    assert browser_words("en")["checking"] == "Checking…"
    assert list(browser_words("en")) == list(BROWSER_WORDS)
