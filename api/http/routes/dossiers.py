"""Reads of one dossier: where it is (now or at an instant), its signed history, its control slip,
its audit bundle; and its applicant record (read by the offices that held it; erased by a
registrar)."""

from __future__ import annotations

import base64

from fastapi import APIRouter, Response

from api.http import applicants
from api.http.access import Caller, ServicesDep, may_read_applicant, may_read_dossier, require
from api.http.problems import NotFound
from api.http.render import location_out, slip_out
from api.http.routes.params import DossierCode, InstantText, Limit, NumericCursor, instant, position
from api.http.schemas.common import Page, iso, statement_json
from api.http.schemas.dossiers import (
    ApplicantOut,
    Discrepancy,
    DocumentRef,
    HistoryEntry,
    LocationOut,
    SlipOut,
)
from domain.statement import Statement
from ledger.errors import BadProofRequest, UnknownApplicant
from ledger.log import bundle
from ledger.statements import signing

router = APIRouter(prefix="/dossiers", tags=["dossiers"])
Code = DossierCode
MSGPACK = "application/msgpack"
# The ledger's identifiers may hold a slash (as office 29266/2025 does), so the routes take the
# code as `{code:path}`; the route of the bare code comes last, after those of its parts.


@router.get(
    "/{code:path}/history",
    response_model=Page[HistoryEntry],
    summary="The dossier's signed statements, oldest first",
)
def history(
    code: Code,
    services: ServicesDep,
    token: Caller,
    cursor: NumericCursor = None,
    limit: Limit = 100,
) -> Page[HistoryEntry]:
    services.ledger.dossier(code)
    may_read_dossier(token, code, services.inspector(), services.clock.now())
    after = position(cursor)
    entries = [e for e in services.ledger.history("dossier", code) if e.statement.seq > after]
    page = entries[:limit]
    dispatches = {
        signing.statement_hash(e.raw): e.statement
        for e in services.ledger.history("dossier", code)
        if e.statement.kind == "handover.dispatched"
    }
    items = [
        HistoryEntry(
            seq=entry.statement.seq,
            kind=entry.statement.kind,
            statement=base64.b64encode(entry.raw).decode(),
            signature=base64.b64encode(entry.signature).decode(),
            digest=signing.statement_hash(entry.raw).hex(),
            recorded_at=entry.recorded_at,
            recorded_at_iso=iso(entry.recorded_at),
            leaf_index=services.ledger.leaf_index("dossier", code, entry.statement.seq),
            decoded=statement_json(entry.statement),
            discrepancy=discrepancy(entry.statement, dispatches),
        )
        for entry in page
    ]
    more = len(entries) > limit
    return Page(items=items, next=str(page[-1].statement.seq) if more and page else None)


def discrepancy(statement: Statement, dispatches: dict[bytes, Statement]) -> Discrepancy | None:
    """What an acknowledgement lists differently from the dispatch it acknowledges (by name and
    hash), or None when they agree."""
    dispatch = dispatches.get(statement.body.get("dispatch", b""))
    if statement.kind != "handover.acknowledged" or dispatch is None:
        return None
    sent = [(d["name"], d["sha256"]) for d in dispatch.body.get("documents") or ()]
    got = [(d["name"], d["sha256"]) for d in statement.body.get("documents") or ()]
    missing = [DocumentRef(name=n, sha256=h.hex()) for n, h in sent if (n, h) not in got]
    extra = [DocumentRef(name=n, sha256=h.hex()) for n, h in got if (n, h) not in sent]
    return Discrepancy(missing=missing, extra=extra) if missing or extra else None


@router.get(
    "/{code:path}/slip", response_model=SlipOut, summary="The control slip (phiếu kiểm soát)"
)
def slip(code: Code, services: ServicesDep, token: Caller, at: InstantText = None) -> SlipOut:
    moment = instant(at, "at")
    inspector = services.inspector()
    services.ledger.dossier(code)
    now = services.clock.now()
    may_read_dossier(token, code, inspector, now)
    judged = inspector.slip(code, now if moment is None else moment)
    if judged is None:
        raise NotFound(f"dossier {code} is recorded but not yet in the read models; try again")
    return slip_out(judged)


@router.get(
    "/{code:path}/bundle",
    summary="The audit bundle: the dossier's entries, the registry they rely on, inclusion "
    "proofs and the latest checkpoint; verifies offline (`lienthong verify-bundle`)",
    response_class=Response,
    responses={200: {"content": {MSGPACK: {}}, "description": "canonical msgpack bundle"}},
)
def audit_bundle(code: Code, services: ServicesDep, token: Caller) -> Response:
    services.ledger.dossier(code)
    may_read_dossier(token, code, services.inspector(), services.clock.now())
    # officers' certificates carry their names: staff get them, consumers a bundle without
    staff = token.role in ("officer", "inspector", "registrar")
    try:
        exported = bundle.export(
            services.ledger,
            code,
            timestamps=services.timestamp_tokens,
            certificates_of_officers=staff,
        )
    except BadProofRequest:
        if services.ledger.checkpointer is None:
            raise
        services.ledger.checkpointer.issue()  # the latest entries are not checkpointed yet
        exported = bundle.export(
            services.ledger,
            code,
            timestamps=services.timestamp_tokens,
            certificates_of_officers=staff,
        )
    return Response(
        exported.encode(),
        media_type=MSGPACK,
        # a file name holds no slash: a code's slashes become underscores
        headers={"Content-Disposition": f'attachment; filename="{code.replace("/", "_")}.bundle"'},
    )


@router.get(
    "/{code:path}/applicant",
    response_model=ApplicantOut,
    summary="The applicant's details (personal data; never in the log)",
)
def applicant(code: Code, services: ServicesDep, token: Caller) -> ApplicantOut:
    services.ledger.dossier(code)
    may_read_applicant(token, code, services.inspector())
    record = applicants.read(services, code)  # only what the recorded receipt signed
    return ApplicantOut(
        code=code,
        details=dict(record.details),
        salt=record.salt.hex(),
        commitment=record.commitment.hex(),
    )


@router.delete(
    "/{code:path}/applicant",
    status_code=204,
    response_class=Response,
    summary="Erase the applicant's details: the dossier's data key is destroyed; the log stays "
    "whole and verifiable",
)
def erase_applicant(code: Code, services: ServicesDep, token: Caller) -> Response:
    require(token, "registrar")
    services.writable()
    now = services.clock.now()
    held = services.files.erase(code, now)  # the scans hold personal data too
    try:
        services.applicants.erase(code, now)
    except UnknownApplicant:
        if not held:
            raise
    return Response(status_code=204)


@router.get(
    "/{code:path}", response_model=LocationOut, summary="Where a dossier is, or was at an instant"
)
def location(
    code: Code, services: ServicesDep, token: Caller, as_of: InstantText = None
) -> LocationOut:
    moment = instant(as_of, "as_of")
    inspector = services.inspector()
    now = services.clock.now()
    services.ledger.dossier(code)  # UnknownDossier → 404
    may_read_dossier(token, code, inspector, now)
    if moment is not None:
        then = inspector.projector.location_as_of(code, moment)
        if then is None:
            raise NotFound(f"dossier {code} had not been received yet at {iso(moment)}")
        return location_out(then, as_of=moment)
    current = inspector.projector.location(code)
    if current is None:
        raise NotFound(f"dossier {code} is recorded but not yet in the read models; try again")
    return location_out(current, deadline=inspector.level_deadline(current, now))
