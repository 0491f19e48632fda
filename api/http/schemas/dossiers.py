"""Wire models of the reads about dossiers: where one is, its history and files, stalls, the
control slip, an office's report, the citizen's lookup and the applicant's record."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.http.schemas.common import Identifier, StorableText
from ledger.views.tables import Status


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
                    "appointed_at_receipt": 1750352399999999,
                    "first_apology_at": None,
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
    appointed_at_receipt: int = Field(
        description="the appointed time signed at receipt: an apology or an extension moves "
        "`appointed`, not this"
    )
    first_apology_at: int | None = Field(
        description="when the earliest apology slip (a delay notice or an extension request) "
        "was signed; null: none"
    )
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
    provisional: bool = Field(
        False,
        description="judged against a budget of a procedure version whose budgets could not be "
        "confirmed (the slip's `provisional` says why)",
    )


class FormOut(BaseModel):
    """A one-stop form as the circular in force on the dossier's date of receipt numbers it."""

    type: str = Field(..., description="what the form is for, whatever its number: control_slip")
    number: str = Field(..., description='as printed: "05" (Circular 01/2018), "06" (03/2025)')
    name_vi: str
    name_en: str
    circular: str = Field(..., description="the circular whose form it is: 03/2025/TT-VPCP")


class NoticeOut(BaseModel):
    """A notice signed to the applicant: a refusal to receive and handle the dossier, an apology
    with a new date or a request to extend the time, or a notice stopping its handling."""

    kind: str = Field(
        ...,
        description="dossier.refused, dossier.delay_notified, dossier.extension_requested or "
        "dossier.stopped",
    )
    office: str
    officer: str
    at: int
    at_iso: str | None
    reason: str
    appointed: int | None = Field(None, description="the new appointed time an apology asks for")
    appointed_iso: str | None = None
    form: FormOut | None = Field(
        None,
        description="the form of the regime in force on the dossier's date of receipt; null: that "
        "regime had none of this type (a stop notice before 15/9/2025)",
    )


class CutoffOut(BaseModel):
    """A receipt cut-off: a dossier received after `time` counts from the next working day."""

    time: str = Field(..., description="HH:MM, Vietnam time")
    source: str = Field(..., description="the text that sets it")


class SlipOut(BaseModel):
    """Phiếu kiểm soát quá trình giải quyết hồ sơ as data: the form and legal basis are those in
    force on the dossier's date of receipt (form 05 of Circular 01/2018/TT-VPCP before 15/9/2025,
    form 06 of Circular 03/2025/TT-VPCP from then)."""

    location: LocationOut
    blocks: list[SlipBlockOut]
    at: int
    form: FormOut
    legal_basis_vi: str = Field(..., description="the decree and circular the slip is made under")
    legal_basis_en: str
    cutoff: CutoffOut | None = Field(
        None,
        description="the receipt cut-off the appointed date was counted with (the procedure "
        "version's); null: none",
    )
    notices: list[NoticeOut] = Field(
        default_factory=list, description="the notices signed to the applicant, oldest first"
    )
    provisional: str | None = Field(
        None,
        description="why the budgets of the procedure version the dossier was received under — "
        "its appointed date's and each turn's — could not be confirmed; null: its legal basis "
        "confirms them",
    )


class NoticeCountsOut(BaseModel):
    """The notices signed to applicants over the period, by dossier."""

    apologised: int = Field(description="dossiers given an apology with a new date or extension")
    refused: int = Field(description="dossiers refused at reception (form 03)")
    stopped: int = Field(description="dossiers whose handling was stopped (form 05)")
    extended_again: list[str] = Field(
        description="dossiers asked to be extended more than once, one of the asks in the period "
        "(whether Decree 118/2025 allows it is unconfirmed)"
    )


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
    index: IndexOut = Field(
        description="the indicators of the national index (Decision 766/QĐ-TTg) the ledger can "
        "know, and those it cannot"
    )
    notices: NoticeCountsOut | None = Field(
        None, description="the notices signed to applicants over the period"
    )
    provisional: int = Field(
        0, description="of the resolved, those judged against a provisional budget"
    )
    with_cutoff: int = Field(
        0, description="of the resolved, those whose appointed time was counted with a cut-off"
    )
    without_cutoff: int = Field(
        0, description="of the resolved, those whose appointed time was counted without one"
    )
    judged_by: list[JudgedByOut] = Field(
        default_factory=list,
        description="the resolved dossiers by the procedure version that judged them: whether "
        "its budgets are provisional (and why) and the receipt cut-off it counts with",
    )


class JudgedByOut(BaseModel):
    """A procedure version that judged resolved dossiers of the report, and how many."""

    procedure: str
    version: int
    resolved: int = Field(description="the resolved dossiers it judged")
    provisional: str | None = Field(
        description="why its budgets could not be confirmed; null: its legal basis confirms them"
    )
    cutoff: CutoffOut | None = Field(
        description="the receipt cut-off appointed times were counted with; null: none"
    )


class UnknowableOut(BaseModel):
    indicator: str
    title_vi: str
    title_en: str


class IndexOut(BaseModel):
    """The national index's indicators as far as the ledger knows them; a rate is null when its
    denominator is 0 (or its source is not at hand: `digitised`, `ratings`)."""

    received_online: int
    online_rate: float | None = Field(description="received online ÷ received")
    digitised: int | None = Field(
        description="received with scans listed at receipt, every one uploaded"
    )
    digitised_rate: float | None = Field(description="digitised ÷ received")
    late_at_receipt: int = Field(description="decided after the time appointed at receipt")
    late_apologised: int = Field(description="of those, with an apology slip before the decision")
    apology_rate: float | None = Field(description="late_apologised ÷ late_at_receipt")
    ratings: dict[str, int] | None = Field(
        description="the citizens' ratings of the dossiers resolved, score (1–5) → how many"
    )
    rated: int
    dissatisfied: int = Field(description="rated 1 or 2")
    satisfaction_rate: float | None = Field(
        description="(resolved − dissatisfied) ÷ resolved; the index also takes away dossiers "
        "with a complaint, which the ledger does not receive"
    )
    unknowable: list[UnknowableOut] = Field(
        description="the index's indicators the ledger cannot know"
    )


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
                    "ended": None,
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
    ended: str | None = Field(
        None,
        description="how a closed dossier ended: result_returned, withdrawn, refused (at "
        "reception, form 03) or stopped (form 05); null while it is open",
    )


class ApplicantOut(BaseModel):
    code: str
    details: dict[str, str]
    salt: str
    commitment: str
