"""Webhooks against a real receiver on 127.0.0.1: ordered, signed, retried, parked, replayed,
and surviving a restart of the app."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from services.integration.webhooks import signing
from shared.eventstore.port import EventFilter
from tests.api.api_client import Api, assert_problem
from tests.integration.helpers import append, partner, running
from tests.integration.receiver import Delivery, Receiver, receiving

SECRET = signing.new_secret()


@pytest.fixture(autouse=True)
def fast_webhooks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COOP_WEBHOOK_ALLOWED_HOSTS", "127.0.0.1")
    monkeypatch.setenv("COOP_WEBHOOK_BACKOFF_SECONDS", "0.02")
    monkeypatch.setenv("COOP_WEBHOOK_POLL_SECONDS", "0.02")
    monkeypatch.setenv("COOP_WEBHOOK_MAX_ATTEMPTS", "5")


def wait_until(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def subscribe(api: Api, key: str, url: str, **body: object) -> dict[str, object]:
    return api.post(
        "/v1/webhooks", {"url": url, "secret": SECRET, "after": 0, **body}, key=key, status=201
    )


def verified(delivery: Delivery) -> bool:
    h = delivery.headers
    return signing.verify(
        SECRET, h["webhook-id"], h["webhook-timestamp"], delivery.body, h["webhook-signature"],
        int(time.time()),
    )  # fmt: skip


def unique_in_order(deliveries: list[Delivery]) -> list[str]:
    """Event ids as first accepted (a redelivery carries the same webhook-id)."""
    ids: list[str] = []
    for d in deliveries:
        if d.headers["webhook-id"] not in ids:
            ids.append(d.headers["webhook-id"])
    return ids


def expected_ids(api: Api, category: str) -> list[str]:
    return [str(r.id) for r in api.store.read_all(filter=EventFilter(categories=(category,)))]


def test_three_failures_then_every_event_in_order_and_signed(tmp_path: Path) -> None:
    with receiving(Receiver(fail_first=3)) as receiver, running(tmp_path) as api:
        key = partner(api, ["alpha"])
        append(api.store, "alpha-1", "AlphaHappened", 6)
        append(api.store, "beta-1", "BetaHappened", 3)
        webhook = subscribe(api, key, receiver.url)
        append(api.store, "alpha-2", "AlphaHappened", 4)
        wanted = expected_ids(api, "alpha")
        wait_until(lambda: len(receiver.accepted()) >= len(wanted))
        assert len(receiver.deliveries) == len(wanted) + 3
        assert [d.headers["webhook-id"] for d in receiver.accepted()] == wanted
        assert all(verified(d) for d in receiver.deliveries)
        bodies = [json.loads(d.body) for d in receiver.accepted()]
        assert [b["id"] for b in bodies] == wanted and {b["subject"][:5] for b in bodies} == {
            "alpha"
        }
        shown = api.get(f"/v1/webhooks/{webhook['webhook_id']}", key=key)
        wait_until(
            lambda: (
                api.get(f"/v1/webhooks/{webhook['webhook_id']}", key=key)["delivered"]
                == len(wanted)
            )
        )
        assert shown["state"] == "active"


def test_parked_after_n_failures_then_replayed_from_a_position(tmp_path: Path) -> None:
    with receiving(Receiver(failing=True)) as receiver, running(tmp_path) as api:
        key = partner(api, ["alpha"])
        append(api.store, "alpha-1", "AlphaHappened", 3)
        webhook_id = subscribe(api, key, receiver.url)["webhook_id"]

        def state() -> dict[str, object]:
            return api.get(f"/v1/webhooks/{webhook_id}", key=key)

        wait_until(lambda: state()["state"] == "parked")
        parked = state()
        assert parked["attempts"] == 5 and "503" in str(parked["last_error"])
        tries = len(receiver.deliveries)
        time.sleep(0.2)
        assert len(receiver.deliveries) == tries  # parked: nothing more is tried
        listed = api.get("/v1/webhooks", key=key)["webhooks"]
        assert [w["webhook_id"] for w in listed] == [webhook_id]
        receiver.failing = False
        replayed = api.post(f"/v1/webhooks/{webhook_id}/replay", {"after": 0}, key=key)
        assert replayed["state"] == "active"
        wanted = expected_ids(api, "alpha")
        wait_until(lambda: len(receiver.accepted()) == len(wanted))
        assert [d.headers["webhook-id"] for d in receiver.accepted()] == wanted


def test_a_restart_in_the_middle_loses_nothing(tmp_path: Path) -> None:
    with receiving(Receiver(delay=0.05)) as receiver:
        with running(tmp_path) as api:
            key = partner(api, ["alpha"])
            append(api.store, "alpha-1", "AlphaHappened", 20)
            subscribe(api, key, receiver.url)
            wait_until(lambda: len(receiver.accepted()) >= 2)
        during_stop = len(receiver.accepted())
        with running(tmp_path) as api:
            append(api.store, "alpha-2", "AlphaHappened", 5)
            wanted = expected_ids(api, "alpha")
            wait_until(lambda: set(unique_in_order(receiver.accepted())) == set(wanted))
            assert unique_in_order(receiver.accepted()) == wanted
            # At least once: only the event in flight at the stop may come twice.
            assert len(receiver.accepted()) - len(wanted) <= 1
            assert 2 <= during_stop < 20  # it did stop in the middle


def test_another_partner_neither_sees_nor_replays_a_webhook(tmp_path: Path) -> None:
    with receiving(Receiver()) as receiver, running(tmp_path) as api:
        owner = partner(api, ["alpha"])
        other = partner(api, ["alpha"])
        webhook_id = subscribe(api, owner, receiver.url)["webhook_id"]
        assert_problem(
            api.request("GET", f"/v1/webhooks/{webhook_id}", key=other), 404, "webhook-not-found"
        )
        replay = api.request(
            "POST", f"/v1/webhooks/{webhook_id}/replay", key=other, json={"after": 0}
        )
        assert_problem(replay, 404, "webhook-not-found")
        assert api.get("/v1/webhooks", key=other)["webhooks"] == []
        assert [w["webhook_id"] for w in api.get("/v1/webhooks")["webhooks"]] == [webhook_id]


REFUSED_URLS = [
    "ftp://127.0.0.1/x",
    "http://10.0.0.7/hooks",
    "http://192.168.1.2/hooks",
    "http://localhost/hooks",
    "http://[::1]/hooks",
    "http://169.254.169.254/latest",
    "http://user:pw@example.com/",
    "not a url",
]


def test_webhooks_to_private_or_odd_urls_are_refused(tmp_path: Path) -> None:
    with running(tmp_path) as api:
        key = partner(api, ["alpha"])
        for url in REFUSED_URLS:
            body = {"url": url, "secret": SECRET}
            response = api.request("POST", "/v1/webhooks", key=key, json=body)
            assert_problem(response, 422, "webhook-url-not-allowed", "url")


def test_a_webhook_is_within_the_scope_and_needs_a_real_secret(tmp_path: Path) -> None:
    with receiving(Receiver()) as receiver, running(tmp_path) as api:
        key = partner(api, ["alpha"])
        wide = {"url": receiver.url, "secret": SECRET, "categories": ["beta"]}
        assert_problem(api.request("POST", "/v1/webhooks", key=key, json=wide), 403, "out-of-scope")
        for secret in ("short", "whsec_!!!", "whsec_" + "QUJD"):
            body = {"url": receiver.url, "secret": secret}
            response = api.request("POST", "/v1/webhooks", key=key, json=body)
            assert_problem(response, 422, "invalid-webhook-secret", "secret")
        reader = partner(api, ["alpha"], scopes=["events:read"])
        body = {"url": receiver.url, "secret": SECRET}
        assert_problem(api.request("POST", "/v1/webhooks", key=reader, json=body), 403, "forbidden")
