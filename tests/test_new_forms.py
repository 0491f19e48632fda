"""The forms of Circular 03/2025 as signed statements: the refusal to receive and handle (form 03,
`dossier.refused`), the apology with a request to extend the time (form 04, `dossier.extension_
requested`) and the notice stopping the handling (form 05, `dossier.stopped`) — each with its
custody rules and refusals, and how the views, the stall rules and the reports take it.

Every refusal asserts its exact error class and that nothing was recorded. Every test runs on
memory, SQLite and PostgreSQL through the `world` fixture.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest

from domain.dossier import Dossier
from domain.errors import (
    AlreadyDecided,
    AlreadyInTransit,
    BadAppointment,
    DossierClosed,
    NotAtReception,
    NotCustodian,
    ReasonRequired,
)
from domain.instant import VIETNAM, from_datetime
from domain.signed import subject_id
from ledger.application import Receipt
from ledger.log.bundle import export, verify_bundle
from ledger.log.tlog import LogKey
from ledger.reference.calendar import load_calendar
from ledger.views.notices import notice_counts
from ledger.views.projector import Projector
from ledger.views.sla import Inspector, office_report
from ledger.views.timeline import timeline
from tests.world import CODE, DAY, START, World, document

LOG_KEY = LogKey.from_seed("test.lienthong.example/log", hashlib.sha256(b"test-log-key").digest())
REFUSED = {"reason": "Hồ sơ không thuộc thẩm quyền giải quyết của cơ quan"}
STOPPED = {"reason": "Người nộp đề nghị dừng giải quyết hồ sơ"}


def extension(appointed: int, reason: str = "Cần xác minh thêm tại cơ sở") -> dict[str, Any]:
    return {"reason": reason, "appointed": appointed}


def local(day: int, month: int, hour: int = 0, year: int = 2025) -> int:
    return from_datetime(datetime(year, month, day, hour, tzinfo=VIETNAM))


def state(world: World, code: str = CODE) -> tuple[int, bytes, int]:
    seq, head = world.ledger.head("dossier", code)
    return seq, head, world.ledger.log_size()


def refused(world: World, error: type[Exception], act: Callable[[], Any]) -> Exception:
    before = state(world)
    with pytest.raises(error) as caught:
        act()
    assert type(caught.value) is error, f"expected {error.__name__}, got {caught.type.__name__}"
    assert state(world) == before
    return caught.value


def record(world: World, office: str, kind: str, body: dict[str, Any], code: str = CODE) -> Receipt:
    world.later()
    return world.at(office).record(kind, code, body)


def kinds(world: World, code: str = CODE) -> list[str]:
    return [entry.statement.kind for entry in world.ledger.history("dossier", code)]


def last_event(world: World) -> Any:
    return list(world.ledger.events.get(subject_id("dossier", CODE)))[-1]


def decide(world: World, office: str = "84") -> Receipt:
    body = {"outcome": "approved", "reference": "QĐ 1/QĐ-UBND", "documents": [document("QĐ")]}
    return record(world, office, "dossier.decided", body)


# --- form 03: refusal to receive and handle -----------------------------------------------------


def test_refusal_at_reception_closes_the_dossier(world: World) -> None:
    world.receive()
    record(world, "29266", "dossier.refused", REFUSED)

    assert world.ledger.dossier(CODE).closed == "refused"
    assert isinstance(last_event(world), Dossier.Refused)
    assert kinds(world) == ["dossier.received", "dossier.refused"]


def test_refusal_after_a_recalled_handover_is_still_at_reception(world: World) -> None:
    world.receive()
    sent = world.dispatch("29266", "844")
    record(world, "29266", "handover.recalled", {"dispatch": sent.digest, "reason": "Gửi nhầm"})
    record(world, "29266", "dossier.refused", REFUSED)

    assert world.ledger.dossier(CODE).closed == "refused"


def test_refuses_a_refusal_once_the_dossier_was_handed_over_and_taken_in(world: World) -> None:
    world.receive()
    world.hand_over("29266", "844")
    world.hand_over("844", "29266")  # back at the receiving office, but handled in between

    error = refused(
        world, NotAtReception, lambda: record(world, "29266", "dossier.refused", REFUSED)
    )
    assert "dossier.stopped" in str(error)


def test_refuses_a_refusal_by_an_office_other_than_the_receiving_one(world: World) -> None:
    world.receive()
    world.hand_over("29266", "844")

    refused(world, NotAtReception, lambda: record(world, "844", "dossier.refused", REFUSED))


def test_refuses_a_refusal_by_an_office_that_does_not_hold_the_dossier(world: World) -> None:
    world.receive()
    refused(world, NotCustodian, lambda: record(world, "844", "dossier.refused", REFUSED))


def test_refuses_a_refusal_while_in_transit(world: World) -> None:
    world.receive()
    world.dispatch("29266", "844")
    refused(world, AlreadyInTransit, lambda: record(world, "29266", "dossier.refused", REFUSED))


def test_refuses_a_refusal_without_a_reason(world: World) -> None:
    world.receive()
    refused(
        world, ReasonRequired, lambda: record(world, "29266", "dossier.refused", {"reason": " "})
    )


# --- form 04 of 2025: apology and request to extend the time -----------------------------------


def test_extension_sets_the_new_appointed_time_and_may_be_asked_again(world: World) -> None:
    world.receive(appointed=START + 20 * DAY)
    record(world, "29266", "dossier.extension_requested", extension(START + 25 * DAY))
    record(world, "29266", "dossier.extension_requested", extension(START + 30 * DAY, "Lần hai"))

    dossier = world.ledger.dossier(CODE)
    assert (dossier.appointed, dossier.extensions) == (START + 30 * DAY, 2)
    assert isinstance(last_event(world), Dossier.ExtensionRequested)


def test_extension_is_asked_by_whoever_holds_the_dossier_now(world: World) -> None:
    world.receive(appointed=START + 20 * DAY)
    world.hand_over("29266", "844")
    record(world, "844", "dossier.extension_requested", extension(START + 25 * DAY))

    assert world.ledger.dossier(CODE).appointed == START + 25 * DAY


def test_refuses_an_extension_by_an_office_that_does_not_hold_the_dossier(world: World) -> None:
    world.receive(appointed=START + 20 * DAY)
    refused(
        world,
        NotCustodian,
        lambda: record(world, "844", "dossier.extension_requested", extension(START + 25 * DAY)),
    )


@pytest.mark.parametrize("days", [20, 19], ids=["same time", "earlier"])
def test_refuses_an_extension_that_is_not_later_than_the_appointed_time(
    world: World, days: int
) -> None:
    world.receive(appointed=START + 20 * DAY)
    refused(
        world,
        BadAppointment,
        lambda: record(
            world, "29266", "dossier.extension_requested", extension(START + days * DAY)
        ),
    )


def test_refuses_an_extension_without_a_reason(world: World) -> None:
    world.receive(appointed=START + 20 * DAY)
    refused(
        world,
        ReasonRequired,
        lambda: record(
            world, "29266", "dossier.extension_requested", extension(START + 25 * DAY, "")
        ),
    )


def test_refuses_an_extension_of_a_decided_dossier(world: World) -> None:
    world.receive(appointed=START + 20 * DAY)
    world.hand_over("29266", "844")
    world.hand_over("844", "84")
    decide(world)
    refused(
        world,
        AlreadyDecided,
        lambda: record(world, "84", "dossier.extension_requested", extension(START + 25 * DAY)),
    )


# --- form 05 of 2025: notice stopping the handling ----------------------------------------------


def test_stop_notice_closes_a_dossier_being_handled(world: World) -> None:
    world.receive()
    world.hand_over("29266", "844")
    record(world, "844", "dossier.stopped", STOPPED)

    dossier = world.ledger.dossier(CODE)
    assert (dossier.closed, dossier.custodian) == ("stopped", "844")
    assert isinstance(last_event(world), Dossier.Stopped)


def test_refuses_a_stop_by_an_office_that_does_not_hold_the_dossier(world: World) -> None:
    world.receive()
    refused(world, NotCustodian, lambda: record(world, "844", "dossier.stopped", STOPPED))


def test_refuses_a_stop_without_a_reason(world: World) -> None:
    world.receive()
    refused(
        world, ReasonRequired, lambda: record(world, "29266", "dossier.stopped", {"reason": ""})
    )


def test_refuses_a_stop_of_a_decided_dossier(world: World) -> None:
    world.receive()
    world.hand_over("29266", "844")
    world.hand_over("844", "84")
    decide(world)
    refused(world, AlreadyDecided, lambda: record(world, "84", "dossier.stopped", STOPPED))


@pytest.mark.parametrize(
    ("closing", "body"),
    [("dossier.refused", REFUSED), ("dossier.stopped", STOPPED)],
    ids=["refused", "stopped"],
)
@pytest.mark.parametrize(
    ("kind", "then"),
    [
        ("dossier.stopped", STOPPED),
        ("dossier.refused", REFUSED),
        ("dossier.extension_requested", extension(START + 40 * DAY)),
        ("dossier.withdrawn", {"reason": "Rút"}),
    ],
    ids=["stop", "refuse", "extend", "withdraw"],
)
def test_refuses_any_statement_on_a_refused_or_stopped_dossier(
    world: World, closing: str, body: dict[str, Any], kind: str, then: dict[str, Any]
) -> None:
    world.receive(appointed=START + 20 * DAY)
    record(world, "29266", closing, body)
    refused(world, DossierClosed, lambda: record(world, "29266", kind, then))


# --- the views, the stall rules and the reports -------------------------------------------------


@pytest.fixture
def inspect(world: World) -> Iterator[Callable[[], Inspector]]:
    projector = Projector(world.ledger)

    def current() -> Inspector:
        projector.catch_up()
        return Inspector(world.ledger, projector, load_calendar())

    yield current
    projector.close()


def at(world: World, when: int, office: str, kind: str, body: dict[str, Any]) -> Receipt:
    world.clock.set(when)
    return world.at(office).record(kind, CODE, body)


def test_a_stopped_or_refused_dossier_is_closed_in_the_views_and_never_stalls(
    world: World, inspect: Callable[[], Inspector]
) -> None:
    world.clock.set(local(3, 3, 8))
    world.receive(appointed=local(5, 3, 12))
    other = "000.00.01.H59-250303-0002"
    world.clock.set(local(3, 3, 9))
    world.receive(other, appointed=local(5, 3, 12))
    world.clock.set(local(3, 3, 10))
    world.at("29266").record("dossier.refused", other, REFUSED)
    at(world, local(6, 3, 9), "29266", "dossier.stopped", STOPPED)

    world.clock.set(local(20, 3, 9))
    inspector = inspect()
    assert inspector.stalls(world.clock.now()) == []
    location = inspector.projector.location(CODE)
    assert location is not None
    assert (location.status, location.closed_at) == ("closed", local(6, 3, 9))
    # before the stop it was past its appointed time, and judged so as of then
    assert [s.rule for s in inspector.stalls(local(5, 3, 14), current=False)] == ["past_appointed"]


def test_an_extended_dossier_is_judged_against_its_new_appointed_time(
    world: World, inspect: Callable[[], Inspector]
) -> None:
    world.clock.set(local(3, 3, 8))
    world.receive(appointed=local(7, 3, 17))
    at(world, local(7, 3, 9), "29266", "dossier.extension_requested", extension(local(14, 3, 17)))

    def appointed_rules(when: int, current: bool = True) -> list[str]:
        rules = ("past_appointed", "due_soon")  # the level's own budget is not the appointment
        found = inspect().stalls(when, current=current)
        return [stall.rule for stall in found if stall.rule in rules]

    world.clock.set(local(10, 3, 9))
    assert appointed_rules(world.clock.now()) == []
    # as it was before the extension, it was due soon that morning
    assert appointed_rules(local(7, 3, 8), current=False) == ["due_soon"]
    world.clock.set(local(17, 3, 9))
    assert appointed_rules(world.clock.now()) == ["past_appointed"]


def test_report_counts_an_extended_dossier_pending_within_and_a_stopped_one_not_at_all(
    world: World, inspect: Callable[[], Inspector]
) -> None:
    world.clock.set(local(3, 3, 8))
    world.receive(appointed=local(7, 3, 17))
    stopped = "000.00.01.H59-250303-0002"
    world.clock.set(local(3, 3, 9))
    world.receive(stopped, appointed=local(7, 3, 17))
    world.clock.set(local(4, 3, 9))
    world.at("29266").record("dossier.stopped", stopped, STOPPED)
    at(world, local(6, 3, 9), "29266", "dossier.extension_requested", extension(local(24, 3, 17)))

    world.clock.set(local(20, 3, 9))
    report = office_report(inspect(), "29266", local(1, 3), local(17, 3))
    assert report.received == {"direct": 2}
    assert (report.pending_within, report.pending_overdue) == (1, 0)
    assert report.resolved == 0


def test_notice_counts_find_the_dossiers_extended_more_than_once(
    world: World, inspect: Callable[[], Inspector], monkeypatch: pytest.MonkeyPatch
) -> None:
    twice, once, refused_code, stopped_code, elsewhere = (
        f"000.00.01.H59-250303-{number:04d}" for number in range(1, 6)
    )
    world.clock.set(local(3, 3, 8))
    for code in (twice, once, refused_code, stopped_code):
        world.receive(code, appointed=local(7, 3, 17))
        world.later()
    world.receive(elsewhere, office="845", appointed=local(7, 3, 17))
    world.clock.set(local(4, 3, 9))
    world.at("29266").record("dossier.refused", refused_code, REFUSED)
    world.clock.set(local(5, 3, 9))
    world.at("29266").record("dossier.stopped", stopped_code, STOPPED)
    for code, when in ((twice, 6), (once, 6), (twice, 12)):
        world.clock.set(local(when, 3, 9))
        appointed = world.ledger.dossier(code).appointed + 5 * DAY
        world.at("29266").record("dossier.extension_requested", code, extension(appointed))
    world.clock.set(local(13, 3, 9))
    appointed = world.ledger.dossier(elsewhere).appointed + 5 * DAY
    world.at("845").record("dossier.extension_requested", elsewhere, extension(appointed))

    counts = notice_counts(inspect(), "844", local(1, 3), local(17, 3))
    assert (counts.apologised, counts.refused, counts.stopped) == (2, 1, 1)
    assert counts.extended_again == [twice]
    # the second extension falls after the first period: extended twice only in the second one
    first = notice_counts(inspect(), "844", local(1, 3), local(10, 3))
    assert (first.apologised, first.extended_again) == (2, [])
    later = notice_counts(inspect(), "844", local(10, 3), local(17, 3))
    assert (later.apologised, later.refused, later.extended_again) == (1, 0, [twice])
    province = notice_counts(inspect(), "84", local(1, 3), local(17, 3))
    assert (province.apologised, province.extended_again) == (3, [twice])

    # counted from the notices' view: no dossier's history is read
    def no_history(*_args: object) -> None:
        raise AssertionError("notice_counts read a dossier's history")

    inspector = inspect()
    monkeypatch.setattr(inspector.ledger, "history", no_history)
    again = notice_counts(inspector, "844", local(1, 3), local(17, 3))
    assert (again.apologised, again.refused, again.stopped) == (2, 1, 1)


def test_an_audit_bundle_of_an_extended_then_stopped_dossier_verifies_offline(world: World) -> None:
    world.receive(appointed=START + 20 * DAY)
    world.hand_over("29266", "844")
    record(world, "844", "dossier.extension_requested", extension(START + 25 * DAY))
    record(world, "844", "dossier.stopped", STOPPED)
    world.ledger.issue_checkpoint(LOG_KEY)

    report = verify_bundle(export(world.ledger, CODE).encode(), LOG_KEY.verifier, ())

    assert report.ok, report.problems
    assert report.view == timeline(world.ledger, CODE)
    assert report.view is not None
    assert [step.statement.kind for step in report.view.steps][-2:] == [
        "dossier.extension_requested",
        "dossier.stopped",
    ]
