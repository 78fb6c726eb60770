"""Peppol BIS Billing 3.0 UBL 2.1: an invoice (380) or a credit note (381) from an InvoiceDocument.

Element order follows the UBL 2.1 XSD sequences (Invoice and CreditNote differ: a credit note
has no header DueDate, and its line quantity is CreditedQuantity). Choices the rules leave open:
- one document-level `cbc:Note` (PEPPOL-EN16931-R002 allows no more) carrying every legal
  mention, the structured reference and a credit note's reason;
- the line's price is the line amount for a base quantity of the days worked, so that
  quantity x price / base quantity is the line amount to the cent (PEPPOL-EN16931-R120);
- late-payment claims (interest, the flat EUR 40) are not in the UBL: it is the invoice as
  issued. They are outside the VAT scope, and a document-level charge would enter the VAT
  base (BR-CO-13); payments settle them first, so only the rest of a payment is prepaid;
- category O forbids any VAT identifier (BR-O-02): neither party's VAT number is sent then;
- a credit note's amounts are positive in UBL (the type code says it credits); a document
  model that gives them negative is turned around.
"""

from __future__ import annotations

import base64
from decimal import Decimal

from lxml import etree  # type: ignore[import-untyped, unused-ignore]

from services.billing.document_model import (
    Address,
    InvoiceDocument,
    Line,
    VatBreakdown,
)
from services.billing.peppol.parties import (
    BELGIAN_ENTERPRISE_SCHEME,
    SchemedId,
    belgian_enterprise_number,
    buyer_endpoint,
    compact_vat,
    seller_endpoint,
)

CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE_ID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"

INVOICE_TYPE_CODE = "380"  # commercial invoice (UNCL1001)
CREDIT_NOTE_TYPE_CODE = "381"
CREDIT_TRANSFER = "30"  # UNCL4461
DAY = "DAY"  # UN/ECE rec. 20
ONE = "C62"  # a line without days: one unit
# VATEX codes for the categories whose reason is fixed by the category itself.
_EXEMPTION_CODES = {"AE": "VATEX-EU-AE", "O": "VATEX-EU-O"}
_NOTE_SEPARATOR = " | "


def _cbc(parent: etree._Element, tag: str, text: str, /, **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{CBC}}}{tag}", attributes)
    element.text = text
    return element


def _cac(parent: etree._Element, name: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{CAC}}}{name}")


