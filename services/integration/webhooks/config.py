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
        """COOP_WEBHOOK_ALLOWED_HOSTS (comma-separated), COOP_WEBHOOK_MAX_ATTEMPTS,
        COOP_WEBHOOK_BACKOFF_SECONDS (the first wait), COOP_WEBHOOK_POLL_SECONDS."""
        hosts = env.get("COOP_WEBHOOK_ALLOWED_HOSTS", "")
        default = cls()
        initial = _positive(env, "COOP_WEBHOOK_BACKOFF_SECONDS", default.backoff.initial)
        return cls(
            allowed_hosts=frozenset(h.strip().lower() for h in hosts.split(",") if h.strip()),
            max_attempts=int(_positive(env, "COOP_WEBHOOK_MAX_ATTEMPTS", default.max_attempts)),
            backoff=Backoff(initial=initial, maximum=max(initial, default.backoff.maximum)),
            poll_interval=_positive(env, "COOP_WEBHOOK_POLL_SECONDS", default.poll_interval),
        )


def _positive(env: Mapping[str, str], name: str, default: float) -> float:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{name}: {text!r} is not a number") from None
    if not 0 < value < 1e9:
        raise ValueError(f"{name}: {text!r} is not a positive number")
    return value
