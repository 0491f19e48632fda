"""The identifier rule: what a dossier code, an office, officer, key, procedure or level id may be.

One rule for every entry point — the statement format, every HTTP route and form that names a
subject, the file store and the command line — so that whatever one of them accepts, the others
can store, look up and print: 1 to 128 characters, the first a letter or digit, the rest letters,
digits and `. _ : / @ + -` (ASCII only: no spaces, no control characters, no NUL, nothing a
database, a file system or a page would read as markup or a path of its own).

Dossier codes of the national format (`000.00.01.H59-250602-0001`) and office ids with a
version (`29266/2025`) both pass. It is the rule statements have kept since format version 1, so
every subject already recorded passes it. A code is never used as a file path.
"""

from __future__ import annotations

import re

from domain.errors import BadIdentifier

MAX_LENGTH = 128
# the same rule as a JSON Schema / OpenAPI `pattern` (ECMA-262 and Python agree on it)
PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,127}$"
_IDENTIFIER = re.compile(PATTERN)


def is_identifier(value: object) -> bool:
    """Whether `value` is text that passes the identifier rule."""
    return isinstance(value, str) and _IDENTIFIER.fullmatch(value) is not None


def check_identifier(value: object, what: str = "identifier") -> str:
    """`value` itself if it passes the rule; BadIdentifier naming `what` and the value if not."""
    if is_identifier(value):
        assert isinstance(value, str)
        return value
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "…"
    raise BadIdentifier(
        f"{what} must be 1 to {MAX_LENGTH} characters: a letter or digit, then letters, digits "
        f"and . _ : / @ + - only; not {shown}"
    )
