"""Reading the log for a caller: whose scope, which page, how far a scan got.

Every read re-checks each event against the caller's scope (`Narrowed.allows`) after the
store's own filter, so nothing outside it leaves here whatever filter or cursor came in.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.integration.domain.scope import EVERYTHING, Narrowed, Scope, scope_of_grant
from shared.events.integration import FeedScopeGranted
from shared.eventstore.codec import decode
from shared.eventstore.port import NO_FILTER, EventFilter, EventStore, Position, RecordedEvent
from shared.http.auth import Principal

SCOPE_CATEGORY = "feedscope"
# A scan reads the log in windows of this many events (any category), so a filtered scan
# over a long stretch with nothing to show still reports how far it got.
SCAN_WINDOW = 1000


def scope_stream(key_id: str) -> str:
    return f"{SCOPE_CATEGORY}-{key_id}"


def granted(store: EventStore, key_id: str) -> FeedScopeGranted | None:
    """The latest grant of a key (an indexed read of its own stream)."""
    latest: FeedScopeGranted | None = None
    for recorded in store.read_stream(scope_stream(key_id)):
        event = decode(recorded).event
        if isinstance(event, FeedScopeGranted):
            latest = event
    return latest


def scope_for(store: EventStore, principal: Principal) -> Scope:
    """Staff read everything; a partner its grant; anyone else nothing."""
    if principal.is_staff:
        return EVERYTHING
    if principal.role != "partner":
        return scope_of_grant(None)
    return scope_of_grant(granted(store, principal.key_id))


def store_filter(narrowed: Narrowed) -> EventFilter:
    return EventFilter(categories=narrowed.categories, types=narrowed.types)


@dataclass(frozen=True, slots=True)
class Page:
    events: list[RecordedEvent]
    more: bool  # the page is full: more events may follow right away
    cursor: Position  # where the next read starts (the last event's position, or `after`)


def read_page(store: EventStore, narrowed: Narrowed, after: Position, limit: int) -> Page:
    if narrowed.scope.is_empty:
        return Page([], False, after)
    found = store.read_all(after=after, filter=store_filter(narrowed), limit=limit + 1)
    more = len(found) > limit
    shown = [r for r in found[:limit] if narrowed.allows(r.category, r.type)]
    last = found[limit - 1].position if more else (found[-1].position if found else after)
    return Page(shown, more, last)


@dataclass(frozen=True, slots=True)
class Window:
    events: list[RecordedEvent]
    scanned_to: Position  # every event up to here was looked at
    at_head: bool


def scan_window(
    store: EventStore, narrowed: Narrowed, after: Position, window: int = SCAN_WINDOW
) -> Window:
    """The caller's events among the next `window` events of the log."""
    batch = store.read_all(after=after, filter=NO_FILTER, limit=window)
    if not batch:
        return Window([], after, True)
    shown = [r for r in batch if narrowed.allows(r.category, r.type)]
    return Window(shown, batch[-1].position, len(batch) < window)


def read_stream(store: EventStore, narrowed: Narrowed, stream: str) -> list[RecordedEvent]:
    """The stream's events the scope allows ([]: the caller answers 404, so a stream outside
    the scope looks like one that does not exist)."""
    return [r for r in store.read_stream(stream) if narrowed.allows(r.category, r.type)]
