"""Canonical msgpack and the version-1 schema: the one byte form, and every refusal by its class.

Each refusal test names the error class it expects and a word the message must contain, so that a
person reading the refusal learns what was wrong.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import unicodedata
from typing import Any

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.statement import KINDS, Statement
from ledger.errors import (
    BadField,
    MalformedStatement,
    MissingField,
    NonCanonicalStatement,
    OversizedStatement,
    TruncatedStatement,
    UnknownField,
    UnknownKind,
)
from ledger.statements import canonical, schema
from ledger.statements.signing import SigningKey, statement_hash

KEY = SigningKey.from_seed(hashlib.sha256(b"lienthong canonical tests").digest())
NOTE = "Chuyển hồ sơ lên huyện thẩm định – đã đủ thành phần"
DISPATCH = Statement(
    kind="handover.dispatched",
    subject="000.00.29.H59-250602-0001",
    seq=2,
    prev=hashlib.sha256(b"previous").digest(),
    office="29266",
    officer="cb-29266",
    key=KEY.key_id,
    at=1748833200000000,
    body={
        "to": "844",
        "purpose": "process",
        "note": NOTE,
        "documents": [{"name": "Tờ khai", "sha256": hashlib.sha256(b"doc").digest()}],
    },
)
RAW = schema.build(DISPATCH)


def fields() -> dict[str, Any]:
    """The decoded map of RAW, a fresh copy to spoil."""
    decoded = canonical.decode(RAW)
    assert isinstance(decoded, dict)
    return decoded


def raw_msgpack(value: Any) -> bytes:
    """msgpack bytes as a careless encoder writes them: insertion order, no checks."""
    return msgpack.packb(value, use_bin_type=True)


def refused(
    data: bytes, error: type[Exception], *words: str, exact: bool = True, **options: Any
) -> MalformedStatement:
    with pytest.raises(error) as caught:
        schema.parse(data, **options)
    if exact:
        assert type(caught.value) is error, f"{type(caught.value).__name__}: {caught.value}"
    message = str(caught.value)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    assert isinstance(caught.value, MalformedStatement)
    return caught.value


def parsed_with(change: dict[str, Any], *, drop: tuple[str, ...] = ()) -> bytes:
    spoiled = fields()
    spoiled.update(change)
    for name in drop:
        del spoiled[name]
    return canonical.encode(spoiled)


# --- the byte forms -------------------------------------------------------------------------------

BYTE_FORMS = [
    (0, "00"),
    (127, "7f"),
    (128, "cc80"),
    (255, "ccff"),
    (256, "cd0100"),
    (65535, "cdffff"),
    (65536, "ce00010000"),
    (2**32 - 1, "ceffffffff"),
    (2**32, "cf0000000100000000"),
    (2**64 - 1, "cf" + "ff" * 8),
    (-1, "ff"),
    (-32, "e0"),
    (-33, "d0df"),
    (-128, "d080"),
    (-129, "d1ff7f"),
    (-32768, "d18000"),
    (-32769, "d2ffff7fff"),
    (-(2**31), "d280000000"),
    (-(2**31) - 1, "d3ffffffff7fffffff"),
    (-(2**63), "d38000000000000000"),
    (False, "c2"),
    (True, "c3"),
    ("", "a0"),
    ("a", "a161"),
    ("a" * 31, "bf" + "61" * 31),
    ("a" * 32, "d920" + "61" * 32),
    ("a" * 256, "da0100" + "61" * 256),
    ("Xã", "a358c3a3"),
    (b"", "c400"),
    (b"\x01", "c40101"),
    (b"\x00" * 256, "c50100" + "00" * 256),
    ([], "90"),
    ([1, 2], "920102"),
    ([0] * 16, "dc0010" + "00" * 16),
    ({}, "80"),
    ({"a": 1}, "81a16101"),
    (
        {f"k{i:02}": 0 for i in range(16)},
        "de0010" + "".join("a36b" + f"{i:02}".encode().hex() + "00" for i in range(16)),
    ),
]


@pytest.mark.parametrize(("value", "expected"), BYTE_FORMS, ids=[e[:12] for _, e in BYTE_FORMS])
def test_each_value_has_one_byte_form(value: Any, expected: str) -> None:
    assert canonical.encode(value).hex() == expected
    decoded = canonical.decode(bytes.fromhex(expected), max_bytes=1 << 20)
    assert decoded == value
    assert type(decoded) is type(value)


def test_map_keys_are_sorted_by_utf8_bytes() -> None:
    # By UTF-8 bytes: "B" (42) < "a" (61) < "ab" < "b" < "é" (c3 a9) < "ư" (c6 b0).
    encoded = canonical.encode({"ư": 1, "b": 2, "é": 3, "ab": 4, "a": 5, "B": 6})
    assert list(canonical.decode(encoded)) == ["B", "a", "ab", "b", "é", "ư"]
    assert canonical.encode({"b": 1, "a": 2}).hex() == "82a16102a16201"


def test_statement_keys_come_in_their_canonical_order() -> None:
    assert list(fields()) == [
        "at",
        "body",
        "key",
        "kind",
        "office",
        "officer",
        "prev",
        "seq",
        "subject",
        "v",
    ]


def test_tuples_encode_as_arrays() -> None:
    assert canonical.encode((1, "a")) == canonical.encode([1, "a"])


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (1.5, "float"),
        (None, "NoneType"),
        ({1: "a"}, "not a string"),
        ({b"a": 1}, "not a string"),
        (2**64, "64 bits"),
        (-(2**63) - 1, "64 bits"),
        ("e\u0301", "NFC"),
        ({"a": [{"b": 0.0}]}, "$.a[0].b"),
    ],
)
def test_encode_refuses_what_has_no_canonical_form(value: Any, words: str) -> None:
    with pytest.raises(ValueError, match=re.escape(words)):
        canonical.encode(value)


# --- truncated, trailing, malformed ---------------------------------------------------------------


def test_empty_input_is_truncated() -> None:
    refused(b"", TruncatedStatement, "empty")


def test_every_proper_prefix_is_refused() -> None:
    for length in range(len(RAW)):
        with pytest.raises(MalformedStatement) as caught:
            schema.parse(RAW[:length])
        assert type(caught.value) in (TruncatedStatement, MalformedStatement), length
        if type(caught.value) is TruncatedStatement:
            assert "empty" in str(caught.value) or "ends early" in str(caught.value)


def test_trailing_bytes_are_refused() -> None:
    refused(RAW + b"\x00", MalformedStatement, "1 trailing bytes")
    refused(RAW + RAW, MalformedStatement, f"{len(RAW)} trailing bytes")


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"\xc1", "not valid msgpack"),  # the one byte msgpack never uses
        (b"\xa1\xff", "utf-8"),  # a str that is not UTF-8
        (b"\x81\x01\x01", "map key"),  # an integer map key
    ],
)
def test_malformed_msgpack_is_refused(data: bytes, words: str) -> None:
    refused(data, MalformedStatement, words)


# --- non-canonical ------------------------------------------------------------------------------

CANONICAL_WORDS = "canonical form"


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"\x82\xa1b\x01\xa1a\x02", "unsorted map keys"),
        (b"\x82\xa1a\x01\xa1a\x02", "duplicate map keys"),
        (b"\xcd\x00\x05", "uint16 holding 5"),
        (b"\xcc\x05", "uint8 holding 5"),
        (b"\xd0\x05", "int8 holding a positive value"),
        (b"\xd0\xff", "int8 holding -1"),
        (b"\xcf" + (1).to_bytes(8, "big"), "uint64 holding 1"),
        (b"\xd9\x01a", "str8 where fixstr fits"),
        (b"\xda\x00\x01a", "str16 where fixstr fits"),
        (b"\xc5\x00\x01a", "bin16 where bin8 fits"),
        (b"\xdc\x00\x01\x01", "array16 where fixarray fits"),
        (b"\xde\x00\x01\xa1a\x01", "map16 where fixmap fits"),
    ],
)
def test_non_canonical_forms_are_refused(data: bytes, what: str) -> None:
    with pytest.raises(NonCanonicalStatement) as caught:
        canonical.decode(data)
    assert CANONICAL_WORDS in str(caught.value), what


def test_unsorted_statement_map_is_refused() -> None:
    backwards = dict(reversed(list(fields().items())))
    refused(raw_msgpack(backwards), NonCanonicalStatement, CANONICAL_WORDS, "sorted")


def test_duplicate_statement_key_is_refused() -> None:
    # Append a second "v" entry after the first by hand: the map header counts 11 entries.
    duplicated = bytes([RAW[0] + 1]) + RAW[1:] + b"\xa1v\x01"
    refused(duplicated, NonCanonicalStatement, "unique")


def test_long_integer_form_in_a_statement_is_refused() -> None:
    assert RAW.endswith(b"\xa1v\x01")
    refused(RAW[:-1] + b"\xcd\x00\x01", NonCanonicalStatement, "shortest form")


def test_str8_where_fixstr_fits_in_a_statement_is_refused() -> None:
    office = b"\xa5" + b"29266"
    assert RAW.count(office) == 1
    refused(RAW.replace(office, b"\xd9\x05" + b"29266"), NonCanonicalStatement, "shortest form")


def test_non_nfc_text_is_refused() -> None:
    refused(raw_msgpack("Xa\u0303"), NonCanonicalStatement, "NFC")
    spoiled = fields()
    spoiled["body"]["note"] = unicodedata.normalize("NFD", NOTE)
    refused(raw_msgpack(spoiled), NonCanonicalStatement, "NFC", "$.body.note")


def test_non_nfc_map_key_is_refused() -> None:
    refused(raw_msgpack({"e\u0301": 1}), NonCanonicalStatement, "NFC", "key")


def test_encode_refuses_a_non_nfc_map_key() -> None:
    with pytest.raises(ValueError, match="NFC"):
        canonical.encode({"e\u0301": 1})


# --- types with no place in a statement -----------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"\xc0", "nil"),
        (b"\xca" + bytes(4), "float"),
        (b"\xcb" + bytes(8), "float"),
        (b"\xd4\x05\x00", "ExtType"),  # fixext 1
        (b"\xc7\x01\x05\x00", "ExtType"),  # ext 8
        (b"\x81\xa1a\xc0", "$.a: nil"),
    ],
)
def test_nil_floats_and_extension_types_are_refused(data: bytes, words: str) -> None:
    refused(data, MalformedStatement, words, "not allowed")


def test_nil_inside_a_statement_is_refused() -> None:
    spoiled = fields()
    spoiled["body"]["note"] = None
    refused(raw_msgpack(spoiled), MalformedStatement, "$.body.note", "nil")


def test_timestamp_extension_is_refused() -> None:
    # Extension type -1 (the msgpack timestamp) is an extension type like any other.
    refused(b"\xd6\xff\x00\x00\x00\x01", MalformedStatement, "not allowed")


def test_bin_map_key_is_refused() -> None:
    # msgpack allows bin map keys; a statement's keys are text only.
    refused(b"\x81\xc4\x01a\x01", MalformedStatement, "map key", "not a string")


def test_deep_nesting_is_refused_cleanly() -> None:
    # 1001 bytes, far under the size cap: refused by a depth limit, not by a RecursionError.
    error = refused(b"\x91" * 1000 + b"\x00", MalformedStatement)
    assert "nest" in str(error).lower()


# --- size ---------------------------------------------------------------------------------------


def test_oversized_input_is_refused_before_decoding() -> None:
    refused(
        RAW,
        OversizedStatement,
        f"{len(RAW)} bytes",
        f"limit is {len(RAW) - 1}",
        max_bytes=len(RAW) - 1,
    )
    assert schema.parse(RAW, max_bytes=len(RAW)) == DISPATCH


def test_the_default_cap_is_64_kib() -> None:
    assert canonical.DEFAULT_MAX_BYTES == 64 * 1024
    at_cap = b"\xc5" + (65536 - 3).to_bytes(2, "big") + bytes(65536 - 3)
    assert canonical.decode(at_cap) == bytes(65536 - 3)
    over = b"\xc5" + (65536 - 2).to_bytes(2, "big") + bytes(65536 - 2)
    with pytest.raises(OversizedStatement, match="65537 bytes; the limit is 65536"):
        canonical.decode(over)


# --- the schema ---------------------------------------------------------------------------------


def test_the_reference_statement_parses() -> None:
    assert schema.parse(RAW) == DISPATCH


def test_unknown_top_level_field() -> None:
    refused(parsed_with({"extra": 1}), UnknownField, "'extra'", "statement has unknown")


def test_unknown_body_field() -> None:
    spoiled = fields()
    spoiled["body"]["colour"] = "blue"
    refused(canonical.encode(spoiled), UnknownField, "statement.body", "'colour'")


def test_unknown_field_in_a_document() -> None:
    spoiled = fields()
    spoiled["body"]["documents"][0]["pages"] = 3
    refused(canonical.encode(spoiled), UnknownField, "statement.body.documents[0]", "'pages'")


@pytest.mark.parametrize(
    "name", ["v", "kind", "subject", "seq", "prev", "office", "officer", "key", "at", "body"]
)
def test_missing_top_level_field(name: str) -> None:
    refused(parsed_with({}, drop=(name,)), MissingField, f"'{name}'", "lacks the required")


@pytest.mark.parametrize("name", ["to", "purpose", "documents"])
def test_missing_body_field(name: str) -> None:
    spoiled = fields()
    del spoiled["body"][name]
    refused(canonical.encode(spoiled), MissingField, "statement.body", f"'{name}'")


def test_optional_fields_may_be_absent() -> None:
    spoiled = fields()
    del spoiled["body"]["note"]
    assert "note" not in schema.parse(canonical.encode(spoiled)).body
    assert schema.parse(RAW).seen is None


def test_missing_document_hash() -> None:
    spoiled = fields()
    del spoiled["body"]["documents"][0]["sha256"]
    refused(canonical.encode(spoiled), MissingField, "documents[0]", "'sha256'")


def test_seen_needs_size_and_root() -> None:
    refused(parsed_with({"seen": {"size": 1}}), MissingField, "statement.seen", "'root'")
    refused(parsed_with({"seen": {"size": 1, "root": bytes(32), "at": 1}}), UnknownField, "'at'")
    refused(parsed_with({"seen": {"size": -1, "root": bytes(32)}}), BadField, "statement.seen.size")
    seen = schema.parse(parsed_with({"seen": {"size": 7, "root": bytes(32)}})).seen
    assert seen is not None
    assert (seen.size, seen.root) == (7, bytes(32))


@pytest.mark.parametrize("kind", ["dossier.lost", "handover.Dispatched", "", "authority"])
def test_unknown_kind(kind: str) -> None:
    refused(parsed_with({"kind": kind}), UnknownKind, repr(kind), "not a statement kind")


def test_unknown_kind_is_refused_by_build_too() -> None:
    with pytest.raises(UnknownKind, match=re.escape("'dossier.lost'")):
        schema.build(dataclasses.replace(DISPATCH, kind="dossier.lost"))


def test_every_kind_has_a_body() -> None:
    assert set(schema.BODIES) == set(KINDS)


@pytest.mark.parametrize("kind", [["handover.dispatched"], {"kind": "x"}, 5, b"x", True])
def test_kind_of_the_wrong_type(kind: Any) -> None:
    refused(parsed_with({"kind": kind}), MalformedStatement, "kind", exact=False)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"v": 2}, "version 2 is not supported"),
        ({"v": 0}, "version 0 is not supported"),
        ({"v": True}, "statement.v must be an integer, not bool"),
        ({"seq": "2"}, "statement.seq must be an integer, not str"),
        ({"seq": True}, "statement.seq must be an integer, not bool"),
        ({"seq": 0}, "statement.seq is 0"),
        ({"at": -1}, "statement.at is -1"),
        ({"at": 2**63}, "statement.at is 9223372036854775808"),
        ({"prev": bytes(31)}, "statement.prev must be 32 bytes, not 31 bytes"),
        ({"prev": bytes(33)}, "statement.prev must be 32 bytes, not 33 bytes"),
        ({"prev": "00" * 32}, "statement.prev must be 32 bytes, not str"),
        ({"subject": 5}, "statement.subject must be an identifier"),
        ({"subject": ""}, "statement.subject must be an identifier"),
        ({"office": "Xã Mỹ Cẩm"}, "statement.office must be an identifier"),
        ({"officer": "-cb"}, "statement.officer must be an identifier"),
        ({"key": "k" * 129}, "statement.key must be an identifier"),
        ({"body": []}, "statement.body must be a map, not list"),
    ],
)
def test_bad_top_level_values(change: dict[str, Any], words: str) -> None:
    refused(parsed_with(change), BadField, words)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"purpose": "lunch"}, "statement.body.purpose is 'lunch'; it must be one of"),
        ({"to": "8 4 4"}, "statement.body.to must be an identifier"),
        ({"documents": {}}, "statement.body.documents must be a list, not dict"),
        (
            {"documents": [{"name": "x", "sha256": bytes(20)}]},
            "documents[0].sha256 must be 32 bytes",
        ),
        (
            {"documents": [{"name": " ", "sha256": bytes(32)}]},
            "documents[0].name must not be empty",
        ),
        ({"documents": [{"name": "x", "sha256": bytes(32)}] * 201}, "has 201 items"),
        ({"note": "a\tb"}, "statement.body.note contains control characters"),
        ({"note": "a\x7f"}, "statement.body.note contains control characters"),
        ({"note": "ư" * 2001}, "statement.body.note is 2001 characters"),
        ({"note": 5}, "statement.body.note must be text, not int"),
    ],
)
def test_bad_body_values(change: dict[str, Any], words: str) -> None:
    spoiled = fields()
    spoiled["body"].update(change)
    refused(canonical.encode(spoiled), BadField, words)


def test_a_note_may_hold_line_breaks() -> None:
    spoiled = fields()
    spoiled["body"]["note"] = "dòng một\ndòng hai"
    assert schema.parse(canonical.encode(spoiled)).body["note"] == "dòng một\ndòng hai"


def office_statement(body: dict[str, Any]) -> Statement:
    return Statement(
        kind="office.established",
        subject="29266",
        seq=1,
        prev=bytes(32),
        office="authority",
        officer="authority",
        key=KEY.key_id,
        at=1748826000000000,
        body=body,
    )


@pytest.mark.parametrize(
    "effective", ["2025-02-30", "2025-2-3", "20250203", "2025-02-03T00:00", " 2025-02-03", ""]
)
def test_bad_date(effective: str) -> None:
    body = {"name": "Thị trấn Càng Long", "level": "commune", "effective": effective}
    with pytest.raises(BadField, match=r"statement\.body\.effective") as caught:
        schema.build(office_statement(body))
    assert "YYYY-MM-DD" in str(caught.value)
    spoiled = canonical.decode(schema.build(office_statement({**body, "effective": "2025-02-03"})))
    spoiled["body"]["effective"] = effective
    refused(canonical.encode(spoiled), BadField, "YYYY-MM-DD")


def test_date_that_is_not_text() -> None:
    with pytest.raises(BadField, match=r"statement\.body\.effective"):
        schema.build(office_statement({"name": "X", "level": "commune", "effective": 20250203}))


@pytest.mark.parametrize("name", ["29266\n", "\n29266", "29 266", "29266\t"])
def test_identifier_with_white_space_is_refused(name: str) -> None:
    refused(parsed_with({"office": name}), BadField, "statement.office must be an identifier")


# --- properties ---------------------------------------------------------------------------------

NFC_TEXT = st.text(st.characters(codec="utf-8"), max_size=20).map(
    lambda text: unicodedata.normalize("NFC", text)
)
SCALARS = st.booleans() | st.integers(-(2**63), 2**64 - 1) | NFC_TEXT | st.binary(max_size=40)


def nested(depth: int) -> st.SearchStrategy[Any]:
    """Canonical values nested at most `depth` levels (statements nest four)."""
    values = SCALARS
    for _ in range(depth):
        values = (
            SCALARS | st.lists(values, max_size=4) | st.dictionaries(NFC_TEXT, values, max_size=4)
        )
    return values


def same(left: Any, right: Any) -> bool:
    """Equality that tells True from 1 and bytes from text."""
    if type(left) is not type(right):
        return False
    if isinstance(left, list):
        return len(left) == len(right) and all(map(same, left, right))
    if isinstance(left, dict):
        return set(left) == set(right) and all(same(left[k], right[k]) for k in left)
    return bool(left == right)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(nested(4))
def test_decode_inverts_encode(value: Any) -> None:
    encoded = canonical.encode(value)
    decoded = canonical.decode(encoded, max_bytes=1 << 20)
    assert same(decoded, value)
    assert canonical.encode(decoded) == encoded


@settings(max_examples=150, deadline=None)
@given(st.integers(0, len(RAW) - 1), st.integers(1, 255))
def test_a_changed_byte_is_refused_or_is_another_statement(index: int, mask: int) -> None:
    changed = bytearray(RAW)
    changed[index] ^= mask
    try:
        statement = schema.parse(bytes(changed))
    except MalformedStatement:
        return
    assert statement != DISPATCH
    assert statement_hash(bytes(changed)) != statement_hash(RAW)
    assert schema.build(statement) == bytes(changed)  # what parses is itself canonical
