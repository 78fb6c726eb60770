"""Bearer keys with roles: admin, ops, member (own data only) and partner (feed scopes).

A key reads `coop_<key_id>_<secret>`. The platform service issues and revokes keys as events in
`apikey-<key_id>` streams, keeping only the SHA-256 of the secret; this module only reads them.

Verifying a key reads the stream of its own id (an indexed read, never a scan of the log) and
keeps its fold in memory. A cached key older than `refresh_interval` is read again (its new
events only), so a key revoked by another process stops working within that long; an id with
no stream is remembered as unknown for as long. Ids are checked (lowercase hex, bounded length)
before any read, so a caller cannot make the store read streams of its choosing.
"""

from __future__ import annotations

import bisect
import hmac
import re
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPBearer
from pydantic import BaseModel

from shared.decider import NotFound
from shared.events.base import Envelope
from shared.events.platform import (
    PARTNER_SCOPES,
    ApiKeyIssued,
    ApiKeyRevoked,
    Role,
    secret_sha256,
)
from shared.eventstore.codec import decode
from shared.eventstore.port import START, EventFilter, EventStore, Position
from shared.http.problems import ProblemError

__all__ = [
    "BEARER",
    "PARTNER_SCOPES",
    "STAFF_ROLES",
    "AdminDep",
    "ApiKey",
    "BearerScheme",
    "KeyRing",
    "Principal",
    "PrincipalDep",
    "Role",
    "StaffDep",
    "StoredKey",
    "forbidden",
    "is_key_id",
    "key_stream",
    "require_roles",
    "require_scopes",
]

STAFF_ROLES: tuple[Role, ...] = ("admin", "ops")
KEY_PREFIX = "coop_"
CATEGORY = "apikey"
BUILTIN_ADMIN_ID = "admin"
# Issued ids are 16 hex digits; up to 32 leaves room for ids derived from a request.
KEY_ID = re.compile(r"[0-9a-f]{16,32}")
KEY_REFRESH_INTERVAL = 1.0
# Ids found unknown are remembered up to this many (the oldest forgotten first).
UNKNOWN_CAPACITY = 10_000
_STRIPES = 64
_BATCH = 500


def key_stream(key_id: str) -> str:
    return f"{CATEGORY}-{key_id}"


def is_key_id(value: str) -> bool:
    return KEY_ID.fullmatch(value) is not None


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
class StoredKey:
    """A key's stream folded: what it grants, the hash of its secret, where its events are."""

    info: ApiKey
    secret_sha256: str
    principal: Principal
    version: int  # of the key's stream: its last event
    issued_position: Position  # the listing order
    last_position: Position


def fold_key(key: StoredKey | None, envelopes: Iterable[Envelope]) -> StoredKey | None:
    """`key` (None: nothing read yet) with the stream's next events applied."""
    for envelope in envelopes:
        match envelope.event:
            case ApiKeyIssued() as issued:
                info = ApiKey(
                    key_id=issued.key_id,
                    role=issued.role,  # checked by the model: a Role
                    member_id=issued.member_id,
                    scopes=list(issued.scopes),
                    issued_at=envelope.metadata.occurred_at,
                    issued_by=envelope.metadata.actor,
                )
                principal = Principal(
                    info.key_id, info.role, info.member_id, frozenset(info.scopes)
                )
                key = StoredKey(
                    info,
                    issued.secret_sha256,
                    principal,
                    envelope.version,
                    envelope.position,
                    envelope.position,
                )
            case ApiKeyRevoked() if key is not None and not key.info.revoked:
                revoked = key.info.model_copy(update={"revoked_at": envelope.metadata.occurred_at})
                key = replace(
                    key, info=revoked, version=envelope.version, last_position=envelope.position
                )
            case _ if key is not None:
                key = replace(key, version=envelope.version, last_position=envelope.position)
    return key


@dataclass(frozen=True, slots=True)
class _Cached:
    key: StoredKey
    read_at: float  # monotonic time the read began


