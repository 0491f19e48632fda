"""The fast path of `schema.parse` (ledger/statements/compiled.py) against the reference checks.

`schema.parse` asks the compiled checks first and the reference checks (`schema.parse_reference`:
`canonical.decode`, then each field's `check`) for whatever they do not accept. These tests hold it
to the one rule that makes it safe: on any input, `parse` gives what `parse_reference` gives — the
same statement, field by field, type by type and key order by key order, or a refusal of the same
class with the same message. They also check that the compiled checks do accept what they should,
statements of every kind, or the parity would hold only because nothing took the fast path.

Statements are generated from the format's own tables (schema.BODIES, schema.ENVELOPE_FIELDS), then
spoiled: values replaced by others of any type, fields added or removed, text out of NFC or with
control characters, numbers and lists at and past their bounds, the bytes written in longer forms,
with keys unsorted or repeated, cut, extended or flipped.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import itertools
import json
import os
import random
import struct
import unicodedata
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import msgpack
import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain import identifier
from domain.statement import KINDS, Statement
from ledger.statements import canonical, schema
from ledger.statements.fields import (
    CLOCK,
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

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "vectors.json"
# the properties run 2 × LIENTHONG_FUZZ_EXAMPLES examples each (100 unless set), the kinds'
# acceptance EXAMPLES / 4 per kind; CI runs the `fuzz`-marked tests again with many more
EXAMPLES = int(os.environ.get("LIENTHONG_FUZZ_EXAMPLES", "100"))
PROPERTY = settings(
    max_examples=2 * EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# --- the comparison -------------------------------------------------------------------------


def same(left: Any, right: Any) -> bool:
    """Equality that tells True from 1 and bytes from text, and map key orders apart."""
    if type(left) is not type(right):
        return False
    if isinstance(left, list):
        return len(left) == len(right) and all(map(same, left, right))
    if isinstance(left, dict):
        return list(left) == list(right) and all(same(left[k], right[k]) for k in left)
    if dataclasses.is_dataclass(left):
        return all(
            same(getattr(left, field.name), getattr(right, field.name))
            for field in dataclasses.fields(left)
        )
    return bool(left == right)


def outcome(parse: Callable[..., Statement], data: bytes, max_bytes: int) -> Any:
    try:
        return parse(data, max_bytes=max_bytes)
    except Exception as refusal:  # any exception: its class and message must be the same
        return (type(refusal), str(refusal))


def parses_alike(data: bytes, max_bytes: int = canonical.DEFAULT_MAX_BYTES) -> Any:
    """`schema.parse` answers as `schema.parse_reference` does; returns the answer."""
    fast = outcome(schema.parse, data, max_bytes)
    reference = outcome(schema.parse_reference, data, max_bytes)
    assert same(fast, reference), (data.hex(), fast, reference)
    if isinstance(reference, Statement):
        assert schema.build(reference) == data  # what parses is canonical
    else:
        assert schema.parse_compiled(data, max_bytes=max_bytes) is None
    return reference


# --- statements from the tables -------------------------------------------------------------

# letters with and without their accents composed, accents alone, white space of several kinds
LETTERS = "aAzZ09 .-ĐđưƯơẫệỹ\u0300\u0301\u0303\u0309\u0323\u00a0\u2028\u0085\n"
NFC_TEXT = st.text(LETTERS, max_size=24).map(lambda text: unicodedata.normalize("NFC", text))
NONEMPTY_TEXT = st.builds(
    lambda space, letter, rest: unicodedata.normalize("NFC", space + letter + rest),
    st.text(" \u00a0\n", max_size=2),
    st.sampled_from("aĐưẫ"),
    st.text(LETTERS, max_size=24),
)
NAMES = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,20}", fullmatch=True) | st.sampled_from(
    ["29266", "cb-29266", "000.00.01.H59-250303-0001", "a" * identifier.MAX_LENGTH]
)


def valid(field: Field) -> st.SearchStrategy[Any]:
    """Values `field.check` accepts, at their bounds too."""
    if isinstance(field, Optional):
        return valid(field.inner)
    if isinstance(field, Text):
        assert field.max_len >= 30  # the longest text below
        longest = st.just(unicodedata.normalize("NFC", "ư" * field.max_len))
        if not field.nonempty:
            return NFC_TEXT | longest
        return NONEMPTY_TEXT | longest
    if isinstance(field, Name):
        return NAMES
    if isinstance(field, Agency):
        return st.from_regex(r"[0-9A-Z]{1,5}(\.[0-9A-Z]{1,5}){0,4}", fullmatch=True) | st.just(
            "0" * identifier.AGENCY_MAX_LENGTH
        )
    if isinstance(field, Int):
        return st.integers(field.minimum, field.maximum) | st.sampled_from(
            [field.minimum, field.maximum]
        )
    if isinstance(field, Bin):
        return st.binary(min_size=field.size, max_size=field.size)
    if isinstance(field, PublicKey):
        return st.binary(min_size=32, max_size=80) | st.just(bytes(field.max_size))
    if isinstance(field, Date):
        return st.dates().map(lambda day: day.isoformat())
    if isinstance(field, ClockTime):
        return st.from_regex(CLOCK, fullmatch=True)
    if isinstance(field, Enum):
        return st.sampled_from(field.values)
    if isinstance(field, Many):
        most = min(field.min_items + 3, field.max_items)
        return st.lists(valid(field.item), min_size=field.min_items, max_size=most)
    if isinstance(field, Record):
        return record(field.fields)
    raise TypeError(type(field).__name__)


def record(fields: Mapping[str, Field]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {name: valid(field) for name, field in fields.items() if not field.optional},
        optional={name: valid(field) for name, field in fields.items() if field.optional},
    )


@st.composite
def statements(draw: st.DrawFn, kinds: tuple[str, ...] = KINDS) -> dict[str, Any]:
    """The fields of a statement every check accepts, of one of `kinds`."""
    kind = draw(st.sampled_from(kinds))
    envelope = {**schema.ENVELOPE_FIELDS, "kind": Enum((kind,)), "body": schema.BODIES[kind]}
    return draw(record(envelope))


def sample(field: Field) -> Any:
    """One value `field.check` accepts, with every optional field present: text out of ASCII,
    lists of one item or as few as allowed."""
    if isinstance(field, Optional):
        return sample(field.inner)
    if isinstance(field, Text):
        return "Tờ khai đã đủ"
    if isinstance(field, Name):
        return "cb-29266"
    if isinstance(field, Agency):
        return "000.00.01.H59"
    if isinstance(field, Int):
        return min(field.minimum + 1, field.maximum)
    if isinstance(field, Bin):
        return bytes(range(field.size))
    if isinstance(field, PublicKey):
        return bytes(range(32))
    if isinstance(field, Date):
        return "2025-06-02"
    if isinstance(field, ClockTime):
        return "17:00"
    if isinstance(field, Enum):
        return field.values[-1]
    if isinstance(field, Many):
        return [sample(field.item)] * max(field.min_items, 1)
    if isinstance(field, Record):
        return {name: sample(inner) for name, inner in field.fields.items()}
    raise TypeError(type(field).__name__)


def sample_statement(kind: str) -> dict[str, Any]:
    fields: dict[str, Any] = sample(Record({**schema.ENVELOPE_FIELDS, "body": schema.BODIES[kind]}))
    return {**fields, "v": 1, "kind": kind}


# --- spoiled statements ---------------------------------------------------------------------

# values of any type msgpack carries, canonical or not
ANY_VALUE = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=8)
    | st.binary(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
OTHER_TYPES = [None, 1.5, True, False, 0, -1, "", "x", b"", bytes(32), [], [1], {}, {"a": 1}]
UNKNOWN_KEYS = ["extra", "", "note", "seen", "agency", "v", "É"]


def near(value: Any) -> list[list[Any]]:
    """Values near `value` that may break a rule, in groups: neighbours and bounds, blanks,
    control characters, text out of NFC, lengths, look-alikes, other types."""
    if isinstance(value, bool):
        return [[not value, int(value)]]
    if isinstance(value, int):
        bounds = [value - 1, value + 1, -1, 0, 1, 2**63 - 1, 2**63, 2**64 - 1, -(2**63)]
        return [bounds, [True, False, str(value), float(value)]]
    if isinstance(value, str):
        return [
            ["", " ", "\u00a0", "\u2028", "\n", " " + value + " "],
            [value + "\t", value + "\x7f", value + "\x00", value + "\x1f", value + "\r"],
            [value + "\n", "\n" + value, value + "\x85", value + "\u200b"],  # allowed in text
            [
                unicodedata.normalize("NFD", value + "ệ"),
                value + "e\u0301",
                value + "\u2126",  # OHM SIGN: NFC makes it Ω
                "\u0301" + value,
            ],
            ["x" * n for n in (50, 51, 128, 129, 300, 301, 500, 501, 2000, 2001)],
            ["0" * 64, "0" * 65, value + "x" * 1000],
            [value.upper(), value.lower(), value + "-", value[:-1], "-" + value, "a b"],
            ["2025-02-30", "2025-2-3", "20250602", "24:00", "9:00", "000.00.01.h59", ".0"],
            [value.encode(), [value], {value: value}],
        ]
    if isinstance(value, bytes):
        return [
            [value[:-1], value + b"\x00", b"", bytes(31), bytes(33), bytes(2048), bytes(2049)],
            [value.hex(), list(value[:2])],
        ]
    if isinstance(value, list):
        many = value or [None]
        return [
            [[], many * 2, many * 9, many * 11, many * 21, many * 201],
            [[*value, None], tuple(value), dict(enumerate(value))],
        ]
    if isinstance(value, dict):
        return [[{}, list(value.values())]]
    return []


def places(value: Any) -> list[tuple[Any, ...]]:
    """The path to every value inside `value`: map keys and list indexes."""
    found: list[tuple[Any, ...]] = []
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in items:
        found.append((key,))
        if isinstance(item, dict | list):
            found += [(key, *path) for path in places(item)]
    return found


def spoiled(fields: Any, path: tuple[Any, ...], change: str, new: Any) -> Any:
    """A copy of `fields` with the value at `path` replaced by `new` ("set"), taken out ("drop"),
    or with `new` added beside it ("add": under a key of UNKNOWN_KEYS, or at a list's end)."""
    copy = copy_of(fields)
    node = copy
    for key in path[:-1]:
        node = node[key]
    key = path[-1]
    if change == "set":
        node[key] = new
    elif change == "drop":
        del node[key]
    elif isinstance(node, dict):
        node[new[0]] = new[1]
    else:
        node.append(new)
    return copy


def copy_of(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: copy_of(item) for key, item in value.items()}
    if isinstance(value, list):
        return [copy_of(item) for item in value]
    return value


@st.composite
def spoilt(draw: st.DrawFn) -> Any:
    """A statement with one to three changes anywhere in it. The places and changes are picked
    alike among all, text and the body more often, by a generator seeded from the statement itself
    (hypothesis's own choices, and seeds, would favour the first and the simplest ones)."""
    fields: Any = draw(statements())
    pick = random.Random(hashlib.sha256(canonical.encode(fields)).digest())
    for _ in range(pick.choice([1, 1, 1, 2, 3])):
        if not isinstance(fields, dict | list) or not fields:
            break
        everywhere = places(fields)
        text = [path for path in everywhere if isinstance(value_at(fields, path), str)]
        body = [path for path in everywhere if path[0] == "body"]
        body_text = [path for path in text if path[0] == "body"]
        pools = [everywhere, text or everywhere, body or everywhere, body_text or everywhere]
        path = pick.choice(pick.choice(pools))
        node = value_at(fields, path)
        change = pick.choice(["set", "set", "set", "drop", "add"])
        if change == "add":
            new: Any = (pick.choice(UNKNOWN_KEYS), draw(ANY_VALUE))
        elif pick.random() < 0.8:
            new = pick.choice(pick.choice([*near(node), OTHER_TYPES]))
        else:
            new = draw(ANY_VALUE)
        fields = spoiled(fields, path, change, new)
    return fields


def value_at(value: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        value = value[key]
    return value


def packed(value: Any) -> bytes:
    """Canonical bytes where the value has them; msgpack's otherwise (nil, floats, text out of
    NFC), its map keys sorted as canonical bytes sort them."""
    try:
        return canonical.encode(value)
    except ValueError:
        return msgpack.packb(sorted_keys(value), use_bin_type=True)


def sorted_keys(value: Any) -> Any:
    if isinstance(value, dict):
        keys = sorted(value, key=lambda key: key.encode() if isinstance(key, str) else b"")
        return {key: sorted_keys(value[key]) for key in keys}
    if isinstance(value, list | tuple):
        return [sorted_keys(item) for item in value]
    return value


@st.composite
def loosely(draw: st.DrawFn, value: Any) -> bytes:
    """`value` in canonical msgpack but at one place: there, a longer form than the shortest, a
    map's keys out of order or one repeated, a byte string written as text."""
    spot = draw(st.integers(0, len(places([value])) - 1))
    seen = itertools.count()

    def write(value: Any) -> bytes:
        loose = next(seen) == spot
        if isinstance(value, dict):
            entries: list[tuple[Any, Any]] = list(sorted_keys(value).items())
            how = draw(st.sampled_from(["order", "repeat", "header"])) if loose else ""
            if how == "order":
                entries = draw(st.permutations(entries))
            elif how == "repeat" and entries:
                entries.insert(draw(st.integers(0, len(entries))), draw(st.sampled_from(entries)))
            header = _header(len(entries), 0x80, 0xDE, how == "header")
            return header + b"".join(msgpack.packb(key) + write(item) for key, item in entries)
        if isinstance(value, list | tuple):
            header = _header(len(value), 0x90, 0xDC, loose)
            return header + b"".join(write(item) for item in value)
        shortest: bytes = msgpack.packb(value, use_bin_type=True)
        if not loose or isinstance(value, bool) or value is None or isinstance(value, float):
            return shortest
        if isinstance(value, str):
            data = value.encode("utf-8")
            return draw(
                st.sampled_from(
                    [
                        b"\xd9" + struct.pack("B", len(data)) + data
                        if len(data) < 256
                        else shortest,
                        b"\xdb" + struct.pack(">I", len(data)) + data,  # str32
                    ]
                )
            )
        if isinstance(value, bytes):
            return draw(
                st.sampled_from(
                    [
                        b"\xc6" + struct.pack(">I", len(value)) + value,  # bin32
                        msgpack.packb(value, use_bin_type=False),  # as text
                    ]
                )
            )
        forms = [(0xCC, "B"), (0xCD, ">H"), (0xCE, ">I"), (0xCF, ">Q")]
        forms += [(0xD0, ">b"), (0xD1, ">h"), (0xD2, ">i"), (0xD3, ">q")]
        fitting = []
        for head, pattern in forms:
            with contextlib.suppress(struct.error):
                fitting.append(bytes([head]) + struct.pack(pattern, value))
        return draw(st.sampled_from(fitting or [shortest]))

    return write(value)


def _header(count: int, fix: int, wide: int, longer: bool) -> bytes:
    if count < 16 and not longer:
        return bytes([fix + count])
    if count < 2**16:
        return bytes([wide]) + struct.pack(">H", count)
    return bytes([wide + 1]) + struct.pack(">I", count)


@st.composite
def damaged(draw: st.DrawFn, data: bytes) -> bytes:
    """`data` with bytes flipped, inserted, deleted, cut off or added at the end."""
    changed = bytearray(data)
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.integers(0, max(len(changed) - 1, 0)))
        how = draw(st.sampled_from(["flip", "insert", "delete", "cut", "trail"]))
        if how == "flip" and changed:
            changed[where] ^= 1 << draw(st.integers(0, 7))
        elif how == "insert":
            changed[where:where] = draw(st.binary(min_size=1, max_size=3))
        elif how == "delete":
            del changed[where : where + draw(st.integers(1, 3))]
        elif how == "cut":
            del changed[where:]
        else:
            changed += draw(st.binary(min_size=1, max_size=3))
    return bytes(changed)


# --- the golden vectors ----------------------------------------------------------------------


def golden_statements() -> list[bytes]:
    document = json.loads(GOLDEN.read_text(encoding="utf-8"))
    return [bytes.fromhex(vector["statement"]) for vector in document["vectors"]]


@pytest.mark.parametrize(
    "raw", golden_statements(), ids=lambda raw: hashlib.sha256(raw).hexdigest()[:8]
)
def test_every_golden_vector_takes_the_fast_path_to_the_same_statement(raw: bytes) -> None:
    statement = schema.parse_compiled(raw)
    assert statement is not None
    assert same(statement, schema.parse_reference(raw))
    assert same(schema.parse(raw), statement)


@pytest.mark.parametrize("kind", KINDS)
def test_every_value_of_every_kind_spoiled_parses_alike(kind: str) -> None:
    fields = sample_statement(kind)
    assert isinstance(parses_alike(canonical.encode(fields)), Statement)
    assert schema.parse_compiled(canonical.encode(fields)) is not None
    for path in places(fields):
        node = value_at(fields, path)
        for new in itertools.chain(*near(node), OTHER_TYPES):
            parses_alike(packed(spoiled(fields, path, "set", new)))
        parses_alike(packed(spoiled(fields, path, "drop", None)))
        for unknown in UNKNOWN_KEYS:
            parses_alike(packed(spoiled(fields, path, "add", (unknown, 0))))
        parses_alike(msgpack.packb(spoiled(fields, path, "set", node), use_bin_type=True))


# --- the properties -------------------------------------------------------------------------


@pytest.mark.fuzz
@pytest.mark.parametrize("kind", KINDS)
@settings(PROPERTY, max_examples=max(EXAMPLES // 4, 10))
@given(data=st.data())
def test_the_fast_path_accepts_every_kind_as_the_reference_does(
    kind: str, data: st.DataObject
) -> None:
    raw = canonical.encode(data.draw(statements((kind,))))
    statement = schema.parse_compiled(raw)
    assert statement is not None, raw.hex()
    assert same(statement, schema.parse_reference(raw))
    assert list(statement.body) == [
        name for name in schema.BODIES[kind].fields if name in statement.body
    ]


@pytest.mark.fuzz
@PROPERTY
@given(statements())
def test_a_valid_statement_parses_alike(fields: dict[str, Any]) -> None:
    assert isinstance(parses_alike(canonical.encode(fields)), Statement)


@pytest.mark.fuzz
@PROPERTY
@given(spoilt().map(packed))
def test_a_statement_with_values_changed_parses_alike(data: bytes) -> None:
    parses_alike(data)


@pytest.mark.fuzz
@PROPERTY
@given(statements().flatmap(loosely))
def test_a_statement_in_longer_forms_or_unsorted_parses_alike(data: bytes) -> None:
    parses_alike(data)


@pytest.mark.fuzz
@PROPERTY
@given(spoilt().flatmap(loosely))
def test_a_changed_statement_in_longer_forms_parses_alike(data: bytes) -> None:
    parses_alike(data)


@pytest.mark.fuzz
@PROPERTY
@given(statements().map(canonical.encode).flatmap(damaged))
def test_a_damaged_statement_parses_alike(data: bytes) -> None:
    parses_alike(data)


@pytest.mark.fuzz
@PROPERTY
@given(statements().map(canonical.encode), st.integers(-2, 2))
def test_the_size_limit_is_the_same(data: bytes, slack: int) -> None:
    parses_alike(data, max_bytes=max(len(data) + slack, 0))


@pytest.mark.fuzz
@PROPERTY
@given(st.binary(max_size=64) | ANY_VALUE.map(lambda value: msgpack.packb(value)))
def test_anything_else_parses_alike(data: bytes) -> None:
    parses_alike(data)


# --- the parts the fast path rests on -------------------------------------------------------

# the boundaries of every msgpack form the format uses
FORMS = [
    *[0, 127, 128, 255, 256, 2**16 - 1, 2**16, 2**32 - 1, 2**32, 2**63 - 1, 2**64 - 1],
    *[-1, -32, -33, -128, -129, -(2**15), -(2**15) - 1, -(2**31), -(2**31) - 1, -(2**63)],
    *[False, True],
    *["a" * n for n in (0, 31, 32, 255, 256, 2**16 - 1, 2**16)],
    *[b"b" * n for n in (0, 255, 256, 2**16 - 1, 2**16)],
    *[[0] * n for n in (0, 15, 16, 2**16 - 1, 2**16)],
    *[{f"k{i:05}": 0 for i in range(n)} for n in (0, 15, 16, 2**16 - 1, 2**16)],
    "Xã",
]


@pytest.mark.parametrize(
    "value", FORMS, ids=lambda value: f"{type(value).__name__}-{len(repr(value))}"
)
def test_msgspec_writes_each_form_as_msgpack_does(value: Any) -> None:
    written = msgpack.packb(value, use_bin_type=True)
    assert msgspec.msgpack.encode(value) == written
    assert canonical.decode_exact(written) == value
    assert same(canonical.decode_exact(written), msgpack.unpackb(written))


@pytest.mark.fuzz
@settings(max_examples=EXAMPLES, deadline=None)
@given(
    st.recursive(
        st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.text() | st.binary(),
        lambda inner: st.lists(inner, max_size=20) | st.dictionaries(st.text(), inner, max_size=20),
    )
)
def test_msgspec_reads_and_writes_any_value_as_msgpack_does(value: Any) -> None:
    written = msgpack.packb(value, use_bin_type=True)
    assert msgspec.msgpack.encode(value) == written
    assert same(canonical.decode_exact(written), msgpack.unpackb(written, strict_map_key=False))


@pytest.mark.parametrize(
    "data",
    [
        b"\x82\xa1a\x01\xa1a\x02",  # a key repeated
        b"\xcd\x00\x05",  # uint16 holding 5
        b"\xd0\x05",  # int8 holding a positive value
        b"\xd9\x01a",  # str8 where fixstr fits
        b"\xc5\x00\x01a",  # bin16 where bin8 fits
        b"\xdc\x00\x01\x01",  # array16 where fixarray fits
        b"\xde\x00\x01\xa1a\x01",  # map16 where fixmap fits
        b"\x01\x00",  # a byte after the value
        b"\x92\x01",  # cut short
        b"\xc1",  # never used
        b"\xa1\xff",  # text that is not UTF-8
        b"",
    ],
)
def test_decode_exact_does_not_read_what_is_not_in_its_shortest_form(data: bytes) -> None:
    assert canonical.decode_exact(data) is None


def test_decode_exact_leaves_order_and_types_to_its_caller() -> None:
    # what canonical.decode refuses and decode_exact reads: its callers check these themselves
    assert canonical.decode_exact(b"\x82\xa1b\x01\xa1a\x02") == {"b": 1, "a": 2}
    assert canonical.decode_exact(b"\xa3e\xcc\x81") == "e\u0301"
    assert canonical.decode_exact(b"\xcb" + bytes(8)) == 0.0


def test_a_statement_too_large_is_refused_as_before_though_it_would_parse() -> None:
    raw = golden_statements()[0]
    assert schema.parse_compiled(raw, max_bytes=len(raw) - 1) is None
    parses_alike(raw, max_bytes=len(raw) - 1)
    assert schema.parse_compiled(raw, max_bytes=len(raw)) is not None
