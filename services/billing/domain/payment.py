"""A payment that matched no invoice (`payment-<payment_id>`): queued until ops assign it to
an invoice or mark it for refund. Money is never dropped: it stays here until one of both."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Literal, assert_never

from services.billing.domain.errors import InvoiceNotFound, PaymentAlreadySettled, PaymentNotFound
from services.billing.domain.invoice import ApplyPayment, Invoice, InvoiceState
from services.billing.domain.invoice.decide import apply_payment
from shared.decider import Decider
from shared.events.base import DomainEvent
from shared.events.billing import (
    PaymentAssigned,
    PaymentMarkedForRefund,
    UnmatchedPaymentReceived,
)


@dataclass(frozen=True)
class ReceiveUnmatched:
    payment_id: str
    amount_cents: int
    received_on: dt.date
    structured_reference: str | None
    communication: str | None
    counterparty_name: str | None
    counterparty_account: str | None
    source: Literal["api", "bank-statement"]


@dataclass(frozen=True)
class AssignPayment:
    invoice_id: str
    assigned_on: dt.date


@dataclass(frozen=True)
class MarkForRefund:
    reason: str | None
    marked_on: dt.date


PaymentCommand = ReceiveUnmatched | MarkForRefund


@dataclass(frozen=True)
class NoPayment:
    pass


@dataclass(frozen=True)
class UnmatchedPayment:
    received: UnmatchedPaymentReceived
    assigned_to: str | None = None
    refund: PaymentMarkedForRefund | None = None

    @property
    def status(self) -> str:
        if self.assigned_to is not None:
            return "assigned"
        return "to_refund" if self.refund is not None else "unmatched"


PaymentState = NoPayment | UnmatchedPayment


def _evolve(state: PaymentState, event: DomainEvent) -> PaymentState:
    match event:
        case UnmatchedPaymentReceived():
            return UnmatchedPayment(event)
        case PaymentAssigned() if isinstance(state, UnmatchedPayment):
            return replace(state, assigned_to=event.invoice_id)
        case PaymentMarkedForRefund() if isinstance(state, UnmatchedPayment):
            return replace(state, refund=event)
    return state


def _decide(command: PaymentCommand, state: PaymentState) -> list[DomainEvent]:
    match command:
        case ReceiveUnmatched():
            if isinstance(state, UnmatchedPayment):
                return []  # the same movement or request again
            return [
                UnmatchedPaymentReceived(
                    payment_id=command.payment_id,
                    amount_cents=command.amount_cents,
                    received_on=command.received_on,
                    structured_reference=command.structured_reference,
                    communication=command.communication,
                    counterparty_name=command.counterparty_name,
                    counterparty_account=command.counterparty_account,
                    source=command.source,
                )
            ]
        case MarkForRefund():
            payment = _waiting(state)
            return [
                PaymentMarkedForRefund(
                    payment_id=payment.received.payment_id,
                    reason=command.reason,
                    marked_on=command.marked_on,
                )
            ]
        case _:
            assert_never(command)


def _waiting(state: PaymentState) -> UnmatchedPayment:
    if not isinstance(state, UnmatchedPayment):
        raise PaymentNotFound("no such unmatched payment")
    if state.status != "unmatched":
        raise PaymentAlreadySettled(f"the payment is {state.status.replace('_', ' ')} already")
    return state


def assign_payment(
    command: AssignPayment, payment: PaymentState, invoice: InvoiceState
) -> tuple[list[DomainEvent], list[DomainEvent]]:
    """(payment stream, invoice stream): the assignment and the payment it makes, together."""
    waiting = _waiting(payment)
    if not isinstance(invoice, Invoice):
        raise InvoiceNotFound(f"no invoice {command.invoice_id}", field="invoice_id")
    received = waiting.received
    applied = apply_payment(
        ApplyPayment(
            payment_id=received.payment_id,
            amount_cents=received.amount_cents,
            received_on=received.received_on,
            structured_reference=received.structured_reference,
            source="assigned",
        ),
        invoice,
    )
    assigned = PaymentAssigned(
        payment_id=received.payment_id,
        invoice_id=command.invoice_id,
        assigned_on=command.assigned_on,
    )
    return [assigned], applied


payment_decider: Decider[PaymentCommand, PaymentState] = Decider(NoPayment, _decide, _evolve)
