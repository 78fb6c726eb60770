"""A webhook's stream and the filter its deliveries read with: what the dispatcher, the HTTP
side and the health report share."""

from __future__ import annotations

from services.integration.domain.scope import Narrowed, OutOfScope, narrow
from services.integration.domain.webhook import Webhook, webhook_decider
from services.integration.feed import scope_for
from shared.eventstore.codec import decode
from shared.eventstore.port import EventStore
from shared.http.auth import Principal

CATEGORY = "webhook"


def webhook_stream(webhook_id: str) -> str:
    return f"{CATEGORY}-{webhook_id}"


def load_webhook(store: EventStore, webhook_id: str) -> Webhook | None:
    state = webhook_decider.fold(
        decode(r).event for r in store.read_stream(webhook_stream(webhook_id))
    )
    return state if isinstance(state, Webhook) else None


def delivery_filter(store: EventStore, webhook: Webhook) -> Narrowed | None:
    """The subscription's filter within the owner's scope as it is now (None: the grant shrank
    below the subscription, and nothing is delivered)."""
    subscribed = webhook.subscribed
    owner = Principal(subscribed.owner_key_id, subscribed.owner_role)  # type: ignore[arg-type]
    try:
        return narrow(scope_for(store, owner), subscribed.categories, subscribed.types)
    except OutOfScope:
        return None
