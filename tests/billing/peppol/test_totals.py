"""The cent-exact check of a document's sums, one broken sum at a time."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from services.billing.document_model import Claim, Line, VatBreakdown
from services.billing.peppol import arithmetic_errors
from tests.billing.peppol import documents as docs


def test_a_consistent_document_has_no_error() -> None:
    document = docs.invoice(docs.belgian_business(), amount_cents=100_005, rate="6")
    assert arithmetic_errors(document) == ()
    assert arithmetic_errors(docs.credit_note(document, 33_333)) == ()


def test_lines_that_do_not_add_up_are_named() -> None:
    document = docs.invoice(docs.belgian_business())
    broken = dataclasses.replace(document, amount_excl_vat_cents=124_999)
    assert "lines add up to 125000 cents, the document says 124999" in arithmetic_errors(broken)


def test_a_line_at_a_rate_without_its_breakdown_row_is_named() -> None:
    document = docs.invoice(docs.belgian_business())
    (line,) = document.lines
    extra = Line("Transport", (), 10_000, "S", Decimal("6"))
    broken = dataclasses.replace(
        document,
        lines=(line, extra),
        amount_excl_vat_cents=135_000,
    )
    errors = arithmetic_errors(broken)
    assert "the VAT breakdown does not have one row per category and rate of the lines" in errors


def test_a_taxable_base_that_is_not_the_lines_is_named() -> None:
    document = docs.invoice(docs.belgian_business())
    (row,) = document.vat_breakdown
    broken = dataclasses.replace(
        document, vat_breakdown=(dataclasses.replace(row, taxable_cents=124_000),)
    )
    assert "S 21 %: taxable 124000 cents, lines 125000" in arithmetic_errors(broken)


def test_vat_totals_and_outstanding_that_do_not_add_up_are_named() -> None:
    document = docs.invoice(docs.belgian_business())
    claims = (Claim("flat_fee", "Indemnité forfaitaire", 4_000),)
    broken = dataclasses.replace(document, vat_cents=1, claims=claims)
    errors = arithmetic_errors(broken)
    assert "VAT rows add up to 26250 cents, the document says 1" in errors
    assert "total 151250 cents is not 125000 + 1" in errors
    assert "outstanding 151250 cents is not total + claims - paid" in errors


def test_two_rows_for_one_rate_are_refused() -> None:
    document = docs.invoice(docs.belgian_business())
    (row,) = document.vat_breakdown
    half = VatBreakdown(row.category, row.rate, 62_500, 13_125, None)
    broken = dataclasses.replace(document, vat_breakdown=(half, half))
    assert "the VAT breakdown does not have one row per category and rate of the lines" in (
        arithmetic_errors(broken)
    )
