"""Version 1 of the statement format: the fields of every kind, checked on encode and decode.

`parse` turns canonical bytes into a `domain.statement.Statement`, refusing unknown or missing
fields and bad values; `build` does the reverse for a signer. Both use the same tables, so what the
ledger can sign is exactly what it accepts. The tables are made of the checkers of
`ledger.statements.fields`; `parse` runs them compiled first (`ledger.statements.compiled`), and as
they are (`parse_reference`) for whatever the compiled ones do not accept.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from domain.dossier import CHANNELS, OUTCOMES, PURPOSES
from domain.instant import EARLIEST, LATEST, from_datetime
from domain.officer import ROLES
from domain.procedure import DAY_TYPES
from domain.revocation import FORMATS as REVOCATION_FORMATS
from domain.statement import FORMAT_VERSION, KINDS, Seen, Statement
from ledger.errors import BadField, OversizedStatement, UnknownKind
from ledger.statements import canonical, compiled
from ledger.statements.fields import (
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

DOCUMENTS = Many(Record({"name": Text(max_len=300), "sha256": Bin(32)}))
NOTE = Optional(Text(max_len=2000))
REASON = Text(max_len=2000, nonempty=False)  # emptiness is a domain rule with its own error
EFFECTIVE_DATE = Date()
# every instant a statement carries lies where the ledger's date arithmetic can follow it
INSTANT = Int(EARLIEST, LATEST)

# office.merged / office.dissolved: who takes over the dossiers of a procedure, one row each
BY_PROCEDURE = Many(Record({"procedure": Name(), "successor": Name()}), min_items=1, max_items=200)
# office.dissolved: where the dossiers of the procedures it does not name go
OTHERS_TO = ("receiving-office",)

BODIES: dict[str, Record] = {
    "dossier.received": Record(
        {
            "procedure": Name(),
            "version": Int(1),
            "applicant": Bin(32),
            "channel": Enum(CHANNELS),
            "documents": DOCUMENTS,
            "appointed": INSTANT,
        }
    ),
    "handover.dispatched": Record(
        {
            "to": Name(),
            "purpose": Enum(PURPOSES),
            "documents": DOCUMENTS,
            "note": NOTE,
        }
    ),
    "handover.acknowledged": Record({"dispatch": Bin(32), "documents": DOCUMENTS, "note": NOTE}),
    "handover.rejected": Record({"dispatch": Bin(32), "reason": REASON}),
    "handover.recalled": Record({"dispatch": Bin(32), "reason": REASON}),
    "dossier.supplement_requested": Record({"reason": REASON, "missing": Many(Text(max_len=300))}),
    "dossier.supplement_received": Record({"documents": DOCUMENTS, "note": NOTE}),
    "dossier.delay_notified": Record({"reason": REASON, "appointed": INSTANT}),
    "dossier.decided": Record(
        {
            "outcome": Enum(OUTCOMES),
            "reference": Text(max_len=300),
            "documents": DOCUMENTS,
        }
    ),
    "dossier.result_returned": Record({"channel": Enum(CHANNELS)}),
    "dossier.withdrawn": Record({"reason": REASON}),
    "dossier.refused": Record({"reason": REASON}),
    "dossier.extension_requested": Record({"reason": REASON, "appointed": INSTANT}),
    "dossier.stopped": Record({"reason": REASON}),
    "authority.established": Record({"public_key": Bin(32)}),
    "authority.rotated": Record({"public_key": Bin(32)}),
    "office.established": Record(
        {
            "name": Text(max_len=300),
            "level": Name(),
            "parent": Optional(Name()),
            "effective": EFFECTIVE_DATE,
            # absent: no agency identifier registered (every office established before)
            "agency": Optional(Agency()),
        }
    ),
    "office.renamed": Record(
        {
            "name": Text(max_len=300),
            "effective": EFFECTIVE_DATE,
            # absent: the agency identifier in force stays
            "agency": Optional(Agency()),
        }
    ),
    "office.reparented": Record({"parent": Optional(Name()), "effective": EFFECTIVE_DATE}),
    "office.merged": Record(
        {
            "successor": Name(),
            "effective": EFFECTIVE_DATE,
            # absent: every dossier passes to `successor` (every merger recorded before)
            "by_procedure": Optional(BY_PROCEDURE),
        }
    ),
    "office.dissolved": Record(
        {
            "effective": EFFECTIVE_DATE,
            # absent: no dossier passes on (every dissolution recorded before)
            "by_procedure": Optional(BY_PROCEDURE),
            "others_to": Optional(Enum(OTHERS_TO)),
        }
    ),
    "officer.enrolled": Record(
        {"office": Name(), "title": Text(max_len=300), "effective": INSTANT}
    ),
    "officer.moved": Record({"office": Name(), "title": Text(max_len=300), "effective": INSTANT}),
    "officer.left": Record({"effective": INSTANT}),
    "key.registered": Record(
        {
            "officer": Name(),
            "public_key": PublicKey(),
            "role": Enum(ROLES),
            "effective": INSTANT,
            # a key with an official-duty certificate: SHA-256 of each DER certificate of its
            # chain, the officer's first (the certificates are kept beside the log)
            "certificates": Optional(Many(Bin(32), min_items=1, max_items=8)),
        }
    ),
    "key.revoked": Record({"reason": REASON, "effective": INSTANT}),
    "revocation.recorded": Record(
        {"format": Enum(REVOCATION_FORMATS), "sha256": Bin(32), "produced": INSTANT}
    ),
    "procedure.published": Record(
        {
            "version": Int(1),
            "name_vi": Text(max_len=500),
            "name_en": Text(max_len=500),
            "national_code": Optional(Text(max_len=50)),
            "route": Many(
                Record(
                    {
                        "level": Name(),
                        "days": Optional(Int(0, 3650)),
                        "day_type": Enum(DAY_TYPES),
                        "note": Optional(Text(max_len=500)),
                    }
                ),
                min_items=1,
                max_items=20,
            ),
            "decides": Many(Name(), min_items=1, max_items=10),
            "legal_basis": Text(max_len=500),
            "effective": EFFECTIVE_DATE,
            # absent: no cut-off (every version published before the field existed)
            "cutoff": Optional(Record({"time": ClockTime(), "source": Text(max_len=500)})),
            # absent: the version's budgets are confirmed by its legal basis; present: why a
            # budget is provisional (every version published before the field existed has none)
            "provisional": Optional(Text(max_len=500)),
        }
    ),
}
assert set(BODIES) == set(KINDS)

SEEN = Record({"size": Int(), "root": Bin(32)})
ENVELOPE_FIELDS: dict[str, Field] = {
    "v": Int(FORMAT_VERSION, FORMAT_VERSION),
    "kind": Name(),
    "subject": Name(),
    "seq": Int(1),
    "prev": Bin(32),
    "office": Name(),
    "officer": Name(),
    "key": Name(),
    "at": INSTANT,
    "body": Record({}),  # replaced by the kind's own record
    "seen": Optional(SEEN),
}


def _check(fields: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(fields, Mapping):
        raise BadField(f"a statement must be a map, not {type(fields).__name__}")
    if fields.get("v", FORMAT_VERSION) != FORMAT_VERSION:
        raise BadField(
            f"statement format version {fields.get('v')!r} is not supported; "
            f"this ledger reads version {FORMAT_VERSION}"
        )
    kind = fields.get("kind")
    if kind is not None and not isinstance(kind, str):
        raise BadField(f"statement.kind must be text, not {type(kind).__name__}")
    if kind is not None and kind not in BODIES:
        raise UnknownKind(f"kind {kind!r} is not a statement kind of version {FORMAT_VERSION}")
    schema = dict(ENVELOPE_FIELDS)
    if kind is not None:
        schema["body"] = BODIES[kind]
    checked: dict[str, Any] = Record(schema).check(fields, "statement")
    return checked


# The fast path of `parse`: the envelope and the bodies of every kind, as `_check` checks them,
# compiled into functions (ledger/statements/compiled.py says what they accept, and why).
_COMPILED = compiled.compile_statement(ENVELOPE_FIELDS, BODIES)


def parse(data: bytes, *, max_bytes: int = canonical.DEFAULT_MAX_BYTES) -> Statement:
    """Decode and check canonical statement bytes (refusals: see `ledger.errors`).

    `parse_compiled` answers first; what it does not accept, `parse_reference` checks again, and
    refuses naming the problem. The two accept the same statements, alike."""
    statement = parse_compiled(data, max_bytes=max_bytes)
    if statement is None:
        return parse_reference(data, max_bytes=max_bytes)
    return statement


def parse_reference(data: bytes, *, max_bytes: int = canonical.DEFAULT_MAX_BYTES) -> Statement:
    """`parse` by the reference checks alone: `canonical.decode`, then each field's `check`."""
    return _statement(_check(canonical.decode(data, max_bytes=max_bytes)))


