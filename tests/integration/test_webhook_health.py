"""Every webhook subscription's position, lag, state and last error: on `/health/ready` for
staff keys (nothing of it for anonymous callers) and as gauges per subscription in `/metrics`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from services.integration.webhooks.config import WebhookConfig
from services.integration.webhooks.delivery import Dispatcher
from services.integration.webhooks.progress import ProgressStore
from shared.eventstore.port import EventFilter
from tests.api.api_client import Api
from tests.integration.helpers import append, partner, running
from tests.integration.receiver import Receiver, receiving
from tests.integration.test_webhooks import subscribe, wait_until

DISPATCHER = "webhook-dispatcher"


@pytest.fixture(autouse=True)
def fast_webhooks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COOP_WEBHOOK_ALLOWED_HOSTS", "127.0.0.1")
    monkeypatch.setenv("COOP_WEBHOOK_BACKOFF_SECONDS", "0.02")
    monkeypatch.setenv("COOP_WEBHOOK_POLL_SECONDS", "0.02")
    monkeypatch.setenv("COOP_WEBHOOK_MAX_ATTEMPTS", "4")


def dispatcher_check(api: Api, key: str | None = None) -> dict[str, Any]:
    """The dispatcher's check on /health/ready (admin by default), whatever the status code."""
    response = (
        api.request("GET", "/health/ready")
        if key is None
        else api.request("GET", "/health/ready", key=key)
    )
    assert response.status_code in (200, 503), response.text
    (check,) = [c for c in response.json()["checks"] if c["name"] == DISPATCHER]
    found: dict[str, Any] = check
    return found


def subscribed(api: Api, key: str, url: str, **body: object) -> str:
    return str(subscribe(api, key, url, **body)["webhook_id"])


def subscriptions(api: Api) -> dict[str, dict[str, Any]]:
    return {s["id"]: s for s in dispatcher_check(api)["subscriptions"]}


def gauge(metrics: str, name: str, webhook_id: str) -> float | None:
    pattern = rf'^{name}{{runner="{DISPATCHER}",subscription="{webhook_id}"}} (\S+)$'
    found = re.search(pattern, metrics, re.MULTILINE)
    return None if found is None else float(found.group(1))


def alpha_count(api: Api) -> int:
    return len(api.store.read_all(filter=EventFilter(categories=("alpha",))))


def test_a_parked_and_an_active_subscription_each_report_their_standing(tmp_path: Path) -> None:
    failing, healthy = Receiver(failing=True), Receiver()
    with receiving(failing), receiving(healthy), running(tmp_path) as api:
        key = partner(api, ["alpha"])
        append(api.store, "alpha-1", "AlphaHappened", 5)
        append(api.store, "beta-1", "BetaHappened", 7)  # outside the scope: never lag
        parked_id = subscribed(api, key, failing.url)
        active_id = subscribed(api, key, healthy.url)
        wanted = alpha_count(api)
        wait_until(lambda: subscriptions(api)[parked_id]["state"] == "parked")
        wait_until(lambda: subscriptions(api)[active_id]["lag_events"] == 0)

        parked, active = subscriptions(api)[parked_id], subscriptions(api)[active_id]
        assert parked["position"] == 0 and parked["lag_events"] == wanted
        assert parked["consecutive_failures"] == 4 and parked["parked"] is True
        assert "503" in parked["last_error"] and parked["parked_at_position"] > 0
        assert active["state"] == "active" and active["consecutive_failures"] == 0
        assert active["delivered"] == wanted and active["last_error"] is None
        assert active["position"] >= parked["parked_at_position"]
        check = dispatcher_check(api)
        assert check["ready"] is True  # a partner's receiver failing is not the service's
        assert check["webhooks"] == 2 and check["webhooks_parked"] == 1

        metrics = api.client.get("/metrics").text
        assert gauge(metrics, "subscription_lag_events", parked_id) == wanted
        assert gauge(metrics, "subscription_consecutive_failures", parked_id) == 4
        assert gauge(metrics, "subscription_parked", parked_id) == 1
        assert gauge(metrics, "subscription_lag_events", active_id) == 0
        assert gauge(metrics, "subscription_consecutive_failures", active_id) == 0
        assert gauge(metrics, "subscription_parked", active_id) == 0

        failing.failing = False
        api.post(f"/v1/webhooks/{parked_id}/replay", {"after": 0}, key=key)
        wait_until(lambda: subscriptions(api)[parked_id]["lag_events"] == 0)
        resumed = subscriptions(api)[parked_id]
        assert resumed["state"] == "active" and resumed["parked"] is False
        assert resumed["consecutive_failures"] == 0 and resumed["last_error"] is None
        metrics = api.client.get("/metrics").text
        assert gauge(metrics, "subscription_parked", parked_id) == 0


