"""The dossier's custody rules, on the aggregate itself: no ledger, no signatures, no store.

tests/test_custody.py checks the same rules through the ledger (the wiring: who signed, what the
ledger looks up, that nothing is recorded); here each command of domain/dossier.py is driven
directly, and a refusal must leave the aggregate exactly as it was, with no event pending.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from domain.dossier import Dossier, Successors
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
    NotCustodian,
    NotDecided,
    NotInTransit,
    NotSender,
    NotSuspended,
    OfficeNotActive,
    ReasonRequired,
)
from domain.signed import subject_id
from domain.statement import Entry
from tests.unit.entries import (
    CODE,
    DAY,
    HOUR,
    PROCEDURE,
    START,
    document,
    entry,
    office,
    offices,
    procedure_version,
    refused,
)

APPLICATION = document("Đơn đề nghị")
DECISION = {"outcome": "approved", "reference": "QĐ 12/QĐ-UBND", "documents": []}


class Desk:
    """One dossier and the offices around it, with a clock that moves an hour per statement."""

    def __init__(self, appointed: int = START + 20 * DAY) -> None:
        self.offices = offices()
        self.version = procedure_version()
        self.now = START
        self.seq = 0
        self.dossier = Dossier.receive(
            self.entry("29266", "dossier.received", received(appointed)), self.version
        )

    def entry(self, office: str, kind: str, body: dict[str, Any]) -> Entry:
        self.now += HOUR
        self.seq += 1
        return entry(kind, CODE, body, office=office, at=self.now, seq=self.seq)

    def dispatch(self, sender: str, to: str, documents: list[Any] | None = None) -> bytes:
        """Dispatch from `sender` to `to`; the dispatch's hash, as a settling statement names it."""
        sent = self.entry(sender, "handover.dispatched", dispatched(to, documents))
        self.dossier.dispatch(sent, self.offices[to])
        return sent.digest

    def acknowledge(
        self,
        office: str,
        dispatch: bytes,
        documents: list[Any] | None = None,
        successors: Successors | None = None,
    ) -> None:
        body = {
            "dispatch": dispatch,
            "documents": [APPLICATION] if documents is None else documents,
        }
        self.dossier.acknowledge(
            self.entry(office, "handover.acknowledged", body), successors or {}
        )

    def hand_over(self, sender: str, to: str) -> None:
        self.acknowledge(to, self.dispatch(sender, to))

    def decide(self, office: str = "84", outcome: str = "approved") -> None:
        self.dossier.decide(
            self.entry(office, "dossier.decided", {**DECISION, "outcome": outcome}),
            self.offices[office],
            self.version,
        )

    def at_province_decided(self) -> None:
        self.hand_over("29266", "844")
        self.hand_over("844", "84")
        self.decide()

    def suspend(self, office: str = "29266") -> None:
        self.dossier.request_supplement(self.entry(office, "dossier.supplement_requested", ASKED))


ASKED = {"reason": "Thiếu giấy xác nhận", "missing": ["Giấy xác nhận người có công"]}


def received(appointed: int) -> dict[str, Any]:
    return {
        "procedure": PROCEDURE,
        "version": 1,
        "applicant": hashlib.sha256(b"salt|applicant").digest(),
        "channel": "direct",
        "documents": [APPLICATION],
        "appointed": appointed,
    }


def dispatched(to: str, documents: list[Any] | None = None) -> dict[str, Any]:
    return {
        "to": to,
        "purpose": "process",
        "documents": [APPLICATION] if documents is None else documents,
    }


# --- happy paths -----------------------------------------------------------------------------


