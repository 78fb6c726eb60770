"""The documents of invoices and credit notes over HTTP, in the embedded app with the official
Peppol rules configured: HTML with the legal mentions, a PDF that parses, and UBL that the
validator passes (Belgian B2B, EU reverse charge, credit note) or that is refused with a 503
naming the failed rules; and what every state of an invoice renders to adds up to the cent."""

from __future__ import annotations

import dataclasses
import io
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pypdf
import pytest
from fastapi.testclient import TestClient
from lxml import etree  # type: ignore[import-untyped, unused-ignore]

from services import embedded
from services.billing.api import documents as documents_api
from services.billing.app import BillingService
from services.billing.domain.invoice import AddClaim
from services.billing.peppol import PeppolValidator, arithmetic_errors
from services.billing.peppol import ubl as ubl_module
from services.billing.peppol.validation import RULES_ENV
from services.billing.publishing import Publisher
from services.billing.rendering import credit_note_document, invoice_document
from shared.events.base import Context
from shared.settings import Settings
from tests.api.api_client import ADMIN_KEY, TODAY, Api, assert_problem

DEADLINE = 10.0
RULES = Path(
    os.environ.get(RULES_ENV, "").strip() or Path(__file__).parents[2].parent / "shared" / "peppol"
)
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
NS = {"cbc": CBC, "cac": CAC}
FRENCH_CLIENT = {"name": "Studio Garance SAS", "country": "FR", "vat_number": "FR40303265045",
                 "email": "factures@garance.example"}  # fmt: skip

needs_rules = pytest.mark.skipif(
    not (RULES / "peppol" / "PEPPOL-EN16931-UBL.xslt").is_file(),
    reason=f"Peppol rule files not found at {RULES} (set {RULES_ENV})",
)


@contextmanager
def app_with_rules(data_dir: Path, rules: Path | None = RULES) -> Iterator[Api]:
    environment = {"COOP_DATA_DIR": str(data_dir), "COOP_ADMIN_KEY": ADMIN_KEY,
                   "COOP_CLOCK": "simulated"}  # fmt: skip
    if rules is not None:
        environment[RULES_ENV] = str(rules)
    app = embedded.create_app(Settings.from_env(environment))
    with TestClient(app) as client:
        api = Api(client, app, app.state.contracts_service)
        api.set_today(TODAY)
        yield api


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with app_with_rules(tmp_path_factory.mktemp("documents")) as api:
        yield api


@pytest.fixture(scope="module")
def validator() -> PeppolValidator:
    if not (RULES / "peppol" / "PEPPOL-EN16931-UBL.xslt").is_file():
        pytest.skip(f"Peppol rule files not found at {RULES}")
    return PeppolValidator.from_directory(RULES)


def billing(api: Api) -> BillingService:
    service = api.app.state.billing_service
    assert isinstance(service, BillingService)
    return service


def issued_invoice(api: Api, **client: object) -> tuple[dict[str, Any], dict[str, Any]]:
    """Encode → accept → the invoice the reaction issues (and the member it is for)."""
    member = api.register_member()
    registered = api.register_client(**client)
    prestation = api.encode(member["member_id"], registered["client_id"])
    quote = prestation["quote"]
    assert api.accept(quote["quote_id"], quote["acceptance_token"]).status_code == 200
    invoice_id = f"I{prestation['prestation_id']}"
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        response = api.request("GET", f"/v1/invoices/{invoice_id}")
        if response.status_code == 200:
            return response.json(), member
        time.sleep(0.02)
    raise AssertionError(f"no invoice {invoice_id}")


