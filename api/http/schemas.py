"""Wire models of the HTTP API: shape checks only; the rules live in the domain.

Conventions: bytes travel as base64 when they are a statement, a signature or a bundle, and as hex
when they are a hash (statement digests, document SHA-256, Merkle nodes). Instants are integer
microseconds since the Unix epoch (UTC), each beside the same instant as ISO 8601 text in
Asia/Ho_Chi_Minh time (`..._iso`), for people reading the JSON. Lists that can grow are pages:
`items` and `next` (the cursor to pass back, null on the last page).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from domain.identifier import MAX_LENGTH, PATTERN
from domain.instant import EARLIEST, LATEST, RANGE, in_range, to_datetime
from domain.statement import KINDS, Statement
from ledger.statements.signing import Envelope
from ledger.views.tables import Status

T = TypeVar("T")

# the handover.dispatched golden vector of the log format (docs/log-format.md)
EXAMPLE_STATEMENT = (
    "iqJhdM8ABjaN9ahMAKRib2R5hKlkb2N1bWVudHORgqRuYW1l2UFU4budIGtoYWkgxJHhu4Egbmdo4buLIGjGsOG7n25n"
    "IGNo4bq/IMSR4buZIMawdSDEkcOjaSBnacOhbyBk4bulY6ZzaGEyNTbEILggkRHuFK5o1MH2JcB804UrP9LXVXzPBZ1Y"
    "AgBTXuo/pG5vdGXZkUNodXnhu4NuIGjhu5Mgc8ahIGzDqm4gUGjDsm5nIExhbyDEkeG7mW5nIOKAkyBUaMawxqFuZyBi"
    "aW5oIHbDoCBYw6MgaOG7mWkgaHV54buHbiBDw6BuZyBMb25nIHRo4bqpbSDEkeG7i25oOyDEkcOjIGtp4buDbSB0cmEg"
    "xJHhu6cgdGjDoG5oIHBo4bqnbi6ncHVycG9zZadwcm9jZXNzonRvozg0NKNrZXnZIDIwZjM2YmQyOGM0YmUxNWZmOTkw"
    "YjU5ZTM5NzdlN2FhpGtpbmSzaGFuZG92ZXIuZGlzcGF0Y2hlZKZvZmZpY2WlMjkyNjanb2ZmaWNlcqhjYi0yOTI2NqRw"
    "cmV2xCBSshDzoYCyY7vhkzmIyDvbAFOCD4+0VfNkkizs/yC6fqNzZXECp3N1YmplY3S5MDAwLjAwLjI5Lkg1OS0yNTA2"
    "MDItMDAwMaF2AQ=="
)
EXAMPLE_SIGNATURE = (
    "7S1TeVQe4V2V3NN5UHzjzWQWFJpILxdwJyLodvhVM903z582KMFdcA/0hpx0jN9j5a1rZsRclNS8UinbdSfwBg=="
)
BASE64 = r"^[A-Za-z0-9+/]*={0,2}$"
# control characters other than the line feed: no field of a statement holds them (ledger/statements/schema)
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")


def storable(value: str) -> str:
    """`value` if it can be stored and shown: no control character but the line feed, no lone
    surrogate (UTF-8, hence every database and file, cannot hold one). ValueError otherwise."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("holds a lone surrogate, which is not a character") from None
    found = _CONTROL.search(value)
    if found:
        raise ValueError(f"holds the control character U+{ord(found.group()):04X}")
    return value


def is_storable(value: str) -> bool:
    try:
        storable(value)
    except ValueError:
        return False
    return True


def storable_tree(value: Any, path: str = "body") -> Any:
    """`storable` on every text (map keys included) of a JSON value; ValueError naming where."""
    if isinstance(value, str):
        try:
            return storable(value)
        except ValueError as problem:
            raise ValueError(f"{path} {problem}") from None
    if isinstance(value, dict):
        for key, item in value.items():
            storable_tree(key, f"{path} key {key!r}")
            storable_tree(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            storable_tree(item, f"{path}[{index}]")
    return value


def _instant(at: int | None) -> int | None:
    if at is not None and not in_range(at):
        raise ValueError(f"{at} is outside the instants this ledger handles: {RANGE}")
    return at


StorableText = Annotated[str, AfterValidator(storable)]
Identifier = Annotated[str, Field(min_length=1, max_length=MAX_LENGTH, pattern=PATTERN)]


def iso(at: int | None) -> str | None:
    return None if at is None else to_datetime(at).isoformat()


def jsonable(value: Any) -> Any:
    """A decoded statement value as JSON: bytes as hex, everything else as it is."""
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    return value


def statement_json(statement: Statement) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "v": statement.v,
        "kind": statement.kind,
        "subject": statement.subject,
        "seq": statement.seq,
        "prev": statement.prev.hex(),
        "office": statement.office,
        "officer": statement.officer,
        "key": statement.key,
        "at": statement.at,
        "at_iso": iso(statement.at),
        "body": jsonable(dict(statement.body)),
    }
    if statement.seen is not None:
        fields["seen"] = {"size": statement.seen.size, "root": statement.seen.root.hex()}
    return fields


