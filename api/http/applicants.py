"""The applicant's record as the edges handle it: one implementation for the JSON API, the
officer's page and the citizen's lookup (the store itself is ledger/stores/applicants.py).

- Receiving: the details are stored only after everything else about the receipt is checked —
  the kind, the code (the identifier rule), that the caller writes for that office as that officer,
  that no dossier has the code yet, and that the statement builds — and the pending record is the
  proposer's (ApplicantStore.propose), so nobody else can plant details on a dossier or swap them
  between another office's prepare and submit.
- Recording: only the record committing to what the recorded statement signed, proposed in its
  office, is confirmed and gets a receipt secret.
- Reading: a record is served, and a receipt secret opens the lookup, only when the record commits
  to what the recorded dossier.received signed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from api.http.access import may_write
from api.http.problems import BadRequest
from api.http.services import Services
from domain.errors import DossierExists
from domain.identifier import check_identifier
from domain.statement import Statement
from ledger.application import Receipt
from ledger.stores.applicants import ApplicantRecord, Proposal
from ledger.stores.tokens import Token

RECEIVED = "dossier.received"
# stands in for the commitment while the statement is checked, before anything is stored
PLACEHOLDER = bytes(32)


def propose(
    services: Services,
    token: Token,
    *,
    kind: str,
    code: str,
    office: str,
    officer: str,
    details: Mapping[str, str],
    build: Callable[[bytes], bytes],
) -> tuple[bytes, Proposal]:
    """The statement bytes `build(commitment)` gives, and the proposal whose commitment they carry.
    Everything is checked before the details are stored; a refusal stores nothing."""
    if kind != RECEIVED:
        raise BadRequest("applicant details go with dossier.received only")
    check_identifier(code, "subject")
    may_write(token, "dossier", office, officer)
    seq, _head = services.ledger.head("dossier", code)
    if seq:
        raise DossierExists(
            f"dossier {code} was already received (its history has {seq} statements); its "
            f"applicant details were given then, and nothing can be added to or replace them"
        )
    build(PLACEHOLDER)  # the statement's own checks (procedure, body, instants) come first
    proposal = services.applicants.propose(
        code, details, services.clock.now(), office=office, officer=officer
    )
    return build(proposal.commitment), proposal


def confirm(services: Services, statement: Statement, receipt: Receipt) -> str | None:
    """The receipt secret of a recorded dossier.received whose applicant record the store keeps
    (None for any other statement, or when the record is not kept here)."""
    if statement.kind != RECEIVED:
        return None
    return services.applicants.confirm(
        statement.subject, statement.body["applicant"], receipt.recorded_at, office=statement.office
    )


def signed_commitment(services: Services, code: str) -> bytes:
    """The applicant commitment dossier `code`'s recorded dossier.received carries; UnknownDossier
    if there is none."""
    commitment = services.ledger.received(code).statement.body["applicant"]
    assert isinstance(commitment, bytes)
    return commitment


def read(services: Services, code: str) -> ApplicantRecord:
    """The record of a recorded dossier, if it commits to what was signed (ApplicantMismatch if
    not; UnknownDossier, UnknownApplicant, ApplicantErased as the store says)."""
    return services.applicants.read(code, signed_commitment(services, code))