def _amount(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def _decimal(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text if text not in ("-0", "") else "0"


def _money(parent: etree._Element, name: str, cents: int, currency: str) -> None:
    _cbc(parent, name, _amount(cents), currencyID=currency)


def _sign(document: InvoiceDocument) -> int:
    return -1 if document.kind == "credit_note" and document.total_cents < 0 else 1


def _has_outside_scope(document: InvoiceDocument) -> bool:
    return any(row.category == "O" for row in document.vat_breakdown) or any(
        line.vat_category == "O" for line in document.lines
    )


def render_ubl(document: InvoiceDocument, pdf: bytes | None = None) -> bytes:
    """UBL 2.1 Invoice (type code 380) or CreditNote (381, with BillingReference to the
    credited invoice) per Peppol BIS Billing 3.0. `pdf` (the human-readable document) travels
    as cac:AdditionalDocumentReference / cbc:EmbeddedDocumentBinaryObject (base64,
    mimeCode application/pdf, filename), as Belgian receivers expect."""
    credit = document.kind == "credit_note"
    root_ns = CREDIT_NOTE_NS if credit else INVOICE_NS
    root = etree.Element(
        f"{{{root_ns}}}{'CreditNote' if credit else 'Invoice'}",
        nsmap={None: root_ns, "cac": CAC, "cbc": CBC},
    )
    _cbc(root, "CustomizationID", CUSTOMIZATION_ID)
    _cbc(root, "ProfileID", PROFILE_ID)
    _cbc(root, "ID", document.number)
    _cbc(root, "IssueDate", document.issue_date.isoformat())
    if credit:
        _cbc(root, "CreditNoteTypeCode", CREDIT_NOTE_TYPE_CODE)
    else:
        if document.due_date is not None:
            _cbc(root, "DueDate", document.due_date.isoformat())
        _cbc(root, "InvoiceTypeCode", INVOICE_TYPE_CODE)
    note = _note(document)
    if note:
        _cbc(root, "Note", note)
    _cbc(root, "DocumentCurrencyCode", document.currency)
    # BT-10: the prestation is what the client knows the work by (PEPPOL-EN16931-R003).
    _cbc(root, "BuyerReference", document.prestation_id)
    period = _cac(root, "InvoicePeriod")
    _cbc(period, "StartDate", document.service_period[0].isoformat())
    _cbc(period, "EndDate", document.service_period[1].isoformat())
    if credit and document.credited_invoice_number:
        reference = _cac(_cac(root, "BillingReference"), "InvoiceDocumentReference")
        _cbc(reference, "ID", document.credited_invoice_number)
        if document.credited_invoice_issue_date is not None:
            _cbc(reference, "IssueDate", document.credited_invoice_issue_date.isoformat())
    if pdf is not None:
        _attachment(root, document, pdf)
    with_vat_ids = not _has_outside_scope(document)
    _seller(root, document, with_vat_ids)
    _buyer(root, document, with_vat_ids)
    _payment(root, document, credit)
    _tax_total(root, document)
    _monetary_total(root, document)
    for index, line in enumerate(document.lines, start=1):
        _line(root, document, index, line, credit)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _note(document: InvoiceDocument) -> str:
    parts = [*document.legal_mentions]
    if document.reason:
        parts.append(document.reason)
    if document.structured_reference:
        parts.append(f"Communication structurée : {document.structured_reference}")
    return _NOTE_SEPARATOR.join(part.strip() for part in parts if part.strip())


def _attachment(root: etree._Element, document: InvoiceDocument, pdf: bytes) -> None:
    reference = _cac(root, "AdditionalDocumentReference")
    _cbc(reference, "ID", document.number)
    title = "Note de crédit" if document.kind == "credit_note" else "Facture"
    _cbc(reference, "DocumentDescription", f"{title} {document.number}")
    attachment = _cac(reference, "Attachment")
    prefix = "credit-note" if document.kind == "credit_note" else "invoice"
    _cbc(
        attachment,
        "EmbeddedDocumentBinaryObject",
        base64.b64encode(pdf).decode("ascii"),
        mimeCode="application/pdf",
        filename=f"{prefix}-{document.number}.pdf",
    )


def _endpoint(party: etree._Element, endpoint: SchemedId) -> None:
    _cbc(party, "EndpointID", endpoint.value, schemeID=endpoint.scheme)


def _address(party: etree._Element, address: Address) -> None:
    postal = _cac(party, "PostalAddress")
    if address.street:
        _cbc(postal, "StreetName", address.street)
    if address.city:
        _cbc(postal, "CityName", address.city)
    if address.postal_code:
        _cbc(postal, "PostalZone", address.postal_code)
    _cbc(_cac(postal, "Country"), "IdentificationCode", address.country.upper())


def _vat_id(party: etree._Element, vat_number: str) -> None:
    scheme = _cac(party, "PartyTaxScheme")
    _cbc(scheme, "CompanyID", compact_vat(vat_number))
    _cbc(_cac(scheme, "TaxScheme"), "ID", "VAT")


def _seller(root: etree._Element, document: InvoiceDocument, with_vat_ids: bool) -> None:
    seller = document.seller
    party = _cac(_cac(root, "AccountingSupplierParty"), "Party")
    endpoint = seller_endpoint(seller)
    _endpoint(party, endpoint)
    _cbc(_cac(party, "PartyIdentification"), "ID", endpoint.value, schemeID=endpoint.scheme)
    _cbc(_cac(party, "PartyName"), "Name", seller.name)
    _address(party, seller.address)
    if with_vat_ids:
        _vat_id(party, seller.vat_number)
    legal = _cac(party, "PartyLegalEntity")
    _cbc(legal, "RegistrationName", seller.name)
    _cbc(legal, "CompanyID", endpoint.value, schemeID=BELGIAN_ENTERPRISE_SCHEME)
    # BT-33: what art. 2:20 of the Code of companies asks besides the name and the number.
    _cbc(legal, "CompanyLegalForm", f"{seller.legal_form}, {seller.register_of_legal_persons}")
    _cbc(_cac(party, "Contact"), "ElectronicMail", seller.email)


def _buyer(root: etree._Element, document: InvoiceDocument, with_vat_ids: bool) -> None:
    buyer = document.buyer
    party = _cac(_cac(root, "AccountingCustomerParty"), "Party")
    _endpoint(party, buyer_endpoint(buyer, document.seller))
    enterprise = belgian_enterprise_number(buyer)
    if enterprise is not None:
        identification = _cac(party, "PartyIdentification")
        _cbc(identification, "ID", enterprise, schemeID=BELGIAN_ENTERPRISE_SCHEME)
    _cbc(_cac(party, "PartyName"), "Name", buyer.name)
    _address(party, buyer.address)
    if with_vat_ids and buyer.vat_number:
        _vat_id(party, buyer.vat_number)
    legal = _cac(party, "PartyLegalEntity")
    _cbc(legal, "RegistrationName", buyer.name)
    if enterprise is not None:
        _cbc(legal, "CompanyID", enterprise, schemeID=BELGIAN_ENTERPRISE_SCHEME)
    if buyer.email:
        _cbc(_cac(party, "Contact"), "ElectronicMail", buyer.email)


def _payment(root: etree._Element, document: InvoiceDocument, credit: bool) -> None:
    if credit:
        # What a credit note owes the client is refunded or set off: no account of ours to pay.
        terms = _cac(root, "PaymentTerms")
        credited = document.credited_invoice_number or ""
        _cbc(terms, "Note", f"Montant crédité sur la facture {credited}".strip())
        return
    seller = document.seller
    means = _cac(root, "PaymentMeans")
    _cbc(means, "PaymentMeansCode", CREDIT_TRANSFER, name="Credit transfer")
    if document.structured_reference:
        # Printed form, as on the paper invoice and in the bank's structured communication.
        _cbc(means, "PaymentID", document.structured_reference)
    account = _cac(means, "PayeeFinancialAccount")
    _cbc(account, "ID", compact_vat(seller.iban))
    _cbc(account, "Name", seller.name)
    _cbc(_cac(account, "FinancialInstitutionBranch"), "ID", seller.bic)
    if document.due_date is not None:
        terms = _cac(root, "PaymentTerms")
        text = f"À payer au plus tard le {document.due_date:%d/%m/%Y}"
        if document.structured_reference:
            text += f" avec la communication structurée {document.structured_reference}"
        _cbc(terms, "Note", text)


def _classified_tax_category(item: etree._Element, category: str, rate: Decimal) -> None:
    element = _cac(item, "ClassifiedTaxCategory")
    _cbc(element, "ID", category)
    if category != "O":  # outside the scope of VAT: no rate at all (BR-O-05)
        _cbc(element, "Percent", _decimal(rate))
    _cbc(_cac(element, "TaxScheme"), "ID", "VAT")


def _subtotal(total: etree._Element, row: VatBreakdown, currency: str, sign: int) -> None:
    subtotal = _cac(total, "TaxSubtotal")
    _money(subtotal, "TaxableAmount", sign * row.taxable_cents, currency)
    _money(subtotal, "TaxAmount", sign * row.vat_cents, currency)
    category = _cac(subtotal, "TaxCategory")
    _cbc(category, "ID", row.category)
    if row.category != "O":
        _cbc(category, "Percent", _decimal(row.rate))
    if row.category in _EXEMPTION_CODES:
        _cbc(category, "TaxExemptionReasonCode", _EXEMPTION_CODES[row.category])
    if row.category != "S" and row.exemption_reason:
        _cbc(category, "TaxExemptionReason", row.exemption_reason)
    _cbc(_cac(category, "TaxScheme"), "ID", "VAT")


def _tax_total(root: etree._Element, document: InvoiceDocument) -> None:
    sign = _sign(document)
    total = _cac(root, "TaxTotal")
    _money(total, "TaxAmount", sign * document.vat_cents, document.currency)
    for row in document.vat_breakdown:
        _subtotal(total, row, document.currency, sign)


def prepaid_cents(document: InvoiceDocument) -> int:
    """What was paid on the principal: payments settle the late-payment claims first."""
    claims = sum(claim.amount_cents for claim in document.claims)
    return min(_sign(document) * document.total_cents, max(0, document.paid_cents - claims))


def _monetary_total(root: etree._Element, document: InvoiceDocument) -> None:
    sign, currency = _sign(document), document.currency
    totals = _cac(root, "LegalMonetaryTotal")
    _money(totals, "LineExtensionAmount", sign * document.amount_excl_vat_cents, currency)
    _money(totals, "TaxExclusiveAmount", sign * document.amount_excl_vat_cents, currency)
    _money(totals, "TaxInclusiveAmount", sign * document.total_cents, currency)
    prepaid = prepaid_cents(document)
    if prepaid:
        _money(totals, "PrepaidAmount", prepaid, currency)
    _money(totals, "PayableAmount", sign * document.total_cents - prepaid, currency)


def _days_text(line: Line) -> str:
    hours = sum((day.hours for day in line.days), Decimal(0))
    days = ", ".join(f"{day.date.isoformat()} ({_decimal(day.hours)} h)" for day in line.days)
    return f"{line.description} — {len(line.days)} jour(s) : {days} ; {_decimal(hours)} h"


def _line(
    root: etree._Element, document: InvoiceDocument, index: int, line: Line, credit: bool
) -> None:
    sign, currency = _sign(document), document.currency
    element = _cac(root, "CreditNoteLine" if credit else "InvoiceLine")
    _cbc(element, "ID", str(index))
    days = len(line.days)
    quantity, unit = (str(days), DAY) if days else ("1", ONE)
    _cbc(element, "CreditedQuantity" if credit else "InvoicedQuantity", quantity, unitCode=unit)
    _money(element, "LineExtensionAmount", sign * line.amount_excl_vat_cents, currency)
    item = _cac(element, "Item")
    if days:
        _cbc(item, "Description", _days_text(line))
    _cbc(item, "Name", line.description)
    _classified_tax_category(item, line.vat_category, line.vat_rate)
    price = _cac(element, "Price")
    _money(price, "PriceAmount", sign * line.amount_excl_vat_cents, currency)
    _cbc(price, "BaseQuantity", quantity, unitCode=unit)
