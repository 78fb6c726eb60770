"""How webhooks are delivered: from `COOP_WEBHOOK_*` environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from shared.eventstore.subscriptions import Backoff


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    # Hosts deliveries may reach although private or loopback (COOP_WEBHOOK_ALLOWED_HOSTS).
    allowed_hosts: frozenset[str] = frozenset()
    max_attempts: int = 8  # failures in a row on one event before the webhook is parked
    backoff: Backoff = field(default_factory=lambda: Backoff(initial=1.0, maximum=600.0))
    jitter: float = 0.5  # each wait is shortened by up to this fraction, at random
    timeout: float = 10.0  # seconds a receiver has to answer
    poll_interval: float = 0.2  # how often an idle worker looks for new events
    batch: int = 100

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> WebhookConfig:
        hosts = env.get("COOP_WEBHOOK_ALLOWED_HOSTS", "")
        attempts = env.get("COOP_WEBHOOK_MAX_ATTEMPTS", "").strip()
        return cls(
            allowed_hosts=frozenset(h.strip().lower() for h in hosts.split(",") if h.strip()),
            max_attempts=int(attempts) if attempts.isdigit() and int(attempts) > 0 else 8,
        )