def test_a_received_dossier_is_held_by_the_receiving_office_and_its_clock_runs() -> None:
    desk = Desk()
    dossier = desk.dossier

    assert dossier.id == subject_id("dossier", CODE)
    assert (dossier.subject, dossier.version) == (CODE, 1)
    assert (dossier.procedure, dossier.procedure_version) == (PROCEDURE, 1)
    assert (dossier.received_by, dossier.custodian, dossier.transit) == ("29266", "29266", None)
    assert (dossier.appointed, dossier.delay_notified) == (START + 20 * DAY, False)
    assert (dossier.suspended, dossier.decided, dossier.closed, dossier.settled) == (
        False,
        None,
        None,
        {},
    )
    [event] = dossier.pending_events
    assert isinstance(event, Dossier.Received)
    assert dossier.head == hashlib.sha256(event.raw).digest()


def test_dispatch_puts_the_dossier_in_transit_and_acknowledgement_gives_custody_to_the_addressee() -> (
    None
):
    desk = Desk()
    dispatch = desk.dispatch("29266", "844")
    dossier = desk.dossier

    assert dossier.custodian is None
    assert dossier.transit is not None
    assert dossier.head == dispatch == dossier.transit.dispatch
    assert (dossier.transit.sender, dossier.transit.addressee) == ("29266", "844")
    assert dossier.transit.since == desk.now
    assert dossier.transit.documents == [(APPLICATION["name"], APPLICATION["sha256"])]

    desk.acknowledge("844", dispatch)
    assert (dossier.custodian, dossier.transit, dossier.version) == ("844", None, 3)
    assert dossier.settled == {dispatch: "acknowledged"}
    acknowledged = dossier.pending_events[-1]
    assert isinstance(acknowledged, Dossier.Acknowledged)
    assert (acknowledged.by, acknowledged.missing, acknowledged.extra) == ("844", [], [])


def test_acknowledgement_keeps_the_documents_missing_and_extra() -> None:
    desk = Desk()
    sent = [APPLICATION, document("Giấy xác nhận")]
    dispatch = desk.dispatch("29266", "844", sent)
    changed = {"name": "Giấy xác nhận", "sha256": hashlib.sha256(b"another scan").digest()}
    desk.acknowledge("844", dispatch, [APPLICATION, changed, document("Ảnh")])

    event = desk.dossier.pending_events[-1]
    assert isinstance(event, Dossier.Acknowledged)
    # a document received with another hash is both missing (as sent) and extra (as received)
    assert (event.missing, event.extra) == (["Giấy xác nhận"], ["Giấy xác nhận", "Ảnh"])


def test_rejection_by_the_addressee_returns_custody_to_the_sender() -> None:
    desk = Desk()
    dispatch = desk.dispatch("29266", "844")
    desk.dossier.reject(
        desk.entry("844", "handover.rejected", {"dispatch": dispatch, "reason": "Sai nơi nhận"})
    )
    assert (desk.dossier.custodian, desk.dossier.transit) == ("29266", None)
    assert desk.dossier.settled == {dispatch: "rejected"}


def test_recall_by_the_sender_returns_custody_to_the_sender() -> None:
    desk = Desk()
    dispatch = desk.dispatch("29266", "844")
    desk.dossier.recall(
        desk.entry("29266", "handover.recalled", {"dispatch": dispatch, "reason": "Gửi nhầm"})
    )
    assert (desk.dossier.custodian, desk.dossier.transit) == ("29266", None)
    assert desk.dossier.settled == {dispatch: "recalled"}


def test_a_supplement_request_suspends_the_clock_and_its_receipt_resumes_it() -> None:
    desk = Desk()
    desk.suspend()
    assert desk.dossier.suspended is True
    desk.dossier.receive_supplement(desk.entry("29266", "dossier.supplement_received", {}))
    assert desk.dossier.suspended is False
    assert desk.dossier.custodian == "29266"


def test_a_delay_notification_sets_the_new_appointed_time_once() -> None:
    desk = Desk()
    later = START + 25 * DAY
    desk.dossier.notify_delay(
        desk.entry(
            "29266", "dossier.delay_notified", {"reason": "Cần xác minh", "appointed": later}
        )
    )
    assert (desk.dossier.appointed, desk.dossier.delay_notified) == (later, True)


