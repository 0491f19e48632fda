"""The log as a feed for consumers: pages by log position, and Server-Sent Events as it grows.

The cursor is the log position (leaf index) of the next entry to read: it is dense, the same on
every server of one database, and names the entry in inclusion proofs. Each event carries the
signed statement, so a consumer can verify what it is told without trusting this server.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.sse import EventSourceResponse, ServerSentEvent

from api.http.access import Caller, ServicesDep
from api.http.routes.params import Limit, position
from api.http.schemas.common import Page, iso
from api.http.schemas.registry import EventOut
from ledger.log import feed
from ledger.statements import signing

router = APIRouter(prefix="/events", tags=["events"])
After = Annotated[
    str | None,
    Query(pattern=r"^[0-9]{1,18}$", description="the log position to start from (a cursor)"),
]


def event_out(item: feed.FeedEntry) -> EventOut:
    entry = item.entry
    return EventOut(
        index=item.index,
        kind=entry.statement.kind,
        subject=entry.statement.subject,
        seq=entry.statement.seq,
        statement=base64.b64encode(entry.raw).decode(),
        signature=base64.b64encode(entry.signature).decode(),
        digest=signing.statement_hash(entry.raw).hex(),
        recorded_at=entry.recorded_at,
        recorded_at_iso=iso(entry.recorded_at),
    )


@router.get("", response_model=Page[EventOut], summary="Log entries from a position, in log order")
def events(
    services: ServicesDep, _token: Caller, cursor: After = None, limit: Limit = 100
) -> Page[EventOut]:
    start = position(cursor)
    items = [event_out(item) for item in feed.entries(services.ledger, start, limit)]
    following = items[-1].index + 1 if items else start
    return Page(items=items, next=str(following) if len(items) == limit else None)


def stream_start(
    cursor: After = None,
    last_event_id: Annotated[str | None, Header(pattern=r"^[0-9]{1,18}$")] = None,
) -> int:
    """Where a stream starts: after Last-Event-ID when resuming, else at the cursor. Checked
    before the stream begins, so a bad one is a 422 problem, not a broken stream."""
    return position(last_event_id) + 1 if last_event_id else position(cursor)


@router.get(
    "/stream",
    response_class=EventSourceResponse,
    summary="Server-Sent Events: every new log entry as it is recorded (`event: entry`, `id` = "
    "its position); resume with Last-Event-ID",
)
async def stream(
    request: Request,
    services: ServicesDep,
    _token: Caller,
    start: Annotated[int, Depends(stream_start)],
    max_events: Annotated[
        int | None, Query(ge=1, le=100_000, description="close the stream after this many")
    ] = None,
) -> AsyncIterator[ServerSentEvent]:
    sent = 0
    while max_events is None or sent < max_events:
        wanted = 100 if max_events is None else min(100, max_events - sent)
        batch = await run_in_threadpool(feed.entries, services.ledger, start, wanted)
        for item in batch:
            yield ServerSentEvent(data=event_out(item), event="entry", id=str(item.index))
        sent += len(batch)
        start = batch[-1].index + 1 if batch else start
        if not batch:
            if await request.is_disconnected():
                return
            await asyncio.sleep(services.settings.stream_poll_seconds)