def test_anonymous_callers_see_no_subscription_detail(tmp_path: Path) -> None:
    with receiving(Receiver(failing=True)) as receiver, running(tmp_path) as api:
        key = partner(api, ["alpha"])
        append(api.store, "alpha-1", "AlphaHappened", 2)
        webhook_id = subscribed(api, key, receiver.url)
        wait_until(lambda: subscriptions(api)[webhook_id]["state"] == "parked")
        for caller in (None, key):  # no key, and a partner key: not staff
            response = api.request("GET", "/health/ready", key=caller)
            assert webhook_id not in response.text and "503" not in response.text
            (check,) = [c for c in response.json()["checks"] if c["name"] == DISPATCHER]
            assert "subscriptions" not in check and check["ready"] is True
        assert webhook_id in api.request("GET", "/health/ready", key=api.ops_key()).text


def test_a_subscription_backing_off_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COOP_WEBHOOK_BACKOFF_SECONDS", "600")  # the first wait outlasts the test
    with receiving(Receiver(failing=True)) as receiver, running(tmp_path) as api:
        key = partner(api, ["alpha"])
        append(api.store, "alpha-1", "AlphaHappened", 3)
        webhook_id = subscribed(api, key, receiver.url)
        wait_until(lambda: subscriptions(api)[webhook_id]["consecutive_failures"] == 1)
        waiting = subscriptions(api)[webhook_id]
        assert waiting["state"] == "backing-off" and waiting["parked"] is False
        assert waiting["lag_events"] == 3 and "503" in waiting["last_error"]
        assert api.get(f"/v1/webhooks/{webhook_id}", key=key)["state"] == "backing-off"
        metrics = api.client.get("/metrics").text
        assert gauge(metrics, "subscription_consecutive_failures", webhook_id) == 1
        assert gauge(metrics, "subscription_parked", webhook_id) == 0


def test_a_process_that_only_follows_reports_the_same(tmp_path: Path) -> None:
    """Under `make run` the background process delivers; the HTTP process's dispatcher only
    follows, and reads the same standing from the log and the progress file."""
    with receiving(Receiver(failing=True)) as receiver, running(tmp_path) as api:
        key = partner(api, ["alpha"])
        append(api.store, "alpha-1", "AlphaHappened", 4)
        webhook_id = subscribed(api, key, receiver.url)
        wait_until(lambda: subscriptions(api)[webhook_id]["state"] == "parked")
        progress = ProgressStore(tmp_path / "integration" / "webhooks.sqlite")
        follower = Dispatcher(api.store, api.app.state.clock, WebhookConfig(), progress)
        follower.follow()
        try:
            listed = follower.status()["subscriptions"]
            assert isinstance(listed, list)
            (followed,) = listed
            assert followed == subscriptions(api)[webhook_id]
            assert followed["state"] == "parked" and followed["lag_events"] == 4
        finally:
            progress.close()


def test_a_subscription_whose_grant_shrank_is_out_of_scope(tmp_path: Path) -> None:
    with receiving(Receiver()) as receiver, running(tmp_path) as api:
        key = partner(api, ["alpha"])
        webhook_id = subscribed(api, key, receiver.url, categories=["alpha"])
        wait_until(lambda: subscriptions(api)[webhook_id]["lag_events"] == 0)
        key_id = key.removeprefix("coop_").split("_", 1)[0]
        body = {"categories": ["beta"], "types": []}
        assert api.request("PUT", f"/v1/events/scopes/{key_id}", json=body).status_code == 200
        append(api.store, "alpha-1", "AlphaHappened", 2)
        shrunk = subscriptions(api)[webhook_id]
        assert shrunk["state"] == "out-of-scope" and shrunk["lag_events"] is None
        metrics = api.client.get("/metrics").text
        assert gauge(metrics, "subscription_lag_events", webhook_id) is None
