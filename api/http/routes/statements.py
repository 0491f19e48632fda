"""Writes: prepare a statement to sign, and submit a signed one.

The server never signs for anyone. `prepare` builds the canonical bytes from plain fields on the
subject's current head, so a thin client only signs bytes; `submit` takes `{statement, signature}`
as JSON (base64, no other field) or as `application/msgpack` (a map of two bin values) — media
types matched without regard to case, any other refused (415) — and records it through the
process's one writer. The same signed statement submitted again returns the original receipt
(200 rather than 201), never a second entry. What happens in between is api/http/writing.py's,
shared with the officer's pages; applicant details go through api/http/applicants.py.

A new dossier's code is made by the server (`POST /dossier-codes`: the next of the caller's office
today, reserved for it), and a `dossier.received` whose code breaks the circular's rule is refused
on prepare and on submit (`bad-dossier-code` and the problems under it, naming the wrong part).
"""

from __future__ import annotations

import base64
from typing import Any

import msgpack
from fastapi import APIRouter, Request, Response
from pydantic import ValidationError

from api.http import access, writing
from api.http.access import Caller, ServicesDep
from api.http.problems import UnsupportedMediaType, documented
from api.http.schemas.common import iso, statement_json
from api.http.schemas.statements import (
    DossierCode,
    Prepared,
    PrepareRequest,
    Recorded,
    SignedEnvelope,
)
from ledger.errors import BadEnvelope
from ledger.statements import schema, signing
from ledger.statements.signing import Envelope

router = APIRouter(tags=["statements"])
MSGPACK = "application/msgpack"
JSON = "application/json"


def _envelope_schema() -> dict[str, Any]:
    json_schema = SignedEnvelope.model_json_schema()
    return {
        "required": True,
        "content": {
            JSON: {"schema": json_schema},
            MSGPACK: {
                "schema": {
                    "type": "object",
                    "description": "a msgpack map: statement (bin) and signature (bin)",
                }
            },
        },
    }


async def read_envelope(request: Request) -> Envelope:
    """The envelope in the request body, JSON or msgpack; UnsupportedMediaType for a body of
    any other media type (before it is read), BadEnvelope naming what is wrong."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in (JSON, MSGPACK):
        raise UnsupportedMediaType(
            f"a signed statement is sent as {JSON} or {MSGPACK}, "
            f"not {media_type or 'a body without a Content-Type'}"
        )
    body = await request.body()
    if media_type == MSGPACK:
        try:
            fields = msgpack.unpackb(body, raw=False)
            return Envelope(bytes(fields["statement"]), bytes(fields["signature"]))
        except (ValueError, KeyError, TypeError, msgpack.UnpackException) as problem:
            raise BadEnvelope(
                f"a msgpack envelope is a map with bin 'statement' and 'signature': {problem}"
            ) from None
    try:
        return SignedEnvelope.model_validate_json(body).decode()
    except ValidationError as problem:
        raise BadEnvelope(
            "an envelope is a JSON object with base64 'statement' and 'signature': "
            + "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in problem.errors())
        ) from None


@router.post(
    "/statements",
    status_code=201,
    response_model=Recorded,
    summary="Submit a signed statement",
    # the caller is resolved in the route (see `submit`), so its security is declared here
    openapi_extra={"requestBody": _envelope_schema(), "security": [{"HTTPBearer": []}]},
    responses={
        200: {"description": "already recorded: the original receipt"},
        **documented(415),
    },
)
async def submit(request: Request) -> Response:
    # The write path's one route, kept lean: the services and the caller are looked up here
    # rather than through FastAPI's dependency solver, and the receipt is encoded once by its
    # model rather than validated again as the response model (about a sixth of the server's CPU
    # per request together, docs/performance.md). Its OpenAPI operation is the same as with them.
    services = await access.services(request)
    token = await access.caller(services, await access.bearer(request))
    services.writable()  # a replica refuses before the body is read
    envelope = await read_envelope(request)
    done = await writing.submit(services, token, envelope.statement, envelope.signature)
    receipt, statement = done.receipt, done.statement
    recorded = Recorded(
        kind=receipt.kind,
        subject=receipt.subject,
        seq=receipt.seq,
        digest=receipt.digest.hex(),
        recorded_at=receipt.recorded_at,
        recorded_at_iso=iso(receipt.recorded_at),
        duplicate=receipt.duplicate,
        leaf_index=receipt.leaf_index
        if receipt.leaf_index is not None
        else services.ledger.leaf_index(statement.family, statement.subject, statement.seq),
        receipt_secret=done.secret,
    )
    return Response(
        recorded.model_dump_json(),
        status_code=200 if receipt.duplicate else 201,
        media_type=JSON,
    )


@router.post(
    "/statements/prepare",
    response_model=Prepared,
    summary="Build the canonical bytes of a statement, ready to sign",
)
def prepare(request: PrepareRequest, services: ServicesDep, token: Caller) -> Prepared:
    raw = writing.prepare(
        services,
        token,
        kind=request.kind,
        subject=request.subject,
        body=request.body,
        office=request.office,
        officer=request.officer,
        key=request.key,
        at=request.at,
        applicant=None if request.applicant is None else request.applicant.as_map(),
    ).raw
    statement = schema.parse(raw)
    return Prepared(
        statement=base64.b64encode(raw).decode(),
        digest=signing.statement_hash(raw).hex(),
        seq=statement.seq,
        prev=statement.prev.hex(),
        decoded=statement_json(statement),
    )


@router.post(
    "/dossier-codes",
    status_code=201,
    response_model=DossierCode,
    summary="Make the code of a dossier about to be received",
    description="The next code of the caller's office (an officer's token) today, "
    "`<agency identifier>-<yymmdd>-<sequence>`, reserved for it: no other caller gets it. A "
    "`dossier.received` is then prepared and submitted with this code; one whose code breaks "
    "the rule is refused. A code never used stays a gap in the day's sequence.",
    responses=documented(409),
)
def new_code(services: ServicesDep, token: Caller) -> DossierCode:
    return DossierCode(code=writing.new_code(services, token))
