"""Recorded events as CloudEvents 1.0 (the `cloudevents` 2.x core API, JSON format).

id = the event id, type, source = the service that owns the event (`/services/billing`),
subject = the stream, time = when the store recorded it, data = the event's JSON. Extensions
(lowercase letters and digits only, per the spec): `position`, `streamversion`,
`correlationid`, `causationid`, `occurredat`.

Personal fields (`shared.events.personal`) reach a reader whose scope grants personal data
opened; for any other reader they are absent from `data`, sealed text included.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent

from shared.events.base import UnknownEventType, event_class
from shared.eventstore.port import RecordedEvent
from shared.personal import reveal_json
from shared.personal.plans import Leaf, Plan, plan_of

FORMAT = JSONFormat()
CONTENT_TYPE = FORMAT.CONTENT_TYPE  # application/cloudevents+json


def source_of(event_type: str) -> str:
    """`/services/<context>`: the context module that publishes the type."""
    try:
        return _source_of_known(event_type)
    except UnknownEventType:
        return "/services/unknown"  # not cached: its module may be imported later


@lru_cache(maxsize=512)
def _source_of_known(event_type: str) -> str:
    return "/services/" + event_class(event_type).__module__.rsplit(".", 1)[-1]


def _plan(event_type: str) -> Plan:
    try:
        return plan_of(event_class(event_type))
    except UnknownEventType:
        return ()


def without_personal(plan: Plan, data: dict[str, Any]) -> dict[str, Any]:
    kept = dict(data)
    for step in plan:
        if isinstance(step, Leaf):
            kept.pop(step.name, None)
        elif isinstance(value := kept.get(step.name), list):
            kept[step.name] = [without_personal(step.plan, item) for item in value]
        elif isinstance(value, dict):
            kept[step.name] = without_personal(step.plan, value)
    return kept


def _data(recorded: RecordedEvent, personal_data: bool) -> Any:
    plan = _plan(recorded.type)
    if not plan:
        return json.loads(recorded.data)
    if personal_data:
        return json.loads(reveal_json(recorded.data))
    return without_personal(plan, json.loads(recorded.data))


def to_cloudevent(recorded: RecordedEvent, personal_data: bool = False) -> CloudEvent:
    metadata: dict[str, Any] = json.loads(recorded.metadata or b"{}")
    attributes: dict[str, Any] = {
        "id": str(recorded.id),
        "type": recorded.type,
        "source": source_of(recorded.type),
        "subject": recorded.stream,
        "time": recorded.recorded_at,
        "datacontenttype": "application/json",
        "position": recorded.position,
        "streamversion": recorded.version,
    }
    for key, extension in (
        ("correlation_id", "correlationid"),
        ("causation_id", "causationid"),
        ("occurred_at", "occurredat"),
    ):
        value = metadata.get(key)
        if isinstance(value, str) and value:
            attributes[extension] = value
    return CloudEvent(attributes, _data(recorded, personal_data))


def encode(recorded: RecordedEvent, personal_data: bool = False) -> bytes:
    """One event in the structured JSON format."""
    return FORMAT.write(to_cloudevent(recorded, personal_data))


def encode_page(
    events: list[RecordedEvent], next_cursor: str | None, personal_data: bool = False
) -> bytes:
    """`{"events": [...], "next": ...}` without decoding each event's JSON twice."""
    body = b",".join(encode(r, personal_data) for r in events)
    tail = json.dumps(next_cursor).encode()
    return b'{"events":[' + body + b'],"next":' + tail + b"}"