def test_a_decision_at_a_deciding_level_then_the_result_returned_closes_the_dossier() -> None:
    desk = Desk()
    desk.at_province_decided()
    assert (desk.dossier.decided, desk.dossier.closed) == ("approved", None)
    desk.dossier.return_result(desk.entry("84", "dossier.result_returned", {}))
    assert desk.dossier.closed == "result_returned"


def test_a_withdrawal_closes_the_dossier() -> None:
    desk = Desk()
    desk.dossier.withdraw(desk.entry("29266", "dossier.withdrawn", {"reason": "Rút hồ sơ"}))
    assert desk.dossier.closed == "withdrawn"


# --- custody -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        ("handover.dispatched", dispatched("844")),
        ("dossier.supplement_requested", ASKED),
        ("dossier.supplement_received", {}),
        ("dossier.delay_notified", {"reason": "Cần xác minh", "appointed": START + 30 * DAY}),
        ("dossier.decided", DECISION),
        ("dossier.result_returned", {}),
        ("dossier.withdrawn", {"reason": "Rút hồ sơ"}),
    ],
)
def test_refuses_acting_on_a_dossier_the_office_does_not_hold(
    kind: str, body: dict[str, Any]
) -> None:
    desk = Desk()
    signed = desk.entry("29269", kind, body)
    commands = {
        "handover.dispatched": lambda: desk.dossier.dispatch(signed, desk.offices["844"]),
        "dossier.supplement_requested": lambda: desk.dossier.request_supplement(signed),
        "dossier.supplement_received": lambda: desk.dossier.receive_supplement(signed),
        "dossier.delay_notified": lambda: desk.dossier.notify_delay(signed),
        "dossier.decided": lambda: desk.dossier.decide(signed, desk.offices["29269"], desk.version),
        "dossier.result_returned": lambda: desk.dossier.return_result(signed),
        "dossier.withdrawn": lambda: desk.dossier.withdraw(signed),
    }
    refused(
        desk.dossier,
        NotCustodian,
        "is held by office 29266, not by office 29269",
        commands[kind],
    )


def test_refuses_acting_on_a_dossier_in_transit_even_by_its_sender() -> None:
    desk = Desk()
    desk.dispatch("29266", "844")
    for office_id in ("29266", "844"):
        signed = desk.entry(office_id, "handover.dispatched", dispatched("845"))
        refused(
            desk.dossier,
            AlreadyInTransit,
            f"in transit from office 29266 to office 844 .*office {office_id} does not hold it",
            lambda s=signed: desk.dossier.dispatch(s, desk.offices["845"]),
        )


def test_refuses_dispatch_to_the_dispatching_office_itself() -> None:
    desk = Desk()
    signed = desk.entry("29266", "handover.dispatched", dispatched("29266"))
    refused(
        desk.dossier,
        DispatchToSelf,
        "office 29266 cannot dispatch to itself",
        lambda: desk.dossier.dispatch(signed, desk.offices["29266"]),
    )


def test_refuses_dispatch_to_an_office_not_active_on_the_dispatch_date() -> None:
    desk = Desk()
    later = office("29272", effective="2025-07-01")
    signed = desk.entry("29266", "handover.dispatched", dispatched("29272"))
    refused(
        desk.dossier,
        OfficeNotActive,
        "29272 .*not active on 2025-03-03",
        lambda: desk.dossier.dispatch(signed, later),
    )


# --- settling a dispatch -------------------------------------------------------------------


def settle(desk: Desk, office_id: str, kind: str, dispatch: bytes) -> Any:
    """The command settling `dispatch` by `office_id`: acknowledge, reject or recall."""
    body: dict[str, Any] = {"dispatch": dispatch}
    if kind == "handover.acknowledged":
        body["documents"] = [APPLICATION]
        return lambda: desk.dossier.acknowledge(desk.entry(office_id, kind, body))
    body["reason"] = "Lý do"
    if kind == "handover.rejected":
        return lambda: desk.dossier.reject(desk.entry(office_id, kind, body))
    return lambda: desk.dossier.recall(desk.entry(office_id, kind, body))


