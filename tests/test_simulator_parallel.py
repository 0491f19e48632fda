"""The simulation with its helper processes (ledger/simulation/workers.py): statements built and
signed in a child process are the bytes signed in the recording process, batch for batch, so the
log is the same; a child that fails is reported with its traceback; the read models kept by a
follower process while the log is recorded are those a rebuild makes."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from domain.instant import start_of
from ledger.application import Ledger, Receipt
from ledger.clock import SimulatedClock
from ledger.config import LedgerSettings
from ledger.reference.seed import seed_travinh
from ledger.simulation.demo import AUTHORITY_KEY_NAME, demo_key
from ledger.simulation.simulator import (
    SIMULATION_TOLERANCE_SECONDS,
    SignedBatch,
    World,
    _office_map,
    _produce,
    _versions,
    signed_batches,
    simulate,
    simulation_start,
)
from ledger.simulation.workers import ProducerFailed, produced, views_followed
from ledger.statements.authoring import Signer, initialise
from ledger.views.projector import Projector

SEED, DOSSIERS, YEARS = 6, 80, 1.0


def _settings(url: str = "memory:") -> LedgerSettings:
    return LedgerSettings(database_url=url, clock_tolerance_seconds=SIMULATION_TOLERANCE_SECONDS)


def _simulated(parallel: bool) -> Ledger:
    clock = SimulatedClock(0)
    ledger = Ledger(_settings(), clock=clock)
    result = simulate(ledger, clock, dossiers=DOSSIERS, seed=SEED, years=YEARS, parallel=parallel)
    assert result.refusals == []
    assert result.dossiers == DOSSIERS
    return ledger


def _entries(ledger: Ledger) -> list[tuple[int, bytes, bytes, int]]:
    return [
        (position, event.raw, event.signature, event.recorded_at)
        for position, event in ledger.read_log()
    ]


def test_the_log_recorded_from_a_child_process_is_the_log_signed_here() -> None:
    here, there = _simulated(parallel=False), _simulated(parallel=True)
    assert _entries(there) == _entries(here)
    assert there.log_size() == here.log_size() > DOSSIERS
    assert there.root() == here.root()


def test_the_child_process_signs_the_same_bytes_in_the_same_batches() -> None:
    clock = SimulatedClock(0)
    ledger = Ledger(_settings(), clock=clock)
    first = simulation_start(YEARS)
    clock.set(start_of(first) + 6 * 3600 * 1_000_000)  # as `simulate` seeds the registry
    authority = demo_key(AUTHORITY_KEY_NAME)
    initialise(ledger, authority)
    seed_travinh(ledger, Signer.authority(ledger, authority))
    world = World(
        SEED,
        DOSSIERS,
        first,
        _office_map(ledger).offices,
        _versions(ledger),
        SIMULATION_TOLERANCE_SECONDS * 1_000_000,
    )
    here = list(signed_batches(world))
    there = list(produced(_produce, world))
    assert there == here
    *batches, drawn = here
    assert len(batches) > 1
    assert isinstance(drawn, tuple)
    assert drawn[1:] == (DOSSIERS, 0)  # what was drawn: every dossier, none stranded
    for batch in batches:  # recorded as `simulate` records them, they are its log
        assert isinstance(batch, SignedBatch)
        clock.set(max(clock.now(), batch.last))
        assert all(isinstance(o, Receipt) for o in ledger.record_many(batch.envelopes))
    assert ledger.root() == _simulated(parallel=False).root()


def _fails_after_one(argument: int, put: Callable[[Any], None]) -> None:
    put(argument)
    raise ValueError("no more traffic today")


def test_a_child_that_fails_is_reported_with_its_traceback() -> None:
    items = produced(_fails_after_one, 7)
    assert next(items) == 7
    with pytest.raises(ProducerFailed, match="ValueError: no more traffic today"):
        next(items)
    assert multiprocessing.active_children() == []


def _endless(argument: int, put: Callable[[Any], None]) -> None:
    while True:
        put(argument)


def _dies(argument: int, put: Callable[[Any], None]) -> None:
    os._exit(argument)


def test_a_child_that_ends_without_a_word_is_reported_with_its_exit_code() -> None:
    with pytest.raises(ProducerFailed, match=r"exit code 3\) before it finished"):
        next(produced(_dies, 3))
    assert multiprocessing.active_children() == []


def test_a_caller_that_stops_early_stops_the_child() -> None:
    items = produced(_endless, 1)
    assert [next(items), next(items)] == [1, 1]
    items.close()
    assert multiprocessing.active_children() == []


def test_the_views_a_follower_keeps_while_recording_are_those_of_a_rebuild(
    tmp_path: Path,
) -> None:
    settings = _settings(f"sqlite:///{tmp_path / 'followed.db'}")
    clock = SimulatedClock(0)
    ledger = Ledger(settings, clock=clock)
    try:
        with views_followed(settings):
            simulate(ledger, clock, dossiers=DOSSIERS, seed=SEED, years=YEARS, parallel=True)
        projector = Projector(ledger)
        try:
            # the follower applied everything before the block ended: nothing is left here
            assert projector.position() == ledger.log_size()
            assert projector.catch_up() == 0
            followed = projector.dump()
            assert len(followed["location"]) == DOSSIERS
            projector.rebuild()
            assert projector.dump() == followed
        finally:
            projector.close()
    finally:
        ledger.close()


def test_no_follower_is_started_for_a_memory_ledger() -> None:
    with views_followed(_settings("memory:")):
        assert multiprocessing.active_children() == []
