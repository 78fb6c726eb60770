"""The published language's machinery: event base class, metadata, registry and upcasters.

Every event is a frozen pydantic model registered under its class name. Its JSON travels in
the store's `data`; who did it, why and when travel in `metadata`. An old version of an event
is upgraded on read by a chain of upcasters (version n → n + 1), never rewritten in the store.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, NamedTuple, TypeVar

from pydantic import BaseModel, ConfigDict

from shared.eventstore.port import NewEvent, Position, RecordedEvent


class DomainEvent(BaseModel):
    """Base of every event. Subclasses set `schema_version` when their shape changes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: ClassVar[int] = 1

    @classmethod
    def event_type(cls) -> str:
        return cls.__name__


E = TypeVar("E", bound=type[DomainEvent])
Upcaster = Callable[[dict[str, Any]], dict[str, Any]]

_EVENTS: dict[str, type[DomainEvent]] = {}
_UPCASTERS: dict[tuple[str, int], Upcaster] = {}


def event(cls: E) -> E:
    """Class decorator: registers an event under its class name (names are unique)."""
    name = cls.event_type()
    if name in _EVENTS and _EVENTS[name] is not cls:
        raise ValueError(f"event type {name} is registered twice")
    _EVENTS[name] = cls
    return cls


def upcaster(event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
    """Decorator: registers the function that turns `from_version` data into the next version."""

    def register(function: Upcaster) -> Upcaster:
        _UPCASTERS[(event_type, from_version)] = function
        return function

    return register


def registered_events() -> dict[str, type[DomainEvent]]:
    return dict(_EVENTS)


def has_upcaster(event_type: str, from_version: int) -> bool:
    return (event_type, from_version) in _UPCASTERS


class UnknownEventType(LookupError):
    pass


def event_class(event_type: str) -> type[DomainEvent]:
    try:
        return _EVENTS[event_type]
    except KeyError:
        raise UnknownEventType(event_type) from None


def upcast(event_type: str, version: int, data: dict[str, Any]) -> dict[str, Any]:
    target = event_class(event_type).schema_version
    while version < target:
        data = _UPCASTERS[(event_type, version)](data)
        version += 1
    return data


class Metadata(BaseModel):
    """Who did it, in answer to what, and when it happened in business time.

    `recorded_at` (store time) is added by the store; `occurred_at` is business time and comes
    from the clock the command saw.
    """

    model_config = ConfigDict(frozen=True)

    correlation_id: str
    causation_id: str
    actor: str
    occurred_at: datetime
    schema_version: int = 1


class Envelope(NamedTuple):
    """A decoded event with everything the store knows about it (a tuple: projections build
    millions of them)."""

    event: DomainEvent
    id: uuid.UUID
    stream: str
    version: int
    position: Position
    metadata: Metadata
    recorded_at: datetime

    @property
    def type(self) -> str:
        return self.event.event_type()


@dataclass(frozen=True, slots=True)
class Context:
    """What a command carries besides its data: who asked, in answer to what.

    The first event a request causes gets the request's correlation id as its causation id;
    reactions pass the event they react to as cause.
    """

    actor: str
    correlation_id: str
    causation_id: str
    occurred_at: datetime

    @classmethod
    def new(cls, actor: str, now: datetime | None = None) -> Context:
        request_id = str(uuid.uuid4())
        return cls(actor, request_id, request_id, now or datetime.now(UTC))

    def caused_by(self, envelope: Envelope, actor: str | None = None) -> Context:
        return Context(
            actor=actor or self.actor,
            correlation_id=envelope.metadata.correlation_id,
            causation_id=str(envelope.id),
            occurred_at=self.occurred_at,
        )


def new_event_id() -> uuid.UUID:
    """A time-ordered id (UUID version 7, RFC 9562): the store's unique index on event ids then
    grows at its right edge instead of dirtying a random page for every event."""
    milliseconds = time.time_ns() // 1_000_000
    random = int.from_bytes(os.urandom(10), "big")
    value = (
        (milliseconds & (1 << 48) - 1) << 80
        | 0x7 << 76
        | (random >> 68 & 0xFFF) << 64
        | 0b10 << 62
        | random & (1 << 62) - 1
    )
    return uuid.UUID(int=value)


def to_new_event(
    domain_event: DomainEvent, context: Context, event_id: uuid.UUID | None = None
) -> NewEvent:
    # Every value is a string: KurrentDB's multi-stream append carries flat string maps only.
    metadata = {
        "correlation_id": context.correlation_id,
        "causation_id": context.causation_id,
        "actor": context.actor,
        "occurred_at": context.occurred_at.isoformat(),
        "schema_version": str(type(domain_event).schema_version),
    }
    return NewEvent(
        id=event_id or new_event_id(),
        type=domain_event.event_type(),
        data=domain_event.model_dump_json().encode(),
        metadata=json.dumps(metadata).encode(),
    )


def to_new_events(
    domain_events: Iterable[DomainEvent], context: Context, ids: Iterable[uuid.UUID] | None = None
) -> list[NewEvent]:
    events = list(domain_events)
    id_list = list(ids) if ids is not None else [new_event_id() for _ in events]
    return [to_new_event(e, context, i) for e, i in zip(events, id_list, strict=True)]


_last_metadata: tuple[bytes, Metadata | None] = (b"", None)


def _metadata(raw: bytes) -> Metadata:
    """The events of one append share their metadata bytes: parse them once in a row."""
    global _last_metadata
    raw_seen, parsed = _last_metadata  # one read: another thread may replace it meanwhile
    if parsed is not None and raw_seen == raw:
        return parsed
    metadata = Metadata.model_validate_json(raw)
    _last_metadata = (raw, metadata)
    return metadata


def decode(recorded: RecordedEvent) -> Envelope:
    """Recorded bytes → the current version of the event model, upcasting on the way."""
    cls = event_class(recorded.type)
    metadata = _metadata(recorded.metadata)
    if metadata.schema_version == cls.schema_version:
        # The validator itself: model_validate_json's wrapper costs a third of the call.
        domain_event = cls.__pydantic_validator__.validate_json(recorded.data)
    else:
        data = upcast(recorded.type, metadata.schema_version, json.loads(recorded.data))
        domain_event = cls.model_validate(data)
    return Envelope(
        event=domain_event,
        id=recorded.id,
        stream=recorded.stream,
        version=recorded.version,
        position=recorded.position,
        metadata=metadata,
        recorded_at=recorded.recorded_at,
    )


def deterministic_id(*parts: object) -> uuid.UUID:
    """An event id derived from what makes the event unique, so a retried reaction or request
    appends the same id and the store's idempotency turns the retry into a no-op."""
    return uuid.uuid5(uuid.NAMESPACE_URL, "coop:" + "/".join(str(p) for p in parts))
