"""The app factory every service uses: errors, logs, metrics, keys, idempotency, health.

Idempotency lives in the event log itself: `ContextDep` gives every command of a POST with an
`Idempotency-Key` a digest of the caller, the request and the key, which its events carry
(`shared.eventstore.handling`).

A service's `create_app` opens what it needs (store, projection runners) and hands it here;
routers read it back through the typed dependencies below.
"""

from __future__ import annotations

import gc
import hashlib
import math
import re
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Depends, FastAPI, Header, Request
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from shared.background import BackgroundProcess, start_side
from shared.clock import Clock, clock_from_settings
from shared.events.base import Context
from shared.eventstore.port import EventStore
from shared.http.auth import BEARER, BearerScheme, KeyRing, Principal, PrincipalDep
from shared.http.limits import BodyLimitMiddleware
from shared.http.observability import Metrics, ObservabilityMiddleware, metrics_endpoint
from shared.http.problems import (
    PROBLEM_RESPONSES,
    ProblemError,
    install_problem_handlers,
    problems_as_problem_json,
)
from shared.http.revealing import RevealingMiddleware
from shared.http.routes import DocumentedOnly, include_guarded
from shared.http.threads import blocking as blocking  # where the routers import it from
from shared.settings import Settings
from shared.unique import unique_uuid4

# A runner may trail the head by this many events and still serve: reads can wait for a
# position. Compared with the `lag_events` of each check.
READY_LAG = 1000
_PUBLIC_FLAGS = ("lag_capped", "stale", "rebuilding")


