"""The daily collection run: each overdue invoice gets the reminder its schedule says is due
today (`domain.collection.next_reminder`), with the late-payment claims it may carry
(`domain.collection.late_claims`) added in the same append.

Idempotent twice over: a reminder's id is its invoice and level (the invoice decider records
one reminder per id), and `next_reminder` answers nothing on the day a reminder was sent or
before its pay-by date. Running the day again, after a crash or in a second process, sends
nothing twice. Claims are added as differences: the interest claimed so far is subtracted, the
flat fee and damages are claimed once.
"""

from __future__ import annotations

import functools
import logging
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from services.billing.domain.collection import (
    Channel,
    LateClaims,
    ReminderDue,
    SentReminder,
    late_claims,
    next_reminder,
)
from services.billing.domain.invoice import AddClaim, Invoice, SendReminder, invoice_decider
from services.billing.handlers import BillingHandlers
from services.billing.ids import invoice_stream
from shared.decider import DomainError
from shared.events.base import Context, DomainEvent
from shared.events.billing import ClaimKind
from shared.eventstore.handling import Loaded, Part, handle_many
from shared.eventstore.projections import ProjectionRunner
from shared.parameters import Parameters, parameters_on

log = logging.getLogger(__name__)
ACTOR = "system:collection"


def reminder_id_of(invoice_id: str, level: int) -> str:
    return f"R{invoice_id}-{level}"


def sent_reminders(invoice: Invoice) -> tuple[SentReminder, ...]:
    return tuple(SentReminder(r.level, r.sent_on, r.pay_by) for r in invoice.reminders)


def principal_changes(invoice: Invoice) -> list[tuple[date, int]]:
    """(day, principal outstanding at the end of that day), from the issue date on: the total,
    lowered by the principal part of each payment and by each credit note on its day."""
    issued = invoice.issued
    lowered: dict[date, int] = {}
    for payment in invoice.payments:
        day = max(payment.received_on, issued.issue_date)
        lowered[day] = lowered.get(day, 0) + payment.to_principal_cents
    for note in invoice.credit_notes:
        day = max(note.issue_date, issued.issue_date)
        lowered[day] = lowered.get(day, 0) + note.total_cents
    balance, changes = issued.total_cents, [(issued.issue_date, issued.total_cents)]
    for day in sorted(lowered):
        balance = max(0, balance - lowered[day])
        if day == issued.issue_date:
            changes[0] = (day, balance)
        else:
            changes.append((day, balance))
    return changes


def _claimed(invoice: Invoice, kind: str) -> int:
    return sum(claim.amount_cents for claim in invoice.claims if claim.kind == kind)


def _new_claims(
    invoice: Invoice, due: ReminderDue, owed: LateClaims, today: date
) -> tuple[AddClaim, ...]:
    """What this reminder adds on top of what the invoice already claims."""
    wanted: list[tuple[str, ClaimKind, str, int]] = []
    interest = owed.interest_cents - _claimed(invoice, "interest")
    if due.claims_interest and interest > 0 and owed.interest_from is not None:
        period = f"du {owed.interest_from:%d/%m/%Y} au {today:%d/%m/%Y}"
        wanted.append(
            (f"interest-{due.level}", "interest", f"Intérêts de retard {period}", interest)
        )
    if due.claims_flat_fee and owed.flat_fee_cents > 0 and not _claimed(invoice, "flat_fee"):
        text = "Indemnité forfaitaire (loi du 2 août 2002, art. 6)"
        wanted.append(("flat_fee", "flat_fee", text, owed.flat_fee_cents))
    if due.claims_damages and owed.damages_cents > 0 and not _claimed(invoice, "damages"):
        text = "Dommages et intérêts (Code de droit économique, art. XIX.4)"
        wanted.append(("damages", "damages", text, owed.damages_cents))
    return tuple(AddClaim(i, kind, text, cents, today) for i, kind, text, cents in wanted)


