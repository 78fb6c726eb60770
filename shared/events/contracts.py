"""Events of the contracts context: members, clients, prestations, quotes, contracts, DIMONA.

Streams: `member-<member_id>` (MemberRegistered, MemberDetailsCorrected, FreePrestationUsed),
`client-<client_id>` (ClientRegistered, ClientDetailsCorrected), `prestation-<prestation_id>`
(every other event here: the quote, the employment contract and the DIMONA declarations of a
prestation live in its stream).

Conventions: money is integer cents in `_cents` fields; dates are `date`; hours are `Decimal`
with at most 2 places (7.48); rates are percentage strings as people write them ("21", "6.5",
"17.15"), the same strings the API takes. Reacting services (billing, payroll) need only
PrestationEncoded, QuoteAccepted, PrestationAmended and PrestationCancelled: the commercial
terms are copied onto them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.events.base import DomainEvent, event
from shared.events.personal import OF_CLIENT, OF_MEMBER

Hours = Annotated[Decimal, Field(ge=0, le=24, max_digits=4, decimal_places=2)]
PercentText = Annotated[str, Field(pattern=r"^\d{1,3}(\.\d{1,4})?$")]
Gender = Literal["F", "M", "X"]
Actor = Literal["client", "ops"]
DimonaKind = Literal["IN", "UPDATE", "CANCEL"]
MemberText = Annotated[str, OF_MEMBER]
ClientText = Annotated[str, OF_CLIENT]


class _Part(BaseModel):
    """A value inside an event (not an event itself)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class WorkDay(_Part):
    """A day of a prestation and its hours (worked hours, or contract hours on a contract)."""

    date: dt.date
    hours: Hours


class Expense(_Part):
    description: str
    amount_cents: int = Field(ge=0)


class SalaryEstimate(_Part):
    """The figures of DOMAIN.md §2 (shared.salary.SalaryBreakdown), in cents."""

    amount_excl_vat_cents: int
    vat_cents: int
    total_cents: int
    fee_cents: int
    expenses_cents: int
    budget_cents: int
    gross_cents: int
    employer_contributions_cents: int
    holiday_contributions_cents: int
    employee_contributions_cents: int
    taxable_cents: int
    withholding_cents: int
    net_cents: int


# --- member-<member_id> ------------------------------------------------------------------------


@event
class MemberRegistered(DomainEvent):
    """Stream member-<member_id>. Identifiers are stored compact and validated."""

    member_id: str
    first_name: MemberText
    last_name: MemberText
    email: MemberText
    niss: MemberText
    iban: MemberText
    bic: str | None
    gender: Gender
    address: MemberText | None
    registered_on: dt.date


@event
class MemberDetailsCorrected(DomainEvent):
    """Stream member-<member_id>. Only the corrected fields are set; None means unchanged."""

    member_id: str
    first_name: MemberText | None = None
    last_name: MemberText | None = None
    email: MemberText | None = None
    niss: MemberText | None = None
    iban: MemberText | None = None
    bic: str | None = None
    gender: Gender | None = None
    address: MemberText | None = None
    corrected_on: dt.date


@event
class FreePrestationUsed(DomainEvent):
    """Stream member-<member_id> (decided by the prestation decider, appended to the member's
    stream with its expected version so two concurrent encodings cannot both take the last free
    use). `use_number` counts from 1 within `year`."""

    member_id: str
    prestation_id: str
    year: int
    use_number: int


@event
class FreePrestationReturned(DomainEvent):
    """Stream member-<member_id>. A prestation that will not be worked (cancelled, its quote
    rejected or expired) gives back the free use it took, in the year it was taken."""

    member_id: str
    prestation_id: str
    year: int
    reason: Literal["prestation-cancelled", "quote-rejected", "quote-expired"]
    returned_on: dt.date


# --- client-<client_id> ------------------------------------------------------------------------


@event
class ClientRegistered(DomainEvent):
    """Stream client-<client_id>. `vat_number` is normalised ("BE0123456749")."""

    client_id: str
    name: ClientText
    email: ClientText
    country: str
    vat_number: str | None
    address: ClientText | None
    registered_on: dt.date
    # The member whose client it is (a member registered it, or staff did for that member);
    # None for a client of the cooperative's own register, which only staff use.
    member_id: str | None = None


@event
class ClientSharedWithMember(DomainEvent):
    """Stream client-<client_id>. Staff let another member invoice this client too."""

    client_id: str
    member_id: str
    shared_on: dt.date


@event
class ClientDetailsCorrected(DomainEvent):
    """Stream client-<client_id>. Only the corrected fields are set; None means unchanged."""

    client_id: str
    name: ClientText | None = None
    email: ClientText | None = None
    country: str | None = None
    vat_number: str | None = None
    address: ClientText | None = None
    corrected_on: dt.date


# --- prestation-<prestation_id> ----------------------------------------------------------------


