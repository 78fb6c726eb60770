"""RFC 9457 problem details: every error answers `application/problem+json`.

`type` is a stable URI built from a short code (`minimum-hours`, `not-found`), so clients
branch on it rather than on the wording of `title` or `detail`. A refused input is named in
`errors`: its field, the rule it broke (`less_than_equal`, `string_too_long`, or a domain code)
and, when the rule has one, the `limit` it sets.

An exception no handler knows answers a 500 problem that tells nothing of it (it is logged),
and goes no further: the server keeps the connection open for the next request.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from decimal import Decimal
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.decider import DomainError
from shared.eventstore.port import StoreUnavailable, WrongExpectedVersion

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://coop.example/problems/"
REQUEST_ID_HEADER = "X-Request-ID"

log = logging.getLogger("coop.http")


class FieldProblem(BaseModel):
    field: str
    rule: str
    message: str
    limit: int | str | None = Field(
        default=None,
        description="The bound the rule sets, when it has one: the maximum of less_than_equal, "
        "the length of string_too_long, the pattern of string_pattern_mismatch…",
    )


class Problem(BaseModel):
    """The body of every error response."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldProblem] | None = None


class ProblemError(Exception):
    """Raise from anywhere in a request to answer with a problem."""

    def __init__(
        self,
        status: int,
        code: str,
        title: str,
        detail: str,
        field: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.field = field
        self.headers = dict(headers or {})


def problem_type(code: str) -> str:
    return PROBLEM_TYPE_BASE + code


def title_of(code: str) -> str:
    """`minimum-hours` → `Minimum hours`: a stable title derived from the stable code."""
    return code.replace("-", " ").capitalize()


def problem_response(
    status: int,
    code: str,
    detail: str,
    *,
    title: str | None = None,
    instance: str | None = None,
    errors: Sequence[FieldProblem] = (),
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    problem = Problem(
        type=problem_type(code),
        title=title or title_of(code),
        status=status,
        detail=detail,
        instance=instance,
        errors=list(errors) or None,
    )
    return JSONResponse(
        problem.model_dump(exclude_none=True),
        status_code=status,
        headers=dict(headers or {}),
        media_type=PROBLEM_MEDIA_TYPE,
    )


_CODES_BY_STATUS = {
    400: "bad-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    412: "precondition-failed",
    413: "content-too-large",  # RFC 9110's name; Python 3.11 still says "Request Entity…"
    415: "unsupported-media-type",
    422: "unprocessable-content",
    428: "precondition-required",
    503: "service-unavailable",
}


def code_for_status(status: int) -> str:
    if status in _CODES_BY_STATUS:
        return _CODES_BY_STATUS[status]
    try:
        return HTTPStatus(status).phrase.lower().replace(" ", "-").replace("'", "")
    except ValueError:
        return "error"


_LOCATIONS = {"body", "query", "path", "header", "cookie"}


def field_path(loc: Sequence[int | str]) -> str:
    """Pydantic's `("body", "days", 1, "hours")` → `days[1].hours`."""
    parts = list(loc)
    source = str(parts.pop(0)) if parts and parts[0] in _LOCATIONS else ""
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or source


def _request_headers(request: Request) -> dict[str, str]:
    # The error handlers run outside the logging middleware's `send`, so echo the id here.
    request_id = getattr(request.state, "request_id", None)
    return {REQUEST_ID_HEADER: request_id} if request_id else {}


def _answer(
    request: Request,
    status: int,
    code: str,
    detail: str,
    *,
    title: str | None = None,
    errors: Sequence[FieldProblem] = (),
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    return problem_response(
        status,
        code,
        detail,
        title=title,
        instance=request.url.path,
        errors=errors,
        headers={**_request_headers(request), **(headers or {})},
    )


def _field_errors(field: str | None, code: str, detail: str) -> list[FieldProblem]:
    return [FieldProblem(field=field, rule=code, message=detail)] if field else []


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, ProblemError):  # registered for ProblemError only
        raise exc
    errors = _field_errors(exc.field, exc.code, exc.detail)
    return _answer(
        request,
        exc.status,
        exc.code,
        exc.detail,
        title=exc.title,
        errors=errors,
        headers=exc.headers,
    )


async def _on_domain_error(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, DomainError):  # registered for DomainError only
        raise exc
    errors = _field_errors(exc.field, exc.code, exc.detail)
    return _answer(request, exc.status, exc.code, exc.detail, errors=errors)


# Where pydantic puts the bound of a rule in an error's ctx (`limit` for our own rules).
_LIMIT_KEYS = (
    "limit",
    "le",
    "lt",
    "ge",
    "gt",
    "max_length",
    "min_length",
    "max_digits",
    "decimal_places",
    "pattern",
    "expected",
)


def _limit(ctx: Mapping[str, Any] | None) -> int | str | None:
    """The bound in a validation error's context, as JSON can carry it exactly."""
    for key in _LIMIT_KEYS:
        if ctx and key in ctx:
            value = ctx[key]
            if isinstance(value, int | Decimal) and not isinstance(value, bool):
                # 24 and Decimal("24") alike → 24; Decimal("0.01") stays the text "0.01".
                return int(value) if value == int(value) else str(value)
            return str(value)
    return None


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, RequestValidationError):  # registered for RequestValidationError only
        raise exc
    errors = [
        FieldProblem(
            # A JSON syntax error's loc ends with a character offset, not a field.
            field="body" if e["type"] == "json_invalid" else field_path(e["loc"]),
            rule=e["type"],
            message=e["msg"],
            limit=_limit(e.get("ctx")),
        )
        for e in exc.errors()
    ]
    fields = ", ".join(dict.fromkeys(e.field for e in errors))
    return _answer(request, 422, "validation-error", f"invalid input: {fields}", errors=errors)


async def _on_http_exception(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, StarletteHTTPException):  # registered for StarletteHTTPException only
        raise exc
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    return _answer(
        request, exc.status_code, code_for_status(exc.status_code), detail, headers=exc.headers
    )


async def _on_conflict(request: Request, exc: Exception) -> JSONResponse:
    detail = "the resource was changed by another request; reload it and retry"
    return _answer(request, 409, "concurrency-conflict", detail)


async def _on_store_unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.warning("event store unavailable: %s", exc)
    detail = "the event store cannot be reached; retry shortly"
    return _answer(request, 503, "store-unavailable", detail, headers={"Retry-After": "1"})


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error(
        "unhandled error on %s %s",
        request.method,
        request.url.path,
        exc_info=exc,
        extra={"request_id": getattr(request.state, "request_id", None)},
    )
    detail = "an unexpected error occurred; it has been logged"
    return _answer(request, 500, "internal-error", detail)


class UnhandledErrorMiddleware:
    """The last resort, just outside the routes: an exception no handler took answers a 500
    problem and stops here. Starlette's own last resort (the `Exception` handler) re-raises
    after answering, and uvicorn then drops the keep-alive connection."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started:  # half an answer is out: only the server can end it
                raise
            response = await _on_unexpected(Request(scope), exc)
            await response(scope, receive, send)


def install_problem_handlers(app: FastAPI) -> None:
    """Every error as a problem. Call it before adding other middleware: the last-resort
    middleware must sit innermost, under those that look at the answer (logs, idempotency)."""
    app.add_middleware(UnhandledErrorMiddleware)
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(DomainError, _on_domain_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(WrongExpectedVersion, _on_conflict)
    app.add_exception_handler(StoreUnavailable, _on_store_unavailable)
    # For exceptions raised outside UnhandledErrorMiddleware (in an outer middleware).
    app.add_exception_handler(Exception, _on_unexpected)


DOCUMENTED_STATUSES = (400, 401, 403, 404, 409, 412, 413, 422)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for route decorators: `responses=problem_responses(404, 409)`."""
    return {
        status: {"model": Problem, "description": HTTPStatus(status).phrase} for status in statuses
    }


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = problem_responses(*DOCUMENTED_STATUSES)


def problems_as_problem_json(openapi: dict[str, Any]) -> dict[str, Any]:
    """FastAPI documents every response of a route in the route's media type (`application/json`,
    or `text/html` for a document); error bodies are `application/problem+json` whatever the
    route serves, so document them so."""
    for operation in _operations(openapi):
        for status, response in operation.get("responses", {}).items():
            content = response.get("content", {})
            if str(status)[0] not in "45" or not content or PROBLEM_MEDIA_TYPE in content:
                continue
            first: dict[str, Any] = next(iter(content.values()), {})
            documented = first.get("schema")
            schema = documented or {"$ref": "#/components/schemas/Problem"}
            response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": schema}}
    return openapi


def _operations(openapi: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        operation
        for path in openapi.get("paths", {}).values()
        for operation in path.values()
        if isinstance(operation, dict)
    ]