def reminder_due(
    invoice: Invoice, today: date, params_on: Callable[[date], Parameters]
) -> SendReminder | None:
    """The reminder to send `today` on this invoice, claims included, or None. Pure."""
    if invoice.status(today) != "overdue":
        return None
    issued = invoice.issued
    kind = issued.buyer.kind
    history = sent_reminders(invoice)
    channel: Channel = "email" if issued.buyer.email else "post"
    due = next_reminder(kind, issued.due_date, history, today, params_on(today), channel=channel)
    if due is None:
        return None
    owed = late_claims(kind, issued.due_date, principal_changes(invoice), history, today, params_on)
    return SendReminder(
        reminder_id=reminder_id_of(issued.invoice_id, due.level),
        level=due.level,
        formal_notice=due.formal_notice,
        sent_on=today,
        pay_by=due.pay_by,
        claims=_new_claims(invoice, due, owed, today),
    )


@dataclass
class _Progress:
    last_day: date | None = None
    last_sent: int = 0
    sent_total: int = 0
    failures: int = 0


class CollectionRun:
    """Once a day on the service's clock: every overdue invoice (from the read model) is
    given its due reminder. The loop wakes every `interval` seconds and runs when the clock's
    date has changed since the last run (a simulated clock moved forward counts)."""

    def __init__(
        self,
        handlers: BillingHandlers,
        views: ProjectionRunner,
        overdue: Callable[[sqlite3.Connection, date], Sequence[str]],
        *,
        interval: float = 60.0,
    ) -> None:
        self.handlers = handlers
        self.views = views
        self.overdue = overdue
        self.interval = interval
        self._progress = _Progress()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="collection-run", daemon=True)

    def run_once(self) -> list[str]:
        """Today's run; the ids of the reminders it sent."""
        with self._lock:
            today = self.handlers.clock.today()
            self.views.wait_for(self.handlers.store.head())
            with self.views.read() as conn:
                invoice_ids = list(self.overdue(conn, today))
            params_on = functools.lru_cache(maxsize=None)(parameters_on)
            sent = []
            for invoice_id in invoice_ids:
                try:
                    reminder = self._remind(invoice_id, today, params_on)
                except (DomainError, ValueError):
                    # The view lagged behind a payment or a write-off, or the invoice's history
                    # is one the rules refuse: this one waits, the others go on.
                    self._progress.failures += 1
                    log.exception("no reminder for %s today", invoice_id)
                    continue
                if reminder is not None:
                    sent.append(reminder)
            self._progress.last_day = today
            self._progress.last_sent = len(sent)
            self._progress.sent_total += len(sent)
            return sent

    def _remind(
        self, invoice_id: str, today: date, params_on: Callable[[date], Parameters]
    ) -> str | None:
        context = Context.new(ACTOR, self.handlers.clock.now())
        sent: list[str] = []

        def decide(loaded: Sequence[Loaded[Any]]) -> list[list[DomainEvent]]:
            invoice = loaded[0].state
            command = (
                reminder_due(invoice, today, params_on) if isinstance(invoice, Invoice) else None
            )
            if command is None:
                return [[]]
            sent[:] = [command.reminder_id]
            return [list(invoice_decider.decide(command, invoice))]

        (handled,) = handle_many(
            self.handlers.store,
            [Part(invoice_stream(invoice_id), invoice_decider)],
            decide,
            context,
        )
        return sent[0] if sent and handled.events else None

    def _loop(self) -> None:
        while not self._stopping.wait(self.interval):
            if self._progress.last_day == self.handlers.clock.today():
                continue
            try:
                self.run_once()
            except Exception:
                self._progress.failures += 1
                log.exception("collection run failed; retrying at the next tick")

    def start(self) -> None:
        self._thread.start()

    def follow(self) -> None:
        """The background process runs collection: this one only reports."""

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.ident is not None:
            self._thread.join(timeout=10)

    def status(self) -> dict[str, object]:
        """This process's runs (none in the HTTP process when the background runs apart)."""
        progress = self._progress
        return {
            "collection": {
                "last_day": None if progress.last_day is None else progress.last_day.isoformat(),
                "last_sent": progress.last_sent,
                "sent_total": progress.sent_total,
                "failures": progress.failures,
            }
        }
