"""Projections: where every dossier is and every hop it made, built from the log exactly once.

One story of five dossiers (received, dispatched, acknowledged, rejected, recalled, suspended for a
supplement, re-appointed, decided, returned, withdrawn) is recorded and projected; the views must
say what the story says, whether built entry by entry, in one go, or again from zero; a crash in
the middle of a batch leaves nothing half-applied; an entry the projection cannot apply stops it
there; two projectors never apply one entry twice; a follower keeps the views current.
Every test runs on memory, SQLite and PostgreSQL through the `world` fixture.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from domain.dossier import Dossier
from ledger.application import Receipt
from ledger.views import rules, tables
from ledger.views.projector import Location, ProjectionStopped, Projector, ViewStore
from tests.world import CODE, DAY, HOUR, PROCEDURE, START, World, document

CLOSED = CODE  # up to the province, re-appointed, decided, sent back, result returned
SENT = "000.00.01.H59-250303-0002"  # in transit to 844, dispatched after BOUNCED's last dispatch
BOUNCED = "000.00.01.H59-250303-0003"  # rejected by 844, recalled from 845, in transit to 844
WITHDRAWN = "000.00.01.H59-250303-0004"
WAITING = "000.00.01.H59-250303-0005"  # awaiting a supplement

APPLICATION = document("Đơn đề nghị")
IDENTITY = document("Bản sao CCCD")
HOUSEHOLD = document("Sổ hộ khẩu")
DECISION = document("Quyết định")

Story = dict[str, Receipt]
LEG_FIELDS = (
    "code",
    "hop",
    "dispatch",
    "from_office",
    "from_officer",
    "to_office",
    "purpose",
    "dispatched_at",
    "outcome",
    "by_office",
    "by_officer",
    "ended_at",
    "missing",
    "extra",
)


# --- the story -------------------------------------------------------------------------------


def tell(
    world: World, after: Callable[[str, Receipt], None] = lambda _name, _receipt: None
) -> Story:
    """Record the story; `after(name, receipt)` runs after every statement."""
    story: Story = {}

    def note(name: str, receipt: Receipt) -> Receipt:
        story[name] = receipt
        after(name, receipt)
        return receipt

    def act(name: str, office: str, kind: str, code: str, body: dict[str, Any]) -> Receipt:
        world.later()
        return note(name, world.at(office).record(kind, code, body))

    def settle(name: str, office: str, kind: str, code: str, dispatch: str) -> Receipt:
        return act(
            name, office, kind, code, {"dispatch": story[dispatch].digest, "reason": "Lý do"}
        )

    note("closed.received", world.receive(CLOSED, appointed=START + 20 * DAY))
    act(
        "closed.suspended",
        "29266",
        "dossier.supplement_requested",
        CLOSED,
        {"reason": "Thiếu giấy xác nhận", "missing": ["Giấy xác nhận người có công"]},
    )
    world.later(24)
    act(
        "closed.resumed",
        "29266",
        "dossier.supplement_received",
        CLOSED,
        {"documents": [document("Giấy xác nhận người có công")]},
    )
    note("closed.sent", world.dispatch("29266", "844", CLOSED, [APPLICATION, IDENTITY]))
    note(
        "closed.taken",
        world.acknowledge("844", story["closed.sent"], CLOSED, [APPLICATION, HOUSEHOLD]),
    )
    note("closed.sent_up", world.dispatch("844", "84", CLOSED))
    note("closed.taken_up", world.acknowledge("84", story["closed.sent_up"], CLOSED))
    act(
        "closed.delayed",
        "84",
        "dossier.delay_notified",
        CLOSED,
        {"reason": "Cần xác minh thêm", "appointed": START + 25 * DAY},
    )
    act(
        "closed.decided",
        "84",
        "dossier.decided",
        CLOSED,
        {"outcome": "approved", "reference": "QĐ 12/QĐ-UBND", "documents": [DECISION]},
    )
    act(
        "closed.sent_back",
        "84",
        "handover.dispatched",
        CLOSED,
        {"to": "29266", "purpose": "return", "documents": [DECISION]},
    )
    note(
        "closed.taken_back",
        world.acknowledge("29266", story["closed.sent_back"], CLOSED, [DECISION]),
    )
    act("closed.returned", "29266", "dossier.result_returned", CLOSED, {"channel": "direct"})

    note("bounced.received", world.receive(BOUNCED, office="29269"))
    note("bounced.sent", world.dispatch("29269", "844", BOUNCED))
    settle("bounced.rejected", "844", "handover.rejected", BOUNCED, "bounced.sent")
    note("bounced.sent_again", world.dispatch("29269", "845", BOUNCED))
    settle("bounced.recalled", "29269", "handover.recalled", BOUNCED, "bounced.sent_again")
    note("bounced.sent_last", world.dispatch("29269", "844", BOUNCED))

    note("sent.received", world.receive(SENT))
    note("sent.sent", world.dispatch("29266", "844", SENT))

    note("withdrawn.received", world.receive(WITHDRAWN, office="29269"))
    act(
        "withdrawn.withdrawn",
        "29269",
        "dossier.withdrawn",
        WITHDRAWN,
        {"reason": "Người nộp rút hồ sơ"},
    )

    note("waiting.received", world.receive(WAITING))
    act(
        "waiting.suspended",
        "29266",
        "dossier.supplement_requested",
        WAITING,
        {"reason": "Thiếu giấy tờ", "missing": ["CCCD"]},
    )
    return story


# --- helpers -------------------------------------------------------------------------------


@pytest.fixture
def projectors(world: World) -> Iterator[Callable[..., Projector]]:
    """Make projectors on the world's ledger; each is closed after the test."""
    made: list[Projector] = []

    def make(view: ViewStore | None = None) -> Projector:
        made.append(Projector(world.ledger, view))
        return made[-1]

    yield make
    for projector in made:
        projector.close()


