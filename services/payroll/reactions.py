"""The payroll policy: an accepted quote schedules its salary, an amendment reschedules it, a
cancellation cancels it, with no call from anyone.

At least once (ReactionRunner, keyed by the prestation stream so one prestation's events keep
their order): the salary id derives from the prestation id and the decider answers a replay
with nothing, so a crash or a duplicate delivery never schedules a salary twice.
"""

from __future__ import annotations

import logging
from pathlib import Path

from services.payroll.domain.salary import SalaryAlreadyPaid, SalaryIsCancelled
from services.payroll.handlers import PayrollHandlers
from shared.events.base import Context, Envelope
from shared.events.contracts import PrestationAmended, PrestationCancelled, QuoteAccepted
from shared.eventstore.reactions import ReactionPolicy, ReactionRunner

log = logging.getLogger(__name__)
ACTOR = "system:payroll"
REACTS_TO = ("QuoteAccepted", "PrestationAmended", "PrestationCancelled")


class SchedulingPolicy(ReactionPolicy):
    def __init__(self, handlers: PayrollHandlers, checkpoint_db: Path | str) -> None:
        self.handlers = handlers
        self.runner = ReactionRunner(
            handlers.store, "payroll-scheduling", REACTS_TO, self.react, checkpoint_db
        )

    def react(self, envelope: Envelope) -> None:
        context = Context.new(ACTOR, self.handlers.clock.now()).caused_by(envelope)
        try:
            match envelope.event:
                case QuoteAccepted() as accepted:
                    self.handlers.schedule_for_quote(accepted, context)
                case PrestationAmended() as amended:
                    self.handlers.reschedule_for_amendment(amended, context)
                case PrestationCancelled() as cancelled:
                    self.handlers.cancel_for_prestation(cancelled, context)
        except (SalaryAlreadyPaid, SalaryIsCancelled) as final:
            # The money has left (or nothing is owed): retrying would never succeed.
            log.warning("payroll ignores %s on %s: %s", envelope.type, envelope.stream, final)
