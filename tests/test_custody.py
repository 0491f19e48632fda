"""Custody of a dossier: every dossier kind's happy path, and every custody refusal.

Each refusal asserts its own error class (exactly, not a parent class) and that nothing was
recorded: the subject's history length, its head and the log's size are as they were.
Every test runs on memory, SQLite and PostgreSQL through the `world` fixture.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest

from domain.dossier import Dossier
from domain.errors import (
    AlreadyInTransit,
    BadAppointment,
    ClockSuspended,
    DelayAlreadyNotified,
    DispatchAlreadySettled,
    DispatchMismatch,
    DispatchToSelf,
    DossierClosed,
    DossierExists,
    NoAuthorityToDecide,
    NotAddressee,
    NotCustodian,
    NotDecided,
    NotSender,
    NotSuspended,
    OfficeNotActive,
    ReasonRequired,
    UnknownDossier,
    UnknownProcedure,
)
from domain.signed import subject_id
from domain.statement import ZERO_HASH
from ledger.application import Receipt
from tests.world import CODE, DAY, PROCEDURE, START, World, document

OTHER = "000.00.01.H59-250303-0002"
APPLICATION = document("Đơn đề nghị")


# --- helpers -------------------------------------------------------------------------------


def state(world: World, code: str = CODE) -> tuple[int, bytes, int]:
    """What a refusal must leave untouched: history length, head and the log's size."""
    seq, head = world.ledger.head("dossier", code)
    assert len(world.ledger.history("dossier", code)) == seq
    return seq, head, world.ledger.log_size()


def refused(
    world: World, error: type[Exception], act: Callable[[], Any], code: str = CODE
) -> Exception:
    """Run `act`, expecting exactly `error`, and check nothing was recorded on `code`."""
    before = state(world, code)
    with pytest.raises(error) as caught:
        act()
    assert type(caught.value) is error, f"expected {error.__name__}, got {caught.type.__name__}"
    assert state(world, code) == before
    return caught.value


def kinds(world: World, code: str = CODE) -> list[str]:
    return [entry.statement.kind for entry in world.ledger.history("dossier", code)]


def last_event(world: World, code: str = CODE) -> Any:
    """The dossier's latest domain event, read back from the store."""
    return list(world.ledger.events.get(subject_id("dossier", code)))[-1]


def record(world: World, office: str, kind: str, body: dict[str, Any], code: str = CODE) -> Receipt:
    world.later()
    return world.at(office).record(kind, code, body)


def decide(world: World, office: str = "84", code: str = CODE) -> Receipt:
    return record(
        world,
        office,
        "dossier.decided",
        {
            "outcome": "approved",
            "reference": "QĐ 12/QĐ-UBND",
            "documents": [document("Quyết định")],
        },
        code,
    )


def at_province_decided(world: World) -> None:
    """Received at the commune, handed up to the province, decided there."""
    world.receive()
    world.hand_over("29266", "844")
    world.hand_over("844", "84")
    decide(world)


def request_supplement(world: World, office: str = "29266") -> Receipt:
    return record(
        world,
        office,
        "dossier.supplement_requested",
        {
            "reason": "Thiếu giấy xác nhận",
            "missing": ["Giấy xác nhận người có công"],
        },
    )


def received_body(world: World) -> dict[str, Any]:
    return {
        "procedure": PROCEDURE,
        "version": 1,
        "applicant": hashlib.sha256(b"salt|other").digest(),
        "channel": "online",
        "documents": [APPLICATION],
        "appointed": world.clock.now() + 15 * DAY,
    }


def dispatch_body(to: str) -> dict[str, Any]:
    return {"to": to, "purpose": "process", "documents": [APPLICATION]}


# --- happy paths -----------------------------------------------------------------------------


def test_received_dossier_is_held_by_the_receiving_office(world: World) -> None:
    appointed = START + 20 * DAY
    receipt = world.receive(appointed=appointed)

    dossier = world.ledger.dossier(CODE)
    assert (receipt.kind, receipt.subject, receipt.seq, receipt.duplicate) == (
        "dossier.received",
        CODE,
        1,
        False,
    )
    assert receipt.recorded_at == START
    assert world.ledger.head("dossier", CODE) == (1, receipt.digest)
    assert (dossier.custodian, dossier.received_by, dossier.transit) == ("29266", "29266", None)
    assert (dossier.procedure, dossier.procedure_version) == (PROCEDURE, 1)
    assert dossier.appointed == appointed
    assert (dossier.suspended, dossier.delay_notified, dossier.decided, dossier.closed) == (
        False,
        False,
        None,
        None,
    )
    assert kinds(world) == ["dossier.received"]


