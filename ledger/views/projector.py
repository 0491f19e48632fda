"""Read models (projections): where every dossier is, and every hop it made, built from the log.

The tables are `tables.py`'s, the rule for each event `rules.py`'s, the reads `queries.py`'s; this
module applies the log to them.

Exactly once: a batch of entries is applied and the tracking position moved in one transaction,
guarded by the position it started from, so a crash mid-batch leaves nothing half-applied and a
restart carries on from the last committed position; two projectors never apply one entry twice.
An entry the projection cannot apply stops it with the entry named: it never skips one silently.
A batch's entries are decoded before its transaction begins, each statement by a trusted decode
of the fields its rule reads (`rules.facts`): the ledger checked them when it recorded them. In
the transaction the position is moved first, from where the batch starts only (the claim: on
PostgreSQL its row lock holds any other projector until the transaction ends, which then finds
the position moved); the rows the batch touches are read after it, the rules change them in
memory (`rules.Batch`) and each is written once. On PostgreSQL the transaction runs in pipeline
mode: the claim and the reads are one round trip, the writes and the commit another (and leaving
the pipeline a last, empty one); the rows a batch adds go by binary COPY (`Batch.copy`; `copying`
False: as arrays, `Batch.write`), after its other writes, the first COPY leaving the pipeline
(COPY has none): a round trip for those writes, two for each COPY, one for the commit.
Following new entries: PostgreSQL wakes the projector through LISTEN/NOTIFY (the store's own
subscription); SQLite has none, so the projector polls. `rebuild` empties the tables and applies
the whole log again, its commits not waiting for the disk (a crash loses whole batches, never half
of one). Command handlers never write here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

from eventsourcing.utils import resolve_topic

from domain.dossier import Dossier
from domain.signed import SignedAggregate, subject_id
from ledger.application import Ledger
from ledger.errors import ReadOnly
from ledger.statements.transcoder import MsgpackTranscoder
from ledger.stores.database import Cursor
from ledger.views import queries
from ledger.views.asof import Then
from ledger.views.marks import Marks
from ledger.views.rules import (
    HANDLERS,
    Batch,
    Copying,
    Facts,
    ProjectionStopped,
    Reads,
    facts,
    reads,
    registered,
    said,
)
from ledger.views.tables import TURN_DEADLINES, VIEW_TABLES, Leg, Location, ViewStore

__all__ = ["Leg", "Location", "ProjectionRaced", "ProjectionStopped", "Projector", "ViewStore"]

NAME = "dossiers"
BATCH = 500
# a batch's claim: the tracking position moved, from where the batch starts only
MOVE = "UPDATE lienthong_tracking SET position = ? WHERE projection = ? AND position = ?"
# a rebuild's batch on PostgreSQL: its commit does not wait for the disk (`Projector.apply`)
UNFLUSHED = "SET LOCAL synchronous_commit TO off"


class ProjectionRaced(ProjectionStopped):
    """Another projector (another server process) applied this batch first: nothing is wrong,
    the batch is not applied twice, and `catch_up` carries on from the new position."""

    code = "projection-raced"
    title_vi = "Bảng tra cứu đã được cập nhật bởi tiến trình khác"
    title_en = "Another projector applied these entries first"


@dataclass(slots=True)  # not frozen: its __init__ then sets fields directly, once an entry
class Decoded:
    """A log entry read for the projection: its event class, the event's fields and its
    statement's (None for an event the projection does not read), or why it could not be
    decoded (raised when the batch comes to it, in its turn)."""

    notification: Any
    kind: type[Any] | None = None
    event: Any = None
    statement: Facts | None = None
    problem: Exception | None = None

    @classmethod
    def of(cls, ledger: Ledger, notification: Any) -> Decoded:
        """The entry's event class from its topic; for an event the projection reads, its
        fields straight from the stored state (`rules.said`) where the ledger's mapper stores
        plain msgpack of the event as it is (no cipher, no compression, no upcasting), else
        the domain event; and its statement's fields (`rules.facts`)."""
        try:
            kind, read, dossier, plain = _topic(notification.topic)
            if not read:
                return cls(notification, kind)
            mapper = ledger.mapper
            event: Any
            if (
                plain
                and mapper.cipher is None
                and mapper.compressor is None
                and type(mapper.transcoder) is MsgpackTranscoder
            ):
                event = said(notification.state, dossier)
            else:
                event = mapper.to_domain_event(notification)
            statement = facts(event.raw)
        except Exception as problem:
            return cls(notification, problem=problem)
        return cls(notification, kind, event, statement)


