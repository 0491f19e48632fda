"""The identifier rule: what a dossier code, an office, officer, key, procedure or level id may be.

One rule for every entry point — the statement format, every HTTP route and form that names a
subject, the file store and the command line — so that whatever one of them accepts, the others
can store, look up and print: 1 to 128 characters, the first a letter or digit, the rest letters,
digits and `. _ : / @ + -` (ASCII only: no spaces, no control characters, no NUL, nothing a
database, a file system or a page would read as markup or a path of its own).

Dossier codes of the national format (`000.00.01.H59-250602-0001`) and office ids with a
version (`29266/2025`) both pass. It is the rule statements have kept since format version 1, so
every subject already recorded passes it. A code is never used as a file path.

A new dossier's code follows a stricter rule as well, the circular's (docs/law.md, "The dossier
code"): `<agency identifier>-<yymmdd>-<sequence of the day>`, e.g. `000.00.01.H59-250602-0001` —
the receiving office's electronic agency identifier (mã định danh điện tử), the date of receipt
and the office's sequence of that day. `dossier_code_problem` is that rule. The HTTP API holds
every dossier it receives to it; the ledger itself and `lienthong import` do not, so dossiers
recorded before the rule keep their codes and stay readable.
"""

from __future__ import annotations

import re
from datetime import date

from domain.errors import (
    BadDossierCode,
    BadIdentifier,
    DossierCodeAgency,
    DossierCodeDate,
    DossierCodeSequence,
)

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


# --- the dossier code of the circular ---------------------------------------------------------

# An electronic agency identifier: groups of digits and capital letters separated by dots. The
# older identifiers put the province's group last (Trà Vinh province: 000.00.00.H59), newer ones
# first; no length is fixed, so none is assumed — only the groups.
AGENCY_PATTERN = r"^[0-9A-Z]+(\.[0-9A-Z]+)*$"
AGENCY_MAX_LENGTH = 64
_AGENCY = re.compile(AGENCY_PATTERN)
# the sequence of the day: four digits on provincial systems, six or seven on ministries'
SEQUENCE_DIGITS = (4, 7)
_SEQUENCE = re.compile(f"[0-9]{{{SEQUENCE_DIGITS[0]},{SEQUENCE_DIGITS[1]}}}")
_DAY = re.compile(r"[0-9]{6}")


def is_agency(value: object) -> bool:
    """Whether `value` is an agency identifier: groups of [0-9A-Z] separated by dots."""
    return (
        isinstance(value, str)
        and len(value) <= AGENCY_MAX_LENGTH
        and _AGENCY.fullmatch(value) is not None
    )


def dossier_code(agency: str, day: date, sequence: int) -> str:
    """The code of the `sequence`-th dossier an office whose identifier is `agency` receives on
    `day`: the sequence written with four digits at least."""
    return f"{agency}-{day:%y%m%d}-{sequence:04d}"


def dossier_code_problem(code: str, agency: str, day: date) -> BadDossierCode | None:
    """What is wrong with `code` as the code of a dossier received on `day` (the Vietnamese civil
    date of receipt) by an office whose agency identifier is `agency` (the office's id when it
    has none registered): None if nothing is. The code splits at its last two dashes into the
    agency part, which must be `agency` exactly, the date yymmdd, which must be `day`, and the
    sequence, 4 to 7 digits and not zero."""
    parts = code.rsplit("-", 2)
    if len(parts) != 3 or not parts[0]:
        return BadDossierCode(
            f"dossier code {code!r} is not of the form <agency identifier>-<yymmdd>-<sequence>, "
            f"e.g. {dossier_code(agency, day, 1)}"
        )
    given, written, sequence = parts
    if given != agency:
        return DossierCodeAgency(
            f"dossier code {code!r} begins with {given!r}; the receiving office's agency "
            f"identifier on {day.isoformat()} is {agency!r}"
        )
    if not _DAY.fullmatch(written) or written != f"{day:%y%m%d}":
        return DossierCodeDate(
            f"dossier code {code!r} carries the date {written!r}; a dossier received on "
            f"{day.isoformat()} carries {day:%y%m%d}"
        )
    if not _SEQUENCE.fullmatch(sequence) or int(sequence) == 0:
        return DossierCodeSequence(
            f"dossier code {code!r} ends with the sequence {sequence!r}; it must be "
            f"{SEQUENCE_DIGITS[0]} to {SEQUENCE_DIGITS[1]} digits and not zero, e.g. 0001"
        )
    return None