def _parse(presented: str) -> tuple[str, str] | None:
    if not presented.startswith(KEY_PREFIX):
        return None
    key_id, sep, secret = presented.removeprefix(KEY_PREFIX).partition("_")
    return (key_id, secret) if sep and secret and is_key_id(key_id) else None


class KeyRing:
    """Verifies presented keys and reads issued ones. Issuing and revoking are the platform
    service's handlers, which call `refresh` so this process knows the change at once."""

    def __init__(
        self,
        store: EventStore,
        admin_key: str,
        *,
        refresh_interval: float = KEY_REFRESH_INTERVAL,
        monotonic: Callable[[], float] = time.monotonic,
        unknown_capacity: int = UNKNOWN_CAPACITY,
    ) -> None:
        self._store = store
        self._admin_sha256 = secret_sha256(admin_key)
        self._admin = Principal(BUILTIN_ADMIN_ID, "admin")
        self.refresh_interval = refresh_interval
        self._monotonic = monotonic
        self._keys: dict[str, _Cached] = {}
        self._unknown: OrderedDict[str, float] = OrderedDict()  # id → when found unknown
        self._unknown_capacity = unknown_capacity
        self._unknown_lock = threading.Lock()
        # A key is read by one thread at a time; other keys' readers go on meanwhile.
        self._stripes = tuple(threading.Lock() for _ in range(_STRIPES))
        self._listing_lock = threading.Lock()
        self._listing: dict[str, StoredKey] = {}  # in issue order
        self._listing_order: list[tuple[Position, str]] = []
        self._listed_upto: Position = START

    # -- verifying ---------------------------------------------------------------------------

    def authenticate(self, presented: str) -> Principal | None:
        """The principal a presented key stands for, or None when it is unknown or revoked."""
        if hmac.compare_digest(secret_sha256(presented), self._admin_sha256):
            return self._admin
        parsed = _parse(presented)
        if parsed is None:
            return None
        key_id, secret = parsed
        key = self._current(key_id)
        if key is None or key.info.revoked:
            return None
        if not hmac.compare_digest(secret_sha256(secret), key.secret_sha256):
            return None
        return key.principal

    # -- reading -----------------------------------------------------------------------------

    def get(self, key_id: str) -> ApiKey:
        """The key as its stream has it now."""
        key = self.refresh(key_id)
        if key is None:
            raise NotFound(f"no API key {key_id!r}", field="key_id")
        return key.info

    def refresh(self, key_id: str) -> StoredKey | None:
        """Reads the key's stream now (its new events), whatever the cache holds."""
        if not is_key_id(key_id):
            return None
        with self._stripe(key_id):
            return self._read(key_id)

    def page(self, after: Position, limit: int) -> tuple[list[ApiKey], Position | None]:
        """Keys in issue order after the cursor `after`, and the next cursor (None at the end).
        The admin's listing: it scans the log (key events since its last look)."""
        with self._listing_lock:
            self._catch_up_listing()
            start = bisect.bisect_right(self._listing_order, after, key=lambda entry: entry[0])
            window = self._listing_order[start : start + limit + 1]
            keys = [self._listing[key_id] for _, key_id in window[:limit]]
        next_cursor = keys[-1].issued_position if len(window) > limit else None
        return [key.info for key in keys], next_cursor

    # -- the cache ---------------------------------------------------------------------------

    def _current(self, key_id: str) -> StoredKey | None:
        fresh, key = self._from_memory(key_id)
        if fresh:
            return key
        with self._stripe(key_id):
            fresh, key = self._from_memory(key_id)  # read by another thread meanwhile?
            return key if fresh else self._read(key_id)

    def _from_memory(self, key_id: str) -> tuple[bool, StoredKey | None]:
        """(True, what memory says) when it is fresh: a key, or None for an id known unknown."""
        now = self._monotonic()
        cached = self._keys.get(key_id)
        if cached is not None:
            return now - cached.read_at < self.refresh_interval, cached.key
        with self._unknown_lock:
            found_unknown_at = self._unknown.get(key_id)
        return found_unknown_at is not None and now - found_unknown_at < self.refresh_interval, None

    def _read(self, key_id: str) -> StoredKey | None:
        """Applies the key's events after the last one seen (the caller holds its stripe)."""
        cached = self._keys.get(key_id)
        known = cached.key if cached is not None else None
        read_at = self._monotonic()
        from_version = 0 if known is None else known.version + 1
        recorded = self._store.read_stream(key_stream(key_id), from_version)
        key = fold_key(known, (decode(r) for r in recorded))
        with self._unknown_lock:
            if key is None:
                self._unknown[key_id] = read_at
                self._unknown.move_to_end(key_id)
                while len(self._unknown) > self._unknown_capacity:
                    self._unknown.popitem(last=False)
            else:
                self._unknown.pop(key_id, None)
        if key is not None:
            self._keys[key_id] = _Cached(key, read_at)
        return key

    def _stripe(self, key_id: str) -> threading.Lock:
        return self._stripes[zlib.crc32(key_id.encode()) % _STRIPES]

    def _catch_up_listing(self) -> None:
        """Applies the key events after the last look (the caller holds the listing lock)."""
        only_keys = EventFilter(categories=(CATEGORY,))
        head = self._store.head()
        while True:
            batch = self._store.read_all(after=self._listed_upto, filter=only_keys, limit=_BATCH)
            for recorded in batch:
                envelope = decode(recorded)
                key_id = recorded.stream.removeprefix(f"{CATEGORY}-")
                key = fold_key(self._listing.get(key_id), [envelope])
                if key is not None:
                    if key_id not in self._listing:
                        self._listing_order.append((key.issued_position, key_id))
                    self._listing[key_id] = key
                self._listed_upto = recorded.position
            if len(batch) < _BATCH:
                # Every key event up to the head is applied: the next look starts from there,
                # not from the last key event, so it never reads the same stretch twice.
                self._listed_upto = max(self._listed_upto, head)
                break


