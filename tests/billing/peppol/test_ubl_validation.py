"""Rendered documents against the official rules: the UBL 2.1 XSD, EN 16931 and Peppol BIS 3.0.

Every regime the cooperative invoices passes with no fatal assertion (warnings are reported,
and none is expected either); documents broken on purpose fail with the rule that says why.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from services.billing.document_model import InvoiceDocument
from services.billing.peppol import (
    PeppolValidator,
    ValidationReport,
    arithmetic_errors,
    render_ubl,
)
from tests.billing.peppol import documents as docs


def _reverse_charge(buyer: docs.Buyer) -> InvoiceDocument:
    return docs.invoice(
        buyer,
        category="AE",
        rate="0",
        reason=docs.REVERSE_CHARGE,
        mentions=(docs.REVERSE_CHARGE,),
    )


def _belgian_21() -> InvoiceDocument:
    return docs.invoice(docs.belgian_business())


def _two_rates() -> InvoiceDocument:
    """A 21 % prestation with a 6 % line beside it: two lines, two VAT rows."""
    document = docs.invoice(docs.belgian_business())
    other = docs.invoice(docs.belgian_business(), rate="6", amount_cents=33_333, days=1)
    total_vat = document.vat_cents + other.vat_cents
    total = document.amount_excl_vat_cents + other.amount_excl_vat_cents + total_vat
    return dataclasses.replace(
        document,
        lines=document.lines + other.lines,
        vat_breakdown=document.vat_breakdown + other.vat_breakdown,
        amount_excl_vat_cents=document.amount_excl_vat_cents + other.amount_excl_vat_cents,
        vat_cents=total_vat,
        total_cents=total,
        outstanding_cents=total,
    )


VALID: dict[str, InvoiceDocument] = {
    "two-rates-21-and-6": _two_rates(),
    "credit-note-private-client": docs.credit_note(docs.invoice(docs.private_client())),
    "belgian-b2b-21": _belgian_21(),
    "belgian-b2b-12": docs.invoice(docs.belgian_business(), rate="12"),
    "belgian-b2b-6": docs.invoice(docs.belgian_business(), rate="6", amount_cents=87_654),
    "eu-reverse-charge-fr": _reverse_charge(docs.french_business()),
    "eu-reverse-charge-de": _reverse_charge(
        dataclasses.replace(docs.french_business(), vat_number="DE136695976")
    ),
    "outside-eu-o": docs.invoice(
        docs.swiss_business(), category="O", rate="0", reason=docs.OUTSIDE_SCOPE
    ),
    "domestic-exempt-e": docs.invoice(
        docs.belgian_business(), category="E", rate="0", reason=docs.EXEMPT
    ),
    "private-client": docs.invoice(docs.private_client()),
    "credit-note-full": docs.credit_note(_belgian_21()),
    "credit-note-partial": docs.credit_note(_belgian_21(), 40_000),
    "credit-note-reverse-charge": docs.credit_note(_reverse_charge(docs.french_business())),
    "partly-paid": docs.invoice(docs.belgian_business(), paid_cents=50_000),
    "awkward-amount-22-days": docs.invoice(
        docs.belgian_business(), amount_cents=1_000_001, days=22
    ),
}


def _explain(report: ValidationReport) -> str:
    return "\n".join(report.messages)


@pytest.mark.parametrize("case", sorted(VALID))
def test_each_regime_passes_the_xsd_and_both_rule_sets(
    validator: PeppolValidator, case: str
) -> None:
    assert arithmetic_errors(VALID[case]) == ()
    report = validator.validate(render_ubl(VALID[case], docs.small_pdf()))
    assert report.ok, _explain(report)
    assert report.failed_rules == ()
    assert report.warnings == (), _explain(report)


def _fails_with(validator: PeppolValidator, xml: bytes, *rules: str) -> ValidationReport:
    report = validator.validate(xml)
    assert not report.ok
    for rule in rules:
        assert rule in report.failed_rules, _explain(report)
        assert any(line.startswith(f"{rule} [fatal] /") for line in report.messages)
    return report


def test_totals_off_by_a_cent_fail_br_co_15(validator: PeppolValidator) -> None:
    document = _belgian_21()
    broken = dataclasses.replace(document, total_cents=document.total_cents + 1)
    _fails_with(validator, render_ubl(broken), "BR-CO-15")


def _vat_off_by(document: InvoiceDocument, cents: int) -> InvoiceDocument:
    (row,) = document.vat_breakdown
    return dataclasses.replace(
        document,
        vat_breakdown=(dataclasses.replace(row, vat_cents=row.vat_cents + cents),),
        vat_cents=document.vat_cents + cents,
        total_cents=document.total_cents + cents,
        outstanding_cents=document.outstanding_cents + cents,
    )


def test_the_official_rules_let_vat_be_off_by_a_cent_the_totals_check_does_not(
    validator: PeppolValidator,
) -> None:
    """BR-CO-17 has a slack of one euro: only the cent-exact check catches a cent."""
    broken = _vat_off_by(_belgian_21(), 1)
    assert validator.validate(render_ubl(broken)).ok
    (error,) = arithmetic_errors(broken)
    assert error == "S 21 %: VAT 26251 cents, 26250 at the rate"


def test_vat_off_by_more_than_a_euro_fails_br_co_17(validator: PeppolValidator) -> None:
    broken = _vat_off_by(_belgian_21(), 101)
    _fails_with(validator, render_ubl(broken), "BR-CO-17")
    assert arithmetic_errors(broken) != ()


def test_lines_that_do_not_add_up_fail_br_co_10(validator: PeppolValidator) -> None:
    document = _belgian_21()
    broken = dataclasses.replace(document, amount_excl_vat_cents=document.amount_excl_vat_cents + 1)
    _fails_with(validator, render_ubl(broken), "BR-CO-10")


def test_reverse_charge_without_the_buyers_vat_number_fails_br_ae_02(
    validator: PeppolValidator,
) -> None:
    broken = _reverse_charge(dataclasses.replace(docs.french_business(), vat_number=None))
    _fails_with(validator, render_ubl(broken), "BR-AE-02")


def test_a_bad_enterprise_number_check_digit_fails_peppol_common_r043(
    validator: PeppolValidator,
) -> None:
    broken = docs.invoice(docs.belgian_business("0403170702"))
    _fails_with(validator, render_ubl(broken), "PEPPOL-COMMON-R043")


def test_a_bad_seller_enterprise_number_fails_r043_too(validator: PeppolValidator) -> None:
    document = _belgian_21()
    seller = dataclasses.replace(document.seller, enterprise_number="0123456748")
    _fails_with(
        validator, render_ubl(dataclasses.replace(document, seller=seller)), "PEPPOL-COMMON-R043"
    )


def test_an_exempt_supply_without_its_reason_fails_br_e_10(validator: PeppolValidator) -> None:
    broken = docs.invoice(docs.belgian_business(), category="E", rate="0", reason=None)
    _fails_with(validator, render_ubl(broken), "BR-E-10")


def test_an_xsd_error_is_reported_as_xsd(validator: PeppolValidator) -> None:
    xml = render_ubl(_belgian_21()).replace(
        b"<cbc:ProfileID>", b"<cbc:Bogus>x</cbc:Bogus><cbc:ProfileID>"
    )
    report = _fails_with(validator, xml)
    assert "XSD" in report.failed_rules
    assert any("Bogus" in line and line.startswith("XSD [fatal] line") for line in report.messages)


def test_an_element_out_of_xsd_order_is_reported(validator: PeppolValidator) -> None:
    xml = render_ubl(_belgian_21())
    moved = xml.replace(b"<cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>", b"").replace(
        b"</cac:InvoicePeriod>",
        b"</cac:InvoicePeriod><cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>",
    )
    assert "XSD" in validator.validate(moved).failed_rules


@pytest.mark.parametrize(
    "xml",
    [b"<Invoice", b"<Order xmlns='urn:example'/>", b""],
    ids=["not-well-formed", "not-ubl", "empty"],
)
def test_what_is_not_a_ubl_document_fails_as_xsd(validator: PeppolValidator, xml: bytes) -> None:
    report = validator.validate(xml)
    assert (report.ok, report.failed_rules) == (False, ("XSD",))
    assert len(report.messages) == 1


def test_an_entity_is_not_expanded(validator: PeppolValidator, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    doctype = f"<!DOCTYPE Invoice [<!ENTITY x SYSTEM '{secret.as_uri()}'>]>"
    xml = (
        render_ubl(_belgian_21())
        .replace(
            b"<?xml version='1.0' encoding='UTF-8'?>",
            f"<?xml version='1.0'?>{doctype}".encode(),
        )
        .replace(b"<cbc:ID>2026-000123</cbc:ID>", b"<cbc:ID>&x;</cbc:ID>", 1)
    )
    report = validator.validate(xml)
    assert (report.ok, report.failed_rules) == (False, ("XSD",))
    assert not any("TOP-SECRET" in line for line in report.messages)
    assert "DOCTYPE" in report.messages[0]


def test_the_official_example_passes(validator: PeppolValidator, rules_dir: Path) -> None:
    report = validator.validate((rules_dir / "examples" / "base-example.xml").read_bytes())
    assert report == ValidationReport(ok=True, failed_rules=(), warnings=(), messages=())


def test_the_official_credit_note_example_passes(
    validator: PeppolValidator, rules_dir: Path
) -> None:
    xml = (rules_dir / "examples" / "base-creditnote-correction.xml").read_bytes()
    assert validator.validate(xml).ok


def test_a_broken_copy_of_the_official_example_fails(
    validator: PeppolValidator, rules_dir: Path
) -> None:
    xml = (rules_dir / "examples" / "base-example.xml").read_bytes()
    wrong_total = xml.replace(b">1656.25</cbc:PayableAmount>", b">1656.26</cbc:PayableAmount>")
    assert wrong_total != xml
    _fails_with(validator, wrong_total, "BR-CO-16")
    no_reference = xml.replace(b"<cbc:BuyerReference>0150abc</cbc:BuyerReference>", b"")
    _fails_with(validator, no_reference, "PEPPOL-EN16931-R003")


def test_a_warning_is_reported_without_failing(validator: PeppolValidator, rules_dir: Path) -> None:
    xml = (
        (rules_dir / "examples" / "base-example.xml")
        .read_bytes()
        .replace(
            b"<cbc:CustomizationID>",
            b"<cbc:UBLVersionID>2.0</cbc:UBLVersionID><cbc:CustomizationID>",
        )
    )
    report = validator.validate(xml)
    assert (report.ok, report.failed_rules, report.warnings) == (True, (), ("UBL-CR-002",))
    assert report.messages[0].startswith("UBL-CR-002 [warning] /Invoice")
