"""Everything that happens to an issued invoice: payments, claims, reminders, write-off,
delivery. Each decision is idempotent on its own id (payment, claim, reminder, delivery), so
a reaction delivered twice or a retried request changes nothing the second time."""

from __future__ import annotations

from typing import assert_never

from services.billing.domain.errors import InvalidAmount, InvoiceClosed, InvoiceNotFound
from services.billing.domain.invoice.commands import (
    AddClaim,
    ApplyPayment,
    InvoiceCommand,
    RecordDelivery,
    RequestDelivery,
    SendReminder,
    WriteOff,
)
from services.billing.domain.invoice.state import Invoice, InvoiceState, NoInvoice, evolve
from shared.decider import Decider
from shared.events.base import DomainEvent
from shared.events.billing import (
    CreditToRefund,
    InvoiceDelivered,
    InvoiceDeliveryFailed,
    InvoiceDeliveryRequested,
    InvoicePaid,
    InvoiceWrittenOff,
    LateClaimAdded,
    PaymentReceived,
    ReminderSent,
)


def allocate(amount: int, claims_due: int, principal_due: int) -> tuple[int, int, int]:
    """(to claims, to principal, excess): the claims are paid before the principal (civil
    code art. 5.215: costs and interest first), what remains is owed back."""
    to_claims = min(amount, max(0, claims_due))
    to_principal = min(amount - to_claims, max(0, principal_due))
    return to_claims, to_principal, amount - to_claims - to_principal


def _issued(state: InvoiceState) -> Invoice:
    if not isinstance(state, Invoice):
        raise InvoiceNotFound("no such invoice")
    return state


def apply_payment(command: ApplyPayment, invoice: Invoice) -> list[DomainEvent]:
    if any(p.payment_id == command.payment_id for p in invoice.payments):
        return []
    if command.amount_cents <= 0:
        raise InvalidAmount("a payment is a positive amount", field="amount_cents")
    to_claims, to_principal, excess = allocate(
        command.amount_cents, invoice.claims_due_cents, invoice.principal_due_cents
    )
    issued = invoice.issued
    events: list[DomainEvent] = [
        PaymentReceived(
            invoice_id=issued.invoice_id,
            payment_id=command.payment_id,
            amount_cents=command.amount_cents,
            received_on=command.received_on,
            to_claims_cents=to_claims,
            to_principal_cents=to_principal,
            excess_cents=excess,
            structured_reference=command.structured_reference,
            source=command.source,
        )
    ]
    if excess:
        events.append(
            CreditToRefund(
                invoice_id=issued.invoice_id,
                payment_id=command.payment_id,
                client_id=issued.buyer.client_id,
                amount_cents=excess,
                recorded_on=command.received_on,
            )
        )
    settles = to_claims + to_principal == invoice.outstanding_cents
    if settles and not invoice.settled and invoice.written_off is None:
        events.append(
            InvoicePaid(
                invoice_id=issued.invoice_id,
                paid_on=command.received_on,
                paid_cents=invoice.paid_cents + to_claims + to_principal,
            )
        )
    return events


def _open(invoice: Invoice, what: str) -> None:
    if invoice.written_off is not None or invoice.settled or invoice.outstanding_cents == 0:
        raise InvoiceClosed(f"{invoice.issued.number} is closed: no {what}")


def add_claim(command: AddClaim, invoice: Invoice) -> list[DomainEvent]:
    if any(claim.claim_id == command.claim_id for claim in invoice.claims):
        return []
    _open(invoice, "claim")
    if command.amount_cents <= 0:
        raise InvalidAmount("a claim is a positive amount", field="amount_cents")
    return [
        LateClaimAdded(
            invoice_id=invoice.invoice_id,
            claim_id=command.claim_id,
            kind=command.kind,
            description=command.description,
            amount_cents=command.amount_cents,
            added_on=command.added_on,
        )
    ]


def send_reminder(command: SendReminder, invoice: Invoice) -> list[DomainEvent]:
    if any(r.reminder_id == command.reminder_id for r in invoice.reminders):
        return []
    _open(invoice, "reminder")
    events: list[DomainEvent] = []
    state: Invoice = invoice
    for claim in command.claims:
        for event in add_claim(claim, state):
            events.append(event)
            state = _fold(state, event)
    events.append(
        ReminderSent(
            invoice_id=invoice.invoice_id,
            reminder_id=command.reminder_id,
            level=command.level,
            formal_notice=command.formal_notice,
            sent_on=command.sent_on,
            pay_by=command.pay_by,
            outstanding_cents=state.outstanding_cents,
        )
    )
    return events


def _fold(invoice: Invoice, event: DomainEvent) -> Invoice:
    return _issued(evolve(invoice, event))


def write_off(command: WriteOff, invoice: Invoice) -> list[DomainEvent]:
    if invoice.written_off is not None:
        return []
    _open(invoice, "write-off")
    return [
        InvoiceWrittenOff(
            invoice_id=invoice.invoice_id,
            reason=command.reason,
            written_off_on=command.written_off_on,
            outstanding_cents=invoice.outstanding_cents,
        )
    ]


def request_delivery(command: RequestDelivery, invoice: Invoice) -> list[DomainEvent]:
    if invoice.delivery(command.delivery_id) is not None:
        return []
    return [
        InvoiceDeliveryRequested(
            invoice_id=invoice.invoice_id,
            delivery_id=command.delivery_id,
            channel=command.channel,
            recipient=command.recipient,
            requested_on=command.requested_on,
        )
    ]


def record_delivery(command: RecordDelivery, invoice: Invoice) -> list[DomainEvent]:
    delivery = invoice.delivery(command.delivery_id)
    if delivery is None or delivery.status != "pending":
        return []  # unknown, or answered already: an answer replayed changes nothing
    if command.delivered:
        delivered = InvoiceDelivered(
            invoice_id=invoice.invoice_id, delivery_id=command.delivery_id, delivered_on=command.on
        )
        return [delivered]
    return [
        InvoiceDeliveryFailed(
            invoice_id=invoice.invoice_id,
            delivery_id=command.delivery_id,
            reason=command.reason or "refused by the receiver",
            failed_on=command.on,
        )
    ]


def decide(command: InvoiceCommand, state: InvoiceState) -> list[DomainEvent]:
    invoice = _issued(state)
    match command:
        case ApplyPayment():
            return apply_payment(command, invoice)
        case AddClaim():
            return add_claim(command, invoice)
        case SendReminder():
            return send_reminder(command, invoice)
        case WriteOff():
            return write_off(command, invoice)
        case RequestDelivery():
            return request_delivery(command, invoice)
        case RecordDelivery():
            return record_delivery(command, invoice)
        case _:
            assert_never(command)


def _initial() -> InvoiceState:
    return NoInvoice()


invoice_decider: Decider[InvoiceCommand, InvoiceState] = Decider(_initial, decide, evolve)
