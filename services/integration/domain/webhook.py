"""A webhook subscription's life, and a partner's feed grant, as deciders.

`webhook-<id>`: WebhookSubscribed once; WebhookParked when delivery gave up; WebhookResumed
when someone replays it from a position (parked or not: a replay re-delivers from there).
`feedscope-<key_id>`: FeedScopeGranted, each replacing the one before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from shared.decider import Conflict, Decider, NotFound
from shared.events.base import DomainEvent
from shared.events.integration import (
    FeedScopeGranted,
    WebhookParked,
    WebhookResumed,
    WebhookSubscribed,
)


class WebhookNotFound(NotFound):
    code = "webhook-not-found"


class WebhookIdTaken(Conflict):
    code = "webhook-id-taken"


@dataclass(frozen=True)
class Subscribe:
    subscribed: WebhookSubscribed


@dataclass(frozen=True)
class Park:
    position: int
    attempts: int
    last_error: str


@dataclass(frozen=True)
class Resume:
    after_position: int


WebhookCommand = Subscribe | Park | Resume


@dataclass(frozen=True)
class NoWebhook:
    pass


@dataclass(frozen=True)
class Webhook:
    subscribed: WebhookSubscribed
    parked: WebhookParked | None = None
    resumes: int = 0  # how many WebhookResumed: the delivery worker applies each once
    resumed_after: int | None = None


WebhookState = NoWebhook | Webhook


def decide_webhook(command: WebhookCommand, state: WebhookState) -> Sequence[DomainEvent]:
    match command, state:
        case Subscribe(subscribed), NoWebhook():
            return [subscribed]
        case Subscribe(subscribed), Webhook() if state.subscribed == subscribed:
            return []  # the same request again
        case Subscribe(subscribed), Webhook():
            raise WebhookIdTaken(f"webhook {subscribed.webhook_id} exists", field="webhook_id")
        case _, NoWebhook():
            raise WebhookNotFound("no such webhook")
        case Park(position, attempts, error), Webhook() if state.parked is None:
            webhook_id = state.subscribed.webhook_id
            return [WebhookParked(webhook_id=webhook_id, position=position, attempts=attempts,
                                  last_error=error[:500])]  # fmt: skip
        case Park(), Webhook():
            return []  # parked already (a second worker, a retry)
        case Resume(after), Webhook():
            return [WebhookResumed(webhook_id=state.subscribed.webhook_id, after_position=after)]
    raise NotFound("unreachable")  # pragma: no cover


def evolve_webhook(state: WebhookState, event: DomainEvent) -> WebhookState:
    match event, state:
        case WebhookSubscribed() as subscribed, _:
            return Webhook(subscribed)
        case WebhookParked() as parked, Webhook():
            return replace(state, parked=parked)
        case WebhookResumed() as resumed, Webhook():
            return replace(
                state, parked=None, resumes=state.resumes + 1, resumed_after=resumed.after_position
            )
    return state


webhook_decider: Decider[WebhookCommand, WebhookState] = Decider(
    NoWebhook, decide_webhook, evolve_webhook
)


@dataclass(frozen=True)
class Grant:
    granted: FeedScopeGranted


def decide_grant(command: Grant, state: FeedScopeGranted | None) -> Sequence[DomainEvent]:
    return [] if state == command.granted else [command.granted]


def evolve_grant(state: FeedScopeGranted | None, event: DomainEvent) -> FeedScopeGranted | None:
    return event if isinstance(event, FeedScopeGranted) else state


def _no_grant() -> FeedScopeGranted | None:
    return None


grant_decider: Decider[Grant, FeedScopeGranted | None] = Decider(
    _no_grant, decide_grant, evolve_grant
)
