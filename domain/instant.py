"""Instants and civil dates.

An instant is an integer count of microseconds since the Unix epoch, UTC: exactly what statements
carry in `at`. Civil dates (office and procedure effective dates) are Vietnamese dates: Vietnam keeps
UTC+7 all year with no daylight saving, so a fixed offset is exact.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

VIETNAM = timezone(timedelta(hours=7), "ICT")
MICROS = 1_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_datetime(at: int, tz: timezone = VIETNAM) -> datetime:
    """The instant as an aware datetime (Vietnam time by default)."""
    return (_EPOCH + timedelta(microseconds=at)).astimezone(tz)


def from_datetime(moment: datetime) -> int:
    """Microseconds since the epoch; refuses naive datetimes, which name no instant."""
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment.isoformat()} names no instant: add a timezone")
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * MICROS + delta.microseconds


def local_date(at: int) -> date:
    """The Vietnamese civil date on which the instant falls."""
    return to_datetime(at).date()


def start_of(day: date) -> int:
    """The first instant of a Vietnamese civil date."""
    return from_datetime(datetime(day.year, day.month, day.day, tzinfo=VIETNAM))


def parse_date(text: str) -> date:
    """A date in ISO form `YYYY-MM-DD`; raises ValueError naming the text otherwise."""
    try:
        parsed = date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date of the form YYYY-MM-DD") from None
    if parsed.isoformat() != text:
        raise ValueError(f"{text!r} is not a date of the form YYYY-MM-DD")
    return parsed


def format_local(at: int) -> str:
    """dd/mm/yyyy HH:MM in Vietnam time, as officers write it on the control slip."""
    return to_datetime(at).strftime("%d/%m/%Y %H:%M")


# The instants the ledger accepts from outside (query parameters, `at` in a prepare, the command
# line): from the epoch (no statement is older) to the last microsecond of 9998 in Vietnam time,
# which leaves a year for deadlines counted forward before Python's dates end (year 9999).
EARLIEST = 0
LATEST = 253_370_739_599_999_999  # 9998-12-31T23:59:59.999999+07:00
RANGE = (
    f"1970-01-01T00:00:00Z to 9998-12-31T23:59:59.999999+07:00 "
    f"(microseconds {EARLIEST} to {LATEST})"
)


def in_range(at: int) -> bool:
    """Whether `at` lies in [EARLIEST, LATEST]: every date and deadline computed from it exists."""
    return EARLIEST <= at <= LATEST
