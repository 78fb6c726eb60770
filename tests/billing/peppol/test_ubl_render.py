"""What the UBL renderer writes, read back with lxml: no rule files needed."""

from __future__ import annotations

import base64
import dataclasses
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree  # type: ignore[import-untyped, unused-ignore]

from services.billing.document_model import Buyer, Claim, InvoiceDocument
from services.billing.peppol import render_ubl
from services.billing.peppol.parties import buyer_endpoint, vat_endpoint
from services.billing.peppol.ubl import CUSTOMIZATION_ID, PROFILE_ID, prepaid_cents
from tests.billing.peppol import documents as docs

NS = {
    "inv": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "cn": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}


def parsed(document: InvoiceDocument, pdf: bytes | None = None) -> etree._Element:
    return etree.fromstring(render_ubl(document, pdf))


def text(root: etree._Element, path: str) -> str:
    found = root.xpath(path, namespaces=NS)
    assert len(found) == 1, f"{path}: {len(found)} matches"
    return str(found[0].text if hasattr(found[0], "text") else found[0])


def test_an_invoice_is_a_peppol_bis_3_invoice_380_with_its_due_date() -> None:
    root = parsed(docs.invoice(docs.belgian_business()))
    assert root.tag == f"{{{NS['inv']}}}Invoice"
    assert text(root, "cbc:CustomizationID") == CUSTOMIZATION_ID
    assert text(root, "cbc:ProfileID") == PROFILE_ID
    assert text(root, "cbc:InvoiceTypeCode") == "380"
    assert text(root, "cbc:ID") == "2026-000123"
    assert text(root, "cbc:IssueDate") == "2026-03-16"
    assert text(root, "cbc:DueDate") == "2026-03-26"
    assert text(root, "cac:InvoicePeriod/cbc:StartDate") == "2026-03-02"
    assert text(root, "cac:InvoicePeriod/cbc:EndDate") == "2026-03-04"
    assert text(root, "cbc:BuyerReference") == "prs-2026-0042"


def test_belgian_parties_are_addressed_and_identified_under_scheme_0208() -> None:
    root = parsed(docs.invoice(docs.belgian_business()))
    seller = "cac:AccountingSupplierParty/cac:Party/"
    buyer = "cac:AccountingCustomerParty/cac:Party/"
    for party, number in ((seller, "0123456749"), (buyer, "0403170701")):
        for path in ("cbc:EndpointID", "cac:PartyIdentification/cbc:ID"):
            assert text(root, party + path) == number
            assert text(root, party + path + "/@schemeID") == "0208"
        assert text(root, party + "cac:PartyLegalEntity/cbc:CompanyID/@schemeID") == "0208"
    assert text(root, seller + "cac:PartyTaxScheme/cbc:CompanyID") == "BE0123456749"
    assert text(root, seller + "cac:PartyTaxScheme/cac:TaxScheme/cbc:ID") == "VAT"
    assert text(root, buyer + "cac:PartyTaxScheme/cbc:CompanyID") == "BE0403170701"
    legal_form = text(root, seller + "cac:PartyLegalEntity/cbc:CompanyLegalForm")
    assert legal_form == "société coopérative, RPM Bruxelles"


def test_payment_means_carry_the_structured_reference_and_the_cooperatives_account() -> None:
    document = docs.invoice(docs.belgian_business())
    root = parsed(document)
    assert text(root, "cac:PaymentMeans/cbc:PaymentMeansCode") == "30"
    assert text(root, "cac:PaymentMeans/cbc:PaymentID") == document.structured_reference
    account = "cac:PaymentMeans/cac:PayeeFinancialAccount/"
    assert text(root, account + "cbc:ID") == "BE71096123456769"
    assert text(root, account + "cac:FinancialInstitutionBranch/cbc:ID") == "GKCCBEBB"
    assert "26/03/2026" in text(root, "cac:PaymentTerms/cbc:Note")
    assert document.structured_reference in text(root, "cbc:Note")


def test_the_pdf_travels_inside_and_decodes_to_the_same_bytes() -> None:
    pdf = docs.small_pdf()
    assert pdf.startswith(b"%PDF-")
    root = parsed(docs.invoice(docs.belgian_business()), pdf)
    binary = root.xpath(
        "cac:AdditionalDocumentReference/cac:Attachment/cbc:EmbeddedDocumentBinaryObject",
        namespaces=NS,
    )[0]
    assert base64.b64decode(binary.text, validate=True) == pdf
    assert binary.get("mimeCode") == "application/pdf"
    assert binary.get("filename") == "invoice-2026-000123.pdf"


def test_without_a_pdf_there_is_no_attachment() -> None:
    root = parsed(docs.invoice(docs.belgian_business()))
    assert root.xpath("cac:AdditionalDocumentReference", namespaces=NS) == []


