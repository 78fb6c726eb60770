"""Clients (`/v1/clients`): a member sees and invoices its own; staff see all."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from services.contracts import schemas
from services.contracts.api.common import (
    Cursor,
    Handlers,
    IfMatch,
    Limit,
    MinPosition,
    Runtime,
    client_of,
    etag,
    expected_version,
    listed,
    written,
)
from services.contracts.domain import (
    Client,
    ClientNotFound,
    CorrectClientDetails,
)
from shared.http.auth import Principal, PrincipalDep, StaffDep, forbidden
from shared.http.inputs import PathId
from shared.http.service import ClockDep, ContextDep

clients = APIRouter(prefix="/v1/clients", tags=["clients"])


def _no_partner(principal: Principal) -> None:
    if principal.role == "partner":
        raise forbidden("partners read the event feed, not the client register")


@clients.post("", status_code=201, response_model=schemas.ClientOut)
def register_client(
    body: schemas.ClientIn, principal: PrincipalDep, handlers: Handlers, context: ContextDep,
    response: Response,
) -> dict[str, Any]:  # fmt: skip
    """A member registers its own clients; staff register the cooperative's, or a member's
    (`member_id`)."""
    _no_partner(principal)
    details = body.model_dump(exclude={"member_id"})
    if principal.is_staff:
        member_id = body.member_id
    elif body.member_id not in (None, principal.member_id):
        raise forbidden("a member key registers clients for its own member only")
    else:
        member_id = principal.member_id
    handled = handlers.register_client(details, member_id, context)
    client = client_of(handled)
    response.headers["Location"] = f"{clients.prefix}/{client.client_id}"
    return written(response, handled, schemas.client_body(client, handled.version))


@clients.post("/{client_id}/members", response_model=schemas.ClientOut)
def share_client(
    client_id: PathId, body: schemas.ClientShareIn, _: StaffDep, handlers: Handlers,
    context: ContextDep, response: Response,
) -> dict[str, Any]:  # fmt: skip
    """Let another member invoice this client (ops)."""
    handled = handlers.share_client(client_id, body.member_id, context)
    return written(response, handled, schemas.client_body(client_of(handled), handled.version))


@clients.get("", response_model=schemas.PageOut[schemas.ClientRow])
def list_clients(
    _: StaffDep, runtime: Runtime, limit: Limit = 50, cursor: Cursor = None,
    min_position: MinPosition = None,
) -> dict[str, Any]:  # fmt: skip
    return listed(runtime, "clients", {}, cursor, limit, min_position)


@clients.get("/{client_id}", response_model=schemas.ClientOut)
def get_client(
    client_id: PathId, principal: PrincipalDep, handlers: Handlers, response: Response
) -> dict[str, Any]:
    _no_partner(principal)
    loaded = handlers.client(client_id)
    # A member sees its own clients only; another's answers as if it did not exist.
    visible = isinstance(loaded.state, Client) and (
        principal.is_staff or loaded.state.usable_by(principal.member_id or "")
    )
    if not isinstance(loaded.state, Client) or not visible:
        raise ClientNotFound(f"no client {client_id}")
    etag(response, loaded.version)
    return schemas.client_body(loaded.state, loaded.version)


@clients.patch("/{client_id}", response_model=schemas.ClientOut)
def correct_client(
    client_id: PathId, body: schemas.ClientPatch, _: StaffDep, handlers: Handlers, clock: ClockDep,
    context: ContextDep, response: Response, if_match: IfMatch = None,
) -> dict[str, Any]:  # fmt: skip
    changes = body.model_dump(exclude_unset=True)
    command = CorrectClientDetails(client_id=client_id, today=clock.today(), **changes)
    handled = handlers.on_client(client_id, command, context, if_match=expected_version(if_match))
    return written(response, handled, schemas.client_body(client_of(handled), handled.version))