class Problem(BaseModel):
    """RFC 9457 problem details, as every refusal is given (`application/problem+json`)."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": "/problems/stale-head",
                    "title": "Hồ sơ đã thay đổi; hãy ký lại trên trạng thái mới",
                    "status": 409,
                    "detail": "000.00.01.H59-250602-0001 is at seq 3; the statement claims seq 3 "
                    "on another head: re-sign on the current head",
                    "instance": "/v1/statements",
                    "code": "stale-head",
                    "current": {
                        "subject": "000.00.01.H59-250602-0001",
                        "seq": 3,
                        "head": "9f" * 32,
                    },
                }
            ]
        },
    )
    type: str = Field(..., description="/problems/<code>: stable per kind of refusal")
    title: str = Field(..., description="in the caller's language (Accept-Language; vi default)")
    status: int
    detail: str = Field(..., description="what exactly was wrong")
    instance: str
    code: str


class Page(BaseModel, Generic[T]):
    items: list[T]
    next: str | None = Field(None, description="cursor for the next page; null on the last one")


# --- writes ---------------------------------------------------------------------------------


class SignedEnvelope(BaseModel):
    """A signed statement: its canonical bytes and the Ed25519 signature over the domain-separation
    prefix followed by those bytes (see the log format). No other field is accepted."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"statement": EXAMPLE_STATEMENT, "signature": EXAMPLE_SIGNATURE}]
        },
    )
    statement: str = Field(
        ...,
        description="the canonical statement bytes, base64",
        max_length=1 << 20,
    )
    signature: str = Field(
        ..., description="the Ed25519 signature, base64", max_length=200, pattern=BASE64
    )

    def decode(self) -> Envelope:
        """The bytes; raises BadEnvelope naming the field that is not base64."""
        return Envelope.from_json(self.model_dump_json())