def in_memory(world: World) -> bool:
    return world.ledger.settings.database_url == "memory:"


def same_views(world: World, first: Projector) -> ViewStore | None:
    """A restarted projector's view store: its own connection to the ledger's database, or, for a
    `memory:` ledger, whose views live only in the first projector's connection, that one."""
    return first.view if in_memory(world) else None


def fresh_build(world: World, projectors: Callable[..., Projector]) -> dict[str, Any]:
    """The views built in one go on a fresh, separate (in-memory) view store."""
    projector = projectors(ViewStore("memory:"))
    assert projector.catch_up() == len(notifications(world))
    return projector.dump()


def notifications(world: World) -> list[Any]:
    return list(world.ledger.recorder.select_notifications(1, 100_000))


def last_id(world: World) -> int:
    return int(world.ledger.recorder.max_notification_id() or 0)


def where(location: Location | None) -> tuple[Any, ...]:
    assert location is not None
    return (
        location.status,
        location.custodian,
        location.transit_from,
        location.transit_to,
        location.since,
    )


# --- what the views say ------------------------------------------------------------------------


def test_registry_statements_only_list_the_registry_subjects(
    world: World, projectors: Callable[..., Projector]
) -> None:
    projector = projectors()

    assert projector.catch_up() == world.ledger.log_size() > 0
    key = world.enrol("cb-2-845", "845").key.key_id
    assert projector.catch_up() == 2
    assert projector.position() == last_id(world)
    dump = projector.dump()
    assert {"location", "legs"} <= set(dump)
    assert all(rows == [] for name, rows in dump.items() if name != "subjects"), dump
    assert "cb-2-845" in projector.subjects("officer")
    assert projector.subjects("key", owner="cb-2-845") == [key]
    assert "845" in projector.subjects("office")
    offices = projector.subjects("office")
    assert projector.subjects("office", after=offices[0], limit=1) == offices[1:2]


