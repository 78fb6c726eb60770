"""A runner's `subscriptions` (one record each): kept as records on `/health/ready`, gauged per
subscription in `/metrics`; anything else in that place is neither shown as records nor
gauged."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest

from shared.http.observability import RunnerCollector
from shared.http.service import _plain


def exposition(*statuses: dict[str, object]) -> str:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RunnerCollector(statuses))
    return generate_latest(registry).decode()


def test_records_keep_their_shape_and_other_values_become_text() -> None:
    records = [{"id": "w1", "lag_events": 3, "parked": True, "error": ValueError("x")}]
    assert _plain(records) == [{"id": "w1", "lag_events": 3, "parked": True, "error": "x"}]
    assert _plain(["a", "b"]) == "['a', 'b']"
    assert _plain({"id": "w1"}) == "{'id': 'w1'}"


def test_each_subscription_gets_its_gauges_and_odd_entries_none() -> None:
    text = exposition(
        {"name": "hooks", "subscriptions": [
            {"id": "w1", "lag_events": 3, "consecutive_failures": 2, "parked": True},
            {"id": "w2", "lag_events": None, "consecutive_failures": 0, "parked": False},
            {"id": 7, "lag_events": 9},  # not an id
            "not a record",
        ]},
        {"name": "other", "subscriptions": "not a list"},
    )  # fmt: skip
    assert 'subscription_lag_events{runner="hooks",subscription="w1"} 3.0' in text
    assert 'subscription_consecutive_failures{runner="hooks",subscription="w1"} 2.0' in text
    assert 'subscription_parked{runner="hooks",subscription="w1"} 1.0' in text
    assert 'subscription_parked{runner="hooks",subscription="w2"} 0.0' in text
    assert 'subscription_lag_events{runner="hooks",subscription="w2"}' not in text
    assert "9.0" not in text and 'runner="other"' not in text


def test_no_subscriptions_no_subscription_gauges() -> None:
    assert "subscription_" not in exposition({"name": "plain", "lag_events": 1})
