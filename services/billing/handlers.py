"""Command handling for the billing service: load streams → decide → append.

An invoice and its number are appended together (`handle_many`), as are a credit note and its
number, an assigned payment and the invoice it pays, a bank statement and every payment it
brings. Ids are derived (`services.billing.ids`), never looked up beside the log.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from services.billing.domain.client import ClientFacts, client_reader
from services.billing.domain.errors import InvoiceNotFound
from services.billing.domain.invoice import (
    ApplyPayment,
    Invoice,
    InvoiceCommand,
    InvoiceState,
    IssueCreditNote,
    IssueInvoice,
    WriteOff,
    invoice_decider,
    issue_credit_note,
    issue_invoice,
)
from services.billing.domain.numbering import numbering_decider
from services.billing.domain.payment import (
    AssignPayment,
    MarkForRefund,
    PaymentState,
    ReceiveUnmatched,
    assign_payment,
    payment_decider,
)
from services.billing.domain.reference import InvalidStructuredReference
from services.billing.ids import (
    client_stream,
    credit_note_id_of,
    credit_note_numbers_stream,
    invoice_id_of,
    invoice_numbers_stream,
    invoice_stream,
    number_of_reference,
    payment_id_for,
    payment_stream,
)
from services.billing.statement_import import ImportedStatement, StatementImporter
from services.billing.statements import BankStatement
from shared.clock import Clock
from shared.decider import DomainError
from shared.events.base import Context, DomainEvent
from shared.events.billing import InvoiceNumberAssigned
from shared.events.contracts import QuoteAccepted
from shared.eventstore.codec import decode
from shared.eventstore.handling import Handled, Loaded, Part, handle, handle_many, load
from shared.eventstore.port import EventStore
from shared.parameters import cooperative, parameters_on


class ClientNotKnownYet(DomainError):
    """The client's stream has no ClientRegistered (it is always written before a quote)."""

    code = "client-not-found"
    status = 404


@dataclass(frozen=True)
class PaymentOutcome:
    payment_id: str
    invoice_id: str | None
    status: Literal["matched", "unmatched"]
    handled: Handled[Any]


