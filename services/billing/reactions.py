"""Policies of the billing service: an accepted quote is invoiced, a cancelled prestation's
invoice is credited, with no call from anyone.

Both are at least once (ReactionRunner): the invoice id derives from the prestation and the
credit note's from the invoice, so a replay after a crash or a duplicate delivery finds what
the first attempt appended and changes nothing.
"""

from __future__ import annotations

import logging
from pathlib import Path

from services.billing.domain.errors import NumberDatedBeforePrevious
from services.billing.domain.invoice import Invoice
from services.billing.handlers import BillingHandlers
from services.billing.ids import CANCELLATION_NOTE, invoice_id_of
from shared.events.base import Context, Envelope
from shared.events.contracts import PrestationCancelled, QuoteAccepted
from shared.eventstore.reactions import ReactionPolicy, ReactionRunner, RetryLater

log = logging.getLogger(__name__)
ACTOR = "system:billing"


class InvoiceNotYetDatable(RetryLater):
    """Today is before the last number's date (a clock set back): wait until it is not."""


class InvoicingPolicy(ReactionPolicy):
    """QuoteAccepted → the invoice; PrestationCancelled after acceptance → a full credit note
    (the prestation never started: the client owes nothing, what it paid is owed back)."""

    def __init__(self, handlers: BillingHandlers, checkpoint_db: Path | str) -> None:
        self.handlers = handlers
        self.runner = ReactionRunner(
            handlers.store, "billing-invoicing", ("QuoteAccepted", "PrestationCancelled"),
            self.react, checkpoint_db,
        )  # fmt: skip

    def react(self, envelope: Envelope) -> None:
        context = Context.new(ACTOR, self.handlers.clock.now()).caused_by(envelope)
        match envelope.event:
            case QuoteAccepted() as accepted:
                try:
                    self.handlers.issue_for_quote(accepted, context)
                except NumberDatedBeforePrevious as early:
                    raise InvoiceNotYetDatable(str(early)) from early
            case PrestationCancelled(was_accepted=True) as cancelled:
                self.credit_cancelled(cancelled, context)

    def credit_cancelled(self, cancelled: PrestationCancelled, context: Context) -> None:
        invoice_id = invoice_id_of(cancelled.prestation_id)
        state = self.handlers.invoice_state(invoice_id)
        if not isinstance(state, Invoice):
            return  # never issued (refused): nothing to credit
        remaining = state.issued.amount_excl_vat_cents - state.credited_excl_vat_cents
        if remaining <= 0 or state.written_off is not None:
            return  # credited already (a replay), or written off
        reason = "Prestation annulée avant son début"
        if cancelled.reason:
            reason = f"{reason} : {cancelled.reason}"
        try:
            self.handlers.credit(invoice_id, reason, None, context, note_suffix=CANCELLATION_NOTE)
        except NumberDatedBeforePrevious as early:
            raise InvoiceNotYetDatable(str(early)) from early
