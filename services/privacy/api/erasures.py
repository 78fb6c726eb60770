"""Erasure requests: a member's own (`/v1/members/{id}/erasure-requests`), a private client's
(`/v1/clients/{id}/erasure-requests`, recorded by ops: a client has no key) and ops' list of
both (`/v1/erasure-requests`)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from services.privacy import projections, schemas
from services.privacy.api.common import Runtime, behind, visible, visible_member
from services.privacy.domain.client_erasure import ClientErasure, ClientNotFound, ClientRequest
from services.privacy.domain.erasure import Erasure, NoErasureRequested, Request
from services.privacy.domain.retention import Hold
from shared.events.privacy import Requester
from shared.eventstore.handling import Handled
from shared.http.auth import PrincipalDep, StaffDep
from shared.http.inputs import PathId, WholeNumber
from shared.http.paging import format_cursor, parse_cursor
from shared.http.problems import ProblemError
from shared.http.service import ClockDep, ContextDep

erasures = APIRouter(prefix="/v1", tags=["erasure-requests"])
Status = Annotated[str | None, Query(pattern="^(pending|done)$", max_length=7)]
Limit = Annotated[WholeNumber, Query(ge=1, le=200)]
Cursor = Annotated[str | None, Query(max_length=18, description="`next_cursor` of a page")]
MinPosition = Annotated[
    WholeNumber | None, Query(description="Wait (up to 5 s) until the list includes this write")
]


def _body(runtime: Runtime, request: Request | ClientRequest, today: dt.date) -> dict[str, Any]:
    holds: tuple[Hold, ...] = ()
    if not request.pending:
        pass  # done: nothing holds it any more
    elif isinstance(request, ClientRequest):
        holds = runtime.retention.client_holds(request.client_id, today)
    else:
        holds = runtime.retention.holds(request.member_id, today)
    return schemas.request_body(request, holds, today)


def _current(runtime: Runtime) -> None:
    """A client's kind and facts are read from a view caught up with the log (its current
    tables, not a previous version's still answering while the new one rebuilds)."""
    if not runtime.retention.current():
        raise behind("the privacy view")


def _created(handled: Handled[Erasure] | Handled[ClientErasure]) -> Request | ClientRequest:
    """The request a decision just recorded (a member's or a private client's)."""
    request_id = getattr(handled.events[0], "request_id", None) if handled.events else None
    request = None if request_id is None else handled.state.request(request_id)
    if request is None:  # a decision always records the request it made
        raise NoErasureRequested("the request was not recorded")
    return request


@erasures.post(
    "/members/{member_id}/erasure-requests", status_code=201,
    response_model=schemas.ErasureWrittenOut,
)  # fmt: skip
def request_erasure(
    member_id: PathId, principal: PrincipalDep, runtime: Runtime, clock: ClockDep,
    context: ContextDep, response: Response,
) -> dict[str, Any]:  # fmt: skip
    """The member, or ops for them, asks that their personal data be erased: carried out once
    every legal retention period has ended (409 while one is pending, or once done)."""
    visible(principal, member_id)
    requested_by: Requester = "ops" if principal.is_staff else "member"
    known = runtime.retention.is_member(member_id)
    handled = runtime.handlers.request_erasure(member_id, requested_by, known, context)
    request = _created(handled)
    runtime.retention.caught_up()
    response.headers["Location"] = f"/v1/members/{member_id}/erasure-requests"
    if handled.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return _body(runtime, request, clock.today()) | {"position": handled.position}


@erasures.get("/members/{member_id}/erasure-requests", response_model=schemas.ErasureListOut)
def member_erasure_requests(
    member_id: PathId, principal: PrincipalDep, runtime: Runtime, clock: ClockDep
) -> dict[str, Any]:
    """The member's requests, always current: pending with what holds each back and until
    when, or done and when."""
    visible_member(runtime, principal, member_id)
    state = runtime.handlers.erasure(member_id).state
    runtime.retention.caught_up()
    today = clock.today()
    return {"items": [_body(runtime, r, today) for r in state.requests], "next_cursor": None}


@erasures.get("/erasure-requests", response_model=schemas.ErasureListOut)
def list_erasure_requests(
    _: StaffDep, runtime: Runtime, clock: ClockDep, status: Status = None, limit: Limit = 50,
    cursor: Cursor = None, min_position: MinPosition = None,
) -> dict[str, Any]:  # fmt: skip
    """Every erasure request, in the order they were made (ops)."""
    views = runtime.retention.views
    if min_position is not None and min_position > runtime.handlers.store.head():
        raise ProblemError(
            400, "unknown-position", "Unknown position",
            f"no write has reached position {min_position}", field="min_position",
        )  # fmt: skip
    if min_position is not None and not views.wait_for(min_position, timeout=5.0):
        raise behind("the list of erasure requests")
    if views.stale:  # the previous version's tables: no client requests there
        raise behind("the list of erasure requests")
    with views.read() as conn:
        rows, last = projections.request_page(conn, status, parse_cursor(cursor), limit)
    today = clock.today()
    items = [_body(runtime, request, today) for request in rows]
    return {"items": items, "next_cursor": None if last is None else format_cursor(last)}


# -- a private client's ---------------------------------------------------------------------------


@erasures.post(
    "/clients/{client_id}/erasure-requests", status_code=201,
    response_model=schemas.ErasureWrittenOut,
)  # fmt: skip
def request_client_erasure(
    client_id: PathId, _: StaffDep, runtime: Runtime, clock: ClockDep, context: ContextDep,
    response: Response,
) -> dict[str, Any]:  # fmt: skip
    """Ops record a private client's request that their personal data be erased (a client
    has no key): carried out once every legal retention period has ended. A client registered
    with a VAT number is a company: refused (422). 409 while one is pending, or once done."""
    _current(runtime)
    kind = runtime.retention.client_kind(client_id)
    handled = runtime.handlers.request_client_erasure(client_id, kind, context)
    request = _created(handled)
    runtime.retention.caught_up()
    response.headers["Location"] = f"/v1/clients/{client_id}/erasure-requests"
    if handled.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return _body(runtime, request, clock.today()) | {"position": handled.position}


@erasures.get("/clients/{client_id}/erasure-requests", response_model=schemas.ErasureListOut)
def client_erasure_requests(
    client_id: PathId, _: StaffDep, runtime: Runtime, clock: ClockDep
) -> dict[str, Any]:
    """The client's requests, always current: pending with what holds each back and until
    when (their invoices and credit notes, an invoice still open), or done and when."""
    _current(runtime)
    if runtime.retention.client_kind(client_id) is None:
        raise ClientNotFound(f"no client {client_id}")
    state = runtime.handlers.client_erasure(client_id).state
    today = clock.today()
    return {"items": [_body(runtime, r, today) for r in state.requests], "next_cursor": None}
