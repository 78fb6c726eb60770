"""Governance's reactions to other contexts' events.

- Billing's unmatched money: a bank line whose structured reference is one of ours settles the
  share purchase it names. Billing knows nothing of shares; it publishes every credit movement
  it cannot match and governance recognises its own references. The payment id derives from
  billing's (`B<payment_id>`), so a replay finds it recorded and changes nothing. A line that
  would overpay is left to ops (it stays in billing's unmatched queue), never half-applied.
- Contracts' corrected member details: a holder's name and domicile on the register follow
  them from the day they were corrected (HolderDetailsCorrected names the correction's event,
  so a replay changes nothing).

Both at least once (ReactionRunner).
"""

from __future__ import annotations

import logging
from pathlib import Path

from services.governance.domain.shares import Overpayment, PurchaseNotFound, ShareholderNotFound
from services.governance.handlers import ShareHandlers
from services.governance.ids import bank_payment_id
from shared.events.base import Context, Envelope
from shared.events.billing import UnmatchedPaymentReceived
from shared.eventstore.reactions import ReactionPolicy, ReactionRunner

log = logging.getLogger(__name__)
ACTOR = "system:governance"


class SharePaymentPolicy(ReactionPolicy):
    def __init__(self, handlers: ShareHandlers, checkpoint_db: Path | str) -> None:
        self.handlers = handlers
        self.runner = ReactionRunner(
            handlers.store, "governance-share-payments", ("UnmatchedPaymentReceived",),
            self.react, checkpoint_db,
        )  # fmt: skip

    def react(self, envelope: Envelope) -> None:
        received = envelope.event
        if not isinstance(received, UnmatchedPaymentReceived):
            return
        # A reference typed in the free communication counts too (billing keeps one that names
        # no invoice there).
        reference = received.structured_reference or received.communication
        if reference is None:
            return
        numbered = self.handlers.purchase_by_reference(reference)
        if numbered is None:
            return  # not ours
        context = Context.new(ACTOR, self.handlers.clock.now()).caused_by(envelope)
        try:
            self.handlers.record_payment(
                numbered.member_id, numbered.purchase_id, received.amount_cents,
                received.received_on, context, payment_id=bank_payment_id(received.payment_id),
                source="bank-statement",
            )  # fmt: skip
        except (Overpayment, PurchaseNotFound) as refused:
            log.warning("bank payment %s left to ops: %s", received.payment_id, refused)


class HolderDetailsPolicy(ReactionPolicy):
    def __init__(self, handlers: ShareHandlers, checkpoint_db: Path | str) -> None:
        self.handlers = handlers
        self.runner = ReactionRunner(
            handlers.store, "governance-holder-details", ("MemberDetailsCorrected",),
            self.react, checkpoint_db,
        )  # fmt: skip

    def react(self, envelope: Envelope) -> None:
        context = Context.new(ACTOR, self.handlers.clock.now()).caused_by(envelope)
        try:
            self.handlers.follow_member_details(envelope, context)
        except ShareholderNotFound:
            return  # not a holder (any more): the register has nothing to follow
