"""The simulation's helper processes: one that builds and signs the statements while the
recording goes on, one that applies the log to the read models while it is recorded.

Recording (`Ledger.record_many`: parse, verify, check, save) runs in the caller's process and
is the longest part of a simulation; building and signing the statements, and applying the log to
the views, run beside it on another core. Each child is started with "spawn" (a fresh
interpreter: nothing of the caller's open database or threads is carried over). What a child
makes is the same as the caller would have made: the signatures are Ed25519 (deterministic), the
statements are sent back in the order they were made, and the views are the projector's, which
applies each entry exactly once whichever process applies it.
"""

from __future__ import annotations

import multiprocessing
import queue as queues
import traceback
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.synchronize import Event
from typing import Any

from ledger.application import Ledger
from ledger.config import LedgerSettings
from ledger.views.projector import Projector

# how many batches the producer may be ahead of the recording: it waits beyond that
AHEAD = 64
# how long the caller waits for the next item before it checks the producer is still alive
POLL_SECONDS = 1.0
# the views' follower: entries per transaction (it holds SQLite's write lock while it writes them:
# a short wait for the recorder, not a long one) and how often it looks for new entries
VIEW_BATCH = 100
VIEW_POLL_SECONDS = 0.2

_context = multiprocessing.get_context("spawn")


@dataclass(frozen=True)
class _Failed:
    """The producer's exception, as text (the traceback), sent instead of the next item."""

    trace: str


class _End:
    """Sent by the producer after its last item."""


class ProducerFailed(RuntimeError):
    """The producer process raised, or ended without finishing."""


def produced(
    produce: Callable[[Any, Callable[[Any], None]], None], argument: Any
) -> Generator[Any, None, None]:
    """Run `produce(argument, put)` in a child process; yield what it puts, in order. `produce`
    and `argument` must be picklable (a module-level function and plain data). An exception in
    the child is raised here as ProducerFailed with the child's traceback; the child is stopped
    if the caller stops early."""
    items: Any = _context.Queue(maxsize=AHEAD)
    child = _context.Process(target=_produce, args=(produce, argument, items), daemon=True)
    child.start()
    finished = False
    try:
        while True:
            try:
                item = items.get(timeout=POLL_SECONDS)
            except queues.Empty:
                if not child.is_alive():
                    raise ProducerFailed(
                        f"the simulation's signing process ended (exit code {child.exitcode}) "
                        f"before it finished"
                    ) from None
                continue
            if isinstance(item, _End):
                finished = True
                return
            if isinstance(item, _Failed):
                raise ProducerFailed(f"the simulation's signing process failed:\n{item.trace}")
            yield item
    finally:
        if not finished:  # stopped early, or failed: nothing more is wanted from it
            child.terminate()
        child.join()
        items.close()
        items.cancel_join_thread()


def _produce(
    produce: Callable[[Any, Callable[[Any], None]], None], argument: Any, items: Any
) -> None:
    try:
        produce(argument, items.put)
    except KeyboardInterrupt:  # Ctrl-C reaches the caller too, which stops
        return
    except BaseException:
        items.put(_Failed(traceback.format_exc()))
        return
    items.put(_End())
    items.close()
    items.join_thread()  # everything put reaches the caller before this process ends


@contextmanager
def views_followed(settings: LedgerSettings) -> Iterator[None]:
    """While the block runs, a child process applies what is recorded to the read models of the
    database of `settings`, a few entries per transaction as they come; when the block ends, it
    applies what is left and stops, and the block's exit waits for it. Nothing is started for a
    `memory:` ledger, whose views no other process can reach. A follower that fails leaves the
    rest to the next `Projector.catch_up`, which applies it, or stops at the entry the
    projection cannot apply and names it."""
    if settings.database_url.startswith("memory:"):
        yield
        return
    stop = _context.Event()
    child = _context.Process(target=_follow_views, args=(settings.database_url, stop), daemon=True)
    child.start()
    try:
        yield
    finally:
        stop.set()
        child.join()


def _follow_views(database_url: str, stop: Event) -> None:
    try:
        _follow(database_url, stop)
    except KeyboardInterrupt:  # Ctrl-C reaches the caller too, which stops
        return


def _follow(database_url: str, stop: Event) -> None:
    ledger = Ledger(LedgerSettings(database_url=database_url))
    try:
        projector = Projector(ledger)
        try:
            while not stop.is_set():
                if not projector.catch_up(batch=VIEW_BATCH):
                    stop.wait(VIEW_POLL_SECONDS)
            projector.catch_up()  # what was recorded before the block ended
        finally:
            projector.close()
    finally:
        ledger.close()
