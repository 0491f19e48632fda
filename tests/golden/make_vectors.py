"""Generate the golden vectors of the version-1 statement format; prints JSON on stdout.

Run by hand from the repository root, once, when a vector is added:

    python -m tests.golden.make_vectors > tests/golden/vectors.json

The vectors then pin the bytes: tests/test_golden.py rebuilds each one from its fields and requires
the very same bytes, hash, key id and signature. Never regenerate them to make a failing test pass;
a difference means the format changed, which needs a new format version.

Notation in the JSON: a byte string is written {"bin": "<lowercase hex>"}; text, integers, lists
and maps are written as themselves.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from typing import Any

from domain.statement import Seen, Statement
from ledger.statements import schema
from ledger.statements.signing import SIGNING_PREFIX, SigningKey, statement_hash

AUTHORITY_SEED_LABEL = "lienthong golden authority"
OFFICER_SEED_LABEL = "lienthong golden officer"

AT = 1748826000000000  # 2025-06-02 01:00:00 UTC = 08:00 in Vietnam (UTC+7)
MINUTE = 60 * 1_000_000
DAY = 24 * 60 * MINUTE

DOSSIER = "000.00.29.H59-250602-0001"
OFFICE = "29266"  # Thị trấn Càng Long, a commune of Càng Long district, Trà Vinh
OFFICER = "cb-29266"
DISTRICT = "844"  # Huyện Càng Long
AGENCY = "000.00.29.H59"  # the office's agency identifier, the first part of DOSSIER
NOTE = (
    "Chuyển hồ sơ lên Phòng Lao động – Thương binh và Xã hội huyện Càng Long thẩm định; "
    "đã kiểm tra đủ thành phần."
)
DOCUMENT = {
    "name": "Tờ khai đề nghị hưởng chế độ ưu đãi giáo dục",
    "sha256": hashlib.sha256(b"lienthong golden document 1").digest(),
}


def seeded(label: str) -> tuple[bytes, SigningKey]:
    seed = hashlib.sha256(label.encode("ascii")).digest()
    return seed, SigningKey.from_seed(seed)


def readable(value: Any) -> Any:
    """The JSON notation of a field value: bytes as {"bin": hex}."""
    if isinstance(value, bytes):
        return {"bin": value.hex()}
    if isinstance(value, dict):
        return {key: readable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [readable(item) for item in value]
    return value


def fields_of(statement: Statement) -> dict[str, Any]:
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
        "body": dict(statement.body),
    }
    if statement.seen is not None:
        fields["seen"] = {"size": statement.seen.size, "root": statement.seen.root}
    return readable(fields)


def vector(name: str, description: str, label: str, statement: Statement) -> dict[str, Any]:
    seed, key = seeded(label)
    raw = schema.build(statement)
    return {
        "name": name,
        "description": description,
        "seed_label": label,
        "seed": seed.hex(),
        "public_key": key.public_key.hex(),
        "key_id": key.key_id,
        "fields": fields_of(statement),
        "statement": raw.hex(),
        "sha256": statement_hash(raw).hex(),
        "signature": key.sign(raw).hex(),
    }


def vectors() -> dict[str, Any]:
    _, authority = seeded(AUTHORITY_SEED_LABEL)
    _, officer = seeded(OFFICER_SEED_LABEL)
    assert unicodedata.is_normalized("NFC", NOTE)
    assert unicodedata.is_normalized("NFC", DOCUMENT["name"])

    genesis = Statement(
        kind="authority.established",
        subject="authority",
        seq=1,
        prev=bytes(32),
        office="authority",
        officer="authority",
        key=authority.key_id,
        at=AT,
        body={"public_key": authority.public_key},
    )
    received = Statement(
        kind="dossier.received",
        subject=DOSSIER,
        seq=1,
        prev=bytes(32),
        office=OFFICE,
        officer=OFFICER,
        key=officer.key_id,
        at=AT + 5 * MINUTE,
        body={
            "procedure": "merit-education-preference",
            "version": 1,
            "applicant": hashlib.sha256(b"lienthong golden applicant").digest(),
            "channel": "direct",
            "documents": [DOCUMENT],
            "appointed": AT + 21 * DAY,
        },
    )
    received_hash = statement_hash(schema.build(received))
    dispatched = Statement(
        kind="handover.dispatched",
        subject=DOSSIER,
        seq=2,
        prev=received_hash,
        office=OFFICE,
        officer=OFFICER,
        key=officer.key_id,
        at=AT + 2 * 60 * MINUTE,
        body={"to": DISTRICT, "purpose": "process", "documents": [DOCUMENT], "note": NOTE},
    )
    dispatched_hash = statement_hash(schema.build(dispatched))
    recalled = Statement(
        kind="handover.recalled",
        subject=DOSSIER,
        seq=3,
        prev=dispatched_hash,
        office=OFFICE,
        officer=OFFICER,
        key=officer.key_id,
        at=AT + 3 * 60 * MINUTE,
        body={"dispatch": dispatched_hash, "reason": "Gửi nhầm đơn vị nhận; thu hồi để gửi lại."},
        seen=Seen(4096, hashlib.sha256(b"lienthong golden checkpoint").digest()),
    )
    office = Statement(
        kind="office.established",
        subject=OFFICE,
        seq=1,
        prev=bytes(32),
        office="authority",
        officer="authority",
        key=authority.key_id,
        at=AT - DAY,
        body={
            "name": "Thị trấn Càng Long",
            "level": "commune",
            "parent": DISTRICT,
            "effective": "2019-01-01",
            "agency": AGENCY,
        },
    )
    return {
        "format": "Liên thông statement format, version 1",
        "notation": 'A byte string is written {"bin": "<lowercase hex>"}; all other values as '
        "themselves. Every hex value is lowercase.",
        "signing_prefix": SIGNING_PREFIX.hex(),
        "vectors": [
            vector(
                "authority-genesis",
                "The genesis statement: the authority key establishes itself, self-signed.",
                AUTHORITY_SEED_LABEL,
                genesis,
            ),
            vector(
                "dossier-received",
                "A commune officer receives a dossier (seq 1): the statement that the dispatch "
                "below chains to.",
                OFFICER_SEED_LABEL,
                received,
            ),
            vector(
                "handover-dispatched",
                "The same officer dispatches the dossier to the district (seq 2, prev = hash of "
                "dossier-received), with a Vietnamese note in NFC.",
                OFFICER_SEED_LABEL,
                dispatched,
            ),
            vector(
                "handover-recalled-seen",
                "The sender recalls the dispatch (seq 3, prev and body.dispatch = hash of "
                "handover-dispatched), carrying the optional seen checkpoint.",
                OFFICER_SEED_LABEL,
                recalled,
            ),
            vector(
                "office-established-agency",
                "The authority establishes the commune that received the dossier above, with its "
                "electronic agency identifier, the first part of the dossier's code (the optional "
                "agency field).",
                AUTHORITY_SEED_LABEL,
                office,
            ),
        ],
    }


if __name__ == "__main__":
    print(json.dumps(vectors(), ensure_ascii=False, indent=2))
