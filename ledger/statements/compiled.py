"""The fast path of `schema.parse`: the statement format's tables compiled into Python functions.

`schema.parse` runs on every statement the ledger records, audits, projects or serves. Its
reference checks (`ledger.statements.fields`) name the field and the problem they find, and so
build a path text for every field, and call a method per value, even when nothing is wrong. Here
the same tables are compiled, once at import, into straight-line code: one function per record,
each field's check written inline as its `check` makes it, no path text. A compiled checker never
names a problem: it returns the checked fields exactly as `Record.check` returns them (maps rebuilt
in their table's field order, lists rebuilt, the values themselves kept), or raises `Unchecked`;
`schema.parse` then runs the reference checks, which refuse with their own error and message.

So a compiled checker may only accept what the reference accepts. Applied to the value
`canonical.decode_exact` read back, it accepts only what `canonical.decode` accepts too:

- each map's keys, in their order, are one of its record's allowed key sequences: the required
  fields and any of the optional ones, sorted by UTF-8 bytes (field names are NFC text) — so no
  unknown field, no missing one, no duplicate; keys text, in NFC, sorted;
- each value is of the exact type its field wants (`type(x) is int`: no bool; text `str`, byte
  strings `bytes`, lists `list`, maps `dict`): no nil, float or extension type passes, and nothing
  nests deeper than the tables do (four levels; `canonical.MAX_DEPTH` is 16);
- free text (`Text`) is checked to be in NFC; all other text is ASCII (an identifier, an agency
  identifier, a date YYYY-MM-DD, a time HH:MM) or one of an `Enum`'s values in NFC;
- `canonical.decode_exact` checked that the bytes are the ones the value encodes to: each form the
  shortest, nothing after the value.

The generated source holds names and numbers from the tables only, nothing read from input.
"""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from domain.identifier import is_agency, is_identifier
from domain.instant import parse_date
from ledger.statements.fields import (
    CLOCK,
    CONTROL,
    Agency,
    Bin,
    ClockTime,
    Date,
    Enum,
    Field,
    Int,
    Many,
    Name,
    Optional,
    PublicKey,
    Record,
    Text,
)

Checker = Callable[[Any], dict[str, Any]]

_MAX_OPTIONAL = 6  # a record lists its 2**k allowed key sequences: k stays small


class Unchecked(Exception):
    """A compiled checker does not accept the value: the reference checks decide, and say why."""


def compile_statement(envelope: Mapping[str, Field], bodies: Mapping[str, Record]) -> Checker:
    """One function checking a statement's map as `Record({**envelope, "body": bodies[kind]})
    .check(value, path)` does when it passes, for the `kind` the map names, and returning the
    same map. It raises `Unchecked` (or the ValueError of a date) where that check would refuse,
    or `kind` names no body, and may where it would not."""
    if not isinstance(envelope.get("kind"), Name) or list(envelope).index("kind") > list(
        envelope
    ).index("body"):
        raise ValueError("a statement's kind is an identifier checked before its body")
    compiler = _Compiler()
    function = compiler.record(Record({**envelope, "body": _ByKind(bodies)}))
    # the source holds table names, numbers and names defined here, nothing from input
    exec("\n".join(compiler.source), compiler.namespace)  # noqa: S102
    for table, functions in compiler.tables.items():
        compiler.namespace[table] = {kind: compiler.namespace[name] for kind, name in functions}
    checker: Checker = compiler.namespace[function]
    return checker


@dataclass(frozen=True)
class _ByKind(Field):
    """A statement's body: the record of its kind (`kind`, checked before, is an identifier)."""

    bodies: Mapping[str, Record]


