"""The fund follows billing: what a client pays after an advance reimburses it, a write-off or
a credit note after an advance is a loss, and a paid invoice contributes its fee share.

At least once (ReactionRunner), keyed by invoice so one invoice's events are handled in log
order. Settling recomputes the advance's fate from the invoice as it stands and appends only
the difference (expected version on fundpayment-<salary>): a replay, or a payment that raced
the advance, settles to the same cent. The advance itself triggers a settlement too, so a
payment recorded between the run's read of the invoice and its advance is never forgotten.
"""

from __future__ import annotations

import logging
from pathlib import Path

from services.guarantee_fund import projections
from services.guarantee_fund.handlers import FundHandlers
from shared.events.base import Context, Envelope
from shared.events.billing import CreditNoteIssued, InvoicePaid, InvoiceWrittenOff, PaymentReceived
from shared.events.guarantee_fund import GuaranteeFundAdvanced
from shared.eventstore.projections import ProjectionRunner
from shared.eventstore.reactions import ReactionPolicy, ReactionRunner, RetryLater

log = logging.getLogger(__name__)
ACTOR = "system:guarantee-fund"
BILLING_TYPES = ("PaymentReceived", "InvoicePaid", "CreditNoteIssued", "InvoiceWrittenOff")


class ViewBehind(RetryLater):
    """The fund's view has not reached the billing event yet: its advances may be missing."""


def by_invoice(envelope: Envelope) -> str:
    invoice_id = getattr(envelope.event, "invoice_id", None)
    return f"invoice:{invoice_id}" if invoice_id else envelope.stream


class SettlementPolicy(ReactionPolicy):
    def __init__(
        self, handlers: FundHandlers, views: ProjectionRunner, checkpoint_db: Path | str
    ) -> None:
        self.handlers = handlers
        self.views = views
        self.runner = ReactionRunner(
            handlers.store, "guarantee-fund-settlement", ("GuaranteeFundAdvanced", *BILLING_TYPES),
            self.react, checkpoint_db, key=by_invoice,
        )  # fmt: skip

    def react(self, envelope: Envelope) -> None:
        context = Context.new(ACTOR, self.handlers.clock.now()).caused_by(envelope)
        event = envelope.event
        if isinstance(event, GuaranteeFundAdvanced):
            if event.invoice_id is not None:
                self.handlers.settle(event.salary_id, event.invoice_id, context)
            return
        if not isinstance(
            event, PaymentReceived | InvoicePaid | CreditNoteIssued | InvoiceWrittenOff
        ):
            return
        invoice_id = event.invoice_id
        if not self.views.wait_for(envelope.position, timeout=5.0):
            raise ViewBehind(f"fund view behind position {envelope.position}")
        with self.views.read() as conn:
            salary_ids = projections.advanced_salaries_of(conn, invoice_id)
        for salary_id in salary_ids:
            self.handlers.settle(salary_id, invoice_id, context)
        if envelope.type == "InvoicePaid":
            self.handlers.contribute(invoice_id, context)
