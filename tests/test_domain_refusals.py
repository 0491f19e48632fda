"""Rules of domain/ that no other test would miss if they were lost: each refusal, exactly.

Every guard of domain/ (an `if …: raise`) must be noticed by some test when it is disabled: the
mutation run (`python -m tests.mutation.guards`) checks that in CI. The rules below are the ones
that had gone unnoticed. Each test asserts the exact error class, the guard's own words (several
rules share RegistryConflict), that nothing was recorded, and — where the ledger allows it — that
the statement done right is then recorded, so the refusal is for the rule and not for the test's
own mistake. The ledger-level tests run on memory, SQLite and PostgreSQL; the rules an aggregate
keeps on its own (an office merged into itself, instants and dates) are tested on it directly in
tests/unit/.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from domain.errors import AlreadyDecided, BadAppointment, NotInTransit, RegistryConflict
from tests.world import CODE, DAY, HOUR, PROCEDURE, START, World, document

APPLICATION = document("Đơn đề nghị")
DECISION = {"outcome": "approved", "reference": "QĐ 12/QĐ-UBND", "documents": []}


def refused(
    world: World,
    error: type[Exception],
    words: str,
    act: Callable[[], Any],
    family: str,
    subject: str,
) -> None:
    """Run `act`, expecting exactly `error` saying `words`; nothing recorded on the subject, nor
    anywhere in the log."""
    before = (world.ledger.head(family, subject), world.ledger.log_size())
    with pytest.raises(error, match=words) as caught:
        act()
    assert type(caught.value) is error, f"expected {error.__name__}, got {caught.type.__name__}"
    assert (world.ledger.head(family, subject), world.ledger.log_size()) == before


def on_dossier(world: World, office: str, kind: str, body: Mapping[str, Any]) -> Callable[[], Any]:
    return lambda: world.at(office).record(kind, CODE, body)


def by_authority(
    world: World, kind: str, subject: str, body: Mapping[str, Any]
) -> Callable[[], Any]:
    return lambda: world.authority.record(kind, subject, body)


# --- dossiers ------------------------------------------------------------------------------


@pytest.mark.parametrize("earlier", [0, DAY], ids=["the same time", "a day earlier"])
def test_refuses_a_re_appointment_not_later_than_the_current_one(
    world: World, earlier: int
) -> None:
    world.receive(appointed=START + 20 * DAY)
    world.later()

    refused(
        world,
        BadAppointment,
        "must be later than the current one",
        on_dossier(
            world,
            "29266",
            "dossier.delay_notified",
            {"reason": "Cần xác minh thêm", "appointed": START + 20 * DAY - earlier},
        ),
        "dossier",
        CODE,
    )
    world.at("29266").record(
        "dossier.delay_notified",
        CODE,
        {"reason": "Cần xác minh thêm", "appointed": START + 20 * DAY + 1},
    )
    assert world.ledger.dossier(CODE).appointed == START + 20 * DAY + 1


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        ("handover.acknowledged", {"documents": [APPLICATION]}),
        ("handover.rejected", {"reason": "Sai nơi nhận"}),
        ("handover.recalled", {"reason": "Gửi nhầm"}),
    ],
    ids=["acknowledged", "rejected", "recalled"],
)
def test_refuses_settling_a_dispatch_of_a_dossier_that_is_not_in_transit(
    world: World, kind: str, body: dict[str, Any]
) -> None:
    world.receive()
    world.hand_over("29266", "844")  # one dispatch settled; the dossier is held, not in transit
    world.later()
    never_sent = hashlib.sha256(b"a dispatch that was never recorded").digest()
    office = "29266" if kind == "handover.recalled" else "844"

    refused(
        world,
        NotInTransit,
        "is not in transit; it is held by office 844",
        on_dossier(world, office, kind, {**body, "dispatch": never_sent}),
        "dossier",
        CODE,
    )
    assert world.ledger.dossier(CODE).custodian == "844"


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        ("dossier.decided", {**DECISION, "outcome": "refused"}),
        ("dossier.withdrawn", {"reason": "Người nộp rút hồ sơ"}),
        ("dossier.supplement_requested", {"reason": "Thiếu giấy tờ", "missing": ["Giấy xác nhận"]}),
    ],
    ids=["decided twice", "withdrawn", "supplement requested"],
)
def test_refuses_deciding_again_or_reopening_a_decided_dossier(
    world: World, kind: str, body: dict[str, Any]
) -> None:
    world.receive()
    world.hand_over("29266", "844")
    world.hand_over("844", "84")
    world.later()
    world.at("84").record("dossier.decided", CODE, DECISION)
    world.later()

    refused(
        world,
        AlreadyDecided,
        r"was already decided \(approved\)",
        on_dossier(world, "84", kind, body),
        "dossier",
        CODE,
    )
    assert world.ledger.dossier(CODE).decided == "approved"


# --- offices -------------------------------------------------------------------------------


def test_refuses_merging_an_office_into_itself(world: World) -> None:
    refused(
        world,
        RegistryConflict,
        "29269",
        by_authority(
            world, "office.merged", "29269", {"successor": "29269", "effective": "2025-03-03"}
        ),
        "office",
        "29269",
    )
    assert world.ledger.office("29269").ended is None


# --- officers ------------------------------------------------------------------------------


def moved(world: World, office: str, effective: int) -> Callable[[], Any]:
    body = {"office": office, "title": "Chuyên viên", "effective": effective}
    return by_authority(world, "officer.moved", "cb-29269", body)


def test_refuses_moving_an_officer_to_the_office_they_are_already_in(world: World) -> None:
    world.later()
    refused(
        world,
        RegistryConflict,
        "is already in office 29269",
        moved(world, "29269", world.clock.now()),
        "officer",
        "cb-29269",
    )
    moved(world, "29266", world.clock.now())()
    assert world.ledger.officer("cb-29269").office_at(world.clock.now()) == "29266"


def test_refuses_an_officer_leaving_twice(world: World) -> None:
    world.later()
    world.authority.record("officer.left", "cb-29269", {"effective": world.clock.now()})
    world.later()

    refused(
        world,
        RegistryConflict,
        "has already left",
        by_authority(world, "officer.left", "cb-29269", {"effective": world.clock.now()}),
        "officer",
        "cb-29269",
    )


def test_refuses_an_officer_change_dated_before_their_last_posting(world: World) -> None:
    world.later(2)
    posted = world.clock.now()
    moved(world, "29266", posted)()
    world.later()

    # into a third office an hour before the move: no other rule would stop it
    refused(
        world,
        RegistryConflict,
        "comes before the posting already effective",
        moved(world, "844", posted - HOUR),
        "officer",
        "cb-29269",
    )
    moved(world, "844", posted)()  # at the same instant as the last posting: in order
    assert world.ledger.officer("cb-29269").office_at(posted) == "844"


# --- procedures ----------------------------------------------------------------------------

FIRST = {
    "name_vi": "Cấp giấy xác nhận",
    "name_en": "Certificate",
    "route": [{"level": "commune", "days": 3, "day_type": "working"}],
    "decides": ["commune"],
    "legal_basis": "Decree 1/2025/NĐ-CP",
    "effective": "2025-01-01",
}


@pytest.mark.parametrize("version", [2, 7])
def test_refuses_a_first_published_version_other_than_1(world: World, version: int) -> None:
    refused(
        world,
        RegistryConflict,
        f"the first published version must be 1, not {version}",
        by_authority(world, "procedure.published", "new-procedure", {**FIRST, "version": version}),
        "procedure",
        "new-procedure",
    )
    world.authority.record("procedure.published", "new-procedure", {**FIRST, "version": 1})
    assert [v["version"] for v in world.ledger.procedure("new-procedure").versions] == [1]
    assert world.ledger.procedure(PROCEDURE).versions[0]["version"] == 1
