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
and uploading go through api/http/writing.py, as the JSON API's do.

An officer whose key in force carries an official-duty certificate signs instead with the key on
a token, through the signing agent on their computer (`lienthong agent`, asked by
api/http/static/officer.js after the same check; GET /can-bo/khoa-ky names those keys)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shlex
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field

from api.http import downloads, writing
from api.http.access import ServicesDep, require
from api.http.problems import BadRequest, Forbidden, NotFound
from api.http.schemas.statements import ApplicantDetails
from api.http.services import Services
from api.http.web import acts
from api.http.web.pages import language, office_label, public_base, render
from api.http.web.paging import page_number, page_of
from api.http.web.receipt import may_see_receipt
from api.http.web.session import caller
from api.http.web.words import PAGE_WORDS, say
from domain.errors import DomainError
from domain.identifier import check_identifier, is_identifier
from domain.instant import local_date, to_datetime
from domain.statement import FILE_KINDS
from ledger.statements import signing
from ledger.statements.signing import KEY_ID_PREFIX
from ledger.stores.enrolments import Enrolment
from ledger.stores.tokens import Token
from ledger.views.durations import days_left
from ledger.views.sla import appointed_for

router = APIRouter(include_in_schema=False)
router.include_router(acts.router)  # a held dossier's acts: refuse, extend, stop, decide …
KEY_ID = re.compile("[0-9a-f]{32}")
SHA256 = re.compile("[0-9a-f]{64}")


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
    """The dossiers on their way to `office`, each with the dispatch to acknowledge: who sent it
    and when, for what, its procedure and appointed date, and the documents sent with it."""
    items = []
    for location in services.inspector().inbox(office, now):
        legs = services.views().legs(location.code)
        if not legs:
            continue
        leg = legs[-1]
        sent = next(
            (
                e.statement
                for e in services.ledger.history("dossier", location.code)
                if signing.statement_hash(e.raw) == leg.dispatch
            ),
            None,
        )
        documents = list(sent.body.get("documents") or []) if sent is not None else []
        items.append(
            {
                "code": location.code,
                "sender": location.transit_from,
                "since": location.since,
                "dispatch": leg.dispatch.hex(),
                "purpose": leg.purpose,
                "procedure": location.procedure,
                "version": location.version,
                "appointed": location.appointed,
                "late": days_left(services.calendar, now, location.appointed) < 0,
                "documents": [{"name": d["name"], "sha256": d["sha256"].hex()} for d in documents],
            }
        )
    return items


def _sent(services: Services, office: str, now: int) -> list[dict[str, Any]]:
    """The dispatches from `office` not yet acknowledged, each with the working time it has
    waited for its addressee."""
    calendar = services.calendar
    return [
        {
            "code": location.code,
            "procedure": location.procedure,
            "version": location.version,
            "to": location.transit_to,
            "since": location.since,
            "waited": int(calendar.working_seconds_between(location.since, now)),
        }
        for location in services.views().sent_from(office)
    ]


# what the desk confirms after a signature, by the query parameter the page came back with
DONE = {"da-nhan": "acknowledged", "da-tu-choi": "rejected", "da-giao": "dispatched"}


def _done(services: Services, request: Request, office: str, lang: str) -> str | None:
    """The confirmation, read from the ledger's views, of what this office has just signed on a
    dossier (the page asked with ?da-nhan=, ?da-tu-choi= or ?da-giao= and its code): "Đã nhận hồ
    sơ … từ …", "Đã giao hồ sơ … cho …"; None if the views do not say so."""
    for parameter, outcome in DONE.items():
        code = request.query_params.get(parameter)
        if code is None or not is_identifier(code):
            continue
        now = services.clock.now()
        for leg in reversed(services.views().legs(code)):
            if outcome == "dispatched" and leg.from_office == office:
                addressee = office_label(services, leg.to_office, now, lang)
                return say("dispatched_done", lang, code=code, addressee=addressee)
            if leg.outcome == outcome and leg.by_office == office:
                sender = office_label(services, leg.from_office, now, lang)
                return say(f"{outcome}_done", lang, code=code, sender=sender)
    return None


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
    inspector = services.inspector()
    held = [
        {
            "code": location.code,
            "procedure": location.procedure,
            "version": location.version,
            "since": location.since,
            "appointed": location.appointed,
            "late": days_left(services.calendar, now, location.appointed) < 0,
            # its receipt, printed again, for the office that received it (or took it over)
            "receipt": may_see_receipt(
                services, token, location.received_by, location.procedure, inspector
            ),
        }
        for location in inspector.held(token.office, now)
    ]
    return render(
        request,
        "officer.html",
        problem=None,
        token=token,
        done=_done(services, request, token.office, lang),
        incoming=_incoming(services, token.office, now),
        sent=_sent(services, token.office, now),
        shown=page_of(held, number, "/can-bo", []),
    )


