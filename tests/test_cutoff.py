"""The receipt cut-off is a setting of a procedure version, off unless the version has one.

A version published with `cutoff` ({"time": "15:00", "source": …}) counts a dossier received after
that hour from the next working day; a version published without it (every version recorded before
the field existed) has no cut-off. The `due` command takes the cut-off from a procedure or from
`--cutoff`, and says which rule it used. The calendar's own cases: tests/unit/test_calendar.py.
"""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api.cli.dossier import slip_rows
from api.cli.main import app
from api.http import render
from api.http.schemas import CutoffOut
from domain.calendar import end_of
from domain.instant import VIETNAM, from_datetime, local_date
from domain.procedure import Cutoff
from domain.statement import Statement
from ledger.errors import BadField, MissingField, UnknownField
from ledger.reference.calendar import load_calendar
from ledger.statements import schema
from ledger.views.projector import Projector
from ledger.views.sla import Inspector
from tests.world import CODE, PROCEDURE, World

runner = CliRunner()
SAME_DAY = "certification-copy"
SOURCE = "Decree 23/2015/NĐ-CP Art. 21"


def local(day: int, month: int, hour: int = 0, minute: int = 0) -> int:
    return from_datetime(datetime(2025, month, day, hour, minute, tzinfo=VIETNAM))


def published(
    cutoff: dict[str, Any] | None, version: int = 1, effective: str = "2022-02-15"
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "version": version,
        "name_vi": "Chứng thực bản sao từ bản chính",
        "name_en": "Certified copy from the original",
        "route": [{"level": "commune", "days": 2, "day_type": "working"}],
        "decides": ["commune"],
        "legal_basis": SOURCE,
        "effective": effective,
    }
    if cutoff is not None:
        body["cutoff"] = cutoff
    return body


def statement_fields(body: dict[str, Any]) -> Statement:
    return Statement(
        kind="procedure.published",
        subject=SAME_DAY,
        seq=1,
        prev=bytes(32),
        office="authority",
        officer="authority",
        key="k",
        at=local(3, 3, 8),
        body=body,
    )


# --- the statement format --------------------------------------------------------------------


def test_a_version_without_a_cut_off_encodes_as_before() -> None:
    """Nothing recorded before the field existed changes: absent means absent in the bytes."""
    data = schema.build(statement_fields(published(None)))
    assert b"cutoff" not in data
    assert "cutoff" not in schema.parse(data).body


def test_a_version_with_a_cut_off_round_trips() -> None:
    body = published({"time": "15:00", "source": SOURCE})
    assert schema.parse(schema.build(statement_fields(body))).body["cutoff"] == body["cutoff"]


