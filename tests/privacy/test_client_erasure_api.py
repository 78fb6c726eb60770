"""A private client's erasure requests over HTTP, on the embedded app and its real SQLite store:
recorded by ops, held by the client's invoices, listed beside the members' requests."""

from __future__ import annotations

from typing import Any

import httpx

from services.privacy import keys
from shared.events.billing import BankStatementImported, UnmatchedPaymentReceived
from shared.events.privacy import ClientPersonalDataErased
from shared.eventstore.codec import decode
from shared.personal import reveal
from tests.api.api_client import TODAY, VALID_VAT, Api, assert_problem
from tests.billing.test_statements_api import FIXTURES, XML, post_statement
from tests.privacy.conftest import privacy_of
from tests.privacy.helpers import eventually, holds_of, worked

Json = dict[str, Any]
PRIVATE = {"name": "Jeanne Dupont", "email": "jeanne.dupont@example.be", "vat_number": None,
           "address": "Rue Haute 12, 1000 Bruxelles"}  # fmt: skip


def private_client(api: Api) -> str:
    client_id: str = api.register_client(**PRIVATE)["client_id"]
    return client_id


def ask(api: Api, client_id: str, **kwargs: Any) -> httpx.Response:
    return api.request("POST", f"/v1/clients/{client_id}/erasure-requests", **kwargs)


def requests_of(api: Api, client_id: str) -> list[Json]:
    items: list[Json] = api.get(f"/v1/clients/{client_id}/erasure-requests")["items"]
    return items


def invoiced(api: Api, client_id: str) -> str:
    """The worked example invoiced to the client (1,210.00 incl. VAT); its invoice id."""
    member_id = api.register_member()["member_id"]
    prestation_id, _ = worked(api, member_id, client_id)
    return f"I{prestation_id}"


def pay(api: Api, invoice_id: str, cents: int, on: str = "2026-03-20") -> None:
    body = {"invoice_id": invoice_id, "amount_cents": cents, "received_on": on}
    api.post("/v1/payments", body, status=201)


class TestAsking:
    def test_ops_record_a_private_clients_request(self, api: Api) -> None:
        client_id = private_client(api)

        response = ask(api, client_id, key=api.ops_key())

        assert response.status_code == 201, response.text
        body = response.json()
        assert response.headers["location"] == f"/v1/clients/{client_id}/erasure-requests"
        assert (body["whose"], body["client_id"], body["member_id"]) == ("client", client_id, None)
        assert (body["status"], body["requested_by"], body["requested_on"]) == (
            "pending", "ops", TODAY.isoformat(),
        )  # fmt: skip
        # Never invoiced: nothing the law makes the cooperative keep.
        assert (body["holds"], body["erasable_from"]) == ([], TODAY.isoformat())
        (listed,) = requests_of(api, client_id)
        assert (listed["request_id"], listed["status"]) == (body["request_id"], "pending")

    def test_a_retry_with_its_idempotency_key_answers_the_first_request(self, api: Api) -> None:
        client_id = private_client(api)
        headers = {"Idempotency-Key": "erase-client-1"}

        first = ask(api, client_id, headers=headers)
        again = ask(api, client_id, headers=headers)

        assert (first.status_code, again.status_code) == (201, 201), again.text
        assert again.json()["request_id"] == first.json()["request_id"]
        assert again.headers["idempotent-replayed"] == "true"
        assert len(requests_of(api, client_id)) == 1

    def test_a_second_request_while_one_is_pending_is_a_conflict(self, api: Api) -> None:
        client_id = private_client(api)
        assert ask(api, client_id).status_code == 201

        assert_problem(ask(api, client_id), 409, "erasure-already-requested")
        assert len(requests_of(api, client_id)) == 1


