"""The control slip as a PDF signed by the office's seal (api/slip_pdf.py, api/seal.py): the
download the slip offers (_slip.html) when the server has a seal (LIENTHONG_SEAL_FILE, _KEY or
_MODULE), and says it has none otherwise.

- `GET /phieu-kiem-soat/{code}`: from the dossier's page (/ho-so/<code>), for whoever may read
  that page (a signed-in officer, registrar or inspector of the dossier's offices).
- `POST /tra-cuu/phieu-kiem-soat`: from the citizen's lookup answer, with the code and the receipt
  secret, under the lookup's own checks and limits (api/http/lookup.py citizen_lookup).

Each answers `application/pdf`, in the page's language, signed now; the same slip the page shows,
with the QR code of the dossier's verification page at the server's public address
(LIENTHONG_PUBLIC_URL, which a server with a seal must have), never the request's. Without a
seal: 404, a problem that says so; a seal the server cannot use (a wrong passphrase, an expired
certificate, a token it cannot open): 503, and the reason in the server's log, never to the
caller.
"""

from __future__ import annotations

import logging
import re
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from api.http.access import ServicesDep, may_read_dossier
from api.http.lookup import citizen_lookup, stored_code
from api.http.problems import Forbidden, NotFound, RateLimited, Unavailable
from api.http.schemas.common import is_storable
from api.http.services import Services
from api.http.web.pages import language, render
from api.http.web.session import caller
from api.http.web.words import say
from api.seal import SealUnusable, open_seal
from api.slip_pdf import FontMissing, signed_slip_pdf, slip_paper
from domain.errors import DomainError
from domain.identifier import is_identifier

router = APIRouter(include_in_schema=False)
log = logging.getLogger("lienthong.api")
UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


@router.get("/phieu-kiem-soat/{code:path}")
def slip_pdf(code: str, request: Request, services: ServicesDep) -> Response:
    """The signed slip of a dossier the signed-in caller may read."""
    token = caller(request, services)
    now = services.clock.now()
    if not is_identifier(code):
        raise NotFound(f"no dossier {code!r}")
    try:
        services.ledger.dossier(code)
        may_read_dossier(token, code, services.inspector(), now)
    except (DomainError, Forbidden):
        raise NotFound(f"no dossier {code} this caller may read") from None
    return _signed(request, services, code)


@router.post("/tra-cuu/phieu-kiem-soat", response_model=None)
def citizen_slip_pdf(
    request: Request,
    services: ServicesDep,
    code: Annotated[str, Form(max_length=128)] = "",
    secret: Annotated[str, Form(max_length=64)] = "",
) -> Response | HTMLResponse:
    """The signed slip for the citizen who holds the dossier's code and receipt secret; the
    lookup form with what is wrong otherwise, as the lookup answers."""
    lang = language(request)
    code, secret = code.strip(), secret.strip()
    if not (is_identifier(code) and secret and is_storable(secret)):
        return render(request, "lookup.html", 422, code="", problem=say("missing_fields", lang))
    code = stored_code(services, code)
    try:
        citizen_lookup(services, request, code, secret)
    except NotFound:
        return render(request, "lookup.html", 404, code=code, problem=say("not_found", lang))
    except RateLimited as limited:
        problem = say("too_many", lang, seconds=limited.retry_after)
        response = render(request, "lookup.html", 429, code=code, problem=problem)
        response.headers["Retry-After"] = str(limited.retry_after)
        return response
    return _signed(request, services, code)


def _signed(request: Request, services: Services, code: str) -> Response:
    seal = services.settings.seal
    if not seal.configured:
        raise NotFound(
            "this server has no office seal (LIENTHONG_SEAL_FILE, _KEY or _MODULE) to sign the "
            "slip with"
        )
    slip = services.inspector().slip(code, services.clock.now())
    if slip is None:  # recorded, not yet in the read models
        raise NotFound(f"no slip of dossier {code} yet")
    lang = language(request)
    # only the configured address (api/settings.py refuses a seal without one): never the
    # request's Host, which would let the caller choose where the sealed slip's QR code leads
    verify_url = f"{services.settings.public_url.rstrip('/')}/xac-minh/{slip.location.code}"
    paper = slip_paper(services.ledger, slip, lang, services.calendar, verify_url)
    try:
        with open_seal(seal) as sealing:
            pdf = signed_slip_pdf(paper, sealing)
    except (SealUnusable, FontMissing) as problem:
        log.error("the control slip of %s could not be signed: %s", code, problem)
        raise Unavailable("the office's seal cannot sign now; the server's log says why") from None
    name = f"phieu-kiem-soat-{UNSAFE.sub('-', slip.location.code)}.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )
