"""`GET /v1/events/stream`: catch-up then live over a real server, resumed with
Last-Event-ID, heartbeats, checkpoints, and the slow-consumer fallback."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from services import embedded
from services.integration.sse import StreamSettings
from shared.eventstore.port import EventFilter, EventStore
from tests.api.api_client import ADMIN_KEY, api_settings
from tests.integration.helpers import append, key_id_of
from tests.integration.sse_client import Frame, frames
from tests.kit.live_server import serving

WRITERS = 4
PER_WRITER = 60


Served = tuple[httpx.Client, EventStore]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Served]:
    app = embedded.create_app(api_settings(tmp_path))
    # Short intervals so a test sees heartbeats and the fallback quickly.
    fast = StreamSettings(heartbeat=0.2, poll_interval=0.01, max_backlog=400, window=50)
    app.state.integration = replace(app.state.integration, streams=fast)
    with serving(app, lifespan=True) as (host, port):
        headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
        with httpx.Client(base_url=f"http://{host}:{port}", headers=headers, timeout=10) as client:
            yield client, app.state.integration.store


def _partner(client: httpx.Client, categories: list[str]) -> str:
    issued = client.post("/v1/api-keys", json={"role": "partner", "scopes": ["events:read"]})
    assert issued.status_code == 201, issued.text
    key: str = issued.json()["key"]
    granted = client.put(f"/v1/events/scopes/{key_id_of(key)}", json={"categories": categories})
    assert granted.status_code == 200, granted.text
    return key


def _read(
    client: httpx.Client, key: str, *, last_event_id: str | None, stop_after: int | None,
    until: set[str] | None = None, deadline: float = 20.0,
) -> tuple[list[Frame], str | None]:  # fmt: skip
    """Frames of cloud events until `stop_after` of them (then the connection is dropped), or
    until every id in `until` was seen; and the last `id:` seen (checkpoints included)."""
    headers = {"Authorization": f"Bearer {key}"}
    if last_event_id is not None:
        headers["Last-Event-ID"] = last_event_id
    seen: list[Frame] = []
    last = last_event_id
    end = time.monotonic() + deadline
    with client.stream("GET", "/v1/events/stream", headers=headers) as response:
        assert response.status_code == 200, response.read()
        for frame in frames(response):
            assert time.monotonic() < end, "the stream did not deliver in time"
            if frame.id is not None:
                last = frame.id
            if frame.event == "cloudevent":
                seen.append(frame)
            if stop_after is not None and len(seen) >= stop_after:
                break
            if until is not None and until <= {json.loads(f.data)["id"] for f in seen}:
                break
    return seen, last


def test_a_partner_resumes_and_gets_its_scope_exactly_once_in_order_while_4_write(
    server: Served,
) -> None:
    client, store = server
    key = _partner(client, ["alpha"])
    started = threading.Event()

    def write(writer: int) -> None:
        started.wait()
        for n in range(PER_WRITER):
            append(store, f"alpha-w{writer}", "AlphaHappened", 1, writer=writer, n=n)
            append(store, f"beta-w{writer}", "BetaHappened", 1)
            time.sleep(0.001)

    writers = [threading.Thread(target=write, args=(w,)) for w in range(WRITERS)]
    for thread in writers:
        thread.start()
    started.set()
    first, last_id = _read(client, key, last_event_id=None, stop_after=50)
    for thread in writers:
        thread.join()
    expected = [str(r.id) for r in store.read_all(filter=EventFilter(categories=("alpha",)))]
    assert len(expected) == WRITERS * PER_WRITER
    missing = set(expected) - {json.loads(f.data)["id"] for f in first}
    rest, _ = _read(client, key, last_event_id=last_id, stop_after=None, until=missing)
    delivered = [json.loads(f.data) for f in first + rest]
    assert [e["id"] for e in delivered] == expected  # every one, once, in order
    assert all(e["subject"].startswith("alpha-") for e in delivered)
    assert [f.id for f in first + rest] == [str(e["position"]) for e in delivered]


def test_heartbeats_keep_an_idle_stream_open(server: Served) -> None:
    client, _ = server
    key = _partner(client, ["nothinghere"])
    comments = 0
    with client.stream(
        "GET", "/v1/events/stream", headers={"Authorization": f"Bearer {key}"}
    ) as response:
        for frame in frames(response):
            comments += frame.comment
            if comments >= 2:
                break
    assert comments >= 2


def test_a_filtered_scan_sends_checkpoints_a_resume_starts_after(
    server: Served,
) -> None:
    client, store = server
    key = _partner(client, ["delta"])
    last = append(store, "beta-x", "BetaHappened", 120)
    headers = {"Authorization": f"Bearer {key}"}
    checkpoints: list[int] = []
    with client.stream("GET", "/v1/events/stream", headers=headers) as response:
        for frame in frames(response):
            if frame.event == "checkpoint" and frame.id is not None:
                checkpoints.append(int(frame.id))
                if int(frame.id) >= last:
                    break
    assert len(checkpoints) >= 2 and checkpoints == sorted(checkpoints)
    append(store, "delta-1", "DeltaHappened", 1)
    seen, _ = _read(client, key, last_event_id=str(last), stop_after=1)
    assert json.loads(seen[0].data)["subject"] == "delta-1"


def test_a_consumer_too_far_behind_is_told_to_read_pages(
    server: Served,
) -> None:
    client, store = server
    key = _partner(client, ["epsilon"])
    append(store, "epsilon-1", "EpsilonHappened", 450)
    headers = {"Authorization": f"Bearer {key}"}
    with client.stream("GET", "/v1/events/stream", headers=headers) as response:
        received = list(frames(response))  # the server ends the stream itself
    fallback = [f for f in received if f.event == "fallback"]
    assert len(fallback) == 1 and received[-1] == fallback[0]
    told = json.loads(fallback[0].data)
    assert told["reason"] == "slow-consumer"
    page = client.get(told["next"], headers=headers)
    assert page.status_code == 200 and len(page.json()["events"]) == 100


def test_a_stream_filter_wider_than_the_scope_is_refused(
    server: Served,
) -> None:
    client, _ = server
    key = _partner(client, ["alpha"])
    response = client.get(
        "/v1/events/stream",
        params={"categories": "beta"},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 403
    crafted = client.get(
        "/v1/events/stream", headers={"Authorization": f"Bearer {key}", "Last-Event-ID": "x1"}
    )
    assert crafted.status_code == 400


def test_a_partner_without_a_grant_gets_checkpoints_only(server: Served) -> None:
    client, store = server
    issued = client.post("/v1/api-keys", json={"role": "partner", "scopes": ["events:read"]})
    key = issued.json()["key"]
    last = append(store, "zeta-1", "ZetaHappened", 450)
    headers = {"Authorization": f"Bearer {key}"}
    kinds: set[str] = set()
    with client.stream("GET", "/v1/events/stream", headers=headers) as response:
        for frame in frames(response):
            kinds.add(frame.event)
            if frame.event == "checkpoint" and int(frame.id or 0) >= last:
                break
    assert kinds <= {"checkpoint", "message"}
