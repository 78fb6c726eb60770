"""Who may see and do what: clients belong to members, quotes are answered by clients."""

from __future__ import annotations

from typing import Any

from tests.api.api_client import Api, assert_problem

Json = dict[str, Any]


def _own_client(api: Api, key: str) -> Json:
    return api.post("/v1/clients", api.client_body(), key=key, status=201)


class TestClientsOfAMember:
    def test_a_member_reads_the_clients_it_registered(self, api: Api, member: Json) -> None:
        key = api.member_key(member["member_id"])
        client = _own_client(api, key)

        assert api.get(f"/v1/clients/{client['client_id']}", key=key) == api.get(
            f"/v1/clients/{client['client_id']}"
        )

    def test_another_members_client_is_not_found(self, api: Api, member: Json) -> None:
        other = api.register_member(email="other@example.be")
        theirs = _own_client(api, api.member_key(other["member_id"]))
        key = api.member_key(member["member_id"])

        response = api.request("GET", f"/v1/clients/{theirs['client_id']}", key=key)

        assert_problem(response, 404, "client-not-found")

    def test_a_member_cannot_invoice_another_members_client(self, api: Api, member: Json) -> None:
        other = api.register_member(email="other@example.be")
        theirs = _own_client(api, api.member_key(other["member_id"]))
        key = api.member_key(member["member_id"])

        response = api.try_encode(member["member_id"], theirs["client_id"], key=key)

        assert_problem(response, 422, "unknown-client", field="client_id")

    def test_nor_a_client_of_the_cooperatives_register(
        self, api: Api, member: Json, client: Json
    ) -> None:
        key = api.member_key(member["member_id"])

        response = api.try_encode(member["member_id"], client["client_id"], key=key)

        assert_problem(response, 422, "unknown-client", field="client_id")

    def test_once_ops_share_it_the_member_invoices_it(
        self, api: Api, member: Json, client: Json
    ) -> None:
        key = api.member_key(member["member_id"])
        shared = api.post(
            f"/v1/clients/{client['client_id']}/members", {"member_id": member["member_id"]}
        )

        body = api.encode(member["member_id"], client["client_id"], key=key)

        assert shared["client_id"] == client["client_id"]
        assert body["client_id"] == client["client_id"]

    def test_sharing_with_an_unknown_member_is_refused(self, api: Api, client: Json) -> None:
        response = api.request(
            "POST", f"/v1/clients/{client['client_id']}/members", json={"member_id": "0" * 32}
        )

        assert_problem(response, 422, "unknown-member", field="member_id")

    def test_a_member_key_cannot_share_a_client(self, api: Api, member: Json) -> None:
        key = api.member_key(member["member_id"])
        client = _own_client(api, key)

        response = api.request(
            "POST", f"/v1/clients/{client['client_id']}/members", key=key,
            json={"member_id": member["member_id"]},
        )  # fmt: skip

        assert_problem(response, 403, "forbidden")

    def test_staff_register_a_client_for_a_member(self, api: Api, member: Json) -> None:
        client = api.register_client(member_id=member["member_id"])
        key = api.member_key(member["member_id"])

        assert api.get(f"/v1/clients/{client['client_id']}", key=key)["client_id"]

    def test_a_member_key_registers_for_its_own_member_only(self, api: Api, member: Json) -> None:
        other = api.register_member(email="other@example.be")
        key = api.member_key(member["member_id"])

        response = api.request(
            "POST", "/v1/clients", key=key, json=api.client_body(member_id=other["member_id"])
        )

        assert_problem(response, 403, "forbidden")


class TestAnsweringAQuote:
    def test_the_member_cannot_accept_its_own_quote_even_with_the_token(
        self, api: Api, quoted: Json
    ) -> None:
        key = api.member_key(quoted["member_id"])

        response = api.accept(
            quoted["quote"]["quote_id"], quoted["quote"]["acceptance_token"], key=key
        )

        assert_problem(response, 403, "forbidden")
        assert api.prestation(quoted["prestation_id"])["status"] == "quoted"

    def test_nor_reject_it(self, api: Api, quoted: Json) -> None:
        key = api.member_key(quoted["member_id"])

        response = api.reject(
            quoted["quote"]["quote_id"], quoted["quote"]["acceptance_token"], key=key
        )

        assert_problem(response, 403, "forbidden")


class TestFreeUses:
    def test_a_cancelled_prestation_gives_its_free_use_back(
        self, api: Api, member: Json, client: Json
    ) -> None:
        encoded = [api.encode(member["member_id"], client["client_id"]) for _ in range(3)]
        refused = api.try_encode(member["member_id"], client["client_id"])
        api.post(f"/v1/prestations/{encoded[0]['prestation_id']}/cancel", {})

        fourth = api.try_encode(member["member_id"], client["client_id"])

        assert_problem(refused, 422, "share-required")
        assert fourth.status_code == 201, fourth.text
        returned = [e for e in api.store.read_all() if e.type == "FreePrestationReturned"]
        assert [e.stream for e in returned] == [f"member-{member['member_id']}"]

    def test_a_rejected_quote_gives_its_free_use_back(
        self, api: Api, member: Json, client: Json
    ) -> None:
        encoded = [api.encode(member["member_id"], client["client_id"]) for _ in range(3)]
        quote = encoded[1]["quote"]
        assert api.reject(quote["quote_id"], quote["acceptance_token"]).status_code == 200

        assert api.try_encode(member["member_id"], client["client_id"]).status_code == 201
