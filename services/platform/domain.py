"""Deciders of the platform: API keys and the simulated clock.

Pure: a key's id and secret (random, or later derived from an `Idempotency-Key`) and how this
service's clock runs come in through the commands.

Streams and events:
- `api_key_decider` on `apikey-<key_id>`: ApiKeyIssued, then at most one ApiKeyRevoked.
- `clock_decider` on `clock-simulated`: SimulatedDateSet, the latest one being today.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import assert_never

from shared.decider import Conflict, Decider, DomainError, NotFound
from shared.events.base import DomainEvent
from shared.events.platform import (
    PARTNER_SCOPES,
    ApiKeyIssued,
    ApiKeyRevoked,
    Role,
    SimulatedDateSet,
    secret_sha256,
)


class InvalidKeyGrant(DomainError):
    code = "invalid-key-grant"


class KeyIdTaken(Conflict):
    code = "key-id-taken"


class KeyNotFound(NotFound):
    pass


class ClockNotSimulated(Conflict):
    code = "clock-not-simulated"


# --- what a key may grant ------------------------------------------------------------------------


def checked_member_id(role: Role, member_id: str | None) -> str | None:
    """A member key names its member; no other key does."""
    if role == "member" and member_id is None:
        raise InvalidKeyGrant("a member key needs a member_id", field="member_id")
    if role != "member" and member_id is not None:
        raise InvalidKeyGrant("only a member key carries a member_id", field="member_id")
    return member_id


def checked_scopes(role: Role, scopes: Sequence[str]) -> tuple[str, ...]:
    """Only partner keys carry scopes, at least one, each known; duplicates are dropped."""
    if role != "partner":
        if scopes:
            raise InvalidKeyGrant("only a partner key carries scopes", field="scopes")
        return ()
    unknown = sorted(set(scopes) - set(PARTNER_SCOPES))
    if unknown:
        raise InvalidKeyGrant(
            f"unknown scopes {unknown}; known: {list(PARTNER_SCOPES)}", field="scopes"
        )
    if not scopes:
        raise InvalidKeyGrant(
            f"a partner key needs at least one of {list(PARTNER_SCOPES)}", field="scopes"
        )
    return tuple(dict.fromkeys(scopes))


# --- API keys ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssueApiKey:
    key_id: str
    role: Role
    # Chosen by the handler; only its SHA-256 goes into the event (and never into a repr).
    secret: str = field(repr=False)
    member_id: str | None = None
    scopes: tuple[str, ...] = ()


@dataclass(frozen=True)
class RevokeApiKey:
    key_id: str


ApiKeyCommand = IssueApiKey | RevokeApiKey


@dataclass(frozen=True)
class NoKey:
    pass


@dataclass(frozen=True)
class IssuedKey:
    key_id: str
    role: str
    member_id: str | None
    scopes: tuple[str, ...]
    secret_sha256: str


@dataclass(frozen=True)
class RevokedKey:
    key: IssuedKey


ApiKeyState = NoKey | IssuedKey | RevokedKey


def _issued(command: IssueApiKey) -> ApiKeyIssued:
    return ApiKeyIssued(
        key_id=command.key_id,
        role=command.role,
        member_id=checked_member_id(command.role, command.member_id),
        scopes=list(checked_scopes(command.role, command.scopes)),
        secret_sha256=secret_sha256(command.secret),
    )


def _issue(command: IssueApiKey, state: ApiKeyState) -> list[DomainEvent]:
    issued = _issued(command)
    if isinstance(state, NoKey):
        return [issued]
    existing = state if isinstance(state, IssuedKey) else state.key
    if _issued_event(existing) == issued:
        return []  # the same command again (a retried request): already done
    raise KeyIdTaken(f"API key {command.key_id} is already issued", field="key_id")


def _issued_event(key: IssuedKey) -> ApiKeyIssued:
    return ApiKeyIssued(
        key_id=key.key_id,
        role=key.role,
        member_id=key.member_id,
        scopes=list(key.scopes),
        secret_sha256=key.secret_sha256,
    )


def _revoke(command: RevokeApiKey, state: ApiKeyState) -> list[DomainEvent]:
    match state:
        case NoKey():
            raise KeyNotFound(f"no API key {command.key_id!r}", field="key_id")
        case IssuedKey():
            return [ApiKeyRevoked(key_id=command.key_id)]
        case RevokedKey():
            return []  # revoking twice changes nothing
        case _:
            assert_never(state)


def decide_api_key(command: ApiKeyCommand, state: ApiKeyState) -> Sequence[DomainEvent]:
    match command:
        case IssueApiKey():
            return _issue(command, state)
        case RevokeApiKey():
            return _revoke(command, state)
        case _:
            assert_never(command)


def evolve_api_key(state: ApiKeyState, event: DomainEvent) -> ApiKeyState:
    match event:
        case ApiKeyIssued():
            return IssuedKey(
                key_id=event.key_id,
                role=event.role,
                member_id=event.member_id,
                scopes=tuple(event.scopes),
                secret_sha256=event.secret_sha256,
            )
        case ApiKeyRevoked() if isinstance(state, IssuedKey):
            return RevokedKey(state)
        case _:
            return state


api_key_decider: Decider[ApiKeyCommand, ApiKeyState] = Decider(
    initial_state=NoKey, decide=decide_api_key, evolve=evolve_api_key
)


# --- the simulated clock -------------------------------------------------------------------------


@dataclass(frozen=True)
class SetSimulatedDate:
    today: date
    clock_is_simulated: bool  # how this service runs (COOP_CLOCK): an outside fact


ClockCommand = SetSimulatedDate


@dataclass(frozen=True)
class SystemDate:
    """No date was ever set: a simulated clock shows the system's date."""


@dataclass(frozen=True)
class SimulatedDate:
    today: date


ClockState = SystemDate | SimulatedDate


def decide_clock(command: ClockCommand, state: ClockState) -> Sequence[DomainEvent]:
    if not command.clock_is_simulated:
        raise ClockNotSimulated(
            "the date can only be set when the service runs with COOP_CLOCK=simulated"
        )
    if isinstance(state, SimulatedDate) and state.today == command.today:
        return []  # already the date: nothing to record
    # Any date, earlier ones too: a simulation may go back in time.
    return [SimulatedDateSet(today=command.today)]


def evolve_clock(state: ClockState, event: DomainEvent) -> ClockState:
    match event:
        case SimulatedDateSet():
            return SimulatedDate(event.today)
        case _:
            return state


clock_decider: Decider[ClockCommand, ClockState] = Decider(
    initial_state=SystemDate, decide=decide_clock, evolve=evolve_clock
)
