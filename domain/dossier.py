"""The dossier (hồ sơ) and its custody: exactly one office holds it, or it is in transit.

Each command takes a verified `Entry` whose `office` is the acting office; the registry has already
checked that its officer belonged to that office at `at`. Guards raise before anything changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from domain.errors import (
    AlreadyDecided,
    AlreadyInTransit,
    BadAppointment,
    ClockSuspended,
    DelayAlreadyNotified,
    DispatchAlreadySettled,
    DispatchMismatch,
    DispatchToSelf,
    DossierClosed,
    NoAuthorityToDecide,
    NotAddressee,
    NotAtReception,
    NotCustodian,
    NotDecided,
    NotInTransit,
    NotSender,
    NotSuspended,
    ReasonRequired,
)
from domain.instant import format_local, local_date
from domain.office import Office
from domain.procedure import ProcedureVersion
from domain.signed import SignedAggregate, pin_topics
from domain.statement import Entry

CHANNELS = ("direct", "postal", "online")
# Offices merged into a successor by the statement's date -> that successor, which takes over the
# dossiers they held or were sent (custody survives a reorganisation such as 1/7/2025).
Successors = Mapping[str, str]
NO_SUCCESSORS: Successors = {}
PURPOSES = ("process", "decide", "consult", "return")
OUTCOMES = ("approved", "refused")


@dataclass(frozen=True)
class Transit:
    dispatch: bytes  # SHA-256 of the dispatch statement
    sender: str
    addressee: str
    since: int
    documents: list[tuple[str, bytes]]


def _documents(items: Any) -> list[tuple[str, bytes]]:
    return [(item["name"], item["sha256"]) for item in items]


class Dossier(SignedAggregate):
    if TYPE_CHECKING:  # set by the events; not dataclass fields
        procedure: str
        procedure_version: int
        received_by: str
        custodian: str | None
        transit: Transit | None
        settled: dict[bytes, str]  # dispatch hash -> how it was settled
        appointed: int
        delay_notified: bool
        extensions: int  # dossier.extension_requested statements recorded (form 04 of 2025)
        suspended: bool
        decided: str | None
        closed: str | None

    # --- events ------------------------------------------------------------------------------

    class Received(SignedAggregate.Created):
        TOPIC = "lienthong.dossier.Received.v1"
        code: str
        office: str
        procedure: str
        procedure_version: int
        appointed: int

        def effect(self, aggregate: Any) -> None:
            aggregate.subject = self.code
            aggregate.procedure = self.procedure
            aggregate.procedure_version = self.procedure_version
            aggregate.received_by = self.office
            aggregate.custodian = self.office
            aggregate.transit = None
            aggregate.settled = {}
            aggregate.appointed = self.appointed
            aggregate.delay_notified = False
            aggregate.extensions = 0
            aggregate.suspended = False
            aggregate.decided = None
            aggregate.closed = None

    class Dispatched(SignedAggregate.Event):
        TOPIC = "lienthong.dossier.Dispatched.v1"
        sender: str
        addressee: str
        at: int
        documents: list[list[Any]]  # [name, sha256] pairs, as the dispatch lists them

        def effect(self, aggregate: Any) -> None:
            aggregate.transit = Transit(
                aggregate.head,
                self.sender,
                self.addressee,
                self.at,
                [(name, digest) for name, digest in self.documents],
            )
            aggregate.custodian = None

    class Acknowledged(SignedAggregate.Event):
        TOPIC = "lienthong.dossier.Acknowledged.v1"
        dispatch: bytes
        by: str  # the acknowledging office: the addressee, or its successor after a merger
        missing: list[str]  # documents sent but not received
        extra: list[str]  # documents received but not sent

        def effect(self, aggregate: Any) -> None:
            aggregate.custodian = self.by
            aggregate.settled[self.dispatch] = "acknowledged"
            aggregate.transit = None

    class Rejected(SignedAggregate.Event):
        TOPIC = "lienthong.dossier.Rejected.v1"
        dispatch: bytes

        def effect(self, aggregate: Any) -> None:
            aggregate.custodian = aggregate.transit.sender
            aggregate.settled[self.dispatch] = "rejected"
            aggregate.transit = None

    class Recalled(SignedAggregate.Event):
        TOPIC = "lienthong.dossier.Recalled.v1"
        dispatch: bytes

        def effect(self, aggregate: Any) -> None:
            aggregate.custodian = aggregate.transit.sender
            aggregate.settled[self.dispatch] = "recalled"
            aggregate.transit = None

    class SupplementRequested(SignedAggregate.Event):
        TOPIC = "lienthong.dossier.SupplementRequested.v1"

        def effect(self, aggregate: Any) -> None:
            aggregate.suspended = True

    class SupplementReceived(SignedAggregate.Event):
        TOPIC = "lienthong.dossier.SupplementReceived.v1"

        def effect(self, aggregate: Any) -> None:
            aggregate.suspended = False

    class DelayNotified(SignedAggregate.Event):
        TOPIC = "lienthong.dossier.DelayNotified.v1"
        appointed: int

        def effect(self, aggregate: Any) -> None:
            aggregate.appointed = self.appointed
            aggregate.delay_notified = True

    class ExtensionRequested(SignedAggregate.Event):
        TOPIC = "lienthong.dossier.ExtensionRequested.v1"
        appointed: int

        def effect(self, aggregate: Any) -> None:
            aggregate.appointed = self.appointed
            aggregate.extensions = getattr(aggregate, "extensions", 0) + 1

    class Decided(SignedAggregate.Event):
        TOPIC = "lienthong.dossier.Decided.v1"
        outcome: str

        def effect(self, aggregate: Any) -> None:
            aggregate.decided = self.outcome

    class ResultReturned(SignedAggregate.Event):
        TOPIC = "lienthong.dossier.ResultReturned.v1"

        def effect(self, aggregate: Any) -> None:
            aggregate.closed = "result_returned"

    class Withdrawn(SignedAggregate.Event):
        TOPIC = "lienthong.dossier.Withdrawn.v1"

        def effect(self, aggregate: Any) -> None:
            aggregate.closed = "withdrawn"

    class Refused(SignedAggregate.Event):
        TOPIC = "lienthong.dossier.Refused.v1"

        def effect(self, aggregate: Any) -> None:
            aggregate.closed = "refused"

    class Stopped(SignedAggregate.Event):
        TOPIC = "lienthong.dossier.Stopped.v1"

        def effect(self, aggregate: Any) -> None:
            aggregate.closed = "stopped"

    # --- commands ----------------------------------------------------------------------------

    @classmethod
    def receive(cls, entry: Entry, procedure: ProcedureVersion) -> Dossier:
        """`dossier.received`: the receiving office takes custody; the clock starts."""
        statement = entry.statement
        appointed = statement.body["appointed"]
        if appointed <= statement.at:
            raise BadAppointment(
                f"dossier {statement.subject}: appointed return time {format_local(appointed)} "
                f"is not after the receipt at {format_local(statement.at)}"
            )
        return cls._start(
            cls.Received,
            entry,
            code=statement.subject,
            office=statement.office,
            procedure=statement.body["procedure"],
            procedure_version=procedure.version,
            appointed=appointed,
        )

    def dispatch(
        self, entry: Entry, addressee: Office, successors: Successors = NO_SUCCESSORS
    ) -> None:
        """`handover.dispatched`: in transit from the custodian to `addressee`."""
        self._require_custody(entry, successors)
        self._require_not_suspended()
        if addressee.subject == entry.statement.office:
            raise DispatchToSelf(
                f"dossier {self.subject}: office {addressee.subject} cannot dispatch to itself"
            )
        addressee.require_active(local_date(entry.statement.at))
        documents = [
            [name, digest] for name, digest in _documents(entry.statement.body["documents"])
        ]
        self._continue(
            self.Dispatched,
            entry,
            sender=entry.statement.office,
            addressee=addressee.subject,
            at=entry.statement.at,
            documents=documents,
        )

    def acknowledge(self, entry: Entry, successors: Successors = NO_SUCCESSORS) -> None:
        """`handover.acknowledged`: custody moves to the addressee; document differences are kept."""
        transit = self._require_transit(entry)
        if entry.statement.office != successors.get(transit.addressee, transit.addressee):
            raise NotAddressee(
                f"dossier {self.subject} is in transit to office {transit.addressee}; "
                f"office {entry.statement.office} cannot acknowledge it"
            )
        received = _documents(entry.statement.body["documents"])
        missing = [name for name, digest in transit.documents if (name, digest) not in received]
        extra = [name for name, digest in received if (name, digest) not in transit.documents]
        self._continue(
            self.Acknowledged,
            entry,
            dispatch=transit.dispatch,
            by=entry.statement.office,
            missing=missing,
            extra=extra,
        )

    def reject(self, entry: Entry, successors: Successors = NO_SUCCESSORS) -> None:
        """`handover.rejected`: the addressee refuses the dispatch; custody returns to the sender."""
        transit = self._require_transit(entry)
        if entry.statement.office != successors.get(transit.addressee, transit.addressee):
            raise NotAddressee(
                f"dossier {self.subject} is in transit to office {transit.addressee}; "
                f"office {entry.statement.office} cannot reject it"
            )
        _require_reason(entry)
        self._continue(self.Rejected, entry, dispatch=transit.dispatch)

    def recall(self, entry: Entry, successors: Successors = NO_SUCCESSORS) -> None:
        """`handover.recalled`: the sender withdraws an unacknowledged dispatch."""
        transit = self._require_transit(entry)
        if entry.statement.office != successors.get(transit.sender, transit.sender):
            raise NotSender(
                f"dossier {self.subject} was dispatched by office {transit.sender}; "
                f"office {entry.statement.office} cannot recall it"
            )
        _require_reason(entry)
        self._continue(self.Recalled, entry, dispatch=transit.dispatch)

    def request_supplement(self, entry: Entry, successors: Successors = NO_SUCCESSORS) -> None:
        """`dossier.supplement_requested`: the clock is suspended until the supplement arrives."""
        self._require_custody(entry, successors)
        self._require_not_suspended()
        self._require_undecided()
        _require_reason(entry)
        self._continue(self.SupplementRequested, entry)

    def receive_supplement(self, entry: Entry, successors: Successors = NO_SUCCESSORS) -> None:
        """`dossier.supplement_received`: the clock resumes."""
        self._require_custody(entry, successors)
        if not self.suspended:
            raise NotSuspended(f"dossier {self.subject} is not awaiting a supplement")
        self._continue(self.SupplementReceived, entry)

    def notify_delay(self, entry: Entry, successors: Successors = NO_SUCCESSORS) -> None:
        """`dossier.delay_notified`: the apology slip with a new appointed time; at most once."""
        self._require_custody(entry, successors)
        if self.delay_notified:
            raise DelayAlreadyNotified(
                f"dossier {self.subject} was already re-appointed once; "
                f"the law allows one re-appointment"
            )
        _require_reason(entry)
        appointed = entry.statement.body["appointed"]
        if appointed <= self.appointed:
            raise BadAppointment(
                f"dossier {self.subject}: the new appointed time {format_local(appointed)} must be "
                f"later than the current one, {format_local(self.appointed)}"
            )
        self._continue(self.DelayNotified, entry, appointed=appointed)

    def request_extension(self, entry: Entry, successors: Successors = NO_SUCCESSORS) -> None:
        """`dossier.extension_requested` (form 04 of Circular 03/2025: apology and request to extend
        the time): the custodian apologises and asks for a later appointed time, with the reason.
        Unlike the 2018 re-appointment it may be repeated: whether Decree 118/2025 keeps the 2018
        limit of one is unconfirmed (docs/law.md), so the reports count dossiers extended twice or
        more instead of the ledger refusing them."""
        self._require_custody(entry, successors)
        self._require_undecided()
        _require_reason(entry)
        appointed = entry.statement.body["appointed"]
        if appointed <= self.appointed:
            raise BadAppointment(
                f"dossier {self.subject}: the extended appointed time {format_local(appointed)} "
                f"must be later than the current one, {format_local(self.appointed)}"
            )
        self._continue(self.ExtensionRequested, entry, appointed=appointed)

    def refuse(self, entry: Entry, successors: Successors = NO_SUCCESSORS) -> None:
        """`dossier.refused` (form 03: refusal to receive and handle): the receiving office refuses
        the dossier at reception, with the reason; closed. Only while the office that received it
        still holds it and before it was ever handed over: once another office has taken it in,
        it is being handled, and ending it is a stop (`dossier.stopped`) or a decision."""
        self._require_custody(entry, successors)
        self._require_undecided()
        receiver = successors.get(self.received_by, self.received_by)
        if entry.statement.office != receiver:
            raise NotAtReception(
                f"dossier {self.subject}: only the receiving office {self.received_by} may refuse "
                f"it, not office {entry.statement.office}"
            )
        if "acknowledged" in self.settled.values():
            raise NotAtReception(
                f"dossier {self.subject} has been handed over and taken in since its reception; "
                f"it can no longer be refused at reception: stop it (dossier.stopped) instead"
            )
        _require_reason(entry)
        self._continue(self.Refused, entry)

    def stop(self, entry: Entry, successors: Successors = NO_SUCCESSORS) -> None:
        """`dossier.stopped` (form 05 of Circular 03/2025: notice stopping the handling of the
        dossier): the custodian stops the handling, with the reason; closed. The form's name is
        "dừng giải quyết" (stop handling), not "tạm dừng" (suspend): nothing resumes a stopped
        dossier — a supplement request is how the clock is suspended."""
        self._require_custody(entry, successors)
        self._require_undecided()
        _require_reason(entry)
        self._continue(self.Stopped, entry)

    def decide(
        self,
        entry: Entry,
        office: Office,
        procedure: ProcedureVersion,
        successors: Successors = NO_SUCCESSORS,
    ) -> None:
        """`dossier.decided`: by the custodian, whose level must be one the procedure lets decide."""
        self._require_custody(entry, successors)
        self._require_not_suspended()
        self._require_undecided()
        if office.level not in procedure.decides:
            raise NoAuthorityToDecide(
                f"dossier {self.subject}: office {office.subject} is a {office.level}; procedure "
                f"{self.procedure} version {procedure.version} is decided at "
                f"{' or '.join(procedure.decides)} level"
            )
        self._continue(self.Decided, entry, outcome=entry.statement.body["outcome"])

    def return_result(self, entry: Entry, successors: Successors = NO_SUCCESSORS) -> None:
        """`dossier.result_returned`: the returning office hands the result over; closed."""
        self._require_custody(entry, successors)
        if self.decided is None:
            raise NotDecided(f"dossier {self.subject} has no decision to return yet")
        self._continue(self.ResultReturned, entry)

    def withdraw(self, entry: Entry, successors: Successors = NO_SUCCESSORS) -> None:
        """`dossier.withdrawn`: the applicant withdraws; closed."""
        self._require_custody(entry, successors)
        self._require_undecided()
        _require_reason(entry)
        self._continue(self.Withdrawn, entry)

    # --- guards ------------------------------------------------------------------------------

    def _require_open(self) -> None:
        if self.closed is not None:
            raise DossierClosed(
                f"dossier {self.subject} is closed ({self.closed}); "
                f"no further statement can be recorded on it"
            )

    def _require_custody(self, entry: Entry, successors: Successors) -> None:
        self._require_open()
        office = entry.statement.office
        if self.transit is not None:
            raise AlreadyInTransit(
                f"dossier {self.subject} is in transit from office {self.transit.sender} to office "
                f"{self.transit.addressee} since {format_local(self.transit.since)}; "
                f"office {office} does not hold it"
            )
        if successors.get(self.custodian or "", self.custodian) != office:
            raise NotCustodian(
                f"dossier {self.subject} is held by office {self.custodian}, not by office {office}"
            )

    def _require_transit(self, entry: Entry) -> Transit:
        self._require_open()
        dispatch = entry.statement.body["dispatch"]
        if dispatch in self.settled:
            raise DispatchAlreadySettled(
                f"dossier {self.subject}: dispatch {dispatch.hex()[:16]}… "
                f"was already {self.settled[dispatch]}"
            )
        if self.transit is None:
            raise NotInTransit(
                f"dossier {self.subject} is not in transit; it is held by office {self.custodian}"
            )
        if dispatch != self.transit.dispatch:
            raise DispatchMismatch(
                f"dossier {self.subject}: the statement names dispatch {dispatch.hex()[:16]}…, "
                f"but the dispatch in transit is {self.transit.dispatch.hex()[:16]}…"
            )
        return self.transit

    def _require_not_suspended(self) -> None:
        if self.suspended:
            raise ClockSuspended(
                f"dossier {self.subject} is awaiting a supplement; record "
                f"dossier.supplement_received first"
            )

    def _require_undecided(self) -> None:
        if self.decided is not None:
            raise AlreadyDecided(f"dossier {self.subject} was already decided ({self.decided})")


def _require_reason(entry: Entry) -> None:
    if not entry.statement.body.get("reason", "").strip():
        raise ReasonRequired(
            f"{entry.statement.kind} on dossier {entry.statement.subject} must state a reason"
        )


pin_topics(Dossier)
