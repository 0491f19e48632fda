"""How each kind of statement is applied: look up the registry context it needs, then let the
aggregate decide (its guards raise before anything changes). A part of `Ledger` (a mixin); the
aggregates are read through the ledger's `_get`, as the batch being recorded has left them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

from domain.dossier import Dossier, Successors
from domain.errors import (
    RegistryConflict,
    UnknownDossier,
    UnknownKey,
    UnknownOffice,
    UnknownOfficer,
    UnknownProcedure,
)
from domain.instant import local_date, parse_date
from domain.office import Office
from domain.officer import Authority, Key, Officer
from domain.procedure import Procedure
from domain.revocation import Revocations
from domain.signed import SignedAggregate
from domain.statement import Entry
from ledger.errors import AlreadyInitialised, BadField, NotInitialised
from ledger.statements import signing

A = TypeVar("A", bound=SignedAggregate)
# A statement kind's handler: the entry and the subject's aggregate as it stands (None before its
# first statement) -> the aggregate the entry's events were applied to.
Handler = Callable[[Entry, Any], SignedAggregate]
# A dossier command such as `Dossier.acknowledge`: the dossier, the entry, the offices' successors.
DossierCommand = Callable[[Dossier, Entry, Successors], None]

UNKNOWN = {
    "dossier": UnknownDossier,
    "office": UnknownOffice,
    "officer": UnknownOfficer,
    "key": UnknownKey,
    "procedure": UnknownProcedure,
    "authority": NotInitialised,
    "revocation": UnknownKey,
}


class Handlers:
    if TYPE_CHECKING:  # provided by the Ledger this is mixed into

        def _get(self, cls: type[A], family: str, subject: str) -> A: ...
        def _check_enrolment(self, body: Any, officer: Officer) -> None: ...
        def _check_revocation_data(self, entry: Entry) -> None: ...

    def handler_table(self) -> dict[str, Handler]:
        """The handler of every statement kind."""
        return {
            "authority.established": self._establish_authority,
            "authority.rotated": self._rotate_authority,
            "office.established": self._establish_office,
            "office.renamed": on_existing(Office.rename),
            "office.reparented": self._reparent_office,
            "office.merged": self._merge_office,
            "office.dissolved": self._dissolve_office,
            "officer.enrolled": self._enroll_officer,
            "officer.moved": self._move_officer,
            "officer.left": on_existing(Officer.leave),
            "key.registered": self._register_key,
            "key.revoked": on_existing(Key.revoke),
            "revocation.recorded": self._record_revocation,
            "procedure.published": self._publish_procedure,
            "dossier.received": self._receive_dossier,
            "handover.dispatched": self._dispatch,
            "handover.acknowledged": self._on_dossier(Dossier.acknowledge),
            "handover.rejected": self._on_dossier(Dossier.reject),
            "handover.recalled": self._on_dossier(Dossier.recall),
            "dossier.supplement_requested": self._on_dossier(Dossier.request_supplement),
            "dossier.supplement_received": self._on_dossier(Dossier.receive_supplement),
            "dossier.delay_notified": self._on_dossier(Dossier.notify_delay),
            "dossier.decided": self._decide,
            "dossier.result_returned": self._on_dossier(Dossier.return_result),
            "dossier.withdrawn": self._on_dossier(Dossier.withdraw),
            "dossier.refused": self._on_dossier(Dossier.refuse),
            "dossier.extension_requested": self._on_dossier(Dossier.request_extension),
            "dossier.stopped": self._on_dossier(Dossier.stop),
        }

    def _establish_authority(self, entry: Entry, current: Any) -> SignedAggregate:
        if current is not None:
            raise AlreadyInitialised("this ledger already has an authority")
        return Authority.establish(entry, entry.statement.key)

    def _rotate_authority(self, entry: Entry, authority: Authority | None) -> SignedAggregate:
        authority = required(authority, entry)
        authority.rotate(entry, signing.key_id(entry.statement.body["public_key"]))
        return authority

    def _establish_office(self, entry: Entry, _current: Any) -> SignedAggregate:
        parent_id = entry.statement.body.get("parent")
        parent = self._get(Office, "office", parent_id) if parent_id else None
        return Office.establish(entry, parent)

    def _reparent_office(self, entry: Entry, office: Office | None) -> SignedAggregate:
        office = required(office, entry)
        parent_id = entry.statement.body.get("parent")
        parent = self._get(Office, "office", parent_id) if parent_id else None
        day = parse_date(entry.statement.body["effective"])
        office.reparent(entry, parent, self._ancestors(parent, day))
        return office

    def _ancestors(self, office: Office | None, day: Any) -> list[str]:
        """Every office above `office` on `day` or at any later date: changes already scheduled
        after `day` count too, so no ordering of reparent statements can build a cycle."""
        seen: list[str] = []
        waiting = [office] if office is not None else []
        while waiting:
            current = waiting.pop()
            if current.subject in seen:
                continue
            seen.append(current.subject)
            waiting.extend(
                self._get(Office, "office", parent)
                for parent in current.parents_from(day)
                if parent
            )
        return seen

    def _merge_office(self, entry: Entry, office: Office | None) -> SignedAggregate:
        office = required(office, entry)
        successor = self._get(Office, "office", entry.statement.body["successor"])
        chain = [successor.subject]
        while successor.successor and successor.successor not in chain:
            chain.append(successor.successor)
            successor = self._get(Office, "office", successor.successor)
        if office.subject in chain:
            raise RegistryConflict(
                f"office {office.subject} cannot be merged into {chain[0]}: "
                f"{chain[0]} is itself merged, directly or in turn, into {office.subject}"
            )
        office.merge_into(
            entry, self._get(Office, "office", chain[0]), self._by_procedure(entry)
        )
        return office

    def _dissolve_office(self, entry: Entry, office: Office | None) -> SignedAggregate:
        office = required(office, entry)
        office.dissolve(entry, self._by_procedure(entry))
        return office

    def _by_procedure(self, entry: Entry) -> dict[str, Office]:
        """The successor named for each procedure in a merger or a dissolution: each procedure
        named once, each successor an existing office. The procedure need not be published (a
        bundle replays the statement without the procedures it names)."""
        found: dict[str, Office] = {}
        for index, row in enumerate(entry.statement.body.get("by_procedure", [])):
            procedure = row["procedure"]
            if procedure in found:
                raise BadField(
                    f"body.by_procedure[{index}]: procedure {procedure} is named twice; "
                    f"give each procedure one successor"
                )
            found[procedure] = self._get(Office, "office", row["successor"])
        return found

    def _enroll_officer(self, entry: Entry, _current: Any) -> SignedAggregate:
        self._require_office_on(entry.statement.body["office"], entry.statement.body["effective"])
        return Officer.enroll(entry)

    def _move_officer(self, entry: Entry, officer: Officer | None) -> SignedAggregate:
        officer = required(officer, entry)
        self._require_office_on(entry.statement.body["office"], entry.statement.body["effective"])
        officer.move(entry)
        return officer

    def _require_office_on(self, office_id: str, at: int) -> None:
        self._get(Office, "office", office_id).require_active(local_date(at))

    def _register_key(self, entry: Entry, _current: Any) -> SignedAggregate:
        body = entry.statement.body
        if entry.statement.subject != signing.key_id(body["public_key"]):
            raise BadField(
                f"statement.subject {entry.statement.subject} is not the id of the "
                f"public key it registers ({signing.key_id(body['public_key'])})"
            )
        officer = self._get(Officer, "officer", body["officer"])
        if "certificates" in body:
            self._check_enrolment(body, officer)
        elif len(body["public_key"]) != signing.ED25519_KEY_BYTES:
            raise BadField(
                f"body.public_key is {len(body['public_key'])} bytes: a key registered without "
                f"certificates is a 32-byte Ed25519 key (a certificate key names its chain in "
                f"body.certificates)"
            )
        return Key.register(entry)

    def _record_revocation(self, entry: Entry, current: Revocations | None) -> SignedAggregate:
        self._check_revocation_data(entry)
        if current is None:
            return Revocations.start(entry)
        if current.holds(entry.statement.body["sha256"]):
            raise RegistryConflict(
                f"the {entry.statement.body['format'].upper()} with SHA-256 "
                f"{entry.statement.body['sha256'].hex()} is already recorded for issuer "
                f"{entry.statement.subject}"
            )
        current.add(entry)
        return current

    def _publish_procedure(self, entry: Entry, procedure: Procedure | None) -> SignedAggregate:
        if procedure is None:
            return Procedure.publish_first(entry)
        procedure.publish(entry)
        return procedure

    def _receive_dossier(self, entry: Entry, _current: Any) -> SignedAggregate:
        body = entry.statement.body
        procedure = self._get(Procedure, "procedure", body["procedure"])
        version = procedure.require_effective(body["version"], local_date(entry.statement.at))
        return Dossier.receive(entry, version)

    def _on_dossier(self, command: DossierCommand) -> Handler:
        """The handler that runs `command` (a method of `Dossier`, such as `Dossier.acknowledge`)
        on the existing dossier, with the successors of the offices it involves."""

        def handle(entry: Entry, dossier: Dossier | None) -> SignedAggregate:
            found = required(dossier, entry)
            command(found, entry, self._successors(found, entry))
            return found

        return handle

    def _successors(self, dossier: Dossier, entry: Entry) -> dict[str, str]:
        """For the offices holding or exchanging the dossier: the office that took over its
        dossiers by the statement's date, following successive changes — the successor named
        for the dossier's procedure, else the one merged into, else (a dissolution that passes
        them back) the office that received the dossier, as it stands that day."""
        day = local_date(entry.statement.at)
        parties = [
            dossier.custodian,
            *((dossier.transit.sender, dossier.transit.addressee) if dossier.transit else ()),
        ]
        found: dict[str, str] = {}
        for party in filter(None, parties):
            office = self._get(Office, "office", party)
            visited = {party}
            while office.ended is not None and office.ended <= day:
                following = office.successor_for(dossier.procedure)
                if following is None and office.passes_to_receiver:
                    following = dossier.received_by
                if following is None or following in visited:
                    break  # nobody took it over; a loop is refused when recorded
                office = self._get(Office, "office", following)
                visited.add(office.subject)
            if office.subject != party:
                found[party] = office.subject
        return found

    def _dispatch(self, entry: Entry, dossier: Dossier | None) -> SignedAggregate:
        dossier = required(dossier, entry)
        addressee = self._get(Office, "office", entry.statement.body["to"])
        dossier.dispatch(entry, addressee, self._successors(dossier, entry))
        return dossier

    def _decide(self, entry: Entry, dossier: Dossier | None) -> SignedAggregate:
        dossier = required(dossier, entry)
        office = self._get(Office, "office", entry.statement.office)
        procedure = self._get(Procedure, "procedure", dossier.procedure)
        version = procedure.get_version(dossier.procedure_version)
        in_force = procedure.effective_on(local_date(entry.statement.at))
        if in_force is not None and in_force.version != version.version:
            # the dossier keeps the budgets of its version; who may decide it is the law's on the
            # day of the decision too: the communes decide on 1/7/2025 what the districts did
            # (docs/law.md, "Who decides after a reorganisation")
            decides = tuple(dict.fromkeys((*version.decides, *in_force.decides)))
            version = replace(version, decides=decides)
        dossier.decide(entry, office, version, self._successors(dossier, entry))
        return dossier


def on_existing(command: Callable[[A, Entry], None]) -> Handler:
    """The handler that runs `command` (an aggregate's method, such as `Office.rename`) on the
    existing aggregate; none yet is refused as unknown."""

    def handle(entry: Entry, aggregate: A | None) -> SignedAggregate:
        found = required(aggregate, entry)
        command(found, entry)
        return found

    return handle


def required(aggregate: A | None, entry: Entry) -> A:
    if aggregate is None:
        statement = entry.statement
        raise UNKNOWN[statement.family](
            f"{statement.family} {statement.subject} has no history; "
            f"{statement.kind} needs an existing one"
        )
    return aggregate
