"""The officer's pages: the inbox of incoming handovers (acknowledge, or refuse with a reason,
against the list of documents sent), the dossiers the office holds with the time left to their
appointed date, and the key this browser signs with. A held dossier's own acts (supplement, the
apology of the form in use — re-appointment or extension —, decision, return, withdrawal, refusal
at reception, stop) are on its page, api/http/web/acts.py.

The private key is made in the browser (WebCrypto Ed25519, not extractable) and kept in its
IndexedDB; the server only sees the public key, in an enrolment request a registrar approves by
recording `key.registered`. To sign, the page sends what the officer sees; the server builds the
canonical bytes on the dossier's head; the page decodes them (api/http/static/canonical.js), refuses
to sign unless they say exactly that, signs, and sends the signature back. Preparing, submitting
and uploading go through api/http/writing.py, as the JSON API's do."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field

from api.http import writing
from api.http.access import ServicesDep, require
from api.http.problems import BadRequest, Forbidden
from api.http.schemas.statements import ApplicantDetails
from api.http.services import Services
from api.http.web import acts
from api.http.web.pages import language, office_name, render
from api.http.web.paging import page_number, page_of
from api.http.web.session import caller
from api.http.web.words import say
from domain.errors import DomainError
from domain.identifier import check_identifier, is_identifier
from domain.instant import local_date
from domain.statement import FILE_KINDS
from ledger.statements import signing
from ledger.statements.signing import KEY_ID_PREFIX
from ledger.stores.enrolments import Enrolment
from ledger.stores.tokens import Token
from ledger.views.sla import appointed_for

router = APIRouter(include_in_schema=False)
router.include_router(acts.router)  # a held dossier's acts: refuse, extend, stop, decide …
DAY_US = 86_400 * 1_000_000


class KeyRequest(BaseModel):
    public_key: str = Field(..., pattern="^[0-9a-f]{64}$")


class Intent(BaseModel):
    """What the officer sees and means to sign; bytes as {"bin": "<hex>"}. A receipt also
    carries the applicant's details, kept off the log; its body then gets their commitment."""

    kind: str = Field(..., max_length=64)
    subject: str = Field(..., max_length=128)
    key: str = Field(..., max_length=64)
    body: dict[str, Any]
    applicant: ApplicantDetails | None = None


class Signed(BaseModel):
    statement: str = Field(..., max_length=200_000)
    signature: str = Field(..., max_length=200)


def _plain(value: Any) -> Any:
    """{"bin": hex} → hex text, as `schema.from_json` reads bytes."""
    if isinstance(value, dict):
        if set(value) == {"bin"}:
            return value["bin"]
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _officer(token: Token) -> tuple[str, str]:
    """(office, officer) of an officer's token; Forbidden for any other."""
    require(token, "officer")
    if token.office is None or token.officer is None:
        raise Forbidden("this officer token names no office or officer")
    return token.office, token.officer


def key_status(services: Services, key_id: str, officer: str | None) -> str:
    """approved (registered to this officer, not revoked), pending, or unknown."""
    try:
        key = services.ledger.key(key_id)
    except DomainError:
        pending = any(e.key_id == key_id for e in services.enrolments.all())
        return "pending" if pending else "unknown"
    return "approved" if key.officer == officer and key.revoked is None else "unknown"


def _incoming(services: Services, office: str, now: int) -> list[dict[str, Any]]:
    """The dossiers on their way to `office`, each with the dispatch to acknowledge."""
    items = []
    for location in services.inspector().inbox(office, now):
        legs = services.views().legs(location.code)
        if not legs:
            continue
        dispatch = legs[-1].dispatch
        sent = next(
            (
                e.statement
                for e in services.ledger.history("dossier", location.code)
                if signing.statement_hash(e.raw) == dispatch
            ),
            None,
        )
        documents = list(sent.body.get("documents") or []) if sent is not None else []
        items.append(
            {
                "code": location.code,
                "sender": office_name(services, location.transit_from, now),
                "since": location.since,
                "dispatch": dispatch.hex(),
                "documents": [{"name": d["name"], "sha256": d["sha256"].hex()} for d in documents],
            }
        )
    return items