def ubl_of(api: Api, path: str) -> etree._Element:
    response = api.request("GET", path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/xml"
    return etree.fromstring(response.content)


def text(root: etree._Element, xpath: str) -> str:
    found = root.xpath(xpath, namespaces=NS)
    assert found, xpath
    return str(found[0].text if hasattr(found[0], "text") else found[0])


def test_the_html_invoice_shows_what_the_law_asks(api: Api) -> None:
    invoice, _ = issued_invoice(api)
    response = api.request("GET", f"/v1/invoices/{invoice['invoice_id']}/document")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    number = invoice["number"]
    assert f'filename="facture-{number}.html"' in response.headers["content-disposition"]
    page = response.text
    for mention in ("Travail Partagé SCE", "société coopérative", "RPM Bruxelles",
                    "Rue de l&#x27;Exemple 1", number, invoice["structured_reference"],
                    "Théâtre du Parc", "Two concerts", "12/03/2026"):  # fmt: skip
        assert mention in page, mention
    assert "0123.456.749" in page or "0123456749" in page


def test_the_reverse_charge_mention_is_on_the_html(api: Api) -> None:
    invoice, _ = issued_invoice(api, **FRENCH_CLIENT)
    page = api.request("GET", f"/v1/invoices/{invoice['invoice_id']}/document").text
    assert "Autoliquidation" in page and "Btw verlegd" in page
    assert "FR40303265045" in page


def test_the_pdf_parses_and_carries_the_number(api: Api) -> None:
    invoice, _ = issued_invoice(api)
    response = api.request("GET", f"/v1/invoices/{invoice['invoice_id']}/pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="facture-{invoice["number"]}.pdf"'
    )
    pages = pypdf.PdfReader(io.BytesIO(response.content)).pages
    content = "".join(page.extract_text() for page in pages)
    assert invoice["number"] in content
    assert invoice["structured_reference"] in content


@needs_rules
def test_a_belgian_b2b_ubl_passes_the_rules_with_its_pdf_inside(
    api: Api, validator: PeppolValidator
) -> None:
    invoice, _ = issued_invoice(api)
    root = ubl_of(api, f"/v1/invoices/{invoice['invoice_id']}/ubl")
    assert validator.validate(etree.tostring(root)).ok
    assert text(root, "cbc:InvoiceTypeCode") == "380"
    assert text(root, "cbc:ID") == invoice["number"]
    assert text(root, "cac:PaymentMeans/cbc:PaymentMeansCode") == "30"
    reference = text(root, "cac:PaymentMeans/cbc:PaymentID")
    assert reference.replace("+", "").replace("/", "") in invoice["structured_reference"].replace(
        "+", ""
    ).replace("/", "")
    endpoint = root.find("cac:AccountingCustomerParty/cac:Party/cbc:EndpointID", NS)
    assert (endpoint.get("schemeID"), endpoint.text) == ("0208", "0123456749")
    attachment = root.find(".//cbc:EmbeddedDocumentBinaryObject", NS)
    assert attachment is not None and attachment.get("mimeCode") == "application/pdf"
    assert text(root, "cac:LegalMonetaryTotal/cbc:PayableAmount") == "1210.00"


@needs_rules
def test_an_eu_reverse_charge_ubl_passes_the_rules(api: Api, validator: PeppolValidator) -> None:
    invoice, _ = issued_invoice(api, **FRENCH_CLIENT)
    root = ubl_of(api, f"/v1/invoices/{invoice['invoice_id']}/ubl")
    assert validator.validate(etree.tostring(root)).ok
    category = "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:ID"
    assert text(root, category) == "AE"
    assert text(root, "cac:LegalMonetaryTotal/cbc:PayableAmount") == "1000.00"


@needs_rules
def test_a_credit_note_has_its_documents_and_a_ubl_that_passes(
    api: Api, validator: PeppolValidator
) -> None:
    invoice, _ = issued_invoice(api)
    body = {"reason": "one day less", "amount_excl_vat_cents": 50_000}
    note = api.post(f"/v1/invoices/{invoice['invoice_id']}/credit-notes", body, status=201)
    base = f"/v1/credit-notes/{note['credit_note_id']}"
    root = ubl_of(api, f"{base}/ubl")
    assert validator.validate(etree.tostring(root)).ok
    assert etree.QName(root).localname == "CreditNote"
    assert text(root, "cbc:CreditNoteTypeCode") == "381"
    assert (
        text(root, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID")
        == (invoice["number"])
    )
    assert text(root, "cac:LegalMonetaryTotal/cbc:PayableAmount") == "605.00"
    page = api.request("GET", f"{base}/document")
    assert page.status_code == 200 and invoice["number"] in page.text
    assert "one day less" in page.text
    pdf = api.request("GET", f"{base}/pdf")
    assert f'filename="note-de-credit-{note["number"]}.pdf"' in pdf.headers["content-disposition"]
    content = pypdf.PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert note["number"] in content
    # The invoice itself now shows what the credit note took off.
    invoice_page = api.request("GET", f"/v1/invoices/{invoice['invoice_id']}/document").text
    assert note["number"] in invoice_page


@needs_rules
def test_a_ubl_with_a_wrong_total_is_refused_with_its_rule_ids(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    invoice, _ = issued_invoice(api)
    real = ubl_module.render_ubl

    def wrong_total(document: Any, pdf: bytes | None = None) -> bytes:
        xml = real(document, pdf)
        return xml.replace(b">1210.00</cbc:PayableAmount>", b">1211.00</cbc:PayableAmount>")

    monkeypatch.setattr(ubl_module, "render_ubl", wrong_total)
    response = api.request("GET", f"/v1/invoices/{invoice['invoice_id']}/ubl")
    problem = assert_problem(response, 503, "ubl-validation-failed")
    rules = [error["rule"] for error in problem["errors"]]
    assert "BR-CO-16" in rules, rules
    assert "BR-CO-16" in problem["detail"]
    # HTML and PDF are not checked against Peppol rules: they are still served.
    assert api.request("GET", f"/v1/invoices/{invoice['invoice_id']}/pdf").status_code == 200


@needs_rules
def test_a_document_whose_sums_are_wrong_is_refused_with_the_arithmetic(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    invoice, _ = issued_invoice(api)

    def off_by_a_cent(state: Any) -> Any:
        document = invoice_document(state)
        return dataclasses.replace(
            document, vat_cents=document.vat_cents + 1, total_cents=document.total_cents + 1,
            outstanding_cents=document.outstanding_cents + 1,
        )  # fmt: skip

    monkeypatch.setattr(documents_api, "invoice_document", off_by_a_cent)
    response = api.request("GET", f"/v1/invoices/{invoice['invoice_id']}/ubl")
    problem = assert_problem(response, 503, "ubl-validation-failed")
    rules = [error["rule"] for error in problem["errors"]]
    assert "ARITHMETIC" in rules and "BR-CO-14" in rules, rules
    arithmetic = next(e for e in problem["errors"] if e["rule"] == "ARITHMETIC")
    assert "VAT rows add up to" in arithmetic["message"]


def test_without_rules_configured_no_ubl_is_published(
    api: Api, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    invoice, _ = issued_invoice(api)
    path = f"/v1/invoices/{invoice['invoice_id']}/ubl"
    monkeypatch.setattr(billing(api), "publisher", Publisher(None))
    problem = assert_problem(api.request("GET", path), 503, "peppol-rules-missing")
    assert "COOP_PEPPOL_RULES is not set" in problem["detail"]
    monkeypatch.setattr(billing(api), "publisher", Publisher(tmp_path / "nowhere"))
    problem = assert_problem(api.request("GET", path), 503, "peppol-rules-missing")
    assert "not found" in problem["detail"] and "nowhere" in problem["detail"]


def test_a_member_sees_the_documents_of_its_own_invoices_only(api: Api) -> None:
    mine, member = issued_invoice(api)
    theirs, _ = issued_invoice(api)
    key = api.member_key(member["member_id"])
    for kind in ("document", "pdf"):
        assert api.request("GET", f"/v1/invoices/{mine['invoice_id']}/{kind}",
                           key=key).status_code == 200  # fmt: skip
    for kind in ("document", "pdf", "ubl"):
        response = api.request("GET", f"/v1/invoices/{theirs['invoice_id']}/{kind}", key=key)
        assert_problem(response, 404, "invoice-not-found")
    note = api.post(f"/v1/invoices/{theirs['invoice_id']}/credit-notes", {"reason": "x"},
                    status=201)  # fmt: skip
    response = api.request("GET", f"/v1/credit-notes/{note['credit_note_id']}/pdf", key=key)
    assert_problem(response, 404, "invoice-not-found")
    assert api.request("GET", "/v1/invoices/I" + "0" * 32 + "/pdf").status_code == 404
    unknown = f"/v1/credit-notes/N{mine['invoice_id']}-9/document"
    assert_problem(api.request("GET", unknown), 404, "invoice-not-found")
    assert_problem(api.request("GET", "/v1/credit-notes/nonsense/ubl"), 404, "invoice-not-found")


def _delivery_settled(api: Api, invoice_id: str) -> None:
    """The background's delivery appends to the invoice stream (so moves its ETag): let it end."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        delivery = api.get(f"/v1/invoices/{invoice_id}")["delivery"]
        if delivery is not None and delivery["status"] != "pending":
            return
        time.sleep(0.05)
    raise AssertionError(f"the delivery of {invoice_id} did not end")


def test_the_etag_is_the_stream_version_and_answers_not_modified(api: Api) -> None:
    invoice, _ = issued_invoice(api)
    _delivery_settled(api, invoice["invoice_id"])
    path = f"/v1/invoices/{invoice['invoice_id']}/pdf"
    first = api.request("GET", path)
    etag = first.headers["etag"]
    assert etag.endswith('-pdf"')
    again = api.request("GET", path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["etag"] == etag
    api.post("/v1/payments", {"invoice_id": invoice["invoice_id"], "amount_cents": 100,
                              "received_on": "2026-03-05"}, status=201)  # fmt: skip
    changed = api.request("GET", path, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag


def test_every_state_renders_to_a_document_that_adds_up(api: Api) -> None:
    """Issued, partly paid, with a late-payment claim, credited in part, overpaid."""
    handlers = billing(api).runtime.handlers
    invoice, _ = issued_invoice(api)
    invoice_id = invoice["invoice_id"]

    def check() -> None:
        state = handlers.invoice(invoice_id).state
        document = invoice_document(state)
        assert arithmetic_errors(document) == (), document
        assert document.outstanding_cents == state.outstanding_cents
        for note in state.credit_notes:
            assert arithmetic_errors(credit_note_document(state, note.credit_note_id)) == ()

    check()
    pay = {"invoice_id": invoice_id, "amount_cents": 20_000, "received_on": "2026-03-05"}
    api.post("/v1/payments", pay, status=201)
    check()
    claim = AddClaim("c-flat", "flat_fee", "Indemnité forfaitaire", 4_000, TODAY)
    handlers.on_invoice(invoice_id, claim, Context.new("test"))
    check()
    assert invoice_document(handlers.invoice(invoice_id).state).claims[0].amount_cents == 4_000
    api.post(f"/v1/invoices/{invoice_id}/credit-notes",
             {"reason": "a day less", "amount_excl_vat_cents": 30_000}, status=201)  # fmt: skip
    check()
    pay = {"invoice_id": invoice_id, "amount_cents": 200_000, "received_on": "2026-03-06"}
    api.post("/v1/payments", pay, status=201)
    check()
    final = invoice_document(handlers.invoice(invoice_id).state)
    assert final.outstanding_cents == 0
    assert any("Note de crédit" in mention for mention in final.legal_mentions)
