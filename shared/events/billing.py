"""Events of the billing context: invoices, their numbers, payments, collection, delivery.

Streams:
- `invoice-<invoice_id>`: InvoiceIssued, then everything that happens to that invoice
  (payments applied to it, claims, reminders, credit notes, write-off, delivery);
- `invoicenumbers-<year>` / `creditnotenumbers-<year>`: one InvoiceNumberAssigned /
  CreditNoteNumberAssigned per number, appended atomically with the document that takes it,
  so a number is never skipped nor given twice (no hyphen inside a category);
- `payment-<payment_id>`: a payment that matched no invoice (UnmatchedPaymentReceived) and what
  ops did with it (PaymentAssigned, PaymentMarkedForRefund);
- `bankstatement-<statement_id>`: BankStatementImported, one per statement ever imported.

Conventions as in `shared.events.contracts`: integer cents in `_cents` fields, `date`s, rates as
percentage strings ("21"), ids as strings. The invoice id is `I<prestation_id>`: one invoice
per accepted quote, whatever happens to the reaction that issues it.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.events.base import DomainEvent, event
from shared.events.contracts import ClientText, PercentText, WorkDay
from shared.events.personal import OF_INVOICE, OF_PAYER, OF_STATEMENT, NotPersonal

VatCategoryCode = Literal["S", "E", "AE", "O"]
BuyerKind = Literal["business", "private"]
ClaimKind = Literal["interest", "flat_fee", "damages"]
DeliveryChannel = Literal["peppol", "email"]


class _Part(BaseModel):
    """A value inside an event (not an event itself)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class BuyerSnapshot(_Part):
    """The client as it stood when the invoice was issued (the invoice never changes after)."""

    client_id: str
    name: ClientText
    street: ClientText | None
    postal_code: ClientText | None
    city: ClientText | None
    country: str
    vat_number: str | None
    enterprise_number: str | None  # Belgian clients: the 10 digits of the VAT number
    email: ClientText | None
    kind: BuyerKind


class InvoiceLine(_Part):
    description: str
    days: tuple[WorkDay, ...]
    amount_excl_vat_cents: int
    vat_category: VatCategoryCode
    vat_rate: PercentText


class VatLine(_Part):
    """One row of the VAT summary: the base and the tax at one category and rate."""

    category: VatCategoryCode
    rate: PercentText
    taxable_cents: int
    vat_cents: int
    exemption_reason: str | None


# --- invoicenumbers-<year> / creditnotenumbers-<year> -----------------------------------------


@event
class InvoiceNumberAssigned(DomainEvent):
    """Stream invoicenumbers-<year>. `sequence` counts from 1 within the year, without gaps."""

    year: int
    sequence: int
    number: str
    invoice_id: str
    issue_date: dt.date


@event
class CreditNoteNumberAssigned(DomainEvent):
    """Stream creditnotenumbers-<year>: the credit notes' own series."""

    year: int
    sequence: int
    number: str
    credit_note_id: str
    issue_date: dt.date


# --- invoice-<invoice_id> ----------------------------------------------------------------------


@event
class InvoiceIssued(DomainEvent):
    """Everything the invoice shows (Royal Decree no. 1 art. 5); the seller is the
    cooperative of `shared.parameters.cooperative()`."""

    invoice_id: str
    number: str
    issue_date: dt.date
    due_date: dt.date
    payment_term_days: int
    prestation_id: str
    quote_id: str
    member_id: str
    buyer: BuyerSnapshot
    lines: tuple[InvoiceLine, ...]
    vat_breakdown: tuple[VatLine, ...]
    amount_excl_vat_cents: int
    vat_cents: int
    total_cents: int
    structured_reference: str
    legal_mentions: tuple[str, ...]
    service_first_day: dt.date
    service_last_day: dt.date


@event
class InvoiceIssuanceRefused(DomainEvent):
    """The accepted quote cannot be invoiced as it stands (a VAT regime that cannot be right):
    recorded so ops see it, instead of a reaction retrying forever."""

    invoice_id: str
    prestation_id: str
    quote_id: str
    code: str
    detail: str
    refused_on: dt.date