SETTLING = [
    ("handover.acknowledged", "844"),
    ("handover.rejected", "844"),
    ("handover.recalled", "29266"),
]


@pytest.mark.parametrize(("kind", "by"), SETTLING)
@pytest.mark.parametrize("earlier", ["acknowledged", "rejected", "recalled"])
def test_refuses_settling_a_dispatch_already_settled(kind: str, by: str, earlier: str) -> None:
    desk = Desk()
    dispatch = desk.dispatch("29266", "844")
    first = {"acknowledged": SETTLING[0], "rejected": SETTLING[1], "recalled": SETTLING[2]}
    settle(desk, first[earlier][1], first[earlier][0], dispatch)()
    refused(
        desk.dossier,
        DispatchAlreadySettled,
        f"dispatch {dispatch.hex()[:16]}… was already {earlier}",
        settle(desk, by, kind, dispatch),
    )


@pytest.mark.parametrize(("kind", "by"), SETTLING)
def test_refuses_settling_a_dispatch_of_a_dossier_not_in_transit(kind: str, by: str) -> None:
    desk = Desk()
    desk.hand_over("29266", "844")
    never_sent = hashlib.sha256(b"a dispatch that was never recorded").digest()
    refused(
        desk.dossier,
        NotInTransit,
        "is not in transit; it is held by office 844",
        settle(desk, by, kind, never_sent),
    )


@pytest.mark.parametrize(("kind", "by"), SETTLING)
def test_refuses_a_dispatch_hash_that_is_not_the_one_in_transit(kind: str, by: str) -> None:
    desk = Desk()
    dispatch = desk.dispatch("29266", "844")
    other = hashlib.sha256(b"another dispatch").digest()
    refused(
        desk.dossier,
        DispatchMismatch,
        f"names dispatch {other.hex()[:16]}…, but the dispatch in transit is {dispatch.hex()[:16]}",
        settle(desk, by, kind, other),
    )


@pytest.mark.parametrize("kind", ["handover.acknowledged", "handover.rejected"])
def test_refuses_acknowledging_or_rejecting_by_an_office_other_than_the_addressee(
    kind: str,
) -> None:
    desk = Desk()
    dispatch = desk.dispatch("29266", "844")
    verb = "acknowledge" if kind == "handover.acknowledged" else "reject"
    for office_id in ("845", "29266"):
        refused(
            desk.dossier,
            NotAddressee,
            f"in transit to office 844; office {office_id} cannot {verb} it",
            settle(desk, office_id, kind, dispatch),
        )


def test_refuses_recalling_by_an_office_other_than_the_sender() -> None:
    desk = Desk()
    dispatch = desk.dispatch("29266", "844")
    for office_id in ("844", "29269"):
        refused(
            desk.dossier,
            NotSender,
            f"dispatched by office 29266; office {office_id} cannot recall it",
            settle(desk, office_id, "handover.recalled", dispatch),
        )


