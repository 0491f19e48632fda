"""The write use cases of the HTTP edge, each written once: the JSON API (api/http/routes) and the
officer's pages (api/http/web) parse their own requests and shape their own answers, and call these
for everything in between.

- `new_code`: the next dossier code of the caller's office today, reserved for it
  (ledger/stores/codes.py): the server makes the codes of the dossiers its officers receive.
- `prepare`: the canonical bytes of a statement to sign, built on the subject's current head (the
  server never signs); with applicant details, their record is proposed (api/http/applicants.py).
- `submit`: record a signed statement — the server records, the caller may write it, a new
  dossier's code follows the circular's rule, the files it lists are uploaded, one writer records
  it, the applicant record it signed is confirmed. The same signed statement submitted again (an
  answer lost on a bad line) gets the original receipt and the same receipt secret.
- `receive_raw`: a dossier's file streamed from a request body into the file store.

Each refuses with the project's error classes (problem+json at the edge) before anything is stored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from api.http import applicants
from api.http.access import may_submit, may_upload_file, may_write, require
from api.http.problems import BadRequest, Forbidden
from api.http.services import Services
from domain.identifier import check_identifier, dossier_code_problem
from domain.instant import local_date
from domain.statement import FILE_KINDS, Statement, family
from ledger.application import Receipt
from ledger.errors import FileIncomplete, FileNotUploaded, FileTooLarge
from ledger.statements import authoring, schema
from ledger.stores.files import StoredFile, Upload
from ledger.stores.tokens import Token

log = logging.getLogger("lienthong.api")
STEP = 1024 * 1024  # bytes handed between the event loop and a worker thread at a time


# --- dossier codes ---------------------------------------------------------------------------------


def new_code(services: Services, token: Token) -> str:
    """The next code of the caller's office today (`<agency>-<yymmdd>-<sequence>`), reserved for
    its officer: no other caller gets it. Only an officer's token, for an office active today."""
    services.writable()
    require(token, "officer")
    if token.office is None or token.officer is None:
        raise Forbidden("this officer token names no office or officer")
    now = services.clock.now()
    day = local_date(now)
    office = services.ledger.office(token.office)
    office.require_active(day)
    return services.codes.reserve(
        token.office,
        office.code_agency_on(day),
        day,
        officer=token.officer,
        now=now,
        taken=lambda code: services.ledger.head("dossier", code)[0] > 0,
    ).code


def check_new_code(services: Services, code: str, office: str, at: int) -> None:
    """A dossier received through the API gets a code by the circular's rule: the receiving
    office's agency identifier on the day of receipt (its office id if it has none), that day as
    yymmdd, a sequence of 4 to 7 digits (domain/identifier.py); the problem that names the part
    that is wrong if not. A code already in the ledger is not checked: receiving it again is
    refused as it always was, and the same statement sent again gets its receipt (the ledger
    itself, and `lienthong import`, keep the codes recorded before the rule)."""
    if services.ledger.head("dossier", code)[0]:
        return
    day = local_date(at)
    agency = services.ledger.office(office).code_agency_on(day)
    problem = dossier_code_problem(code, agency, day)
    if problem is not None:
        raise problem


