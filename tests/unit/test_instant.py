"""Instants (microseconds since the epoch, UTC) and Vietnamese civil dates (UTC+7 all year)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain.instant import (
    EARLIEST,
    LATEST,
    VIETNAM,
    format_local,
    from_datetime,
    in_range,
    local_date,
    parse_date,
    start_of,
    to_datetime,
)
from tests.unit.entries import START


def test_refuses_a_naive_datetime_which_names_no_instant() -> None:
    with pytest.raises(ValueError, match="names no instant"):
        from_datetime(datetime(2025, 3, 3, 8))
    assert from_datetime(datetime(2025, 3, 3, 8, tzinfo=VIETNAM)) == START


@pytest.mark.parametrize("text", ["20250303", "2025-W10-1"])
def test_refuses_a_date_in_another_iso_form_than_yyyy_mm_dd(text: str) -> None:
    # Python reads both as 3/3/2025; a statement's date has one spelling only
    with pytest.raises(ValueError, match="is not a date of the form YYYY-MM-DD"):
        parse_date(text)
    assert parse_date("2025-03-03").isoformat() == "2025-03-03"


@pytest.mark.parametrize("text", ["2025-02-30", "3/3/2025", ""])
def test_refuses_text_that_is_no_date_naming_it(text: str) -> None:
    with pytest.raises(ValueError, match=f"{text!r} is not a date of the form YYYY-MM-DD"):
        parse_date(text)


def test_an_instant_is_microseconds_since_the_epoch_and_reads_back_in_vietnam_time() -> None:
    moment = datetime(2025, 3, 3, 1, 0, 0, 123_456, tzinfo=UTC)
    at = from_datetime(moment)
    assert at == 1_740_963_600_123_456
    assert to_datetime(at) == moment
    assert to_datetime(at).utcoffset() == VIETNAM.utcoffset(None)
    assert to_datetime(at, UTC).hour == 1
    assert format_local(at) == "03/03/2025 08:00"


def test_the_civil_date_changes_at_midnight_in_vietnam_not_in_utc() -> None:
    midnight = start_of(date(2025, 3, 4))
    assert format_local(midnight) == "04/03/2025 00:00"
    assert to_datetime(midnight, UTC).date() == date(2025, 3, 3)  # 17:00 UTC the day before
    assert local_date(midnight) == date(2025, 3, 4)
    assert local_date(midnight - 1) == date(2025, 3, 3)


def test_the_accepted_range_runs_from_the_epoch_to_the_last_microsecond_of_9998() -> None:
    assert (in_range(EARLIEST), in_range(LATEST)) == (True, True)
    assert (in_range(EARLIEST - 1), in_range(LATEST + 1)) == (False, False)
    assert local_date(LATEST) == date(9998, 12, 31)
    assert local_date(LATEST + 1) == date(9999, 1, 1)
    assert from_datetime(datetime(1970, 1, 1, tzinfo=UTC)) == EARLIEST