class TestWhoMayBeErased:
    def test_a_company_is_refused_and_nothing_is_recorded(self, api: Api) -> None:
        client_id = api.register_client()["client_id"]  # with a VAT number

        problem = assert_problem(ask(api, client_id), 422, "client-is-a-company", "client_id")

        assert "not personal data" in problem["detail"]
        assert requests_of(api, client_id) == []
        assert api.store.read_stream(f"clienterasure-{client_id}") == []

    def test_a_private_client_given_a_vat_number_since_is_a_company(self, api: Api) -> None:
        client_id = private_client(api)
        api.request("PATCH", f"/v1/clients/{client_id}", json={"vat_number": VALID_VAT})

        assert_problem(ask(api, client_id), 422, "client-is-a-company", "client_id")

    def test_an_unknown_client_is_not_found(self, api: Api) -> None:
        unknown = "0" * 32

        assert_problem(ask(api, unknown), 404, "client-not-found")
        response = api.request("GET", f"/v1/clients/{unknown}/erasure-requests")
        assert_problem(response, 404, "client-not-found")

    def test_only_staff_ask_or_read_for_a_client(self, api: Api) -> None:
        member_id = api.register_member()["member_id"]
        key = api.member_key(member_id)
        client_id = api.post(
            "/v1/clients", {**api.client_body(**PRIVATE), "member_id": member_id}, status=201
        )["client_id"]  # the member's own client: still not the member's to erase

        assert_problem(ask(api, client_id, key=key), 403, "forbidden")
        response = api.request("GET", f"/v1/clients/{client_id}/erasure-requests", key=key)
        assert_problem(response, 403, "forbidden")


class TestHolds:
    def test_an_invoice_holds_until_its_periods_end_and_while_it_is_open(self, api: Api) -> None:
        client_id = private_client(api)
        invoice_id = invoiced(api, client_id)
        assert ask(api, client_id).status_code == 201

        (request,) = requests_of(api, client_id)

        number = api.get(f"/v1/invoices/{invoice_id}")["number"]
        assert holds_of(request) == {
            "accounting_documents": "2036-12-31",  # the invoice of March 2026
            "vat_documents": "2036-12-31",
            "invoice_open": None,  # not paid
        }
        assert request["erasable_from"] is None
        still_open = next(h for h in request["holds"] if h["rule"] == "invoice_open")
        assert still_open["fact"] == f"invoice {number} not settled"
        assert still_open["source"].startswith("GDPR art. 17")
        vat = next(h for h in request["holds"] if h["rule"] == "vat_documents")
        assert vat["source"].startswith("Code TVA") and vat["fact"] == f"invoice {number}"

        pay(api, invoice_id, 60_000)  # in part: still open
        assert "invoice_open" in holds_of(requests_of(api, client_id)[0])
        pay(api, invoice_id, 61_000)
        (request,) = eventually(
            api, f"/v1/clients/{client_id}/erasure-requests",
            lambda body: "invoice_open" not in holds_of(body["items"][0]),
        )["items"]  # fmt: skip
        assert request["erasable_from"] == "2037-01-01"
        accounting = next(h for h in request["holds"] if h["rule"] == "accounting_documents")
        assert accounting["fact"].startswith("payment ") and accounting["fact_date"] == "2026-03-20"

    def test_an_invoice_credited_in_full_is_no_longer_open(self, api: Api) -> None:
        client_id = private_client(api)
        invoice_id = invoiced(api, client_id)
        assert ask(api, client_id).status_code == 201
        api.set_today("2026-04-02")
        api.post(f"/v1/invoices/{invoice_id}/credit-notes", {"reason": "cancelled"}, status=201)

        (request,) = eventually(
            api, f"/v1/clients/{client_id}/erasure-requests",
            lambda body: "invoice_open" not in holds_of(body["items"][0]),
        )["items"]  # fmt: skip

        assert holds_of(request)["vat_documents"] == "2036-12-31"
        vat = next(h for h in request["holds"] if h["rule"] == "vat_documents")
        assert vat["fact"].startswith("credit note ") and vat["fact_date"] == "2026-04-02"

    def test_a_written_off_invoice_is_no_longer_open(self, api: Api) -> None:
        client_id = private_client(api)
        invoice_id = invoiced(api, client_id)
        assert ask(api, client_id).status_code == 201
        api.post(f"/v1/invoices/{invoice_id}/write-off", {"reason": "insolvent"})

        (request,) = eventually(
            api, f"/v1/clients/{client_id}/erasure-requests",
            lambda body: "invoice_open" not in holds_of(body["items"][0]),
        )["items"]  # fmt: skip

        assert set(holds_of(request)) == {"accounting_documents", "vat_documents"}


