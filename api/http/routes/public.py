"""The citizen's lookup: a dossier code and the secret printed on the receipt show the status and
where the dossier is, and nothing about the applicant. No token; rate limited per client address,
and wrong secrets per client address and dossier code, so that nobody can lock a dossier's owner
out of their own lookup (api/http/lookup.py, shared with the lookup page)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.http.access import ServicesDep
from api.http.lookup import citizen_lookup
from api.http.schemas.dossiers import LookupOut, LookupRequest

router = APIRouter(prefix="/public", tags=["public"])


@router.post(
    "/lookup",
    response_model=LookupOut,
    summary="Tra cứu hồ sơ: status and location by dossier code and receipt secret",
)
def lookup(request: LookupRequest, http: Request, services: ServicesDep) -> LookupOut:
    return citizen_lookup(services, http, request.code, request.secret)
