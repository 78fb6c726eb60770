"""The feed as Server-Sent Events: catch-up then live, resumable, never silently dropped.

Frames:
- `event: cloudevent`, `id: <position>`, data = the CloudEvent (JSON format);
- `event: checkpoint`, `id: <position>`: a window of the log held nothing for this caller; a
  client resuming with `Last-Event-ID` starts after it and never rescans that stretch;
- `event: fallback`, `id: <position>`, data = {"reason", "next"}: this caller is more than
  `max_backlog` events behind (a slow consumer, or a deep catch-up): the stream ends and the
  client reads pages from `next` (`GET /v1/events?after=…`) until it is close again;
- comments (`: ping`) every `heartbeat` seconds while idle (sse-starlette's ping).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from sse_starlette import EventSourceResponse, ServerSentEvent

from services.integration.cloud import encode
from services.integration.domain.scope import Narrowed
from services.integration.feed import SCAN_WINDOW, scan_window, store_filter
from shared.eventstore.port import EventStore, Position
from shared.http.service import blocking


@dataclass(frozen=True, slots=True)
class StreamSettings:
    heartbeat: float = 15.0
    poll_interval: float = 0.05  # how often an idle stream looks at the head
    max_backlog: int = 10_000  # events behind the head past which the client reads pages
    window: int = SCAN_WINDOW
    send_timeout: float = 30.0  # a send blocked this long closes the connection


def pages_link(after: Position, narrowed: Narrowed) -> str:
    query = [("after", str(after))]
    query += [("categories", c) for c in narrowed.categories]
    query += [("types", t) for t in narrowed.types]
    return "/v1/events?" + urlencode(query)


def backlog(store: EventStore, narrowed: Narrowed, after: Position, cap: int) -> int:
    """This caller's events after `after`, counted up to `cap + 1`."""
    if narrowed.scope.is_empty:
        return 0  # an empty scope's filter would read as "no restriction"
    return len(store.read_all(after=after, filter=store_filter(narrowed), limit=cap + 1))


async def frames(
    store: EventStore,
    narrowed: Narrowed,
    after: Position,
    settings: StreamSettings,
    disconnected: Callable[[], bool] | None = None,
) -> AsyncIterator[ServerSentEvent]:
    position = after
    checked_backlog_at: Position | None = None
    while not (disconnected is not None and disconnected()):
        if checked_backlog_at != position:
            behind = await blocking(backlog, store, narrowed, position, settings.max_backlog)
            checked_backlog_at = position
            if behind > settings.max_backlog:
                reason = {"reason": "slow-consumer", "next": pages_link(position, narrowed)}
                yield ServerSentEvent(json.dumps(reason), event="fallback", id=str(position))
                return
        window = await blocking(scan_window, store, narrowed, position, settings.window)
        for recorded in window.events:
            yield ServerSentEvent(
                encode(recorded, narrowed.scope.personal_data).decode(),
                event="cloudevent",
                id=str(recorded.position),
            )
        if not window.events and window.scanned_to != position:
            yield ServerSentEvent("{}", event="checkpoint", id=str(window.scanned_to))
        position = window.scanned_to
        if window.at_head:
            await asyncio.sleep(settings.poll_interval)


def event_stream(
    store: EventStore,
    narrowed: Narrowed,
    after: Position,
    settings: StreamSettings,
    disconnected: Callable[[], bool] | None = None,
) -> EventSourceResponse:
    return EventSourceResponse(
        frames(store, narrowed, after, settings, disconnected),
        ping=settings.heartbeat,
        send_timeout=settings.send_timeout,
        headers={"Cache-Control": "no-store"},
    )
