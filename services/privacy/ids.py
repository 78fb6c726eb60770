"""Stream names and ids of the privacy context."""

from __future__ import annotations

import uuid

from shared.events.base import Context, deterministic_id

CATEGORY = "erasure"
CLIENT_CATEGORY = "clienterasure"  # no hyphen inside a category


def erasure_stream(member_id: str) -> str:
    return f"{CATEGORY}-{member_id}"


def client_erasure_stream(client_id: str) -> str:
    return f"{CLIENT_CATEGORY}-{client_id}"


def creation_id(kind: str, context: Context) -> str:
    """Derived from the request's Idempotency-Key when it has one (a retry lands on what the
    first attempt made), random otherwise."""
    if context.idempotency_key is None:
        return uuid.uuid4().hex
    return deterministic_id(kind, context.idempotency_key).hex