def test_location_follows_every_custody_change_as_it_happens(
    world: World, projectors: Callable[..., Projector]
) -> None:
    projector = projectors()
    seen: dict[str, tuple[Any, ...]] = {}

    def look(name: str, receipt: Receipt) -> None:
        projector.catch_up()
        seen[name] = where(projector.location(receipt.subject))

    story = tell(world, look)

    def at(name: str) -> int:
        return story[name].recorded_at

    assert seen == {
        "closed.received": ("held", "29266", None, None, at("closed.received")),
        "closed.suspended": ("suspended", "29266", None, None, at("closed.received")),
        "closed.resumed": ("held", "29266", None, None, at("closed.received")),
        "closed.sent": ("in_transit", None, "29266", "844", at("closed.sent")),
        "closed.taken": ("held", "844", None, None, at("closed.taken")),
        "closed.sent_up": ("in_transit", None, "844", "84", at("closed.sent_up")),
        "closed.taken_up": ("held", "84", None, None, at("closed.taken_up")),
        "closed.delayed": ("held", "84", None, None, at("closed.taken_up")),
        "closed.decided": ("held", "84", None, None, at("closed.taken_up")),
        "closed.sent_back": ("in_transit", None, "84", "29266", at("closed.sent_back")),
        "closed.taken_back": ("held", "29266", None, None, at("closed.taken_back")),
        "closed.returned": ("closed", "29266", None, None, at("closed.taken_back")),
        "bounced.received": ("held", "29269", None, None, at("bounced.received")),
        "bounced.sent": ("in_transit", None, "29269", "844", at("bounced.sent")),
        "bounced.rejected": ("held", "29269", None, None, at("bounced.rejected")),
        "bounced.sent_again": ("in_transit", None, "29269", "845", at("bounced.sent_again")),
        "bounced.recalled": ("held", "29269", None, None, at("bounced.recalled")),
        "bounced.sent_last": ("in_transit", None, "29269", "844", at("bounced.sent_last")),
        "sent.received": ("held", "29266", None, None, at("sent.received")),
        "sent.sent": ("in_transit", None, "29266", "844", at("sent.sent")),
        "withdrawn.received": ("held", "29269", None, None, at("withdrawn.received")),
        "withdrawn.withdrawn": ("closed", "29269", None, None, at("withdrawn.received")),
        "waiting.received": ("held", "29266", None, None, at("waiting.received")),
        "waiting.suspended": ("suspended", "29266", None, None, at("waiting.received")),
    }


def test_location_holds_the_dossier_whole_state(
    world: World, projectors: Callable[..., Projector]
) -> None:
    story = tell(world)
    projector = projectors()
    projector.catch_up()

    def at(name: str) -> int:
        return story[name].recorded_at

    assert at("closed.resumed") - at("closed.suspended") == 25 * HOUR
    expected = {
        CLOSED: {
            "status": "closed",
            "received_by": "29266",
            "received_at": START,
            "custodian": "29266",
            "transit_from": None,
            "transit_to": None,
            "since": at("closed.taken_back"),
            "appointed": START + 25 * DAY,
            "suspended_since": None,
            "suspended_us": 25 * HOUR,
            "hops": 3,
            "decided": "approved",
            "decided_at": at("closed.decided"),
            "closed_at": at("closed.returned"),
            "last_seq": 12,
        },
        BOUNCED: {
            "status": "in_transit",
            "received_by": "29269",
            "received_at": at("bounced.received"),
            "custodian": None,
            "transit_from": "29269",
            "transit_to": "844",
            "since": at("bounced.sent_last"),
            "appointed": at("bounced.received") + 20 * DAY,
            "suspended_since": None,
            "suspended_us": 0,
            "hops": 3,
            "decided": None,
            "closed_at": None,
            "last_seq": 6,
        },
        WITHDRAWN: {
            "status": "closed",
            "received_by": "29269",
            "received_at": at("withdrawn.received"),
            "custodian": "29269",
            "transit_from": None,
            "transit_to": None,
            "since": at("withdrawn.received"),
            "appointed": at("withdrawn.received") + 20 * DAY,
            "suspended_since": None,
            "suspended_us": 0,
            "hops": 0,
            "decided": None,
            "decided_at": None,
            "closed_at": at("withdrawn.withdrawn"),
            "last_seq": 2,
        },
        WAITING: {
            "status": "suspended",
            "received_by": "29266",
            "received_at": at("waiting.received"),
            "custodian": "29266",
            "transit_from": None,
            "transit_to": None,
            "since": at("waiting.received"),
            "appointed": at("waiting.received") + 20 * DAY,
            "suspended_since": at("waiting.suspended"),
            "suspended_us": 0,
            "hops": 0,
            "decided": None,
            "closed_at": None,
            "last_seq": 2,
        },
    }
    for code, fields in expected.items():
        location = projector.location(code)
        assert location is not None, code
        assert (location.code, location.procedure, location.version) == (code, PROCEDURE, 1)
        assert {name: getattr(location, name) for name in fields} == fields, code
        assert location.last_seq == len(world.ledger.history("dossier", code)), code
    assert [row[0] for row in projector.dump()["location"]] == sorted(
        [CLOSED, SENT, BOUNCED, WITHDRAWN, WAITING]
    )
    assert projector.location("000.00.01.H59-250303-9999") is None