def test_dispatch_puts_the_dossier_in_transit_and_acknowledgement_gives_custody_to_the_addressee(
    world: World,
) -> None:
    world.receive()
    dispatch = world.dispatch("29266", "844")

    dossier = world.ledger.dossier(CODE)
    assert dossier.custodian is None
    assert (dossier.transit.sender, dossier.transit.addressee) == ("29266", "844")
    assert dossier.transit.dispatch == dispatch.digest
    assert dossier.transit.since == dispatch.recorded_at
    assert dossier.transit.documents == [(APPLICATION["name"], APPLICATION["sha256"])]
    assert world.ledger.head("dossier", CODE) == (2, dispatch.digest)

    acknowledgement = world.acknowledge("844", dispatch)
    dossier = world.ledger.dossier(CODE)
    assert (dossier.custodian, dossier.transit) == ("844", None)
    assert dossier.settled == {dispatch.digest: "acknowledged"}
    event = last_event(world)
    assert isinstance(event, Dossier.Acknowledged)
    assert (event.dispatch, event.missing, event.extra) == (dispatch.digest, [], [])
    assert world.ledger.head("dossier", CODE) == (3, acknowledgement.digest)
    assert kinds(world) == ["dossier.received", "handover.dispatched", "handover.acknowledged"]


def test_acknowledgement_records_documents_missing_and_extra(world: World) -> None:
    world.receive()
    sent = [APPLICATION, document("Bản sao CCCD"), document("Giấy khai sinh")]
    # the birth certificate arrives with other contents: missing as sent, extra as received
    altered = {"name": "Giấy khai sinh", "sha256": hashlib.sha256(b"another scan").digest()}
    received = [APPLICATION, altered, document("Sổ hộ khẩu")]
    dispatch = world.dispatch("29266", "844", documents=sent)
    world.acknowledge("844", dispatch, documents=received)

    event = last_event(world)
    assert isinstance(event, Dossier.Acknowledged)
    assert event.missing == ["Bản sao CCCD", "Giấy khai sinh"]
    assert event.extra == ["Giấy khai sinh", "Sổ hộ khẩu"]
    assert world.ledger.dossier(CODE).custodian == "844"


def test_rejection_returns_custody_to_the_sender(world: World) -> None:
    world.receive()
    dispatch = world.dispatch("29266", "844")
    record(
        world,
        "844",
        "handover.rejected",
        {
            "dispatch": dispatch.digest,
            "reason": "Không thuộc thẩm quyền",
        },
    )

    dossier = world.ledger.dossier(CODE)
    assert (dossier.custodian, dossier.transit) == ("29266", None)
    assert dossier.settled == {dispatch.digest: "rejected"}
    assert isinstance(last_event(world), Dossier.Rejected)
    # custody really is back: the sender may dispatch again, elsewhere
    world.dispatch("29266", "845")
    assert world.ledger.dossier(CODE).transit.addressee == "845"


def test_recall_by_the_sender_returns_custody_to_the_sender(world: World) -> None:
    world.receive()
    dispatch = world.dispatch("29266", "844")
    record(
        world,
        "29266",
        "handover.recalled",
        {
            "dispatch": dispatch.digest,
            "reason": "Gửi nhầm nơi",
        },
    )

    dossier = world.ledger.dossier(CODE)
    assert (dossier.custodian, dossier.transit) == ("29266", None)
    assert dossier.settled == {dispatch.digest: "recalled"}
    assert isinstance(last_event(world), Dossier.Recalled)


def test_supplement_request_suspends_the_clock_and_its_receipt_resumes_it(world: World) -> None:
    world.receive()
    request_supplement(world)
    assert world.ledger.dossier(CODE).suspended is True

    record(
        world,
        "29266",
        "dossier.supplement_received",
        {
            "documents": [document("Giấy xác nhận người có công")],
        },
    )
    dossier = world.ledger.dossier(CODE)
    assert (dossier.suspended, dossier.custodian) == (False, "29266")
    assert kinds(world)[-2:] == ["dossier.supplement_requested", "dossier.supplement_received"]


