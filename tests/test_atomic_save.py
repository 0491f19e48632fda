"""A save is atomic on every backend: its events and their leaves are stored together or not at all.

The leaf step runs after the events are inserted (in the same transaction). Whatever fails there —
a tree node missing from a damaged store, any error in the code that grows the tree — nothing of
the save may remain: no event, no leaf, no node, the subject's head and the log's head as before,
and the next good save is recorded as if the failed one had never been tried.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from psycopg import sql

from domain.statement import ZERO_HASH
from ledger.application import Ledger
from ledger.log.audit import audit
from ledger.log.merkle import NodeId
from ledger.log.storage import tree as logstore
from ledger.log.storage.memory import MemoryLogRecorder
from ledger.log.storage.postgres import PostgresLogRecorder
from ledger.log.storage.sqlite import SQLiteLogRecorder
from ledger.log.storage.tree import TreeMissing
from tests.world import CODE, World, document

OTHER = "000.00.01.H59-250303-0002"


class Injected(RuntimeError):
    """The failure put into the leaf step."""


def stored(ledger: Ledger) -> tuple[int, list[Any]]:
    """What the store holds, read without the tree: the event count and every leaf row."""
    return (ledger.recorder.max_notification_id() or 0, ledger.logstore.leaf_refs(0, 10_000))


def set_node(ledger: Ledger, node: NodeId, value: bytes | None) -> None:
    """Damage (value None: delete) or repair one stored tree node, as someone with the database
    could, outside the ledger."""
    recorder = ledger.recorder
    level, index = node
    if isinstance(recorder, MemoryLogRecorder):
        if value is None:
            del recorder._nodes[node]
        else:
            recorder._nodes[node] = value
    elif isinstance(recorder, SQLiteLogRecorder):
        with recorder.datastore.transaction(commit=True) as c:
            if value is None:
                c.execute(
                    "DELETE FROM lienthong_nodes WHERE level = ? AND node_index = ?", (level, index)
                )
            else:
                c.execute("INSERT INTO lienthong_nodes VALUES (?, ?, ?)", (level, index, value))
    else:
        assert isinstance(recorder, PostgresLogRecorder)
        table = sql.SQL("{}.lienthong_nodes").format(sql.Identifier(recorder.datastore.schema))
        with recorder.datastore.transaction(commit=True) as curs:
            if value is None:
                curs.execute(
                    sql.SQL("DELETE FROM {} WHERE level = %s AND node_index = %s").format(table),
                    (level, index),
                )
            else:
                curs.execute(
                    sql.SQL("INSERT INTO {} VALUES (%s, %s, %s)").format(table),
                    (level, index, value),
                )


def dispatch_envelopes(world: World) -> list[tuple[bytes, bytes]]:
    """Two statements for one batch: the dossier is dispatched, then a second one received."""
    world.later()
    officer = world.at("29266")
    first = officer.envelope(
        "handover.dispatched",
        CODE,
        {"to": "844", "purpose": "process", "documents": [document("Đơn đề nghị")]},
    )
    second = world.at("29269").envelope(
        "dossier.received",
        OTHER,
        {
            "procedure": "merit-education-preference",
            "version": 1,
            "applicant": b"\x01" * 32,
            "channel": "direct",
            "documents": [document("Đơn đề nghị")],
            "appointed": world.clock.now() + 20 * 24 * 3600 * 1_000_000,
        },
    )
    return [(first.statement, first.signature), (second.statement, second.signature)]


@pytest.mark.parametrize("how", ["record", "record_many"])
def test_refuses_to_keep_events_whose_leaf_step_failed(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, how: str
) -> None:
    world.receive()
    ledger = world.ledger
    before = stored(ledger)
    size, root = ledger.log_size(), ledger.root()
    envelopes = dispatch_envelopes(world)

    def broken(*_: Any) -> Any:
        raise Injected("the leaf step failed")

    def save() -> Any:
        return ledger.record(*envelopes[0]) if how == "record" else ledger.record_many(envelopes)

    monkeypatch.setattr(logstore, "_grow", broken)
    with caplog.at_level(logging.WARNING), pytest.raises(Injected):
        save()

    assert stored(ledger) == before  # no event, no leaf
    assert (ledger.log_size(), ledger.root()) == (size, root)  # no node: the same tree
    assert ledger.head("dossier", CODE)[0] == 1
    assert ledger.head("dossier", OTHER) == (0, ZERO_HASH)
    assert not [r for r in caplog.records if r.name.startswith("psycopg")]  # rolled back quietly

    monkeypatch.undo()
    if how == "record":
        assert ledger.record(*envelopes[0]).seq == 2
    else:
        assert [outcome.seq for outcome in ledger.record_many(envelopes)] == [2, 1]
    assert ledger.log_size() == size + (1 if how == "record" else 2)
    report = audit(ledger, workers=1)
    assert report.ok, [finding.describe() for finding in report.findings]


def test_refuses_to_keep_events_when_a_tree_node_is_missing(world: World) -> None:
    ledger = world.ledger
    size = ledger.log_size()
    needed = logstore._siblings(size, 1)  # the stored nodes the next leaf combines with
    assert needed, f"the next leaf after {size} needs no stored node: the test proves nothing"
    node = needed[0]
    value = ledger.logstore.fetch_nodes([node])[0]
    set_node(ledger, node, None)
    before = stored(ledger)

    with pytest.raises(TreeMissing, match=r"no stored node .* run `lienthong verify`"):
        world.receive()

    assert stored(ledger) == before
    assert ledger.head("dossier", CODE) == (0, ZERO_HASH)

    set_node(ledger, node, value)  # the damage repaired, the same save goes through
    assert world.receive().seq == 1
    assert ledger.log_size() == size + 1
    report = audit(ledger, workers=1)
    assert report.ok, [finding.describe() for finding in report.findings]
