"""Wire models of the writes: a signed envelope, a statement to prepare with the applicant's
details, and what the server answers (the bytes to sign; the receipt)."""

from __future__ import annotations

import base64
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from api.http.schemas.common import Identifier, StorableText, in_instant_range, storable_tree
from domain.instant import EARLIEST, LATEST, RANGE
from domain.statement import KINDS
from ledger.errors import BadEnvelope
from ledger.statements.signing import Envelope

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
        """The bytes; raises BadEnvelope naming the field that is not base64 (the message
        `Envelope.from_json` gives, without encoding the model as JSON again to decode it)."""
        try:
            return Envelope(
                base64.b64decode(self.statement, validate=True),
                base64.b64decode(self.signature, validate=True),
            )
        except ValueError as problem:  # binascii.Error, or a character outside ASCII
            raise BadEnvelope(
                f"an envelope is a JSON object with base64 'statement' and 'signature': {problem}"
            ) from None


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
    at: Annotated[int | None, AfterValidator(in_instant_range)] = Field(
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


class DossierCode(BaseModel):
    """A code the server made for a dossier the caller's office is about to receive, reserved for
    it: `<agency identifier>-<yymmdd>-<sequence of the day>` (the circular's rule)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"code": "000.66.29.H59-260303-0001"}]}
    )

    code: str = Field(
        ...,
        description="the next code of the caller's office today: its agency identifier (its "
        "office id where none is registered), the date of receipt, the sequence of the day",
    )