def test_delay_notification_sets_the_new_appointed_time(world: World) -> None:
    world.receive(appointed=START + 20 * DAY)
    record(
        world,
        "29266",
        "dossier.delay_notified",
        {
            "reason": "Cần xác minh thêm",
            "appointed": START + 25 * DAY,
        },
    )

    dossier = world.ledger.dossier(CODE)
    assert (dossier.appointed, dossier.delay_notified) == (START + 25 * DAY, True)
    assert isinstance(last_event(world), Dossier.DelayNotified)


def test_decision_at_a_deciding_level_then_result_returned_closes_the_dossier(world: World) -> None:
    at_province_decided(world)
    dossier = world.ledger.dossier(CODE)
    assert (dossier.decided, dossier.custodian, dossier.closed) == ("approved", "84", None)
    assert isinstance(last_event(world), Dossier.Decided)

    world.later()
    back = world.at("84").record(
        "handover.dispatched",
        CODE,
        {
            "to": "29266",
            "purpose": "return",
            "documents": [document("Quyết định")],
        },
    )
    world.acknowledge("29266", back, documents=[document("Quyết định")])
    record(world, "29266", "dossier.result_returned", {"channel": "direct"})

    dossier = world.ledger.dossier(CODE)
    assert (dossier.closed, dossier.custodian, dossier.decided) == (
        "result_returned",
        "29266",
        "approved",
    )
    assert kinds(world)[-3:] == [
        "handover.dispatched",
        "handover.acknowledged",
        "dossier.result_returned",
    ]
    assert len(world.ledger.history("dossier", CODE)) == 9


def test_withdrawal_closes_the_dossier(world: World) -> None:
    world.receive()
    record(world, "29266", "dossier.withdrawn", {"reason": "Người nộp rút hồ sơ"})

    assert world.ledger.dossier(CODE).closed == "withdrawn"
    assert kinds(world) == ["dossier.received", "dossier.withdrawn"]


# --- custody refusals --------------------------------------------------------------------------

CUSTODIAN_KINDS = {
    "handover.dispatched": dispatch_body("844"),
    "dossier.supplement_requested": {"reason": "Thiếu giấy tờ", "missing": ["CCCD"]},
    "dossier.delay_notified": {"reason": "Cần xác minh", "appointed": START + 30 * DAY},
    "dossier.withdrawn": {"reason": "Người nộp rút hồ sơ"},
    "dossier.decided": {"outcome": "refused", "reference": "CV 1/UBND", "documents": []},
    "dossier.result_returned": {"channel": "direct"},
}


def test_refuses_acting_on_a_dossier_the_office_does_not_hold(world: World) -> None:
    world.receive()

    for kind, body in CUSTODIAN_KINDS.items():
        error = refused(world, NotCustodian, lambda k=kind, b=body: record(world, "29269", k, b))
        assert "29266" in str(error), kind
    request_supplement(world)
    refused(
        world,
        NotCustodian,
        lambda: record(world, "29269", "dossier.supplement_received", {"documents": []}),
    )


def test_refuses_dispatch_while_in_transit(world: World) -> None:
    world.receive()
    world.dispatch("29266", "844")

    refused(world, AlreadyInTransit, lambda: world.dispatch("29266", "845"))
    # not even the addressee holds it until it acknowledges
    refused(world, AlreadyInTransit, lambda: world.dispatch("844", "84"))
    assert world.ledger.dossier(CODE).transit.addressee == "844"


def test_refuses_acknowledging_twice(world: World) -> None:
    world.receive()
    dispatch = world.dispatch("29266", "844")
    world.acknowledge("844", dispatch)

    error = refused(world, DispatchAlreadySettled, lambda: world.acknowledge("844", dispatch))
    assert "acknowledged" in str(error)
    refused(
        world,
        DispatchAlreadySettled,
        lambda: record(
            world,
            "844",
            "handover.rejected",
            {
                "dispatch": dispatch.digest,
                "reason": "Muộn",
            },
        ),
    )