# --- reasons -------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", [None, "", "  \n\t"], ids=["absent", "empty", "blank"])
@pytest.mark.parametrize(
    "kind",
    [
        "handover.rejected",
        "handover.recalled",
        "dossier.supplement_requested",
        "dossier.delay_notified",
        "dossier.withdrawn",
    ],
)
def test_refuses_a_statement_that_must_state_a_reason_without_one(
    kind: str, reason: str | None
) -> None:
    desk = Desk()
    dispatch = desk.dispatch("29266", "844") if kind.startswith("handover.") else b""
    bodies: dict[str, dict[str, Any]] = {
        "handover.rejected": {"dispatch": dispatch},
        "handover.recalled": {"dispatch": dispatch},
        "dossier.supplement_requested": {"missing": ["Giấy xác nhận"]},
        "dossier.delay_notified": {"appointed": START + 30 * DAY},
        "dossier.withdrawn": {},
    }
    body = bodies[kind] | ({} if reason is None else {"reason": reason})
    office_id = "844" if kind == "handover.rejected" else "29266"
    signed = desk.entry(office_id, kind, body)
    commands = {
        "handover.rejected": desk.dossier.reject,
        "handover.recalled": desk.dossier.recall,
        "dossier.supplement_requested": desk.dossier.request_supplement,
        "dossier.delay_notified": desk.dossier.notify_delay,
        "dossier.withdrawn": desk.dossier.withdraw,
    }
    refused(
        desk.dossier,
        ReasonRequired,
        f"{kind} on dossier {CODE} must state a reason",
        lambda: commands[kind](signed),
    )


# --- the clock: supplements and re-appointments --------------------------------------------


def test_refuses_dispatch_deciding_or_a_second_request_while_awaiting_a_supplement() -> None:
    desk = Desk()
    desk.hand_over("29266", "844")
    desk.hand_over("844", "84")
    desk.suspend("84")
    for act in (
        lambda: desk.dispatch("84", "844"),
        lambda: desk.decide("84"),
        lambda: desk.suspend("84"),
    ):
        refused(desk.dossier, ClockSuspended, "is awaiting a supplement", act)
    desk.dossier.receive_supplement(desk.entry("84", "dossier.supplement_received", {}))
    desk.decide("84")
    assert desk.dossier.decided == "approved"


def test_refuses_a_supplement_received_when_none_was_requested() -> None:
    desk = Desk()
    signed = desk.entry("29266", "dossier.supplement_received", {})
    refused(
        desk.dossier,
        NotSuspended,
        "is not awaiting a supplement",
        lambda: desk.dossier.receive_supplement(signed),
    )


@pytest.mark.parametrize("appointed", [START, START - 1], ids=["at receipt", "before receipt"])
def test_refuses_an_appointed_time_not_after_the_receipt(appointed: int) -> None:
    signed = entry("dossier.received", CODE, received(appointed), office="29266", at=START)
    refused(
        None,
        BadAppointment,
        "is not after the receipt at 03/03/2025 08:00",
        lambda: Dossier.receive(signed, procedure_version()),
    )
    later = entry("dossier.received", CODE, received(START + 1), office="29266", at=START)
    assert Dossier.receive(later, procedure_version()).appointed == START + 1


@pytest.mark.parametrize("earlier", [0, 1], ids=["the same time", "a microsecond earlier"])
def test_refuses_a_re_appointment_not_later_than_the_current_one(earlier: int) -> None:
    desk = Desk()
    body = {"reason": "Cần xác minh", "appointed": START + 20 * DAY - earlier}
    signed = desk.entry("29266", "dossier.delay_notified", body)
    refused(
        desk.dossier,
        BadAppointment,
        "must be later than the current one",
        lambda: desk.dossier.notify_delay(signed),
    )


def test_refuses_a_second_delay_notification() -> None:
    desk = Desk()
    first = {"reason": "Cần xác minh", "appointed": START + 25 * DAY}
    desk.dossier.notify_delay(desk.entry("29266", "dossier.delay_notified", first))
    second = desk.entry(
        "29266", "dossier.delay_notified", {"reason": "Lần nữa", "appointed": START + 30 * DAY}
    )
    refused(
        desk.dossier,
        DelayAlreadyNotified,
        "the law allows one re-appointment",
        lambda: desk.dossier.notify_delay(second),
    )


# --- deciding and closing ------------------------------------------------------------------


def test_refuses_deciding_at_a_level_the_procedure_does_not_allow() -> None:
    desk = Desk()
    desk.hand_over("29266", "844")
    refused(
        desk.dossier,
        NoAuthorityToDecide,
        "office 844 is a district; procedure .* is decided at province level",
        lambda: desk.decide("844"),
    )


