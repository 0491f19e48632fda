"""The projection's rules: one per dossier event, each a few statements on the views' tables
(`tables.py`), run in the projector's transaction for the batch the event is in.

A rule that finds the tables not as the log says they must be (no location row to move, no earlier
dispatch to settle) raises ProjectionStopped: the projector applies nothing of that batch and stops
there, naming the entry. Registry statements only list their subject (`registered`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from domain.dossier import Dossier
from domain.statement import Statement
from ledger.errors import LedgerError
from ledger.statements import signing
from ledger.stores.database import Cursor
from ledger.views.tables import LEGS, LOCATION, Leg, Location


class ProjectionStopped(LedgerError):
    code = "projection-stopped"
    title_vi = "Bảng tra cứu dừng lại"
    title_en = "Projection stopped"


def _received(cursor: Cursor, event: Any, statement: Statement) -> None:
    received = Location(
        code=statement.subject,
        procedure=event.procedure,
        version=event.procedure_version,
        status="held",
        received_by=event.office,
        received_at=statement.at,
        custodian=event.office,
        transit_from=None,
        transit_to=None,
        since=statement.at,
        appointed=event.appointed,
        suspended_since=None,
        suspended_us=0,
        hops=0,
        decided=None,
        decided_at=None,
        closed_at=None,
        channel=statement.body["channel"],
        held_since=statement.at,
        last_seq=statement.seq,
        appointed_at_receipt=event.appointed,
        first_apology_at=None,
    )
    cursor.execute(LOCATION.insert, LOCATION.values(received))
    for document in statement.body.get("documents", []):  # a hash listed twice is one scan
        cursor.execute(
            "INSERT INTO lienthong_receipt_scans (code, sha256) VALUES (?, ?) "
            "ON CONFLICT (code, sha256) DO NOTHING",
            (statement.subject, bytes(document["sha256"])),
        )


def _dispatched(cursor: Cursor, event: Any, statement: Statement) -> None:
    code = statement.subject
    cursor.execute("SELECT hops FROM lienthong_location WHERE code = ?", (code,))
    hop = int(_row(cursor, code)[0]) + 1
    sent = Leg(
        code=code,
        hop=hop,
        dispatch=signing.statement_hash(event.raw),
        from_office=event.sender,
        from_officer=statement.officer,
        to_office=event.addressee,
        purpose=statement.body["purpose"],
        dispatched_at=statement.at,
        outcome=None,
        by_office=None,
        by_officer=None,
        ended_at=None,
        missing=0,
        extra=0,
    )
    cursor.execute(LEGS.insert, LEGS.values(sent))
    _move(cursor, statement, "in_transit", None, event.sender, event.addressee, hops=hop)


def _settled(outcome: str) -> Callable[[Cursor, Any, Statement], None]:
    def settle(cursor: Cursor, event: Any, statement: Statement) -> None:
        code = statement.subject
        cursor.execute(
            "SELECT hop, from_office FROM lienthong_legs WHERE code = ? AND dispatch = ?",
            (code, statement.body["dispatch"]),
        )
        hop, sender = _row(cursor, code)
        missing = len(getattr(event, "missing", []))
        extra = len(getattr(event, "extra", []))
        cursor.execute(
            "UPDATE lienthong_legs SET outcome = ?, by_office = ?, by_officer = ?, ended_at = ?, "
            "missing = ?, extra = ? WHERE code = ? AND hop = ?",
            (
                outcome,
                statement.office,
                statement.officer,
                statement.at,
                missing,
                extra,
                code,
                hop,
            ),
        )
        custodian = event.by if outcome == "acknowledged" else sender
        _move(cursor, statement, "held", custodian, None, None)
        if outcome == "acknowledged":  # a new turn begins; a refused or recalled one goes on
            cursor.execute(
                "UPDATE lienthong_location SET held_since = ? WHERE code = ?",
                (statement.at, code),
            )

    return settle


def _suspended(cursor: Cursor, _event: Any, statement: Statement) -> None:
    cursor.execute(
        "INSERT INTO lienthong_suspensions (code, started_at, ended_at) VALUES (?, ?, NULL)",
        (statement.subject, statement.at),
    )
    cursor.execute(
        "UPDATE lienthong_location SET status = 'suspended', suspended_since = ?, last_seq = ? "
        "WHERE code = ?",
        (statement.at, statement.seq, statement.subject),
    )


def _resumed(cursor: Cursor, _event: Any, statement: Statement) -> None:
    cursor.execute(
        "UPDATE lienthong_suspensions SET ended_at = ? WHERE code = ? AND ended_at IS NULL",
        (statement.at, statement.subject),
    )
    cursor.execute(
        "UPDATE lienthong_location SET status = 'held', "
        "suspended_us = suspended_us + (? - suspended_since), suspended_since = NULL, "
        "last_seq = ? WHERE code = ?",
        (statement.at, statement.seq, statement.subject),
    )


def _reappointed(cursor: Cursor, event: Any, statement: Statement) -> None:
    """An apology slip (a delay notice, or from 15/9/2025 an extension request): the new
    appointed time, and the earliest apology's instant (statements' times need not follow their
    order in the chain, so the earliest, not merely the first recorded)."""
    cursor.execute(
        "UPDATE lienthong_location SET appointed = ?, last_seq = ?, first_apology_at = CASE "
        "WHEN first_apology_at IS NULL OR first_apology_at > ? THEN ? ELSE first_apology_at END "
        "WHERE code = ?",
        (event.appointed, statement.seq, statement.at, statement.at, statement.subject),
    )


def _noticed(
    then: Callable[[Cursor, Any, Statement], None],
) -> Callable[[Cursor, Any, Statement], None]:
    """A notice signed to the applicant (apology, extension, refusal, stop): listed with its kind
    and time, then `then` applied."""

    def apply(cursor: Cursor, event: Any, statement: Statement) -> None:
        cursor.execute(
            "INSERT INTO lienthong_notices (code, seq, kind, at) VALUES (?, ?, ?, ?)",
            (statement.subject, statement.seq, statement.kind, statement.at),
        )
        then(cursor, event, statement)

    return apply


def _decided(cursor: Cursor, event: Any, statement: Statement) -> None:
    cursor.execute(
        "UPDATE lienthong_location SET decided = ?, decided_at = ?, last_seq = ? WHERE code = ?",
        (event.outcome, statement.at, statement.seq, statement.subject),
    )


def _closed(cursor: Cursor, _event: Any, statement: Statement) -> None:
    cursor.execute(
        "UPDATE lienthong_location SET status = 'closed', closed_at = ?, last_seq = ? "
        "WHERE code = ?",
        (statement.at, statement.seq, statement.subject),
    )


def _move(
    cursor: Cursor,
    statement: Statement,
    status: str,
    custodian: str | None,
    sender: str | None,
    addressee: str | None,
    hops: int | None = None,
) -> None:
    cursor.execute(
        "UPDATE lienthong_location SET status = ?, custodian = ?, transit_from = ?, "
        "transit_to = ?, since = ?, hops = COALESCE(?, hops), last_seq = ? WHERE code = ?",
        (
            status,
            custodian,
            sender,
            addressee,
            statement.at,
            hops,
            statement.seq,
            statement.subject,
        ),
    )
    if cursor.rowcount != 1:
        raise ProjectionStopped(f"dossier {statement.subject} has no location row to move")


def _row(cursor: Cursor, code: str) -> Any:
    row = cursor.fetchone()
    if row is None:
        raise ProjectionStopped(f"dossier {code}: the views hold no earlier entry it follows")
    return row


def registered(cursor: Cursor, statement: Statement) -> None:
    """A new registry subject (office, officer, key, procedure): listed, with a key's officer."""
    owner = statement.body.get("officer") if statement.family == "key" else None
    cursor.execute(
        "INSERT INTO lienthong_subjects (family, subject, owner) VALUES (?, ?, ?) "
        "ON CONFLICT (family, subject) DO NOTHING",
        (statement.family, statement.subject, owner),
    )


HANDLERS: dict[type[Any], Callable[[Cursor, Any, Statement], None]] = {
    Dossier.Received: _received,
    Dossier.Dispatched: _dispatched,
    Dossier.Acknowledged: _settled("acknowledged"),
    Dossier.Rejected: _settled("rejected"),
    Dossier.Recalled: _settled("recalled"),
    Dossier.SupplementRequested: _suspended,
    Dossier.SupplementReceived: _resumed,
    Dossier.DelayNotified: _noticed(_reappointed),
    Dossier.Decided: _decided,
    Dossier.ResultReturned: _closed,
    Dossier.Withdrawn: _closed,
    Dossier.Refused: _noticed(_closed),
    Dossier.ExtensionRequested: _noticed(_reappointed),
    Dossier.Stopped: _noticed(_closed),
}
