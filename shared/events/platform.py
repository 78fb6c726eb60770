"""Events of the platform itself: API keys and the simulated date.

Besides the events, the vocabulary they use: the roles a key carries, the scopes a partner key
may hold, and how `ApiKeyIssued.secret_sha256` is computed (the writer and every reader of keys
must agree on it).
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Literal

from shared.events.base import DomainEvent, event

Role = Literal["admin", "ops", "member", "partner"]
ROLES: tuple[Role, ...] = ("admin", "ops", "member", "partner")
PARTNER_SCOPES = ("events:read", "streams:read", "webhooks:manage")


def secret_sha256(secret: str) -> str:
    """The hex SHA-256 of a key's secret: all the store ever holds of it."""
    return hashlib.sha256(secret.encode()).hexdigest()


@event
class ApiKeyIssued(DomainEvent):
    """A bearer key was issued. Only the SHA-256 of its secret is kept."""

    key_id: str
    role: str
    member_id: str | None = None
    scopes: list[str] = []
    secret_sha256: str


@event
class ApiKeyRevoked(DomainEvent):
    key_id: str


@event
class SimulatedDateSet(DomainEvent):
    """The date every service sees from now on, when the clock is simulated."""

    today: date
