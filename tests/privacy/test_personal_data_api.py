"""Access and portability over HTTP: every event naming the member, from every service."""

from __future__ import annotations

from typing import Any

from shared.events.base import Context
from shared.events.contracts import MemberDetailsCorrected
from shared.eventstore.codec import to_new_events
from tests.api.api_client import TODAY, Api, assert_problem
from tests.privacy.helpers import paid, worked

Json = dict[str, Any]
HISTORY = 1200


def export(api: Api, member_id: str, **params: Any) -> Json:
    return api.get(f"/v1/members/{member_id}/personal-data", params=params)


def events_of(body: Json) -> list[Json]:
    return [e for categories in body["services"].values() for es in categories.values() for e in es]


def every_page(api: Api, member_id: str, limit: int) -> list[Json]:
    found: list[Json] = []
    cursor: str | None = None
    while True:
        body = export(api, member_id, limit=limit, **({"cursor": cursor} if cursor else {}))
        assert len(events_of(body)) <= limit
        found.extend(events_of(body))
        cursor = body["next_cursor"]
        if cursor is None:
            return found


class TestExport:
    def test_a_registered_member_finds_its_registration_opened(self, api: Api) -> None:
        member_id = api.register_member()["member_id"]

        body = api.get(f"/v1/members/{member_id}/personal-data", key=api.member_key(member_id))

        assert (body["member_id"], body["erased"]) == (member_id, False)
        assert body["subjects"] == [f"member/{member_id}"]
        (registered,) = body["services"]["contracts"]["member"]
        assert registered["type"] == "MemberRegistered"
        assert registered["stream"] == f"member-{member_id}" and registered["version"] == 0
        assert registered["data"]["last_name"] == "Peeters"
        assert registered["data"]["niss"] == "85073003328"
        assert body["total_events"] >= 1 and body["next_cursor"] is None

    def test_the_whole_chain_by_service_and_page_by_page(self, api: Api) -> None:
        member_id = api.register_member()["member_id"]
        other = api.register_member(email="other@example.be")["member_id"]
        client_id = api.register_client()["client_id"]
        _, salary_id = worked(api, member_id, client_id)
        worked(api, other, client_id)
        paid(api, salary_id)
        api.post("/v1/share-purchases", {"member_id": member_id, "category": "A", "quantity": 1},
                 status=201)  # fmt: skip

        whole = export(api, member_id, limit=500)
        paged = every_page(api, member_id, limit=3)

        assert whole["next_cursor"] is None
        by_position = sorted(events_of(whole), key=lambda e: e["position"])
        assert sorted(paged, key=lambda e: e["position"]) == by_position
        assert len(paged) == whole["total_events"]
        positions = [e["position"] for e in paged]
        assert len(positions) == len(set(positions))
        assert {
            service: sorted(categories) for service, categories in whole["services"].items()
        } == {
            "contracts": ["member", "prestation"],
            "billing": ["invoice"],
            "payroll": ["salary"],
            "guarantee_fund": ["fundpayment"],
            "governance": ["shareholder", "sharenumbers"],
        }
        types = {e["type"] for e in paged}
        assert {"MemberRegistered", "PrestationEncoded", "EmploymentContractDrawnUp",
                "DimonaDeclared", "InvoiceIssued", "SalaryScheduled", "SalaryPaid",
                "ShareholderAdmitted", "SharePurchaseNumbered"} <= types  # fmt: skip
        for event in paged:  # only this member's events
            assert other not in str(event["data"]), event["type"]
            assert member_id in str(event["data"]), event["type"]
        (numbered,) = whole["services"]["governance"]["sharenumbers"]
        assert numbered["data"]["member_id"] == member_id

    def test_years_of_history_come_a_page_at_a_time(self, api: Api) -> None:
        member_id = api.register_member()["member_id"]
        stream = f"member-{member_id}"
        corrections = [
            MemberDetailsCorrected(member_id=member_id, address=f"Rue {n}", corrected_on=TODAY)
            for n in range(HISTORY)
        ]
        for start in range(0, HISTORY, 100):  # as many appends as a member's years would make
            batch = corrections[start : start + 100]
            api.store.append(stream, to_new_events(batch, Context.new("test")), start)

        first = export(api, member_id)
        every = every_page(api, member_id, limit=500)

        assert len(events_of(first)) == 200 and first["next_cursor"] is not None
        assert first["total_events"] == HISTORY + 1
        assert len(every) == HISTORY + 1
        addresses = [e["data"]["address"] for e in every if e["type"] == "MemberDetailsCorrected"]
        assert addresses == [f"Rue {n}" for n in range(HISTORY)]

    def test_a_page_is_bounded(self, api: Api) -> None:
        member_id = api.register_member()["member_id"]
        path = f"/v1/members/{member_id}/personal-data"

        too_many = api.request("GET", path, params={"limit": 501})
        bad_cursor = api.request("GET", path, params={"cursor": "x1"})

        assert_problem(too_many, 422, "validation-error", field="limit")
        assert_problem(bad_cursor, 400, "invalid-cursor", field="cursor")


class TestWhoMayRead:
    def test_another_members_data_is_not_found(self, api: Api) -> None:
        mine = api.register_member()["member_id"]
        theirs = api.register_member(email="other@example.be")["member_id"]

        response = api.request(
            "GET", f"/v1/members/{theirs}/personal-data", key=api.member_key(mine)
        )

        assert_problem(response, 404, "member-not-found")

    def test_an_unknown_member_is_not_found(self, api: Api) -> None:
        response = api.request("GET", f"/v1/members/{'0' * 32}/personal-data")

        assert_problem(response, 404, "member-not-found")
