"""Employment contracts and DIMONA declarations (read only: they follow the prestation)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from services.contracts import documents, schemas
from services.contracts.api.common import (
    Cursor,
    Handlers,
    Limit,
    MinPosition,
    Runtime,
    check_member,
    listed,
)
from services.contracts.domain import (
    Accepted,
    Closed,
    DeclarationNotFound,
    Member,
    MemberNotFound,
    Quoted,
)
from services.contracts.handlers import ContractsHandlers
from services.contracts.ids import prestation_id_from
from services.contracts.projections import contracts_overlapping
from shared.http.auth import Principal, PrincipalDep, StaffDep
from shared.http.inputs import IsoDate, PathId
from shared.http.problems import ProblemError
from shared.parameters import cooperative

contracts = APIRouter(prefix="/v1/employment-contracts", tags=["employment-contracts"])
declarations = APIRouter(prefix="/v1/dimona-declarations", tags=["dimona"])


def _contract_state(
    handlers: ContractsHandlers, contract_id: str, principal: Principal
) -> Quoted | Accepted | Closed:
    prestation_id = prestation_id_from(contract_id, "C")
    if prestation_id is None:
        raise ProblemError(404, "contract-not-found", "Contract not found", f"no {contract_id}")
    state = schemas.existing(handlers.prestation(prestation_id).state)
    check_member(principal, state.prestation.member_id)
    return state


@contracts.get("", response_model=schemas.PageOut[schemas.ContractRow])
def list_employment_contracts(
    principal: PrincipalDep, runtime: Runtime,
    from_: Annotated[IsoDate | None, Query(alias="from")] = None,
    to: IsoDate | None = None, member_id: str | None = None,
    status: str | None = None, limit: Limit = 50, cursor: Cursor = None,
    min_position: MinPosition = None,
) -> dict[str, Any]:  # fmt: skip
    """Contracts overlapping the period [from, to]."""
    if not principal.is_staff:
        member_id = member_id or principal.member_id
        check_member(principal, member_id or "")
    filters = {"member_id": member_id, "status": status}
    extra = contracts_overlapping(from_, to)
    return listed(runtime, "contracts", filters, cursor, limit, min_position, extra)


@contracts.get("/{contract_id}", response_model=schemas.ContractOut)
def get_employment_contract(
    contract_id: PathId, principal: PrincipalDep, handlers: Handlers
) -> dict[str, Any]:
    return schemas.contract_body(_contract_state(handlers, contract_id, principal))


@contracts.get("/{contract_id}/document", response_class=HTMLResponse)
def get_employment_contract_document(
    contract_id: PathId, principal: PrincipalDep, handlers: Handlers
) -> HTMLResponse:
    state = _contract_state(handlers, contract_id, principal)
    member = handlers.member(state.prestation.member_id).state
    if not isinstance(member, Member):
        raise MemberNotFound(f"no member {state.prestation.member_id}")
    html = documents.render_employment_contract(state.prestation, member, cooperative())
    return HTMLResponse(html)


@declarations.get("", response_model=schemas.PageOut[schemas.DeclarationRow])
def list_dimona_declarations(
    _: StaffDep, runtime: Runtime,
    status: Literal["pending", "accepted", "refused", "all"] = "pending", limit: Limit = 50,
    cursor: Cursor = None, min_position: MinPosition = None,
) -> dict[str, Any]:  # fmt: skip
    """DIMONA declarations; by default those still awaiting the ONSS's answer."""
    filters = {"status": None if status == "all" else status}
    return listed(runtime, "declarations", filters, cursor, limit, min_position)


@declarations.get("/{declaration_id}", response_model=schemas.DeclarationOut)
def get_dimona_declaration(
    declaration_id: PathId, principal: PrincipalDep, handlers: Handlers
) -> dict[str, Any]:
    prestation_id = prestation_id_from(declaration_id, "D")
    if prestation_id is None:
        raise DeclarationNotFound(f"no declaration {declaration_id}")
    state = schemas.existing(handlers.prestation(prestation_id).state)
    check_member(principal, state.prestation.member_id)
    dimona = schemas.dimona_body(state) or {"declarations": []}
    for declaration in dimona["declarations"]:
        if declaration["declaration_id"] == declaration_id:
            return declaration | {"prestation_id": prestation_id}
    raise DeclarationNotFound(f"no declaration {declaration_id}")
