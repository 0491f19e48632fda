"""The pages' words, Vietnamese first, English on request (`?lang=en`, then a cookie).

One entry point, `say(key, lang, **values)`, over the words of every area of the site, each in a
module of its own: common.py (every page's frame, signing in, the pager, and the nouns several
pages share), public.py (the citizen's lookup and the control slip), rating.py (the citizen's
rating of a decided dossier), officer.py (the officer's desk), receipt.py (the receipt and the
dossier code the server makes for it), acts.py (the officer's acts on a dossier the office
holds), oversight.py (the stall dashboard, the heat map, a dossier's page), index.py (the
national index's indicators on the heat map) and verify.py (checking an audit bundle, on the
server and in the browser). A key belongs to one area: joining them refuses a key defined twice,
which would otherwise silently take one area's words for another's.
"""

from __future__ import annotations

from api.http.web.words import (
    acts,
    common,
    index,
    officer,
    oversight,
    public,
    rating,
    receipt,
    verify,
)

Words = dict[str, tuple[str, str]]


def _joined(*areas: Words) -> Words:
    joined: Words = {}
    for area in areas:
        twice = joined.keys() & area.keys()
        if twice:
            raise ValueError(f"page words defined in two areas: {', '.join(sorted(twice))}")
        joined.update(area)
    return joined


AREAS: tuple[Words, ...] = (
    common.WORDS,
    public.WORDS,
    rating.WORDS,
    officer.WORDS,
    receipt.WORDS,
    acts.WORDS,
    oversight.WORDS,
    index.WORDS,
    verify.WORDS,
)
PAGE_WORDS: Words = _joined(*AREAS)
BROWSER_WORDS: Words = verify.BROWSER_WORDS


def browser_words(lang: str) -> dict[str, str]:
    """The browser check's words in `lang`, with their {placeholders} for the page to fill."""
    return {code: vi if lang == "vi" else en for code, (vi, en) in BROWSER_WORDS.items()}


def say(key: str, lang: str, **values: object) -> str:
    vi, en = PAGE_WORDS[key]
    return (vi if lang == "vi" else en).format(**values)
