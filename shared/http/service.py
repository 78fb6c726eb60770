"""The app factory every service uses: errors, logs, metrics, keys, idempotency, health.

Idempotency lives in the event log itself: `ContextDep` gives every command of a POST with an
`Idempotency-Key` a digest of the caller, the request and the key, which its events carry
(`shared.eventstore.handling`).

A service's `create_app` opens what it needs (store, projection runners) and hands it here;
routers read it back through the typed dependencies below.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import gc
import hashlib
import math
import os
import queue
import re
import threading
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any, ParamSpec, Protocol, TypeVar

from fastapi import APIRouter, Depends, FastAPI, Header, Request
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette._utils import get_route_path
from starlette.routing import Match, Route, WebSocketRoute
from starlette.types import Scope

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
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(ObservabilityMiddleware, metrics=app.state.metrics)

    app.include_router(_operations_router())
    for router in routers:
        app.include_router(_PrefixGuard(router), responses=PROBLEM_RESPONSES)
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


class _PrefixGuard(APIRouter):
    """One router, passed over at once by a request whose path cannot match any of its routes.

    The app tries each router in turn, and each tries its routes' patterns one by one: with
    six services mounted, finding the last router took ~270 µs a request. Behind this guard a
    router is tried only when the path starts with what all its paths start with."""

    def __init__(self, router: APIRouter) -> None:
        super().__init__()
        self.include_router(router)
        self._literal = _literal_prefix(router)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if not get_route_path(scope).startswith(self._literal):
            return Match.NONE, {}
        return super().matches(scope)


def _literal_prefix(router: APIRouter) -> str:
    """What every path of the router starts with, up to its first parameter ("" when a route
    has no plain path: a mount, an included router)."""
    literals = []
    for route in router.routes:
        path = getattr(route, "path", None)
        if not isinstance(route, APIRoute | Route | WebSocketRoute) or not isinstance(path, str):
            return ""
        literals.append(path.split("{", 1)[0])
    return os.path.commonprefix(literals) if literals else ""  # noqa: RUF071 (characters, not segments)


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
    """A value the JSON response can always carry."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
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


# -- blocking calls ------------------------------------------------------------------------------

P = ParamSpec("P")
R = TypeVar("R")
# As many as anyio gives sync endpoints: a request waiting on a commit holds one.
MAX_BLOCKING_THREADS = 40


class _Threads:
    """Threads that run blocking calls and answer straight on the loop's future.

    `loop.run_in_executor` wraps each call in a `concurrent.futures.Future` (a lock, a
    condition) chained to an asyncio future by callbacks on both sides; this skips that: one
    queue put, one `call_soon_threadsafe` back. Threads start when none is idle, up to
    `limit`, and stay."""

    def __init__(self, limit: int, name: str) -> None:
        self._limit = limit
        self._name = name
        self._work: queue.SimpleQueue[Callable[[], object]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0
        self._idle = 0

    def submit(self, work: Callable[[], object]) -> None:
        with self._lock:
            if self._idle > 0:
                self._idle -= 1  # claimed: the next submit will not count on it
            elif self._threads < self._limit:
                name = f"{self._name}_{self._threads}"
                threading.Thread(target=self._serve, name=name, daemon=True).start()
                self._threads += 1
        self._work.put(work)

    def _serve(self) -> None:
        while True:
            self._work.get()()
            with self._lock:
                self._idle += 1


_BLOCKING_CALLS = _Threads(MAX_BLOCKING_THREADS, "requests")


def _settle(future: asyncio.Future[R], result: R | None, error: BaseException | None) -> None:
    if future.done():  # the request was cancelled meanwhile (its client went away)
        return
    if error is None:
        future.set_result(result)  # type: ignore[arg-type]
    else:
        future.set_exception(error)


async def blocking(function: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
    """Runs a call that waits (on the store, on a commit) off the event loop, in the caller's
    context (its request id for the logs).

    A sync endpoint costs the event loop two anyio hand-offs (the call, then the response's
    validation) that took a quarter of its time on the hot write path (bench/RESULTS.md): an
    async endpoint awaits this one hand-off instead."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[R] = loop.create_future()
    context = contextvars.copy_context()

    def work() -> None:
        try:
            result = context.run(function, *args, **kwargs)
        except BaseException as error:
            answer: tuple[R | None, BaseException | None] = (None, error)
        else:
            answer = (result, None)
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody waits
            loop.call_soon_threadsafe(_settle, future, *answer)

    _BLOCKING_CALLS.submit(work)
    return await future


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


class _BearerCaller(BearerScheme):
    """The bearer scheme answering the principal and the command's context in one resolution
    (with `PrincipalDep` and `ContextDep`, a request resolved three)."""

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
