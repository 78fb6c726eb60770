"""Command handling for the platform: load the stream → decide → append.

What a decider must not do itself happens here: choosing a new key's id and secret, asking how
the clock runs, and telling this process's clock and key ring what was just recorded, so the
change holds at once here (other processes see it within their refresh interval).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from services.platform.domain import (
    IssueApiKey,
    KeyNotFound,
    RevokeApiKey,
    SetSimulatedDate,
    api_key_decider,
    clock_decider,
)
from shared.clock import CLOCK_STREAM, Clock, SimulatedClock
from shared.events.base import Context
from shared.eventstore.handling import Handled, handle
from shared.eventstore.port import EventStore, Position
from shared.http.auth import KEY_PREFIX, ApiKey, KeyRing, StoredKey, is_key_id, key_stream

S = TypeVar("S")


def reached(store: EventStore, stream: str, handled: Handled[S]) -> Position:
    """The position a command reached: its append's, or when it changed nothing, the one of
    the stream's last event (what the command found already done)."""
    if handled.position is not None:
        return handled.position
    last = store.read_stream(stream, handled.version or 0)[-1:]
    return last[0].position if last else store.head()


def set_simulated_date(store: EventStore, clock: Clock, today: date, context: Context) -> Position:
    """Records `today` for every process sharing the store; refused unless `clock` is
    simulated (ClockNotSimulated, a 409)."""
    simulated = clock if isinstance(clock, SimulatedClock) else None
    command = SetSimulatedDate(today, clock_is_simulated=simulated is not None)
    handled = handle(store, CLOCK_STREAM, clock_decider, command, context)
    if simulated is not None and handled.version is not None:
        simulated.adopt(today, handled.version)
    return reached(store, CLOCK_STREAM, handled)


# -- API keys ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewKey:
    info: ApiKey
    key: str  # the bearer key, shown once: only the hash of its secret is stored
    position: Position
    replayed: bool = False  # a retried request: the key its first attempt issued


def new_credentials(server_secret: bytes, context: Context) -> tuple[str, str]:
    """A new key's id and secret: random, or, for a request with an Idempotency-Key, derived
    from it and the server secret, so that a retry after a crash shows the key it issued."""
    if context.idempotency_key is None:
        return secrets.token_hex(8), secrets.token_urlsafe(32)

    def derived(purpose: str) -> bytes:
        message = f"{purpose}:{context.idempotency_key}".encode()
        return hmac.new(server_secret, message, hashlib.sha256).digest()

    key_id = derived("api-key-id")[:8].hex()
    secret = base64.urlsafe_b64encode(derived("api-key-secret")).decode().rstrip("=")
    return key_id, secret


def bearer_key(key_id: str, secret: str) -> str:
    return f"{KEY_PREFIX}{key_id}_{secret}"


def issue_api_key(
    store: EventStore, keyring: KeyRing, command: IssueApiKey, context: Context
) -> NewKey:
    """Issues the key the command names, with the id and secret it carries (random ones, or
    ones derived from a retried request: the same command again issues nothing twice)."""
    if not is_key_id(command.key_id):
        raise ValueError(f"{command.key_id!r} is not a key id")
    stream = key_stream(command.key_id)
    handled = handle(store, stream, api_key_decider, command, context)
    key = _known(keyring, command.key_id)
    bearer = bearer_key(command.key_id, command.secret)
    return NewKey(key.info, bearer, key.issued_position, handled.replayed)


def revoke_api_key(
    store: EventStore, keyring: KeyRing, key_id: str, context: Context
) -> tuple[ApiKey, Position]:
    """Revokes a key; revoking it again changes nothing and answers the first revocation."""
    if not is_key_id(key_id):
        # Not an id this platform issues: no stream of the caller's choosing is read.
        raise KeyNotFound(f"no API key {key_id!r}", field="key_id")
    stream = key_stream(key_id)
    handled = handle(store, stream, api_key_decider, RevokeApiKey(key_id), context)
    key = _known(keyring, key_id)
    return key.info, reached(store, stream, handled)


def _known(keyring: KeyRing, key_id: str) -> StoredKey:
    """The key as its stream has it now; this process's ring knows it from here on."""
    key = keyring.refresh(key_id)
    if key is None:
        raise KeyNotFound(f"no API key {key_id!r}", field="key_id")
    return key
