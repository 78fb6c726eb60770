"""The erasure request of one private client (stream `clienterasure-<client_id>`): recorded by
ops, then carried out once every retention period has ended, exactly once.

Shaped like a member's (`domain.erasure`). Only a natural person has personal data: a client
registered with a VAT number is a company, whose name, address and e-mail are the company's,
so the request is refused. Carrying out erases the client's key and the keys of what was
sealed beside their invoices (the e-mail address an invoice was sent to, a payer that ops
assigned to one of them): the handler reads which from the facts, the decider names them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from services.privacy.domain.erasure import (
    AlreadyErased,
    ErasureAlreadyRequested,
    NoErasureRequested,
    RetentionNotOver,
)
from services.privacy.domain.retention import Hold, all_ended
from shared.decider import Decider, DomainError, NotFound
from shared.events.base import DomainEvent
from shared.events.personal import OF_CLIENT, OF_INVOICE, OF_PAYER
from shared.events.privacy import (
    ClientErasureRequested,
    ClientPersonalDataErased,
    ClientRequester,
    EndedHold,
)

ClientKind = Literal["private", "company"]


class ClientNotFound(NotFound):
    code = "client-not-found"


class ClientIsACompany(DomainError):
    """GDPR art. 4 (1): personal data relate to a natural person, not to a company."""

    code = "client-is-a-company"


# -- commands --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestClientErasure:
    client_id: str
    request_id: str
    requested_by: ClientRequester
    today: dt.date
    kind: ClientKind | None  # as the client is registered; None: no such client


@dataclass(frozen=True)
class CarryOutClientErasure:
    client_id: str
    today: dt.date
    holds: tuple[Hold, ...]  # every rule that applies, computed on `today`
    invoice_ids: tuple[str, ...]  # the invoices issued to the client
    payment_ids: tuple[str, ...]  # the payments without a match that ops assigned to one


ClientCommand = RequestClientErasure | CarryOutClientErasure


# -- state -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientRequest:
    request_id: str
    client_id: str
    requested_by: ClientRequester
    requested_on: dt.date
    carried_out_on: dt.date | None = None
    subjects: tuple[str, ...] = ()

    @property
    def pending(self) -> bool:
        return self.carried_out_on is None


@dataclass(frozen=True)
class ClientErasure:
    requests: tuple[ClientRequest, ...] = ()

    @property
    def pending(self) -> ClientRequest | None:
        return next((r for r in self.requests if r.pending), None)

    @property
    def erased(self) -> ClientRequest | None:
        return next((r for r in self.requests if not r.pending), None)

    def request(self, request_id: str) -> ClientRequest | None:
        return next((r for r in self.requests if r.request_id == request_id), None)


def client_subject(client_id: str) -> str:
    return OF_CLIENT.subject(client_id)


def client_subjects(
    client_id: str, invoice_ids: Sequence[str], payment_ids: Sequence[str]
) -> tuple[str, ...]:
    """Every key that holds the client's data: their own, then their invoices', then the
    payers' of the payments assigned to their invoices (each in a stable order)."""
    return (
        client_subject(client_id),
        *(OF_INVOICE.subject(i) for i in sorted(set(invoice_ids))),
        *(OF_PAYER.subject(p) for p in sorted(set(payment_ids))),
    )


# -- decide / evolve -------------------------------------------------------------------------


def decide(command: ClientCommand, state: ClientErasure) -> Sequence[DomainEvent]:
    match command:
        case RequestClientErasure():
            return _request(command, state)
        case CarryOutClientErasure():
            return _carry_out(command, state)


def _request(command: RequestClientErasure, state: ClientErasure) -> list[DomainEvent]:
    if command.kind is None:
        raise ClientNotFound(f"no client {command.client_id}", field="client_id")
    if command.kind == "company":
        raise ClientIsACompany(
            f"client {command.client_id} is registered with a VAT number, as a company: a"
            " company's name is not personal data (GDPR art. 4 (1)); only a private client's"
            " data is erased",
            field="client_id",
        )
    if (done := state.erased) is not None:
        raise AlreadyErased(
            f"the personal data of client {command.client_id} was erased on {done.carried_out_on}"
        )
    if (pending := state.pending) is not None:
        raise ErasureAlreadyRequested(
            f"erasure request {pending.request_id} of {pending.requested_on} is pending"
        )
    return [
        ClientErasureRequested(
            request_id=command.request_id,
            client_id=command.client_id,
            requested_by=command.requested_by,
            requested_on=command.today,
        )
    ]


def _carry_out(command: CarryOutClientErasure, state: ClientErasure) -> list[DomainEvent]:
    pending = state.pending
    if pending is None:
        if state.erased is not None:
            return []  # carried out already: nothing happens twice
        raise NoErasureRequested(f"no erasure request of client {command.client_id}")
    if not all_ended(command.holds, command.today):
        holding = sorted({h.name for h in command.holds if not h.ended(command.today)})
        raise RetentionNotOver(f"still held by: {', '.join(holding)}")
    ended = tuple(EndedHold(rule=h.rule, ends_on=h.ends_on) for h in command.holds if h.ends_on)
    return [
        ClientPersonalDataErased(
            request_id=pending.request_id,
            client_id=pending.client_id,
            subjects=client_subjects(pending.client_id, command.invoice_ids, command.payment_ids),
            carried_out_on=command.today,
            ended_holds=ended,
        )
    ]


def evolve(state: ClientErasure, event: DomainEvent) -> ClientErasure:
    match event:
        case ClientErasureRequested() as requested:
            request = ClientRequest(
                requested.request_id,
                requested.client_id,
                requested.requested_by,
                requested.requested_on,
            )
            return ClientErasure((*state.requests, request))
        case ClientPersonalDataErased() as erased:
            return ClientErasure(
                tuple(
                    replace(r, carried_out_on=erased.carried_out_on, subjects=erased.subjects)
                    if r.request_id == erased.request_id
                    else r
                    for r in state.requests
                )
            )
        case _:
            return state


client_erasure_decider: Decider[ClientCommand, ClientErasure] = Decider(
    ClientErasure, decide, evolve
)