@event
class PrestationEncoded(DomainEvent):
    """A member encoded a prestation; the quote, contract and DIMONA follow in the same append."""

    prestation_id: str
    member_id: str
    client_id: str
    quote_id: str
    contract_id: str
    description: str
    days: tuple[WorkDay, ...]
    first_day: dt.date
    last_day: dt.date
    amount_excl_vat_cents: int
    vat_rate: PercentText
    vat_cents: int
    total_cents: int
    expenses: tuple[Expense, ...]
    expenses_cents: int
    withholding_rate: PercentText
    encoded_on: dt.date


@event
class QuoteIssued(DomainEvent):
    """The quote sent to the client. Only the SHA-256 (hex) of the acceptance token is kept."""

    quote_id: str
    prestation_id: str
    member_id: str
    client_id: str
    description: str
    days: tuple[WorkDay, ...]
    amount_excl_vat_cents: int
    vat_rate: PercentText
    vat_cents: int
    total_cents: int
    payment_term_days: int
    valid_until: dt.date
    acceptance_token_sha256: str
    issued_on: dt.date


@event
class EmploymentContractDrawnUp(DomainEvent):
    """The employment contract for the prestation's days.

    `days` carry the contract hours: the encoded hours, or for a contract of less than a day
    (gross per day under the daily minimum) gross per day ÷ hourly minimum, to the hundredth.
    """

    contract_id: str
    prestation_id: str
    member_id: str
    niss: MemberText
    description: str
    days: tuple[WorkDay, ...]
    less_than_a_day: bool
    gross_per_day_cents: int
    daily_minimum_cents: int
    hourly_minimum: Decimal
    withholding_rate: PercentText
    salary_estimate: SalaryEstimate
    drawn_up_on: dt.date


@event
class DimonaDeclared(DomainEvent):
    """A DIMONA declaration handed to the ONSS adapter; `payload` is the REST request body.

    UPDATE and CANCEL refer to the IN they change (`refers_to_declaration_id`); when that IN has
    no ONSS period id yet, the payload lacks `periodId` and the adapter adds it (see
    services.contracts.dimona.with_period_id) once the IN is accepted.
    """

    declaration_id: str
    prestation_id: str
    contract_id: str
    kind: DimonaKind
    refers_to_declaration_id: str | None
    hours_per_day: Decimal | None
    payload: Annotated[dict[str, Any], OF_MEMBER]  # the worker's NISS is in it
    declared_on: dt.date
    member_id: str | None = None  # whose NISS the payload carries


@event
class DimonaAccepted(DomainEvent):
    """ONSS accepted a declaration (result A, or W: accepted with warnings)."""

    declaration_id: str
    prestation_id: str
    result: Literal["A", "W"]
    period_id: int | None
    anomalies: tuple[str, ...] = ()
    answered_on: dt.date


@event
class DimonaRefused(DomainEvent):
    """ONSS refused a declaration (result B)."""

    declaration_id: str
    prestation_id: str
    anomalies: tuple[str, ...]
    answered_on: dt.date


@event
class QuoteAccepted(DomainEvent):
    """The client (with its token) or ops accepted the quote.

    Carries the commercial terms so billing (invoice) and payroll (salary, deadline after
    `last_day`) can react to this event alone.
    """

    quote_id: str
    prestation_id: str
    contract_id: str
    member_id: str
    client_id: str
    accepted_by: Actor
    accepted_on: dt.date
    description: str
    days: tuple[WorkDay, ...]
    first_day: dt.date
    last_day: dt.date
    amount_excl_vat_cents: int
    vat_rate: PercentText
    vat_cents: int
    total_cents: int
    expenses: tuple[Expense, ...]
    expenses_cents: int
    withholding_rate: PercentText
    payment_term_days: int


@event
class QuoteRejected(DomainEvent):
    quote_id: str
    prestation_id: str
    rejected_by: Actor
    reason: str | None
    rejected_on: dt.date


@event
class QuoteExpired(DomainEvent):
    """No acceptance before the first day."""

    quote_id: str
    prestation_id: str
    expired_on: dt.date


@event
class PrestationAmended(DomainEvent):
    """New days (dates or hours) before the prestation started; the price is unchanged."""

    prestation_id: str
    member_id: str
    client_id: str
    days: tuple[WorkDay, ...]
    first_day: dt.date
    last_day: dt.date
    amended_on: dt.date


@event
class EmploymentContractAmended(DomainEvent):
    """The contract after a PrestationAmended: new contract days, estimate on the new dates."""

    contract_id: str
    prestation_id: str
    days: tuple[WorkDay, ...]
    less_than_a_day: bool
    gross_per_day_cents: int
    daily_minimum_cents: int
    hourly_minimum: Decimal
    salary_estimate: SalaryEstimate
    amended_on: dt.date


@event
class EmploymentContractCancelled(DomainEvent):
    contract_id: str
    prestation_id: str
    reason: Literal["quote-rejected", "quote-expired", "prestation-cancelled"]
    cancelled_on: dt.date


@event
class PrestationCancelled(DomainEvent):
    """Cancelled before it started, whether or not the quote was accepted."""

    prestation_id: str
    member_id: str
    client_id: str
    quote_id: str
    was_accepted: bool
    cancelled_by: str
    reason: str | None
    cancelled_on: dt.date
