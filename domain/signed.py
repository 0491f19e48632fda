"""The base of every aggregate here: each event is exactly one signed statement.

An aggregate's version is therefore the `seq` of its latest statement, and `head` is that
statement's SHA-256: the pair a new statement must commit to in `seq` and `prev`.
Event topics are pinned by a `TOPIC` on each event class, so moving code never breaks stored events.
"""

from __future__ import annotations

import hashlib
from datetime import UTC
from functools import lru_cache
from typing import Any, TypeVar
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate
from eventsourcing.utils import register_topic

from domain.instant import to_datetime
from domain.statement import ZERO_HASH, Entry

# Aggregate ids are derived from (family, subject), so any process finds a subject's history.
SUBJECT_NAMESPACE = UUID("5b0e7f0c-6c1e-4c57-9f38-6c69656e7468")

S = TypeVar("S", bound="SignedAggregate")


@lru_cache(maxsize=65_536)  # called several times per statement; uuid5 is not cheap
def subject_id(family: str, subject: str) -> UUID:
    """The aggregate id of a subject: UUIDv5 of `family:subject` in the project's namespace."""
    return uuid5(SUBJECT_NAMESPACE, f"{family}:{subject}")


class SignedAggregate(Aggregate):
    """An aggregate whose events each carry one signed statement verbatim."""

    head = ZERO_HASH
    subject = ""

    class Event(Aggregate.Event):
        raw: bytes
        signature: bytes
        recorded_at: int

        def apply(self, aggregate: Any) -> None:
            aggregate.head = hashlib.sha256(self.raw).digest()
            self.effect(aggregate)

        def effect(self, aggregate: Any) -> None:
            """What the statement changes; each event kind overrides this."""

    @classmethod
    def _start(cls: type[S], event_class: type[Any], entry: Entry, **fields: Any) -> S:
        statement = entry.statement
        return cls._create(
            event_class,
            id=subject_id(statement.family, statement.subject),
            timestamp=to_datetime(entry.recorded_at, UTC),
            **_signed_fields(entry),
            **fields,
        )

    def _continue(self, event_class: type[Any], entry: Entry, **fields: Any) -> None:
        self.trigger_event(
            event_class,
            timestamp=to_datetime(entry.recorded_at, UTC),
            **_signed_fields(entry),
            **fields,
        )


def _signed_fields(entry: Entry) -> dict[str, Any]:
    return {"raw": entry.raw, "signature": entry.signature, "recorded_at": entry.recorded_at}


def pin_topics(aggregate_class: type[SignedAggregate]) -> None:
    """Register each event class's pinned TOPIC so stored events resolve in a fresh process."""
    for name, value in vars(aggregate_class).items():
        topic = getattr(value, "TOPIC", None)
        if isinstance(value, type) and topic and name not in ("Event", "Created"):
            register_topic(topic, value)