def parse_compiled(
    data: bytes, *, max_bytes: int = canonical.DEFAULT_MAX_BYTES
) -> Statement | None:
    """`parse` by the compiled checks alone: the statement `parse_reference` returns for `data`,
    or None where they do not accept it (whenever `parse_reference` refuses, and maybe more)."""
    if len(data) > max_bytes:
        return None
    try:
        fields = _COMPILED(canonical.decode_exact(data))
    except (compiled.Unchecked, ValueError):  # ValueError: a date that parse_date does not read
        return None
    return _statement(fields)


def _statement(fields: Mapping[str, Any]) -> Statement:
    seen = fields.get("seen")
    return Statement(
        kind=fields["kind"],
        subject=fields["subject"],
        seq=fields["seq"],
        prev=fields["prev"],
        office=fields["office"],
        officer=fields["officer"],
        key=fields["key"],
        at=fields["at"],
        body=fields["body"],
        seen=Seen(seen["size"], seen["root"]) if seen else None,
    )


def build(statement: Statement, *, max_bytes: int = canonical.DEFAULT_MAX_BYTES) -> bytes:
    """The canonical bytes of a statement, after the same checks `parse` makes.

    Text is normalised to NFC first, so what a signer types is what gets signed."""
    fields: dict[str, Any] = {
        "v": statement.v,
        "kind": statement.kind,
        "subject": statement.subject,
        "seq": statement.seq,
        "prev": statement.prev,
        "office": statement.office,
        "officer": statement.officer,
        "key": statement.key,
        "at": statement.at,
        "body": _nfc(dict(statement.body)),
    }
    if statement.seen is not None:
        fields["seen"] = {"size": statement.seen.size, "root": statement.seen.root}
    raw = canonical.encode(_check(_nfc(fields)))
    if len(raw) > max_bytes:
        raise OversizedStatement(f"statement is {len(raw)} bytes; the limit is {max_bytes}")
    return raw


