"""An invoice's state (or one of its credit notes) as the `InvoiceDocument` every renderer reads.

Pure: the seller comes from `shared.parameters.cooperative()`, everything else from the events
folded into the state. An invoice document shows it as it stands now: claims added since it was
issued, and what was settled. The model has no field for what credit notes took off, so a
credited part is counted as settled (paid + credited) and each credit note is named among the
mentions: paid + outstanding still equals total + claims, and the reader sees why.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from services.billing.document_model import (
    Address,
    Buyer,
    Claim,
    InvoiceDocument,
    Line,
    ReminderDocument,
    Seller,
    ServiceDay,
    VatBreakdown,
)
from services.billing.domain.invoice import Invoice, invoice_decider
from shared.events.base import Envelope
from shared.events.billing import (
    BuyerSnapshot,
    CreditNoteIssued,
    InvoiceLine,
    ReminderSent,
    VatLine,
)
from shared.parameters import cooperative


class CreditNoteNotOnInvoice(LookupError):
    """The invoice has no credit note of that id."""


def seller() -> Seller:
    coop = cooperative()
    return Seller(
        name=coop.name,
        legal_form=coop.legal_form,
        address=Address(coop.street, coop.postal_code, coop.city, coop.country),
        enterprise_number=coop.enterprise_number,
        vat_number=coop.vat_number,
        register_of_legal_persons=coop.register_of_legal_persons,
        email=coop.email,
        iban=coop.iban,
        bic=coop.bic,
    )


def buyer(snapshot: BuyerSnapshot) -> Buyer:
    return Buyer(
        name=snapshot.name,
        address=Address(snapshot.street, snapshot.postal_code, snapshot.city, snapshot.country),
        vat_number=snapshot.vat_number,
        enterprise_number=snapshot.enterprise_number,
        email=snapshot.email,
        kind=snapshot.kind,
    )


def _lines(lines: tuple[InvoiceLine, ...]) -> tuple[Line, ...]:
    return tuple(
        Line(
            description=line.description,
            days=tuple(ServiceDay(day.date, Decimal(day.hours)) for day in line.days),
            amount_excl_vat_cents=line.amount_excl_vat_cents,
            vat_category=line.vat_category,
            vat_rate=Decimal(line.vat_rate),
        )
        for line in lines
    )


def _breakdown(rows: tuple[VatLine, ...]) -> tuple[VatBreakdown, ...]:
    return tuple(
        VatBreakdown(
            row.category, Decimal(row.rate), row.taxable_cents, row.vat_cents, row.exemption_reason
        )
        for row in rows
    )


def _credit_mention(note: CreditNoteIssued) -> str:
    amount = f"{note.total_cents // 100},{note.total_cents % 100:02d} EUR"
    return f"Note de crédit {note.number} du {note.issue_date:%d/%m/%Y} : {amount}"


def invoice_document(invoice: Invoice) -> InvoiceDocument:
    issued = invoice.issued
    claims = tuple(Claim(c.kind, c.description, c.amount_cents) for c in invoice.claims)
    settled = issued.total_cents + invoice.claims_cents - invoice.outstanding_cents
    mentions = (*issued.legal_mentions, *(_credit_mention(n) for n in invoice.credit_notes))
    return InvoiceDocument(
        kind="invoice",
        document_id=issued.invoice_id,
        number=issued.number,
        issue_date=issued.issue_date,
        due_date=issued.due_date,
        seller=seller(),
        buyer=buyer(issued.buyer),
        lines=_lines(issued.lines),
        vat_breakdown=_breakdown(issued.vat_breakdown),
        amount_excl_vat_cents=issued.amount_excl_vat_cents,
        vat_cents=issued.vat_cents,
        total_cents=issued.total_cents,
        paid_cents=settled,
        claims=claims,
        outstanding_cents=invoice.outstanding_cents,
        structured_reference=issued.structured_reference,
        legal_mentions=mentions,
        service_period=(issued.service_first_day, issued.service_last_day),
        prestation_id=issued.prestation_id,
    )


def credit_note(invoice: Invoice, credit_note_id: str) -> CreditNoteIssued:
    for note in invoice.credit_notes:
        if note.credit_note_id == credit_note_id:
            return note
    raise CreditNoteNotOnInvoice(credit_note_id)


def credit_note_document(invoice: Invoice, credit_note_id: str) -> InvoiceDocument:
    """A credit note: positive amounts (its kind says it credits), nothing to pay, and the
    invoice it corrects; the invoice's mentions (a reverse charge stays one) come with it."""
    issued, note = invoice.issued, credit_note(invoice, credit_note_id)
    return InvoiceDocument(
        kind="credit_note",
        document_id=note.credit_note_id,
        number=note.number,
        issue_date=note.issue_date,
        due_date=None,
        seller=seller(),
        buyer=buyer(issued.buyer),
        lines=_lines(note.lines),
        vat_breakdown=_breakdown(note.vat_breakdown),
        amount_excl_vat_cents=note.amount_excl_vat_cents,
        vat_cents=note.vat_cents,
        total_cents=note.total_cents,
        paid_cents=0,
        claims=(),
        outstanding_cents=note.total_cents,
        structured_reference=None,
        legal_mentions=issued.legal_mentions,
        service_period=(issued.service_first_day, issued.service_last_day),
        prestation_id=issued.prestation_id,
        credited_invoice_number=note.invoice_number,
        credited_invoice_issue_date=note.invoice_issue_date,
        reason=note.reason,
    )


class ReminderNotSent(LookupError):
    """The invoice has no reminder of that level."""


def reminder_document(envelopes: Sequence[Envelope], level: int) -> ReminderDocument:
    """The reminder of `level` as it was sent: the invoice folded up to that reminder, so what
    was paid or claimed later never changes a letter already sent."""
    state = invoice_decider.initial_state()
    for envelope in envelopes:
        state = invoice_decider.evolve(state, envelope.event)
        sent = envelope.event
        if isinstance(sent, ReminderSent) and sent.level == level and isinstance(state, Invoice):
            return ReminderDocument(
                reminder_id=sent.reminder_id,
                level=sent.level,
                formal_notice=sent.formal_notice,
                sent_on=sent.sent_on,
                pay_by=sent.pay_by,
                invoice=invoice_document(state),
                days_late=(sent.sent_on - state.issued.due_date).days,
            )
    raise ReminderNotSent(f"no reminder of level {level}")
