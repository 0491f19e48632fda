"""The citizen's lookup: a dossier code and the secret printed on the receipt show the status and
where the dossier is, and nothing about the applicant. No token; rate limited per client address,
and wrong secrets per client address and dossier code, so that nobody can lock a dossier's owner
out of their own lookup (api/http/lookup.py, shared with the lookup page). The same code and secret
rate a decided dossier's handling, once (ledger/stores/ratings.py)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.http.access import ServicesDep
from api.http.lookup import citizen_lookup, citizen_rating
from api.http.schemas.dossiers import LookupOut, LookupRequest
from api.http.schemas.ratings import RatingOut, RatingRequest

router = APIRouter(prefix="/public", tags=["public"])


@router.post(
    "/lookup",
    response_model=LookupOut,
    summary="Tra cứu hồ sơ: status and location by dossier code and receipt secret",
)
def lookup(request: LookupRequest, http: Request, services: ServicesDep) -> LookupOut:
    return citizen_lookup(services, http, request.code, request.secret)


@router.post(
    "/rating",
    response_model=RatingOut,
    status_code=201,
    summary="Đánh giá mức độ hài lòng: rate a decided dossier's handling once, 1 to 5",
)
def rating(request: RatingRequest, http: Request, services: ServicesDep) -> RatingOut:
    return citizen_rating(services, http, request.code, request.secret, request.score)
