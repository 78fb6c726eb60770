"""The contracts service's HTTP bodies: how a folded state goes out, and (from `requests`,
where their bounds are) what comes in."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, Field, Json

from services.contracts import requests
from services.contracts.domain import (
    Accepted,
    Client,
    Closed,
    Member,
    PrestationNotFound,
    PrestationState,
    Quoted,
)
from shared.events.contracts import SalaryEstimate, WorkDay
from shared.eventstore.port import Position

Row = TypeVar("Row", bound=BaseModel)

# What comes in lives in `requests`, with its bounds; the routers find it here too.
AmendIn = requests.AmendIn
ClientIn = requests.ClientIn
ClientPatch = requests.ClientPatch
ClientShareIn = requests.ClientShareIn
MemberIn = requests.MemberIn
MemberPatch = requests.MemberPatch
PrestationIn = requests.PrestationIn
QuoteAnswerIn = requests.QuoteAnswerIn
ReasonIn = requests.ReasonIn
days_of = requests.days_of


class Written(BaseModel):
    """Every write answers the log position it reached (for read-your-writes queries)."""

    position: Position | None


def day_bodies(days: tuple[WorkDay, ...]) -> list[dict[str, Any]]:
    return [{"date": d.date, "hours": float(d.hours)} for d in days]


def member_body(member: Member, version: int | None) -> dict[str, Any]:
    """The member as MemberOut shows it (the response model keeps only its own fields)."""
    return dataclasses.asdict(member) | {"version": version}


def client_body(client: Client, version: int | None) -> dict[str, Any]:
    return dataclasses.asdict(client) | {"version": version}


_QUOTE_STATUS = {
    "quoted": "pending",
    "accepted": "accepted",
    "rejected": "rejected",
    "expired": "expired",
    "cancelled": "withdrawn",
}


def prestation_body(
    state: Quoted | Accepted | Closed, version: int | None, *, acceptance_token: str | None = None
) -> dict[str, Any]:
    """The prestation with its three documents and the salary estimate."""
    p = state.prestation
    quote: dict[str, Any] = {
        "quote_id": p.quote_id,
        "status": _QUOTE_STATUS[state.status],
        "valid_until": p.quote_valid_until,
        "issued_on": p.quote.issued_on if p.quote else None,
        "amount_excl_vat_cents": p.amount_excl_vat_cents,
        "vat_rate": p.vat_rate,
        "vat_cents": p.vat_cents,
        "total_cents": p.total_cents,
        "payment_term_days": p.quote.payment_term_days if p.quote else None,
        "document_url": f"/v1/quotes/{p.quote_id}/document",
    }
    if acceptance_token is not None:
        quote["acceptance_token"] = acceptance_token
    if isinstance(state, Accepted):
        quote |= {"accepted_by": state.accepted_by, "accepted_on": state.accepted_on}
    contract = p.contract
    body: dict[str, Any] = {
        "prestation_id": p.prestation_id,
        "status": state.status,
        "member_id": p.member_id,
        "client_id": p.client_id,
        "description": p.description,
        "days": day_bodies(p.days),
        "first_day": p.first_day,
        "last_day": p.last_day,
        "amount_excl_vat_cents": p.amount_excl_vat_cents,
        "vat_rate": p.vat_rate,
        "vat_cents": p.vat_cents,
        "total_cents": p.total_cents,
        "expenses": [e.model_dump() for e in p.expenses],
        "expenses_cents": p.expenses_cents,
        "withholding_rate": p.withholding_rate,
        "encoded_on": p.encoded_on,
        "quote": quote,
        "employment_contract": contract_body(state) if contract else None,
        "dimona": dimona_body(state),
        "salary_estimate": contract.salary_estimate.model_dump() if contract else None,
        "version": version,
    }
    if isinstance(state, Closed):
        body["closed_on"] = state.closed_on
    return body


def contract_body(state: Quoted | Accepted | Closed) -> dict[str, Any]:
    p = state.prestation
    contract = p.contract
    if contract is None:  # only between the events of the encoding's one append
        raise PrestationNotFound(f"prestation {p.prestation_id} has no contract yet")
    status = {Quoted: "awaiting-acceptance", Accepted: "active", Closed: "cancelled"}[type(state)]
    return {
        "contract_id": contract.contract_id,
        "prestation_id": p.prestation_id,
        "member_id": p.member_id,
        "status": status,
        "days": day_bodies(contract.days),
        "less_than_a_day": contract.less_than_a_day,
        "gross_per_day_cents": contract.gross_per_day_cents,
        "daily_minimum_cents": contract.daily_minimum_cents,
        "hourly_minimum": str(contract.hourly_minimum),
        "gross_cents": contract.salary_estimate.gross_cents,
        "drawn_up_on": contract.drawn_up_on,
        "document_url": f"/v1/employment-contracts/{contract.contract_id}/document",
    }


def dimona_body(state: Quoted | Accepted | Closed) -> dict[str, Any] | None:
    declarations = state.prestation.declarations
    if not declarations:
        return None
    current_in = state.prestation.current_in
    latest = declarations[-1]
    return {
        "declaration_id": current_in.declaration_id if current_in else latest.declaration_id,
        "kind": latest.kind,
        "status": latest.status,
        "period_id": current_in.period_id if current_in else None,
        "declarations": [
            {
                "declaration_id": d.declaration_id,
                "kind": d.kind,
                "refers_to": d.refers_to,
                "status": d.status,
                "period_id": d.period_id,
            }
            for d in declarations
        ],
    }


def existing(state: PrestationState) -> Quoted | Accepted | Closed:
    if not isinstance(state, Quoted | Accepted | Closed):
        raise PrestationNotFound("no such prestation")
    return state


# -- what goes out (documented in the OpenAPI document) -------------------------------------


class DayOut(BaseModel):
    date: dt.date
    hours: float


class ExpenseOut(BaseModel):
    # Not ExpenseIn: what was stored is shown as stored, whatever today's input bounds.
    description: str
    amount_cents: int


class MemberOut(BaseModel):
    member_id: str
    first_name: str
    last_name: str
    email: str
    niss: str
    iban: str
    bic: str | None
    gender: Literal["F", "M", "X"]
    address: str | None
    registered_on: dt.date
    version: int | None = Field(description="The stream version, also sent as the ETag")
    position: Position | None = Field(default=None, description="Set on writes")


class ClientOut(BaseModel):
    client_id: str
    name: str
    email: str
    country: str
    vat_number: str | None
    address: str | None
    registered_on: dt.date
    version: int | None
    position: Position | None = None


class QuoteOut(BaseModel):
    quote_id: str
    status: Literal["pending", "accepted", "rejected", "expired", "withdrawn"]
    valid_until: dt.date = Field(description="The last day the client may accept")
    issued_on: dt.date | None
    amount_excl_vat_cents: int
    vat_rate: str
    vat_cents: int
    total_cents: int
    payment_term_days: int | None
    document_url: str
    acceptance_token: str | None = Field(
        default=None, description="Only in the answer to the encoding: give it to the client"
    )
    accepted_by: Literal["client", "ops"] | None = None
    accepted_on: dt.date | None = None


class QuoteDetailOut(QuoteOut):
    prestation_id: str
    client_id: str
    description: str
    days: list[DayOut]


class ContractOut(BaseModel):
    contract_id: str
    prestation_id: str
    member_id: str
    status: Literal["awaiting-acceptance", "active", "cancelled"]
    days: list[DayOut] = Field(description="Contract hours per day")
    less_than_a_day: bool
    gross_per_day_cents: int
    daily_minimum_cents: int
    hourly_minimum: str
    gross_cents: int
    drawn_up_on: dt.date
    document_url: str


class DeclarationOut(BaseModel):
    declaration_id: str
    kind: Literal["IN", "UPDATE", "CANCEL"]
    refers_to: str | None
    status: Literal["pending", "accepted", "refused"]
    period_id: int | None
    prestation_id: str | None = None


class DimonaOut(BaseModel):
    declaration_id: str = Field(description="The current IN declaration")
    kind: Literal["IN", "UPDATE", "CANCEL"] = Field(description="Kind of the latest declaration")
    status: Literal["pending", "accepted", "refused"]
    period_id: int | None
    declarations: list[DeclarationOut]


class PrestationOut(BaseModel):
    prestation_id: str
    status: Literal["quoted", "accepted", "rejected", "expired", "cancelled"]
    member_id: str
    client_id: str
    description: str
    days: list[DayOut]
    first_day: dt.date
    last_day: dt.date
    amount_excl_vat_cents: int
    vat_rate: str
    vat_cents: int
    total_cents: int
    expenses: list[ExpenseOut]
    expenses_cents: int
    withholding_rate: str
    encoded_on: dt.date
    quote: QuoteOut
    employment_contract: ContractOut | None
    dimona: DimonaOut | None
    salary_estimate: SalaryEstimate | None
    version: int | None
    closed_on: dt.date | None = None
    position: Position | None = None


class MemberRow(BaseModel):
    member_id: str
    first_name: str
    last_name: str
    email: str
    registered_on: dt.date


class ClientRow(BaseModel):
    client_id: str
    name: str
    email: str
    country: str
    vat_number: str | None
    registered_on: dt.date


class PrestationRow(BaseModel):
    prestation_id: str
    member_id: str
    client_id: str
    description: str
    status: str
    first_day: dt.date
    last_day: dt.date
    amount_excl_vat_cents: int
    total_cents: int
    quote_id: str
    contract_id: str
    encoded_on: dt.date


class ContractRow(BaseModel):
    contract_id: str
    prestation_id: str
    member_id: str
    status: Literal["awaiting-acceptance", "active", "cancelled"]
    first_day: dt.date
    last_day: dt.date
    less_than_a_day: bool
    days: Json[list[DayOut]]
    gross_cents: int


class DeclarationRow(BaseModel):
    declaration_id: str
    prestation_id: str
    member_id: str | None
    kind: Literal["IN", "UPDATE", "CANCEL"]
    status: Literal["pending", "accepted", "refused"]
    declared_on: dt.date
    answered_on: dt.date | None


class PageOut(BaseModel, Generic[Row]):
    items: list[Row]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page")
