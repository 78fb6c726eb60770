"""Events to and from the store: domain models ↔ `NewEvent` / `RecordedEvent` bytes."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable

from shared.events.base import Context, DomainEvent, Envelope, Metadata, event_class, upcast
from shared.eventstore.port import NewEvent, RecordedEvent
from shared.personal.plans import plan_of, transform
from shared.personal.vault import current_vault
from shared.unique import unique_bits


def new_event_id() -> uuid.UUID:
    """A time-ordered id (UUID version 7, RFC 9562): the store's unique index on event ids then
    grows at its right edge instead of dirtying a random page for every event."""
    milliseconds = time.time_ns() // 1_000_000
    random = unique_bits(80)
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
    if context.idempotency_key is not None:
        metadata["idempotency_key"] = context.idempotency_key
        metadata["request_digest"] = context.request_digest or ""
    return NewEvent(
        id=event_id or new_event_id(),
        type=domain_event.event_type(),
        data=_data(domain_event),
        metadata=json.dumps(metadata).encode(),
    )


def _data(domain_event: DomainEvent) -> bytes:
    """The event's JSON, its personal fields sealed with their person's key."""
    plan = plan_of(type(domain_event))
    if not plan:
        return domain_event.model_dump_json().encode()
    sealed = transform(
        plan, domain_event.model_dump(mode="json"), current_vault().seal, domain_event.event_type()
    )
    return json.dumps(sealed, separators=(",", ":"), ensure_ascii=False).encode()


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


def decode(recorded: RecordedEvent, *, reveal: bool = False) -> Envelope:
    """Recorded bytes → the current version of the event model, upcasting on the way.

    Personal fields stay sealed unless `reveal` (a decider folding its stream needs the clear
    values; a projection stores the sealed ones)."""
    cls = event_class(recorded.type)
    metadata = _metadata(recorded.metadata)
    # Sealed values are JSON strings: opened in the bytes, before any parsing.
    raw = current_vault().reveal_json(recorded.data) if reveal else recorded.data
    if metadata.schema_version == cls.schema_version:
        # The validator itself: model_validate_json's wrapper costs a third of the call.
        domain_event = cls.__pydantic_validator__.validate_json(raw)
    else:
        data = upcast(recorded.type, metadata.schema_version, json.loads(raw))
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


class RecentDecodes:
    """The sealed envelopes of the events decoded last, by event id.

    A process's consumers near the head (the background runs a dozen projections and
    reactions) are handed the same new events, and each decoded each of them again. Decoding
    is a function of the recorded event alone and envelopes are immutable, so they share one.
    Sealed only: nothing opened stays in memory for it."""

    def __init__(self, capacity: int = 4096) -> None:
        self.capacity = capacity
        self._held: OrderedDict[uuid.UUID, tuple[RecordedEvent, Envelope]] = OrderedDict()
        self._lock = threading.Lock()

    def decode(self, recorded: RecordedEvent) -> Envelope:
        held = self._held.get(recorded.id)
        if held is not None and (held[0] is recorded or held[0] == recorded):
            return held[1]
        envelope = decode(recorded)
        with self._lock:
            self._held[recorded.id] = (recorded, envelope)
            if len(self._held) > self.capacity:
                self._held.popitem(last=False)
        return envelope


decode_shared = RecentDecodes().decode
"""`decode(recorded)` for the projections and reactions of this process."""
