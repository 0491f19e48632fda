"""The field checkers of the statement format: one class per kind of value a statement carries.

Each `check(value, path)` returns the value checked (maps rebuilt in their table's field order,
lists rebuilt) or raises a `ledger.errors` refusal naming the field by `path` and the problem.
`ledger.statements.schema` builds the format's tables from them; `ledger.statements.compiled`
compiles the same tables into the fast path of `schema.parse`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from domain.identifier import AGENCY_MAX_LENGTH, is_agency, is_identifier
from domain.instant import parse_date
from ledger.errors import BadField, MissingField, UnknownField

CONTROL = re.compile(r"[\x00-\x1f\x7f]")
CLOCK = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")


class Field:
    optional = False

    def check(self, value: Any, path: str) -> Any:
        raise NotImplementedError


@dataclass(frozen=True)
class Text(Field):
    max_len: int = 1000
    nonempty: bool = True

    def check(self, value: Any, path: str) -> Any:
        if not isinstance(value, str):
            raise BadField(f"{path} must be text, not {type(value).__name__}")
        if self.nonempty and not value.strip():
            raise BadField(f"{path} must not be empty")
        if len(value) > self.max_len:
            raise BadField(f"{path} is {len(value)} characters; at most {self.max_len} are allowed")
        if CONTROL.search(value.replace("\n", "")):
            raise BadField(f"{path} contains control characters")
        return value


@dataclass(frozen=True)
class Name(Field):
    """An identifier: office, officer, key, procedure or level; dossier codes too."""

    def check(self, value: Any, path: str) -> Any:
        if not is_identifier(value):
            raise BadField(
                f"{path} must be an identifier of letters, digits and . _ : / @ + - "
                f"(at most 128), not {value!r}"
            )
        return value


@dataclass(frozen=True)
class Agency(Field):
    """An electronic agency identifier (mã định danh điện tử): groups of digits and capital
    letters separated by dots, e.g. 000.00.01.H59 (domain/identifier.py)."""

    def check(self, value: Any, path: str) -> Any:
        if not is_agency(value):
            raise BadField(
                f"{path} must be an agency identifier: groups of digits and capital letters "
                f"separated by dots, e.g. 000.00.01.H59 (at most {AGENCY_MAX_LENGTH}), "
                f"not {value!r}"
            )
        return value


@dataclass(frozen=True)
class Int(Field):
    minimum: int = 0
    maximum: int = 2**63 - 1

    def check(self, value: Any, path: str) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            raise BadField(f"{path} must be an integer, not {type(value).__name__}")
        if not self.minimum <= value <= self.maximum:
            raise BadField(
                f"{path} is {value}; it must be between {self.minimum} and {self.maximum}"
            )
        return value


@dataclass(frozen=True)
class Bin(Field):
    size: int = 32

    def check(self, value: Any, path: str) -> Any:
        if not isinstance(value, bytes) or len(value) != self.size:
            got = f"{len(value)} bytes" if isinstance(value, bytes) else type(value).__name__
            raise BadField(f"{path} must be {self.size} bytes, not {got}")
        return value


@dataclass(frozen=True)
class PublicKey(Field):
    """A signing key's public key: 32 bytes (Ed25519) or, for a key registered with a
    certificate, the DER SubjectPublicKeyInfo of the certificate's key (RSA or ECDSA P-256)."""

    max_size: int = 2048

    def check(self, value: Any, path: str) -> Any:
        if not isinstance(value, bytes) or not (32 <= len(value) <= self.max_size):
            got = f"{len(value)} bytes" if isinstance(value, bytes) else type(value).__name__
            raise BadField(
                f"{path} must be a 32-byte Ed25519 key or a DER SubjectPublicKeyInfo of at most "
                f"{self.max_size} bytes, not {got}"
            )
        return value


@dataclass(frozen=True)
class Date(Field):
    def check(self, value: Any, path: str) -> Any:
        try:
            parse_date(value if isinstance(value, str) else repr(value))
        except ValueError as problem:
            raise BadField(f"{path}: {problem}") from None
        return value


@dataclass(frozen=True)
class ClockTime(Field):
    """A time of day, HH:MM on the 24-hour clock (Vietnam time)."""

    def check(self, value: Any, path: str) -> Any:
        if not isinstance(value, str) or not CLOCK.fullmatch(value):
            raise BadField(f"{path} must be a time of day HH:MM (00:00 to 23:59), not {value!r}")
        return value


@dataclass(frozen=True)
class Enum(Field):
    values: tuple[str, ...]

    def check(self, value: Any, path: str) -> Any:
        if value not in self.values:
            raise BadField(f"{path} is {value!r}; it must be one of {', '.join(self.values)}")
        return value


@dataclass(frozen=True)
class Many(Field):
    item: Field
    min_items: int = 0
    max_items: int = 200

    def check(self, value: Any, path: str) -> Any:
        if not isinstance(value, list | tuple):
            raise BadField(f"{path} must be a list, not {type(value).__name__}")
        if not self.min_items <= len(value) <= self.max_items:
            raise BadField(
                f"{path} has {len(value)} items; between {self.min_items} and "
                f"{self.max_items} are allowed"
            )
        return [self.item.check(item, f"{path}[{index}]") for index, item in enumerate(value)]


@dataclass(frozen=True)
class Optional(Field):
    inner: Field
    optional = True

    def check(self, value: Any, path: str) -> Any:
        return self.inner.check(value, path)


@dataclass(frozen=True)
class Record(Field):
    fields: Mapping[str, Field]

    def check(self, value: Any, path: str) -> Any:
        if not isinstance(value, Mapping):
            raise BadField(f"{path} must be a map, not {type(value).__name__}")
        unknown = sorted(set(value) - set(self.fields))
        if unknown:
            raise UnknownField(f"{path} has unknown field(s) {', '.join(map(repr, unknown))}")
        checked: dict[str, Any] = {}
        for name, field in self.fields.items():
            if name in value:
                checked[name] = field.check(value[name], f"{path}.{name}")
            elif not field.optional:
                raise MissingField(f"{path} lacks the required field {name!r}")
        return checked
