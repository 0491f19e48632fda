"""Wire models of the HTTP API: shape checks only; the rules live in the domain. By concern:
what they share (common.py), the writes (statements.py), the reads about dossiers (dossiers.py),
the registry and the log (registry.py); every name is also here.

Conventions: bytes travel as base64 when they are a statement, a signature or a bundle, and as hex
when they are a hash (statement digests, document SHA-256, Merkle nodes). Instants are integer
microseconds since the Unix epoch (UTC), each beside the same instant as ISO 8601 text in
Asia/Ho_Chi_Minh time (`..._iso`), for people reading the JSON. Lists that can grow are pages:
`items` and `next` (the cursor to pass back, null on the last page).
"""

from __future__ import annotations

from api.http.schemas.common import (
    Identifier,
    Page,
    Problem,
    StorableText,
    in_instant_range,
    is_storable,
    iso,
    jsonable,
    statement_json,
    storable,
    storable_tree,
)
from api.http.schemas.dossiers import (
    AccessOut,
    ApplicantOut,
    BudgetOut,
    CutoffOut,
    Discrepancy,
    DocumentRef,
    FileOut,
    FormOut,
    HistoryEntry,
    Listing,
    LocationOut,
    LookupOut,
    LookupRequest,
    NoticeCountsOut,
    NoticeOut,
    ReportOut,
    SlipBlockOut,
    SlipOut,
    StallOut,
)
from api.http.schemas.registry import (
    CallerOut,
    CheckpointOut,
    ConsistencyOut,
    EventOut,
    InclusionOut,
    KeyOut,
    OfficeOut,
    OfficerOut,
)
from api.http.schemas.statements import (
    BASE64,
    EXAMPLE_SIGNATURE,
    EXAMPLE_STATEMENT,
    ApplicantDetails,
    Prepared,
    PrepareRequest,
    Recorded,
    SignedEnvelope,
)

__all__ = [
    "BASE64",
    "EXAMPLE_SIGNATURE",
    "EXAMPLE_STATEMENT",
    "AccessOut",
    "ApplicantDetails",
    "ApplicantOut",
    "BudgetOut",
    "CallerOut",
    "CheckpointOut",
    "ConsistencyOut",
    "CutoffOut",
    "Discrepancy",
    "DocumentRef",
    "EventOut",
    "FileOut",
    "FormOut",
    "HistoryEntry",
    "Identifier",
    "InclusionOut",
    "KeyOut",
    "Listing",
    "LocationOut",
    "LookupOut",
    "LookupRequest",
    "NoticeCountsOut",
    "NoticeOut",
    "OfficeOut",
    "OfficerOut",
    "Page",
    "PrepareRequest",
    "Prepared",
    "Problem",
    "Recorded",
    "ReportOut",
    "SignedEnvelope",
    "SlipBlockOut",
    "SlipOut",
    "StallOut",
    "StorableText",
    "in_instant_range",
    "is_storable",
    "iso",
    "jsonable",
    "statement_json",
    "storable",
    "storable_tree",
]
