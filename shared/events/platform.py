"""Events of the platform itself: API keys and the simulated date."""

from __future__ import annotations

from datetime import date

from shared.events.base import DomainEvent, event


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
