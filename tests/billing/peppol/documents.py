"""Hand-built billing documents for the Peppol tests: one per VAT regime the cooperative uses.

The seller is the cooperative of `parameters.toml`; totals are computed here the way the
invoice aggregate must (VAT per breakdown row, half-up to the cent), so a document is
consistent unless a test breaks it on purpose with `dataclasses.replace`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from fpdf import FPDF

from services.billing.document_model import (
    Address,
    Buyer,
    InvoiceDocument,
    Line,
    Seller,
    ServiceDay,
    VatBreakdown,
)
from shared.money import apply_rate
from shared.parameters import cooperative

ISSUE = dt.date(2026, 3, 16)
REVERSE_CHARGE = "Autoliquidation / Btw verlegd"
EXEMPT = "Exemption de TVA, article 44 du Code de la TVA"
OUTSIDE_SCOPE = "Hors du champ d'application de la TVA belge (article 21, § 2)"


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


def belgian_business(enterprise_number: str = "0403170701") -> Buyer:
    return Buyer(
        name="Atelier Lumière SRL",
        address=Address("Rue Haute 12", "1000", "Bruxelles", "BE"),
        vat_number=f"BE{enterprise_number}",
        enterprise_number=enterprise_number,
        email="compta@atelier-lumiere.example",
        kind="business",
    )


def french_business(vat_number: str = "FR40303265045") -> Buyer:
    return Buyer(
        name="Studio Garance SAS",
        address=Address("12 rue de la Paix", "75002", "Paris", "FR"),
        vat_number=vat_number,
        enterprise_number=None,
        email="factures@garance.example",
        kind="business",
    )


def swiss_business() -> Buyer:
    return Buyer(
        name="Bühne Zürich AG",
        address=Address("Bahnhofstrasse 1", "8001", "Zürich", "CH"),
        vat_number="CHE116281710",
        enterprise_number=None,
        email="buchhaltung@buehne.example",
        kind="business",
    )


def private_client() -> Buyer:
    return Buyer(
        name="Camille Dupont",
        address=Address("Avenue Louise 200", "1050", "Ixelles", "BE"),
        vat_number=None,
        enterprise_number=None,
        email="camille.dupont@example.org",
        kind="private",
    )


def structured_reference(base: int) -> str:
    """+++ddd/dddd/ddddd+++ from a 10-digit base: mod 97, 97 for 0."""
    check = base % 97 or 97
    digits = f"{base:010d}{check:02d}"
    return f"+++{digits[:3]}/{digits[3:7]}/{digits[7:]}+++"


def service_days(first: dt.date, count: int, hours: str = "7.6") -> tuple[ServiceDay, ...]:
    return tuple(ServiceDay(first + dt.timedelta(days=i), Decimal(hours)) for i in range(count))


def invoice(
    buyer: Buyer,
    *,
    amount_cents: int = 125_000,
    category: str = "S",
    rate: str = "21",
    days: int = 3,
    reason: str | None = None,
    mentions: tuple[str, ...] = (),
    paid_cents: int = 0,
) -> InvoiceDocument:
    vat_rate = Decimal(rate)
    vat = apply_rate(amount_cents, vat_rate / 100)
    worked = service_days(dt.date(2026, 3, 2), days)
    line = Line(
        description="Création lumière, spectacle « Nuit blanche »",
        days=worked,
        amount_excl_vat_cents=amount_cents,
        vat_category=category,  # type: ignore[arg-type]
        vat_rate=vat_rate,
    )
    row = VatBreakdown(category, vat_rate, amount_cents, vat, reason)  # type: ignore[arg-type]
    return InvoiceDocument(
        kind="invoice",
        document_id="inv-7f3a",
        number="2026-000123",
        issue_date=ISSUE,
        due_date=ISSUE + dt.timedelta(days=10),
        seller=seller(),
        buyer=buyer,
        lines=(line,),
        vat_breakdown=(row,),
        amount_excl_vat_cents=amount_cents,
        vat_cents=vat,
        total_cents=amount_cents + vat,
        paid_cents=paid_cents,
        claims=(),
        outstanding_cents=amount_cents + vat - paid_cents,
        structured_reference=structured_reference(2026000123),
        legal_mentions=mentions,
        service_period=(worked[0].date, worked[-1].date) if worked else (ISSUE, ISSUE),
        prestation_id="prs-2026-0042",
    )


def credit_note(original: InvoiceDocument, amount_cents: int | None = None) -> InvoiceDocument:
    """A credit note cancelling `original` in full, or `amount_cents` of its line."""
    (line,) = original.lines
    (row,) = original.vat_breakdown
    credited = line.amount_excl_vat_cents if amount_cents is None else amount_cents
    vat = apply_rate(credited, row.rate / 100)
    return InvoiceDocument(
        kind="credit_note",
        document_id="cn-19b2",
        number="NC-2026-000007",
        issue_date=original.issue_date + dt.timedelta(days=5),
        due_date=None,
        seller=original.seller,
        buyer=original.buyer,
        lines=(Line(line.description, line.days, credited, line.vat_category, line.vat_rate),),
        vat_breakdown=(VatBreakdown(row.category, row.rate, credited, vat, row.exemption_reason),),
        amount_excl_vat_cents=credited,
        vat_cents=vat,
        total_cents=credited + vat,
        paid_cents=0,
        claims=(),
        outstanding_cents=credited + vat,
        structured_reference=None,
        legal_mentions=original.legal_mentions,
        service_period=original.service_period,
        prestation_id=original.prestation_id,
        credited_invoice_number=original.number,
        credited_invoice_issue_date=original.issue_date,
        reason="Annulation partielle : un jour non presté" if amount_cents else "Annulation",
    )


def small_pdf(text: str = "Facture 2026-000123") -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text=text)
    return bytes(pdf.output())
