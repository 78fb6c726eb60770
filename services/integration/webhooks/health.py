"""How each webhook subscription stands: its position, its lag, its state and its last error,
for `/health/ready` (staff see the detail) and `/metrics` (gauges per subscription id).

Everything comes from the log and the progress file, never from the workers' memory, so the
HTTP process reports the same figures when a background process delivers.

`lag_events` counts the events the subscription has still to deliver: those after its
position that its own filter, narrowed to the owner's scope as it is now, lets through (a
read capped at `lag_cap`, as for the reactions; `lag_capped` says when there are more). Other
events of the log after its position are not counted: the worker skips them without sending.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from services.integration.domain.webhook import Webhook
from services.integration.feed import store_filter
from services.integration.webhooks.progress import Progress, ProgressStore
from services.integration.webhooks.streams import CATEGORY, delivery_filter, load_webhook
from shared.events.integration import WebhookSubscribed
from shared.eventstore.codec import decode
from shared.eventstore.port import START, EventFilter, EventStore, Position
from shared.eventstore.subscriptions import LAG_CAP, LagCounter, lag_report

ACTIVE, BACKING_OFF, PARKED, OUT_OF_SCOPE = "active", "backing-off", "parked", "out-of-scope"


@dataclass(frozen=True, slots=True)
class Standing:
    """Where delivery stands, a replay the worker has not picked up yet counted as applied."""

    position: Position  # the last event delivered (or skipped as outside the filter)
    attempts: int  # failures in a row on the next event
    delivered: int
    last_error: str | None  # the last failure, until a delivery succeeds


def standing(webhook: Webhook, progress: Progress | None) -> Standing:
    subscribed = webhook.subscribed
    delivered = 0 if progress is None else progress.delivered
    if progress is None or webhook.resumes > progress.resumes_applied:
        resumed = webhook.resumed_after
        start = subscribed.after_position if resumed is None else resumed
        return Standing(start, 0, delivered, None if progress is None else progress.last_error)
    return Standing(progress.after_position, progress.attempts, delivered, progress.last_error)


def state_of(webhook: Webhook, standing: Standing) -> str:
    if webhook.parked is not None:
        return PARKED
    return BACKING_OFF if standing.attempts else ACTIVE


class SubscriptionsHealth:
    """Finds subscriptions by reading the `webhook` category once, then only what follows."""

    def __init__(self, store: EventStore, progress: ProgressStore, lag_cap: int = LAG_CAP):
        self.store = store
        self.progress = progress
        self.lag_cap = lag_cap
        self._lock = threading.Lock()
        self._ids: dict[str, None] = {}  # in the order they were subscribed
        self._scanned: Position = START
        self._lags: dict[tuple[str, EventFilter], LagCounter] = {}

    def _subscriptions(self) -> list[str]:
        only_webhooks = EventFilter(categories=(CATEGORY,))
        with self._lock:
            while batch := self.store.read_all(self._scanned, only_webhooks, 500):
                for recorded in batch:
                    if recorded.type != WebhookSubscribed.event_type():
                        continue
                    subscribed = decode(recorded).event
                    if isinstance(subscribed, WebhookSubscribed):
                        self._ids.setdefault(subscribed.webhook_id, None)
                self._scanned = batch[-1].position
            return list(self._ids)

    def _lag(self, webhook_id: str, filter: EventFilter) -> LagCounter:
        # One counter per filter: a grant that changes gets a fresh one (and the old goes).
        with self._lock:
            key = (webhook_id, filter)
            if key not in self._lags:
                for old in [k for k in self._lags if k[0] == webhook_id]:
                    del self._lags[old]
                self._lags[key] = LagCounter(self.store, filter, cap=self.lag_cap)
            return self._lags[key]

    def report(self) -> list[dict[str, object]]:
        """One entry per subscription, oldest first."""
        head = self.store.head()
        found = []
        for webhook_id in self._subscriptions():
            webhook = load_webhook(self.store, webhook_id)
            if webhook is not None:
                found.append(self._one(webhook, head))
        return found

    def _one(self, webhook: Webhook, head: Position) -> dict[str, object]:
        webhook_id = webhook.subscribed.webhook_id
        now = standing(webhook, self.progress.get(webhook_id))
        state = state_of(webhook, now)
        narrowed = delivery_filter(self.store, webhook)
        lag: int | None
        if narrowed is None or narrowed.scope.is_empty:
            # The owner's grant no longer covers the subscription: the worker delivers nothing.
            state = OUT_OF_SCOPE if state == ACTIVE else state
            lag = None if narrowed is None else 0
        else:
            lag = self._lag(webhook_id, store_filter(narrowed)).count(now.position, head)
        return {
            "id": webhook_id,
            "state": state,
            "position": now.position,
            **lag_report(lag, self.lag_cap),
            "consecutive_failures": now.attempts,
            "parked": webhook.parked is not None,
            "parked_at_position": None if webhook.parked is None else webhook.parked.position,
            "delivered": now.delivered,
            "last_error": now.last_error,
        }


def summary(subscriptions: list[dict[str, object]]) -> dict[str, object]:
    """The dispatcher's own figures over its subscriptions."""
    states = [s["state"] for s in subscriptions]
    return {
        "webhooks": len(subscriptions),
        "webhooks_backing_off": states.count(BACKING_OFF),
        "webhooks_parked": states.count(PARKED),
        "subscriptions": subscriptions,
    }
