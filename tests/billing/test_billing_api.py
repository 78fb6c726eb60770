"""The billing service over HTTP in the embedded app: an accepted quote is invoiced by itself,
then paid, credited, written off; the reconciliations hold on the read models."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from services.billing.app import BillingService
from tests.api.api_client import TODAY, Api, assert_problem
from tests.api.conftest import running_app

DEADLINE = 10.0


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with running_app(tmp_path_factory.mktemp("billing")) as api:
        api.set_today(TODAY)
        yield api


def billing(api: Api) -> BillingService:
    service = api.app.state.billing_service
    assert isinstance(service, BillingService)
    return service


def wait_for_invoice(api: Api, invoice_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        response = api.request("GET", f"/v1/invoices/{invoice_id}")
        if response.status_code == 200:
            body: dict[str, Any] = response.json()
            return body
        time.sleep(0.02)
    raise AssertionError(f"no invoice {invoice_id} after {DEADLINE} s")


def accepted_invoice(api: Api, **client: object) -> tuple[dict[str, Any], dict[str, Any]]:
    member = api.register_member()
    registered = api.register_client(**client)
    prestation = api.encode(member["member_id"], registered["client_id"])
    quote = prestation["quote"]
    response = api.accept(quote["quote_id"], quote["acceptance_token"])
    assert response.status_code == 200, response.text
    return wait_for_invoice(api, f"I{prestation['prestation_id']}"), member


def test_an_accepted_quote_is_invoiced_without_any_call(api: Api) -> None:
    invoice, _ = accepted_invoice(api)
    assert invoice["number"].startswith("2026-")
    assert (invoice["amount_excl_vat_cents"], invoice["vat_cents"], invoice["total_cents"]) == (
        100_000, 21_000, 121_000,
    )  # fmt: skip
    assert invoice["due_date"] == "2026-03-12"
    assert invoice["status"] == "issued"
    assert invoice["structured_reference"].startswith("+++202/6")


def test_a_french_business_client_is_reverse_charged(api: Api) -> None:
    invoice, _ = accepted_invoice(api, country="FR", vat_number="FR40303265045")
    assert (invoice["vat_cents"], invoice["total_cents"]) == (0, 100_000)
    assert invoice["legal_mentions"] == ["Autoliquidation", "Btw verlegd"]


def test_payments_by_reference_partial_then_over_leave_a_credit_to_refund(api: Api) -> None:
    invoice, _ = accepted_invoice(api)
    reference = invoice["structured_reference"]
    first = {"structured_reference": reference, "amount_cents": 21_000, "received_on": "2026-03-05"}
    paid = api.post("/v1/payments", first, status=201)
    assert (paid["status"], paid["invoice_id"]) == ("matched", invoice["invoice_id"])
    rest = {
        "invoice_id": invoice["invoice_id"],
        "amount_cents": 110_000,
        "received_on": "2026-03-06",
    }
    last = api.post("/v1/payments", rest, status=201)
    after = api.get(f"/v1/invoices/{invoice['invoice_id']}")
    assert (after["status"], after["paid_cents"], after["outstanding_cents"]) == (
        "paid",
        121_000,
        0,
    )
    refunds = api.get("/v1/receivables/refunds", params={"min_position": last["position"]})
    assert {"invoice_id": invoice["invoice_id"], "payment_id": last["payment_id"],
            "client_id": invoice["client_id"], "amount_cents": 10_000,
            "recorded_on": "2026-03-06"} in refunds["items"]  # fmt: skip


def test_a_payment_is_recorded_once_under_the_same_idempotency_key(api: Api) -> None:
    invoice, _ = accepted_invoice(api)
    body = {"invoice_id": invoice["invoice_id"], "amount_cents": 1_000, "received_on": "2026-03-05"}
    headers = {"Idempotency-Key": f"pay-{invoice['invoice_id']}"}
    first = api.post("/v1/payments", body, status=201, headers=headers)
    again = api.post("/v1/payments", body, status=201, headers=headers)
    assert first["payment_id"] == again["payment_id"]
    assert api.get(f"/v1/invoices/{invoice['invoice_id']}")["paid_cents"] == 1_000


def test_an_unmatched_payment_waits_then_is_assigned(api: Api) -> None:
    invoice, _ = accepted_invoice(api)
    body = {"structured_reference": "+++999/9999/99948+++", "amount_cents": 121_000,
            "received_on": "2026-03-05"}  # fmt: skip
    queued = api.post("/v1/payments", body, status=201)
    assert queued["status"] == "unmatched" and queued["invoice_id"] is None
    listed = api.get("/v1/payments", params={"status": "unmatched",
                                             "min_position": queued["position"]})  # fmt: skip
    assert queued["payment_id"] in [p["payment_id"] for p in listed["items"]]
    assigned = api.post(f"/v1/payments/{queued['payment_id']}/assign",
                        {"invoice_id": invoice["invoice_id"]})  # fmt: skip
    assert assigned["status"] == "assigned"
    assert api.get(f"/v1/invoices/{invoice['invoice_id']}")["status"] == "paid"
    again = api.request("POST", f"/v1/payments/{queued['payment_id']}/assign",
                        json={"invoice_id": invoice["invoice_id"]})  # fmt: skip
    assert_problem(again, 409, "payment-already-settled")


def test_an_unmatched_payment_can_be_marked_for_refund(api: Api) -> None:
    body = {"structured_reference": "not a reference", "amount_cents": 500,
            "received_on": "2026-03-05"}  # fmt: skip
    queued = api.post("/v1/payments", body, status=201)
    marked = api.post(f"/v1/payments/{queued['payment_id']}/refund", {"reason": "unknown payer"})
    assert marked["status"] == "to_refund"


def test_a_payment_names_exactly_one_target(api: Api) -> None:
    response = api.request(
        "POST", "/v1/payments", json={"amount_cents": 1, "received_on": "2026-03-05"}
    )
    assert response.status_code == 422


def test_a_partial_credit_note_then_a_write_off(api: Api) -> None:
    invoice, _ = accepted_invoice(api)
    invoice_id = invoice["invoice_id"]
    partial = {"reason": "one day less", "amount_excl_vat_cents": 50_000}
    note = api.post(f"/v1/invoices/{invoice_id}/credit-notes", partial, status=201)
    assert (note["total_cents"], note["full"], note["invoice_number"]) == (
        60_500,
        False,
        invoice["number"],
    )
    assert api.get(f"/v1/credit-notes/{note['credit_note_id']}")["number"] == note["number"]
    too_much = api.request("POST", f"/v1/invoices/{invoice_id}/credit-notes",
                           json={"reason": "x", "amount_excl_vat_cents": 50_001})  # fmt: skip
    assert_problem(too_much, 422, "credit-exceeds-invoice")
    off = api.post(f"/v1/invoices/{invoice_id}/write-off", {"reason": "client bankrupt"})
    assert (off["status"], off["outstanding_cents"]) == ("written_off", 60_500)


def test_cancelling_an_accepted_prestation_credits_its_invoice_in_full(api: Api) -> None:
    invoice, _ = accepted_invoice(api)
    prestation_id = invoice["prestation_id"]
    api.post(f"/v1/prestations/{prestation_id}/cancel", {"reason": "venue closed"})
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        current = api.get(f"/v1/invoices/{invoice['invoice_id']}")
        if current["credit_note_ids"]:
            break
        time.sleep(0.02)
    assert current["status"] == "credited" and current["outstanding_cents"] == 0
    note = api.get(f"/v1/credit-notes/{current['credit_note_ids'][0]}")
    assert (note["full"], note["total_cents"]) == (True, 121_000)


def test_a_member_key_sees_the_invoices_of_its_own_prestations_only(api: Api) -> None:
    mine, member = accepted_invoice(api)
    theirs, _ = accepted_invoice(api)
    key = api.member_key(member["member_id"])
    assert api.get(f"/v1/invoices/{mine['invoice_id']}", key=key)["number"] == mine["number"]
    assert_problem(api.request("GET", f"/v1/invoices/{theirs['invoice_id']}", key=key), 404,
                   "invoice-not-found")  # fmt: skip
    head = api.store.head()
    listed = api.get("/v1/invoices", key=key, params={"min_position": head})
    assert [row["invoice_id"] for row in listed["items"]] == [mine["invoice_id"]]
    assert api.request("POST", "/v1/payments", key=key, json={
        "invoice_id": mine["invoice_id"], "amount_cents": 1, "received_on": "2026-03-05",
    }).status_code == 403  # fmt: skip


def test_overdue_is_derived_from_the_date_and_receivables_reconcile(api: Api) -> None:
    invoice, _ = accepted_invoice(api)
    api.set_today("2026-04-20")
    try:
        assert api.get(f"/v1/invoices/{invoice['invoice_id']}")["status"] == "overdue"
        head = api.store.head()
        overdue = api.get("/v1/invoices", params={"status": "overdue", "min_position": head})
        assert invoice["invoice_id"] in [row["invoice_id"] for row in overdue["items"]]
        book = api.get("/v1/receivables", params={"min_position": head})
        aged = book["aged_balance"]
        assert sum(aged.values()) == book["total_outstanding_cents"]
        assert (
            sum(c["outstanding_cents"] for c in book["clients"]) == book["total_outstanding_cents"]
        )
        assert aged["31_60"] >= invoice["total_cents"]
    finally:
        api.set_today(TODAY)


def test_billing_reports_its_readiness(api: Api) -> None:
    names = [check()["name"] for check in billing(api).readiness]
    assert names == ["billing_views", "billing-invoicing", "billing-delivery"]