def test_legs_are_one_row_per_dispatch_with_how_it_ended(
    world: World, projectors: Callable[..., Projector]
) -> None:
    story = tell(world)
    projector = projectors()
    projector.catch_up()

    def leg(
        code: str,
        hop: int,
        sent: str,
        to: str,
        ended: str | None = None,
        outcome: str | None = None,
        by: str | None = None,
        purpose: str = "process",
        missing: int = 0,
        extra: int = 0,
    ) -> dict[str, Any]:
        sender = story[sent]
        from_office = world.ledger.history("dossier", code)[sender.seq - 1].statement.office
        return {
            "code": code,
            "hop": hop,
            "dispatch": sender.digest,
            "from_office": from_office,
            "from_officer": f"cb-{from_office}",
            "to_office": to,
            "purpose": purpose,
            "dispatched_at": sender.recorded_at,
            "outcome": outcome,
            "by_office": by,
            "by_officer": f"cb-{by}" if by else None,
            "ended_at": story[ended].recorded_at if ended else None,
            "missing": missing,
            "extra": extra,
        }

    def legs(code: str) -> list[dict[str, Any]]:
        return [{name: getattr(row, name) for name in LEG_FIELDS} for row in projector.legs(code)]

    assert legs(CLOSED) == [
        leg(
            CLOSED,
            1,
            "closed.sent",
            "844",
            "closed.taken",
            "acknowledged",
            "844",
            missing=1,
            extra=1,
        ),
        leg(CLOSED, 2, "closed.sent_up", "84", "closed.taken_up", "acknowledged", "84"),
        leg(
            CLOSED,
            3,
            "closed.sent_back",
            "29266",
            "closed.taken_back",
            "acknowledged",
            "29266",
            purpose="return",
        ),
    ]
    assert legs(BOUNCED) == [
        leg(BOUNCED, 1, "bounced.sent", "844", "bounced.rejected", "rejected", "844"),
        leg(BOUNCED, 2, "bounced.sent_again", "845", "bounced.recalled", "recalled", "29269"),
        leg(BOUNCED, 3, "bounced.sent_last", "844"),
    ]
    assert legs(SENT) == [leg(SENT, 1, "sent.sent", "844")]
    assert projector.legs(WITHDRAWN) == projector.legs(WAITING) == []


def test_inbox_lists_exactly_the_dossiers_in_transit_to_the_office_oldest_first(
    world: World, projectors: Callable[..., Projector]
) -> None:
    tell(world)
    projector = projectors()
    projector.catch_up()

    # BOUNCED was dispatched to 844 before SENT, though its code sorts after
    assert [location.code for location in projector.inbox("844")] == [BOUNCED, SENT]
    assert projector.inbox("844") == [projector.location(BOUNCED), projector.location(SENT)]
    for office in ("845", "84", "29266", "29269"):  # recalled, acknowledged, or never sent
        assert projector.inbox(office) == [], office


# --- building: incremental, in one go, from zero ----------------------------------------------