@router.get("/can-bo")
def officer_home(request: Request, services: ServicesDep, page: str = "1") -> HTMLResponse:
    """The officer's desk: the inbox of incoming handovers, whole (it is the work to do now),
    then the dossiers the office holds, the one promised soonest first, a hundred to a page."""
    token = caller(request, services)
    lang = language(request)
    if token.role != "officer" or token.office is None:
        forbidden = say("forbidden", lang)
        return render(request, "officer.html", 403, problem=forbidden, token=token)
    number = page_number(page)
    if number is None:
        bad = say("bad_page", lang, page=page)
        return render(request, "officer.html", 400, problem=bad, token=token)
    now = services.clock.now()
    held = [
        {
            "code": location.code,
            "procedure": location.procedure,
            "since": location.since,
            "appointed": location.appointed,
            "days_left": (location.appointed - now) // DAY_US,
        }
        for location in services.inspector().held(token.office, now)
    ]
    return render(
        request,
        "officer.html",
        problem=None,
        token=token,
        office_label=office_name(services, token.office, now),
        incoming=_incoming(services, token.office, now),
        shown=page_of(held, number, "/can-bo", []),
    )


def offices_today(services: Services, now: int) -> list[dict[str, Any]]:
    """The offices in operation today as a tree, depth first: each with its depth and level."""
    day = local_date(now)
    active = {}
    for subject in services.views().subjects("office"):
        office = services.ledger.office(subject)
        if office.active_on(day):
            active[subject] = office
    children: dict[str | None, list[str]] = {}
    for subject, office in active.items():
        parent = office.parent_on(day)
        children.setdefault(parent if parent in active else None, []).append(subject)
    tree: list[dict[str, Any]] = []

    def walk(parent: str | None, depth: int) -> None:
        for subject in sorted(children.get(parent, []), key=lambda s: active[s].name_on(day)):
            office = active[subject]
            tree.append(
                {"id": subject, "name": office.name_on(day), "level": office.level, "depth": depth}
            )
            walk(subject, depth + 1)

    walk(None, 0)
    return tree


def held_documents(services: Services, code: str) -> list[dict[str, str]]:
    """The documents the dossier holds: every one its statements brought in, by name and hash."""
    seen: dict[str, str] = {}
    for entry in services.ledger.history("dossier", code):
        if entry.statement.kind in FILE_KINDS:
            for document in entry.statement.body.get("documents") or ():
                seen.setdefault(document["sha256"].hex(), document["name"])
    return [{"name": name, "sha256": digest} for digest, name in seen.items()]


@router.get("/can-bo/giao/{code:path}")
def dispatch_page(code: str, request: Request, services: ServicesDep) -> HTMLResponse:
    """The dispatch form: the addressee from the office tree valid today, the purpose, and the
    documents sent with the dossier."""
    token = caller(request, services)
    office, _officer_id = _officer(token)
    if not is_identifier(code):
        return render(
            request, "officer.html", 422, problem=say("bad_code", language(request)), token=token
        )
    now = services.clock.now()
    location = services.views().location(code)
    if location is None or acts.holder(services, location, now) != office:
        forbidden = say("forbidden", language(request))
        return render(request, "officer.html", 403, problem=forbidden, token=token)
    return render(
        request,
        "dispatch.html",
        problem=None,
        token=token,
        code=code,
        offices=[o for o in offices_today(services, now) if o["id"] != office],
        documents=held_documents(services, code),
    )


@router.get("/can-bo/khoa")
def enrol_page(request: Request, services: ServicesDep) -> HTMLResponse:
    token = caller(request, services)
    require(token, "officer")
    return render(request, "enrol.html", problem=None, token=token)


@router.post("/can-bo/khoa")
def enrol(request: Request, wanted: KeyRequest, services: ServicesDep) -> JSONResponse:
    """Ask for the browser's public key to be registered to the signed-in officer."""
    office, officer = _officer(caller(request, services))
    services.writable()
    public_key = bytes.fromhex(wanted.public_key)
    key_id = hashlib.sha256(KEY_ID_PREFIX + public_key).digest()[:16].hex()
    services.enrolments.request(
        Enrolment(key_id, officer, office, public_key, services.clock.now())
    )
    return JSONResponse({"key_id": key_id, "status": key_status(services, key_id, officer)})


