"""HTTP for the contracts service: requests become commands and queries, nothing else."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.security import HTTPAuthorizationCredentials

from services.contracts import documents, schemas
from services.contracts.domain import (
    Accepted,
    Client,
    ClientNotFound,
    Closed,
    CorrectClientDetails,
    CorrectMemberDetails,
    DeclarationNotFound,
    Member,
    MemberNotFound,
    PrestationState,
    Quoted,
)
from services.contracts.handlers import ContractsHandlers, prestation_id_from
from services.contracts.projections import contracts_overlapping, page
from shared.events.base import Context
from shared.eventstore.handling import Handled
from shared.eventstore.projections import ProjectionRunner
from shared.http.auth import BEARER, Principal, PrincipalDep, StaffDep, forbidden
from shared.http.problems import ProblemError
from shared.http.service import ClockDep, ContextDep, request_context
from shared.parameters import cooperative

members = APIRouter(prefix="/v1/members", tags=["members"])
clients = APIRouter(prefix="/v1/clients", tags=["clients"])
prestations = APIRouter(prefix="/v1/prestations", tags=["prestations"])
quotes = APIRouter(prefix="/v1/quotes", tags=["quotes"])
contracts = APIRouter(prefix="/v1/employment-contracts", tags=["employment-contracts"])
declarations = APIRouter(prefix="/v1/dimona-declarations", tags=["dimona"])


@dataclass(frozen=True)
class ContractsRuntime:
    """What the routers find on `app.state.contracts` (built by the composition root)."""

    handlers: ContractsHandlers
    views: ProjectionRunner


def _runtime(request: Request) -> ContractsRuntime:
    runtime: ContractsRuntime = request.app.state.contracts
    return runtime


def _handlers(request: Request) -> ContractsHandlers:
    return _runtime(request).handlers


Runtime = Annotated[ContractsRuntime, Depends(_runtime)]
Handlers = Annotated[ContractsHandlers, Depends(_handlers)]
Limit = Annotated[int, Query(ge=1, le=200)]
Cursor = Annotated[str | None, Query(description="`next_cursor` of the previous page")]
MinPosition = Annotated[
    int | None,
    Query(description="Wait (up to 5 s) until this list includes the write at this position"),
]
IfMatch = Annotated[str | None, Header(description="The ETag of the version you read")]


def _unauthenticated(detail: str) -> ProblemError:
    return ProblemError(
        401, "unauthenticated", "Unauthenticated", detail, headers={"WWW-Authenticate": "Bearer"}
    )


def _optional_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
) -> Principal | None:
    if credentials is None:
        return None
    principal: Principal | None = request.app.state.keyring.authenticate(credentials.credentials)
    if principal is None:
        raise _unauthenticated("the bearer key is not valid")
    return principal


OptionalPrincipal = Annotated[Principal | None, Depends(_optional_principal)]


def _etag(response: Response, version: int | None) -> None:
    if version is not None:
        response.headers["ETag"] = f'"{version}"'


def _if_match(value: str | None) -> int | None:
    if value is None:
        return None
    text = value.strip().removeprefix("W/").strip('"')
    if not text.isdigit():
        raise ProblemError(
            400, "invalid-if-match", "Invalid If-Match", "If-Match is an ETag like \"3\"",
            field="If-Match",
        )  # fmt: skip
    return int(text)


def _written(response: Response, handled: Handled[Any], body: dict[str, Any]) -> dict[str, Any]:
    """A write answers the resource, its version (also the ETag) and the log position; a retried
    request answers what its first attempt did, and says so."""
    _etag(response, handled.version)
    if handled.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return body | {"position": handled.position}


def _member_of(handled: Handled[Any]) -> Member:
    if not isinstance(handled.state, Member):
        raise MemberNotFound("no such member")
    return handled.state


def _client_of(handled: Handled[Any]) -> Client:
    if not isinstance(handled.state, Client):
        raise ClientNotFound("no such client")
    return handled.state


def _check_member(principal: Principal, member_id: str) -> None:
    if not principal.can_see_member(member_id):
        raise forbidden("a member key acts on its own member's data only")


def _list(
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


# -- members --------------------------------------------------------------------------------


@members.post("", status_code=201, response_model=schemas.MemberOut)
def register_member(
    body: schemas.MemberIn, _: StaffDep, handlers: Handlers, context: ContextDep,
    response: Response,
) -> dict[str, Any]:  # fmt: skip
    handled = handlers.register_member(body.model_dump(), context)
    member = _member_of(handled)
    response.headers["Location"] = f"{members.prefix}/{member.member_id}"
    return _written(response, handled, schemas.member_body(member, handled.version))


@members.get("", response_model=schemas.PageOut[schemas.MemberRow])
def list_members(
    _: StaffDep, runtime: Runtime, limit: Limit = 50, cursor: Cursor = None,
    min_position: MinPosition = None,
) -> dict[str, Any]:  # fmt: skip
    return _list(runtime, "members", {}, cursor, limit, min_position)


@members.get("/{member_id}", response_model=schemas.MemberOut)
def get_member(
    member_id: str, principal: PrincipalDep, handlers: Handlers, response: Response
) -> dict[str, Any]:
    _check_member(principal, member_id)
    loaded = handlers.member(member_id)
    if not isinstance(loaded.state, Member):
        raise MemberNotFound(f"no member {member_id}")
    _etag(response, loaded.version)
    return schemas.member_body(loaded.state, loaded.version)


@members.patch("/{member_id}", response_model=schemas.MemberOut)
def correct_member(
    member_id: str, body: schemas.MemberPatch, principal: PrincipalDep, handlers: Handlers,
    clock: ClockDep, context: ContextDep, response: Response, if_match: IfMatch = None,
) -> dict[str, Any]:  # fmt: skip
    _check_member(principal, member_id)
    changes = body.model_dump(exclude_unset=True)
    command = CorrectMemberDetails(member_id=member_id, today=clock.today(), **changes)
    handled = handlers.on_member(member_id, command, context, if_match=_if_match(if_match))
    return _written(response, handled, schemas.member_body(_member_of(handled), handled.version))


# -- clients --------------------------------------------------------------------------------


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
    client = _client_of(handled)
    response.headers["Location"] = f"{clients.prefix}/{client.client_id}"
    return _written(response, handled, schemas.client_body(client, handled.version))


@clients.post("/{client_id}/members", response_model=schemas.ClientOut)
def share_client(
    client_id: str, body: schemas.ClientShareIn, _: StaffDep, handlers: Handlers,
    context: ContextDep, response: Response,
) -> dict[str, Any]:  # fmt: skip
    """Let another member invoice this client (ops)."""
    handled = handlers.share_client(client_id, body.member_id, context)
    return _written(response, handled, schemas.client_body(_client_of(handled), handled.version))


@clients.get("", response_model=schemas.PageOut[schemas.ClientRow])
def list_clients(
    _: StaffDep, runtime: Runtime, limit: Limit = 50, cursor: Cursor = None,
    min_position: MinPosition = None,
) -> dict[str, Any]:  # fmt: skip
    return _list(runtime, "clients", {}, cursor, limit, min_position)


@clients.get("/{client_id}", response_model=schemas.ClientOut)
def get_client(
    client_id: str, principal: PrincipalDep, handlers: Handlers, response: Response
) -> dict[str, Any]:
    _no_partner(principal)
    loaded = handlers.client(client_id)
    # A member sees its own clients only; another's answers as if it did not exist.
    visible = isinstance(loaded.state, Client) and (
        principal.is_staff or loaded.state.usable_by(principal.member_id or "")
    )
    if not isinstance(loaded.state, Client) or not visible:
        raise ClientNotFound(f"no client {client_id}")
    _etag(response, loaded.version)
    return schemas.client_body(loaded.state, loaded.version)


@clients.patch("/{client_id}", response_model=schemas.ClientOut)
def correct_client(
    client_id: str, body: schemas.ClientPatch, _: StaffDep, handlers: Handlers, clock: ClockDep,
    context: ContextDep, response: Response, if_match: IfMatch = None,
) -> dict[str, Any]:  # fmt: skip
    changes = body.model_dump(exclude_unset=True)
    command = CorrectClientDetails(client_id=client_id, today=clock.today(), **changes)
    handled = handlers.on_client(client_id, command, context, if_match=_if_match(if_match))
    return _written(response, handled, schemas.client_body(_client_of(handled), handled.version))


# -- prestations ----------------------------------------------------------------------------


@prestations.post("", status_code=201, response_model=schemas.PrestationOut)
def encode_prestation(
    body: schemas.PrestationIn, principal: PrincipalDep, handlers: Handlers,
    context: ContextDep, response: Response,
) -> dict[str, Any]:  # fmt: skip
    _check_member(principal, body.member_id)
    encoded = handlers.encode(body.draft(), context, by_staff=principal.is_staff)
    state = schemas.existing(encoded.state)
    response.headers["Location"] = f"{prestations.prefix}/{encoded.prestation_id}"
    _etag(response, encoded.version)
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
        _check_member(principal, member_id or "")
    filters = {"member_id": member_id, "client_id": client_id, "status": status}
    return _list(runtime, "prestations", filters, cursor, limit, min_position)


@prestations.get("/{prestation_id}", response_model=schemas.PrestationOut)
def get_prestation(
    prestation_id: str, principal: PrincipalDep, handlers: Handlers, response: Response
) -> dict[str, Any]:
    loaded = handlers.prestation(prestation_id)
    state = schemas.existing(loaded.state)
    _check_member(principal, state.prestation.member_id)
    _etag(response, loaded.version)
    return schemas.prestation_body(state, loaded.version)


def _owned(handlers: ContractsHandlers, principal: Principal, prestation_id: str) -> None:
    state = schemas.existing(handlers.prestation(prestation_id).state)
    _check_member(principal, state.prestation.member_id)


@prestations.post("/{prestation_id}/cancel", response_model=schemas.PrestationOut)
def cancel_prestation(
    prestation_id: str, body: schemas.ReasonIn, principal: PrincipalDep, handlers: Handlers,
    context: ContextDep, response: Response, if_match: IfMatch = None,
) -> dict[str, Any]:  # fmt: skip
    _owned(handlers, principal, prestation_id)
    handled = handlers.cancel(prestation_id, body.reason, context, _if_match(if_match))
    return _prestation_written(response, handled)


@prestations.post("/{prestation_id}/amend", response_model=schemas.PrestationOut)
def amend_prestation(
    prestation_id: str, body: schemas.AmendIn, principal: PrincipalDep, handlers: Handlers,
    context: ContextDep, response: Response, if_match: IfMatch = None,
) -> dict[str, Any]:  # fmt: skip
    _owned(handlers, principal, prestation_id)
    handled = handlers.amend(
        prestation_id, schemas.days_of(body.days), context, _if_match(if_match)
    )
    return _prestation_written(response, handled)


def _prestation_written(response: Response, handled: Handled[PrestationState]) -> dict[str, Any]:
    body = schemas.prestation_body(schemas.existing(handled.state), handled.version)
    return _written(response, handled, body)


# -- quotes ---------------------------------------------------------------------------------


def _quote_reader(
    handlers: ContractsHandlers, quote_id: str, principal: Principal | None, token: str | None
) -> Quoted | Accepted | Closed:
    """The owner, staff, or the client holding the token may read a quote."""
    state = schemas.existing(handlers.prestation_of_quote(quote_id).state)
    if token is not None:
        if not handlers.token_matches(state, token):
            raise ProblemError(
                403,
                "invalid-acceptance-token",
                "Invalid acceptance token",
                "the token does not match this quote",
                field="acceptance_token",
            )
    elif principal is None:
        raise _unauthenticated("a bearer key or the quote's acceptance_token is required")
    else:
        _check_member(principal, state.prestation.member_id)
    return state


Token = Annotated[str | None, Query(description="The client's acceptance token")]


@quotes.get("/{quote_id}", response_model=schemas.QuoteDetailOut)
def get_quote(
    quote_id: str, principal: OptionalPrincipal, handlers: Handlers,
    acceptance_token: Token = None,
) -> dict[str, Any]:  # fmt: skip
    state = _quote_reader(handlers, quote_id, principal, acceptance_token)
    body = schemas.prestation_body(state, None)
    return body["quote"] | {
        "prestation_id": state.prestation.prestation_id,
        "client_id": state.prestation.client_id,
        "description": body["description"],
        "days": body["days"],
    }


@quotes.get("/{quote_id}/document", response_class=HTMLResponse)
def get_quote_document(
    quote_id: str, principal: OptionalPrincipal, handlers: Handlers,
    acceptance_token: Token = None,
) -> HTMLResponse:  # fmt: skip
    state = _quote_reader(handlers, quote_id, principal, acceptance_token)
    client = handlers.client(state.prestation.client_id).state
    if not isinstance(client, Client):
        raise ClientNotFound(f"no client {state.prestation.client_id}")
    return HTMLResponse(documents.render_quote(state.prestation, client, cooperative()))


def _answering_staff(principal: Principal | None, token: str | None) -> bool:
    """The client answers with its token; ops or admin may answer without one. A member never
    answers its own quote, token or not: the client must."""
    if principal is not None and not principal.is_staff:
        raise forbidden("only the client (with its token) or ops may answer a quote")
    if token is not None:
        return False
    if principal is None:
        raise _unauthenticated("the acceptance_token (or an ops key) is required")
    return True


async def _answer_context(
    request: Request, principal: OptionalPrincipal, clock: ClockDep
) -> Context:
    """The client holding the token has no key: its retries are scoped by the quote's path."""
    if principal is None:
        return await request_context(request, "client", "client", clock)
    return await request_context(request, principal.actor, principal.key_id, clock)


