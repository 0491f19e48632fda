"""The inspector reads the registry's offices once per inspector, asking the database once for
what other writers recorded (not once per office), and a new inspector sees what they recorded."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from ledger.application import Ledger
from ledger.config import LedgerSettings
from ledger.reference.calendar import load_calendar
from ledger.statements.authoring import Signer
from ledger.views.projector import Projector
from ledger.views.sla import Inspector
from tests.world import OFFICES, World, seeded_key


def test_an_inspector_asks_once_for_other_writers_and_a_new_one_sees_them(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    world = World.build(url)
    other = Ledger(LedgerSettings(database_url=url), clock=world.clock)
    projector = Projector(world.ledger)
    recorder: Any = world.ledger.recorder
    asked: list[int] = []
    latest = recorder.max_notification_id

    def counted() -> Any:
        asked.append(1)
        return latest()

    recorder.max_notification_id = counted
    try:
        inspector = Inspector(world.ledger, projector, load_calendar())
        levels = [inspector.level_of(office) for office in OFFICES]
        assert levels == [level for _, level, _ in OFFICES.values()]
        assert inspector.office_of("no-such-office") is None
        assert len(asked) == 1  # five offices and an unknown one: one question
        # another writer (another Ledger object on the same database) renames a district
        Signer.authority(other, seeded_key("authority")).record(
            "office.renamed", "844", {"name": "Thị xã Càng Long", "effective": "2025-03-01"}
        )
        day = date(2025, 3, 5)
        old = inspector.office_of("844")
        assert old is not None
        assert old.name_on(day) == "Huyện Càng Long"  # read once, as of its first question
        fresh = Inspector(world.ledger, projector, load_calendar()).office_of("844")
        assert fresh is not None
        assert fresh.name_on(day) == "Thị xã Càng Long"
        assert len(asked) == 2
    finally:
        del recorder.max_notification_id
        projector.close()
        other.close()
        world.ledger.close()
