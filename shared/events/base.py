"""The published language's machinery: event base class, metadata, registry and upcasters.

Nothing here touches the store: encoding to and from it lives in `shared.eventstore.codec`,
so domain code can import events without importing the store port.

Every event is a frozen pydantic model registered under its class name. Its JSON travels in
the store's `data`; who did it, why and when travel in `metadata`. An old version of an event
is upgraded on read by a chain of upcasters (version n → n + 1), never rewritten in the store.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, NamedTuple, TypeVar

from pydantic import BaseModel, ConfigDict

from shared.unique import unique_uuid4


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
    # Set on the events of a request that carried an Idempotency-Key (see `Context`).
    idempotency_key: str | None = None
    request_digest: str | None = None


class Envelope(NamedTuple):
    """A decoded event with everything the store knows about it (a tuple: projections build
    millions of them)."""

    event: DomainEvent
    id: uuid.UUID
    stream: str
    version: int
    position: int  # the store's opaque, ordered position
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

    `idempotency_key` is a digest of who asked, what and with which `Idempotency-Key`, and
    `request_digest` one of the request's body. Both travel in the metadata of the events the
    request appends, so the log itself says which request made them: a retry finds its first
    attempt's effect atomically with that effect, whatever crashed in between.
    """

    actor: str
    correlation_id: str
    causation_id: str
    occurred_at: datetime
    idempotency_key: str | None = None
    request_digest: str | None = None

    @classmethod
    def new(cls, actor: str, now: datetime | None = None) -> Context:
        request_id = str(unique_uuid4())
        return cls(actor, request_id, request_id, now or datetime.now(UTC))

    def caused_by(self, envelope: Envelope, actor: str | None = None) -> Context:
        return Context(
            actor=actor or self.actor,
            correlation_id=envelope.metadata.correlation_id,
            causation_id=str(envelope.id),
            occurred_at=self.occurred_at,
        )


def deterministic_id(*parts: object) -> uuid.UUID:
    """An event id derived from what makes the event unique, so a retried reaction or request
    appends the same id and the store's idempotency turns the retry into a no-op."""
    return uuid.uuid5(uuid.NAMESPACE_URL, "coop:" + "/".join(str(p) for p in parts))