class TestCarryingOut:
    def test_ops_list_client_requests_beside_members(self, fresh_api: Api) -> None:
        api = fresh_api
        member_id = api.register_member()["member_id"]
        client_id = private_client(api)
        held = private_client(api)
        invoiced(api, held)
        for path in (f"/v1/members/{member_id}", f"/v1/clients/{client_id}",
                     f"/v1/clients/{held}"):  # fmt: skip
            api.post(f"{path}/erasure-requests", {}, status=201)

        erased = privacy_of(api).executor.run_once()

        assert {type(e).__name__ for e in erased} == {"PersonalDataErased",
                                                       "ClientPersonalDataErased"}  # fmt: skip
        done = eventually(api, "/v1/erasure-requests?status=done", lambda b: len(b["items"]) == 2)
        assert [(r["whose"], r["member_id"], r["client_id"]) for r in done["items"]] == [
            ("member", member_id, None), ("client", None, client_id),
        ]  # fmt: skip
        assert done["items"][1]["subjects"] == [f"client/{client_id}"]
        (pending,) = api.get("/v1/erasure-requests", params={"status": "pending"})["items"]
        assert (pending["whose"], pending["client_id"]) == ("client", held)
        assert holds_of(pending)["invoice_open"] is None
        assert keys.is_erased(f"client/{client_id}") and not keys.is_erased(f"client/{held}")
        assert api.get(f"/v1/clients/{client_id}")["name"] == keys.ERASED

    def test_a_payer_assigned_to_their_invoice_is_erased_with_them(self, fresh_api: Api) -> None:
        api = fresh_api
        client_id = private_client(api)
        invoice_id = invoiced(api, client_id)
        head = api.store.head()
        statement = post_statement(api, (FIXTURES / "camt053_v04.xml").read_bytes(), XML).json()
        (credit,) = [m for m in statement["movements"] if m["amount_cents"] > 0]
        payment_id = credit["payment_id"]
        api.post(f"/v1/payments/{payment_id}/assign", {"invoice_id": invoice_id})
        pay(api, invoice_id, 121_000 - credit["amount_cents"])
        assert ask(api, client_id).status_code == 201
        eventually(api, f"/v1/clients/{client_id}/erasure-requests",
                   lambda b: "invoice_open" not in holds_of(b["items"][0]))  # fmt: skip
        api.set_today("2037-01-01")

        (erased,) = privacy_of(api).executor.run_once()

        assert isinstance(erased, ClientPersonalDataErased)
        assert erased.subjects == (
            f"client/{client_id}", f"invoice/{invoice_id}", f"payment/{payment_id}",
        )  # fmt: skip
        recorded = [decode(r).event for r in api.store.read_all(head)]
        (queued,) = [e for e in recorded if isinstance(e, UnmatchedPaymentReceived)]
        assert reveal(queued.counterparty_name) == keys.ERASED
        # The statement seals its movements with one key for all its payers: erasing it would
        # erase everyone's; the payer's name there is not erased (see the privacy README line).
        (imported,) = [e for e in recorded if isinstance(e, BankStatementImported)]
        (movement,) = [m for m in imported.movements if m.payment_id == payment_id]
        assert reveal(movement.counterparty_name) not in (None, keys.ERASED)