# --- prepare ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    """The bytes to sign; `salt` is the applicant record's (b"" without applicant details): with
    it a client checks the commitment in the bytes against the details it sent."""

    raw: bytes
    salt: bytes = b""


def prepare(
    services: Services,
    token: Token,
    *,
    kind: str,
    subject: str,
    body: Mapping[str, Any],
    office: str,
    officer: str,
    key: str,
    at: int | None = None,
    applicant: Mapping[str, str] | None = None,
) -> Draft:
    """Build the statement `kind` on `subject` from its body as JSON carries it (bytes in hex),
    signed as `officer` in `office` with `key`, at `at` (default now). With applicant details
    (a dossier.received only) the body gets their commitment, and the details are stored only
    once everything else is checked (api/http/applicants.py)."""
    services.writable()
    fields = schema.from_json(kind, dict(body))  # an unknown kind is refused first
    may_write(token, family(kind), office, officer)
    at = services.clock.now() if at is None else at
    if kind == applicants.RECEIVED:
        check_new_code(services, check_identifier(subject, "subject"), office, at)

    def build(commitment: bytes | None) -> bytes:
        return authoring.prepare(
            services.ledger,
            kind,
            subject,
            fields if commitment is None else {**fields, "applicant": commitment},
            office=office,
            officer=officer,
            key=key,
            at=at,
        )

    if applicant is None:
        return Draft(build(None))
    if "applicant" in fields:
        raise BadRequest("give either applicant details or body.applicant, not both")
    raw, proposal = applicants.propose(
        services,
        token,
        kind=kind,
        code=subject,
        office=office,
        officer=officer,
        details=applicant,
        build=build,
    )
    return Draft(raw, proposal.salt)


# --- submit ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Submitted:
    statement: Statement
    receipt: Receipt
    secret: str | None  # the receipt secret of a dossier.received whose applicant record is kept


async def submit(services: Services, token: Token, raw: bytes, signature: bytes) -> Submitted:
    """Record a signed statement through the process's one writer. The same statement submitted
    again gets its original receipt (`receipt.duplicate`), never a second entry."""
    services.writable()
    # parsed once, here; the signature verified here too, beside the writer (Ledger.precheck)
    prechecked = services.ledger.precheck(raw, signature)
    statement = prechecked.statement
    may_submit(token, statement)
    if statement.kind == applicants.RECEIVED:
        check_new_code(services, statement.subject, statement.office, statement.at)
    files_uploaded(services, statement)
    receipt = await services.writer.record(prechecked)
    return Submitted(statement, receipt, applicants.confirm(services, statement, receipt))


def files_uploaded(services: Services, statement: Statement) -> None:
    """A statement that brings documents in (receipt, dispatch, supplement) is refused until
    every file it lists is in the file store: the files travel with the custody."""
    if statement.kind not in FILE_KINDS:
        return
    documents = statement.body.get("documents") or []
    missing = set(services.files.missing(statement.subject, [d["sha256"] for d in documents]))
    if missing:
        named = "; ".join(
            f"{d['name']} ({d['sha256'].hex()})" for d in documents if d["sha256"] in missing
        )
        raise FileNotUploaded(
            f"upload the files this statement lists before submitting it "
            f"(PUT /v1/dossiers/{statement.subject}/files/<sha256>); not uploaded: {named}"
        )


# --- upload ----------------------------------------------------------------------------------------


async def receive_raw(
    request: Request, services: Services, token: Token, code: str, declared: bytes
) -> tuple[StoredFile, bool]:
    """Stream the request's body into the dossier's files under its declared SHA-256 (the JSON
    route's and the officer's page's upload): the stored file, and whether it is new."""
    check_identifier(code, "dossier code")
    expected = _expected_size(request, services)
    upload = await run_in_threadpool(start_upload, services, token, code, declared, expected)
    await pump(request, upload.write, upload)
    return await run_in_threadpool(upload.finish, services.clock.now(), expected)


def start_upload(
    services: Services, token: Token, code: str, declared: bytes | None, announced: int | None
) -> Upload:
    """An upload to dossier `code` by the caller, once the server records and the caller's
    office may attach files to it (called in a worker thread: it reads the views)."""
    services.writable()
    may_upload_file(token, code, services.inspector())
    return services.files.receive(
        code,
        declared,
        office=token.office,
        officer=token.officer,
        now=services.clock.now(),
        announced=announced,
    )


async def pump(request: Request, write: Callable[[bytes], object], upload: Upload) -> None:
    """Feed the request body to `write` (in a worker thread: it hashes, seals and stores), and
    abort the upload if anything goes wrong on the way. A client that goes away mid-upload is
    no fault of the server: one line in the log, and FileIncomplete (answered to nobody)."""
    try:
        pending = bytearray()
        async for piece in request.stream():
            pending += piece
            if len(pending) >= STEP:  # a trip to a worker thread per megabyte, not per piece
                await run_in_threadpool(write, bytes(pending))
                pending.clear()
        if pending:
            await run_in_threadpool(write, bytes(pending))
    except ClientDisconnect:
        upload.abort()
        log.warning(
            "upload to dossier %s cut off: the client went away after %d bytes; nothing was kept",
            upload.code,
            upload.size,
        )
        raise FileIncomplete(
            f"the client went away after {upload.size:,} bytes: nothing was kept"
        ) from None
    except BaseException:
        upload.abort()
        raise


def _content_length(request: Request) -> int | None:
    text = request.headers.get("content-length")
    if text is None:
        return None
    if not text.isdigit():
        raise BadRequest(f"Content-Length {text!r} is not a number of bytes")
    return int(text)


def _expected_size(request: Request, services: Services) -> int | None:
    """The raw body's announced size; FileTooLarge before a byte is read if it is over the cap."""
    size = _content_length(request)
    if size is not None and size > services.files.max_bytes:
        raise FileTooLarge(
            f"a file may hold {services.files.max_bytes:,} bytes at most; this one announces "
            f"{size:,}"
        )
    return size