def offices_today(services: Services, now: int) -> list[dict[str, Any]]:
    """The offices in operation today as a tree, depth first: each with its depth and level."""
    day = local_date(now)
    active = {}
    services.ledger.catch_up()  # once: every office is then read as of now (not one query each)
    for subject in services.views().subjects("office"):
        office = services.ledger.office(subject, caught_up=True)
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


def addressees(services: Services, now: int, lang: str, leaving: str) -> list[dict[str, Any]]:
    """The offices a dossier may be handed over to today (all in operation but `leaving`, the
    sender), in the groups a person looks for them in: for each office at the top of today's tree
    (a province), one group of its own level — the province and its departments, "Sở Nội vụ",
    "Sở Y tế", without the province's name they repeat — then one per lower level (districts,
    communes), a unit beside its parent when the parent is not the top. Each group: its label and
    its options (id, name)."""
    groups: list[dict[str, Any]] = []
    path: list[dict[str, Any]] = []
    levels: dict[str, dict[str, Any]] = {}
    for office in offices_today(services, now):
        depth = office["depth"]
        path[depth:] = [office]
        top = path[0]
        if depth == 0:
            levels = {}
        level = office["level"]
        if level not in levels:
            label = top["name"]
            if level != top["level"]:
                label = say("addressee_group", lang, top=top["name"], level=_level(level, lang))
            levels[level] = {"label": label, "options": []}
            groups.append(levels[level])
        if office["id"] == leaving:
            continue
        name = office["name"]
        if depth > 0 and name.lower().endswith(" " + top["name"].lower()):
            name = name[: -len(top["name"]) - 1]
        parent = path[depth - 1] if depth > 0 else None
        if parent is not None and parent is not top and parent["level"] != level:
            name = say("addressee_under", lang, name=name, parent=parent["name"])
        levels[level]["options"].append({"id": office["id"], "name": name})
    return [group for group in groups if group["options"]]


def _level(level: str, lang: str) -> str:
    """A level's name in words ("Cấp xã"); the registry's own word for a level it has no name for."""
    key = f"level_{level}"
    return say(key, lang) if key in PAGE_WORDS else level


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
    """The dispatch form: the addressee, chosen (none is chosen for the officer) from the offices
    in operation today grouped by province and level, the purpose, and the documents sent with
    the dossier."""
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
        procedure=(location.procedure, location.version),
        appointed=location.appointed,
        groups=addressees(services, now, language(request), office),
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


def certificate_keys(services: Services, officer: str, now: int) -> list[str]:
    """The officer's keys in force now that carry an official-duty certificate (a DER
    SubjectPublicKeyInfo, not a 32-byte Ed25519 key): the pages sign with those through the
    signing agent on the officer's computer, which holds the token."""
    found = []
    for subject in services.views().subjects("key", owner=officer):
        try:
            key = services.ledger.key(subject)
        except DomainError:
            continue
        certified = bool(key.certificates) or len(key.public_key) != signing.ED25519_KEY_BYTES
        in_force = key.revoked is None and key.effective <= now and key.role == "officer"
        if certified and in_force and key.officer == officer:
            found.append(subject)
    return found


@router.get("/can-bo/khoa-ky")
def signing_keys(request: Request, services: ServicesDep) -> JSONResponse:
    """How this officer's pages sign: with the certificate keys named here through the signing
    agent (whose address the pages know: officer.js's AGENT_DEFAULT unless the browser was set to
    another port), else with the browser's key."""
    _office, officer = _officer(caller(request, services))
    keys = certificate_keys(services, officer, services.clock.now())
    return JSONResponse({"certificate_keys": keys})


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