@pytest.mark.parametrize(
    ("settled", "by"), [("handover.rejected", "844"), ("handover.recalled", "29266")]
)
def test_refuses_acknowledging_a_dispatch_already_rejected_or_recalled(
    world: World, settled: str, by: str
) -> None:
    world.receive()
    dispatch = world.dispatch("29266", "844")
    record(world, by, settled, {"dispatch": dispatch.digest, "reason": "Muộn"})

    error = refused(world, DispatchAlreadySettled, lambda: world.acknowledge("844", dispatch))
    assert f"was already {settled.removeprefix('handover.')}" in str(error)
    assert isinstance(error, DispatchAlreadySettled)
    assert error.code == "already-acknowledged"  # the API's code, older than the class's name


def test_refuses_acknowledging_for_another_office(world: World) -> None:
    world.receive()
    dispatch = world.dispatch("29266", "844")

    refused(world, NotAddressee, lambda: world.acknowledge("845", dispatch))
    refused(
        world,
        NotAddressee,
        lambda: record(
            world,
            "845",
            "handover.rejected",
            {
                "dispatch": dispatch.digest,
                "reason": "Không thuộc thẩm quyền",
            },
        ),
    )
    assert world.ledger.dossier(CODE).transit.addressee == "844"


def test_refuses_rejecting_without_a_reason(world: World) -> None:
    world.receive()
    dispatch = world.dispatch("29266", "844")

    for reason in ("", "  \n "):
        refused(
            world,
            ReasonRequired,
            lambda r=reason: record(
                world,
                "844",
                "handover.rejected",
                {
                    "dispatch": dispatch.digest,
                    "reason": r,
                },
            ),
        )
    assert world.ledger.dossier(CODE).transit.dispatch == dispatch.digest


def test_refuses_recalling_by_an_office_that_is_not_the_sender(world: World) -> None:
    world.receive()
    dispatch = world.dispatch("29266", "844")

    for office in ("844", "29269"):
        refused(
            world,
            NotSender,
            lambda o=office: record(
                world,
                o,
                "handover.recalled",
                {
                    "dispatch": dispatch.digest,
                    "reason": "Thu hồi",
                },
            ),
        )


def test_refuses_a_dispatch_hash_that_does_not_match(world: World) -> None:
    world.receive()
    dispatch = world.dispatch("29266", "844")
    wrong = bytes([dispatch.digest[0] ^ 1]) + dispatch.digest[1:]

    refused(
        world,
        DispatchMismatch,
        lambda: record(
            world,
            "844",
            "handover.acknowledged",
            {
                "dispatch": wrong,
                "documents": [APPLICATION],
            },
        ),
    )
    refused(
        world,
        DispatchMismatch,
        lambda: record(
            world,
            "29266",
            "handover.recalled",
            {
                "dispatch": wrong,
                "reason": "Thu hồi",
            },
        ),
    )


def test_refuses_dispatch_to_self(world: World) -> None:
    world.receive()

    refused(world, DispatchToSelf, lambda: world.dispatch("29266", "29266"))


def test_refuses_dispatch_to_a_dissolved_office(world: World) -> None:
    world.receive()
    world.authority.record("office.dissolved", "845", {"effective": "2025-03-01"})

    error = refused(world, OfficeNotActive, lambda: world.dispatch("29266", "845"))
    assert "845" in str(error)
    assert world.ledger.dossier(CODE).custodian == "29266"


def test_refuses_acting_on_a_dossier_closed_by_returning_its_result(world: World) -> None:
    at_province_decided(world)
    record(world, "84", "dossier.result_returned", {"channel": "postal"})

    refused(world, DossierClosed, lambda: world.dispatch("84", "844"))
    refused(
        world,
        DossierClosed,
        lambda: record(world, "84", "dossier.result_returned", {"channel": "direct"}),
    )
    refused(
        world,
        DossierClosed,
        lambda: record(
            world,
            "84",
            "dossier.delay_notified",
            {
                "reason": "Trễ",
                "appointed": START + 60 * DAY,
            },
        ),
    )


