"""HTTP for the platform: API keys and the simulated clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, TypeVar

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from services.platform import handlers
from services.platform.domain import (
    InvalidKeyGrant,
    IssueApiKey,
    checked_member_id,
    checked_scopes,
)
from shared.eventstore.port import Position
from shared.http.auth import AdminDep, ApiKey, PrincipalDep, Role, StaffDep
from shared.http.inputs import IsoDate, WholeNumber
from shared.http.service import ClockDep, ContextDep, KeyRingDep, SettingsDep, StoreDep
from shared.settings import ClockMode

T = TypeVar("T")
R = TypeVar("R")

keys = APIRouter(prefix="/v1/api-keys", tags=["api-keys"])
clock = APIRouter(prefix="/v1/ops/clock", tags=["ops"])


class KeyRequest(BaseModel):
    """What a new key grants. A member key names its member; only partners carry scopes."""

    model_config = ConfigDict(extra="forbid")

    role: Role
    member_id: str | None = Field(default=None, min_length=1, max_length=64, validate_default=True)
    scopes: list[Annotated[str, Field(max_length=32)]] = Field(
        default_factory=list, max_length=8, validate_default=True
    )

    @field_validator("member_id")
    @classmethod
    def _member_id_matches_role(cls, value: str | None, info: ValidationInfo) -> str | None:
        role = info.data.get("role")
        return value if role is None else _grant_rule(checked_member_id, role, value)

    @field_validator("scopes")
    @classmethod
    def _scopes_match_role(cls, value: list[str], info: ValidationInfo) -> list[str]:
        role = info.data.get("role")
        return value if role is None else list(_grant_rule(checked_scopes, role, value))

    def command(self, key_id: str, secret: str) -> IssueApiKey:
        return IssueApiKey(
            key_id=key_id,
            role=self.role,
            secret=secret,
            member_id=self.member_id,
            scopes=tuple(self.scopes),
        )


def _grant_rule(rule: Callable[[Role, T], R], role: Role, value: T) -> R:
    """The domain's rule as a validation error naming the field (422 `validation-error`)."""
    try:
        return rule(role, value)
    except InvalidKeyGrant as refused:
        raise ValueError(refused.detail) from None


class IssuedKeyOut(BaseModel):
    key_id: str
    key: str  # shown once: only its hash is stored
    role: Role
    member_id: str | None
    scopes: list[str]
    position: Position


class KeyPage(BaseModel):
    items: list[ApiKey]
    next_cursor: str | None


class RevokedKeyOut(ApiKey):
    position: Position


class ClockIn(BaseModel):
    today: IsoDate


class ClockOut(BaseModel):
    today: date
    mode: ClockMode


class ClockSet(ClockOut):
    position: Position


@keys.post("", status_code=201)
def issue_api_key(
    body: KeyRequest,
    _: AdminDep,
    store: StoreDep,
    keyring: KeyRingDep,
    context: ContextDep,
    settings: SettingsDep,
    response: Response,
) -> IssuedKeyOut:
    command = body.command(*handlers.new_credentials(settings.server_secret(), context))
    issued = handlers.issue_api_key(store, keyring, command, context)
    response.headers["Location"] = f"{keys.prefix}/{issued.info.key_id}"
    if issued.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return IssuedKeyOut(
        **issued.info.model_dump(include={"key_id", "role", "member_id", "scopes"}),
        key=issued.key,
        position=issued.position,
    )


@keys.get("")
def list_api_keys(
    _: AdminDep,
    keyring: KeyRingDep,
    limit: Annotated[WholeNumber, Query(ge=1, le=200)] = 50,
    cursor: Annotated[
        WholeNumber | None, Query(description="`next_cursor` of the last page")
    ] = None,
) -> KeyPage:
    items, next_position = keyring.page(after=cursor or 0, limit=limit)
    return KeyPage(items=items, next_cursor=None if next_position is None else str(next_position))


@keys.get("/{key_id}")
def get_api_key(key_id: str, _: AdminDep, keyring: KeyRingDep) -> ApiKey:
    return keyring.get(key_id)


@keys.post("/{key_id}/revoke")
def revoke_api_key(
    key_id: str, _: AdminDep, store: StoreDep, keyring: KeyRingDep, context: ContextDep
) -> RevokedKeyOut:
    info, position = handlers.revoke_api_key(store, keyring, key_id, context)
    return RevokedKeyOut(**info.model_dump(), position=position)


@clock.put("")
def set_simulated_date(
    body: ClockIn, _: StaffDep, store: StoreDep, current: ClockDep, context: ContextDep
) -> ClockSet:
    """Sets the date every service sees (409 `clock-not-simulated` unless COOP_CLOCK=simulated)."""
    position = handlers.set_simulated_date(store, current, body.today, context)
    return ClockSet(today=current.today(), mode="simulated", position=position)


@clock.get("")
def get_clock(_: PrincipalDep, current: ClockDep, settings: SettingsDep) -> ClockOut:
    return ClockOut(today=current.today(), mode=settings.clock)
