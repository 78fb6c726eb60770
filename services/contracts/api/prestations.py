"""Prestations (`/v1/prestations`): encoding, reading, amending, cancelling."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from services.contracts import schemas
from services.contracts.api.common import (
    Cursor,
    Handlers,
    IfMatch,
    Limit,
    MinPosition,
    Runtime,
    check_member,
    etag,
    expected_version,
    handlers_of,
    listed,
    owned,
    prestation_written,
)
from shared.http.auth import PrincipalDep
from shared.http.inputs import PathId
from shared.http.routes import DirectRoute
from shared.http.service import CallerDep, ContextDep, blocking

# Encodings are the hot write: their plain requests skip FastAPI's dependency solver.
prestations = APIRouter(prefix="/v1/prestations", tags=["prestations"], route_class=DirectRoute)


@prestations.post("", status_code=201, response_model=schemas.PrestationOut)
async def encode_prestation(
    body: schemas.PrestationIn, caller: CallerDep, request: Request, response: Response
) -> dict[str, Any]:
    check_member(caller.principal, body.member_id)
    handlers = handlers_of(request)
    draft, by_staff = body.draft(), caller.principal.is_staff
    encoded = await blocking(handlers.encode, draft, caller.context, by_staff=by_staff)
    state = schemas.existing(encoded.state)
    response.headers["Location"] = f"{prestations.prefix}/{encoded.prestation_id}"
    etag(response, encoded.version)
    if encoded.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    out = schemas.prestation_body(state, encoded.version, acceptance_token=encoded.acceptance_token)
    return out | {"position": encoded.result.position}


@prestations.get("", response_model=schemas.PageOut[schemas.PrestationRow])
def list_prestations(
    principal: PrincipalDep, runtime: Runtime, member_id: str | None = None,
    client_id: str | None = None, status: str | None = None, limit: Limit = 50,
    cursor: Cursor = None, min_position: MinPosition = None,
) -> dict[str, Any]:  # fmt: skip
    if not principal.is_staff:
        member_id = member_id or principal.member_id
        check_member(principal, member_id or "")
    filters = {"member_id": member_id, "client_id": client_id, "status": status}
    return listed(runtime, "prestations", filters, cursor, limit, min_position)


@prestations.get("/{prestation_id}", response_model=schemas.PrestationOut)
def get_prestation(
    prestation_id: PathId, principal: PrincipalDep, handlers: Handlers, response: Response
) -> dict[str, Any]:
    loaded = handlers.prestation(prestation_id)
    state = schemas.existing(loaded.state)
    check_member(principal, state.prestation.member_id)
    etag(response, loaded.version)
    return schemas.prestation_body(state, loaded.version)


@prestations.post("/{prestation_id}/cancel", response_model=schemas.PrestationOut)
def cancel_prestation(
    prestation_id: PathId, body: schemas.ReasonIn, principal: PrincipalDep, handlers: Handlers,
    context: ContextDep, response: Response, if_match: IfMatch = None,
) -> dict[str, Any]:  # fmt: skip
    owned(handlers, principal, prestation_id)
    handled = handlers.cancel(prestation_id, body.reason, context, expected_version(if_match))
    return prestation_written(response, handled)


@prestations.post("/{prestation_id}/amend", response_model=schemas.PrestationOut)
def amend_prestation(
    prestation_id: PathId, body: schemas.AmendIn, principal: PrincipalDep, handlers: Handlers,
    context: ContextDep, response: Response, if_match: IfMatch = None,
) -> dict[str, Any]:  # fmt: skip
    owned(handlers, principal, prestation_id)
    handled = handlers.amend(
        prestation_id, schemas.days_of(body.days), context, expected_version(if_match)
    )
    return prestation_written(response, handled)