@event
class PaymentReceived(DomainEvent):
    """Money received for an invoice. `to_claims_cents` settles late-payment claims first,
    `to_principal_cents` the invoice, `excess_cents` goes to a CreditToRefund."""

    invoice_id: str
    payment_id: str
    amount_cents: int = Field(gt=0)
    received_on: dt.date
    to_claims_cents: int
    to_principal_cents: int
    excess_cents: int
    structured_reference: str | None
    source: Literal["api", "bank-statement", "assigned"]


@event
class InvoicePaid(DomainEvent):
    """The invoice, claims included, is settled in full."""

    invoice_id: str
    paid_on: dt.date
    paid_cents: int


@event
class CreditToRefund(DomainEvent):
    """Money received beyond what the invoice asked: owed back to the client, never lost."""

    invoice_id: str
    payment_id: str
    client_id: str
    amount_cents: int = Field(gt=0)
    recorded_on: dt.date


@event
class LateClaimAdded(DomainEvent):
    """A late-payment claim on the invoice: interest (law of 2 August 2002), the flat
    compensation, or for a private client capped damages (Code of economic law book XIX)."""

    invoice_id: str
    claim_id: str
    kind: ClaimKind
    description: str
    amount_cents: int = Field(gt=0)
    added_on: dt.date


@event
class ReminderSent(DomainEvent):
    invoice_id: str
    reminder_id: str
    level: int = Field(ge=1)
    formal_notice: bool
    sent_on: dt.date
    pay_by: dt.date
    outstanding_cents: int


@event
class CreditNoteIssued(DomainEvent):
    """A credit note cancelling the invoice in full or in part (never a deletion)."""

    credit_note_id: str
    number: str
    invoice_id: str
    invoice_number: str
    invoice_issue_date: dt.date
    issue_date: dt.date
    reason: str
    lines: tuple[InvoiceLine, ...]
    vat_breakdown: tuple[VatLine, ...]
    amount_excl_vat_cents: int
    vat_cents: int
    total_cents: int
    full: bool


@event
class InvoiceWrittenOff(DomainEvent):
    """Collection failed: the unpaid part is a loss (the guarantee fund absorbs the salary)."""

    invoice_id: str
    reason: str
    written_off_on: dt.date
    outstanding_cents: int


@event
class InvoiceDeliveryRequested(DomainEvent):
    invoice_id: str
    delivery_id: str
    channel: DeliveryChannel
    # A Peppol participant id (0208:…) or an e-mail address.
    recipient: Annotated[str, OF_INVOICE]
    requested_on: dt.date


@event
class InvoiceDelivered(DomainEvent):
    invoice_id: str
    delivery_id: str
    delivered_on: dt.date


@event
class InvoiceDeliveryFailed(DomainEvent):
    invoice_id: str
    delivery_id: str
    reason: str
    failed_on: dt.date


# --- payment-<payment_id> ----------------------------------------------------------------------


@event
class UnmatchedPaymentReceived(DomainEvent):
    """Money that matches no invoice: kept in a queue for ops."""

    payment_id: str
    amount_cents: int = Field(gt=0)
    received_on: dt.date
    structured_reference: str | None
    communication: str | None
    counterparty_name: Annotated[str, OF_PAYER] | None
    counterparty_account: Annotated[str, OF_PAYER] | None
    source: Literal["api", "bank-statement"]


@event
class PaymentAssigned(DomainEvent):
    """Ops assigned an unmatched payment to an invoice (its PaymentReceived is in the same
    append, on the invoice's stream)."""

    payment_id: str
    invoice_id: str
    assigned_on: dt.date


@event
class PaymentMarkedForRefund(DomainEvent):
    payment_id: str
    reason: str | None
    marked_on: dt.date


# --- bankstatement-<statement_id> --------------------------------------------------------------


class StatementMovement(_Part):
    sequence: str
    amount_cents: int
    value_date: dt.date
    entry_date: dt.date
    structured_reference: str | None
    communication: str | None
    counterparty_name: Annotated[str, OF_STATEMENT] | None
    counterparty_account: Annotated[str, OF_STATEMENT] | None
    payment_id: str | None
    matched_invoice_id: str | None


@event
class BankStatementImported(DomainEvent):
    statement_id: str
    format: Literal["coda", "camt.053"]
    account_iban: Annotated[str, NotPersonal("the cooperative's own account")]
    sequence: str
    statement_date: dt.date
    opening_balance_cents: int
    closing_balance_cents: int
    movements: tuple[StatementMovement, ...]
    own_account: bool
    imported_on: dt.date
