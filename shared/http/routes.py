"""Routing for the hot paths: a prefix guard on each router's inclusion, and a route class
whose plain requests skip FastAPI's general dependency solver.

Both lean on FastAPI's internals (its inclusions, the context it builds a route's handler in):
a FastAPI upgrade must keep `tests/kit/test_routes.py` passing.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, FastAPI, params
from fastapi._compat import ModelField
from fastapi.datastructures import DefaultPlaceholder
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import EndpointContext
from fastapi.routing import (
    APIRoute,
    _effective_route_context_var,
    _extract_endpoint_context,
    _IncludedRouter,
    serialize_response,
)
from fastapi.telemetry import get_telemetry_data
from fastapi.utils import is_body_allowed_for_status_code
from starlette._utils import get_route_path
from starlette.exceptions import HTTPException
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route, WebSocketRoute
from starlette.types import Scope


def include_guarded(app: FastAPI, router: APIRouter, **include: Any) -> None:
    """`app.include_router(router, **include)`, the inclusion passed over at once by a request
    whose path cannot match any of the router's routes.

    The app tries each inclusion in turn, and each tries its routes' patterns one by one: with
    six services mounted, finding the last router took ~270 µs a request. Guarded, a router
    is tried only when the path starts with what all its paths start with. (A FastAPI that
    includes routers otherwise than as `_IncludedRouter` just goes unguarded.)"""
    app.include_router(router, **include)
    included = app.router.routes[-1]
    literal = include.get("prefix", "") + _literal_prefix(router)
    if type(included) is _IncludedRouter and literal:
        app.router.routes[-1] = _GuardedInclusion(
            original_router=included.original_router,
            include_context=included.include_context,
            literal=literal,
        )
        app.router._mark_routes_changed()


@dataclass
class _GuardedInclusion(_IncludedRouter):
    literal: str = ""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if not get_route_path(scope).startswith(self.literal):
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


# -- direct routes -------------------------------------------------------------------------------


class DocumentedOnly:
    """Marks a bearer scheme whose own parameters (headers) are there for the OpenAPI document
    only: it reads what it needs from the request, and a header can always be a `str | None`,
    so FastAPI's validation of them can never refuse one."""


@dataclass(frozen=True)
class _Plan:
    """What a direct request needs of its route, worked out once."""

    call: Callable[..., Awaitable[Any]]
    body: ModelField
    body_name: str
    scheme: Callable[..., Awaitable[Any]]
    scheme_name: str
    scheme_request_name: str
    request_name: str | None
    response_name: str | None
    status_code: int | None
    response_field: ModelField | None
    response_class: type[Response] | DefaultPlaceholder
    serialize: dict[str, Any]
    overrides: Any
    path: str