def test_a_credit_note_is_381_refers_to_the_invoice_and_credits_quantities() -> None:
    original = docs.invoice(docs.belgian_business())
    root = parsed(docs.credit_note(original, 40_000), docs.small_pdf())
    assert root.tag == f"{{{NS['cn']}}}CreditNote"
    assert text(root, "cbc:CreditNoteTypeCode") == "381"
    reference = "cac:BillingReference/cac:InvoiceDocumentReference/"
    assert text(root, reference + "cbc:ID") == "2026-000123"
    assert text(root, reference + "cbc:IssueDate") == "2026-03-16"
    assert text(root, "cac:CreditNoteLine/cbc:CreditedQuantity") == "3"
    assert text(root, "cac:CreditNoteLine/cbc:LineExtensionAmount") == "400.00"
    assert text(root, "cac:LegalMonetaryTotal/cbc:PayableAmount") == "484.00"
    assert root.xpath("cbc:DueDate | cac:PaymentMeans", namespaces=NS) == []
    assert "Annulation partielle" in text(root, "cbc:Note")


def test_a_credit_note_given_in_negative_amounts_is_written_positive() -> None:
    positive = docs.credit_note(docs.invoice(docs.belgian_business()))
    (line,) = positive.lines
    (row,) = positive.vat_breakdown
    negative = dataclasses.replace(
        positive,
        lines=(dataclasses.replace(line, amount_excl_vat_cents=-line.amount_excl_vat_cents),),
        vat_breakdown=(
            dataclasses.replace(row, taxable_cents=-row.taxable_cents, vat_cents=-row.vat_cents),
        ),
        amount_excl_vat_cents=-positive.amount_excl_vat_cents,
        vat_cents=-positive.vat_cents,
        total_cents=-positive.total_cents,
    )
    assert render_ubl(negative) == render_ubl(positive)


def test_reverse_charge_has_rate_zero_the_vatex_code_and_one_note_with_the_mention() -> None:
    document = docs.invoice(
        docs.french_business(),
        category="AE",
        rate="0",
        reason=docs.REVERSE_CHARGE,
        mentions=(docs.REVERSE_CHARGE,),
    )
    root = parsed(document)
    category = "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/"
    assert text(root, category + "cbc:ID") == "AE"
    assert text(root, category + "cbc:Percent") == "0"
    assert text(root, category + "cbc:TaxExemptionReasonCode") == "VATEX-EU-AE"
    assert text(root, category + "cbc:TaxExemptionReason") == docs.REVERSE_CHARGE
    notes = root.xpath("cbc:Note", namespaces=NS)
    assert len(notes) == 1  # PEPPOL-EN16931-R002
    assert docs.REVERSE_CHARGE in notes[0].text
    buyer = "cac:AccountingCustomerParty/cac:Party/"
    assert text(root, buyer + "cbc:EndpointID") == "FR40303265045"
    assert text(root, buyer + "cbc:EndpointID/@schemeID") == "9957"
    assert text(root, buyer + "cac:PartyTaxScheme/cbc:CompanyID") == "FR40303265045"


def test_outside_the_scope_of_vat_there_is_no_rate_and_no_vat_identifier() -> None:
    root = parsed(
        docs.invoice(docs.swiss_business(), category="O", rate="0", reason=docs.OUTSIDE_SCOPE)
    )
    assert root.xpath("//cac:PartyTaxScheme | //cbc:Percent", namespaces=NS) == []
    assert text(root, "//cac:TaxSubtotal/cac:TaxCategory/cbc:ID") == "O"
    assert text(root, "//cbc:TaxExemptionReasonCode") == "VATEX-EU-O"
    endpoint = "cac:AccountingCustomerParty/cac:Party/cbc:EndpointID"
    assert (text(root, endpoint), text(root, endpoint + "/@schemeID")) == ("CHE116281710", "9927")


@settings(deadline=None)  # rendering is fast, but a loaded CI machine is not
@given(
    amount=st.integers(min_value=1, max_value=1_000_000_000),
    days=st.integers(min_value=1, max_value=31),
)
def test_quantity_times_price_over_base_quantity_is_the_line_amount_to_the_cent(
    amount: int, days: int
) -> None:
    root = parsed(docs.invoice(docs.belgian_business(), amount_cents=amount, days=days))
    line = "cac:InvoiceLine/"
    quantity = Decimal(text(root, line + "cbc:InvoicedQuantity"))
    price = Decimal(text(root, line + "cac:Price/cbc:PriceAmount"))
    base = Decimal(text(root, line + "cac:Price/cbc:BaseQuantity"))
    assert quantity == days
    assert quantity * price / base == Decimal(amount) / 100
    assert Decimal(text(root, line + "cbc:LineExtensionAmount")) == Decimal(amount) / 100