@pytest.mark.parametrize(
    "kind", ["dossier.decided", "dossier.withdrawn", "dossier.supplement_requested"]
)
def test_refuses_deciding_again_withdrawing_or_suspending_a_decided_dossier(kind: str) -> None:
    desk = Desk()
    desk.at_province_decided()
    acts = {
        "dossier.decided": lambda: desk.decide("84", "refused"),
        "dossier.withdrawn": lambda: desk.dossier.withdraw(
            desk.entry("84", kind, {"reason": "Rút hồ sơ"})
        ),
        "dossier.supplement_requested": lambda: desk.suspend("84"),
    }
    refused(desk.dossier, AlreadyDecided, r"was already decided \(approved\)", acts[kind])


def test_refuses_returning_a_result_before_a_decision() -> None:
    desk = Desk()
    signed = desk.entry("29266", "dossier.result_returned", {})
    refused(
        desk.dossier,
        NotDecided,
        "has no decision to return yet",
        lambda: desk.dossier.return_result(signed),
    )


@pytest.mark.parametrize("closing", ["result_returned", "withdrawn"])
def test_refuses_any_statement_on_a_closed_dossier(closing: str) -> None:
    desk = Desk()
    if closing == "result_returned":
        desk.at_province_decided()
        desk.dossier.return_result(desk.entry("84", "dossier.result_returned", {}))
        holder = "84"
    else:
        desk.dossier.withdraw(desk.entry("29266", "dossier.withdrawn", {"reason": "Rút"}))
        holder = "29266"
    acts = [
        lambda: desk.dispatch(holder, "845"),
        lambda: desk.suspend(holder),
        lambda: desk.dossier.return_result(desk.entry(holder, "dossier.result_returned", {})),
        lambda: desk.dossier.withdraw(desk.entry(holder, "dossier.withdrawn", {"reason": "R"})),
        settle(desk, holder, "handover.recalled", desk.dossier.head),
    ]
    for act in acts:
        refused(desk.dossier, DossierClosed, f"is closed \\({closing}\\)", act)


# --- successors of merged offices ----------------------------------------------------------


MERGED: Successors = {"29266": "29269"}  # Thị trấn Càng Long merged into Xã Mỹ Cẩm


def test_the_successor_of_a_merged_custodian_acts_for_it_and_the_merged_office_no_longer_can() -> (
    None
):
    desk = Desk()
    signed = desk.entry("29269", "handover.dispatched", dispatched("844"))
    desk.dossier.dispatch(signed, desk.offices["844"], MERGED)
    assert desk.dossier.transit is not None
    assert desk.dossier.transit.sender == "29269"

    desk = Desk()
    old = desk.entry("29266", "handover.dispatched", dispatched("844"))
    refused(
        desk.dossier,
        NotCustodian,
        "not by office 29266",
        lambda: desk.dossier.dispatch(old, desk.offices["844"], MERGED),
    )


def test_the_successor_of_a_merged_addressee_acknowledges_and_of_a_merged_sender_recalls() -> None:
    desk = Desk()
    desk.hand_over("29266", "844")
    dispatch = desk.dispatch("844", "29266")
    desk.acknowledge("29269", dispatch, successors=MERGED)
    assert desk.dossier.custodian == "29269"

    desk = Desk()
    dispatch = desk.dispatch("29266", "844")
    body = {"dispatch": dispatch, "reason": "Gửi nhầm"}
    refused(
        desk.dossier,
        NotSender,
        "cannot recall it",
        lambda: desk.dossier.recall(desk.entry("29269", "handover.recalled", body)),
    )
    desk.dossier.recall(desk.entry("29269", "handover.recalled", body), MERGED)
    assert desk.dossier.custodian == "29266"  # back to the sender as recorded
