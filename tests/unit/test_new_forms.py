"""The refusal at reception, the extension and the stop notice on the dossier aggregate alone: who
may sign each, and what each leaves behind (tests/test_new_forms.py runs them through the ledger
on every backend)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from domain.errors import (
    AlreadyDecided,
    BadAppointment,
    DossierClosed,
    NotAtReception,
    NotCustodian,
    ReasonRequired,
)
from tests.unit.entries import DAY, START
from tests.unit.test_dossier import Desk

REASON = {"reason": "Lý do ghi rõ"}


def test_refusal_closes_the_dossier_at_reception() -> None:
    desk = Desk()
    desk.dossier.refuse(desk.entry("29266", "dossier.refused", REASON))
    assert (desk.dossier.closed, desk.dossier.custodian) == ("refused", "29266")


def test_the_receiving_offices_successor_may_refuse_it_after_a_merger() -> None:
    desk = Desk()
    desk.dossier.refuse(desk.entry("29269", "dossier.refused", REASON), {"29266": "29269"})
    assert desk.dossier.closed == "refused"


def test_refuses_a_refusal_once_another_office_took_the_dossier_in() -> None:
    desk = Desk()
    desk.hand_over("29266", "844")
    desk.hand_over("844", "29266")
    with pytest.raises(NotAtReception, match=r"dossier\.stopped"):
        desk.dossier.refuse(desk.entry("29266", "dossier.refused", REASON))
    assert desk.dossier.closed is None


def test_refuses_a_refusal_by_a_custodian_that_did_not_receive_it() -> None:
    desk = Desk()
    desk.hand_over("29266", "844")
    with pytest.raises(NotAtReception, match="only the receiving office 29266"):
        desk.dossier.refuse(desk.entry("844", "dossier.refused", REASON))


def test_extension_moves_the_appointed_time_and_counts_each_ask() -> None:
    desk = Desk(appointed=START + 20 * DAY)
    for days in (25, 31):
        body = {**REASON, "appointed": START + days * DAY}
        desk.dossier.request_extension(desk.entry("29266", "dossier.extension_requested", body))
    assert (desk.dossier.appointed, desk.dossier.extensions) == (START + 31 * DAY, 2)
    assert desk.dossier.delay_notified is False  # the 2018 re-appointment is another statement


def test_refuses_an_extension_to_an_earlier_time_naming_both_times() -> None:
    desk = Desk(appointed=START + 20 * DAY)
    body = {**REASON, "appointed": START + 10 * DAY}
    with pytest.raises(BadAppointment, match="must be later than the current one"):
        desk.dossier.request_extension(desk.entry("29266", "dossier.extension_requested", body))
    assert desk.dossier.extensions == 0


def test_stop_closes_the_dossier_where_it_is_held() -> None:
    desk = Desk()
    desk.hand_over("29266", "844")
    desk.dossier.stop(desk.entry("844", "dossier.stopped", REASON))
    assert (desk.dossier.closed, desk.dossier.custodian) == ("stopped", "844")


@pytest.mark.parametrize(
    ("error", "act"),
    [
        (
            NotCustodian,
            lambda desk: desk.dossier.stop(desk.entry("844", "dossier.stopped", REASON)),
        ),
        (
            ReasonRequired,
            lambda desk: desk.dossier.stop(desk.entry("29266", "dossier.stopped", {"reason": ""})),
        ),
        (
            ReasonRequired,
            lambda desk: desk.dossier.refuse(
                desk.entry("29266", "dossier.refused", {"reason": ""})
            ),
        ),
    ],
    ids=["stop by another office", "stop without reason", "refusal without reason"],
)
def test_refuses_a_stop_or_refusal_against_the_rules(
    error: type[Exception], act: Callable[[Desk], object]
) -> None:
    desk = Desk()
    with pytest.raises(error):
        act(desk)
    assert desk.dossier.closed is None


def test_refuses_a_stop_or_an_extension_once_decided() -> None:
    desk = Desk()
    desk.hand_over("29266", "844")
    desk.hand_over("844", "84")
    desk.decide()
    with pytest.raises(AlreadyDecided):
        desk.dossier.stop(desk.entry("84", "dossier.stopped", REASON))
    body = {**REASON, "appointed": START + 40 * DAY}
    with pytest.raises(AlreadyDecided):
        desk.dossier.request_extension(desk.entry("84", "dossier.extension_requested", body))


def test_refuses_anything_after_a_stop() -> None:
    desk = Desk()
    desk.dossier.stop(desk.entry("29266", "dossier.stopped", REASON))
    with pytest.raises(DossierClosed):
        desk.dossier.refuse(desk.entry("29266", "dossier.refused", REASON))