def _nfc(value: Any) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, Mapping):
        return {key: _nfc(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_nfc(item) for item in value]
    return value


def from_json(kind: str, body: Any) -> dict[str, Any]:
    """A body written in JSON, made ready for `build`: byte fields given as hex text, instants as
    ISO 8601 text with a timezone (or integer microseconds). Raises BadField naming the field."""
    if kind not in BODIES:
        raise UnknownKind(f"kind {kind!r} is not a statement kind of version {FORMAT_VERSION}")
    converted = _from_json(BODIES[kind], body, "body")
    assert isinstance(converted, dict)
    return converted


def _from_json(field: Field, value: Any, path: str) -> Any:
    if isinstance(field, Optional):
        return _from_json(field.inner, value, path)
    if isinstance(field, Bin | PublicKey) and isinstance(value, str):
        try:
            return bytes.fromhex(value)
        except ValueError:
            size = f"{field.size} bytes" if isinstance(field, Bin) else "bytes"
            raise BadField(f"{path} must be {size} written in hex") from None
    if isinstance(field, Int) and isinstance(value, str):
        return _instant(value, path)
    if isinstance(field, Many) and isinstance(value, list):
        return [_from_json(field.item, item, f"{path}[{i}]") for i, item in enumerate(value)]
    if isinstance(field, Record) and isinstance(value, Mapping):
        return {
            name: _from_json(field.fields[name], item, f"{path}.{name}")
            if name in field.fields
            else item
            for name, item in value.items()
        }
    return value


def _instant(text: str, path: str) -> int:
    try:
        return from_datetime(datetime.fromisoformat(text))
    except ValueError as problem:
        raise BadField(
            f"{path}: {text!r} is not an ISO 8601 time with a timezone ({problem})"
        ) from None
