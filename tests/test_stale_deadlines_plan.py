"""On SQLite the held dossiers whose kept level deadline is stale are found from two indexes
alone (the held dossiers' and the kept deadlines'), their rows read only then: the query plan
says so, and the query finds what the whole join finds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ledger.reference.calendar import load_calendar
from ledger.views import turns
from ledger.views.projector import Projector
from ledger.views.sla import Inspector
from tests.world import CODE, DAY, World


def test_stale_deadlines_are_found_on_sqlite_from_the_two_indexes_alone(tmp_path: Path) -> None:
    world = World.build(f"sqlite:///{tmp_path / 'ledger.db'}")
    projector = Projector(world.ledger)
    try:
        world.receive()
        projector.catch_up()
        at = world.clock.now() + 30 * DAY
        inspector = Inspector(world.ledger, projector, load_calendar())
        view = projector.view
        asked: list[tuple[str, Any]] = []
        query = view.query

        def recorded(sql: str, params: Any = ()) -> Any:
            asked.append((sql, params))
            return query(sql, params)

        view.query = recorded  # type: ignore[method-assign]
        try:
            found = turns.past_deadline(inspector, at, None)
        finally:
            del view.query
        assert [row.code for row, _ in found] == [CODE]  # past the commune's three days
        (sql, params), *_ = [
            (sql, params) for sql, params in asked if sql.startswith("SELECT h.code")
        ]
        plan = " | ".join(str(row[-1]) for row in view.query(f"EXPLAIN QUERY PLAN {sql}", params))
        assert "COVERING INDEX lienthong_location_held" in plan, plan
        assert "COVERING INDEX lienthong_turn_deadlines_kept" in plan, plan
        # counted once and kept: nothing stale any more
        assert query(sql, params) == []
    finally:
        projector.close()
        world.ledger.close()
