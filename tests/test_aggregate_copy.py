"""The copy of an aggregate the ledger runs each command on (`SignedAggregate.__deepcopy__`, which
eventsourcing's `deepcopy_from_cache` and every `copy.deepcopy` use) is what `copy.deepcopy` made
without it: equal attribute by attribute, sharing no list, dict, set or other mutable object with
the original, so that changing anything in the copy leaves the original as it was. Checked on the
aggregates real recordings make (the demo and a small simulation, as cached and as saved with their
pending events), on those built by commands the recordings do not reach, and on one given
attributes of other types, as a field added later could be. And a refused command, even one
refused after its event changed the copy, leaves the cached aggregate unchanged.

Every check is shown to notice a copy that shares lists, dicts, the pending events, a frozen
dataclass holding a list, everything (a shallow copy), or that leaves an attribute out.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from enum import Enum
from types import NoneType
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.domain import Aggregate

from domain import signed
from domain.dossier import Dossier, Transit
from domain.errors import DomainError, NotAddressee
from domain.office import Office
from domain.officer import Authority, Key, Officer
from domain.procedure import Procedure
from domain.revocation import Revocations
from domain.signed import SignedAggregate, subject_id
from domain.statement import ZERO_HASH, Entry, Statement
from ledger.application import Ledger
from ledger.clock import SimulatedClock
from ledger.config import LedgerSettings
from ledger.simulation.demo import DEMO_START, run_demo
from ledger.simulation.simulator import SIMULATION_TOLERANCE_SECONDS, simulate
from tests.world import CODE, World

# --- walking an aggregate ------------------------------------------------------------------------

# values of exactly these types (and enum members) cannot change
ATOMS = {
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
CHANGED = "changed in the copy"


def kind_of(value: Any, path: str) -> str:
    """atom, list, tuple, dict, set, frozenset, bytearray, frozen (a frozen dataclass) or object
    (anything else keeping its state in its __dict__, an aggregate first of all)."""
    kind = type(value)
    if kind in ATOMS or isinstance(value, Enum):
        return "atom"
    if kind in (list, tuple, dict, set, frozenset, bytearray):
        return kind.__name__
    params = kind.__dict__.get("__dataclass_params__")
    if params is not None and params.frozen:
        return "frozen"
    if hasattr(value, "__dict__") and not isinstance(value, type):
        return "object"
    raise AssertionError(f"{path}: a {kind.__qualname__}; teach this test how to walk it")


MUTABLE = {"list", "dict", "set", "bytearray", "object"}


def children(value: Any, kind: str) -> list[tuple[str, Any]]:
    """(label, value) of what `value` holds, in a stable order."""
    if kind in ("list", "tuple"):
        return [(f"[{index}]", item) for index, item in enumerate(value)]
    if kind == "dict":
        pairs = []
        for index, (key, item) in enumerate(value.items()):
            pairs += [(f"<key {index}>", key), (f"[{key!r}]", item)]
        return pairs
    if kind in ("set", "frozenset"):
        return [(f"<item {index}>", item) for index, item in enumerate(sorted(value, key=repr))]
    if kind in ("frozen", "object"):
        return [(f".{name}", item) for name, item in vars(value).items()]
    return []  # atom, bytearray


def walk(value: Any, path: str) -> Iterator[tuple[str, Any, str]]:
    """(path, value, kind) of `value` and of everything it holds, each object once."""
    seen: set[int] = set()
    stack = [(path, value)]
    while stack:
        here, item = stack.pop()
        kind = kind_of(item, here)
        if kind == "atom" or id(item) in seen:
            continue
        seen.add(id(item))
        yield here, item, kind
        stack += [(here + label, child) for label, child in reversed(children(item, kind))]


def assert_same(copied: Any, reference: Any, path: str = "copy") -> None:
    """`copied` and `reference` are alike all the way down: the same types, equal values, the
    same attributes in the same order, and their mutable objects linked alike (where one holds
    the same list twice, so does the other)."""
    pairs: dict[int, int] = {}
    back: dict[int, int] = {}

    def visit(mine: Any, theirs: Any, here: str) -> None:
        if type(mine) is not type(theirs):
            raise AssertionError(
                f"{here}: a {type(mine).__qualname__} where the reference has a "
                f"{type(theirs).__qualname__}"
            )
        kind = kind_of(mine, here)
        if kind == "atom" or kind == "bytearray":
            if mine != theirs:
                raise AssertionError(f"{here}: {mine!r} where the reference has {theirs!r}")
            return
        if kind in MUTABLE:
            if id(mine) in pairs or id(theirs) in back:
                if pairs.get(id(mine)) != id(theirs) or back.get(id(theirs)) != id(mine):
                    raise AssertionError(f"{here}: not linked as the reference's objects are")
                return
            pairs[id(mine)], back[id(theirs)] = id(theirs), id(mine)
        held, expected = children(mine, kind), children(theirs, kind)
        if [label for label, _ in held] != [label for label, _ in expected]:
            raise AssertionError(
                f"{here}: holds {[label for label, _ in held]} where the reference holds "
                f"{[label for label, _ in expected]}"
            )
        for (label, item), (_, other) in zip(held, expected, strict=True):
            visit(item, other, here + label)

    visit(copied, reference, path)


def plain_deepcopy(value: Any) -> Any:
    """What `copy.deepcopy` makes of `value` without `SignedAggregate.__deepcopy__`."""
    assert getattr(Aggregate, "__deepcopy__", None) is None
    with pytest.MonkeyPatch.context() as patch:
        patch.delattr(SignedAggregate, "__deepcopy__")
        return copy.deepcopy(value)


# --- the checks ----------------------------------------------------------------------------------


def assert_copy_is_what_deepcopy_made(original: SignedAggregate) -> None:
    copied = copy.deepcopy(original)
    reference = plain_deepcopy(original)
    assert copied is not original
    assert copied == reference  # eventsourcing's equality: the instances' __dict__
    assert_same(copied, reference)
    shared = {id(item): here for here, item, kind in walk(original, "original") if kind in MUTABLE}
    for here, item, kind in walk(copied, "copy"):
        if kind in MUTABLE and id(item) in shared:
            raise AssertionError(f"{here} is the original's {shared[id(item)]}")


def assert_changing_the_copy_leaves_the_original(original: SignedAggregate) -> None:
    before = plain_deepcopy(original)
    copied = copy.deepcopy(original)
    for _here, item, kind in list(walk(copied, "copy")):
        if kind == "list" or kind == "bytearray":
            item.append(CHANGED if kind == "list" else 0)
        elif kind == "dict":
            item[CHANGED] = CHANGED
        elif kind == "set":
            item.add(CHANGED)
        elif kind == "object":
            vars(item)["changed_in_the_copy"] = CHANGED
    assert_same(original, before, "original")


CHECKS = [assert_copy_is_what_deepcopy_made, assert_changing_the_copy_leaves_the_original]


# --- the aggregates ------------------------------------------------------------------------------


def recorded(ledger: Ledger) -> list[SignedAggregate]:
    """Every subject of the ledger as its cache holds it."""
    ids = dict.fromkeys(event.originator_id for _, event in ledger.read_log())
    return [ledger.repository.get(aggregate_id, deepcopy_from_cache=False) for aggregate_id in ids]


@contextmanager
def saving_copies(ledger: Ledger, into: list[SignedAggregate]) -> Iterator[None]:
    """While recording: a copy of each aggregate as it is saved, its new events still pending."""
    save = ledger.save

    def save_and_keep(*objects: Any, **options: Any) -> Any:
        into.extend(plain_deepcopy(item) for item in objects if isinstance(item, SignedAggregate))
        return save(*objects, **options)

    ledger.save = save_and_keep  # type: ignore[method-assign]
    try:
        yield
    finally:
        del ledger.save


def entry(kind: str, subject: str, body: dict[str, Any], seq: int = 1) -> Entry:
    at = DEMO_START + seq
    statement = Statement(kind, subject, seq, ZERO_HASH, "authority", "authority", "k", at, body)
    raw = f"{kind}|{subject}|{seq}".encode()
    return Entry(statement, raw, b"signature", hashlib.sha256(raw).digest(), at)


def built_by_commands() -> list[SignedAggregate]:
    """Aggregates in states the recordings do not reach (they need a PKI): revocation data, a key
    registered with a certificate chain and revoked, an authority rotated."""
    revocations = Revocations.start(
        entry("revocation.recorded", "ca", {"format": "crl", "sha256": bytes(32), "produced": 1})
    )
    revocations.add(
        entry(
            "revocation.recorded", "ca", {"format": "ocsp", "sha256": b"\1" * 32, "produced": 2}, 2
        )
    )
    key_body = {"officer": "cb", "public_key": b"\2" * 32, "role": "officer", "effective": 0}
    key = Key.register(entry("key.registered", "k1", {**key_body, "certificates": [b"\3" * 32]}))
    key.revoke(entry("key.revoked", "k1", {"reason": "lost", "effective": 5}, 2))
    authority = Authority.establish(
        entry("authority.established", "authority", {"public_key": b"\4" * 32}), "a1"
    )
    authority.rotate(entry("authority.rotated", "authority", {"public_key": b"\5" * 32}, 2), "a2")
    built: list[SignedAggregate] = [revocations, key, authority]
    saved = [plain_deepcopy(item) for item in built]
    for item in saved:
        item.collect_events()  # as a save leaves them
    return built + saved


class Colour(Enum):
    RED = "red"  # a member is shared by copy.deepcopy


@dataclass
class Note:  # a mutable dataclass
    lines: list[str] = field(default_factory=lambda: ["line"])


@dataclass(frozen=True)
class Tagged:  # frozen, yet holding a list
    tags: tuple[str, list[str]]


@dataclass(frozen=True)
class Plain:  # frozen, holding only values that cannot change
    name: str
    day: date


def with_fields_added_later(dossier: Dossier) -> Dossier:
    """A dossier given attributes of other types, as a field added to it later could be."""
    extended: Dossier = plain_deepcopy(dossier)
    shared_list = ["held twice"]
    vars(extended).update(
        {
            "note": Note(),
            "raw_buffer": bytearray(b"buffer"),
            "tagged": Tagged(("tag", ["inner"])),
            "plain": Plain("name", date(2025, 7, 1)),
            "colour": Colour.RED,
            "labels": {"a", "b"},
            "frozen_labels": frozenset({("x", 1)}),
            "nested": {"route": [{"days": [1, 2]}, (1, [2])], "twice": shared_list},
            "again": shared_list,
            "decimal": Decimal("1.5"),
            "moment": datetime(2025, 7, 1, tzinfo=UTC),
        }
    )
    return extended


@dataclass
class Samples:
    groups: dict[str, list[SignedAggregate]]

    def all(self) -> list[SignedAggregate]:
        return [item for group in self.groups.values() for item in group]


@pytest.fixture(scope="module")
def samples() -> Iterator[Samples]:
    clock = SimulatedClock(DEMO_START)
    demo = Ledger(LedgerSettings(database_url="memory:"), clock=clock)
    demo_saved: list[SignedAggregate] = []
    with saving_copies(demo, demo_saved):
        run_demo(demo, clock)
    clock = SimulatedClock(0)
    simulation = Ledger(
        LedgerSettings(
            database_url="memory:", clock_tolerance_seconds=SIMULATION_TOLERANCE_SECONDS
        ),
        clock=clock,
    )
    simulated_saved: list[SignedAggregate] = []
    with saving_copies(simulation, simulated_saved):
        result = simulate(simulation, clock, dossiers=20, seed=1, years=0.5)
    assert result.refusals == []
    demo_recorded = recorded(demo)
    in_transit = next(
        item for item in demo_recorded if isinstance(item, Dossier) and item.transit is not None
    )
    yield Samples(
        {
            "demo, as cached": demo_recorded,
            "demo, as saved": demo_saved,
            "simulation, as cached": recorded(simulation),
            "simulation, as saved": simulated_saved,
            "built by commands": built_by_commands(),
            "with fields added later": [with_fields_added_later(in_transit)],
        }
    )
    demo.close()
    simulation.close()


def test_the_samples_hold_every_aggregate_and_what_a_copy_must_not_share(samples: Samples) -> None:
    everything = samples.all()
    kinds = {type(item) for item in everything}
    assert kinds >= {Dossier, Office, Officer, Key, Authority, Procedure, Revocations}
    assert any(isinstance(item, Dossier) and item.transit for item in everything)
    assert any(isinstance(item, Dossier) and item.settled for item in everything)
    assert any(isinstance(item, Office) and item.by_procedure for item in everything)
    assert any(isinstance(item, Procedure) and len(item.versions) > 1 for item in everything)
    pending = [event for item in everything for event in item.pending_events]
    assert any(isinstance(event, Dossier.Dispatched) for event in pending)  # holds a list
    assert any(isinstance(event, Procedure.Published) for event in pending)  # holds a dict
    assert all(not item.pending_events for item in samples.groups["demo, as cached"])
    assert all(item.pending_events for item in samples.groups["demo, as saved"])


def check_every_sample(samples: Samples, check: Callable[[Any], None]) -> None:
    for group, items in samples.groups.items():
        for item in items:
            try:
                check(item)
            except AssertionError as problem:
                name = f"{group}: {type(item).__name__} {item.subject}"
                raise AssertionError(f"{name}: {problem}") from problem


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
def test_the_copy_of_each_aggregate(samples: Samples, check: Callable[[Any], None]) -> None:
    check_every_sample(samples, check)


def test_what_cannot_change_is_shared_and_what_can_is_copied(samples: Samples) -> None:
    """The point of the copy: values that cannot change are the original's own."""
    dossier: Any
    (dossier,) = samples.groups["with fields added later"]
    copied = copy.deepcopy(dossier)
    for name in ("_id", "_created_on", "head", "subject", "plain", "colour", "frozen_labels"):
        assert getattr(copied, name) is getattr(dossier, name), name
    assert copied.transit is not dossier.transit  # a Transit holds a list of documents
    assert copied.transit.documents[0] is dossier.transit.documents[0]  # (name, digest)
    for name in ("settled", "_pending_events", "note", "raw_buffer", "tagged", "labels", "nested"):
        assert getattr(copied, name) is not getattr(dossier, name), name
    assert copied.again is copied.nested["twice"]  # held twice, copied once