AUTHORITY_KEY_FILE = "lienthong-authority.key"  # where `lienthong init` writes the authority key


def approval_body(enrolment: Enrolment) -> dict[str, Any]:
    """The body of the `key.registered` that approves `enrolment`, as JSON carries it: an
    officer's key, in force from when the officer asked (the key was made then; nothing signed
    with it is recorded before the statement that registers it)."""
    return {
        "officer": enrolment.officer,
        "public_key": enrolment.public_key.hex(),
        "role": "officer",
        "effective": to_datetime(enrolment.requested_at).isoformat(),
    }


def approval_command(enrolment: Enrolment, server: str) -> str:
    """The command that approves `enrolment` through `server`, as the page prints it: it runs as
    printed in a shell, in the directory holding the authority key file `lienthong init` wrote,
    with a registrar's token in LIENTHONG_TOKEN (a registrar's own key file may stand in for the
    authority's)."""
    body = json.dumps(approval_body(enrolment), ensure_ascii=False)
    where = shlex.quote(server)
    return (
        f"lienthong sign key.registered {enrolment.key_id} \\\n"
        f"  --key {AUTHORITY_KEY_FILE} --server {where} \\\n"
        f"  --body {shlex.quote(body)} \\\n"
        f"  | lienthong submit --server {where}"
    )


def _officer_title(services: Services, officer: str, at: int) -> str:
    try:
        return services.ledger.officer(officer).title_at(at)
    except DomainError:
        return ""


def fingerprint(key_id: str) -> str:
    """A key id as officers read it aloud: groups of four hex digits."""
    return " ".join(key_id[i : i + 4] for i in range(0, len(key_id), 4))


# the scans a browser shows itself (a photo); any other (a PDF, an office document) is saved and
# opened by the computer's own reader — a PDF under the pages' policy (object-src 'none') would
# not show. Sent with nosniff (api/http/headers.py) either way.
SHOWN_INLINE = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}


@router.get("/can-bo/tep/{code:path}/{sha256}")
def open_scan(code: str, sha256: str, request: Request, services: ServicesDep) -> Response:
    """A document's scan, opened from the inbox or the dispatch form in the officer's session:
    the same checks and access log as GET /v1/dossiers/<code>/files/<sha256> (api/http/
    downloads.py) — the offices that held, hold or are being sent the dossier may read it."""
    check_identifier(code, "dossier code")
    token = caller(request, services)
    require(token, "officer")
    if not SHA256.fullmatch(sha256):
        raise BadRequest("the file's SHA-256 is 64 lowercase hex digits")
    opened = downloads.open_file(services, token, code, bytes.fromhex(sha256))
    shown = SHOWN_INLINE.get(PurePosixPath(opened.name.lower()).suffix)
    disposition = "inline" if shown else "attachment"
    return StreamingResponse(
        downloads.in_steps(opened.download),
        media_type=shown or "application/octet-stream",
        headers={
            "Content-Length": str(opened.download.size),
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(opened.name)}",
            "Cache-Control": "private, no-store",
        },
    )


@router.get("/quan-tri/khoa")
def enrolment_requests(request: Request, services: ServicesDep) -> HTMLResponse:
    """The registrar's list of keys waiting for approval: who asked (the officer's title and
    office, by name), when, the fingerprint to check with them, the button that approves it with
    the registrar's key in this browser, and the command that approves it without one."""
    token = caller(request, services)
    require(token, "registrar")
    lang, now = language(request), services.clock.now()
    server = public_base(request, services)
    waiting = [
        {
            "key_id": e.key_id,
            "fingerprint": fingerprint(e.key_id),
            "officer": e.officer,
            "title": _officer_title(services, e.officer, e.requested_at),
            "office": e.office,
            "requested_at": e.requested_at,
            "public_key": e.public_key.hex(),
            "effective": e.requested_at,
            "command": approval_command(e, server),
        }
        for e in services.enrolments.all()
        if key_status(services, e.key_id, e.officer) == "pending"
    ]
    return render(
        request,
        "enrolments.html",
        problem=None,
        token=token,
        waiting=waiting,
        done=_approved(services, request.query_params.get("da-duyet"), now, lang),
    )


