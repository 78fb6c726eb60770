"""The billing service's HTTP bodies: what comes in (with its bounds) and how an invoice, a
credit note or a payment goes out."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.billing.domain.invoice import Invoice
from services.billing.domain.payment import UnmatchedPayment
from shared.events.billing import CreditNoteIssued
from shared.http.inputs import IsoDate
from shared.parameters import limits

MAX_CENTS = limits().max_amount_cents * 2  # a price plus its VAT, at most
Reason = Field(min_length=1, max_length=500)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PaymentIn(_In):
    """Exactly one of `structured_reference` and `invoice_id`."""

    structured_reference: str | None = Field(None, min_length=1, max_length=40)
    invoice_id: str | None = Field(None, min_length=1, max_length=64)
    amount_cents: int = Field(gt=0, le=MAX_CENTS, strict=True)
    received_on: IsoDate

    @model_validator(mode="after")
    def one_target(self) -> PaymentIn:
        if (self.structured_reference is None) == (self.invoice_id is None):
            raise ValueError("give exactly one of structured_reference and invoice_id")
        return self


class AssignIn(_In):
    invoice_id: str = Field(min_length=1, max_length=64)


class RefundIn(_In):
    reason: str | None = Field(None, max_length=500)


class WriteOffIn(_In):
    reason: str = Reason


class CreditNoteIn(_In):
    reason: str = Reason
    amount_excl_vat_cents: int | None = Field(None, gt=0, le=MAX_CENTS, strict=True)


class ClaimOut(BaseModel):
    claim_id: str
    kind: str
    description: str
    amount_cents: int
    added_on: dt.date


class DeliveryOut(BaseModel):
    delivery_id: str
    channel: str
    recipient: str
    status: str
    detail: str | None


class InvoiceOut(BaseModel):
    invoice_id: str
    number: str
    prestation_id: str
    client_id: str
    member_id: str
    issue_date: dt.date
    due_date: dt.date
    amount_excl_vat_cents: int
    vat_cents: int
    total_cents: int
    paid_cents: int
    claims_cents: int
    credited_cents: int
    outstanding_cents: int
    status: str
    structured_reference: str
    legal_mentions: list[str]
    claims: list[ClaimOut]
    credit_note_ids: list[str]
    deliveries: list[DeliveryOut]
    delivery: DeliveryOut | None = None  # the invoice's own (credit notes' are in deliveries)
    version: int | None = None
    position: int | None = None


class InvoiceRow(BaseModel):
    invoice_id: str
    number: str
    prestation_id: str
    client_id: str
    member_id: str
    issue_date: dt.date
    due_date: dt.date
    amount_excl_vat_cents: int
    vat_cents: int
    total_cents: int
    paid_cents: int
    status: str
    structured_reference: str


class CreditNoteOut(BaseModel):
    credit_note_id: str
    number: str
    invoice_id: str
    invoice_number: str
    issue_date: dt.date
    reason: str
    amount_excl_vat_cents: int
    vat_cents: int
    total_cents: int
    full: bool
    position: int | None = None


class PaymentOut(BaseModel):
    payment_id: str
    invoice_id: str | None
    status: str
    amount_cents: int
    received_on: dt.date
    position: int | None = None


def invoice_body(invoice: Invoice, today: dt.date, version: int | None) -> dict[str, Any]:
    issued = invoice.issued
    return {
        "invoice_id": issued.invoice_id,
        "number": issued.number,
        "prestation_id": issued.prestation_id,
        "client_id": issued.buyer.client_id,
        "member_id": issued.member_id,
        "issue_date": issued.issue_date,
        "due_date": issued.due_date,
        "amount_excl_vat_cents": issued.amount_excl_vat_cents,
        "vat_cents": issued.vat_cents,
        "total_cents": issued.total_cents,
        "paid_cents": invoice.paid_cents,
        "claims_cents": invoice.claims_cents,
        "credited_cents": invoice.credited_cents,
        "outstanding_cents": invoice.outstanding_cents,
        "status": invoice.status(today),
        "structured_reference": issued.structured_reference,
        "legal_mentions": list(issued.legal_mentions),
        "claims": [claim.model_dump() for claim in invoice.claims],
        "credit_note_ids": [note.credit_note_id for note in invoice.credit_notes],
        "deliveries": [vars(d) for d in invoice.deliveries],
        "delivery": _own_delivery(invoice),
        "version": version,
    }


def _own_delivery(invoice: Invoice) -> dict[str, Any] | None:
    # `D<invoice_id>`: services.billing.delivery names each document's delivery after it.
    own = invoice.delivery(f"D{invoice.invoice_id}")
    return None if own is None else vars(own)


def credit_note_body(note: CreditNoteIssued) -> dict[str, Any]:
    return note.model_dump()


def unmatched_body(payment: UnmatchedPayment) -> dict[str, Any]:
    received = payment.received
    return {
        "payment_id": received.payment_id,
        "invoice_id": payment.assigned_to,
        "status": payment.status,
        "amount_cents": received.amount_cents,
        "received_on": received.received_on,
    }


class PageOut(BaseModel):
    items: list[InvoiceRow]
    next_cursor: str | None


# --- bank statements and reminders (POST /v1/bank-statements, GET …/reminders) ---------------


class MovementOut(BaseModel):
    sequence: str
    amount_cents: int  # credit positive
    value_date: dt.date
    entry_date: dt.date
    structured_reference: str | None
    communication: str | None
    counterparty_name: str | None
    counterparty_account: str | None
    payment_id: str | None
    matched_invoice_id: str | None


class StatementOut(BaseModel):
    statement_id: str
    format: str
    account_iban: str
    sequence: str
    statement_date: dt.date
    opening_balance_cents: int
    closing_balance_cents: int
    own_account: bool
    movements: list[MovementOut]


class StatementsOut(BaseModel):
    statements: list[StatementOut]


class ReminderOut(BaseModel):
    reminder_id: str
    level: int
    formal_notice: bool
    sent_on: dt.date
    pay_by: dt.date
    outstanding_cents: int
    claims: list[ClaimOut]  # the claims added with this reminder


class RemindersOut(BaseModel):
    invoice_id: str
    items: list[ReminderOut]