def test_the_ledger_and_eventsourcing_take_their_copies_with_it(
    samples: Samples, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[type] = []
    fast = SignedAggregate.__deepcopy__

    def counted(self: SignedAggregate, memo: dict[int, Any]) -> Any:
        calls.append(type(self))
        return fast(self, memo)

    monkeypatch.setattr(SignedAggregate, "__deepcopy__", counted)
    clock = SimulatedClock(DEMO_START)
    ledger = Ledger(LedgerSettings(database_url="memory:"), clock=clock)
    try:
        run_demo(ledger, clock)
        recorded_calls = len(calls)
        code = next(
            item.subject for item in samples.groups["demo, as cached"] if isinstance(item, Dossier)
        )
        ledger.repository.get(subject_id("dossier", code), deepcopy_from_cache=True)
        ledger.dossier(code)
    finally:
        ledger.close()
    assert recorded_calls > 0  # each command ran on a copy taken with it
    assert calls[recorded_calls:] == [Dossier, Dossier]


# --- copies that share what they must not: each check notices --------------------------------


def _share(value: Any, _memo: dict[int, Any]) -> Any:
    return value


def share_lists(patch: pytest.MonkeyPatch) -> None:
    patch.setattr(signed, "COPIERS", {**signed.COPIERS, list: _share})


def share_dicts(patch: pytest.MonkeyPatch) -> None:
    patch.setattr(signed, "COPIERS", {**signed.COPIERS, dict: _share})


def share_frozen_dataclasses(patch: pytest.MonkeyPatch) -> None:
    """Every frozen dataclass shared, whatever it holds (a Transit holds a list)."""
    frozen = signed._copy_frozen
    copiers = {
        kind: _share if copier is frozen else copier for kind, copier in signed.COPIERS.items()
    }
    patch.setattr(signed, "COPIERS", {**copiers, Transit: _share})
    patch.setattr(signed, "_copy_frozen", _share)


def share_pending_events(patch: pytest.MonkeyPatch) -> None:
    fast = SignedAggregate.__deepcopy__

    def copy_sharing_them(self: SignedAggregate, memo: dict[int, Any]) -> Any:
        copied = fast(self, memo)
        vars(copied)["_pending_events"] = self.__dict__["_pending_events"]
        return copied

    patch.setattr(SignedAggregate, "__deepcopy__", copy_sharing_them)


def share_everything(patch: pytest.MonkeyPatch) -> None:
    def shallow(self: SignedAggregate, _memo: dict[int, Any]) -> Any:
        copied = type(self).__new__(type(self))
        vars(copied).update(vars(self))
        return copied

    patch.setattr(SignedAggregate, "__deepcopy__", shallow)


def leave_an_attribute_out(patch: pytest.MonkeyPatch) -> None:
    """As a hand-written list of attributes does once a field is added and the list is not."""
    fast = SignedAggregate.__deepcopy__

    def copy_missing_one(self: SignedAggregate, memo: dict[int, Any]) -> Any:
        copied = fast(self, memo)
        del vars(copied)[next(reversed(vars(copied)))]
        return copied

    patch.setattr(SignedAggregate, "__deepcopy__", copy_missing_one)


SHARING = [
    share_lists,
    share_dicts,
    share_frozen_dataclasses,
    share_pending_events,
    share_everything,
]


@pytest.mark.parametrize(
    ("check", "broken"),
    [(check, broken) for check in CHECKS for broken in SHARING]
    + [(assert_copy_is_what_deepcopy_made, leave_an_attribute_out)],
    ids=lambda value: value.__name__,
)
def test_each_check_notices_a_broken_copy(
    samples: Samples,
    monkeypatch: pytest.MonkeyPatch,
    check: Callable[[Any], None],
    broken: Callable[[pytest.MonkeyPatch], None],
) -> None:
    own = Samples({group: plain_deepcopy(items) for group, items in samples.groups.items()})
    broken(monkeypatch)  # (a broken copy may change the aggregates it copies: not the fixture's)
    with pytest.raises(AssertionError):
        check_every_sample(own, check)


# --- the ledger: a refused command leaves the cached aggregate unchanged -------------------------


class RefusedLate(DomainError):
    """A refusal raised once the command's event has changed the aggregate it ran on."""


@contextmanager
def refused_after_its_event() -> Iterator[None]:
    """Every command refused after its event was applied (and left pending) on the copy."""
    apply = SignedAggregate._continue

    def applied_then_refused(
        self: SignedAggregate, event_class: type[Any], entry: Entry, **fields: Any
    ) -> None:
        apply(self, event_class, entry, **fields)
        raise RefusedLate(f"{self.subject}: refused after its event was applied")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(SignedAggregate, "_continue", applied_then_refused)
        yield


def cached(world: World, family: str, subject: str) -> SignedAggregate:
    cache = world.ledger.repository.cache
    assert cache is not None
    found = cache.get(subject_id(family, subject))
    assert isinstance(found, SignedAggregate)
    return found


def assert_refusals_leave_the_cached_aggregates(world: World) -> None:
    world.receive()
    dispatch = world.dispatch("29266", "844")
    dossier = cached(world, "dossier", CODE)
    officer = cached(world, "officer", "cb-29266")
    dossier_before, officer_before = plain_deepcopy(dossier), plain_deepcopy(officer)

    with pytest.raises(NotAddressee):  # by the domain's rules: before anything changes
        world.acknowledge("845", dispatch)
    assert_same(dossier, dossier_before, "cached dossier")
    with refused_after_its_event(), pytest.raises(RefusedLate):
        world.acknowledge("844", dispatch)  # fills `settled`, adds a pending event
    assert_same(dossier, dossier_before, "cached dossier")
    moved = {"office": "29269", "title": "Chuyên viên", "effective": world.clock.now()}
    with refused_after_its_event(), pytest.raises(RefusedLate):
        world.authority.record("officer.moved", "cb-29266", moved)  # appends to `postings`
    assert_same(officer, officer_before, "cached officer")
    assert cached(world, "dossier", CODE) is dossier

    world.acknowledge("844", dispatch)
    world.authority.record("officer.moved", "cb-29266", moved)
    assert world.ledger.dossier(CODE).custodian == "844"
    assert world.ledger.officer("cb-29266").office_at(world.clock.now()) == "29269"


def test_a_refused_command_leaves_the_cached_aggregate_unchanged(world: World) -> None:
    assert_refusals_leave_the_cached_aggregates(world)


@pytest.mark.parametrize(
    "database_url", [pytest.param("memory", marks=pytest.mark.memory)], indirect=True
)
@pytest.mark.parametrize(
    "broken",
    [share_lists, share_dicts, share_pending_events, share_everything],
    ids=lambda broken: broken.__name__,
)
def test_a_copy_sharing_what_a_refused_command_changes_is_noticed(
    world: World, monkeypatch: pytest.MonkeyPatch, broken: Callable[[pytest.MonkeyPatch], None]
) -> None:
    broken(monkeypatch)
    with pytest.raises(AssertionError):
        assert_refusals_leave_the_cached_aggregates(world)