def _approved(services: Services, key_id: str | None, now: int, lang: str) -> str | None:
    """The words "Đã phê duyệt khóa … của …", once the ledger holds the key just approved."""
    if key_id is None or not KEY_ID.fullmatch(key_id):
        return None
    try:
        key = services.ledger.key(key_id)
        officer = services.ledger.officer(key.officer)
    except DomainError:
        return None
    office = officer.office_at(now)
    return say(
        "approved_done",
        lang,
        fingerprint=fingerprint(key_id),
        who=_who(services, officer.title_at(now), office, now, lang),
    )


def _who(services: Services, title: str, office: str | None, at: int, lang: str) -> str:
    where = office_label(services, office, at, lang)
    return say("enrolment_who", lang, title=title or say("enrolment_untitled", lang), office=where)


def registrar_signer(services: Services, key_id: str, now: int) -> tuple[str, str] | None:
    """(officer, office) a registrar's key signs as now: a key registered with the role
    registrar, in force and not revoked, of an officer serving in an office in operation today;
    None for any other key."""
    try:
        key = services.ledger.key(key_id)
        if key.role != "registrar" or key.revoked is not None or key.effective > now:
            return None
        office = services.ledger.officer(key.officer).office_at(now)
        if office is None or not services.ledger.office(office).active_on(local_date(now)):
            return None
    except DomainError:
        return None
    return key.officer, office


@router.get("/quan-tri/khoa/ky/{key_id}")
def registrar_key(key_id: str, request: Request, services: ServicesDep) -> JSONResponse:
    """Whether a key of this browser may approve enrolments now, and as whom: the registrar's
    page asks this of each key it holds."""
    token = caller(request, services)
    require(token, "registrar")
    if not KEY_ID.fullmatch(key_id):
        raise BadRequest("a key id is 32 lowercase hex digits")
    signer = registrar_signer(services, key_id, services.clock.now())
    if signer is None:
        return JSONResponse({"key_id": key_id, "usable": False})
    officer, office = signer
    now, lang = services.clock.now(), language(request)
    who = _who(services, _officer_title(services, officer, now), office, now, lang)
    return JSONResponse(
        {"key_id": key_id, "usable": True, "officer": officer, "office": office, "who": who}
    )


@router.post("/quan-tri/ky/chuan-bi")
def registrar_prepare(request: Request, intent: Intent, services: ServicesDep) -> JSONResponse:
    """The canonical bytes of the `key.registered` that approves a waiting request, to be signed
    with the registrar's key in this browser: only what was asked — that key, that officer, the
    role officer, in force from the request — may be prepared here."""
    token = caller(request, services)
    require(token, "registrar")
    services.writable()
    now = services.clock.now()
    signer = registrar_signer(services, intent.key, now)
    if signer is None:
        raise Forbidden(
            f"key {intent.key} is not a registrar's key in force: approving needs a key "
            f"registered with the role registrar (by the authority key), not revoked"
        )
    if intent.kind != "key.registered":
        raise BadRequest(f"this page signs key.registered only, not {intent.kind}")
    request_for = next((e for e in services.enrolments.all() if e.key_id == intent.subject), None)
    if request_for is None or key_status(services, request_for.key_id, request_for.officer) != (
        "pending"
    ):
        raise NotFound(f"no request for key {intent.subject} waits for approval")
    expected = {**approval_body(request_for), "effective": request_for.requested_at}
    if _plain(intent.body) != expected:
        raise BadRequest(
            f"the approval of key {intent.subject} registers it to officer {request_for.officer} "
            f"with the role officer from {approval_body(request_for)['effective']}, as the "
            f"officer asked"
        )
    officer, office = signer
    draft = writing.prepare(
        services,
        token,
        kind=intent.kind,
        subject=intent.subject,
        body=expected,
        office=office,
        officer=officer,
        key=intent.key,
    )
    return JSONResponse({"statement": base64.b64encode(draft.raw).decode()})