def test_a_line_without_days_is_one_unit() -> None:
    document = docs.invoice(docs.belgian_business(), days=0)
    root = parsed(document)
    assert text(root, "cac:InvoiceLine/cbc:InvoicedQuantity/@unitCode") == "C62"
    assert text(root, "cac:InvoiceLine/cbc:InvoicedQuantity") == "1"


def test_the_line_describes_the_days_and_hours_worked() -> None:
    root = parsed(docs.invoice(docs.belgian_business(), days=2))
    description = text(root, "cac:InvoiceLine/cac:Item/cbc:Description")
    assert "2026-03-02 (7.6 h)" in description
    assert "2026-03-03 (7.6 h)" in description
    assert "15.2 h" in description
    assert text(root, "cac:InvoiceLine/cbc:InvoicedQuantity/@unitCode") == "DAY"


def test_payments_settle_the_late_payment_claims_before_the_principal() -> None:
    claims = (Claim("flat_fee", "Indemnité forfaitaire", 4_000),)
    document = dataclasses.replace(docs.invoice(docs.belgian_business()), claims=claims)
    assert prepaid_cents(dataclasses.replace(document, paid_cents=3_000)) == 0
    assert prepaid_cents(dataclasses.replace(document, paid_cents=54_000)) == 50_000
    settled = dataclasses.replace(document, paid_cents=document.total_cents + 4_000)
    assert prepaid_cents(settled) == document.total_cents
    root = parsed(dataclasses.replace(document, paid_cents=54_000))
    assert text(root, "cac:LegalMonetaryTotal/cbc:PrepaidAmount") == "500.00"
    assert text(root, "cac:LegalMonetaryTotal/cbc:PayableAmount") == "1012.50"


@pytest.mark.parametrize(
    ("vat_number", "scheme", "value"),
    [
        ("FR40303265045", "9957", "FR40303265045"),
        ("DE 136 695 976", "9930", "DE136695976"),
        ("NL123456789B01", "9944", "NL123456789B01"),
        ("EL094014201", "9933", "EL094014201"),
        ("DK13585628", "0184", "13585628"),
        ("SE556036079301", "0007", "5560360793"),
        ("IT00743110157", "0211", "00743110157"),
        ("FI20774740", "0216", "003720774740"),
        ("NO974760673MVA", "0192", "974760673"),
    ],
)
def test_a_vat_number_maps_to_its_countrys_electronic_address_scheme(
    vat_number: str, scheme: str, value: str
) -> None:
    endpoint = vat_endpoint(vat_number)
    assert endpoint is not None
    assert (endpoint.scheme, endpoint.value) == (scheme, value)


@pytest.mark.parametrize("vat_number", ["XX123", "DK1234", "SE5560360793", "FR"])
def test_a_vat_number_with_no_known_scheme_has_no_endpoint(vat_number: str) -> None:
    assert vat_endpoint(vat_number) is None


def test_a_belgian_business_without_its_enterprise_number_is_found_from_its_vat() -> None:
    buyer = dataclasses.replace(docs.belgian_business(), enterprise_number=None)
    endpoint = buyer_endpoint(buyer, docs.seller())
    assert (endpoint.scheme, endpoint.value) == ("0208", "0403170701")


@pytest.mark.parametrize(
    "buyer",
    [
        docs.private_client(),
        dataclasses.replace(docs.french_business(), vat_number="XX999"),
        dataclasses.replace(docs.french_business(), vat_number=None),
    ],
    ids=["private", "unknown-scheme", "no-vat"],
)
def test_a_client_peppol_cannot_reach_gets_the_cooperatives_own_address(buyer: Buyer) -> None:
    endpoint = buyer_endpoint(buyer, docs.seller())
    assert (endpoint.scheme, endpoint.value) == ("0208", "0123456749")


def test_a_private_client_has_a_contact_mail_and_no_vat_or_legal_id() -> None:
    root = parsed(docs.invoice(docs.private_client()))
    buyer = "cac:AccountingCustomerParty/cac:Party/"
    assert text(root, buyer + "cac:Contact/cbc:ElectronicMail") == "camille.dupont@example.org"
    assert root.xpath(buyer + "cac:PartyTaxScheme", namespaces=NS) == []
    assert root.xpath(buyer + "cac:PartyLegalEntity/cbc:CompanyID", namespaces=NS) == []


def test_amounts_are_written_with_two_decimals() -> None:
    document = docs.invoice(docs.belgian_business(), amount_cents=100_005, rate="6")
    root = parsed(document)
    assert text(root, "cac:TaxTotal/cbc:TaxAmount") == "60.00"  # 6 % of 1000.05, half-up
    assert text(root, "cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount") == "1060.05"