class BillingHandlers:
    def __init__(self, store: EventStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    # -- reading -----------------------------------------------------------------------------

    def invoice(self, invoice_id: str) -> Loaded[Invoice]:
        loaded = load(self.store, invoice_stream(invoice_id), invoice_decider)
        if not isinstance(loaded.state, Invoice):
            raise InvoiceNotFound(f"no invoice {invoice_id}")
        return loaded  # type: ignore[return-value]  # narrowed just above

    def invoice_state(self, invoice_id: str) -> InvoiceState:
        return load(self.store, invoice_stream(invoice_id), invoice_decider).state

    def payment(self, payment_id: str) -> Loaded[PaymentState]:
        return load(self.store, payment_stream(payment_id), payment_decider)

    def invoice_by_reference(self, reference: str) -> str | None:
        """The invoice a structured reference was derived from: the numbering stream's event
        at that sequence names it (always current, no projection to wait for)."""
        try:
            year, sequence = number_of_reference(reference)
        except InvalidStructuredReference:
            return None
        found = self.store.read_stream(invoice_numbers_stream(year), from_version=sequence - 1)
        if not found:
            return None
        event = decode(found[0]).event
        if not isinstance(event, InvoiceNumberAssigned) or event.sequence != sequence:
            return None
        return event.invoice_id

    # -- issuing -----------------------------------------------------------------------------

    def issue_for_quote(self, quote: QuoteAccepted, context: Context) -> Handled[InvoiceState]:
        """The invoice of an accepted quote, dated today, numbered in today's year."""
        invoice_id = invoice_id_of(quote.prestation_id)
        today = self.clock.today()
        parameters = parameters_on(today)

        def decide(loaded: Sequence[Loaded[Any]]) -> list[list[DomainEvent]]:
            invoice, series, client = (part.state for part in loaded)
            if isinstance(invoice, Invoice):
                return [[], [], []]
            if not isinstance(client, ClientFacts):
                raise ClientNotKnownYet(f"no client {quote.client_id}")
            command = IssueInvoice(
                invoice_id, quote, client, today, parameters.payment_term_days,
                parameters.vat_rates,
            )  # fmt: skip
            events, numbers = issue_invoice(command, invoice, series)
            return [events, numbers, []]

        handled, _, _ = handle_many(
            self.store,
            [
                Part(invoice_stream(invoice_id), invoice_decider),
                Part(invoice_numbers_stream(today.year), numbering_decider),
                Part(client_stream(quote.client_id), client_reader),
            ],
            decide,
            context,
        )
        return handled

    def credit(
        self,
        invoice_id: str,
        reason: str,
        amount_excl_vat_cents: int | None,
        context: Context,
        *,
        note_suffix: str | None = None,
    ) -> Handled[InvoiceState]:
        today = self.clock.today()
        self.invoice(invoice_id)  # 404 before anything else

        def decide(loaded: Sequence[Loaded[Any]]) -> list[list[DomainEvent]]:
            invoice, series = (part.state for part in loaded)
            count = len(invoice.credit_notes) if isinstance(invoice, Invoice) else 0
            note_id = credit_note_id_of(invoice_id, note_suffix or count + 1)
            command = IssueCreditNote(note_id, reason, amount_excl_vat_cents, today)
            events, numbers = issue_credit_note(command, invoice, series)
            return [events, numbers]

        handled, _ = handle_many(
            self.store,
            [
                Part(invoice_stream(invoice_id), invoice_decider),
                Part(credit_note_numbers_stream(today.year), numbering_decider),
            ],
            decide,
            context,
        )
        return handled

    # -- everything else on an invoice --------------------------------------------------------

    def on_invoice(
        self,
        invoice_id: str,
        command: InvoiceCommand | Callable[[InvoiceState], InvoiceCommand],
        context: Context,
    ) -> Handled[InvoiceState]:
        self.invoice(invoice_id)
        return handle(self.store, invoice_stream(invoice_id), invoice_decider, command, context)

    def write_off(self, invoice_id: str, reason: str, context: Context) -> Handled[InvoiceState]:
        return self.on_invoice(invoice_id, WriteOff(reason, self.clock.today()), context)

    # -- payments ------------------------------------------------------------------------------

    def receive_payment(
        self,
        amount_cents: int,
        received_on: dt.date,
        context: Context,
        *,
        invoice_id: str | None = None,
        reference: str | None = None,
    ) -> PaymentOutcome:
        """A payment by invoice id (which must exist) or by structured reference (matched when
        it names an invoice, queued as unmatched otherwise: money is never refused)."""
        payment_id = payment_id_for(context)
        if invoice_id is None and reference is not None:
            invoice_id = self.invoice_by_reference(reference)
        if invoice_id is not None:
            command = ApplyPayment(payment_id, amount_cents, received_on, reference, "api")
            handled = self.on_invoice(invoice_id, command, context)
            applied = handled.events[0] if handled.events else None
            paid_id = getattr(applied, "payment_id", payment_id)
            return PaymentOutcome(paid_id, invoice_id, "matched", handled)
        unmatched = ReceiveUnmatched(
            payment_id, amount_cents, received_on, None, reference, None, None, "api"
        )
        queued = handle(self.store, payment_stream(payment_id), payment_decider, unmatched, context)
        stored = getattr(queued.state, "received", None)
        return PaymentOutcome(getattr(stored, "payment_id", payment_id), None, "unmatched", queued)

    def assign(self, payment_id: str, invoice_id: str, context: Context) -> Handled[PaymentState]:
        command = AssignPayment(invoice_id, self.clock.today())

        def decide(loaded: Sequence[Loaded[Any]]) -> list[list[DomainEvent]]:
            payment, invoice = (part.state for part in loaded)
            on_payment, on_invoice = assign_payment(command, payment, invoice)
            return [on_payment, on_invoice]

        handled, _ = handle_many(
            self.store,
            [
                Part(payment_stream(payment_id), payment_decider),
                Part(invoice_stream(invoice_id), invoice_decider),
            ],
            decide,
            context,
        )
        return handled

    def mark_for_refund(
        self, payment_id: str, reason: str | None, context: Context
    ) -> Handled[PaymentState]:
        command = MarkForRefund(reason, self.clock.today())
        return handle(self.store, payment_stream(payment_id), payment_decider, command, context)

    # -- bank statements -----------------------------------------------------------------------

    def import_statements(
        self, statements: Sequence[BankStatement], context: Context
    ) -> list[ImportedStatement]:
        """Every statement of a file and the payments it brings, in one append (or none)."""
        importer = StatementImporter(
            self.store, self.clock, self.invoice_by_reference, cooperative().own_accounts
        )
        return importer.import_statements(statements, context)
