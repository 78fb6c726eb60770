"""The event store port: what every engine offers, with KurrentDB client semantics.

Stream versions start at 0 and have no gaps. Positions are ordered tokens of the whole log
(integers here: SQLite's gapless row id, KurrentDB's commit position); compare them, never do
arithmetic on them.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple, Protocol
from uuid import UUID

Position = int
START: Position = 0  # "before the first event": read_all(after=START) reads everything


class StreamState(enum.Enum):
    """Expected state of a stream when it is not a version number."""

    NO_STREAM = "NO_STREAM"
    ANY = "ANY"
    EXISTS = "EXISTS"


ExpectedVersion = int | StreamState
NO_STREAM = StreamState.NO_STREAM
ANY = StreamState.ANY
EXISTS = StreamState.EXISTS


class EventStoreError(Exception):
    """Base class of the errors every engine raises."""


class WrongExpectedVersion(EventStoreError):
    """The stream is not in the expected state; nothing was appended."""

    def __init__(self, stream: str, expected: ExpectedVersion, actual: int | None) -> None:
        self.stream = stream
        self.expected = expected
        self.actual = actual  # None: the stream does not exist
        shown = expected.value if isinstance(expected, StreamState) else expected
        super().__init__(f"stream {stream!r}: expected {shown}, actual {actual}")


class InvalidStreamName(EventStoreError, ValueError):
    """Stream names are `category-id`, with no hyphen inside the category."""


class StoreUnavailable(EventStoreError):
    """The engine could not be reached; the operation may be retried."""


def category_of(stream: str) -> str:
    """`invoice-2026-000123` → `invoice`: the category is what precedes the first hyphen."""
    category, sep, rest = stream.partition("-")
    if not sep or not category or not rest:
        raise InvalidStreamName(f"stream name {stream!r} is not of the form category-id")
    return category


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event to append. `data` and `metadata` are JSON documents encoded as UTF-8."""

    id: UUID
    type: str
    data: bytes
    metadata: bytes = b"{}"


class RecordedEvent(NamedTuple):
    """An event as stored (a tuple: a read or a rebuild makes millions of them)."""

    id: UUID
    stream: str
    version: int
    position: Position
    type: str
    data: bytes
    metadata: bytes
    recorded_at: datetime

    @property
    def category(self) -> str:
        return category_of(self.stream)


@dataclass(frozen=True, slots=True)
class AppendRequest:
    """One stream's part of an append: its events and the state it must be in."""

    stream: str
    events: Sequence[NewEvent]
    expected: ExpectedVersion


@dataclass(frozen=True, slots=True)
class AppendResult:
    """Where an append landed: the log position of its last event and each stream's version."""

    position: Position
    versions: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EventFilter:
    """Keeps events whose category is in `categories` and whose type is in `types`.

    An empty tuple means "no restriction" on that axis.
    """

    categories: tuple[str, ...] = ()
    types: tuple[str, ...] = ()

    def matches(self, category: str, event_type: str) -> bool:
        return (not self.categories or category in self.categories) and (
            not self.types or event_type in self.types
        )


NO_FILTER = EventFilter()


class Subscription(Protocol):
    """Catch-up then live: yields every matching event after the start position, in order,
    then blocks for new ones until `stop()` is called (from any thread)."""

    def __iter__(self) -> Iterator[RecordedEvent]: ...

    def stop(self) -> None: ...


class EventStore(Protocol):
    def append(
        self, stream: str, events: Sequence[NewEvent], expected: ExpectedVersion
    ) -> AppendResult:
        """Append to one stream. Retrying an append (same event ids, same expected version)
        is a no-op that answers the original position. Metadata is a flat JSON object of
        strings (what KurrentDB's multi-stream append can carry)."""
        ...

    def append_many(self, requests: Sequence[AppendRequest]) -> AppendResult:
        """Append to several streams atomically: all requests land, or none does. Each
        stream appears in at most one request."""
        ...

    def read_stream(self, stream: str, from_version: int = 0) -> list[RecordedEvent]:
        """A stream's events from `from_version` on; [] when the stream does not exist."""
        ...

    def read_all(
        self, after: Position = START, filter: EventFilter = NO_FILTER, limit: int | None = None
    ) -> list[RecordedEvent]:
        """Events of all streams with a position after `after`, in log order."""
        ...

    def subscribe(
        self, after: Position = START, filter: EventFilter = NO_FILTER
    ) -> Subscription: ...

    def head(self) -> Position:
        """The position of the last event in the log (START when empty)."""
        ...

    def close(self) -> None: ...
