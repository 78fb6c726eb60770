"""Erasure requests over HTTP, on the embedded app and its real SQLite store."""

from __future__ import annotations

from typing import Any

from services.privacy import keys
from shared.events.privacy import PersonalDataErased
from tests.api.api_client import TODAY, Api, assert_problem
from tests.privacy.conftest import privacy_of
from tests.privacy.helpers import eventually, holds_of, paid, requests_of, worked

Json = dict[str, Any]


def ask(api: Api, member_id: str, **kwargs: Any) -> Any:
    return api.request("POST", f"/v1/members/{member_id}/erasure-requests", **kwargs)


class TestAsking:
    def test_a_member_asks_and_sees_its_request_pending(self, api: Api) -> None:
        member_id = api.register_member()["member_id"]
        key = api.member_key(member_id)

        response = ask(api, member_id, key=key)

        assert response.status_code == 201, response.text
        body = response.json()
        assert response.headers["location"] == f"/v1/members/{member_id}/erasure-requests"
        assert (body["status"], body["requested_by"], body["requested_on"]) == (
            "pending", "member", TODAY.isoformat(),
        )  # fmt: skip
        # Registered only: no document yet that the law makes the cooperative keep.
        assert (body["holds"], body["erasable_from"]) == ([], TODAY.isoformat())
        assert isinstance(body["position"], int)
        listed = requests_of(api, member_id, key=key)
        assert [r["request_id"] for r in listed] == [body["request_id"]]
        assert listed[0]["status"] == "pending"

    def test_a_retry_with_its_idempotency_key_answers_the_first_request(self, api: Api) -> None:
        member_id = api.register_member()["member_id"]
        headers = {"Idempotency-Key": "erase-me-1"}

        first = ask(api, member_id, headers=headers)
        again = ask(api, member_id, headers=headers)

        assert (first.status_code, again.status_code) == (201, 201), again.text
        assert again.json()["request_id"] == first.json()["request_id"]
        assert again.headers["idempotent-replayed"] == "true"
        assert len(requests_of(api, member_id)) == 1

    def test_a_second_request_while_one_is_pending_is_a_conflict(self, api: Api) -> None:
        member_id = api.register_member()["member_id"]
        assert ask(api, member_id).status_code == 201

        assert_problem(ask(api, member_id), 409, "erasure-already-requested")
        assert len(requests_of(api, member_id)) == 1

    def test_ops_ask_for_a_member(self, api: Api) -> None:
        member_id = api.register_member()["member_id"]

        response = ask(api, member_id, key=api.ops_key())

        assert response.status_code == 201 and response.json()["requested_by"] == "ops"


class TestWhoMayAsk:
    def test_another_members_requests_are_not_found(self, api: Api) -> None:
        mine = api.register_member()["member_id"]
        theirs = api.register_member(email="other@example.be")["member_id"]
        key = api.member_key(mine)

        assert_problem(ask(api, theirs, key=key), 404, "member-not-found")
        response = api.request("GET", f"/v1/members/{theirs}/erasure-requests", key=key)
        assert_problem(response, 404, "member-not-found")
        assert requests_of(api, theirs) == []

    def test_an_unknown_member_is_not_found(self, api: Api) -> None:
        unknown = "0" * 32

        assert_problem(ask(api, unknown), 404, "member-not-found")
        response = api.request("GET", f"/v1/members/{unknown}/erasure-requests")
        assert_problem(response, 404, "member-not-found")

    def test_only_staff_list_every_request(self, api: Api) -> None:
        member_id = api.register_member()["member_id"]

        response = api.request("GET", "/v1/erasure-requests", key=api.member_key(member_id))

        assert_problem(response, 403, "forbidden")

    def test_the_list_refuses_a_status_it_does_not_know(self, api: Api) -> None:
        response = api.request("GET", "/v1/erasure-requests", params={"status": "all"})

        assert_problem(response, 422, "validation-error", field="status")


