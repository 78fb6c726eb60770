"""Bearer keys with roles: admin, ops, member (own data only) and partner (feed scopes).

A key reads `coop_<key_id>_<secret>`. Keys are issued as events in `apikey-<key_id>` streams
and only the SHA-256 of the secret is stored. Every process keeps the keys in memory and
catches up from the store incrementally, so a key issued or revoked by another process is
honoured within a second (at once for a key id it has never seen).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from shared.decider import NotFound
from shared.events.base import Context, Envelope, deterministic_id
from shared.events.platform import ApiKeyIssued, ApiKeyRevoked
from shared.eventstore.codec import decode, to_new_event
from shared.eventstore.port import NO_STREAM, START, EventFilter, EventStore, Position
from shared.http.problems import ProblemError

Role = Literal["admin", "ops", "member", "partner"]
STAFF_ROLES: tuple[Role, ...] = ("admin", "ops")
PARTNER_SCOPES = ("events:read", "streams:read", "webhooks:manage")
KEY_PREFIX = "coop_"
CATEGORY = "apikey"
BUILTIN_ADMIN_ID = "admin"
_BATCH = 500


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, as established by their key."""

    key_id: str
    role: Role
    member_id: str | None = None
    scopes: frozenset[str] = frozenset()

    @property
    def actor(self) -> str:
        """How events record who did it: `ops:3f9a…`."""
        return f"{self.role}:{self.key_id}"

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    def can_see_member(self, member_id: str) -> bool:
        return self.is_staff or (self.role == "member" and self.member_id == member_id)

    def has_scope(self, scope: str) -> bool:
        return self.is_staff or scope in self.scopes


class KeyRequest(BaseModel):
    """What a new key grants. A member key names its member; only partners carry scopes."""

    model_config = ConfigDict(extra="forbid")

    role: Role
    member_id: str | None = Field(default=None, min_length=1, max_length=64, validate_default=True)
    scopes: list[str] = Field(default_factory=list, validate_default=True)

    @field_validator("member_id")
    @classmethod
    def _member_id_matches_role(cls, value: str | None, info: ValidationInfo) -> str | None:
        role = info.data.get("role")
        if role == "member" and value is None:
            raise ValueError("a member key needs a member_id")
        if role not in (None, "member") and value is not None:
            raise ValueError("only a member key carries a member_id")
        return value

    @field_validator("scopes")
    @classmethod
    def _scopes_match_role(cls, value: list[str], info: ValidationInfo) -> list[str]:
        role = info.data.get("role")
        if role != "partner":
            if value and role is not None:
                raise ValueError("only a partner key carries scopes")
            return value
        unknown = sorted(set(value) - set(PARTNER_SCOPES))
        if unknown:
            raise ValueError(f"unknown scopes {unknown}; known: {list(PARTNER_SCOPES)}")
        if not value:
            raise ValueError(f"a partner key needs at least one of {list(PARTNER_SCOPES)}")
        return list(dict.fromkeys(value))


class ApiKey(BaseModel):
    """A key as listed: never its secret."""

    key_id: str
    role: Role
    member_id: str | None
    scopes: list[str]
    issued_at: datetime
    issued_by: str
    revoked_at: datetime | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


@dataclass(frozen=True, slots=True)
class IssuedKey:
    info: ApiKey
    key: str  # shown once, never stored
    position: Position


@dataclass(slots=True)
class _Entry:
    info: ApiKey
    secret_sha256: str
    position: Position  # of the issue event: the listing order
    version: int  # of the key's stream


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _parse(presented: str) -> tuple[str, str] | None:
    if not presented.startswith(KEY_PREFIX):
        return None
    key_id, sep, secret = presented.removeprefix(KEY_PREFIX).partition("_")
    return (key_id, secret) if sep and key_id and secret else None


