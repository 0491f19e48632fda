"""Verified entries built by hand, to drive the aggregates of domain/ with no ledger and no store.

The ledger checks signatures, `seq` and `prev` before an aggregate sees a statement; the domain
reads only the statement's fields, its raw bytes (whose SHA-256 becomes the aggregate's head) and
the recording time. So an entry here carries a stand-in for the signed bytes, unique per statement.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import pytest

from domain.instant import VIETNAM, from_datetime
from domain.office import Office
from domain.procedure import Procedure, ProcedureVersion
from domain.signed import SignedAggregate
from domain.statement import AUTHORITY, ZERO_HASH, Entry, Statement

START = from_datetime(datetime(2025, 3, 3, 8, 0, tzinfo=VIETNAM))
HOUR = 3600 * 1_000_000
DAY = 24 * HOUR
CODE = "000.00.01.H59-250303-0001"
PROCEDURE = "merit-education-preference"

# office id -> (name, level, parent), the tree tests/world.py builds in a ledger
OFFICES = {
    "84": ("Tỉnh Trà Vinh", "province", None),
    "844": ("Huyện Càng Long", "district", "84"),
    "845": ("Huyện Cầu Kè", "district", "84"),
    "29266": ("Thị trấn Càng Long", "commune", "844"),
    "29269": ("Xã Mỹ Cẩm", "commune", "844"),
}
VERSION_1: dict[str, Any] = {
    "version": 1,
    "name_vi": "Ưu đãi trong giáo dục đào tạo",
    "name_en": "Education preference for families of people with merit",
    "route": [
        {"level": "commune", "days": 3, "day_type": "working"},
        {"level": "district", "days": 5, "day_type": "working"},
        {"level": "province", "days": 7, "day_type": "working"},
    ],
    "decides": ["province"],
    "legal_basis": "Decree 131/2021/NĐ-CP Art. 97(2)",
    "effective": "2022-02-15",
}


def entry(
    kind: str,
    subject: str,
    body: Mapping[str, Any],
    *,
    office: str = AUTHORITY,
    at: int = START,
    seq: int = 1,
    recorded_at: int | None = None,
) -> Entry:
    """A verified entry as the ledger hands it to the domain: `office` is the acting office."""
    officer = AUTHORITY if office == AUTHORITY else f"cb-{office}"
    statement = Statement(kind, subject, seq, ZERO_HASH, office, officer, "k", at, body)
    raw = repr(statement).encode()
    when = at if recorded_at is None else recorded_at
    return Entry(statement, raw, b"\x00" * 64, hashlib.sha256(raw).digest(), when)


def document(name: str) -> dict[str, Any]:
    return {"name": name, "sha256": hashlib.sha256(name.encode()).digest()}


def office(subject: str, *, effective: str = "2019-01-01", parent: Office | None = None) -> Office:
    """An office of OFFICES (or any other id, as a commune) established on `effective`."""
    name, level, parent_id = OFFICES.get(subject, (f"Xã {subject}", "commune", None))
    body: dict[str, Any] = {"name": name, "level": level, "effective": effective}
    if parent is not None or parent_id is not None:
        body["parent"] = parent.subject if parent is not None else parent_id
    return Office.establish(entry("office.established", subject, body), parent)


def offices() -> dict[str, Office]:
    return {subject: office(subject) for subject in OFFICES}


def procedure_version() -> ProcedureVersion:
    published = Procedure.publish_first(entry("procedure.published", PROCEDURE, VERSION_1))
    return published.get_version(1)


def state(aggregate: SignedAggregate) -> dict[str, Any]:
    """Everything an aggregate holds, its pending events included: a refusal must change none."""
    return copy.deepcopy(
        {name: value for name, value in vars(aggregate).items() if name != "_pending_events"}
        | {"pending": len(aggregate.pending_events)}
    )


def refused(
    aggregate: SignedAggregate | None,
    error: type[Exception],
    words: str,
    act: Callable[[], Any],
) -> Exception:
    """Run `act`, expecting exactly `error` saying `words`, with `aggregate` left as it was."""
    before = state(aggregate) if aggregate is not None else None
    with pytest.raises(error, match=words) as caught:
        act()
    assert type(caught.value) is error, f"expected {error.__name__}, got {caught.type.__name__}"
    if aggregate is not None:
        assert state(aggregate) == before
    return caught.value