class TestHolds:
    def test_a_member_who_worked_is_held_by_each_rule_until_its_day(self, api: Api) -> None:
        member_id = api.register_member()["member_id"]
        client_id = api.register_client()["client_id"]
        _, salary_id = worked(api, member_id, client_id)
        api.post("/v1/share-purchases", {"member_id": member_id, "category": "A", "quantity": 1},
                 status=201)  # fmt: skip
        assert ask(api, member_id).status_code == 201

        (request,) = requests_of(api, member_id)

        assert holds_of(request) == {
            "social_documents": "2031-03-11",  # 5 years after the last day worked
            "accounting_documents": "2036-12-31",  # the invoice of March 2026
            "vat_documents": "2036-12-31",
            "salary_owed": None,  # not paid yet
            "share_register": None,  # still a shareholder
        }
        assert request["erasable_from"] is None
        social = next(h for h in request["holds"] if h["rule"] == "social_documents")
        assert social["source"].startswith("AR 8 août 1980")
        assert social["fact_date"] == "2026-03-11" and social["ended"] is False

        paid(api, salary_id)
        (request,) = eventually(
            api, f"/v1/members/{member_id}/erasure-requests",
            lambda body: "withholding_tax" in holds_of(body["items"][0]),
        )["items"]  # fmt: skip
        assert holds_of(request)["withholding_tax"] == "2033-12-31"
        assert "salary_owed" not in holds_of(request)


class TestCarryingOut:
    def test_done_the_day_after_the_last_hold_and_only_once(self, fresh_api: Api) -> None:
        api = fresh_api
        executor = privacy_of(api).executor
        member_id = api.register_member()["member_id"]
        client_id = api.register_client()["client_id"]
        _, salary_id = worked(api, member_id, client_id)
        paid(api, salary_id)
        created = ask(api, member_id).json()

        api.set_today("2036-12-31")
        assert executor.run_once() == []  # accounting and VAT documents: to the end of 2036
        assert requests_of(api, member_id)[0]["status"] == "pending"

        api.set_today("2037-01-01")
        (erased,) = executor.run_once()

        assert isinstance(erased, PersonalDataErased)
        assert (erased.member_id, erased.carried_out_on.isoformat()) == (member_id, "2037-01-01")
        assert {h.rule for h in erased.ended_holds} == {
            "social_documents", "accounting_documents", "vat_documents", "withholding_tax",
        }  # fmt: skip
        assert keys.is_erased(f"member/{member_id}")
        (done,) = requests_of(api, member_id)
        assert (done["request_id"], done["status"]) == (created["request_id"], "done")
        assert (done["carried_out_on"], done["holds"]) == ("2037-01-01", [])
        assert done["subjects"] == [f"member/{member_id}"]
        assert executor.run_once() == []
        exported = api.get(f"/v1/members/{member_id}/personal-data", params={"limit": 500})
        assert exported["erased"] is True
        (registered,) = [e for e in exported["services"]["contracts"]["member"]
                         if e["type"] == "MemberRegistered"]  # fmt: skip
        personal = ("first_name", "last_name", "email", "niss", "iban")
        assert {registered["data"][name] for name in personal} == {keys.ERASED}
        (invoice,) = [e for e in exported["services"]["billing"]["invoice"]
                      if e["type"] == "InvoiceIssued"]  # fmt: skip
        assert invoice["data"]["total_cents"] == 121000  # the facts stay, to the cent
        stream = api.store.read_stream(f"erasure-{member_id}")
        assert [e.type for e in stream] == ["ErasureRequested", "PersonalDataErased"]
        assert_problem(ask(api, member_id), 409, "already-erased")

    def test_ops_see_pending_and_done_requests(self, fresh_api: Api) -> None:
        api = fresh_api
        executor = privacy_of(api).executor
        first, second, third = (
            api.register_member(email=f"m{n}@example.be")["member_id"] for n in range(3)
        )
        for member_id in (first, second, third):
            assert ask(api, member_id).status_code == 201
        client_id = api.register_client()["client_id"]
        worked(api, second, client_id)  # the second is held by its work
        erased = executor.run_once()
        assert {e.member_id for e in erased if isinstance(e, PersonalDataErased)} == {first, third}
        assert len(erased) == 2

        # The list is a read model: it shows the two erasures once it has folded them.
        done = eventually(api, "/v1/erasure-requests?status=done", lambda b: len(b["items"]) == 2)
        pending = api.get("/v1/erasure-requests", params={"status": "pending"})
        page = api.get("/v1/erasure-requests", params={"limit": 2})
        rest = api.get("/v1/erasure-requests", params={"cursor": page["next_cursor"]})

        assert [r["member_id"] for r in pending["items"]] == [second]
        assert "social_documents" in holds_of(pending["items"][0])
        assert [r["member_id"] for r in done["items"]] == [first, third]
        assert {r["carried_out_on"] for r in done["items"]} == {TODAY.isoformat()}
        listed = [r["member_id"] for r in page["items"] + rest["items"]]
        assert listed == [first, second, third] and rest["next_cursor"] is None