class Component(Protocol):
    """Something that runs beside the app (a projection runner, a reaction, a scheduler)."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


Readiness = Callable[[], Mapping[str, object]]


class _Closable(Protocol):
    def close(self) -> None: ...


class Closing:
    """A component that closes a resource (the store) when the app stops."""

    def __init__(self, resource: _Closable) -> None:
        self._resource = resource

    def start(self) -> None:
        pass

    def stop(self) -> None:
        self._resource.close()


def create_service_app(
    *,
    title: str,
    settings: Settings,
    store: EventStore,
    routers: Sequence[APIRouter],
    components: Sequence[Component] = (),
    readiness: Sequence[Readiness] = (),
    clock: Clock | None = None,
    state: Mapping[str, object] | None = None,
    version: str = "1.0.0",
    background: BackgroundProcess | None = None,
) -> FastAPI:
    """`clock` is shared with the components when they need it; `state` holds what a
    service's routers find on `app.state` (its projections, its gateways). With `background`,
    the components run in that child process and this one only follows them."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.admin_key_generated:
            # The operator needs this key to issue every other one; it is not logged.
            print(f"COOP_ADMIN_KEY not set; generated admin key: {settings.admin_key}", flush=True)
        started: list[Component] = []
        try:
            for component in components:
                start_side(component, background_elsewhere=background is not None)
                started.append(component)
            if background is not None:
                background.start()
                started.append(background)
            _freeze_startup_heap()
            yield
        finally:
            for component in reversed(started):
                component.stop()

    app = FastAPI(
        title=title,
        version=version,
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
    )
    app.state.settings = settings
    app.state.store = store
    app.state.clock = clock or clock_from_settings(settings, store)
    app.state.keyring = KeyRing(store, settings.admin_key)
    app.state.metrics = Metrics()
    app.state.readiness = (*readiness, *([background.status] if background else []))
    for name, value in (state or {}).items():
        setattr(app.state, name, value)

    install_problem_handlers(app)
    app.add_middleware(RevealingMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(ObservabilityMiddleware, metrics=app.state.metrics)

    app.include_router(_operations_router())
    for router in routers:
        include_guarded(app, router, responses=PROBLEM_RESPONSES)
    _complete_openapi(app)
    return app


_FROZEN: list[bool] = []  # once per process: the first app started


def _freeze_startup_heap() -> None:
    """Moves what the process holds once started (modules, apps, schemas, validators) out of
    the garbage collector's sight. A full collection walks every object tracked: over six
    services' routes and models it held the event loop for ~100 ms (bench/RESULTS.md), once
    every few hundred requests. These objects live as long as the process anyway."""
    if not _FROZEN:
        _FROZEN.append(True)
        gc.collect()
        gc.freeze()


def _operation_id(route: APIRoute) -> str:
    """Readable operation ids (`issue_api_key`) rather than FastAPI's path-derived ones."""
    return route.name


def _complete_openapi(app: FastAPI) -> None:
    """Error bodies documented as problem+json, and the bearer scheme declared even when no
    route of this app needs it yet."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = problems_as_problem_json(build())
            schemes = document.setdefault("components", {}).setdefault("securitySchemes", {})
            schemes.setdefault(
                BEARER.scheme_name, BEARER.model.model_dump(by_alias=True, exclude_none=True)
            )
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _operations_router() -> APIRouter:
    router = APIRouter(tags=["operations"])
    router.add_api_route("/health", health, methods=["GET"])
    router.add_api_route(
        "/health/ready", ready, methods=["GET"], responses={503: {"description": "Not ready"}}
    )
    router.add_api_route("/metrics", metrics_endpoint, methods=["GET"], include_in_schema=False)
    return router


async def health() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


def ready(request: Request) -> JSONResponse:
    """Readiness: the store answers and every runner is caught up (or nearly) and not failing.

    Anonymous callers see, per check, only whether it is ready and how far behind it is; a
    staff key (ops, admin) sees the whole status: errors, failed positions, failure counts.
    Never raises: a check that cannot answer is reported as not ready."""
    checks = _run_checks(request)
    verdicts = [_is_ready(check) for check in checks]
    staff = _is_staff(request)
    shown = [
        {**(check if staff else _public(check)), "ready": verdict}
        for check, verdict in zip(checks, verdicts, strict=True)
    ]
    ready = all(verdicts)
    return JSONResponse(
        {"status": "ready" if ready else "not-ready", "checks": shown},
        status_code=200 if ready else 503,
    )


def _run_checks(request: Request) -> list[dict[str, object]]:
    store: EventStore = request.app.state.store
    checks: list[dict[str, object]] = []
    try:
        checks.append({"name": "store", "head": store.head(), "caught_up": True})
    except Exception as error:
        checks.append({"name": "store", "caught_up": False, "error": repr(error)})
    for check in request.app.state.readiness:
        try:
            checks.append({str(key): _plain(value) for key, value in dict(check()).items()})
        except Exception as error:
            checks.append({"name": _check_name(check), "caught_up": False, "error": repr(error)})
    return checks


def _plain(value: object) -> object:
    """A value the JSON response can always carry: a list of records (a runner's
    subscriptions, one each) keeps its shape."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    if isinstance(value, list) and all(isinstance(item, Mapping) for item in value):
        return [{str(k): _plain(v) for k, v in item.items()} for item in value]
    return str(value)


def _check_name(check: Readiness) -> str:
    owner_name = getattr(getattr(check, "__self__", None), "name", None)
    return owner_name if isinstance(owner_name, str) else getattr(check, "__name__", "?")


def _public(check: Mapping[str, object]) -> dict[str, object]:
    """What anyone may see of a check: its name, whether it is caught up, its lag in events,
    whether it serves a stale generation or rebuilds. No error text, no position, no id."""
    shown: dict[str, object] = {
        "name": str(check.get("name", "?")),
        "caught_up": check.get("caught_up") is True,
    }
    lag = check.get("lag_events")
    if "lag_events" in check:
        shown["lag_events"] = lag if isinstance(lag, int) and not isinstance(lag, bool) else None
    for flag in _PUBLIC_FLAGS:
        if flag in check:
            shown[flag] = check[flag] is True
    return shown


def _is_staff(request: Request) -> bool:
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        return False
    try:
        keyring: KeyRing = request.app.state.keyring
        principal = keyring.authenticate(key.strip())
    except Exception:  # readiness answers even when keys cannot be checked: as anonymous
        return False
    return principal is not None and principal.is_staff


def _is_ready(check: Mapping[str, object]) -> bool:
    if check.get("error") or check.get("failing") or check.get("failed"):
        return False
    if check.get("caught_up") is True:
        return True
    if "lag_events" in check:
        lag = check["lag_events"]
        if check.get("lag_capped") is True or isinstance(lag, bool) or not isinstance(lag, int):
            return False
        return lag <= READY_LAG
    # A check without lag_events: its positions are counts of events on SQLite only.
    position, head = check.get("position"), check.get("head")
    return isinstance(position, int) and isinstance(head, int) and head - position <= READY_LAG


# -- typed dependencies --------------------------------------------------------------------------


async def _store(request: Request) -> EventStore:
    store: EventStore = request.app.state.store
    return store


async def _clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _keyring(request: Request) -> KeyRing:
    keyring: KeyRing = request.app.state.keyring
    return keyring


StoreDep = Annotated[EventStore, Depends(_store)]
ClockDep = Annotated[Clock, Depends(_clock)]
SettingsDep = Annotated[Settings, Depends(_settings)]
KeyRingDep = Annotated[KeyRing, Depends(_keyring)]


IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_IDEMPOTENCY_KEY_LENGTH = 255


# Paths of these characters only come out of `request.url.path` as they went in.
_PLAIN_PATH = re.compile(r"/(?!/)[A-Za-z0-9._~!$&'()*+,;=:@%/-]*")


def url_path(request: Request) -> str:
    """`request.url.path`, without building the URL (a quarter of the context's cost) when
    the path is plain. It scopes Idempotency-Keys: it must answer exactly the same."""
    path: str = request.scope["path"]
    return path if _PLAIN_PATH.fullmatch(path) else request.url.path


def _idempotency_key(request: Request, caller: str) -> str | None:
    """A digest of who asks, what, and with which key: requests differing in any of these are
    different requests. Only a POST carries one."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None or request.method != "POST":
        return None
    if not 0 < len(key) <= MAX_IDEMPOTENCY_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise ProblemError(
            400,
            "invalid-idempotency-key",
            "Invalid Idempotency-Key",
            f"Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters",
            field=IDEMPOTENCY_HEADER,
        )
    scope = "\n".join((caller, request.method, url_path(request), key))
    return hashlib.sha256(scope.encode()).hexdigest()


async def request_context(request: Request, actor: str, caller: str, clock: Clock) -> Context:
    """The context of a command this request asks for. `caller` scopes its Idempotency-Key:
    a key id, or whatever identifies a caller without one (a quote's client)."""
    # The request id correlates every event this request causes with its log lines.
    request_id = getattr(request.state, "request_id", None) or unique_uuid4().hex
    idempotency_key = _idempotency_key(request, caller)
    digest = None
    if idempotency_key is not None:
        digest = hashlib.sha256(await request.body()).hexdigest()
    return Context(actor, request_id, request_id, clock.now(), idempotency_key, digest)


IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        description="On a POST: a retry with the same key and body gets the first answer, "
        "never a second effect (1 to 255 printable ASCII characters)",
    ),
]


