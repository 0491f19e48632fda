"""The receipt the one-stop desk hands the applicant, and the dossier code it carries.

- `POST /can-bo/ma-ho-so`: the next code of the officer's office today, made by the server by the
  circular's rule and reserved for this officer (api/http/writing.py `new_code`); the receipt form
  (`/can-bo/tiep-nhan`, api/http/static/receive.js) asks for one when it opens and shows it before
  anything is signed. A POST, not a GET: each call reserves a sequence of the day, and nothing a
  browser or proxy may fetch on its own must use one up.
- `GET /can-bo/bien-nhan/{code}`: the receipt, "Giấy tiếp nhận hồ sơ và hẹn trả kết quả" — form 01
  of the circular in force on the date of receipt (domain/law.py) — with the code, the receipt
  secret (decrypted from the applicant store), the applicant, the procedure, the documents
  received, when, the appointed date, where to collect the result, the officer who received it (by
  title and office: the registry holds no names) and a QR code to the lookup; printed alone
  (site.css). After signing the form lands here (`?moi=1` says it was just recorded); the desk's
  held list and a held dossier's page link here to print it again. Only an officer of the office
  that received the dossier, or of the office that took that office's dossiers over once it ended,
  may open it: it shows the secret that opens the dossier to the public lookup.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from api.http import applicants, writing
from api.http.access import ServicesDep
from api.http.services import Services
from api.http.web.pages import (
    language,
    office_name,
    procedure_name,
    public_base,
    qr_svg,
    render,
)
from api.http.web.session import caller
from api.http.web.words import say
from domain.errors import DomainError
from domain.identifier import is_identifier
from domain.instant import local_date
from domain.law import FormType, form_on, regime_on
from ledger.errors import LedgerError
from ledger.stores.tokens import Token
from ledger.views.sla import Inspector

router = APIRouter(include_in_schema=False)


@router.post("/can-bo/ma-ho-so")
def new_code(request: Request, services: ServicesDep) -> JSONResponse:
    """The next dossier code of the signed-in officer's office today, reserved for them."""
    token = caller(request, services)
    return JSONResponse({"code": writing.new_code(services, token)})


def may_see_receipt(
    services: Services,
    token: Token,
    office: str,
    procedure: str,
    inspector: Inspector | None = None,
) -> bool:
    """Whether `token` is an officer of `office`, which received the dossier, or of the office
    that has taken `office`'s dossiers of `procedure` over today (Inspector.taken_over_by; give
    the request's `inspector` when asking for many dossiers)."""
    if token.role != "officer" or token.office is None:
        return False
    if token.office == office:
        return True
    today = local_date(services.clock.now())
    inspector = inspector or services.inspector()
    return inspector.taken_over_by(office, procedure, office, today) == token.office


@router.get("/can-bo/bien-nhan/{code:path}")
def receipt_page(code: str, request: Request, services: ServicesDep, moi: str = "") -> HTMLResponse:
    token = caller(request, services)
    lang = language(request)
    if token.role != "officer":
        problem = say("receipt_forbidden", lang)
        return render(request, "receipt.html", 403, problem=problem, token=token)
    if not is_identifier(code):
        return render(request, "receipt.html", 422, problem=say("bad_code", lang), token=token)
    try:
        received = services.ledger.received(code).statement
    except DomainError:
        problem = say("receipt_unknown", lang, code=code)
        return render(request, "receipt.html", 404, problem=problem, token=token)
    body = received.body
    if not may_see_receipt(services, token, received.office, body["procedure"]):
        problem = say("receipt_forbidden", lang)
        return render(request, "receipt.html", 403, problem=problem, token=token)
    return render(
        request,
        "receipt.html",
        problem=None,
        token=token,
        code=code,
        just_received=moi == "1",
        **receipt_of(request, services, token, received, lang),
    )


def receipt_of(
    request: Request, services: Services, token: Token, received: Any, lang: str
) -> dict[str, Any]:
    """What the receipt of the dossier `received` (its dossier.received statement) says."""
    code, body, at = received.subject, received.body, received.at
    day = local_date(at)
    form = form_on(day, FormType.RECEIPT)
    try:
        secret: str | None = services.applicants.receipt_secret(code, body["applicant"])
        details = applicants.read(services, code).details
    except (DomainError, LedgerError):  # erased, kept on no server of this ledger, or not ours
        secret, details = None, {}
    try:
        officer = services.ledger.officer(received.officer)
        title = officer.title_at(at)
    except DomainError:
        title = ""
    try:
        parent = services.ledger.office(received.office).parent_on(day)
    except DomainError:
        parent = None
    location = services.views().location(code)
    today = local_date(services.clock.now())
    lookup_url = f"{public_base(request, services)}/tra-cuu?{urlencode({'code': code})}"
    return {
        "form_name": form.name(lang),
        "form_label": form.label(lang),
        "legal_basis": regime_on(day).legal_basis(FormType.RECEIPT, lang),
        "issuer": office_name(services, received.office, at),
        "issuer_parent": office_name(services, parent, at) if parent else "",
        "secret": secret,
        "applicant": details,
        "procedure": procedure_name(services, body["procedure"], body["version"], lang),
        "channel": say(f"channel_{body['channel']}", lang),
        "documents": [document["name"] for document in body.get("documents") or ()],
        "received_at": at,
        "appointed": body["appointed"],
        "collect": say(
            "receipt_collect_at", lang, office=office_name(services, received.office, at)
        ),
        "officer_title": title,
        "lookup_url": lookup_url,
        "qr": qr_svg(lookup_url, say("receipt_qr", lang)),
        # the dispatch form, while the office holds the dossier (or the one it took over held it)
        "may_dispatch": location is not None
        and location.status == "held"
        and location.custodian is not None
        and services.inspector().taken_over_by(
            location.custodian, location.procedure, location.received_by, today
        )
        == token.office,
    }
