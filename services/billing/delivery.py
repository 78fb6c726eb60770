"""Delivery: an issued invoice or credit note is sent, with no call from anyone, and the
receiver's answer comes back on the invoice as an event.

A Belgian VAT-registered client gets the UBL through the Peppol access point (`0208:` and its
enterprise number); anyone else the PDF by e-mail. The reaction is at least once and each step
is idempotent on the delivery id `D<document id>`: the request is recorded first (the decider
ignores a second one), a delivery answered already is never sent again, and the outbox keeps one
row per delivery id. A crash anywhere replays into the same single send. A UBL that fails the
Peppol rules (or that cannot be checked) is not sent: the delivery is failed with the reason.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from services.billing.document_model import InvoiceDocument
from services.billing.domain.invoice import Invoice, RecordDelivery, RequestDelivery
from services.billing.handlers import BillingHandlers
from services.billing.publishing import Publisher, UblRefused, UblUnavailable
from services.billing.rendering import credit_note_document, invoice_document
from services.billing.transmission import BELGIAN_SCHEME, Outgoing, Transmission
from shared.events.base import Context, Envelope
from shared.events.billing import BuyerSnapshot, CreditNoteIssued, DeliveryChannel, InvoiceIssued
from shared.eventstore.relays import OutboxRelay

log = logging.getLogger(__name__)
ACTOR = "system:billing-delivery"
MAX_REASON = 1000


def delivery_id_of(document_id: str) -> str:
    return f"D{document_id}"


def route(buyer: BuyerSnapshot) -> tuple[DeliveryChannel, str]:
    """Peppol for a Belgian VAT-registered client (Belgian receivers are on the network),
    e-mail for everyone else."""
    if buyer.country == "BE" and buyer.vat_number and buyer.enterprise_number:
        return "peppol", f"{BELGIAN_SCHEME}:{buyer.enterprise_number}"
    return "email", buyer.email or ""


class DeliveryRelay(OutboxRelay):
    """InvoiceIssued / CreditNoteIssued → a transmission (a reaction); the transmissions'
    answers → InvoiceDelivered / InvoiceDeliveryFailed (a poll)."""

    def __init__(
        self,
        handlers: BillingHandlers,
        publisher: Publisher,
        transmissions: Mapping[DeliveryChannel, Transmission],
        checkpoint_db: Path | str,
        *,
        poll_interval: float = 1.0,
    ) -> None:
        self.handlers = handlers
        self.publisher = publisher
        self.transmissions = dict(transmissions)
        super().__init__(
            handlers.store, "billing-delivery", ("InvoiceIssued", "CreditNoteIssued"),
            checkpoint_db, poll_interval=poll_interval,
        )  # fmt: skip

    def react(self, envelope: Envelope) -> None:
        context = Context.new(ACTOR, self.handlers.clock.now()).caused_by(envelope)
        match envelope.event:
            case InvoiceIssued() as issued:
                self.deliver(issued.invoice_id, issued.invoice_id, context)
            case CreditNoteIssued() as note:
                self.deliver(note.invoice_id, note.credit_note_id, context)

    def deliver(self, invoice_id: str, document_id: str, context: Context) -> None:
        delivery_id = delivery_id_of(document_id)
        invoice = self.handlers.invoice(invoice_id).state
        known = invoice.delivery(delivery_id)
        if known is not None and known.status != "pending":
            return  # answered already (a replay): never sent twice
        channel, recipient = route(invoice.issued.buyer)
        if known is None:
            request = RequestDelivery(delivery_id, channel, recipient, self.handlers.clock.today())
            invoice = self._on(invoice_id, request, context)
        else:
            channel, recipient = known.channel, known.recipient  # type: ignore[assignment]
        document = self._document(invoice, document_id)
        try:
            rendered = (
                self.publisher.ubl(document)
                if channel == "peppol"
                else self.publisher.pdf(document)
            )
        except (UblRefused, UblUnavailable) as refused:
            reason = str(refused) if isinstance(refused, UblRefused) else refused.detail
            log.error("delivery %s not sent: %s", delivery_id, reason)
            failed = RecordDelivery(
                delivery_id, False, reason[:MAX_REASON], self.handlers.clock.today()
            )
            self._on(invoice_id, failed, context)
            return
        outgoing = Outgoing(
            delivery_id, invoice_id, document.number, recipient, rendered.body, rendered.filename,
            subject=f"client/{invoice.issued.buyer.client_id}",
        )  # fmt: skip
        self.transmissions[channel].send(outgoing)

    @staticmethod
    def _document(invoice: Invoice, document_id: str) -> InvoiceDocument:
        if document_id == invoice.invoice_id:
            return invoice_document(invoice)
        return credit_note_document(invoice, document_id)

    def _on(
        self, invoice_id: str, command: RequestDelivery | RecordDelivery, context: Context
    ) -> Invoice:
        handled = self.handlers.on_invoice(invoice_id, command, context)
        state = handled.state
        if not isinstance(state, Invoice):  # on_invoice found it issued
            raise LookupError(f"no invoice {invoice_id}")
        return state

    def record_answers(self) -> int:
        """Records every channel's answers on their invoices; an answer recorded already (a
        replay) changes nothing and is acknowledged all the same."""
        recorded = 0
        for channel, transmission in self.transmissions.items():
            answers = transmission.answers()
            for answer in answers:
                context = Context.new(f"system:{channel}", self.handlers.clock.now())
                command = RecordDelivery(
                    answer.delivery_id, answer.delivered, answer.reason, answer.answered_on
                )
                handled = self.handlers.on_invoice(answer.invoice_id, command, context)
                recorded += len(handled.events)
            transmission.acknowledge([answer.delivery_id for answer in answers])
        return recorded

    def stop(self) -> None:
        super().stop()
        # The outboxes close after the reaction and the poller that use them have stopped.
        for transmission in self.transmissions.values():
            transmission.close()