@router.get("/can-bo/khoa/{key_id}")
def enrolment_status(key_id: str, request: Request, services: ServicesDep) -> JSONResponse:
    token = caller(request, services)
    require(token, "officer")
    return JSONResponse({"key_id": key_id, "status": key_status(services, key_id, token.officer)})


@router.post("/can-bo/ky/chuan-bi")
def prepare(request: Request, intent: Intent, services: ServicesDep) -> JSONResponse:
    """The canonical bytes of what the officer means to sign, on the dossier's current head."""
    token = caller(request, services)
    office, officer = _officer(token)
    services.writable()  # a replica refuses before the key is looked up
    if key_status(services, intent.key, officer) != "approved":
        raise Forbidden(f"key {intent.key} is not registered to officer {officer}")
    draft = writing.prepare(
        services,
        token,
        kind=intent.kind,
        subject=intent.subject,
        body=_plain(intent.body),
        office=office,
        officer=officer,
        key=intent.key,
        applicant=None if intent.applicant is None else intent.applicant.as_map(),
    )
    # the salt lets the page check the commitment against the details it sent
    return JSONResponse(
        {"statement": base64.b64encode(draft.raw).decode(), "salt": draft.salt.hex()}
    )


@router.post("/can-bo/ky/gui")
async def submit(request: Request, signed: Signed, services: ServicesDep) -> JSONResponse:
    """Record what the browser signed; the refusal as a problem if the ledger refuses it."""
    token = caller(request, services)
    services.writable()
    try:
        raw = base64.b64decode(signed.statement, validate=True)
        signature = base64.b64decode(signed.signature, validate=True)
    except ValueError:
        raise BadRequest("statement and signature are base64") from None
    done = await writing.submit(services, token, raw, signature)
    receipt = done.receipt
    return JSONResponse({"seq": receipt.seq, "digest": receipt.digest.hex(), "secret": done.secret})


def procedures_now(services: Services, now: int) -> list[dict[str, Any]]:
    """The procedures receivable today, each with the appointed time the law gives from now."""
    day, calendar, offered = local_date(now), services.calendar, []
    for subject in services.views().subjects("procedure"):
        version = services.ledger.procedure(subject).effective_on(day)
        if version is None:
            continue
        appointed = appointed_for(version, now, calendar)
        offered.append(
            {
                "id": subject,
                "version": version.version,
                "name": version.name_vi,
                "appointed": appointed,
            }
        )
    return sorted(offered, key=lambda p: p["name"])


@router.get("/can-bo/tiep-nhan")
def receive_page(request: Request, services: ServicesDep) -> HTMLResponse:
    """The receipt form: the procedure (with the appointed date it gives), the channel, the
    applicant's details (kept off the log), and the scanned documents (uploaded, then listed)."""
    token = caller(request, services)
    _officer(token)
    now = services.clock.now()
    return render(
        request, "receive.html", problem=None, token=token, procedures=procedures_now(services, now)
    )


@router.put("/can-bo/tep/{code:path}/{sha256}")
async def upload_file(
    code: str, sha256: str, request: Request, services: ServicesDep
) -> JSONResponse:
    """A scan uploaded from the receipt form (the signed-in officer's session)."""
    check_identifier(code, "dossier code")
    token = caller(request, services)
    if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
        raise BadRequest("the file's SHA-256 is 64 lowercase hex digits")
    stored, new = await writing.receive_raw(request, services, token, code, bytes.fromhex(sha256))
    return JSONResponse({"sha256": stored.sha256.hex(), "size": stored.size, "new": new})


@router.get("/quan-tri/khoa")
def enrolment_requests(request: Request, services: ServicesDep) -> HTMLResponse:
    """The registrar's list of keys waiting for approval, each with the command that approves it."""
    token = caller(request, services)
    require(token, "registrar")
    waiting = [
        e
        for e in services.enrolments.all()
        if key_status(services, e.key_id, e.officer) == "pending"
    ]
    return render(request, "enrolments.html", problem=None, token=token, waiting=waiting)