class _Compiler:
    def __init__(self) -> None:
        self.namespace: dict[str, Any] = {
            "Unchecked": Unchecked,
            "ABSENT": object(),
            "NFC": unicodedata.is_normalized,
            "CONTROL": CONTROL.search,
            "IS_IDENTIFIER": is_identifier,
            "IS_AGENCY": is_agency,
            "CLOCK": CLOCK.fullmatch,
            "DATE": parse_date,
        }
        self.source: list[str] = []
        self.compiled: dict[int, tuple[Record, str]] = {}  # by id: a record shared is one function
        self.tables: dict[str, list[tuple[str, str]]] = {}  # by kind: the name of each function
        self.count = 0

    def name(self, prefix: str, value: Any = None) -> str:
        self.count += 1
        name = f"{prefix}{self.count}"
        if value is not None:
            self.namespace[name] = value
        return name

    def record(self, record: Record) -> str:
        """Writes the function checking a map against `record`; returns its name."""
        if id(record) in self.compiled:
            return self.compiled[id(record)][1]
        fields = record.fields
        function = self.name("record_")
        orders = self.name("ORDERS_", _key_orders(fields))
        lines = [
            f"def {function}(value):",
            f"    if type(value) is not dict or tuple(value) not in {orders}:",
            "        raise Unchecked",
        ]
        for index, (key, field) in enumerate(fields.items()):
            x = f"x{index}"
            if isinstance(field, _ByKind):
                table = self.name("BODY_")
                self.tables[table] = [
                    (kind, self.record(body)) for kind, body in field.bodies.items()
                ]
                lines += [
                    f"    check = {table}.get(x{list(fields).index('kind')})",
                    "    if check is None:",
                    "        raise Unchecked",
                    f"    {x} = check(value[{key!r}])",
                ]
            elif field.optional:
                lines.append(f"    {x} = value.get({key!r}, ABSENT)")
                lines.append(f"    if {x} is not ABSENT:")
                lines += self.value(field, x, "        ")
            else:
                lines.append(f"    {x} = value[{key!r}]")
                lines += self.value(field, x, "    ")
        # the checked map, its fields in table order as Record.check puts them
        required = list(itertools.takewhile(lambda item: not item[1].optional, fields.items()))
        entries = ", ".join(f"{key!r}: x{index}" for index, (key, _) in enumerate(required))
        lines.append(f"    checked = {{{entries}}}")
        for index, (key, field) in enumerate(fields.items()):
            if index < len(required):
                continue
            if field.optional:
                lines.append(f"    if x{index} is not ABSENT:")
                lines.append(f"        checked[{key!r}] = x{index}")
            else:
                lines.append(f"    checked[{key!r}] = x{index}")
        lines.append("    return checked")
        self.source += [*lines, ""]
        self.compiled[id(record)] = (record, function)
        return function

    def value(self, field: Field, x: str, indent: str) -> list[str]:
        """Lines checking the variable `x` against `field`, leaving in `x` what `field.check`
        returns for it."""
        if isinstance(field, Optional):
            return self.value(field.inner, x, indent)
        if isinstance(field, Many):
            lines = [
                f"{indent}if type({x}) is not list or not "
                f"{field.min_items} <= len({x}) <= {field.max_items}:",
                f"{indent}    raise Unchecked",
            ]
            if isinstance(field.item, Record):
                item = self.record(field.item)
                return [*lines, f"{indent}{x} = [{item}(item) for item in {x}]"]
            item = self.name("item")
            return [
                *lines,
                f"{indent}for {item} in {x}:",
                *self.value(field.item, item, indent + "    "),
                f"{indent}{x} = list({x})",
            ]
        if isinstance(field, Record):
            return [f"{indent}{x} = {self.record(field)}({x})"]
        if isinstance(field, Date):
            # Date.check passes text that parse_date reads (it raises ValueError otherwise);
            # such text is YYYY-MM-DD, ASCII
            return [
                f"{indent}if type({x}) is not str:",
                f"{indent}    raise Unchecked",
                f"{indent}DATE({x})",
            ]
        return [f"{indent}if {self.refused(field, x)}:", f"{indent}    raise Unchecked"]

    def refused(self, field: Field, x: str) -> str:
        """An expression true when `field.check` refuses `x`, or `x` is text not in NFC."""
        if isinstance(field, Text):
            empty = f" or not {x}.strip()" if field.nonempty else ""
            return (
                f"type({x}) is not str or len({x}) > {field.max_len}{empty}"
                f" or CONTROL({x}.replace('\\n', '')) is not None"
                f" or not ({x}.isascii() or NFC('NFC', {x}))"
            )
        if isinstance(field, Name):  # an identifier is ASCII
            return f"not IS_IDENTIFIER({x})"
        if isinstance(field, Agency):  # an agency identifier is ASCII
            return f"not IS_AGENCY({x})"
        if isinstance(field, Int):
            return f"type({x}) is not int or not {field.minimum} <= {x} <= {field.maximum}"
        if isinstance(field, Bin):
            return f"type({x}) is not bytes or len({x}) != {field.size}"
        if isinstance(field, PublicKey):
            return f"type({x}) is not bytes or not 32 <= len({x}) <= {field.max_size}"
        if isinstance(field, ClockTime):  # HH:MM, ASCII
            return f"type({x}) is not str or CLOCK({x}) is None"
        if isinstance(field, Enum):
            # a value outside NFC would not be canonical: the reference refuses it, so must this
            allowed = frozenset(v for v in field.values if unicodedata.is_normalized("NFC", v))
            return f"type({x}) is not str or {x} not in {self.name('VALUES_', allowed)}"
        raise TypeError(f"no compiled check for {type(field).__name__}")


def _key_orders(fields: Mapping[str, Field]) -> frozenset[tuple[str, ...]]:
    """Every key sequence of a canonical map of the record: its required fields and any of its
    optional ones, sorted by UTF-8 bytes."""
    if not all(unicodedata.is_normalized("NFC", key) for key in fields):
        raise ValueError("a field name that is not NFC text has no canonical map")
    required = [key for key, field in fields.items() if not field.optional]
    optional = [key for key, field in fields.items() if field.optional]
    if len(optional) > _MAX_OPTIONAL:
        raise ValueError(f"a record of {len(optional)} optional fields: too many to compile")
    return frozenset(
        tuple(sorted([*required, *chosen], key=lambda key: key.encode("utf-8")))
        for count in range(len(optional) + 1)
        for chosen in itertools.combinations(optional, count)
    )