class ApplicantDetails(BaseModel):
    """Who handed the dossier in (người nộp hồ sơ): kept encrypted outside the log; the statement
    carries only a salted commitment to it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "full_name": "Nguyễn Văn A",
                    "id_number": "084000000000",
                    "phone": "0900000000",
                    "address": "Khóm 1, Thị trấn Càng Long, Trà Vinh",
                }
            ]
        },
    )
    full_name: StorableText = Field(..., min_length=1, max_length=200)
    id_number: StorableText = Field("", max_length=40, description="số định danh cá nhân / CCCD")
    phone: StorableText = Field("", max_length=40)
    address: StorableText = Field("", max_length=500)
    email: StorableText = Field("", max_length=200)

    def as_map(self) -> dict[str, str]:
        return {key: value for key, value in self.model_dump().items() if value}


class PrepareRequest(BaseModel):
    """The plain fields of a statement; the server fills in `seq` and `prev` from the subject's
    current head, `at` from its clock unless given, and for `dossier.received` the applicant
    commitment (from `applicant`) and the appointed return time the law gives (unless given)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "handover.acknowledged",
                    "subject": "000.00.01.H59-250602-0001",
                    "office": "844",
                    "officer": "cv-844-ldtbxh",
                    "key": "ed25519:0123456789abcdef",
                    "body": {"dispatch": "00" * 32, "documents": []},
                }
            ]
        },
    )
    kind: str = Field(..., max_length=64, json_schema_extra={"enum": list(KINDS)})
    subject: Identifier
    office: Identifier
    officer: Identifier
    key: Identifier
    body: dict[str, Any] = Field(
        default_factory=dict,
        description="the kind's body; hashes in hex, instants as ISO 8601 with a timezone or "
        "integer microseconds",
    )
    at: Annotated[int | None, AfterValidator(_instant)] = Field(
        None,
        description=f"the signer's clock, microseconds since the epoch ({RANGE}); the server's "
        "if omitted",
        json_schema_extra={"minimum": EARLIEST, "maximum": LATEST},
    )
    applicant: ApplicantDetails | None = Field(
        None, description="dossier.received only: the applicant, stored encrypted off the log"
    )

    @field_validator("body")
    @classmethod
    def _storable_body(cls, body: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = storable_tree(body)
        return result


class Prepared(BaseModel):
    statement: str = Field(..., description="canonical bytes to sign, base64")
    digest: str = Field(..., description="SHA-256 of the statement, hex")
    seq: int
    prev: str
    decoded: dict[str, Any] = Field(
        ..., description="what the bytes say, for checking before signing"
    )


class Recorded(BaseModel):
    """The ledger's receipt for a recorded statement (or for the identical one recorded before)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "handover.acknowledged",
                    "subject": "000.00.01.H59-250602-0001",
                    "seq": 3,
                    "digest": "5f" * 32,
                    "recorded_at": 1748921400000000,
                    "recorded_at_iso": "2025-06-03T10:30:00+07:00",
                    "duplicate": False,
                    "leaf_index": 214,
                    "receipt_secret": None,
                }
            ]
        }
    )

    kind: str
    subject: str
    seq: int
    digest: str
    recorded_at: int
    recorded_at_iso: str | None
    duplicate: bool = Field(..., description="true when this exact statement was already recorded")
    leaf_index: int = Field(..., description="its position in the transparency log")
    receipt_secret: str | None = Field(
        None,
        description="dossier.received with applicant details: the secret to print on the "
        "citizen's receipt for the public lookup",
    )


# --- reads ----------------------------------------------------------------------------------


class LocationOut(BaseModel):
    """Where a dossier is: who holds it (or who sent it to whom) and since when."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": "000.00.01.H59-250602-0001",
                    "procedure": "merit-education-preference",
                    "version": 1,
                    "status": "in_transit",
                    "received_by": "29266",
                    "received_at": 1748824200000000,
                    "received_at_iso": "2025-06-02T07:30:00+07:00",
                    "custodian": None,
                    "transit_from": "29266",
                    "transit_to": "844",
                    "since": 1748921400000000,
                    "since_iso": "2025-06-03T10:30:00+07:00",
                    "held_since": 1748824200000000,
                    "appointed": 1750352399999999,
                    "appointed_iso": "2025-06-19T23:59:59.999999+07:00",
                    "level_deadline": None,
                    "level_deadline_iso": None,
                    "suspended_since": None,
                    "suspended_seconds": 0,
                    "hops": 1,
                    "decided": None,
                    "decided_at": None,
                    "closed_at": None,
                    "channel": "direct",
                    "last_seq": 2,
                    "as_of": None,
                }
            ]
        }
    )

    code: str
    procedure: str
    version: int
    status: Status  # the values the views write
    received_by: str
    received_at: int
    received_at_iso: str | None
    custodian: str | None
    transit_from: str | None
    transit_to: str | None
    since: int
    since_iso: str | None
    held_since: int
    appointed: int
    appointed_iso: str | None
    level_deadline: int | None = Field(None, description="by when the custodian must hand it on")
    level_deadline_iso: str | None = None
    suspended_since: int | None
    suspended_seconds: int
    hops: int
    decided: str | None
    decided_at: int | None
    closed_at: int | None
    channel: str
    last_seq: int
    as_of: int | None = Field(None, description="set when this is where it was at an instant")


class HistoryEntry(BaseModel):
    seq: int
    kind: str
    statement: str = Field(..., description="the signed canonical bytes, base64")
    signature: str = Field(..., description="base64")
    digest: str
    recorded_at: int
    recorded_at_iso: str | None
    leaf_index: int
    decoded: dict[str, Any]
    discrepancy: Discrepancy | None = Field(
        None, description="on an acknowledgement that lists other documents than the dispatch"
    )


class DocumentRef(BaseModel):
    name: str
    sha256: str = Field(..., description="hex")


class Discrepancy(BaseModel):
    """What an acknowledgement lists differently from the dispatch it acknowledges."""

    missing: list[DocumentRef] = Field(..., description="sent, not received")
    extra: list[DocumentRef] = Field(..., description="received, not sent")


class Listing(BaseModel):
    """A statement that names a file: who brought it in, under what name."""

    seq: int
    kind: str
    office: str
    officer: str
    name: str
    at: int
    at_iso: str | None


