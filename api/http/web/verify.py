"""The verification page (xác minh): an audit bundle checked against the log's public key — every
statement's signature, its inclusion proof, the checkpoint's signature — with a plain verdict
first, then the steps or what failed, and the technical details behind a <details> (verify.html).
A bundle is uploaded, or, from the QR code of a printed control slip, exported from this server
for a dossier code, typed in any letter case (api/http/lookup.py stored_code). The log is public (statements
hold no personal data), so this page needs no token."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from api.http.access import ServicesDep
from api.http.lookup import stored_code
from api.http.services import Services
from api.http.web.pages import language, render
from api.http.web.words import browser_words, say
from api.texts import kind_label
from domain.errors import DomainError
from domain.identifier import is_identifier
from ledger.errors import BadBundle, LedgerError
from ledger.log import bundle, note
from ledger.statements import certificates

router = APIRouter(include_in_schema=False)
MAX_BUNDLE = 5 * 1024 * 1024
PAGE = "verify.html"


def page(request: Request, services: Services, status: int = 200, **values: Any) -> HTMLResponse:
    """The verification page, with the log's key (which the browser's own check starts from),
    the words of that check (api/http/static/verify.js) and, for a dossier, its bundle's address."""
    key = log_verifier(services)
    values.setdefault("key", key.line() if key is not None else "")
    values.setdefault("bundle_url", "")
    return render(request, PAGE, status, browser_words=browser_words(language(request)), **values)


def log_verifier(services: Services) -> note.Verifier | None:
    """The key checkpoints are checked against: the server's own log key's, or the configured
    public one (a read-only replica holds no private key)."""
    if services.ledger.checkpointer is not None:
        return services.ledger.checkpointer.log_key.verifier
    text = services.settings.ledger.log_verifier
    return note.parse_verifier(text) if text else None


def verdict(
    request: Request, services: Services, data: bytes, status: int = 200, bundle_url: str = ""
) -> HTMLResponse:
    lang = language(request)
    key = log_verifier(services)
    if key is None:
        return page(request, services, 503, problem=say("no_log_key", lang), report=None)
    try:
        report = bundle.verify_bundle(
            data,
            key,
            anchors=services.ledger.settings.trust_anchors,
            check_token=services.token_checker(),
            revocation_required=services.ledger.settings.revocation_required,
        )
    except BadBundle as problem:
        text = say("unreadable", lang, problem=problem)
        return page(request, services, 422, problem=text, report=None)
    steps = report.view.steps if report.view is not None else []
    return page(
        request,
        services,
        status if report.ok else 422,
        problem=None,
        report=report,
        steps=steps,
        certified=certified(report),
        kind=lambda kind: kind_label(kind, lang),
        bundle_url=bundle_url,
    )


def certified(report: bundle.BundleReport) -> tuple[int, str]:
    """How many of the bundle's steps an official-duty certificate signed, and the CAs that
    issued those certificates (the holders' names are not shown: the page is public)."""
    ledger, view = report.replayed, report.view
    if ledger is None or view is None:
        return 0, ""
    count, issuers = 0, []
    for step in view.steps:
        key_id = step.statement.key
        if step.statement.officer == "authority" or not ledger.has("key", key_id):
            continue
        digests = ledger.key(key_id).certificates
        if not digests or not ledger.pki.get(digests[0]):  # none, or withheld by the bundle
            continue
        count += 1
        [leaf] = ledger.pki_objects([digests[0]], "certificate")
        issuer = certificates.issuer_name(leaf)
        if issuer not in issuers:
            issuers.append(issuer)
    return count, ", ".join(issuers)


@router.get("/xac-minh")
def verify_form(request: Request, services: ServicesDep) -> HTMLResponse:
    return page(request, services, problem=None, report=None)


@router.post("/xac-minh")
async def verify_upload(
    request: Request,
    services: ServicesDep,
    file: Annotated[UploadFile | None, File()] = None,
) -> HTMLResponse:
    lang = language(request)
    if file is None or not file.filename:
        return page(request, services, 422, problem=say("no_file", lang), report=None)
    data = await file.read(MAX_BUNDLE + 1)
    if len(data) > MAX_BUNDLE:
        return page(request, services, 413, problem=say("too_big", lang), report=None)
    return verdict(request, services, data)


def exported(services: Services, code: str, *, public: bool = False) -> bytes:
    """This server's audit bundle of dossier `code`, up to a checkpoint issued now if the newest
    entries are not checkpointed yet. Raises DomainError for an unknown dossier. A `public`
    bundle (a file anyone may download) withholds officers' certificates: they carry names."""
    services.ledger.dossier(code)

    def made() -> bytes:
        return bundle.export(
            services.ledger,
            code,
            timestamps=services.timestamp_tokens,
            certificates_of_officers=not public,
        ).encode()

    try:
        return made()
    except LedgerError:  # the newest entries are not checkpointed yet
        if services.ledger.checkpointer is None:
            raise
        services.ledger.checkpointer.issue()
        return made()


@router.get("/xac-minh/tai/{code:path}")
def bundle_file(code: str, request: Request, services: ServicesDep) -> Response:
    """The dossier's audit bundle as a file: for the browser's own check, and to keep or to
    check offline (`lienthong verify-bundle`)."""
    if not is_identifier(code):  # no dossier has that code; it never reaches the database
        return page(request, services, 422, problem=say("bad_code", language(request)), report=None)
    code = stored_code(services, code)
    try:
        data = exported(services, code, public=True)
    except DomainError:
        return page(
            request, services, 404, problem=say("not_found", language(request)), report=None
        )
    name = "".join(c if c.isalnum() or c in ".-" else "_" for c in code)
    return Response(
        data,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{name}.bundle"'},
    )


@router.get("/xac-minh/{code:path}")
def verify_code(code: str, request: Request, services: ServicesDep) -> HTMLResponse:
    """What the QR code of a control slip opens: this server's bundle of the dossier, checked."""
    if not is_identifier(code):  # no dossier has that code; it never reaches the database
        return page(request, services, 422, problem=say("bad_code", language(request)), report=None)
    code = stored_code(services, code)  # a code typed in another letter case finds it too
    try:
        data = exported(services, code)
    except DomainError:
        lang = language(request)
        return page(request, services, 404, problem=say("not_found", lang), report=None)
    return verdict(request, services, data, bundle_url=f"/xac-minh/tai/{quote(code, safe='')}")
