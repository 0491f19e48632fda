"""The citizen's lookup: a dossier code and the secret printed on the receipt show the status and
where the dossier is, and nothing about the applicant. No token; rate limited per client address
and per dossier code, so guessing secrets is slow from anywhere."""

from __future__ import annotations

import time
from datetime import date

from fastapi import APIRouter, Request
from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from api.access import ServicesDep
from api.applicants import signed_commitment
from api.problems import NotFound, RateLimited
from api.schemas import LookupOut, LookupRequest, iso
from api.services import Services
from domain.errors import DomainError
from domain.instant import local_date

router = APIRouter(prefix="/public", tags=["public"])


class LookupLimiter:
    def __init__(self, per_minute: int) -> None:
        self.item = RateLimitItemPerMinute(per_minute)
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def check(self, *keys: str) -> None:
        for key in keys:
            if not self.limiter.hit(self.item, "lookup", key):
                reset = self.limiter.get_window_stats(self.item, "lookup", key).reset_time
                raise RateLimited(
                    f"at most {self.item.amount} lookups a minute; try again shortly",
                    retry_after=max(1, int(reset - time.time()) + 1),
                )


@router.post(
    "/lookup",
    response_model=LookupOut,
    summary="Tra cứu hồ sơ: status and location by dossier code and receipt secret",
)
def lookup(request: LookupRequest, http: Request, found: ServicesDep) -> LookupOut:
    return citizen_lookup(found, http, request.code, request.secret)


def citizen_lookup(found: Services, http: Request, code: str, secret: str) -> LookupOut:
    """What a citizen may know of a dossier, given its code and the receipt secret; the same
    NotFound for an unknown code and a wrong secret; RateLimited per client and per code."""
    limiter: LookupLimiter = http.app.state.lookups
    client = http.client.host if http.client else "unknown"
    limiter.check(f"client:{client}", f"code:{code}")
    unknown = NotFound("no dossier has this code and receipt secret")
    try:
        signed = signed_commitment(found, code)
    except DomainError:  # no such dossier: the same answer as a wrong secret
        raise unknown from None
    # only the secret of the record the recorded receipt signed opens the lookup
    if not found.applicants.check_secret(code, secret, signed):
        raise unknown
    location = found.views().location(code)
    if location is None:
        raise unknown
    office = location.custodian or location.transit_to
    day = local_date(found.clock.now())
    return LookupOut(
        code=location.code,
        procedure=location.procedure,
        procedure_name=_procedure_name(found, location.procedure, location.version),
        status=location.status,
        office=office,
        office_name=_office_name(found, office, day),
        since=location.since,
        since_iso=iso(location.since),
        appointed=location.appointed,
        appointed_iso=iso(location.appointed),
        decided=location.decided,
    )


def _office_name(found: Services, office: str | None, day: date) -> str | None:
    if office is None:
        return None
    try:
        return found.ledger.office(office).name_on(day)
    except DomainError:
        return None


def _procedure_name(found: Services, code: str, version: int) -> str | None:
    try:
        return found.ledger.procedure(code).get_version(version).name_vi
    except DomainError:
        return None