AnswerContext = Annotated[Context, Depends(_answer_context)]


@quotes.post("/{quote_id}/accept", response_model=schemas.PrestationOut)
def accept_quote(
    quote_id: str, body: schemas.QuoteAnswerIn, principal: OptionalPrincipal,
    handlers: Handlers, context: AnswerContext, response: Response,
) -> dict[str, Any]:  # fmt: skip
    by_ops = _answering_staff(principal, body.acceptance_token)
    handled = handlers.accept_quote(quote_id, body.acceptance_token, by_ops, context)
    return _prestation_written(response, handled)


@quotes.post("/{quote_id}/reject", response_model=schemas.PrestationOut)
def reject_quote(
    quote_id: str, body: schemas.QuoteAnswerIn, principal: OptionalPrincipal,
    handlers: Handlers, context: AnswerContext, response: Response,
) -> dict[str, Any]:  # fmt: skip
    by_ops = _answering_staff(principal, body.acceptance_token)
    handled = handlers.reject_quote(quote_id, body.acceptance_token, by_ops, body.reason, context)
    return _prestation_written(response, handled)


# -- employment contracts and DIMONA ------------------------------------------------------------


def _contract_state(
    handlers: ContractsHandlers, contract_id: str, principal: Principal
) -> Quoted | Accepted | Closed:
    prestation_id = prestation_id_from(contract_id, "C")
    if prestation_id is None:
        raise ProblemError(404, "contract-not-found", "Contract not found", f"no {contract_id}")
    state = schemas.existing(handlers.prestation(prestation_id).state)
    _check_member(principal, state.prestation.member_id)
    return state


