"""The base of every aggregate here: each event is exactly one signed statement.

An aggregate's version is therefore the `seq` of its latest statement, and `head` is that
statement's SHA-256: the pair a new statement must commit to in `seq` and `prev`.
Event topics are pinned by a `TOPIC` on each event class, so moving code never breaks stored events.

A deep copy of an aggregate (the ledger runs each command on one, so that a refused command never
touches the cached aggregate) copies what can change and shares what cannot: see `__deepcopy__`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from copy import deepcopy
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from enum import Enum
from functools import lru_cache
from types import NoneType
from typing import Any, Self, TypeVar
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

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        """What `copy.deepcopy` gives (eventsourcing's `deepcopy_from_cache` too), made faster:
        every attribute of the instance, whatever its name (eventsourcing's `_id`, `_version`,
        `_pending_events` … and those the events set), is copied by `copy_value`, which builds new
        lists, dicts and sets, shares the values that cannot change, and leaves any other value to
        `copy.deepcopy`. Nothing mutable is shared with the original, and two attributes holding
        the same object hold the same copy of it, as with `copy.deepcopy`."""
        cls = type(self)
        copied = cls.__new__(cls)
        memo[id(self)] = copied
        state = copied.__dict__
        for name, value in self.__dict__.items():
            state[name] = value if type(value) in IMMUTABLE else copy_value(value, memo)
        return copied


# --- the copy -------------------------------------------------------------------------------------

Memo = dict[int, Any]
Copier = Callable[[Any, Memo], Any]

# Values of exactly these types never change: a copy shares them (`copy.deepcopy` shares most of
# them too, and rebuilds a UUID, a date or a datetime into an equal object). A subclass of one of
# them may carry attributes of its own: it is not listed, so `copy_value` works out its copier.
IMMUTABLE: frozenset[type] = frozenset(
    {
        NoneType,
        bool,
        int,
        float,
        complex,
        str,
        bytes,
        range,
        Decimal,
        UUID,
        date,
        datetime,
        time,
        timedelta,
        timezone,
    }
)
_MISSING = object()


def copy_value(value: Any, memo: Memo) -> Any:
    """A deep copy of `value` for `SignedAggregate.__deepcopy__`, by its exact type: the value
    itself if it cannot change; a new list, dict or set holding copies; a tuple, frozenset or
    frozen dataclass itself if all it holds is shared, else a new one holding the copies; any
    other value is left to `copy.deepcopy` (with the same memo)."""
    kind = type(value)
    if kind in IMMUTABLE:
        return value
    copier = COPIERS.get(kind)
    if copier is None:
        copier = COPIERS[kind] = _copier_for(kind)
    return copier(value, memo)


def _share(value: Any, _memo: Memo) -> Any:
    return value


def _deepcopy(value: Any, memo: Memo) -> Any:
    return deepcopy(value, memo)


def _copy_list(value: list[Any], memo: Memo) -> list[Any]:
    done = memo.get(id(value), _MISSING)
    if done is not _MISSING:
        return done  # type: ignore[no-any-return]
    copied: list[Any] = []
    memo[id(value)] = copied  # before the items: a list may hold itself
    copied.extend([item if type(item) in IMMUTABLE else copy_value(item, memo) for item in value])
    return copied


def _copy_dict(value: dict[Any, Any], memo: Memo) -> dict[Any, Any]:
    done = memo.get(id(value), _MISSING)
    if done is not _MISSING:
        return done  # type: ignore[no-any-return]
    copied: dict[Any, Any] = {}
    memo[id(value)] = copied
    for key, item in value.items():
        copied[key if type(key) in IMMUTABLE else copy_value(key, memo)] = (
            item if type(item) in IMMUTABLE else copy_value(item, memo)
        )
    return copied


def _copy_set(value: set[Any], memo: Memo) -> set[Any]:
    done = memo.get(id(value), _MISSING)
    if done is not _MISSING:
        return done  # type: ignore[no-any-return]
    copied: set[Any] = set()
    memo[id(value)] = copied
    copied.update([copy_value(item, memo) for item in value])
    return copied


def _copy_tuple(value: tuple[Any, ...], memo: Memo) -> tuple[Any, ...]:
    for item in value:
        if type(item) not in IMMUTABLE:
            break
    else:
        return value  # the common case: a tuple of str, bytes, int, date …
    items = [copy_value(item, memo) for item in value]
    done = memo.get(id(value), _MISSING)  # copied meanwhile, through an item that holds it
    if done is not _MISSING:
        return done  # type: ignore[no-any-return]
    if all(copied is item for copied, item in zip(items, value, strict=True)):
        return value
    memo[id(value)] = copied_tuple = tuple(items)
    return copied_tuple


def _copy_frozenset(value: frozenset[Any], memo: Memo) -> frozenset[Any]:
    items = [copy_value(item, memo) for item in value]
    if all(copied is item for copied, item in zip(items, value, strict=True)):
        return value
    memo[id(value)] = copied = frozenset(items)
    return copied


def _copy_frozen(value: Any, memo: Memo) -> Any:
    """A frozen dataclass: shared if every value it holds is, else a new one holding the copies
    (a Transit holds a list), made as `copy.deepcopy` makes it: `__new__`, then its `__dict__`."""
    state: dict[str, Any] = {}
    changed = False
    for name, item in value.__dict__.items():
        if type(item) in IMMUTABLE:
            state[name] = item
        else:
            state[name] = copied_item = copy_value(item, memo)
            changed = changed or copied_item is not item
    if not changed:
        return value
    done = memo.get(id(value), _MISSING)  # copied meanwhile, through a value it holds
    if done is not _MISSING:
        return done
    cls: Any = type(value)
    copied = cls.__new__(cls)
    memo[id(value)] = copied
    copied.__dict__.update(state)
    return copied


# The copier of each type met so far; `_copier_for` decides for a type met the first time.
COPIERS: dict[type, Copier] = {
    list: _copy_list,
    dict: _copy_dict,
    set: _copy_set,
    tuple: _copy_tuple,
    frozenset: _copy_frozenset,
}
_COPY_HOOKS = ("__deepcopy__", "__copy__", "__reduce__", "__reduce_ex__", "__getstate__")


def _copier_for(kind: type) -> Copier:
    """An enum member is shared (as `copy.deepcopy` does). A frozen dataclass is shared when what
    it holds is, if its state is all in its `__dict__` (declared frozen itself, no slots, no
    built-in base but `object`) and nothing changes how it is copied. Any other type is left to
    `copy.deepcopy`."""
    if issubclass(kind, Enum):
        return _share
    params = kind.__dict__.get("__dataclass_params__")
    if (
        params is not None
        and params.frozen
        and all(base is object or base.__module__ != "builtins" for base in kind.__mro__)
        and not any(base.__dict__.get("__slots__") for base in kind.__mro__)
        and getattr(kind, "__setstate__", None) is None
        and all(getattr(kind, hook, None) is getattr(object, hook, None) for hook in _COPY_HOOKS)
    ):
        return _copy_frozen
    return _deepcopy


def _signed_fields(entry: Entry) -> dict[str, Any]:
    return {"raw": entry.raw, "signature": entry.signature, "recorded_at": entry.recorded_at}


def pin_topics(aggregate_class: type[SignedAggregate]) -> None:
    """Register each event class's pinned TOPIC so stored events resolve in a fresh process."""
    for name, value in vars(aggregate_class).items():
        topic = getattr(value, "TOPIC", None)
        if isinstance(value, type) and topic and name not in ("Event", "Created"):
            register_topic(topic, value)
