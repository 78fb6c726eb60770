"""A reminder as a person reads it (HTML and PDF), exactly as it was sent: a payment made
afterwards never changes a letter already sent."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import timedelta

import pytest
from pypdf import PdfReader

from tests.api.api_client import TODAY, Api, assert_problem
from tests.api.conftest import running_app
from tests.billing.test_billing_api import accepted_invoice
from tests.billing.test_collection_run import DUE, collection


@pytest.fixture
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with running_app(tmp_path_factory.mktemp("reminders")) as api:
        api.set_today(TODAY)
        yield api


def test_the_reminders_documents_show_what_was_claimed_when_it_was_sent(api: Api) -> None:
    invoice, _ = accepted_invoice(api)
    invoice_id = invoice["invoice_id"]
    for day in (DUE + timedelta(days=1), DUE + timedelta(days=15)):
        api.set_today(day)
        collection(api).run_once()

    first = api.request("GET", f"/v1/invoices/{invoice_id}/reminders/1/document")
    assert first.status_code == 200 and first.headers["content-type"].startswith("text/html")
    assert invoice["number"] in first.text and "Rappel 1" in first.text

    paid_on = (DUE + timedelta(days=16)).isoformat()
    payment = {"invoice_id": invoice_id, "amount_cents": 50_000, "received_on": paid_on}
    api.post("/v1/payments", payment, status=201, headers={"Idempotency-Key": "pay-after"})
    again = api.request("GET", f"/v1/invoices/{invoice_id}/reminders/1/document")
    assert again.text == first.text, "a payment after the reminder changed the letter"

    pdf = api.request("GET", f"/v1/invoices/{invoice_id}/reminders/2/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Rappel 2" in text and invoice["number"] in text

    missing = api.request("GET", f"/v1/invoices/{invoice_id}/reminders/3/pdf")
    assert_problem(missing, 404, "reminder-not-found")
