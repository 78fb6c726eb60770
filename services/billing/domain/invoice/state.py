"""An invoice's state: not issued (perhaps refused), or issued with what happened since."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Literal

from shared.events.base import DomainEvent
from shared.events.billing import (
    CreditNoteIssued,
    CreditToRefund,
    InvoiceDelivered,
    InvoiceDeliveryFailed,
    InvoiceDeliveryRequested,
    InvoiceIssuanceRefused,
    InvoiceIssued,
    InvoicePaid,
    InvoiceWrittenOff,
    LateClaimAdded,
    PaymentReceived,
    ReminderSent,
)

DeliveryStatus = Literal["pending", "delivered", "failed"]


@dataclass(frozen=True)
class Delivery:
    delivery_id: str
    channel: str
    recipient: str
    status: DeliveryStatus
    detail: str | None = None


@dataclass(frozen=True)
class NoInvoice:
    refused: InvoiceIssuanceRefused | None = None


@dataclass(frozen=True)
class Invoice:
    issued: InvoiceIssued
    principal_paid_cents: int = 0
    claims: tuple[LateClaimAdded, ...] = ()
    claims_paid_cents: int = 0
    payments: tuple[PaymentReceived, ...] = ()
    refunds: tuple[CreditToRefund, ...] = ()
    reminders: tuple[ReminderSent, ...] = ()
    credit_notes: tuple[CreditNoteIssued, ...] = ()
    written_off: InvoiceWrittenOff | None = None
    paid_on: dt.date | None = None
    deliveries: tuple[Delivery, ...] = ()

    @property
    def invoice_id(self) -> str:
        return self.issued.invoice_id

    @property
    def credited_excl_vat_cents(self) -> int:
        return sum(note.amount_excl_vat_cents for note in self.credit_notes)

    @property
    def credited_cents(self) -> int:
        return sum(note.total_cents for note in self.credit_notes)

    @property
    def claims_cents(self) -> int:
        return sum(claim.amount_cents for claim in self.claims)

    @property
    def principal_due_cents(self) -> int:
        """What remains of the invoice itself (a credit note lowers it)."""
        return max(0, self.issued.total_cents - self.credited_cents - self.principal_paid_cents)

    @property
    def claims_due_cents(self) -> int:
        return self.claims_cents - self.claims_paid_cents

    @property
    def paid_cents(self) -> int:
        return self.principal_paid_cents + self.claims_paid_cents

    @property
    def outstanding_cents(self) -> int:
        return self.principal_due_cents + self.claims_due_cents

    @property
    def settled(self) -> bool:
        return self.paid_on is not None

    def status(self, today: dt.date) -> str:
        """Overdue is derived from the date, never stored: an invoice becomes overdue at
        midnight without anything being written."""
        if self.written_off is not None:
            return "written_off"
        if self.settled:
            return "paid"
        if self.principal_due_cents == 0 and self.claims_due_cents == 0:
            return "credited"
        if today > self.issued.due_date:
            return "overdue"
        return "issued"

    def delivery(self, delivery_id: str) -> Delivery | None:
        return next((d for d in self.deliveries if d.delivery_id == delivery_id), None)


InvoiceState = NoInvoice | Invoice


def _with_delivery(state: Invoice, delivery_id: str, **changes: object) -> Invoice:
    deliveries = tuple(
        replace(d, **changes) if d.delivery_id == delivery_id else d  # type: ignore[arg-type]
        for d in state.deliveries
    )
    return replace(state, deliveries=deliveries)


def evolve(state: InvoiceState, event: DomainEvent) -> InvoiceState:
    if isinstance(state, NoInvoice):
        match event:
            case InvoiceIssued():
                return Invoice(event)
            case InvoiceIssuanceRefused():
                return NoInvoice(event)
        return state
    match event:
        case PaymentReceived() as e:
            return replace(
                state,
                principal_paid_cents=state.principal_paid_cents + e.to_principal_cents,
                claims_paid_cents=state.claims_paid_cents + e.to_claims_cents,
                payments=(*state.payments, e),
            )
        case CreditToRefund() as e:
            return replace(state, refunds=(*state.refunds, e))
        case InvoicePaid() as e:
            return replace(state, paid_on=e.paid_on)
        case LateClaimAdded() as e:
            return replace(state, claims=(*state.claims, e))
        case ReminderSent() as e:
            return replace(state, reminders=(*state.reminders, e))
        case CreditNoteIssued() as e:
            return replace(state, credit_notes=(*state.credit_notes, e))
        case InvoiceWrittenOff() as e:
            return replace(state, written_off=e)
        case InvoiceDeliveryRequested() as e:
            delivery = Delivery(e.delivery_id, e.channel, e.recipient, "pending")
            return replace(state, deliveries=(*state.deliveries, delivery))
        case InvoiceDelivered() as e:
            return _with_delivery(state, e.delivery_id, status="delivered")
        case InvoiceDeliveryFailed() as e:
            return _with_delivery(state, e.delivery_id, status="failed", detail=e.reason)
    return state
