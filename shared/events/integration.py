"""Events of the integration service (the partner feed, webhooks) and of the tamper seals.

Streams:
- `feedscope-<key_id>`: FeedScopeGranted, the latest one being what a partner key may read
  (the platform's key names what it may do — `events:read`, `streams:read`,
  `webhooks:manage` —; this names which categories and event types it may see);
- `webhook-<webhook_id>`: WebhookSubscribed, then WebhookParked / WebhookResumed as delivery
  fails too often and an operator or the partner replays it;
- `chainseal-<head_position>`: ChainSealed, the hash-chain head over every event before it.
"""

from __future__ import annotations

from shared.events.base import DomainEvent, event


@event
class FeedScopeGranted(DomainEvent):
    """What a partner key may read from now on (replaces any earlier grant)."""

    key_id: str
    categories: list[str]
    types: list[str] = []  # empty: every type of those categories
    personal_data: bool = False


@event
class WebhookSubscribed(DomainEvent):
    """Events of `categories` and `types` (already narrowed to the owner's scope) are POSTed to
    `url`, in order, signed with `secret` (Standard Webhooks: `whsec_` + base64)."""

    webhook_id: str
    owner_key_id: str
    owner_role: str = "partner"  # a partner's deliveries are checked against its grant again
    url: str
    categories: list[str] = []
    types: list[str] = []
    secret: str
    after_position: int = 0


@event
class WebhookParked(DomainEvent):
    """Delivery gave up after `attempts` failures on the event at `position`."""

    webhook_id: str
    position: int
    attempts: int
    last_error: str


@event
class WebhookResumed(DomainEvent):
    """Delivery starts again with the events after `after_position`."""

    webhook_id: str
    after_position: int


@event
class ChainSealed(DomainEvent):
    """The hash chain over every event up to `head_position` (in store order, seals
    excluded) ends in `head_hash` (hex SHA-256) after `events_covered` events."""

    head_position: int
    head_hash: str
    events_covered: int
