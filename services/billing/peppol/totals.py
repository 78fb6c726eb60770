"""Cent-exact arithmetic of a document, checked before it is published.

The EN 16931 rules leave slack: BR-CO-17 accepts a category's VAT up to one euro away from
base x rate, and PEPPOL-EN16931-R120 accepts two cents on a line. The cooperative's totals
must be exact (DOMAIN.md §2: integer cents, half-up), so the service runs this next to the
Peppol validator and refuses a document that fails either.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from services.billing.document_model import InvoiceDocument
from shared.money import apply_rate

_HUNDRED = Decimal(100)


def arithmetic_errors(document: InvoiceDocument) -> tuple[str, ...]:
    """Every sum of `document` that is not exact to the cent, as readable lines (empty: ok)."""
    errors: list[str] = []
    lines_total = sum(line.amount_excl_vat_cents for line in document.lines)
    if lines_total != document.amount_excl_vat_cents:
        errors.append(
            f"lines add up to {lines_total} cents, the document says "
            f"{document.amount_excl_vat_cents}"
        )
    bases: defaultdict[tuple[str, Decimal], int] = defaultdict(int)
    for line in document.lines:
        bases[(line.vat_category, line.vat_rate)] += line.amount_excl_vat_cents
    rows = {(row.category, row.rate): row for row in document.vat_breakdown}
    if set(rows) != set(bases) or len(rows) != len(document.vat_breakdown):
        errors.append("the VAT breakdown does not have one row per category and rate of the lines")
    for key, row in rows.items():
        if bases.get(key, 0) != row.taxable_cents:
            errors.append(
                f"{row.category} {row.rate} %: taxable {row.taxable_cents} cents, "
                f"lines {bases.get(key, 0)}"
            )
        expected = apply_rate(row.taxable_cents, row.rate / _HUNDRED)
        if row.vat_cents != expected:
            errors.append(
                f"{row.category} {row.rate} %: VAT {row.vat_cents} cents, {expected} at the rate"
            )
    vat_total = sum(row.vat_cents for row in document.vat_breakdown)
    if vat_total != document.vat_cents:
        errors.append(
            f"VAT rows add up to {vat_total} cents, the document says {document.vat_cents}"
        )
    if document.amount_excl_vat_cents + document.vat_cents != document.total_cents:
        errors.append(
            f"total {document.total_cents} cents is not {document.amount_excl_vat_cents} "
            f"+ {document.vat_cents}"
        )
    claims = sum(claim.amount_cents for claim in document.claims)
    if document.total_cents + claims - document.paid_cents != document.outstanding_cents:
        errors.append(
            f"outstanding {document.outstanding_cents} cents is not total + claims - paid"
        )
    return tuple(errors)