# topic -> (event class, whether the projection reads it, whether a dossier's, whether stored as
# the class is now (no upcasting)): worked out once per topic
_TOPICS: dict[str, tuple[type[Any], bool, bool, bool]] = {}


def _topic(topic: str) -> tuple[type[Any], bool, bool, bool]:
    found = _TOPICS.get(topic)
    if found is None:
        kind: type[Any] = resolve_topic(topic)
        found = (
            kind,
            _parsed(kind),
            issubclass(kind, Dossier.Event),
            getattr(kind, "class_version", 1) == 1,
        )
        _TOPICS[topic] = found
    return found


def _parsed(kind: type[Any]) -> bool:
    """Whether the projection reads an event of this class: a dossier's or a new registry
    subject's (other registry statements change nothing here)."""
    return issubclass(kind, Dossier.Event) or (
        issubclass(kind, SignedAggregate.Created) and issubclass(kind, SignedAggregate.Event)
    )


class Projector:
    """Applies the log to the views, a batch per transaction, exactly once."""

    def __init__(
        self, ledger: Ledger, view: ViewStore | None = None, *, read_only: bool = False
    ) -> None:
        self.ledger = ledger
        self.view = view or ViewStore(ledger.settings.database_url, read_only=read_only)
        self.read_only = self.view.read_only
        # on PostgreSQL, a batch's added rows are sent by binary COPY (`rules.Batch.copy`); False:
        # as arrays in one pipelined INSERT per table (`rules.Batch.write`)
        self.copying = True
        self.marks = Marks(self.view)
        self._changed = threading.Condition()
        self._catching = threading.RLock()
        if self.read_only:
            return  # the primary's projector keeps the views; they arrive by replication
        with self.view.transaction() as cursor:
            cursor.execute(
                "INSERT INTO lienthong_tracking (projection, position) VALUES (?, 0) "
                "ON CONFLICT (projection) DO NOTHING",
                (NAME,),
            )

    def position(self) -> int:
        rows = self.view.query(
            "SELECT position FROM lienthong_tracking WHERE projection = ?", (NAME,)
        )
        return int(rows[0][0]) if rows else 0

    def catch_up(self, progress: Callable[[int], None] | None = None, batch: int = BATCH) -> int:
        """Apply every entry recorded after the tracked position; returns how many. Calls from
        several threads of one projector take turns. A read-only projector applies nothing: on
        a replica the views are as current as replication has made them."""
        if self.read_only:
            return 0
        with self._catching:
            return self._catch_up(progress, batch, durable=True)

    def _catch_up(
        self, progress: Callable[[int], None] | None, batch: int, *, durable: bool
    ) -> int:
        applied = 0
        while True:
            start = self.position()
            notifications = self.ledger.recorder.select_notifications(start + 1, batch)
            if not notifications:
                if self._unseen():  # an upload or a rating since the last entry: marks only
                    try:
                        self.apply([], start)
                    except ProjectionRaced:
                        continue
                return applied
            try:
                self.apply(notifications, start, durable=durable)
            except ProjectionRaced:
                continue  # another process applied them: carry on from where it got to
            applied += len(notifications)
            if progress is not None:
                progress(len(notifications))
            with self._changed:
                self._changed.notify_all()

    def apply(self, notifications: Sequence[Any], start: int, *, durable: bool = True) -> None:
        """Apply a batch in one transaction, moving the tracking from `start` to the batch's last
        position; refuses (and applies nothing) if another projector moved it meanwhile.
        `durable` False (a rebuild's batches): on PostgreSQL the commit does not wait for the
        server to flush it to disk (`synchronous_commit` off for the transaction). A crash of
        the server may then lose the last such commits, each whole, the move of the position
        with its rows: the projection carries on from the position that survived. With no
        notifications, the position stays at `start` and only the marks are settled (the keys
        the file and rating stores left: `marks.py`)."""
        entries = [Decoded.of(self.ledger, notification) for notification in notifications]
        end = notifications[-1].id if notifications else start
        needed = reads(
            self.view.kind,
            (
                (entry.kind, entry.statement)
                for entry in entries
                if entry.kind is not None and entry.statement is not None
            ),
        )
        postgres = self.view.kind == "postgres"
        copying = postgres and self.copying
        try:
            with self.view.transaction(pipeline=True) as cursor:
                if postgres and not durable:
                    cursor.execute(UNFLUSHED)
                batch = self._claim(cursor, start, end, needed)
                for entry in entries:
                    try:
                        self._apply(batch, entry)
                    except Exception as problem:
                        raise ProjectionStopped(
                            f"the projection cannot apply log entry {entry.notification.id} "
                            f"({entry.notification.topic}): {problem}; it stops here and applies "
                            f"nothing of this batch"
                        ) from problem
                self.marks.settle(cursor, batch)  # what the file and rating stores tell
                if copying:
                    batch.copy(cast(Copying, cursor))
                else:
                    batch.write(cursor, postgres=postgres)
        except ProjectionStopped:
            raise
        except Exception as problem:  # PostgreSQL: a refusal raised at a COPY or the commit
            raise ProjectionStopped(
                f"the projection cannot apply log entries {start + 1} to {end}: {problem}; it "
                f"stops there and applies nothing of this batch"
                if notifications
                else f"the projection cannot settle the marks of new files and ratings: {problem}"
            ) from problem

    def _unseen(self) -> bool:
        """Whether the file store or the rating store left keys the views have not seen."""
        return self.marks.unseen()

    def _claim(self, cursor: Cursor, start: int, end: int, needed: Reads) -> Batch:
        """Move the position from `start` to `end`, or raise ProjectionRaced if it is no longer
        at `start`; then read the batch's rows, on PostgreSQL in the same round trip (the server
        runs the reads after the move, once it holds the row)."""
        moved = (end, NAME, start)
        if self.view.kind == "postgres":
            returned, *selected = cursor.select_each(
                [(f"{MOVE} RETURNING position", moved), *needed.queries]
            )
            claimed = len(returned) == 1
        else:
            cursor.execute(MOVE, moved)
            claimed = cursor.rowcount == 1
            selected = cursor.select_each(needed.queries) if claimed else []
        if not claimed:
            cursor.execute("SELECT position FROM lienthong_tracking WHERE projection = ?", (NAME,))
            row = cursor.fetchone()
            raise ProjectionRaced(
                f"another projector applied entries after {start} meanwhile (the views are at "
                f"{None if row is None else row[0]}); this batch is not applied twice"
            )
        return needed.batch(selected)

    def _apply(self, batch: Batch, entry: Decoded) -> None:
        if entry.problem is not None:
            raise entry.problem
        kind, statement = entry.kind, entry.statement
        if kind is None or statement is None:
            return  # registry statements only list the registry's subjects
        if not issubclass(kind, Dossier.Event):
            registered(batch, statement)
            return
        handler = HANDLERS.get(kind)
        if handler is None:
            raise ProjectionStopped(f"no projection rule for {kind.__qualname__}")
        handler(batch, entry.event, statement)

    def rebuild(self, progress: Callable[[int], None] | None = None) -> int:
        """Empty the views and apply the whole log again. On PostgreSQL the tables are truncated
        (emptied files: the rows a DELETE leaves behind as dead tuples would slow every insert
        into their indexes, the server running no vacuum in between), and the batches commit
        without waiting for the disk (`apply`'s `durable`); on SQLite they commit with
        `synchronous = NORMAL` (WAL: a commit reaches the disk at the next checkpoint). Either way
        a crash of the machine may lose the last batches, each whole with its move of the
        position, never half of one: the views are behind, not wrong, and catch up again."""
        if self.read_only:
            raise ReadOnly("the views of a replica are rebuilt on the primary")
        with self._catching:
            with self.view.transaction() as cursor:
                if self.view.kind == "postgres":
                    cursor.execute(f"TRUNCATE {', '.join((*VIEW_TABLES, TURN_DEADLINES))}")
                else:
                    for table in (*VIEW_TABLES, TURN_DEADLINES):
                        cursor.execute(f"DELETE FROM {table}")  # noqa: S608 — fixed table names
                cursor.execute(
                    "UPDATE lienthong_tracking SET position = 0 WHERE projection = ?", (NAME,)
                )
            with self._unsynced():
                return self._catch_up(progress, BATCH, durable=False)

    @contextmanager
    def _unsynced(self) -> Iterator[None]:
        """On SQLite, the view's connection commits with `synchronous = NORMAL` for the block,
        then as it did before."""
        if self.view.kind != "sqlite":
            yield
            return
        before = int(self.view.query("PRAGMA synchronous")[0][0])
        self.view.query("PRAGMA synchronous = NORMAL")
        try:
            yield
        finally:
            self.view.query(f"PRAGMA synchronous = {before:d}")

    def wait_for(self, position: int, timeout: float) -> bool:
        """Block until the views have applied `position` (while `follow` runs in a thread)."""
        with self._changed:
            return self._changed.wait_for(lambda: self.position() >= position, timeout)

    def follow(self, stop: threading.Event, poll_seconds: float = 0.5) -> None:
        """Keep the views current until `stop` is set: PostgreSQL wakes on LISTEN/NOTIFY, SQLite
        polls every `poll_seconds`. On PostgreSQL a NOTIFY sent while the listener was not yet
        listening reaches nobody: a catch-up every `poll_seconds` there too picks such an entry
        up anyway."""
        if poll_seconds <= 0:
            raise ValueError(f"poll_seconds must be positive, not {poll_seconds}")
        self.catch_up()
        if self.view.kind == "postgres":
            subscription = self.ledger.recorder.subscribe(gt=self.position())

            failed: list[BaseException] = []

            def stop_listening() -> None:
                try:
                    while not stop.wait(poll_seconds):
                        self.catch_up()
                except BaseException as problem:  # raised again by `follow` below
                    failed.append(problem)
                finally:
                    subscription.stop()

            stopper = threading.Thread(target=stop_listening)
            stopper.start()
            try:
                with subscription:
                    for notification in subscription:
                        if stop.is_set():
                            break
                        if notification.id > self.position():
                            self.catch_up()
            finally:
                stop.set()
                stopper.join()
            if failed:
                raise failed[0]
            return
        while not stop.is_set():
            if not self.catch_up():
                stop.wait(poll_seconds)

    def close(self) -> None:
        self.view.close()

    # --- reads (queries.py) ----------------------------------------------------------------

    def location(self, code: str) -> Location | None:
        return queries.location(self.view, code)

    def legs(self, code: str) -> list[Leg]:
        return queries.legs(self.view, code)

    def inbox(self, office: str) -> list[Location]:
        """Dispatches to `office` awaiting its acknowledgement, oldest first."""
        return queries.inbox(self.view, office)

    def sent_from(self, office: str) -> list[Location]:
        """Dispatches from `office` not acknowledged (nor refused) yet, the oldest first."""
        return queries.sent_from(self.view, office)

    def held_by(self, office: str) -> list[Location]:
        """Dossiers `office` holds (processing or suspended), the one promised soonest first."""
        return queries.held_by(self.view, office)

    def subjects(
        self, family: str, *, owner: str | None = None, after: str = "", limit: int = 1000
    ) -> list[str]:
        """The registry's subjects of a family (offices, officers, keys, procedures) in id order,
        after `after`; keys of one officer with `owner`."""
        return queries.subjects(self.view, family, owner=owner, after=after, limit=limit)

    def suspensions(self, code: str) -> list[tuple[int, int | None]]:
        """(from, to) of each time the dossier awaited a supplement; `to` None while it does."""
        return queries.suspensions(self.view, code)

    def dump(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every view, in key order: for comparing two builds."""
        return queries.dump(self.view)

    def location_as_of(self, code: str, instant: int) -> Location | None:
        """Where the dossier was at `instant` (by the handover times its statements carry): its
        history up to then, through the same rules, on rows kept in memory only. None if not
        yet received then. Raises UnknownDossier for a code with no history."""
        then = self.as_of(code, instant)
        return None if then is None else then.location

    def as_of(self, code: str, instant: int) -> Then | None:
        """The dossier at `instant` — its location row, its hops and its supplement windows as
        they were then — from its history up to the first statement dated after it, through
        the same rules, on rows kept in memory only. None if not yet received then. Raises
        UnknownDossier for a code with no history."""
        self.ledger.dossier(code)  # raises UnknownDossier
        batch = Batch()  # the dossier's rows, in memory only
        events: Iterator[Any] = iter(self.ledger.events.get(subject_id("dossier", code)))
        for event in events:
            statement = facts(event.raw)
            if statement.at > instant:
                break
            self._apply(batch, Decoded(None, type(event), event, statement))
        location = batch.locations.get(code)
        if location is None:
            return None
        legs = sorted((leg for leg in batch.legs.values() if leg.code == code), key=_hop)
        return Then(location, tuple(legs), tuple(batch.spans(code)), replayed=True)


def _hop(leg: Leg) -> int:
    return leg.hop
