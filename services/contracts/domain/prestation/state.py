"""A prestation's state: encoded and quoted, accepted, or closed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from shared.events.contracts import (
    Actor,
    DimonaKind,
    Expense,
    SalaryEstimate,
    WorkDay,
)


@dataclass(frozen=True)
class Declaration:
    declaration_id: str
    kind: DimonaKind
    refers_to: str | None
    status: Literal["pending", "accepted", "refused"] = "pending"
    period_id: int | None = None


@dataclass(frozen=True)
class QuoteFacts:
    quote_id: str
    acceptance_token_sha256: str
    payment_term_days: int
    issued_on: dt.date


@dataclass(frozen=True)
class ContractFacts:
    contract_id: str
    niss: str
    days: tuple[WorkDay, ...]  # contract hours
    less_than_a_day: bool
    gross_per_day_cents: int
    daily_minimum_cents: int
    hourly_minimum: Decimal
    salary_estimate: SalaryEstimate
    drawn_up_on: dt.date


@dataclass(frozen=True)
class Prestation:
    """Everything known of a prestation, its quote, its contract and its DIMONA declarations.

    `quote` and `contract` are None only between the events of the encoding's single append.
    """

    prestation_id: str
    member_id: str
    client_id: str
    quote_id: str
    contract_id: str
    description: str
    days: tuple[WorkDay, ...]  # sorted by date, hours as encoded
    amount_excl_vat_cents: int
    vat_rate: str
    vat_cents: int
    total_cents: int
    expenses: tuple[Expense, ...]
    expenses_cents: int
    withholding_rate: str
    encoded_on: dt.date
    quote: QuoteFacts | None = None
    contract: ContractFacts | None = None
    declarations: tuple[Declaration, ...] = ()

    @property
    def first_day(self) -> dt.date:
        return self.days[0].date

    @property
    def last_day(self) -> dt.date:
        return self.days[-1].date

    @property
    def quote_valid_until(self) -> dt.date:
        """The last day to accept: the first day itself, so that a gig encoded for today can
        still be accepted before it begins (its DIMONA was declared at encoding)."""
        return self.first_day

    @property
    def niss(self) -> str:
        """The worker's NISS, as on the employment contract."""
        return self.contract.niss if self.contract else ""

    @property
    def current_in(self) -> Declaration | None:
        """The latest DIMONA IN: the one an UPDATE or CANCEL refers to."""
        return next((d for d in reversed(self.declarations) if d.kind == "IN"), None)


@dataclass(frozen=True)
class NoPrestation:
    @property
    def status(self) -> str:
        return "none"


@dataclass(frozen=True)
class Quoted:
    """Encoded; the quote waits for the client."""

    prestation: Prestation

    @property
    def status(self) -> str:
        return "quoted"


@dataclass(frozen=True)
class Accepted:
    prestation: Prestation
    accepted_by: Actor
    accepted_on: dt.date

    @property
    def status(self) -> str:
        return "accepted"


@dataclass(frozen=True)
class Closed:
    """Rejected, expired or cancelled: the contract is cancelled, nothing more can change."""

    prestation: Prestation
    outcome: Literal["rejected", "expired", "cancelled"]
    closed_on: dt.date

    @property
    def status(self) -> str:
        return self.outcome


PrestationState = NoPrestation | Quoted | Accepted | Closed
