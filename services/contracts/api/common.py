"""What every router of the contracts service shares: its runtime, typed dependencies, ETags,
lists and the shape of a write's answer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials

from services.contracts import schemas
from services.contracts.domain import (
    Client,
    ClientNotFound,
    Member,
    MemberNotFound,
    PrestationState,
)
from services.contracts.handlers import ContractsHandlers
from services.contracts.projections import page
from shared.eventstore.handling import Handled
from shared.eventstore.projections import ProjectionRunner
from shared.http.auth import BEARER, Principal, forbidden
from shared.http.inputs import WholeNumber
from shared.http.paging import parse_if_match
from shared.http.problems import ProblemError


@dataclass(frozen=True)
class ContractsRuntime:
    """What the routers find on `app.state.contracts` (built by the composition root)."""

    handlers: ContractsHandlers
    views: ProjectionRunner


async def runtime(request: Request) -> ContractsRuntime:
    runtime: ContractsRuntime = request.app.state.contracts
    return runtime


def handlers_of(request: Request) -> ContractsHandlers:
    """The handlers, read straight off the app (a hot route saves a dependency's resolution)."""
    found: ContractsHandlers = request.app.state.contracts.handlers
    return found


async def handlers(request: Request) -> ContractsHandlers:
    return handlers_of(request)


Runtime = Annotated[ContractsRuntime, Depends(runtime)]
Handlers = Annotated[ContractsHandlers, Depends(handlers)]
Limit = Annotated[WholeNumber, Query(ge=1, le=200)]
Cursor = Annotated[str | None, Query(description="`next_cursor` of the previous page")]
MinPosition = Annotated[
    WholeNumber | None,
    Query(description="Wait (up to 5 s) until this list includes the write at this position"),
]
IfMatch = Annotated[str | None, Header(description="The ETag of the version you read")]


def unauthenticated(detail: str) -> ProblemError:
    return ProblemError(
        401, "unauthenticated", "Unauthenticated", detail, headers={"WWW-Authenticate": "Bearer"}
    )


async def optional_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
) -> Principal | None:
    if credentials is None:
        return None
    principal: Principal | None = request.app.state.keyring.authenticate(credentials.credentials)
    if principal is None:
        raise unauthenticated("the bearer key is not valid")
    return principal


OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]


def etag(response: Response, version: int | None) -> None:
    if version is not None:
        response.headers["ETag"] = f'"{version}"'


def expected_version(value: str | None) -> int | None:
    return parse_if_match(value)


def written(response: Response, handled: Handled[Any], body: dict[str, Any]) -> dict[str, Any]:
    """A write answers the resource, its version (also the ETag) and the log position; a retried
    request answers what its first attempt did, and says so."""
    etag(response, handled.version)
    if handled.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return body | {"position": handled.position}


def member_of(handled: Handled[Any]) -> Member:
    if not isinstance(handled.state, Member):
        raise MemberNotFound("no such member")
    return handled.state


def client_of(handled: Handled[Any]) -> Client:
    if not isinstance(handled.state, Client):
        raise ClientNotFound("no such client")
    return handled.state


def check_member(principal: Principal, member_id: str) -> None:
    if not principal.can_see_member(member_id):
        raise forbidden("a member key acts on its own member's data only")


def listed(
    runtime: ContractsRuntime,
    table: str,
    filters: Mapping[str, object | None],
    cursor: str | None,
    limit: int,
    min_position: int | None,
    extra: tuple[str, tuple[object, ...]] | None = None,
) -> dict[str, Any]:
    if min_position is not None and min_position > runtime.handlers.store.head():
        raise ProblemError(
            400, "unknown-position", "Unknown position",
            f"no write has reached position {min_position}", field="min_position",
        )  # fmt: skip
    if min_position is not None and not runtime.views.wait_for(min_position, timeout=5.0):
        raise ProblemError(
            503, "projection-behind", "Projection behind",
            f"the list has not reached position {min_position} yet; retry",
            headers={"Retry-After": "1"},
        )  # fmt: skip
    with runtime.views.read() as conn:
        found = page(conn, table, filters, cursor, limit, extra=extra)
    return {"items": found.items, "next_cursor": found.next_cursor}


def prestation_written(response: Response, handled: Handled[PrestationState]) -> dict[str, Any]:
    body = schemas.prestation_body(schemas.existing(handled.state), handled.version)
    return written(response, handled, body)


def owned(handlers: ContractsHandlers, principal: Principal, prestation_id: str) -> None:
    state = schemas.existing(handlers.prestation(prestation_id).state)
    check_member(principal, state.prestation.member_id)
