"""The wording of billing documents, shared by the HTML and the PDF renderer.

Pure functions of the document model: every label, every formatted figure and every row of
the totals is made here once, so the HTML page and the PDF can never say different things.
French by default, Dutch on request. Nothing here decides what is owed: the claims, the legal
mentions and the exemption reasons are read from the document, never computed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from services.billing.document_model import (
    Address,
    Buyer,
    Claim,
    InvoiceDocument,
    Line,
    ReminderDocument,
    Seller,
    VatCategory,
)
from services.billing.documents_labels import Labels, Language
from shared.money import format_eur

NBSP = "\u00a0"
EN_DASH = "\u2013"  # between two dates; in cp1252, so the PDF prints it too


def eur(cents: int, language: Language) -> str:
    """Belgian notation: "1.210,00 €" in French, "€ 1.210,00" in Dutch (no-break spaces)."""
    figure = format_eur(cents).replace(",", " ").replace(".", ",").replace(" ", ".")
    return f"{figure}{NBSP}€" if language == "fr" else f"€{NBSP}{figure}"


def date(day: dt.date) -> str:
    return f"{day:%d/%m/%Y}"


def decimal(value: Decimal) -> str:
    """7.50 → "7,5": a Belgian decimal comma, no trailing zeros."""
    text = format(value.normalize(), "f")
    return text.replace(".", ",")


def percent(rate: Decimal) -> str:
    """The model's rates are percentages already: Decimal("21") → "21 %"."""
    return f"{decimal(rate)}{NBSP}%"


def enterprise_number(digits: str) -> str:
    """ "0123456749" → "0123.456.749", the way the BCE/KBO writes it."""
    if len(digits) == 10 and digits.isdigit():
        return f"{digits[:4]}.{digits[4:7]}.{digits[7:]}"
    return digits


def vat_number(number: str) -> str:
    """A Belgian VAT number as "BE 0123.456.749"; any other as given."""
    if number.upper().startswith("BE") and len(number) == 12:
        return f"BE {enterprise_number(number[2:])}"
    return number


def iban(number: str) -> str:
    """Groups of four, as printed for people to type: "BE71 0961 2345 6769"."""
    compact = number.replace(" ", "")
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def address_lines(address: Address) -> list[str]:
    city = " ".join(part for part in (address.postal_code, address.city) if part)
    lines = [part for part in (address.street, city) if part]
    if address.country != "BE":
        lines.append(address.country)
    return lines


def seller_lines(seller: Seller, words: Labels) -> list[str]:
    """Name, legal form, seat, enterprise number, register and VAT (Code of companies 2:20)."""
    return [
        f"{seller.name}, {seller.legal_form}",
        *address_lines(seller.address),
        f"{words.enterprise} {enterprise_number(seller.enterprise_number)}"
        f" · {seller.register_of_legal_persons}",
        f"{words.vat} {vat_number(seller.vat_number)}",
        seller.email,
    ]


def buyer_lines(buyer: Buyer, words: Labels) -> list[str]:
    lines = [buyer.name, *address_lines(buyer.address)]
    if buyer.vat_number:
        lines.append(f"{words.vat} {vat_number(buyer.vat_number)}")
    return lines


def document_title(document: InvoiceDocument, words: Labels) -> str:
    kind = words.credit_note if document.kind == "credit_note" else words.invoice
    return f"{kind} {document.number}"


def reminder_title(reminder: ReminderDocument, words: Labels) -> str:
    return words.formal_notice if reminder.formal_notice else f"{words.reminder} {reminder.level}"


def meta_rows(document: InvoiceDocument, words: Labels) -> list[tuple[str, str]]:
    """The header facts: number, dates, the period worked."""
    first, last = document.service_period
    period = date(first) if first == last else f"{date(first)} {EN_DASH} {date(last)}"
    dated = words.credit_note_date if document.kind == "credit_note" else words.issue_date
    rows = [(words.number, document.number), (dated, date(document.issue_date))]
    if document.due_date is not None:
        rows.append((words.due_date, date(document.due_date)))
    rows.append((words.service_period, period))
    return rows


def total_hours(line: Line) -> Decimal:
    return sum((day.hours for day in line.days), Decimal(0))


def quantity(line: Line, words: Labels) -> str:
    """ "2 jour(s), 16 h": the days worked and their hours, the quantity the law asks for."""
    return f"{len(line.days)} {words.days}, {decimal(total_hours(line))}{NBSP}{words.hours_short}"


def line_rows(document: InvoiceDocument, words: Labels, language: Language) -> list[list[str]]:
    return [
        [
            line.description,
            quantity(line, words),
            percent(line.vat_rate),
            eur(line.amount_excl_vat_cents, language),
        ]
        for line in document.lines
    ]


def category_name(category: VatCategory, words: Labels) -> str:
    return words.categories[category]


def vat_rows(document: InvoiceDocument, words: Labels, language: Language) -> list[list[str]]:
    return [
        [
            category_name(row.category, words),
            percent(row.rate),
            eur(row.taxable_cents, language),
            eur(row.vat_cents, language),
        ]
        for row in document.vat_breakdown
    ]