def test_projecting_entry_by_entry_equals_a_rebuild_and_a_fresh_build(
    world: World, projectors: Callable[..., Projector]
) -> None:
    projector = projectors()
    applied: list[int] = []
    tell(world, lambda _name, _receipt: applied.append(projector.catch_up()))
    incremental = projector.dump()

    assert set(applied[1:]) == {1}  # the first also applies the registry entries before it
    assert len(incremental["location"]) == 5
    assert len(incremental["legs"]) == 7
    assert projector.rebuild() == len(notifications(world))
    assert projector.position() == last_id(world)
    assert projector.dump() == incremental
    assert fresh_build(world, projectors) == incremental


def test_rebuild_starts_from_zero_rather_than_on_top_of_the_views(
    world: World, projectors: Callable[..., Projector]
) -> None:
    tell(world)
    projector = projectors()
    projector.catch_up()
    built = projector.dump()

    # a view row the log does not support is gone after a rebuild
    with projector.view.transaction() as cursor:
        cursor.execute(
            "UPDATE lienthong_location SET custodian = ? WHERE code = ?", ("99999", WAITING)
        )
    assert projector.dump() != built
    assert projector.rebuild() == len(notifications(world))
    assert projector.dump() == built


# --- exactly once ------------------------------------------------------------------------------


