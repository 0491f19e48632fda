"""The citizen's lookup, for the JSON route (api/http/routes/public.py) and the lookup page
(api/http/web/pages.py) alike: a dossier code and the secret printed on the receipt show the status
and where the dossier is, and nothing about the applicant. Rate limited per client address, and
wrong secrets per client address and dossier code, so that nobody can lock a dossier's owner out
of their own lookup (see LookupLimiter)."""

from __future__ import annotations

import ipaddress
import threading
from collections import OrderedDict, deque
from datetime import date

from fastapi import Request

from api.http.applicants import signed_commitment
from api.http.problems import NotFound, RateLimited
from api.http.schemas.common import iso
from api.http.schemas.dossiers import LookupOut
from api.http.schemas.ratings import RatingOut
from api.http.services import Services
from domain.errors import DomainError
from domain.instant import MICROS, local_date
from ledger.clock import Clock
from ledger.errors import ReadOnly
from ledger.stores.ratings import NotYetDecided
from ledger.views.tables import Location


class LookupLimiter:
    """How often a client may look up, counted over a moving minute of `clock` (microseconds):

    - every lookup, per client: at most `per_client`;
    - wrong secrets (and unknown codes), per client and dossier code: at most `per_code`.

    A client over either is answered 429 before its secret is checked, so that answer says
    nothing about the secret. Nothing is counted per code alone: such a count cannot tell the
    dossier's owner from a guesser (only the secret can), so it would let anyone lock the owner
    out; and letting a right secret through it would tell the guesser which one was right. What
    stops guessing is the secret itself (50 bits) under the per-client limit. A client is an IPv4
    address or an IPv6 /64 (`client_of`).

    Memory is bounded: at most `size` clients and (client, code) pairs are remembered, the least
    recently seen forgotten first."""

    def __init__(
        self,
        per_client: int,
        per_code: int,
        clock: Clock,
        window_seconds: int = 60,
        size: int = 100_000,
    ) -> None:
        self.per_client, self.per_code, self.clock, self.size = per_client, per_code, clock, size
        self.window = window_seconds * MICROS
        self._seen: OrderedDict[tuple[str, ...], deque[int]] = OrderedDict()
        self._lock = threading.Lock()

    def admit(self, client: str, code: str) -> None:
        """Count a lookup by `client` of `code`; RateLimited (with the seconds until it may try
        again) if it has had its lookups this minute, or its wrong secrets for this code."""
        now = self.clock.now()
        with self._lock:
            misses = self._recent(("code", client, code), now)
            if len(misses) >= self.per_code:
                raise self._limited(misses, now, f"at most {self.per_code} wrong secrets a minute")
            lookups = self._recent(("client", client), now)
            if len(lookups) >= self.per_client:
                raise self._limited(lookups, now, f"at most {self.per_client} lookups a minute")
            lookups.append(now)

    def missed(self, client: str, code: str) -> None:
        """Count a wrong secret (or an unknown code) `client` gave for `code`."""
        now = self.clock.now()
        with self._lock:
            self._recent(("code", client, code), now).append(now)

    def _recent(self, key: tuple[str, ...], now: int) -> deque[int]:
        """The times of `key`'s hits within the window, oldest first; kept, and touched."""
        times = self._seen.get(key)
        if times is None:
            times = self._seen[key] = deque()
            while len(self._seen) > self.size:
                self._seen.popitem(last=False)
        self._seen.move_to_end(key)
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def _limited(self, times: deque[int], now: int, what: str) -> RateLimited:
        wait = -(-(times[0] + self.window - now) // MICROS)  # whole seconds, rounded up
        return RateLimited(f"{what}; try again shortly", retry_after=max(1, wait))


def client_of(http: Request) -> str:
    """What the lookup's limits count against: the client's address (the socket's peer, or what a
    trusted proxy forwarded: api/http/forwarded.py); for IPv6 its /64, since one subscriber usually
    holds a whole /64 and could otherwise take a fresh address for every guess."""
    host = http.client.host if http.client else "unknown"
    try:
        found = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(found, ipaddress.IPv6Address):
        if found.ipv4_mapped is not None:
            return str(found.ipv4_mapped)
        return str(ipaddress.ip_network(f"{found}/64", strict=False))
    return str(found)


def stored_code(services: Services, code: str) -> str:
    """The dossier code as it is recorded, whatever the letter case it was typed in: `code`
    itself if a dossier has exactly that code, else its upper-case form — the agency
    identifiers that begin the codes the circular's rule makes are upper case
    (000.66.29.H59-250708-0001), so "000.66.29.h59-250708-0001" finds that dossier. No two codes
    collide: a code recorded in another case (an old "hs-001" beside an "HS-001") is still found
    exactly as recorded, and any other spelling leads to one code only, the upper-case one."""
    upper = code.upper()
    if code == upper:
        return code
    try:
        services.ledger.dossier(code)
    except DomainError:
        return upper
    return code


def citizen_lookup(services: Services, http: Request, code: str, secret: str) -> LookupOut:
    """What a citizen may know of a dossier, given its code and the receipt secret; the same
    NotFound for an unknown code and a wrong secret; RateLimited per client, and per client and
    code for wrong secrets (LookupLimiter)."""
    location = _opened(services, http, stored_code(services, code), secret)
    office = location.custodian or location.transit_to
    day = local_date(services.clock.now())
    return LookupOut(
        code=location.code,
        procedure=location.procedure,
        procedure_name=_procedure_name(services, location.procedure, location.version),
        status=location.status,
        office=office,
        office_name=_office_name(services, office, day),
        since=location.since,
        since_iso=iso(location.since),
        appointed=location.appointed,
        appointed_iso=iso(location.appointed),
        decided=location.decided,
        ended=services.ledger.dossier(code).closed if location.status == "closed" else None,
    )


def citizen_rating(
    services: Services, http: Request, code: str, secret: str, score: int
) -> RatingOut:
    """The citizen's rating of a dossier's handling, kept once (AlreadyRated after) and only once
    the dossier is decided (NotYetDecided); opened by the code and the receipt secret under the
    lookup's limits, with the lookup's answers (NotFound, RateLimited)."""
    code = stored_code(services, code)
    location = _opened(services, http, code, secret)
    if location.decided is None:
        raise NotYetDecided(f"dossier {code} has no decision yet")
    if services.read_only:
        raise ReadOnly("this server keeps no ratings: rate on the primary")
    rating = services.ratings.rate(code, score, services.clock.now())
    return RatingOut(
        code=rating.code,
        score=rating.score,
        rated_at=rating.rated_at,
        rated_at_iso=iso(rating.rated_at),
    )


def _opened(services: Services, http: Request, code: str, secret: str) -> Location:
    """Where dossier `code` is, if `secret` is its receipt's; the same NotFound for an unknown
    code and a wrong secret; RateLimited (LookupLimiter)."""
    limiter: LookupLimiter = http.app.state.lookups
    client = client_of(http)
    limiter.admit(client, code)
    unknown = NotFound("no dossier has this code and receipt secret")
    try:
        signed = signed_commitment(services, code)
    except DomainError:  # no such dossier: the same answer as a wrong secret
        limiter.missed(client, code)
        raise unknown from None
    # only the secret of the record the recorded receipt signed opens the lookup
    if not services.applicants.check_secret(code, secret, signed):
        limiter.missed(client, code)
        raise unknown
    location = services.views().location(code)
    if location is None:
        raise unknown
    return location


def _office_name(services: Services, office: str | None, day: date) -> str | None:
    if office is None:
        return None
    try:
        return services.ledger.office(office).name_on(day)
    except DomainError:
        return None


def _procedure_name(services: Services, code: str, version: int) -> str | None:
    try:
        return services.ledger.procedure(code).get_version(version).name_vi
    except DomainError:
        return None