async def _context(
    request: Request,
    principal: PrincipalDep,
    idempotency_key: IdempotencyKeyHeader = None,  # read by request_context; here for the docs
) -> Context:
    # The clock straight from the app: a dependency of its own costs every write a resolution.
    clock: Clock = request.app.state.clock
    return await request_context(request, principal.actor, principal.key_id, clock)


ContextDep = Annotated[Context, Depends(_context)]


@dataclass(frozen=True, slots=True)
class Caller:
    """Who asks (their key's principal) and the context of the command they ask for."""

    principal: Principal
    context: Context


class _BearerCaller(BearerScheme, DocumentedOnly):
    """The bearer scheme answering the principal and the command's context in one resolution
    (with `PrincipalDep` and `ContextDep`, a request resolved three). Its header is read by
    `request_context`: declared for the OpenAPI document only (so `DirectRoute` may skip it)."""

    async def __call__(  # type: ignore[override]
        self,
        request: Request,
        idempotency_key: IdempotencyKeyHeader = None,  # read by request_context; for the docs
    ) -> Caller:
        principal = await self.principal(request)
        clock: Clock = request.app.state.clock
        context = await request_context(request, principal.actor, principal.key_id, clock)
        return Caller(principal, context)


CallerDep = Annotated[Caller, Depends(_BearerCaller())]
"""`PrincipalDep` and `ContextDep` at once, for a hot write: one resolution fewer."""