def exemption_reasons(document: InvoiceDocument) -> list[str]:
    """The reasons of E, AE and O rows, once each, unless already among the legal mentions."""
    reasons: list[str] = []
    for row in document.vat_breakdown:
        reason = row.exemption_reason
        if reason and reason not in reasons and reason not in document.legal_mentions:
            reasons.append(reason)
    return reasons


@dataclass(frozen=True)
class AmountRow:
    label: str
    amount: str
    detail: str | None = None
    strong: bool = False


def claim_row(claim: Claim, words: Labels, language: Language) -> AmountRow:
    label = words.claim_kinds.get(claim.kind, claim.kind)
    detail = claim.description if claim.description and claim.description != label else None
    return AmountRow(label, eur(claim.amount_cents, language), detail)


def total_rows(document: InvoiceDocument, words: Labels, language: Language) -> list[AmountRow]:
    """Net, VAT, total; then the claims added under the total, paid so far and what is left."""
    credit_note = document.kind == "credit_note"
    rows = [
        AmountRow(words.total_excl_vat, eur(document.amount_excl_vat_cents, language)),
        AmountRow(words.total_vat, eur(document.vat_cents, language)),
        AmountRow(
            words.total_credited if credit_note else words.total_incl_vat,
            eur(document.total_cents, language),
            strong=True,
        ),
    ]
    if credit_note:
        return rows
    rows.extend(claim_row(claim, words, language) for claim in document.claims)
    if document.paid_cents:
        rows.append(AmountRow(words.paid, eur(-document.paid_cents, language)))
    if document.claims or document.paid_cents:
        rows.append(
            AmountRow(words.outstanding, eur(document.outstanding_cents, language), strong=True)
        )
    return rows


def reminder_rows(reminder: ReminderDocument, words: Labels, language: Language) -> list[AmountRow]:
    invoice = reminder.invoice
    rows = [AmountRow(words.invoice_total, eur(invoice.total_cents, language))]
    rows.extend(claim_row(claim, words, language) for claim in invoice.claims)
    if invoice.paid_cents:
        rows.append(AmountRow(words.paid, eur(-invoice.paid_cents, language)))
    rows.append(AmountRow(words.outstanding, eur(invoice.outstanding_cents, language), strong=True))
    return rows


def principal_outstanding_cents(invoice: InvoiceDocument) -> int:
    """What is left of the invoice's own total: the claims are paid before the principal (see
    `document_model.Claim`), so a payment reaches the principal only once they are settled."""
    return max(0, min(invoice.total_cents, invoice.outstanding_cents))


def payment_rows(
    document: InvoiceDocument, words: Labels, language: Language, pay_by: dt.date | None
) -> list[tuple[str, str]]:
    """How to pay: the amount, the date, the account and the structured reference."""
    rows: list[tuple[str, str]] = []
    if pay_by is not None:
        rows.append((words.pay_by, date(pay_by)))
    rows.append((words.outstanding, eur(document.outstanding_cents, language)))
    rows.append((words.iban, iban(document.seller.iban)))
    rows.append((words.bic, document.seller.bic))
    if document.structured_reference:
        rows.append((words.reference, document.structured_reference))
    return rows


def credit_note_lines(document: InvoiceDocument, words: Labels) -> list[str]:
    lines: list[str] = []
    if document.credited_invoice_number:
        credited_on = document.credited_invoice_issue_date
        lines.append(
            words.credits_invoice.format(
                number=document.credited_invoice_number,
                date=date(credited_on) if credited_on else "—",
            )
        )
    if document.reason:
        lines.append(f"{words.reason}{words.colon} {document.reason}")
    return lines


def reminder_paragraphs(reminder: ReminderDocument, words: Labels, language: Language) -> list[str]:
    """What the letter says, in order; the B2C "free of charge" sentence on a first reminder to
    a private client that claims nothing (the claims come from the document)."""
    invoice = reminder.invoice
    due = invoice.due_date or invoice.issue_date
    paragraphs = [
        words.reminder_concerns.format(
            number=invoice.number,
            date=date(invoice.issue_date),
            due=date(due),
            days=reminder.days_late,
        )
    ]
    if reminder.formal_notice:
        paragraphs.append(words.formal_notice_intro.format(pay_by=date(reminder.pay_by)))
    else:
        paragraphs.append(words.reminder_intro)
    paragraphs.append(
        words.reminder_request.format(
            amount=eur(invoice.outstanding_cents, language), pay_by=date(reminder.pay_by)
        )
    )
    if is_free_first_reminder(reminder):
        paragraphs.append(words.first_reminder_free)
    if reminder.formal_notice:
        paragraphs.append(words.formal_notice_consequence)
    return paragraphs


def is_free_first_reminder(reminder: ReminderDocument) -> bool:
    return (
        reminder.invoice.buyer.kind == "private"
        and reminder.level == 1
        and not reminder.formal_notice
        and not reminder.invoice.claims
    )
