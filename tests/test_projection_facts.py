"""The projection reads its statements by a trusted decode (`rules.facts`): the fields its rules
read, from the stored bytes, without the checks the ledger made when it recorded them.

The decode must give every rule what `schema.parse` gives it (every kind the story records is
compared, field by field), and a stored statement that does not hold those fields stops the
projection at its entry, applying nothing of the batch. The event's own fields are read the same
way from its stored state (`rules.said`), where the mapper stores it as plain msgpack."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import msgspec
import pytest
from eventsourcing.compressor import ZlibCompressor

from ledger.statements import canonical, schema, transcoder
from ledger.views import rules
from ledger.views.projector import ProjectionStopped, Projector, ViewStore
from tests.test_projection_batches import DECIDED, REFUSED, STOPPED, tell_more
from tests.test_projections import notifications, tell
from tests.world import World


@pytest.fixture
def projector(world: World) -> Iterator[Projector]:
    made = Projector(world.ledger)
    yield made
    made.close()


def statements(world: World) -> list[tuple[Any, bytes]]:
    """(event, stored statement bytes) of every entry of the log."""
    decode = world.ledger.mapper.to_domain_event
    events: list[Any] = [decode(notification) for notification in notifications(world)]
    return [(event, event.raw) for event in events]


def test_the_trusted_decode_gives_the_rules_the_fields_the_full_parse_gives(
    world: World,
) -> None:
    tell(world)
    tell_more(world)
    kinds = set()
    for _event, raw in statements(world):
        parsed, read = schema.parse(raw), rules.facts(raw)
        kinds.add(parsed.kind)
        assert (read.kind, read.subject, read.seq, read.office, read.officer, read.at) == (
            parsed.kind,
            parsed.subject,
            parsed.seq,
            parsed.office,
            parsed.officer,
            parsed.at,
        )
        assert read.family == parsed.family
        body = parsed.body
        assert read.body.channel == body.get("channel", "")
        assert [d.sha256 for d in read.body.documents] == [
            bytes(d["sha256"]) for d in body.get("documents", [])
        ]
        assert read.body.purpose == body.get("purpose", "")
        assert read.body.dispatch == bytes(body.get("dispatch", b""))
        assert read.body.officer == body.get("officer")
    # the story covers the kinds whose body fields the rules read
    assert {
        "dossier.received",
        "handover.dispatched",
        "handover.acknowledged",
        "handover.rejected",
        "handover.recalled",
        "dossier.refused",
        "dossier.stopped",
        "dossier.decided",
        "key.registered",
    } <= kinds


def test_the_trusted_decode_skips_fields_the_rules_do_not_read_and_refuses_missing_ones() -> None:
    fields = {
        "at": 5,
        "body": {"channel": "direct", "documents": [], "unknown": [1, {"x": b""}]},
        "kind": "dossier.received",
        "office": "1",
        "officer": "o",
        "seq": 1,
        "subject": "s",
        "extra": "skipped",
    }
    assert rules.facts(canonical.encode(fields)).body.channel == "direct"
    with pytest.raises(ProjectionStopped, match="cannot be read"):
        rules.facts(canonical.encode({key: fields[key] for key in fields if key != "subject"}))
    with pytest.raises(ProjectionStopped, match="cannot be read"):
        rules.facts(canonical.encode({**fields, "at": "five"}))
    with pytest.raises(ProjectionStopped, match="cannot be read"):
        rules.facts(b"\xc1")  # not msgpack


def damage(notification: Any, **fields: Any) -> Any:
    """The notification with these fields of its stored event state changed."""
    state = transcoder._unpack(notification.state)
    return dataclasses.replace(notification, state=transcoder._pack({**state, **fields}))


@pytest.mark.parametrize(
    ("damaged", "problem"),
    [
        ({"raw": b"\x80"}, "the stored statement cannot be read"),
        ({"raw": b"\xc1"}, "the stored statement cannot be read"),
        ({"raw": msgspec.msgpack.encode([1, 2])}, "the stored statement cannot be read"),
        ({"raw": "not bytes"}, "the stored event cannot be read"),
        ({"procedure": 7}, "the stored event cannot be read"),
    ],
)
def test_a_stored_entry_without_the_fields_stops_the_projection_at_its_entry(
    world: World, projector: Projector, damaged: dict[str, Any], problem: str
) -> None:
    world.receive(REFUSED)
    projector.catch_up()
    start = projector.position()
    before = projector.dump()
    world.receive(STOPPED)
    world.receive(DECIDED)
    batch = world.ledger.recorder.select_notifications(start + 1, 100)
    assert len(batch) == 2
    assert "Received" in batch[1].topic

    with pytest.raises(
        ProjectionStopped, match=f"log entry {batch[1].id} \\({batch[1].topic}\\)"
    ) as stop:
        projector.apply([batch[0], damage(batch[1], **damaged)], start)
    assert problem in str(stop.value)
    assert projector.position() == start
    assert projector.dump() == before

    assert projector.catch_up() == 2
    assert projector.location(DECIDED) is not None


def test_a_state_the_mapper_stores_otherwise_is_read_through_the_mapper(
    world: World, projector: Projector, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stored state is read straight only where it is the mapper's plain msgpack; a mapper
    that compresses it (or ciphers it, or upcasts the event) makes the domain event first."""
    tell(world)
    tell_more(world)
    entries = notifications(world)
    compressor = ZlibCompressor()
    compressed = [
        dataclasses.replace(entry, state=compressor.compress(entry.state)) for entry in entries
    ]
    expected = Projector(world.ledger, ViewStore("memory:"))
    try:
        expected.catch_up()
        monkeypatch.setattr(world.ledger.mapper, "compressor", compressor)
        projector.apply(compressed, 0)
        assert projector.dump() == expected.dump()
    finally:
        expected.close()