def test_a_failure_mid_batch_leaves_nothing_half_applied_and_a_restart_resumes(
    world: World, projectors: Callable[..., Projector], monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = len(notifications(world))
    tell(world)
    entries = notifications(world)
    # fail on the second entry of a batch of three, two batches into the story
    committed = 3 * (registry // 3 + 2)
    failing = committed + 2
    assert failing < len(entries)

    reference = projectors(ViewStore("memory:"))
    reference.apply(entries[:committed], 0)
    before = reference.dump()
    reference.apply(entries[committed : committed + 1], entries[committed - 1].id)
    assert reference.dump() != before  # a half-applied batch would show

    calls = 0
    original = Projector._apply

    def crashing(self: Projector, cursor: Any, event: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == failing:
            raise RuntimeError("the power went out")
        original(self, cursor, event)

    monkeypatch.setattr(Projector, "_apply", crashing)
    projector = projectors()
    with pytest.raises(ProjectionStopped, match=f"log entry {entries[failing - 1].id} ") as stop:
        projector.catch_up(batch=3)
    assert isinstance(stop.value.__cause__, RuntimeError)
    assert projector.position() == entries[committed - 1].id
    assert projector.dump() == before

    monkeypatch.undo()
    restarted = projectors(same_views(world, projector))
    assert restarted.position() == entries[committed - 1].id
    assert restarted.catch_up(batch=3) == len(entries) - committed
    assert restarted.dump() == fresh_build(world, projectors)
    assert restarted.catch_up(batch=3) == 0
    assert restarted.position() == last_id(world)


def test_catching_up_twice_applies_nothing_the_second_time(
    world: World, projectors: Callable[..., Projector]
) -> None:
    tell(world)
    projector = projectors()

    assert projector.catch_up(batch=7) == len(notifications(world))
    built = projector.dump()
    assert projector.catch_up(batch=7) == 0
    assert projector.dump() == built


def test_an_entry_the_projection_cannot_apply_stops_it_before_that_entry(
    world: World, projectors: Callable[..., Projector], monkeypatch: pytest.MonkeyPatch
) -> None:
    tell(world)
    entries = notifications(world)
    index = next(i for i, entry in enumerate(entries) if "Dispatched" in entry.topic)
    batch_start = 4 * (index // 4)
    monkeypatch.delitem(rules.HANDLERS, Dossier.Dispatched)
    projector = projectors()

    for _ in range(2):  # it never skips the entry, however often it is asked
        with pytest.raises(ProjectionStopped, match="Dispatched"):
            projector.catch_up(batch=4)
        assert projector.position() == (entries[batch_start - 1].id if batch_start else 0)
        assert projector.position() < entries[index].id

    monkeypatch.undo()
    assert projector.catch_up(batch=4) == len(entries) - batch_start
    assert projector.dump() == fresh_build(world, projectors)


def test_the_stop_names_the_log_entry_and_its_topic(
    world: World, projectors: Callable[..., Projector], monkeypatch: pytest.MonkeyPatch
) -> None:
    tell(world)
    entry = next(entry for entry in notifications(world) if "Dispatched" in entry.topic)
    monkeypatch.delitem(rules.HANDLERS, Dossier.Dispatched)
    projector = projectors()

    with pytest.raises(ProjectionStopped) as stop:
        projector.catch_up()
    assert f"log entry {entry.id} ({entry.topic})" in str(stop.value)


# --- two projectors -----------------------------------------------------------------------------


def test_a_batch_from_a_stale_position_is_refused_and_applies_nothing(
    world: World, projectors: Callable[..., Projector]
) -> None:
    world.receive()
    first = projectors()
    second = projectors(same_views(world, first))
    first.catch_up()
    start = first.position()
    world.hand_over("29266", "844")  # a dispatch and its acknowledgement
    stale = world.ledger.recorder.select_notifications(start + 1, 100)
    assert len(stale) == 2

    assert second.catch_up() == 2
    done = second.dump()
    with pytest.raises(ProjectionStopped, match="another projector"):
        first.apply(stale, start)
    assert first.position() == second.position() == last_id(world)
    assert first.dump() == done == fresh_build(world, projectors)
    assert [leg.hop for leg in first.legs(CODE)] == [1]


def test_catching_up_after_another_projector_got_there_first_carries_on_from_its_position(
    world: World, projectors: Callable[..., Projector]
) -> None:
    first = projectors()
    second = projectors(same_views(world, first))
    first.catch_up()
    world.receive()
    real_position = first.position
    stale = [real_position()]

    def overtaken() -> int:  # the first read is stale: the other projector applies meanwhile
        if stale:
            second.catch_up()
            return stale.pop()
        return real_position()

    first.position = overtaken  # type: ignore[method-assign]
    assert first.catch_up() == 0
    assert real_position() == last_id(world)
    assert first.dump() == second.dump() == fresh_build(world, projectors)


def test_a_stale_batch_that_receives_a_dossier_is_reported_as_another_projectors(
    world: World, projectors: Callable[..., Projector]
) -> None:
    first = projectors()
    second = projectors(same_views(world, first))
    first.catch_up()
    start = first.position()
    world.receive()
    stale = world.ledger.recorder.select_notifications(start + 1, 100)
    second.catch_up()

    with pytest.raises(ProjectionStopped, match="another projector"):
        first.apply(stale, start)


def test_a_stale_batch_that_receives_a_dossier_is_not_applied_twice(
    world: World, projectors: Callable[..., Projector]
) -> None:
    first = projectors()
    second = projectors(same_views(world, first))
    first.catch_up()
    start = first.position()
    world.receive()
    world.dispatch("29266", "844")
    stale = world.ledger.recorder.select_notifications(start + 1, 100)
    second.catch_up()
    done = second.dump()

    with pytest.raises(ProjectionStopped):
        first.apply(stale, start)
    assert first.position() == last_id(world)
    assert first.dump() == done == fresh_build(world, projectors)


# --- following -----------------------------------------------------------------------------------


def test_a_follower_applies_new_statements_as_they_are_recorded(
    world: World, projectors: Callable[..., Projector], monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite and memory poll; PostgreSQL wakes on LISTEN/NOTIFY, so its follower polls never."""
    world.receive()
    projector = projectors()
    on_postgres = projector.view.kind == "postgres"
    listening = threading.Event()
    if on_postgres:
        # record only once the subscription listens: a NOTIFY sent earlier reaches nobody
        notifies = psycopg.Connection.notifies

        def notifies_when_listening(self: Any, *args: Any, **kwargs: Any) -> Any:
            listening.set()
            return notifies(self, *args, **kwargs)

        monkeypatch.setattr(psycopg.Connection, "notifies", notifies_when_listening)
    else:
        listening.set()
    stop = threading.Event()
    failures: list[BaseException] = []

    def follow() -> None:
        try:
            projector.follow(stop, poll_seconds=3600 if on_postgres else 0.05)
        except BaseException as problem:
            failures.append(problem)

    follower = threading.Thread(target=follow)
    follower.start()
    try:
        assert projector.wait_for(last_id(world), timeout=10)
        assert listening.wait(10)
        dispatch = world.dispatch("29266", "844")
        assert projector.wait_for(last_id(world), timeout=10)
        assert where(projector.location(CODE)) == (
            "in_transit",
            None,
            "29266",
            "844",
            dispatch.recorded_at,
        )

        world.acknowledge("844", dispatch)
        assert projector.wait_for(last_id(world), timeout=10)
        assert projector.location(CODE).custodian == "844"  # type: ignore[union-attr]
        assert projector.inbox("844") == []
    finally:
        stop.set()
        follower.join(timeout=10)
    assert not follower.is_alive()
    assert failures == []
    assert projector.position() == last_id(world)


def test_waiting_for_a_position_not_yet_recorded_times_out(
    world: World, projectors: Callable[..., Projector]
) -> None:
    projector = projectors()
    projector.catch_up()

    assert projector.wait_for(last_id(world), timeout=0)
    assert not projector.wait_for(last_id(world) + 1, timeout=0.01)


def test_views_of_another_layout_are_made_again_and_rebuilt_from_the_log(world: World) -> None:
    world.receive()
    projector = Projector(world.ledger)
    projector.catch_up()
    before = projector.dump()
    assert before["location"]
    with projector.view.transaction() as cursor:  # as an older version of the views left them
        cursor.execute("UPDATE lienthong_views_layout SET layout = ?", (tables.LAYOUT - 1,))
        cursor.execute("DELETE FROM lienthong_location")
    projector.close()

    again = Projector(world.ledger, ViewStore(world.ledger.settings.database_url))
    try:
        assert again.position() == 0
        assert again.dump()["location"] == []
        assert again.catch_up() == world.ledger.log_size()
        assert again.dump() == before
    finally:
        again.close()


KILLER = """
import os, sys
from ledger.views import projector as projections
from ledger.application import Ledger
from ledger.config import LedgerSettings

ledger = Ledger(LedgerSettings(database_url=sys.argv[1]))
projector = projections.Projector(ledger)
applied = 0
apply = projector._apply

def die_mid_batch(cursor, event):
    global applied
    apply(cursor, event)
    applied += 1
    if applied == int(sys.argv[2]):
        os._exit(9)  # as a kill -9: no rollback, no cleanup, the connection just drops

projector._apply = die_mid_batch
projector.catch_up(batch=int(sys.argv[3]))
"""


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_a_projection_process_killed_mid_batch_resumes_with_no_gap_and_no_duplicate(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = (
        f"sqlite:///{tmp_path / 'ledger.db'}"
        if backend == "sqlite"
        else str(request.getfixturevalue("postgres_url"))
    )
    world = World.build(url)
    try:
        tell(world)
        total = len(notifications(world))
        batch = 10
        # the process dies in its third batch, after applying half of it
        died = subprocess.run(
            [sys.executable, "-c", KILLER, url, "25", str(batch)],
            cwd=Path(__file__).resolve().parent.parent,
            capture_output=True,
            text=True,
            check=False,
        )
        assert died.returncode == 9, died.stderr
        projector = Projector(world.ledger)
        try:
            position = projector.position()
            assert position == 2 * batch  # the two whole batches, nothing of the third
            assert total > 3 * batch
            assert projector.catch_up() == total - position
            assert projector.dump() == fresh_build_of(world)
        finally:
            projector.close()
    finally:
        world.ledger.close()


def fresh_build_of(world: World) -> dict[str, Any]:
    projector = Projector(world.ledger, ViewStore("memory:"))
    try:
        projector.catch_up()
        return projector.dump()
    finally:
        projector.close()
