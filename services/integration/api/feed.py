"""`GET /v1/events` (pages), `GET /v1/events/stream` (SSE), `GET /v1/streams/{stream}`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response

from services.integration import feed
from services.integration.api.common import Runtime, narrowed_for, reader
from services.integration.cloud import encode_page
from services.integration.sse import event_stream
from shared.decider import NotFound
from shared.eventstore.port import START, InvalidStreamName, category_of
from shared.http.auth import Principal
from shared.http.paging import format_cursor, parse_cursor
from shared.http.service import blocking

router = APIRouter(tags=["event feed"])

EventsReader = Annotated[Principal, Depends(reader("events:read"))]
StreamsReader = Annotated[Principal, Depends(reader("streams:read"))]
Names = Annotated[list[str], Query(max_length=50)]
After = Annotated[str | None, Query(max_length=20, description="A position: start after it")]
Limit = Annotated[int, Query(ge=1, le=1000)]
JSON = "application/json"


class StreamNotFound(NotFound):
    code = "stream-not-found"


@router.get("/v1/events", response_class=Response)
async def list_events(
    runtime: Runtime,
    principal: EventsReader,
    after: After = None,
    categories: Names = [],  # noqa: B006 (FastAPI copies defaults)
    types: Names = [],  # noqa: B006
    limit: Limit = 100,
) -> Response:
    """A page of CloudEvents in store order. `next` continues right away (null: none yet);
    `cursor` is where to poll from later."""
    start = parse_cursor(after, field="after") or START
    narrowed = await narrowed_for(runtime.store, principal, categories, types)
    page = await blocking(feed.read_page, runtime.store, narrowed, start, limit)
    next_cursor = format_cursor(page.cursor) if page.more else None
    body = encode_page(page.events, next_cursor, narrowed.scope.personal_data)
    return Response(body, media_type=JSON, headers={"Feed-Cursor": format_cursor(page.cursor)})


@router.get("/v1/events/stream", response_class=Response)
async def stream_events(
    request: Request,
    runtime: Runtime,
    principal: EventsReader,
    after: After = None,
    categories: Names = [],  # noqa: B006
    types: Names = [],  # noqa: B006
    last_event_id: Annotated[str | None, Header(max_length=20)] = None,
) -> Response:
    """Server-Sent Events: catch-up then live. `Last-Event-ID` (or `after`) resumes."""
    resume = parse_cursor(last_event_id, field="Last-Event-ID")
    start = resume if resume is not None else parse_cursor(after, field="after") or START
    narrowed = await narrowed_for(runtime.store, principal, categories, types)
    return event_stream(runtime.store, narrowed, start, runtime.streams)


@router.get("/v1/streams/{stream}", response_class=Response)
async def read_stream(runtime: Runtime, principal: StreamsReader, stream: str) -> Response:
    """One stream's events as CloudEvents, in version order (404 outside the scope)."""
    try:
        category = category_of(stream)
    except InvalidStreamName as invalid:
        raise StreamNotFound(f"no stream {stream[:80]!r}", field="stream") from invalid
    narrowed = await narrowed_for(runtime.store, principal, [], [])
    if narrowed.categories and category not in narrowed.categories:
        raise StreamNotFound(f"no stream {stream[:80]!r}", field="stream")
    events = await blocking(feed.read_stream, runtime.store, narrowed, stream)
    if not events:
        raise StreamNotFound(f"no stream {stream[:80]!r}", field="stream")
    return Response(encode_page(events, None, narrowed.scope.personal_data), media_type=JSON)
