"""What can be asked of an invoice. Facts from outside (today, the client, the rates valid that
day) are fields, so every decision is reproducible from its command."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from services.billing.domain.client import ClientFacts
from shared.events.billing import ClaimKind, DeliveryChannel
from shared.events.contracts import QuoteAccepted


@dataclass(frozen=True)
class IssueInvoice:
    invoice_id: str
    quote: QuoteAccepted
    client: ClientFacts
    issue_date: dt.date
    payment_term_days: int
    vat_rates: frozenset[str]


@dataclass(frozen=True)
class ApplyPayment:
    payment_id: str
    amount_cents: int
    received_on: dt.date
    structured_reference: str | None
    source: Literal["api", "bank-statement", "assigned"]


@dataclass(frozen=True)
class AddClaim:
    claim_id: str
    kind: ClaimKind
    description: str
    amount_cents: int
    added_on: dt.date


@dataclass(frozen=True)
class SendReminder:
    reminder_id: str
    level: int
    formal_notice: bool
    sent_on: dt.date
    pay_by: dt.date
    claims: tuple[AddClaim, ...] = ()  # added in the same append, so the reminder shows them


@dataclass(frozen=True)
class IssueCreditNote:
    credit_note_id: str
    reason: str
    amount_excl_vat_cents: int | None  # None: whatever remains of the invoice
    issue_date: dt.date


@dataclass(frozen=True)
class WriteOff:
    reason: str
    written_off_on: dt.date


@dataclass(frozen=True)
class RequestDelivery:
    delivery_id: str
    channel: DeliveryChannel
    recipient: str
    requested_on: dt.date


@dataclass(frozen=True)
class RecordDelivery:
    delivery_id: str
    delivered: bool
    reason: str | None
    on: dt.date


InvoiceCommand = (
    ApplyPayment | AddClaim | SendReminder | WriteOff | RequestDelivery | RecordDelivery
)