@contracts.get("", response_model=schemas.PageOut[schemas.ContractRow])
def list_employment_contracts(
    principal: PrincipalDep, runtime: Runtime,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: date | None = None, member_id: str | None = None,
    status: str | None = None, limit: Limit = 50, cursor: Cursor = None,
    min_position: MinPosition = None,
) -> dict[str, Any]:  # fmt: skip
    """Contracts overlapping the period [from, to]."""
    if not principal.is_staff:
        member_id = member_id or principal.member_id
        _check_member(principal, member_id or "")
    filters = {"member_id": member_id, "status": status}
    extra = contracts_overlapping(from_, to)
    return _list(runtime, "contracts", filters, cursor, limit, min_position, extra)


@contracts.get("/{contract_id}", response_model=schemas.ContractOut)
def get_employment_contract(
    contract_id: str, principal: PrincipalDep, handlers: Handlers
) -> dict[str, Any]:
    return schemas.contract_body(_contract_state(handlers, contract_id, principal))


@contracts.get("/{contract_id}/document", response_class=HTMLResponse)
def get_employment_contract_document(
    contract_id: str, principal: PrincipalDep, handlers: Handlers
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
    return _list(runtime, "declarations", filters, cursor, limit, min_position)


@declarations.get("/{declaration_id}", response_model=schemas.DeclarationOut)
def get_dimona_declaration(
    declaration_id: str, principal: PrincipalDep, handlers: Handlers
) -> dict[str, Any]:
    prestation_id = prestation_id_from(declaration_id, "D")
    if prestation_id is None:
        raise DeclarationNotFound(f"no declaration {declaration_id}")
    state = schemas.existing(handlers.prestation(prestation_id).state)
    _check_member(principal, state.prestation.member_id)
    dimona = schemas.dimona_body(state) or {"declarations": []}
    for declaration in dimona["declarations"]:
        if declaration["declaration_id"] == declaration_id:
            return declaration | {"prestation_id": prestation_id}
    raise DeclarationNotFound(f"no declaration {declaration_id}")


ROUTERS = (members, clients, prestations, quotes, contracts, declarations)
