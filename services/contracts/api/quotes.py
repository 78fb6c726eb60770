"""Quotes (`/v1/quotes`): the client reads and answers with its token; ops may answer."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse

from services.contracts import documents, schemas
from services.contracts.api.common import (
    Handlers,
    OptionalPrincipal,
    check_member,
    prestation_written,
    unauthenticated,
)
from services.contracts.domain import (
    Accepted,
    Client,
    ClientNotFound,
    Closed,
    Quoted,
)
from services.contracts.handlers import ContractsHandlers
from shared.events.base import Context
from shared.http.auth import Principal, forbidden
from shared.http.inputs import PathId
from shared.http.problems import ProblemError
from shared.http.service import ClockDep, request_context
from shared.parameters import cooperative

quotes = APIRouter(prefix="/v1/quotes", tags=["quotes"])


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
        raise unauthenticated("a bearer key or the quote's acceptance_token is required")
    else:
        check_member(principal, state.prestation.member_id)
    return state


Token = Annotated[str | None, Query(max_length=64, description="The client's acceptance token")]


@quotes.get("/{quote_id}", response_model=schemas.QuoteDetailOut)
def get_quote(
    quote_id: PathId, principal: OptionalPrincipal, handlers: Handlers,
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
    quote_id: PathId, principal: OptionalPrincipal, handlers: Handlers,
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
        raise unauthenticated("the acceptance_token (or an ops key) is required")
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
    quote_id: PathId, body: schemas.QuoteAnswerIn, principal: OptionalPrincipal,
    handlers: Handlers, context: AnswerContext, response: Response,
) -> dict[str, Any]:  # fmt: skip
    by_ops = _answering_staff(principal, body.acceptance_token)
    handled = handlers.accept_quote(quote_id, body.acceptance_token, by_ops, context)
    return prestation_written(response, handled)


@quotes.post("/{quote_id}/reject", response_model=schemas.PrestationOut)
def reject_quote(
    quote_id: PathId, body: schemas.QuoteAnswerIn, principal: OptionalPrincipal,
    handlers: Handlers, context: AnswerContext, response: Response,
) -> dict[str, Any]:  # fmt: skip
    by_ops = _answering_staff(principal, body.acceptance_token)
    handled = handlers.reject_quote(quote_id, body.acceptance_token, by_ops, body.reason, context)
    return prestation_written(response, handled)
