"""Envelopes, metadata and upcasting, through the real SQLite engine."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest

from shared.events.base import (
    Context,
    DomainEvent,
    UnknownEventType,
    deterministic_id,
    event,
    upcaster,
)
from shared.eventstore.codec import decode, to_new_events
from shared.eventstore.port import NO_STREAM, NewEvent
from shared.eventstore.sqlite import SQLiteEventStore


@event
class SampleRenamed(DomainEvent):
    """Version 2 split `name` into first and last names."""

    schema_version = 2
    first_name: str
    last_name: str


@upcaster("SampleRenamed", from_version=1)
def _split_name(data: dict[str, object]) -> dict[str, object]:
    first, _, last = str(data.pop("name")).partition(" ")
    return {**data, "first_name": first, "last_name": last}


@pytest.fixture
def store() -> SQLiteEventStore:
    return SQLiteEventStore(":memory:")


def test_metadata_travels_with_every_event(store: SQLiteEventStore) -> None:
    occurred = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    context = Context("member:42", "corr-1", "cause-1", occurred)
    store.append(
        "sample-1",
        to_new_events([SampleRenamed(first_name="A", last_name="B")], context),
        NO_STREAM,
    )
    envelope = decode(store.read_stream("sample-1")[0])
    assert envelope.event == SampleRenamed(first_name="A", last_name="B")
    assert envelope.metadata.actor == "member:42"
    assert envelope.metadata.correlation_id == "corr-1"
    assert envelope.metadata.causation_id == "cause-1"
    assert envelope.metadata.occurred_at == occurred
    assert envelope.metadata.schema_version == 2
    assert envelope.recorded_at.tzinfo is not None
    follow_up = Context.new("system").caused_by(envelope)
    assert (follow_up.correlation_id, follow_up.causation_id) == ("corr-1", str(envelope.id))


def test_an_old_version_is_upcast_on_read_and_never_rewritten(store: SQLiteEventStore) -> None:
    old_metadata = {
        "correlation_id": "c",
        "causation_id": "c",
        "actor": "a",
        "occurred_at": "2025-01-01T00:00:00+00:00",
        "schema_version": 1,
    }
    stored = NewEvent(
        uuid.uuid4(),
        "SampleRenamed",
        b'{"name": "Ada Lovelace"}',
        json.dumps(old_metadata).encode(),
    )
    store.append("sample-2", [stored], NO_STREAM)
    recorded = store.read_stream("sample-2")[0]
    assert decode(recorded).event == SampleRenamed(first_name="Ada", last_name="Lovelace")
    assert recorded.data == b'{"name": "Ada Lovelace"}'


def test_an_unknown_type_is_an_error_not_a_silent_skip(store: SQLiteEventStore) -> None:
    store.append("sample-3", [NewEvent(uuid.uuid4(), "Nope", b"{}", b"{}")], NO_STREAM)
    with pytest.raises(UnknownEventType):
        decode(store.read_stream("sample-3")[0])


def test_deterministic_ids_depend_on_every_part() -> None:
    assert deterministic_id("a", 1) == deterministic_id("a", 1)
    assert deterministic_id("a", 1) != deterministic_id("a", 2)


def test_an_event_name_is_registered_once() -> None:
    with pytest.raises(ValueError, match="registered twice"):

        @event
        class SampleRenamed(DomainEvent):  # same name as above
            pass