def test_refuses_acting_on_a_withdrawn_dossier(world: World) -> None:
    world.receive()
    dispatch = world.dispatch("29266", "844")
    world.acknowledge("844", dispatch)
    record(world, "844", "dossier.withdrawn", {"reason": "Người nộp rút hồ sơ"})

    refused(world, DossierClosed, lambda: world.dispatch("844", "84"))
    refused(world, DossierClosed, lambda: request_supplement(world, "844"))
    refused(world, DossierClosed, lambda: world.acknowledge("844", dispatch))
    refused(
        world,
        DossierClosed,
        lambda: record(world, "844", "dossier.withdrawn", {"reason": "Rút lần nữa"}),
    )


def test_refuses_deciding_at_a_level_the_procedure_does_not_allow(world: World) -> None:
    world.receive()
    refused(world, NoAuthorityToDecide, lambda: decide(world, "29266"))
    world.hand_over("29266", "844")

    error = refused(world, NoAuthorityToDecide, lambda: decide(world, "844"))
    assert "province" in str(error)
    assert world.ledger.dossier(CODE).decided is None


def test_refuses_returning_a_result_before_a_decision(world: World) -> None:
    world.receive()

    refused(
        world,
        NotDecided,
        lambda: record(world, "29266", "dossier.result_returned", {"channel": "direct"}),
    )


def test_refuses_a_second_delay_notification(world: World) -> None:
    world.receive(appointed=START + 20 * DAY)
    record(
        world,
        "29266",
        "dossier.delay_notified",
        {
            "reason": "Cần xác minh",
            "appointed": START + 25 * DAY,
        },
    )

    refused(
        world,
        DelayAlreadyNotified,
        lambda: record(
            world,
            "29266",
            "dossier.delay_notified",
            {
                "reason": "Cần xác minh thêm",
                "appointed": START + 30 * DAY,
            },
        ),
    )
    assert world.ledger.dossier(CODE).appointed == START + 25 * DAY


def test_refuses_supplement_received_when_not_suspended(world: World) -> None:
    world.receive()

    refused(
        world,
        NotSuspended,
        lambda: record(world, "29266", "dossier.supplement_received", {"documents": []}),
    )


def test_refuses_dispatch_while_suspended(world: World) -> None:
    world.receive()
    request_supplement(world)

    refused(world, ClockSuspended, lambda: world.dispatch("29266", "844"))
    assert (world.ledger.dossier(CODE).custodian, world.ledger.dossier(CODE).suspended) == (
        "29266",
        True,
    )


def test_refuses_an_appointed_time_not_after_receipt(world: World) -> None:
    for offset in (0, -1, -DAY):
        refused(
            world, BadAppointment, lambda o=offset: world.receive(appointed=world.clock.now() + o)
        )
    assert state(world)[:2] == (0, ZERO_HASH)
    with pytest.raises(UnknownDossier):
        world.ledger.dossier(CODE)


def test_refuses_an_unknown_procedure_or_a_version_not_in_effect(world: World) -> None:
    refused(world, UnknownProcedure, lambda: world.receive(procedure="no-such-procedure"))
    error = refused(world, UnknownProcedure, lambda: world.receive(version=2))
    assert PROCEDURE in str(error)


def test_refuses_a_dossier_code_already_used(world: World) -> None:
    first = world.receive()

    # signed on the current head (as `prepare` does), and as a fresh first statement
    refused(world, DossierExists, lambda: world.receive(office="29269"))
    refused(
        world,
        DossierExists,
        lambda: world.at("29269").record(
            "dossier.received", CODE, received_body(world), seq=1, prev=ZERO_HASH
        ),
    )
    assert world.ledger.head("dossier", CODE) == (1, first.digest)
    assert world.ledger.dossier(CODE).custodian == "29266"


def test_refuses_a_statement_on_an_unknown_dossier(world: World) -> None:
    world.receive()

    for kind, body in [
        ("handover.dispatched", dispatch_body("844")),
        ("handover.acknowledged", {"dispatch": bytes(32), "documents": []}),
        ("dossier.withdrawn", {"reason": "Rút hồ sơ"}),
    ]:
        error = refused(
            world,
            UnknownDossier,
            lambda k=kind, b=body: record(world, "29266", k, b, code=OTHER),
            code=OTHER,
        )
        assert OTHER in str(error)
    assert state(world, OTHER)[:2] == (0, ZERO_HASH)
