"""What the integration tests share: an app, partner keys with a feed scope, raw events."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from services import embedded
from services.contracts.app import ContractsService
from shared.eventstore.port import ANY, EventStore, NewEvent
from tests.api.api_client import Api, api_settings

PARTNER_SCOPES = ["events:read", "streams:read", "webhooks:manage"]


@contextmanager
def running(data_dir: Path, **env: str) -> Iterator[Api]:
    settings = api_settings(data_dir)
    app = embedded.create_app(settings)
    service = app.state.contracts_service
    assert isinstance(service, ContractsService)
    with TestClient(app) as client:
        yield Api(client, app, service)


def key_id_of(key: str) -> str:
    return key.removeprefix("coop_").split("_", 1)[0]


def partner(
    api: Api,
    categories: list[str],
    types: list[str] | None = None,
    scopes: list[str] | None = None,
) -> str:
    """A partner key allowed to read `categories` (and `types`)."""
    key = api.issue_key("partner", scopes=scopes or PARTNER_SCOPES)
    body = {"categories": categories, "types": types or []}
    response = api.request("PUT", f"/v1/events/scopes/{key_id_of(key)}", json=body)
    assert response.status_code == 200, response.text
    return key


METADATA = json.dumps(
    {"correlation_id": "c-1", "causation_id": "c-0", "actor": "test",
     "occurred_at": "2026-03-02T10:00:00+00:00"}
).encode()  # fmt: skip


def append(store: EventStore, stream: str, event_type: str, count: int = 1, **data: Any) -> int:
    """`count` events of a type no service reacts to; the position of the last one."""
    events = [
        NewEvent(
            uuid.uuid4(),
            event_type,
            json.dumps({"n": n, **data}).encode(),
            METADATA,
        )
        for n in range(count)
    ]
    return store.append(stream, events, ANY).position


def events_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = body["events"]
    return found


def read_all_pages(api: Api, key: str, **params: Any) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        query = {**params, "limit": 7, **({"after": after} if after else {})}
        body = api.get("/v1/events", key=key, params=query)
        seen.extend(events_of(body))
        if body["next"] is None:
            return seen
        after = body["next"]