class KeyRing:
    def __init__(self, store: EventStore, admin_key: str, *, refresh_interval: float = 1.0) -> None:
        self._store = store
        self._admin_sha256 = _sha256(admin_key)
        self._admin = Principal(BUILTIN_ADMIN_ID, "admin")
        self.refresh_interval = refresh_interval
        self._lock = threading.Lock()
        self._keys: dict[str, _Entry] = {}
        self._position: Position = START
        self._refreshed_at = float("-inf")

    # -- verifying ---------------------------------------------------------------------------

    def authenticate(self, presented: str) -> Principal | None:
        """The principal a presented key stands for, or None when it is unknown or revoked."""
        presented_sha256 = _sha256(presented)
        if hmac.compare_digest(presented_sha256, self._admin_sha256):
            return self._admin
        parsed = _parse(presented)
        if parsed is None:
            return None
        key_id, secret = parsed
        with self._lock:
            stale = time.monotonic() - self._refreshed_at >= self.refresh_interval
            if stale or key_id not in self._keys:
                self._catch_up()
            entry = self._keys.get(key_id)
        if entry is None or entry.info.revoked:
            return None
        if not hmac.compare_digest(_sha256(secret), entry.secret_sha256):
            return None
        info = entry.info
        return Principal(info.key_id, info.role, info.member_id, frozenset(info.scopes))

    # -- issuing and revoking ----------------------------------------------------------------

    def issue(self, request: KeyRequest, context: Context) -> IssuedKey:
        key_id = secrets.token_hex(8)
        secret = secrets.token_urlsafe(32)
        issued = ApiKeyIssued(
            key_id=key_id,
            role=request.role,
            member_id=request.member_id,
            scopes=request.scopes,
            secret_sha256=_sha256(secret),
        )
        result = self._store.append(
            f"{CATEGORY}-{key_id}", [to_new_event(issued, context)], NO_STREAM
        )
        entry = self._refreshed(key_id)
        return IssuedKey(entry.info, f"{KEY_PREFIX}{key_id}_{secret}", result.position)

    def revoke(self, key_id: str, context: Context) -> tuple[ApiKey, Position]:
        """Revokes a key; revoking it again changes nothing."""
        entry = self._refreshed(key_id)
        stream = f"{CATEGORY}-{key_id}"
        if entry.info.revoked:
            return entry.info, self._store.read_stream(stream, entry.version)[-1].position
        revoked = to_new_event(
            ApiKeyRevoked(key_id=key_id), context, deterministic_id("apikey-revoked", key_id)
        )
        result = self._store.append(stream, [revoked], entry.version)
        return self._refreshed(key_id).info, result.position

    # -- reading -----------------------------------------------------------------------------

    def get(self, key_id: str) -> ApiKey:
        return self._refreshed(key_id).info

    def page(self, after: Position, limit: int) -> tuple[list[ApiKey], Position | None]:
        """Keys in issue order after the cursor `after`, and the next cursor (None at the end)."""
        with self._lock:
            self._catch_up()
            entries = sorted(
                (e for e in self._keys.values() if e.position > after), key=lambda e: e.position
            )
        page = entries[:limit]
        next_cursor = page[-1].position if len(entries) > limit else None
        return [e.info for e in page], next_cursor

    def _refreshed(self, key_id: str) -> _Entry:
        with self._lock:
            self._catch_up()
            entry = self._keys.get(key_id)
        if entry is None:
            raise NotFound(f"no API key {key_id!r}", field="key_id")
        return entry

    def _catch_up(self) -> None:
        """Applies the key events after the last one seen (the caller holds the lock)."""
        only_keys = EventFilter(categories=(CATEGORY,))
        head = self._store.head()
        while True:
            batch = self._store.read_all(after=self._position, filter=only_keys, limit=_BATCH)
            for recorded in batch:
                self._apply(decode(recorded))
                self._position = recorded.position
            if len(batch) < _BATCH:
                # Every key event up to the head is applied: the next look starts from there,
                # not from the last key event, so it never reads the same stretch twice.
                self._position = max(self._position, head)
                break
        self._refreshed_at = time.monotonic()

    def _apply(self, envelope: Envelope) -> None:
        match envelope.event:
            case ApiKeyIssued() as issued:
                info = ApiKey(
                    key_id=issued.key_id,
                    role=issued.role,
                    member_id=issued.member_id,
                    scopes=list(issued.scopes),
                    issued_at=envelope.metadata.occurred_at,
                    issued_by=envelope.metadata.actor,
                )
                self._keys[issued.key_id] = _Entry(
                    info, issued.secret_sha256, envelope.position, envelope.version
                )
            case ApiKeyRevoked(key_id=key_id) if key_id in self._keys:
                entry = self._keys[key_id]
                entry.info = entry.info.model_copy(
                    update={"revoked_at": envelope.metadata.occurred_at}
                )
                entry.version = envelope.version


# -- FastAPI dependencies ----------------------------------------------------------------------

BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="`Authorization: Bearer coop_<key_id>_<secret>` (or the admin key).",
)


def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
) -> Principal:
    keyring: KeyRing = request.app.state.keyring
    principal = keyring.authenticate(credentials.credentials) if credentials else None
    if principal is None:
        raise ProblemError(
            401,
            "unauthenticated",
            "Unauthenticated",
            "a valid bearer key is required",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return principal


PrincipalDep = Annotated[Principal, Depends(authenticate)]


def forbidden(detail: str) -> ProblemError:
    return ProblemError(403, "forbidden", "Forbidden", detail)


def require_roles(*roles: Role) -> Callable[[Principal], Principal]:
    """A dependency answering 403 unless the caller has one of `roles`."""

    def check(principal: PrincipalDep) -> Principal:
        if principal.role not in roles:
            raise forbidden(f"this operation needs the role {' or '.join(roles)}")
        return principal

    return check


def require_scopes(*scopes: str) -> Callable[[Principal], Principal]:
    """A dependency answering 403 unless the caller holds every scope (staff hold all)."""

    def check(principal: PrincipalDep) -> Principal:
        missing = [s for s in scopes if not principal.has_scope(s)]
        if missing:
            raise forbidden(f"this operation needs the scopes {', '.join(missing)}")
        return principal

    return check


AdminDep = Annotated[Principal, Depends(require_roles("admin"))]
StaffDep = Annotated[Principal, Depends(require_roles(*STAFF_ROLES))]