class FileOut(BaseModel):
    sha256: str = Field(..., description="SHA-256 of the file's bytes, hex")
    size: int
    uploaded_at: int
    uploaded_at_iso: str | None
    uploaded_by_office: str | None
    uploaded_by_officer: str | None
    erased: bool = Field(..., description="destroyed with the dossier's personal data")
    listed_in: list[Listing] = Field(
        default_factory=list, description="the dossier's statements that list this file"
    )
    new: bool | None = Field(
        None, description="on upload: false when these bytes were held already"
    )


class AccessOut(BaseModel):
    id: int
    sha256: str
    at: int
    at_iso: str | None
    office: str | None
    officer: str | None
    token: str | None
    outcome: str = Field(..., description="served | refused | erased | corrupted | missing")


class StallOut(BaseModel):
    code: str
    rule: str
    since: int
    since_iso: str | None
    over_seconds: int = Field(..., description="working seconds past the limit")
    office: str
    procedure: str
    level: str | None


class BudgetOut(BaseModel):
    level: str
    days: int | None
    day_type: str


class SlipBlockOut(BaseModel):
    number: int
    from_office: str | None
    from_officer: str | None
    handed_at: int
    to_office: str
    outcome: str | None
    by_office: str | None
    by_officer: str | None
    received_at: int | None
    level: str | None
    budget: BudgetOut | None
    deadline: int | None
    deadline_iso: str | None
    finished_at: int | None
    result: str | None
    used_seconds: int | None
    missing: int
    extra: int


class SlipOut(BaseModel):
    """Phiếu kiểm soát quá trình giải quyết hồ sơ (form 05) as data."""

    location: LocationOut
    blocks: list[SlipBlockOut]
    at: int


class ReportOut(BaseModel):
    office: str
    start: int
    end: int
    received: dict[str, int]
    carried_over: int
    early: int
    on_time: int
    late: int
    resolved: int
    on_time_rate: float | None
    pending_within: int
    pending_overdue: int


class OfficeOut(BaseModel):
    id: str
    name: str
    level: str
    parent: str | None
    active: bool
    successor: str | None = None


class KeyOut(BaseModel):
    key: str
    officer: str
    role: str
    public_key: str
    valid_from: int
    revoked_at: int | None
    valid_now: bool


class OfficerOut(BaseModel):
    id: str
    office: str | None
    title: str
    keys: list[KeyOut]


class CheckpointOut(BaseModel):
    size: int
    issued_at: int
    note: str


class InclusionOut(BaseModel):
    index: int
    size: int
    leaf_hash: str
    root: str
    proof: list[str]


class ConsistencyOut(BaseModel):
    old_size: int
    new_size: int
    old_root: str
    new_root: str
    proof: list[str]


class EventOut(BaseModel):
    """One log entry, for consumers following the log."""

    index: int = Field(..., description="its position in the log (leaf index); the feed's cursor")
    kind: str
    subject: str
    seq: int
    statement: str
    signature: str
    digest: str
    recorded_at: int
    recorded_at_iso: str | None


class LookupRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"code": "000.00.01.H59-250602-0001", "secret": "7KQ4-M2X9-PA"}]
        },
    )
    code: Identifier
    secret: StorableText = Field(
        ..., min_length=1, max_length=64, description="printed on the receipt"
    )


class LookupOut(BaseModel):
    """What a citizen sees: the dossier's status and where it is, no personal data."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": "000.66.29.H59-261126-0001",
                    "procedure": "merit-education-preference",
                    "procedure_name": "Ưu đãi trong giáo dục đào tạo",
                    "status": "held",
                    "office": "29266/2025",
                    "office_name": "Xã Càng Long",
                    "since": 1795701023910822,
                    "since_iso": "2026-11-26T20:50:23.910822+07:00",
                    "appointed": 1797008399999999,
                    "appointed_iso": "2026-12-11T23:59:59.999999+07:00",
                    "decided": None,
                }
            ]
        }
    )

    code: str
    procedure: str
    procedure_name: str | None
    status: str
    office: str | None
    office_name: str | None
    since: int
    since_iso: str | None
    appointed: int
    appointed_iso: str | None
    decided: str | None


class ApplicantOut(BaseModel):
    code: str
    details: dict[str, str]
    salt: str
    commitment: str


class CallerOut(BaseModel):
    token: str
    role: str
    office: str | None
    officer: str | None
    expires_at: int
