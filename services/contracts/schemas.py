"""The contracts service's HTTP bodies: what comes in, and how a folded state goes out."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, Json, field_validator

from services.contracts.domain import (
    Accepted,
    Client,
    Closed,
    Day,
    ExpenseLine,
    Member,
    PrestationState,
    Quoted,
)
from services.contracts.handlers import PrestationDraft
from shared.events.contracts import SalaryEstimate, WorkDay
from shared.eventstore.port import Position

Row = TypeVar("Row", bound=BaseModel)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


Text = Annotated[str, Field(min_length=1)]  # required text: blank is refused like missing


class MemberIn(_In):
    first_name: Text
    last_name: Text
    email: Text
    niss: str = Field(
        min_length=1, description="National number (or BIS number), with or without separators"
    )
    iban: Text
    bic: str | None = None
    gender: Literal["F", "M", "X"]
    address: str | None = None


class MemberPatch(_In):
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    niss: str | None = None
    iban: str | None = None
    bic: str | None = None
    gender: Literal["F", "M", "X"] | None = None
    address: str | None = None


class ClientIn(_In):
    name: Text
    email: Text
    country: str = Field(min_length=2, max_length=2, description="ISO 3166 alpha-2, e.g. BE")
    vat_number: str | None = None
    address: str | None = None
    member_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="Staff only: the member whose client it is (default: the caller's member)",
    )


class ClientShareIn(_In):
    member_id: str = Field(min_length=1, max_length=64)


class ClientPatch(_In):
    name: str | None = None
    email: str | None = None
    country: str | None = None
    vat_number: str | None = None
    address: str | None = None


class DayIn(_In):
    date: dt.date
    hours: Decimal = Field(description="Hours worked that day (at most 2 decimals)")


class ExpenseIn(_In):
    description: Text
    amount_cents: int


def _rate_text(value: object) -> object:
    # Rates are percentages as text ("21"); a bare number is accepted the same way.
    return str(value) if isinstance(value, int | float | Decimal) else value


class PrestationIn(_In):
    member_id: Text
    client_id: Text
    description: Text
    days: list[DayIn]
    amount_excl_vat_cents: int
    vat_rate: str = Field(description='VAT rate in percent: "21", "12", "6" or "0"')
    expenses: list[ExpenseIn] = []
    withholding_rate: str = Field(description='Withholding tax rate in percent, e.g. "22"')

    _rates = field_validator("vat_rate", "withholding_rate", mode="before")(_rate_text)

    def draft(self) -> PrestationDraft:
        return PrestationDraft(
            member_id=self.member_id,
            client_id=self.client_id,
            description=self.description,
            days=days_of(self.days),
            amount_excl_vat_cents=self.amount_excl_vat_cents,
            vat_rate=self.vat_rate,
            withholding_rate=self.withholding_rate,
            expenses=tuple(ExpenseLine(e.description, e.amount_cents) for e in self.expenses),
        )


def days_of(days: list[DayIn]) -> tuple[Day, ...]:
    return tuple(Day(day.date, day.hours) for day in days)


class AmendIn(_In):
    days: list[DayIn]


class ReasonIn(_In):
    reason: str | None = None


class QuoteAnswerIn(_In):
    acceptance_token: str | None = Field(
        default=None, description="The client's token; ops may answer without one"
    )
    reason: str | None = None


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
    assert contract is not None
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
    assert isinstance(state, Quoted | Accepted | Closed)
    return state


# -- what goes out (documented in the OpenAPI document) -------------------------------------


class DayOut(BaseModel):
    date: dt.date
    hours: float


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
    expenses: list[ExpenseIn]
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