@pytest.mark.parametrize(
    ("cutoff", "error", "message"),
    [
        ({"time": "25:00", "source": SOURCE}, BadField, "HH:MM"),
        ({"time": "3pm", "source": SOURCE}, BadField, "HH:MM"),
        ({"time": "15:00:00", "source": SOURCE}, BadField, "HH:MM"),
        ({"time": "15:00"}, MissingField, "'source'"),
        ({"time": "15:00", "source": ""}, BadField, "must not be empty"),
        ({"time": "15:00", "source": SOURCE, "days": 1}, UnknownField, "'days'"),
        ("15:00", BadField, "must be a map"),
    ],
)
def test_refuses_a_cut_off_without_a_time_of_day_and_its_source(
    cutoff: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as caught:
        schema.build(statement_fields(published(cutoff)))
    assert type(caught.value) is error
    assert message in str(caught.value)


# --- the registry and the deadlines -----------------------------------------------------------


def test_a_published_version_carries_its_cut_off_or_none(world: World) -> None:
    world.authority.record(
        "procedure.published", SAME_DAY, published({"time": "15:00", "source": SOURCE})
    )
    assert world.ledger.procedure(SAME_DAY).get_version(1).cutoff == Cutoff(time(15, 0), SOURCE)
    assert world.ledger.procedure(PROCEDURE).get_version(1).cutoff is None


def test_a_turn_after_the_versions_cut_off_counts_from_the_next_working_day(
    world: World,
) -> None:
    """Received on Monday 3/3 at 16:00: with the version's 15:00 cut-off the commune's 2 working
    days count from Tuesday (to Thursday 6/3); the same receipt under a version without one
    counts from Monday (to Wednesday 5/3)."""
    world.authority.record(
        "procedure.published", SAME_DAY, published({"time": "15:00", "source": SOURCE})
    )
    world.authority.record("procedure.published", "no-cutoff", published(None))
    world.clock.set(local(3, 3, 16))
    other = "000.00.01.H59-250303-0009"
    world.receive(CODE, procedure=SAME_DAY, appointed=end_of(local_date(local(6, 3))))
    world.receive(other, procedure="no-cutoff", appointed=end_of(local_date(local(5, 3))))
    projector = Projector(world.ledger)
    try:
        projector.catch_up()
        inspector = Inspector(world.ledger, projector, load_calendar())
        now = world.clock.now()
        for code, due in ((CODE, local(6, 3)), (other, local(5, 3))):
            found = projector.location(code)
            assert found is not None
            assert inspector.level_deadline(found, now) == end_of(local_date(due)), code
    finally:
        projector.close()


# --- lienthong due ----------------------------------------------------------------------------


@pytest.fixture
def registry_db(tmp_path: Path) -> str:
    """A SQLite ledger with the small world's procedure (no cut-off) and a same-day procedure
    whose version 1 has none and version 2 (from 1/5/2025) a 15:00 cut-off."""
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    world = World.build(url)
    world.authority.record("procedure.published", SAME_DAY, published(None))
    world.authority.record(
        "procedure.published",
        SAME_DAY,
        published({"time": "15:00", "source": SOURCE}, version=2, effective="2025-05-01"),
    )
    world.ledger.close()
    return url


def due(*args: str, db: str | None = None) -> tuple[int, str]:
    head = ["--database-url", db] if db else []
    result = runner.invoke(app, [*head, "--lang", "en", "due", *args])
    return result.exit_code, result.output


def test_due_without_a_procedure_or_cut_off_counts_with_none_and_says_so() -> None:
    code, output = due("09/05/2025 16:00", "3")
    assert code == 0, output
    assert "end of Wednesday 14/05/2025" in output
    assert "Receipt cut-off: none (no procedure or --cutoff given)" in output
    assert "Received after" not in output


def test_due_with_a_cut_off_given_counts_a_later_receipt_from_the_next_working_day() -> None:
    code, output = due("09/05/2025 16:00", "3", "--cutoff", "15:00")
    assert code == 0, output
    assert "Received after 15:00: counts as received on the morning of Monday 12/05/2025" in output
    assert "end of Thursday 15/05/2025" in output
    assert "Receipt cut-off: 15:00 (given with --cutoff)" in output


def test_due_with_a_procedure_uses_the_cut_off_of_the_version_in_force_on_the_receipt_date(
    registry_db: str,
) -> None:
    code, output = due("09/05/2025 16:00", "3", "--procedure", SAME_DAY, db=registry_db)
    assert code == 0, output
    assert "end of Thursday 15/05/2025" in output
    assert f"15:00, from procedure {SAME_DAY} version 2 ({SOURCE})" in output
    # in April version 1, without a cut-off, is in force: Friday 25/4 16:30 is day 0
    code, output = due("25/04/2025 16:30", "1", "--procedure", SAME_DAY, db=registry_db)
    assert code == 0, output
    assert "end of Saturday 26/04/2025" in output
    assert f"none: procedure {SAME_DAY} version 1 sets no cut-off" in output


def test_due_with_a_procedure_version_uses_that_versions_rule(registry_db: str) -> None:
    code, output = due("09/05/2025 16:00", "3", "--procedure", f"{SAME_DAY}@1", db=registry_db)
    assert code == 0, output
    assert "end of Wednesday 14/05/2025" in output
    assert f"none: procedure {SAME_DAY} version 1 sets no cut-off" in output
    code, output = due("09/05/2025 16:00", "3", "--procedure", PROCEDURE, db=registry_db)
    assert code == 0, output
    assert "end of Wednesday 14/05/2025" in output
    assert f"none: procedure {PROCEDURE} version 1 sets no cut-off" in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--procedure", "nothing-such"], "nothing-such"),
        (["--procedure", f"{SAME_DAY}@7"], "has no version 7"),
        (["--procedure", f"{SAME_DAY}@two"], "give CODE or CODE@VERSION"),
        (["--procedure", f"{SAME_DAY}@0"], "give CODE or CODE@VERSION"),
        (["--procedure", SAME_DAY, "--cutoff", "15:00"], "not both"),
    ],
)
def test_due_refuses_an_unknown_procedure_or_two_rules_with_exit_code_2(
    registry_db: str, args: list[str], message: str
) -> None:
    code, output = due("09/05/2025 16:00", "3", *args, db=registry_db)
    assert code == 2, output
    assert message in output


def test_due_with_a_procedure_before_any_version_is_refused(registry_db: str) -> None:
    code, output = due("09/05/2019 16:00", "3", "--procedure", SAME_DAY, db=registry_db)
    assert code == 2, output
    assert "no version in force on 2019-05-09" in output


# --- the control slip says which rule applied -------------------------------------------------


def test_the_control_slip_states_the_cut_off_its_dates_were_counted_with(world: World) -> None:
    world.authority.record(
        "procedure.published", SAME_DAY, published({"time": "15:00", "source": SOURCE})
    )
    world.clock.set(local(3, 3, 16))
    other = "000.00.01.H59-250303-0009"
    world.receive(CODE, procedure=SAME_DAY, appointed=end_of(local_date(local(6, 3))))
    world.receive(other)
    projector = Projector(world.ledger)
    try:
        projector.catch_up()
        inspector = Inspector(world.ledger, projector, load_calendar())
        with_cutoff = inspector.slip(CODE, world.clock.now())
        without = inspector.slip(other, world.clock.now())
        assert with_cutoff is not None
        assert without is not None
        assert with_cutoff.cutoff == Cutoff(time(15, 0), SOURCE)
        assert without.cutoff is None
        assert render.slip_out(with_cutoff).cutoff == CutoffOut(time="15:00", source=SOURCE)
        assert render.slip_out(without).cutoff is None
        text = slip_rows(world.ledger, with_cutoff, "en")
        assert f"Receipt cut-off: 15:00 ({SOURCE})" in text
        assert "Receipt cut-off: none (the procedure sets none)" in slip_rows(
            world.ledger, without, "en"
        )
        assert "Giờ chốt tiếp nhận: không áp dụng" in "\n".join(
            slip_rows(world.ledger, without, "vi")
        )
    finally:
        projector.close()
