"""What a billing document shows, as plain data: the one input of every renderer.

The invoice aggregate produces an `InvoiceDocument` (or a `ReminderDocument`); the HTML/PDF
renderer (`documents.py`) and the Peppol UBL renderer (`peppol/ubl.py`) read only this, so what
a person reads and what an access point receives can never disagree. Money is integer cents,
dates are Brussels business dates, rates are `Decimal` percentages (`Decimal("21")` for 21 %).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

DocumentKind = Literal["invoice", "credit_note"]

# EN 16931 VAT category codes (UNCL5305) the cooperative uses:
# S standard rate (21/12/6), E exempt (0 % on a domestic supply), AE reverse charge (EU business
# client), O outside the scope of VAT (client outside the EU).
VatCategory = Literal["S", "E", "AE", "O"]


@dataclass(frozen=True)
class Address:
    street: str | None  # one line; the whole free-text address when it could not be split
    postal_code: str | None
    city: str | None
    country: str  # ISO 3166-1 alpha-2


@dataclass(frozen=True)
class Seller:
    """The cooperative, from `[cooperative]` in parameters.toml."""

    name: str
    legal_form: str
    address: Address  # the registered seat
    enterprise_number: str  # 10 digits, Belgian (Peppol scheme 0208)
    vat_number: str  # "BE0123456749"
    register_of_legal_persons: str  # "RPM Bruxelles"
    email: str
    iban: str
    bic: str


@dataclass(frozen=True)
class Buyer:
    name: str
    address: Address
    vat_number: str | None  # with its country prefix, or None for a private client
    enterprise_number: str | None  # Belgian clients only (scheme 0208), derived from the VAT
    email: str | None
    kind: Literal["business", "private"]


@dataclass(frozen=True)
class ServiceDay:
    date: dt.date
    hours: Decimal


@dataclass(frozen=True)
class Line:
    """One invoiced prestation (the cooperative invoices one prestation per invoice)."""

    description: str
    days: tuple[ServiceDay, ...]  # the quantity the law asks for: days, with their hours
    amount_excl_vat_cents: int  # the line's net amount
    vat_category: VatCategory
    vat_rate: Decimal


@dataclass(frozen=True)
class VatBreakdown:
    """One row of the VAT summary: the taxable base and the tax at one category and rate."""

    category: VatCategory
    rate: Decimal
    taxable_cents: int
    vat_cents: int
    exemption_reason: str | None  # required by EN 16931 for E, AE and O


@dataclass(frozen=True)
class Claim:
    """A late-payment claim added to an invoice: interest or the flat compensation."""

    kind: Literal["interest", "flat_fee", "damages"]
    description: str
    amount_cents: int


@dataclass(frozen=True)
class InvoiceDocument:
    kind: DocumentKind
    document_id: str  # invoice_id or credit_note_id
    number: str  # "2026-000123"; credit notes have their own series
    issue_date: dt.date
    due_date: dt.date | None  # None on a credit note
    seller: Seller
    buyer: Buyer
    lines: tuple[Line, ...]
    vat_breakdown: tuple[VatBreakdown, ...]
    amount_excl_vat_cents: int  # Σ lines
    vat_cents: int  # Σ breakdown vat
    total_cents: int  # amount_excl_vat + vat
    paid_cents: int
    claims: tuple[Claim, ...]  # late-payment claims, paid before the principal
    outstanding_cents: int  # total + Σ claims - paid
    structured_reference: str | None  # "+++123/4567/89002+++" (None on a credit note)
    legal_mentions: tuple[str, ...]  # e.g. "Autoliquidation" / "Btw verlegd" for AE
    service_period: tuple[dt.date, dt.date]  # first and last day worked
    prestation_id: str
    # A credit note refers to the invoice it corrects (UBL BillingReference).
    credited_invoice_number: str | None = None
    credited_invoice_issue_date: dt.date | None = None
    reason: str | None = None  # why a credit note was issued
    currency: str = "EUR"


@dataclass(frozen=True)
class ReminderDocument:
    """A reminder or the formal notice for one overdue invoice."""

    reminder_id: str
    level: int  # 1, 2, 3…; the last level is the formal notice
    formal_notice: bool
    sent_on: dt.date
    pay_by: dt.date  # the new date to pay by (B2C: at least 14 days after the reminder)
    invoice: InvoiceDocument  # as it stands on `sent_on`, claims included
    days_late: int
