"""Who may do what: the bearer token of a request, and the rules of each role.

- officer: submits dossier statements signed by its own officer for its own office; reads
  dossiers, the registry and the log; its own office's inbox, stalls and reports; the applicant
  record of a dossier its office has held, holds or has been sent.
- inspector: reads everything within its office's subtree (offices at or below it on the day);
  dossiers that passed through that subtree.
- consumer: reads dossiers, the registry, the log and the feed; no reports, no personal data.
- registrar: submits registry statements; reads like a consumer; erases applicant data.
Missing or unusable token → 401; a valid token that may not do this → 403.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.http.problems import Forbidden, Unauthenticated
from api.http.services import Services
from domain.instant import local_date
from domain.statement import Statement
from ledger.stores.tokens import Token
from ledger.views.sla import Inspector

bearer = HTTPBearer(auto_error=False, description="a token from `lienthong token create`")


async def services(request: Request) -> Services:
    services = request.app.state.services
    assert isinstance(services, Services)
    return services


ServicesDep = Annotated[Services, Depends(services)]


async def caller(
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Token:
    if credentials is None:
        raise Unauthenticated("send the header Authorization: Bearer <token>")
    return services.tokens_seen.authenticate(credentials.credentials, services.clock.now())


Caller = Annotated[Token, Depends(caller)]


def require(token: Token, *roles: str) -> None:
    if token.role not in roles:
        raise Forbidden(f"a {token.role} token may not do this; it needs: {', '.join(roles)}")


def may_submit(token: Token, statement: Statement) -> None:
    """Officers sign dossier statements for their own office as themselves; registrars sign the
    registry. Nobody else writes."""
    may_write(token, statement.family, statement.office, statement.officer)


def may_write(token: Token, family: str, office: str, officer: str) -> None:
    if family == "dossier":
        require(token, "officer")
        if officer != token.officer or office != token.office:
            raise Forbidden(
                f"this token acts for officer {token.officer} in office {token.office}; the "
                f"statement is signed as {officer} in {office}"
            )
        return
    require(token, "registrar")


def may_read_office(token: Token, office: str, inspector: Inspector, day: date) -> None:
    """Office-level reads (inbox, stalls, reports): an officer's own office, an inspector's
    subtree, a registrar's anything."""
    if token.role == "registrar":
        return
    if token.role == "officer" and office == token.office:
        return
    if token.role == "inspector" and token.office and inspector.within(office, token.office, day):
        return
    raise Forbidden(f"a {token.role} token for {token.office or 'no office'} may not read {office}")


def offices_of(inspector: Inspector, code: str) -> set[str]:
    """Every office a dossier has been received at, sent to or sent from."""
    offices: set[str] = set()
    location = inspector.projector.location(code)
    if location is not None:
        offices.add(location.received_by)
    for leg in inspector.projector.legs(code):
        offices.update((leg.from_office, leg.to_office))
    return offices


def may_read_dossier(token: Token, code: str, inspector: Inspector, at: int) -> None:
    """Inspectors see the dossiers that passed through their subtree; the other roles see all."""
    if token.role != "inspector":
        return
    root, day = token.office or "", local_date(at)
    location = inspector.projector.location(code)
    procedure = location.procedure if location is not None else None
    received_by = location.received_by if location is not None else None
    if any(
        inspector.within(office, root, day, procedure=procedure, received_by=received_by)
        for office in offices_of(inspector, code)
    ):
        return
    raise Forbidden(f"dossier {code} never passed through {root} or the offices below it")


def may_read_applicant(token: Token, code: str, inspector: Inspector) -> None:
    if token.role == "registrar":
        return
    if token.role == "officer" and token.office in offices_of(inspector, code):
        return
    raise Forbidden(
        f"only officers of an office that has held dossier {code}, or a registrar, may read its "
        f"applicant's details"
    )


def holders(inspector: Inspector, code: str) -> set[str]:
    """The offices that have held a dossier, hold it, or have it in transit to them (not those
    that refused it, nor those a dispatch was recalled from before it arrived)."""
    offices: set[str] = set()
    location = inspector.projector.location(code)
    if location is not None:
        offices.add(location.received_by)
    for leg in inspector.projector.legs(code):
        offices.add(leg.from_office)
        if leg.outcome in (None, "acknowledged"):
            offices.add(leg.to_office)
    return offices


def may_upload_file(token: Token, code: str, inspector: Inspector) -> None:
    """An officer attaches files to a dossier its office holds, or to one not yet received
    (the files of the receipt arrive before the dossier.received that lists them)."""
    require(token, "officer")
    location = inspector.projector.location(code)
    if location is None or location.custodian == token.office:
        return
    holder = location.custodian or f"nobody (in transit to {location.transit_to})"
    raise Forbidden(
        f"office {token.office} does not hold dossier {code}: files are attached by the office "
        f"that holds it, now {holder}"
    )


def may_read_files(token: Token, code: str, inspector: Inspector, at: int) -> None:
    """A dossier's files: officers of the offices that held, hold or are being sent it;
    inspectors whose subtree it passed through. Nobody else."""
    if token.role == "officer" and token.office in holders(inspector, code):
        return
    if token.role == "inspector":
        may_read_dossier(token, code, inspector, at)
        return
    raise Forbidden(
        f"only officers of an office that has held dossier {code} (or is being sent it), and "
        f"inspectors over them, may read its files"
    )
