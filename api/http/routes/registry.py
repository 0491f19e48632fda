"""Reads of the registry: the office tree on a day, officers, their keys and when each is valid."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, TypeVar

from fastapi import APIRouter, Query

from api.certificate_info import key_kind
from api.http.access import Caller, ServicesDep
from api.http.routes.params import DayText, Limit, RegistryId, day
from api.http.schemas.common import Page
from api.http.schemas.registry import KeyOut, OfficeOut, OfficerOut
from api.http.services import Services
from domain.identifier import MAX_LENGTH, PATTERN
from domain.instant import local_date
from domain.office import Office
from domain.officer import Key

router = APIRouter(prefix="/registry", tags=["registry"])
T = TypeVar("T")
# Registry ids may hold a slash (office 29266/2025 is the commune made in the 2025 reform), so the
# path parameters that name them take the rest of the path.
Id = RegistryId
Cursor = Annotated[
    str | None, Query(max_length=MAX_LENGTH, pattern=PATTERN, description="from `next`")
]


def office_out(office: Office, on: date) -> OfficeOut:
    return OfficeOut(
        id=office.subject,
        name=office.name_on(on),
        level=office.level,
        parent=office.parent_on(on),
        active=office.active_on(on),
        successor=office.successor,
    )


def key_out(key: Key, now: int, officer_serving: bool) -> KeyOut:
    """`valid_now`: a statement signed with it now would be accepted as far as the key goes — in
    force (effective, and no revocation recorded, whatever its effective instant), and its officer
    still enrolled somewhere (an officer who left signs nothing)."""
    in_force = key.effective <= now and key.revoked is None
    return KeyOut(
        key=key.subject,
        officer=key.officer,
        role=key.role,
        kind=key_kind(key.public_key),
        public_key=key.public_key.hex(),
        certificates=[digest.hex() for digest in key.certificates],
        valid_from=key.effective,
        revoked_at=key.revoked,
        valid_now=in_force and officer_serving,
    )


def officer_out(services: Services, officer_id: str, now: int) -> OfficerOut:
    officer = services.ledger.officer(officer_id)
    keys = services.views().subjects("key", owner=officer_id)
    return OfficerOut(
        id=officer_id,
        office=officer.office_at(now),
        title=officer.title_at(now),
        keys=[
            key_out(services.ledger.key(key), now, officer.office_at(now) is not None)
            for key in keys
        ],
    )


def filtered_page(
    services: Services,
    family: str,
    render: Callable[[str], T],
    keep: Callable[[T], bool] | None,
    cursor: str | None,
    limit: int,
) -> Page[T]:
    """Up to `limit` rendered subjects of a family in id order after `cursor`, those `keep`
    refuses left out before the page is cut: a page is short only when nothing follows it, and
    `next` is the id of its last item."""
    items: list[T] = []
    after = cursor or ""
    while True:
        ids = services.views().subjects(family, after=after, limit=limit)
        for subject in ids:
            item = render(subject)
            if keep is None or keep(item):
                items.append(item)
                if len(items) == limit:
                    return Page(items=items, next=subject)
        if len(ids) < limit:
            return Page(items=items, next=None)
        after = ids[-1]


@router.get(
    "/offices",
    response_model=Page[OfficeOut],
    summary="The office tree on a day (today by default): every office with its name, level and "
    "parent then; `active` says whether it existed that day",
)
def offices(
    services: ServicesDep,
    _token: Caller,
    on: DayText = None,
    active_only: bool = False,
    cursor: Cursor = None,
    limit: Limit = 200,
) -> Page[OfficeOut]:
    when = day(on, "on") or local_date(services.clock.now())
    return filtered_page(
        services,
        "office",
        lambda office: office_out(services.ledger.office(office), when),
        (lambda item: item.active) if active_only else None,
        cursor,
        limit,
    )


@router.get("/offices/{office:path}", response_model=OfficeOut, summary="One office on a day")
def office(office: Id, services: ServicesDep, _token: Caller, on: DayText = None) -> OfficeOut:
    when = day(on, "on") or local_date(services.clock.now())
    return office_out(services.ledger.office(office), when)


@router.get(
    "/officers",
    response_model=Page[OfficerOut],
    summary="Officers (optionally of one office now), with their keys",
)
def officers(
    services: ServicesDep,
    _token: Caller,
    office: Annotated[
        str | None,
        Query(max_length=MAX_LENGTH, pattern=PATTERN, description="officers of this office now"),
    ] = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> Page[OfficerOut]:
    now = services.clock.now()
    return filtered_page(
        services,
        "officer",
        lambda officer: officer_out(services, officer, now),
        None if office is None else (lambda item: item.office == office),
        cursor,
        limit,
    )


@router.get(
    "/officers/{officer:path}", response_model=OfficerOut, summary="One officer and their keys"
)
def officer(officer: Id, services: ServicesDep, _token: Caller) -> OfficerOut:
    return officer_out(services, officer, services.clock.now())


@router.get("/keys/{key}", response_model=KeyOut, summary="One key: whose, and when valid")
def key(key: Id, services: ServicesDep, _token: Caller) -> KeyOut:
    found_key, now = services.ledger.key(key), services.clock.now()
    officer = services.ledger.officer(found_key.officer)
    return key_out(found_key, now, officer.office_at(now) is not None)