# -- FastAPI dependencies ----------------------------------------------------------------------

BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="`Authorization: Bearer coop_<key_id>_<secret>` (or the admin key).",
)


class BearerScheme(HTTPBearer):
    """The bearer scheme that also checks the key it reads: the caller's principal in one
    dependency (a scheme and a function depending on it cost each request two resolutions).
    The same scheme in the OpenAPI document as `BEARER`. Subclasses add to what it answers."""

    def __init__(self) -> None:
        super().__init__(
            auto_error=False, scheme_name=BEARER.scheme_name, description=BEARER.model.description
        )

    async def principal(self, request: Request) -> Principal:
        credentials = await HTTPBearer.__call__(self, request)
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

    async def __call__(self, request: Request) -> Principal:  # type: ignore[override]
        return await self.principal(request)


authenticate = BearerScheme()
PrincipalDep = Annotated[Principal, Depends(authenticate)]


def forbidden(detail: str) -> ProblemError:
    return ProblemError(403, "forbidden", "Forbidden", detail)


def require_roles(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency answering 403 unless the caller has one of `roles`."""

    async def check(principal: PrincipalDep) -> Principal:
        if principal.role not in roles:
            raise forbidden(f"this operation needs the role {' or '.join(roles)}")
        return principal

    return check


def require_scopes(*scopes: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency answering 403 unless the caller holds every scope (staff hold all)."""

    async def check(principal: PrincipalDep) -> Principal:
        missing = [s for s in scopes if not principal.has_scope(s)]
        if missing:
            raise forbidden(f"this operation needs the scopes {', '.join(missing)}")
        return principal

    return check


AdminDep = Annotated[Principal, Depends(require_roles("admin"))]
StaffDep = Annotated[Principal, Depends(require_roles(*STAFF_ROLES))]
