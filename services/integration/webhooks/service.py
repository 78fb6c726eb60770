"""Subscribing, listing and replaying webhooks: the HTTP side (the dispatcher delivers)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from pydantic import BaseModel

from services.integration.domain.scope import Narrowed
from services.integration.domain.webhook import (
    Resume,
    Subscribe,
    Webhook,
    WebhookNotFound,
    webhook_decider,
)
from services.integration.webhooks.config import WebhookConfig
from services.integration.webhooks.health import standing, state_of
from services.integration.webhooks.progress import ProgressStore
from services.integration.webhooks.signing import InvalidSecret, key_of
from services.integration.webhooks.streams import CATEGORY, load_webhook, webhook_stream
from services.integration.webhooks.urls import check_url
from shared.decider import DomainError
from shared.events.base import Context
from shared.events.integration import WebhookSubscribed
from shared.eventstore.codec import decode
from shared.eventstore.handling import handle
from shared.eventstore.port import START, EventFilter, EventStore, Position
from shared.http.auth import Principal


class InvalidWebhookSecret(DomainError):
    code = "invalid-webhook-secret"
    status = 422


class WebhookView(BaseModel):
    webhook_id: str
    url: str
    categories: list[str]
    types: list[str]
    state: str  # active | backing-off | parked
    position: Position  # the last event delivered (or skipped as out of scope)
    delivered: int
    attempts: int  # failures in a row on the next event
    last_error: str | None
    parked_at_position: Position | None


@dataclass
class Webhooks:
    store: EventStore
    config: WebhookConfig
    progress: ProgressStore

    def subscribe(
        self,
        principal: Principal,
        url: str,
        narrowed: Narrowed,
        secret: str,
        context: Context,
        after: Position | None = None,
    ) -> WebhookView:
        """From `after` (None: from now on: the head)."""
        check_url(url, self.config.allowed_hosts)
        try:
            key_of(secret)
        except InvalidSecret as invalid:
            raise InvalidWebhookSecret(str(invalid), field="secret") from invalid
        # The id derives from the request when it carries an Idempotency-Key: a retry finds it.
        seed = context.idempotency_key or context.correlation_id
        webhook_id = hashlib.sha256(f"{principal.key_id}/{seed}".encode()).hexdigest()[:24]
        subscribed = WebhookSubscribed(
            webhook_id=webhook_id,
            owner_key_id=principal.key_id,
            owner_role=principal.role,
            url=url,
            categories=list(narrowed.categories),
            types=list(narrowed.types),
            secret=secret,
            after_position=self.store.head() if after is None else after,
        )
        handle(
            self.store, webhook_stream(webhook_id), webhook_decider, Subscribe(subscribed), context
        )
        return self.get(principal, webhook_id)

    def _visible(self, principal: Principal, webhook_id: str) -> Webhook:
        webhook = load_webhook(self.store, webhook_id) if webhook_id.isalnum() else None
        if webhook is None or not (
            principal.is_staff or webhook.subscribed.owner_key_id == principal.key_id
        ):
            raise WebhookNotFound(f"no webhook {webhook_id[:40]!r}")
        return webhook

    def get(self, principal: Principal, webhook_id: str) -> WebhookView:
        return self._view(self._visible(principal, webhook_id))

    def list(self, principal: Principal) -> list[WebhookView]:
        found: dict[str, Webhook] = {}
        after = START
        while batch := self.store.read_all(after, EventFilter(categories=(CATEGORY,)), 500):
            for recorded in batch:
                event = decode(recorded).event
                if isinstance(event, WebhookSubscribed) and (
                    principal.is_staff or event.owner_key_id == principal.key_id
                ):
                    found[event.webhook_id] = Webhook(event)
            after = batch[-1].position
        return [self.get(principal, webhook_id) for webhook_id in found]

    def replay(
        self, principal: Principal, webhook_id: str, after_position: Position, context: Context
    ) -> WebhookView:
        """Delivery (parked or not) goes on with the events after `after_position`."""
        self._visible(principal, webhook_id)
        handle(self.store, webhook_stream(webhook_id), webhook_decider, Resume(after_position),
               context)  # fmt: skip
        return self.get(principal, webhook_id)

    def _view(self, webhook: Webhook) -> WebhookView:
        subscribed = webhook.subscribed
        now = standing(webhook, self.progress.get(subscribed.webhook_id))
        return WebhookView(
            webhook_id=subscribed.webhook_id,
            url=subscribed.url,
            categories=subscribed.categories,
            types=subscribed.types,
            state=state_of(webhook, now),
            position=now.position,
            delivered=now.delivered,
            attempts=now.attempts,
            last_error=now.last_error,
            parked_at_position=None if webhook.parked is None else webhook.parked.position,
        )
