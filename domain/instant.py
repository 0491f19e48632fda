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