class DirectRoute(APIRoute):
    """A JSON write whose only dependency is a bearer scheme marked `DocumentedOnly`.

    FastAPI resolves a request's dependencies with a general solver (sub-dependencies, caches,
    scopes, every parameter source), a third of the event loop's work on an encoding. A plain
    request here (`Content-Type: application/json`, a body that parses and validates, a key
    the scheme accepts, no dependency overrides, no telemetry) is answered by calling the
    scheme, the body's own validator and the endpoint directly, then FastAPI's own
    serialisation: the same answer. Any other request goes to FastAPI's handler before
    anything has happened, and is answered as it always was (422, 401, 400 and their order).
    A route of another shape simply keeps FastAPI's handler."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        general = super().get_route_handler()
        context = _effective_route_context_var.get()  # set while FastAPI builds an inclusion
        route = context if context is not None and context.original_route is self else self
        plan = _plan(route)
        if plan is None:
            return general

        async def direct(request: Request) -> Response:
            answer = await _direct(plan, request)
            return answer if answer is not None else await general(request)

        return direct


def _plan(route: Any) -> _Plan | None:
    dependant: Dependant = route.dependant
    if (
        dependant.call is None
        or not inspect.iscoroutinefunction(dependant.call)
        or dependant.path_params
        or dependant.query_params
        or dependant.header_params
        or dependant.cookie_params
        or len(dependant.body_params) != 1
        or len(dependant.dependencies) != 1
        or dependant.websocket_param_name
        or dependant.http_connection_param_name
        or dependant.background_tasks_param_name
        or dependant.security_scopes_param_name
        or route._embed_body_fields
        or route.is_json_stream
        or route.stream_item_field is not None
        or isinstance(route.body_field.field_info, params.Form)
    ):
        return None
    scheme = dependant.dependencies[0]
    if (
        not isinstance(scheme.call, DocumentedOnly)
        or scheme.name is None
        or scheme.dependencies
        or scheme.path_params
        or scheme.query_params
        or scheme.cookie_params
        or scheme.body_params
        or scheme.request_param_name is None
        or any(field.field_info.is_required() for field in scheme.header_params)
    ):
        return None
    body = dependant.body_params[0]
    return _Plan(
        call=dependant.call,
        body=body,
        body_name=body.name,
        scheme=scheme.call,
        scheme_name=scheme.name,
        scheme_request_name=scheme.request_param_name,
        request_name=dependant.request_param_name,
        response_name=dependant.response_param_name,
        status_code=route.status_code,
        response_field=route.response_field,
        response_class=route.response_class,
        serialize={
            "include": route.response_model_include,
            "exclude": route.response_model_exclude,
            "by_alias": route.response_model_by_alias,
            "exclude_unset": route.response_model_exclude_unset,
            "exclude_defaults": route.response_model_exclude_defaults,
            "exclude_none": route.response_model_exclude_none,
        },
        overrides=route.dependency_overrides_provider,
        path=dependant.path or "",
    )


async def _direct(plan: _Plan, request: Request) -> Response | None:
    """The answer, or None (nothing done yet) when FastAPI's handler must take the request."""
    if (
        request.headers.get("content-type") != "application/json"
        or getattr(plan.overrides, "dependency_overrides", None)
        or get_telemetry_data() is not None
        or MAX_BODY_SIZE_SCOPE_KEY in request.scope  # FastAPI's own limit: its errors too
    ):
        return None
    try:
        if not await request.body():
            return None
        received = await request.json()  # kept on the request: FastAPI's handler reads it back
    except HTTPException:
        raise  # a body over the size limit: FastAPI lets it through too
    except Exception:
        return None
    try:
        caller = await plan.scheme(**{plan.scheme_request_name: request})
    except Exception:
        return None  # FastAPI's handler raises the same error (401), in its order
    body, errors = plan.body.validate(received, {}, loc=("body",))
    if errors:
        return None  # …and the same 422
    # From here on the endpoint runs: no going back to FastAPI's handler.
    values: dict[str, Any] = {plan.body_name: body, plan.scheme_name: caller}
    sub_response = Response()
    del sub_response.headers["content-length"]
    sub_response.status_code = None  # type: ignore[assignment]
    if plan.request_name:
        values[plan.request_name] = request
    if plan.response_name:
        values[plan.response_name] = sub_response
    raw = await plan.call(**values)
    if isinstance(raw, Response):
        return raw
    status = sub_response.status_code or plan.status_code
    arguments: dict[str, Any] = {} if status is None else {"status_code": status}
    dump_json = plan.response_field is not None and isinstance(
        plan.response_class, DefaultPlaceholder
    )
    mount = request.scope.get("root_path", "").rstrip("/")
    endpoint = EndpointContext(**_extract_endpoint_context(plan.call))  # a copy: it is cached
    endpoint["path"] = f"{request.method} {mount}{plan.path}"
    content = await serialize_response(
        field=plan.response_field,
        response_content=raw,
        endpoint_ctx=endpoint,
        dump_json=dump_json,
        **plan.serialize,
    )
    if dump_json:
        response = Response(content=content, media_type="application/json", **arguments)
    else:
        response_class = plan.response_class
        if isinstance(response_class, DefaultPlaceholder):
            response_class = response_class.value
        response = response_class(content, **arguments)
    if not is_body_allowed_for_status_code(response.status_code):
        response.body = b""
    response.headers.raw.extend(sub_response.headers.raw)
    return response
