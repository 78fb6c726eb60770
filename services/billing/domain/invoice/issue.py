"""Issuing an invoice and a credit note: each takes the next number of its series.

Both decide over two streams (the document's and the series'); the handler appends the two
lists atomically with `handle_many`.
"""

from __future__ import annotations

from datetime import timedelta

from services.billing.domain.client import buyer_of
from services.billing.domain.errors import (
    CreditExceedsInvoice,
    InvalidAmount,
    InvoiceClosed,
    InvoiceNotFound,
    VatRegimeRefused,
)
from services.billing.domain.invoice.commands import IssueCreditNote, IssueInvoice
from services.billing.domain.invoice.state import Invoice, InvoiceState, NoInvoice
from services.billing.domain.numbering import (
    Numbering,
    assign_credit_note_number,
    assign_invoice_number,
)
from services.billing.domain.reference import structured_reference
from services.billing.domain.vat import treatment
from shared.events.base import DomainEvent
from shared.events.billing import (
    CreditNoteIssued,
    CreditToRefund,
    InvoiceIssuanceRefused,
    InvoiceIssued,
    InvoiceLine,
    VatLine,
)
from shared.money import apply_rate, percent

Decided = tuple[list[DomainEvent], list[DomainEvent]]  # (document stream, series stream)


def issue_invoice(command: IssueInvoice, state: InvoiceState, series: Numbering) -> Decided:
    """The invoice of an accepted quote. Issuing it again changes nothing (the reaction may
    deliver the acceptance twice); a VAT regime that cannot be right is recorded as refused."""
    if isinstance(state, Invoice) or state.refused is not None:
        return [], []
    quote, client = command.quote, command.client
    try:
        regime = treatment(client.country, client.vat_number, quote.vat_rate, command.vat_rates)
    except VatRegimeRefused as refused:
        return [
            InvoiceIssuanceRefused(
                invoice_id=command.invoice_id,
                prestation_id=quote.prestation_id,
                quote_id=quote.quote_id,
                code=refused.code,
                detail=refused.detail,
                refused_on=command.issue_date,
            )
        ], []
    numbered = assign_invoice_number(series, command.invoice_id, command.issue_date)
    taxable = quote.amount_excl_vat_cents
    vat = regime.vat_on(taxable)
    line = InvoiceLine(
        description=quote.description,
        days=quote.days,
        amount_excl_vat_cents=taxable,
        vat_category=regime.category,
        vat_rate=regime.rate,
    )
    breakdown = VatLine(
        category=regime.category,
        rate=regime.rate,
        taxable_cents=taxable,
        vat_cents=vat,
        exemption_reason=regime.exemption_reason,
    )
    issued = InvoiceIssued(
        invoice_id=command.invoice_id,
        number=numbered.number,
        issue_date=command.issue_date,
        due_date=command.issue_date + timedelta(days=command.payment_term_days),
        payment_term_days=command.payment_term_days,
        prestation_id=quote.prestation_id,
        quote_id=quote.quote_id,
        member_id=quote.member_id,
        buyer=buyer_of(client),
        lines=(line,),
        vat_breakdown=(breakdown,),
        amount_excl_vat_cents=taxable,
        vat_cents=vat,
        total_cents=taxable + vat,
        structured_reference=structured_reference(numbered.year, numbered.sequence),
        legal_mentions=regime.mentions,
        service_first_day=quote.first_day,
        service_last_day=quote.last_day,
    )
    return [issued], [numbered]


def issue_credit_note(command: IssueCreditNote, state: InvoiceState, series: Numbering) -> Decided:
    """A credit note for `amount_excl_vat_cents` of the invoice (all that remains when None),
    at the invoice's rate. What the client already paid beyond what it now owes becomes a
    credit to refund."""
    if isinstance(state, NoInvoice):
        raise InvoiceNotFound("no invoice to credit")
    if any(note.credit_note_id == command.credit_note_id for note in state.credit_notes):
        return [], []
    if state.written_off is not None:
        raise InvoiceClosed("a written-off invoice is not credited")
    issued = state.issued
    remaining = issued.amount_excl_vat_cents - state.credited_excl_vat_cents
    if remaining <= 0:
        raise InvoiceClosed("the invoice is already credited in full")
    amount = remaining if command.amount_excl_vat_cents is None else command.amount_excl_vat_cents
    if amount <= 0:
        raise InvalidAmount("a credit note credits more than 0", field="amount_excl_vat_cents")
    if amount > remaining:
        raise CreditExceedsInvoice(
            f"{amount} cents is more than the {remaining} cents left to credit",
            field="amount_excl_vat_cents",
        )
    full = amount == remaining
    line = issued.lines[0]
    if full:  # the exact remainder, so a full credit leaves no cent of VAT behind
        vat = issued.vat_cents - sum(note.vat_cents for note in state.credit_notes)
    else:
        vat = apply_rate(amount, percent(line.vat_rate))
    numbered = assign_credit_note_number(series, command.credit_note_id, command.issue_date)
    note = CreditNoteIssued(
        credit_note_id=command.credit_note_id,
        number=numbered.number,
        invoice_id=issued.invoice_id,
        invoice_number=issued.number,
        invoice_issue_date=issued.issue_date,
        issue_date=command.issue_date,
        reason=command.reason,
        lines=(line.model_copy(update={"amount_excl_vat_cents": amount}),),
        vat_breakdown=(
            issued.vat_breakdown[0].model_copy(update={"taxable_cents": amount, "vat_cents": vat}),
        ),
        amount_excl_vat_cents=amount,
        vat_cents=vat,
        total_cents=amount + vat,
        full=full,
    )
    events: list[DomainEvent] = [note]
    owed_after = issued.total_cents - state.credited_cents - note.total_cents
    overpaid = state.principal_paid_cents - max(0, owed_after)
    notes = {n.credit_note_id for n in state.credit_notes}
    already_refunded = sum(r.amount_cents for r in state.refunds if r.payment_id in notes)
    if overpaid - already_refunded > 0:
        events.append(
            CreditToRefund(
                invoice_id=issued.invoice_id,
                payment_id=command.credit_note_id,
                client_id=issued.buyer.client_id,
                amount_cents=overpaid - already_refunded,
                recorded_on=command.issue_date,
            )
        )
    return events, [numbered]
