"""The contracts service over HTTP (API.md "Contracts service"), through the embedded app.

Dates: the simulated clock says 2026-03-02 (a Monday); the worked example works on 03-10 and
03-11, so its quote is valid until 03-09.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.routing import APIRoute

from services.contracts import api as contracts_api
from tests.api.api_client import ADMIN_KEY, TODAY, VALID_NISS, VALID_VAT, Api, assert_problem

Json = dict[str, Any]

WORKED_EXAMPLE_ESTIMATE = {
    "amount_excl_vat_cents": 100000,
    "vat_cents": 21000,
    "total_cents": 121000,
    "fee_cents": 6500,
    "expenses_cents": 0,
    "budget_cents": 93500,
    "gross_cents": 63924,
    "employer_contributions_cents": 18640,
    "holiday_contributions_cents": 10936,
    "employee_contributions_cents": 9023,
    "taxable_cents": 54901,
    "withholding_cents": 12078,
    "net_cents": 42823,
}
ONE_DAY = [{"date": "2026-03-10", "hours": 8}]


def ids(member: Json, client: Json) -> tuple[str, str]:
    return member["member_id"], client["client_id"]


def token_of(prestation: Json) -> str:
    token: str = prestation["quote"]["acceptance_token"]
    return token


# -- registering members and clients ------------------------------------------------------------


class TestMemberRegistration:
    def test_a_member_is_registered_with_normalised_identifiers(self, api: Api) -> None:
        response = api.request("POST", "/v1/members", json=api.member_body())

        assert response.status_code == 201
        body = response.json()
        assert response.headers["location"] == f"/v1/members/{body['member_id']}"
        assert response.headers["etag"] == '"0"'
        assert body["niss"] == VALID_NISS
        assert body["iban"] == "BE71096123456769"
        assert body["bic"] == "GKCCBEBB"
        assert body["registered_on"] == TODAY.isoformat()
        assert api.get(f"/v1/members/{body['member_id']}")["iban"] == "BE71096123456769"

    @pytest.mark.parametrize(
        ("field", "value"),
        [("niss", "85073003329"), ("niss", "12345"), ("iban", "BE71 0961 2345 6768")],
    )
    def test_an_invalid_identifier_is_refused_naming_its_field(
        self, api: Api, field: str, value: str
    ) -> None:
        response = api.request("POST", "/v1/members", json=api.member_body(**{field: value}))

        assert_problem(response, 422, "invalid-identifier", field=field)

    def test_a_member_key_cannot_register_members(self, api: Api, member: Json) -> None:
        key = api.member_key(member["member_id"])

        response = api.request("POST", "/v1/members", key=key, json=api.member_body())

        assert_problem(response, 403, "forbidden")


class TestMemberCorrections:
    def test_a_member_corrects_their_own_email_and_iban(self, api: Api, member: Json) -> None:
        key = api.member_key(member["member_id"])
        path = f"/v1/members/{member['member_id']}"

        response = api.request(
            "PATCH", path, key=key, json={"email": "new@example.be", "iban": "BE71096123456769"},
            headers={"If-Match": '"0"'},
        )  # fmt: skip

        assert response.status_code == 200, response.text
        assert response.headers["etag"] == '"1"'
        assert response.json()["email"] == "new@example.be"
        assert api.get(path)["email"] == "new@example.be"

    def test_the_same_values_again_change_nothing(self, api: Api, member: Json) -> None:
        path = f"/v1/members/{member['member_id']}"

        response = api.request("PATCH", path, json={"email": member["email"]})

        assert response.status_code == 200, response.text
        assert response.json()["version"] == 0
        assert response.json()["position"] is None

    def test_a_stale_etag_is_a_failed_precondition(self, api: Api, member: Json) -> None:
        path = f"/v1/members/{member['member_id']}"
        api.request("PATCH", path, json={"first_name": "Adèle"})

        response = api.request(
            "PATCH", path, json={"first_name": "Ada"}, headers={"If-Match": '"0"'}
        )

        assert_problem(response, 412, "precondition-failed", field="If-Match")

    def test_an_invalid_niss_is_refused_and_nothing_changes(self, api: Api, member: Json) -> None:
        path = f"/v1/members/{member['member_id']}"

        response = api.request("PATCH", path, json={"niss": "85073003329"})

        assert_problem(response, 422, "invalid-identifier", field="niss")
        assert api.get(path)["niss"] == VALID_NISS

    def test_a_member_key_cannot_read_or_correct_another_member(
        self, api: Api, member: Json
    ) -> None:
        other = api.register_member()
        key = api.member_key(member["member_id"])
        path = f"/v1/members/{other['member_id']}"

        assert_problem(api.request("GET", path, key=key), 403, "forbidden")
        patched = api.request("PATCH", path, key=key, json={"email": "x@y.be"})
        assert_problem(patched, 403, "forbidden")

    def test_an_unknown_member_is_not_found(self, api: Api) -> None:
        assert_problem(api.request("GET", f"/v1/members/{'0' * 32}"), 404, "member-not-found")


class TestClientCorrections:
    def test_ops_correct_a_client_address(self, api: Api, client: Json) -> None:
        path = f"/v1/clients/{client['client_id']}"

        body = api.request("PATCH", path, json={"address": "Rue Royale 1, 1000 Bruxelles"})

        assert body.status_code == 200, body.text
        assert body.json()["address"] == "Rue Royale 1, 1000 Bruxelles"
        assert body.headers["etag"] == '"1"'
        assert api.get(path)["address"] == "Rue Royale 1, 1000 Bruxelles"

    def test_a_stale_etag_changes_nothing(self, api: Api, client: Json) -> None:
        path = f"/v1/clients/{client['client_id']}"
        api.request("PATCH", path, json={"name": "Théâtre Royal"})

        response = api.request("PATCH", path, json={"name": "X"}, headers={"If-Match": '"0"'})

        assert_problem(response, 412, "precondition-failed", field="If-Match")
        assert api.get(path)["name"] == "Théâtre Royal"

    def test_an_unknown_client_is_not_found(self, api: Api) -> None:
        assert_problem(api.request("GET", f"/v1/clients/{'0' * 32}"), 404, "client-not-found")

    def test_a_partner_key_cannot_read_clients(self, api: Api, client: Json) -> None:
        key = api.issue_key("partner", None, scopes=["events:read"])

        response = api.request("GET", f"/v1/clients/{client['client_id']}", key=key)

        assert_problem(response, 403, "forbidden")


class TestClientRegistration:
    def test_a_belgian_client_is_registered_with_its_vat_number(self, api: Api) -> None:
        body = api.register_client(vat_number="BE 0123.456.749")

        assert body["vat_number"] == VALID_VAT
        assert body["country"] == "BE"

    def test_an_invalid_belgian_vat_number_is_refused(self, api: Api) -> None:
        response = api.request(
            "POST", "/v1/clients", json=api.client_body(vat_number="BE0123456748")
        )

        assert_problem(response, 422, "invalid-identifier", field="vat_number")


# -- encoding -----------------------------------------------------------------------------------


class TestEncodingTheWorkedExample:
    def test_it_is_quoted_with_a_contract_a_dimona_in_and_the_salary_estimate(
        self, api: Api, member: Json, client: Json
    ) -> None:
        response = api.try_encode(*ids(member, client))

        assert response.status_code == 201, response.text
        body = response.json()
        prestation_id = body["prestation_id"]
        assert body["status"] == "quoted"
        assert body["first_day"] == "2026-03-10"
        assert body["last_day"] == "2026-03-11"
        assert body["encoded_on"] == TODAY.isoformat()
        assert body["vat_cents"] == 21000
        assert body["total_cents"] == 121000
        quote = body["quote"]
        assert quote["quote_id"] == f"Q{prestation_id}"
        assert quote["status"] == "pending"
        assert quote["valid_until"] == "2026-03-10"
        assert quote["total_cents"] == 121000
        assert quote["payment_term_days"] == 10
        assert isinstance(quote["acceptance_token"], str) and len(quote["acceptance_token"]) >= 24
        contract = body["employment_contract"]
        assert contract["contract_id"] == f"C{prestation_id}"
        assert contract["status"] == "awaiting-acceptance"
        assert contract["less_than_a_day"] is False
        assert contract["days"] == [
            {"date": "2026-03-10", "hours": 8},
            {"date": "2026-03-11", "hours": 8},
        ]
        assert contract["gross_per_day_cents"] == 31962
        assert contract["daily_minimum_cents"] == 9942  # the 2026 Q1 minimum wage
        dimona = body["dimona"]
        assert dimona["declaration_id"] == f"D{prestation_id}-1"
        assert dimona["kind"] == "IN"
        assert dimona["status"] == "pending"
        assert body["salary_estimate"] == WORKED_EXAMPLE_ESTIMATE
        assert response.headers["location"] == f"/v1/prestations/{prestation_id}"
        assert response.headers["etag"] == f'"{body["version"]}"'

    def test_the_acceptance_token_is_shown_only_to_the_encoder(
        self, api: Api, quoted: Json
    ) -> None:
        read = api.prestation(quoted["prestation_id"])

        assert read["quote"].get("acceptance_token") is None
        assert read["salary_estimate"] == WORKED_EXAMPLE_ESTIMATE

    def test_the_contract_and_its_declaration_are_readable_by_their_ids(
        self, api: Api, quoted: Json
    ) -> None:
        prestation_id = quoted["prestation_id"]

        contract = api.get(f"/v1/employment-contracts/C{prestation_id}")
        declaration = api.get(f"/v1/dimona-declarations/D{prestation_id}-1")

        assert contract["gross_cents"] == 63924
        assert contract["prestation_id"] == prestation_id
        assert declaration["kind"] == "IN"
        assert declaration["prestation_id"] == prestation_id

    @pytest.mark.parametrize(
        ("path", "code"),
        [
            (f"/v1/prestations/{'0' * 32}", "prestation-not-found"),
            (f"/v1/quotes/Q{'0' * 32}", "quote-not-found"),
            (f"/v1/employment-contracts/C{'0' * 32}", "prestation-not-found"),
            ("/v1/employment-contracts/X123", "contract-not-found"),
            ("/v1/dimona-declarations/X123", "declaration-not-found"),
        ],
    )
    def test_an_unknown_document_is_a_404_problem(self, api: Api, path: str, code: str) -> None:
        assert_problem(api.request("GET", path), 404, code)

    def test_a_declaration_the_prestation_does_not_have_is_not_found(
        self, api: Api, quoted: Json
    ) -> None:
        response = api.request("GET", f"/v1/dimona-declarations/D{quoted['prestation_id']}-9")

        assert_problem(response, 404, "declaration-not-found")


class TestEncodingWithExpenses:
    def test_expenses_come_out_of_the_budget_and_are_paid_back_untaxed(
        self, api: Api, member: Json, client: Json
    ) -> None:
        expenses = [{"description": "train", "amount_cents": 2300}]

        body = api.encode(*ids(member, client), expenses=expenses)

        assert body["expenses"] == expenses
        assert body["expenses_cents"] == 2300
        estimate = body["salary_estimate"]
        assert estimate["expenses_cents"] == 2300
        assert estimate["budget_cents"] == 100000 - 6500 - 2300
        assert estimate["fee_cents"] == 6500
        paid_out = (
            "employer_contributions_cents",
            "holiday_contributions_cents",
            "employee_contributions_cents",
            "withholding_cents",
            "net_cents",
        )
        assert sum(estimate[name] for name in paid_out) == estimate["budget_cents"]
        assert body["total_cents"] == 121000  # expenses are in the agreed price


class TestShortGigs:
    def test_a_gross_under_the_daily_minimum_makes_a_contract_of_less_than_a_day(
        self, api: Api, member: Json, client: Json
    ) -> None:
        body = api.encode(*ids(member, client), days=ONE_DAY, amount_excl_vat_cents=15000)

        contract = body["employment_contract"]
        assert contract["less_than_a_day"] is True
        assert contract["days"] == [{"date": "2026-03-10", "hours": 7.33}]  # 2026 Q1 minimum
        assert contract["gross_per_day_cents"] == 9589
        assert body["days"] == [{"date": "2026-03-10", "hours": 8}]

    def test_a_gross_worth_under_three_hours_is_refused(
        self, api: Api, member: Json, client: Json
    ) -> None:
        response = api.try_encode(*ids(member, client), days=ONE_DAY, amount_excl_vat_cents=5000)

        assert_problem(response, 422, "below-minimum-wage", field="amount_excl_vat_cents")


class TestEncodingRefusals:
    def test_a_day_under_the_minimum_work_period_is_refused(
        self, api: Api, member: Json, client: Json
    ) -> None:
        days = [{"date": "2026-03-10", "hours": 2}]

        response = api.try_encode(*ids(member, client), days=days)

        assert_problem(response, 422, "minimum-hours", field="days[0].hours")

    def test_a_day_before_today_is_refused(self, api: Api, member: Json, client: Json) -> None:
        days = [{"date": "2026-03-10", "hours": 8}, {"date": "2026-03-01", "hours": 8}]

        response = api.try_encode(*ids(member, client), days=days)

        assert_problem(response, 422, "start-in-past", field="days[1].date")

    def test_a_date_the_parameters_do_not_cover_is_a_clear_refusal(
        self, api: Api, member: Json, client: Json
    ) -> None:
        api.set_today("2000-01-03")

        response = api.try_encode(*ids(member, client), days=[{"date": "2000-01-10", "hours": 8}])

        problem = assert_problem(response, 422, "parameters-not-defined")
        assert "2000-01-10" in problem["detail"]

    def test_a_day_before_any_dated_parameter_is_refused_as_past(
        self, api: Api, member: Json, client: Json
    ) -> None:
        days = [{"date": "1970-01-01", "hours": 8}]

        response = api.try_encode(*ids(member, client), days=days)

        assert_problem(response, 422, "start-in-past", field="days[0].date")

    def test_an_unknown_member_is_refused(self, api: Api, client: Json) -> None:
        response = api.try_encode("f" * 32, client["client_id"])

        assert_problem(response, 422, "unknown-member", field="member_id")

    def test_an_unknown_client_is_refused(self, api: Api, member: Json) -> None:
        response = api.try_encode(member["member_id"], "f" * 32)

        assert_problem(response, 422, "unknown-client", field="client_id")

    @pytest.mark.parametrize("rate", ["20", "5.5"])  # malformed rates: tests/api/test_bounds.py
    def test_a_vat_rate_that_does_not_exist_is_refused(
        self, api: Api, member: Json, client: Json, rate: str
    ) -> None:
        response = api.try_encode(*ids(member, client), vat_rate=rate)

        assert_problem(response, 422, "invalid-vat-rate", field="vat_rate")

    @pytest.mark.parametrize(
        ("overrides", "code", "field"),
        [
            ({"withholding_rate": "100"}, "invalid-withholding-rate", "withholding_rate"),
            ({"withholding_rate": "22.125"}, "validation-error", "withholding_rate"),
            ({"days": []}, "invalid-days", "days"),
            ({"days": ONE_DAY * 2}, "invalid-days", "days[1].date"),
            ({"days": [{"date": "2026-03-10", "hours": 25}]}, "validation-error", "days[0].hours"),
            ({"amount_excl_vat_cents": 0}, "invalid-amount", "amount_excl_vat_cents"),
            (
                {"expenses": [{"description": "train", "amount_cents": -1}]},
                "validation-error",
                "expenses[0].amount_cents",
            ),
            ({"description": "   "}, "validation-error", "description"),
        ],
    )
    def test_other_encoding_rules_answer_their_own_problem_type(
        self, api: Api, member: Json, client: Json, overrides: Json, code: str, field: str
    ) -> None:
        response = api.try_encode(*ids(member, client), **overrides)

        assert_problem(response, 422, code, field=field)

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"days": [{"date": "2026-03-10", "hours": "eight"}]}, "days[0].hours"),
            ({"days": [{"date": "10/03/2026", "hours": 8}]}, "days[0].date"),
            ({"amount_excl_vat_cents": "a lot"}, "amount_excl_vat_cents"),
            ({"client_id": None}, "client_id"),
            ({"colour": "blue"}, "colour"),
        ],
    )
    def test_a_malformed_body_is_a_validation_error_naming_the_field(
        self, api: Api, member: Json, client: Json, overrides: Json, field: str
    ) -> None:
        response = api.try_encode(*ids(member, client), **overrides)

        assert_problem(response, 422, "validation-error", field=field)

    def test_a_request_that_is_not_json_is_a_validation_error(self, api: Api) -> None:
        response = api.client.post(
            "/v1/prestations",
            content=b"{not json",
            headers={"Authorization": f"Bearer {ADMIN_KEY}", "Content-Type": "application/json"},
        )

        assert_problem(response, 422, "validation-error", field="body")

    def test_encoding_needs_a_key(self, api: Api, member: Json, client: Json) -> None:
        response = api.try_encode(*ids(member, client), key=None)

        problem = assert_problem(response, 401, "unauthenticated")
        assert response.headers["www-authenticate"] == "Bearer"
        assert problem["instance"] == "/v1/prestations"


class TestTheShareRule:
    def test_a_fourth_prestation_needs_a_share_then_is_accepted_once_one_is_bought(
        self, api: Api, member: Json, client: Json
    ) -> None:
        for _ in range(3):
            api.encode(*ids(member, client))

        refused = api.try_encode(*ids(member, client))
        assert_problem(refused, 422, "share-required", field="member_id")

        api.buy_share(member["member_id"], TODAY.year)
        assert api.encode(*ids(member, client))["status"] == "quoted"

    def test_a_share_of_another_year_does_not_count(
        self, api: Api, member: Json, client: Json
    ) -> None:
        api.buy_share(member["member_id"], TODAY.year - 1)
        for _ in range(3):
            api.encode(*ids(member, client))

        refused = api.try_encode(*ids(member, client))

        assert_problem(refused, 422, "share-required")

    def test_a_member_with_a_share_encodes_more_than_three_prestations(
        self, api: Api, member: Json, client: Json
    ) -> None:
        api.buy_share(member["member_id"], TODAY.year)

        for _ in range(4):
            api.encode(*ids(member, client))


class TestIdempotentEncoding:
    def test_the_same_key_twice_encodes_once_and_answers_the_same(
        self, api: Api, member: Json, client: Json
    ) -> None:
        headers = {"Idempotency-Key": uuid.uuid4().hex}

        first = api.try_encode(*ids(member, client), headers=headers)
        again = api.try_encode(*ids(member, client), headers=headers)

        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()
        assert again.headers["idempotent-replayed"] == "true"
        assert again.headers["location"] == first.headers["location"]
        listed = api.get(
            "/v1/prestations",
            params={"member_id": member["member_id"], "min_position": first.json()["position"]},
        )
        assert [p["prestation_id"] for p in listed["items"]] == [first.json()["prestation_id"]]

    def test_the_same_key_with_another_body_is_refused(
        self, api: Api, member: Json, client: Json
    ) -> None:
        headers = {"Idempotency-Key": uuid.uuid4().hex}
        api.encode(*ids(member, client), headers=headers)

        response = api.try_encode(*ids(member, client), headers=headers, description="Other")

        assert_problem(response, 422, "idempotency-key-reused")

    def test_distinct_keys_encode_distinct_prestations(
        self, api: Api, member: Json, client: Json
    ) -> None:
        first = api.encode(*ids(member, client), headers={"Idempotency-Key": uuid.uuid4().hex})
        second = api.encode(*ids(member, client), headers={"Idempotency-Key": uuid.uuid4().hex})

        assert first["prestation_id"] != second["prestation_id"]


# -- quotes -------------------------------------------------------------------------------------


class TestAcceptingAPendingQuote:
    def test_the_client_accepts_with_its_token_and_no_key(self, api: Api, quoted: Json) -> None:
        response = api.accept(quoted["quote"]["quote_id"], token_of(quoted))

        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "accepted"
        assert body["quote"]["status"] == "accepted"
        assert body["quote"]["accepted_by"] == "client"
        assert body["quote"]["accepted_on"] == TODAY.isoformat()
        assert body["employment_contract"]["status"] == "active"
        assert response.headers["etag"] == f'"{body["version"]}"'
        assert api.prestation(quoted["prestation_id"])["status"] == "accepted"

    def test_the_last_day_to_accept_is_the_first_day(self, api: Api, quoted: Json) -> None:
        api.set_today("2026-03-10")

        response = api.accept(quoted["quote"]["quote_id"], token_of(quoted))

        assert response.status_code == 200, response.text

    def test_a_wrong_token_is_forbidden(self, api: Api, quoted: Json) -> None:
        response = api.accept(quoted["quote"]["quote_id"], "not-the-token")

        assert_problem(response, 403, "invalid-acceptance-token")
        assert api.prestation(quoted["prestation_id"])["status"] == "quoted"

    def test_without_token_nor_key_it_is_unauthenticated(self, api: Api, quoted: Json) -> None:
        response = api.accept(quoted["quote"]["quote_id"], None)

        assert_problem(response, 401, "unauthenticated")

    def test_the_member_cannot_accept_its_own_quote_without_the_token(
        self, api: Api, quoted: Json
    ) -> None:
        key = api.member_key(quoted["member_id"])

        response = api.accept(quoted["quote"]["quote_id"], None, key=key)

        assert_problem(response, 403, "forbidden")

    def test_ops_accepts_without_a_token(self, api: Api, quoted: Json) -> None:
        response = api.accept(quoted["quote"]["quote_id"], None, key=api.ops_key())

        assert response.status_code == 200, response.text
        assert response.json()["quote"]["accepted_by"] == "ops"

    def test_accepting_twice_is_a_conflict(self, api: Api, quoted: Json) -> None:
        quote_id = quoted["quote"]["quote_id"]
        assert api.accept(quote_id, token_of(quoted)).status_code == 200

        response = api.accept(quote_id, token_of(quoted))

        assert_problem(response, 409, "quote-not-pending")

    @pytest.mark.parametrize("today", ["2026-03-11", "2026-03-12"])
    def test_accepting_after_the_first_day_is_too_late(
        self, api: Api, quoted: Json, today: str
    ) -> None:
        api.set_today(today)

        response = api.accept(quoted["quote"]["quote_id"], token_of(quoted))

        assert_problem(response, 409, "quote-expired")

    def test_an_unknown_quote_is_not_found(self, api: Api) -> None:
        response = api.accept(f"Q{'0' * 32}", "token")

        assert_problem(response, 404, "quote-not-found")


class TestReadingAQuote:
    def test_the_client_reads_it_with_its_token_and_no_key(self, api: Api, quoted: Json) -> None:
        quote_id = quoted["quote"]["quote_id"]

        body = api.get(
            f"/v1/quotes/{quote_id}", key=None, params={"acceptance_token": token_of(quoted)}
        )

        assert body["quote_id"] == quote_id
        assert body["status"] == "pending"
        assert body["total_cents"] == 121000
        assert body["prestation_id"] == quoted["prestation_id"]
        assert body["days"] == quoted["days"]
        assert body.get("acceptance_token") is None

    def test_a_wrong_token_is_forbidden_and_no_token_unauthenticated(
        self, api: Api, quoted: Json
    ) -> None:
        path = f"/v1/quotes/{quoted['quote']['quote_id']}"

        wrong = api.request("GET", path, key=None, params={"acceptance_token": "nope"})
        none = api.request("GET", path, key=None)

        assert_problem(wrong, 403, "invalid-acceptance-token", field="acceptance_token")
        assert_problem(none, 401, "unauthenticated")

    def test_another_member_cannot_read_it(self, api: Api, quoted: Json) -> None:
        other = api.register_member(email="other@example.be")
        key = api.member_key(other["member_id"])

        response = api.request("GET", f"/v1/quotes/{quoted['quote']['quote_id']}", key=key)

        assert_problem(response, 403, "forbidden")

    def test_its_document_is_html_with_the_amounts(self, api: Api, quoted: Json) -> None:
        quote_id = quoted["quote"]["quote_id"]

        response = api.request(
            "GET",
            quoted["quote"]["document_url"],
            key=None,
            params={"acceptance_token": token_of(quoted)},
        )

        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/html")
        html = response.text
        for text in (
            f"Quote {quote_id}",
            "Two concerts",
            "Théâtre du Parc",
            "€\u00a01,000.00",
            "€\u00a0210.00",
            "€\u00a01,210.00",
            "valid until\n<strong>2026-03-10</strong>",
        ):
            assert text in html, text


class TestRejectingAQuote:
    def test_rejection_cancels_the_contract_and_declares_a_dimona_cancel(
        self, api: Api, quoted: Json
    ) -> None:
        prestation_id = quoted["prestation_id"]

        response = api.reject(quoted["quote"]["quote_id"], token_of(quoted), reason="Too dear")

        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "rejected"
        assert body["quote"]["status"] == "rejected"
        assert body["closed_on"] == TODAY.isoformat()
        assert body["employment_contract"]["status"] == "cancelled"
        cancel = body["dimona"]["declarations"][-1]
        assert cancel["declaration_id"] == f"D{prestation_id}-2"
        assert cancel["kind"] == "CANCEL"
        assert cancel["refers_to"] == f"D{prestation_id}-1"

    def test_the_relay_sends_the_cancel_with_the_period_of_the_in(
        self, api: Api, quoted: Json
    ) -> None:
        prestation_id = quoted["prestation_id"]
        # Rejected at once: the CANCEL is declared before the ONSS numbered the IN's period.
        assert api.reject(quoted["quote"]["quote_id"], token_of(quoted)).status_code == 200

        settled = api.settle_dimona(prestation_id, declarations=2)

        declared_in, cancel = settled["dimona"]["declarations"]
        assert declared_in["status"] == cancel["status"] == "accepted"
        period_id = declared_in["period_id"]
        assert isinstance(period_id, int)
        assert api.gateway.sent(f"D{prestation_id}-2") == {"dimonaCancel": {"periodId": period_id}}
        sent_in = api.gateway.sent(f"D{prestation_id}-1")
        assert sent_in is not None
        assert sent_in["worker"] == {"ssin": VALID_NISS}
        assert sent_in["dimonaIn"]["startDate"] == "2026-03-10"
        assert sent_in["dimonaIn"]["endDate"] == "2026-03-11"

    def test_a_rejected_quote_can_no_longer_be_accepted(self, api: Api, quoted: Json) -> None:
        quote_id = quoted["quote"]["quote_id"]
        assert api.reject(quote_id, token_of(quoted)).status_code == 200

        response = api.accept(quote_id, token_of(quoted))

        assert_problem(response, 409, "quote-not-pending")

    def test_rejection_needs_the_token(self, api: Api, quoted: Json) -> None:
        response = api.reject(quoted["quote"]["quote_id"], "wrong")

        assert_problem(response, 403, "invalid-acceptance-token")


class TestQuoteExpiry:
    """The sweep looks at every pending quote: each test has an app of its own."""

    @pytest.fixture
    def api(self, fresh_api: Api) -> Api:
        return fresh_api

    def test_after_the_first_day_the_sweep_expires_a_pending_quote(
        self, api: Api, quoted: Json
    ) -> None:
        prestation_id = quoted["prestation_id"]
        api.set_today("2026-03-11")

        expired = api.sweep.run_once()

        assert expired == [prestation_id]
        body = api.prestation(prestation_id)
        assert body["status"] == "expired"
        assert body["quote"]["status"] == "expired"
        assert body["employment_contract"]["status"] == "cancelled"
        assert body["dimona"]["declarations"][-1]["kind"] == "CANCEL"
        assert api.sweep.run_once() == []

    def test_until_the_first_day_is_over_the_sweep_leaves_the_quote_pending(
        self, api: Api, quoted: Json
    ) -> None:
        api.set_today("2026-03-10")

        assert api.sweep.run_once() == []
        assert api.prestation(quoted["prestation_id"])["status"] == "quoted"

    def test_an_accepted_quote_never_expires(self, api: Api, quoted: Json) -> None:
        assert api.accept(quoted["quote"]["quote_id"], token_of(quoted)).status_code == 200
        api.set_today("2026-03-11")

        assert api.sweep.run_once() == []
        assert api.prestation(quoted["prestation_id"])["status"] == "accepted"


# -- changing a prestation ----------------------------------------------------------------------


class TestCancellingBeforeTheStart:
    def test_cancelling_closes_the_prestation_and_declares_a_dimona_cancel(
        self, api: Api, quoted: Json
    ) -> None:
        prestation_id = quoted["prestation_id"]

        body = api.post(f"/v1/prestations/{prestation_id}/cancel", {"reason": "Sick"})

        assert body["status"] == "cancelled"
        assert body["quote"]["status"] == "withdrawn"
        assert body["employment_contract"]["status"] == "cancelled"
        assert body["dimona"]["declarations"][-1]["kind"] == "CANCEL"

    def test_an_accepted_prestation_can_be_cancelled_by_its_member(
        self, api: Api, quoted: Json
    ) -> None:
        assert api.accept(quoted["quote"]["quote_id"], token_of(quoted)).status_code == 200
        key = api.member_key(quoted["member_id"])

        body = api.post(f"/v1/prestations/{quoted['prestation_id']}/cancel", {}, key=key)

        assert body["status"] == "cancelled"

    def test_a_cancelled_prestation_cannot_change_any_more(self, api: Api, quoted: Json) -> None:
        path = f"/v1/prestations/{quoted['prestation_id']}"
        api.post(f"{path}/cancel", {})

        again = api.request("POST", f"{path}/cancel", json={})
        amended = api.request("POST", f"{path}/amend", json={"days": ONE_DAY})

        assert_problem(again, 409, "prestation-closed")
        assert_problem(amended, 409, "prestation-closed")


class TestAmendingBeforeTheStart:
    def test_amending_moves_the_days_and_declares_a_dimona_update(
        self, api: Api, quoted: Json
    ) -> None:
        prestation_id = quoted["prestation_id"]
        days = [{"date": "2026-03-12", "hours": 8}, {"date": "2026-03-13", "hours": 8}]

        body = api.post(f"/v1/prestations/{prestation_id}/amend", {"days": days})

        assert body["days"] == days
        assert body["first_day"] == "2026-03-12"
        assert body["quote"]["valid_until"] == "2026-03-12"
        assert body["employment_contract"]["days"] == days
        update = body["dimona"]["declarations"][-1]
        assert update["declaration_id"] == f"D{prestation_id}-2"
        assert update["kind"] == "UPDATE"
        assert update["refers_to"] == f"D{prestation_id}-1"

    def test_the_relay_sends_the_update_with_the_new_dates_and_the_period(
        self, api: Api, quoted: Json
    ) -> None:
        prestation_id = quoted["prestation_id"]
        api.settle_dimona(prestation_id, declarations=1)
        days = [{"date": "2026-03-12", "hours": 8}]
        api.post(f"/v1/prestations/{prestation_id}/amend", {"days": days})

        settled = api.settle_dimona(prestation_id, declarations=2)

        period_id = settled["dimona"]["period_id"]
        assert isinstance(period_id, int)
        assert api.gateway.sent(f"D{prestation_id}-2") == {
            "dimonaUpdate": {
                "periodId": period_id,
                "startDate": "2026-03-12",
                "endDate": "2026-03-12",
            }
        }

    def test_the_same_days_again_change_nothing(self, api: Api, quoted: Json) -> None:
        prestation_id = quoted["prestation_id"]
        days = [{"date": "2026-03-10", "hours": 8}, {"date": "2026-03-11", "hours": 8}]

        body = api.post(f"/v1/prestations/{prestation_id}/amend", {"days": days})

        assert body["position"] is None
        assert len(body["dimona"]["declarations"]) == 1

    def test_amended_days_follow_the_encoding_rules(self, api: Api, quoted: Json) -> None:
        response = api.request(
            "POST",
            f"/v1/prestations/{quoted['prestation_id']}/amend",
            json={"days": [{"date": "2026-03-12", "hours": 2}]},
        )

        assert_problem(response, 422, "minimum-hours", field="days[0].hours")


class TestChangingAfterTheStart:
    @pytest.mark.parametrize(
        ("action", "body"),
        [("cancel", {}), ("amend", {"days": [{"date": "2026-03-20", "hours": 8}]})],
    )
    def test_it_is_too_late_once_the_first_day_has_come(
        self, api: Api, quoted: Json, action: str, body: Json
    ) -> None:
        assert api.accept(quoted["quote"]["quote_id"], token_of(quoted)).status_code == 200
        api.set_today("2026-03-11")

        response = api.request(
            "POST", f"/v1/prestations/{quoted['prestation_id']}/{action}", json=body
        )

        assert_problem(response, 409, "already-started")


class TestConditionalChanges:
    def test_a_stale_etag_is_a_failed_precondition(self, api: Api, quoted: Json) -> None:
        path = f"/v1/prestations/{quoted['prestation_id']}"
        stale = f'"{quoted["version"]}"'
        api.post(f"{path}/amend", {"days": [{"date": "2026-03-12", "hours": 8}]})

        cancel = api.request("POST", f"{path}/cancel", json={}, headers={"If-Match": stale})
        amend = api.request(
            "POST", f"{path}/amend", json={"days": ONE_DAY}, headers={"If-Match": stale}
        )

        assert_problem(cancel, 412, "precondition-failed", field="If-Match")
        assert_problem(amend, 412, "precondition-failed", field="If-Match")
        assert api.prestation(quoted["prestation_id"])["status"] == "quoted"

    def test_the_current_etag_lets_the_change_through(self, api: Api, quoted: Json) -> None:
        prestation_id = quoted["prestation_id"]
        api.settle_dimona(prestation_id, declarations=1)  # no answer will move it meanwhile
        read = api.request("GET", f"/v1/prestations/{prestation_id}")

        response = api.request(
            "POST",
            f"/v1/prestations/{prestation_id}/cancel",
            json={},
            headers={"If-Match": read.headers["etag"]},
        )

        assert response.status_code == 200, response.text
        assert response.json()["status"] == "cancelled"
        assert response.headers["etag"] != read.headers["etag"]

    def test_an_if_match_that_is_not_an_etag_is_a_bad_request(self, api: Api, quoted: Json) -> None:
        response = api.request(
            "POST",
            f"/v1/prestations/{quoted['prestation_id']}/cancel",
            json={},
            headers={"If-Match": "yesterday"},
        )

        assert_problem(response, 400, "invalid-if-match", field="If-Match")


# -- member keys --------------------------------------------------------------------------------


class TestMemberKeys:
    def test_a_member_sees_its_own_prestations(self, api: Api, quoted: Json) -> None:
        key = api.member_key(quoted["member_id"])

        read = api.prestation(quoted["prestation_id"], key=key)
        listed = api.get("/v1/prestations", key=key, params={"min_position": quoted["position"]})

        assert read["prestation_id"] == quoted["prestation_id"]
        assert [p["prestation_id"] for p in listed["items"]] == [quoted["prestation_id"]]

    def test_a_member_lists_only_its_own_contracts(self, api: Api, quoted: Json) -> None:
        other = api.register_member(email="other@example.be")
        api.encode(other["member_id"], quoted["client_id"])
        key = api.member_key(quoted["member_id"])

        page = api.get(
            "/v1/employment-contracts", key=key, params={"min_position": quoted["position"]}
        )

        assert item_ids(page, "contract_id") == [quoted["employment_contract"]["contract_id"]]

    def test_a_member_encodes_for_itself(self, api: Api, member: Json) -> None:
        key = api.member_key(member["member_id"])
        client = api.post("/v1/clients", api.client_body(), key=key, status=201)

        body = api.encode(*ids(member, client), key=key)

        assert body["member_id"] == member["member_id"]

    def test_a_member_cannot_see_another_members_prestations(self, api: Api, quoted: Json) -> None:
        other = api.register_member(email="other@example.be")
        key = api.member_key(other["member_id"])

        read = api.request("GET", f"/v1/prestations/{quoted['prestation_id']}", key=key)
        listed = api.request(
            "GET", "/v1/prestations", key=key, params={"member_id": quoted["member_id"]}
        )
        contract = api.request(
            "GET", f"/v1/employment-contracts/C{quoted['prestation_id']}", key=key
        )

        assert_problem(read, 403, "forbidden")
        assert_problem(listed, 403, "forbidden")
        assert_problem(contract, 403, "forbidden")

    def test_a_member_cannot_encode_for_another_member(
        self, api: Api, member: Json, client: Json
    ) -> None:
        other = api.register_member(email="other@example.be")
        key = api.member_key(other["member_id"])

        response = api.try_encode(*ids(member, client), key=key)

        assert_problem(response, 403, "forbidden")

    def test_a_member_cannot_change_another_members_prestation(
        self, api: Api, quoted: Json
    ) -> None:
        other = api.register_member(email="other@example.be")
        key = api.member_key(other["member_id"])

        response = api.request(
            "POST", f"/v1/prestations/{quoted['prestation_id']}/cancel", key=key, json={}
        )

        assert_problem(response, 403, "forbidden")
        assert api.prestation(quoted["prestation_id"])["status"] == "quoted"

    def test_the_dimona_list_is_for_staff_only(self, api: Api, quoted: Json) -> None:
        key = api.member_key(quoted["member_id"])

        response = api.request("GET", "/v1/dimona-declarations", key=key)

        assert_problem(response, 403, "forbidden")


# -- lists --------------------------------------------------------------------------------------


def item_ids(page: Json, field: str) -> list[str]:
    return [item[field] for item in page["items"]]


class TestLists:
    """Lists show everyone's data to staff: each test has an app of its own."""

    @pytest.fixture
    def api(self, fresh_api: Api) -> Api:
        return fresh_api

    @pytest.fixture
    def three_contracts(self, api: Api, member: Json, client: Json) -> list[Json]:
        """Contracts on 03-05, 03-10…03-11 and 03-20."""
        api.buy_share(member["member_id"], TODAY.year)
        return [
            api.encode(*ids(member, client), days=[{"date": "2026-03-05", "hours": 8}]),
            api.encode(*ids(member, client)),
            api.encode(*ids(member, client), days=[{"date": "2026-03-20", "hours": 8}]),
        ]

    def test_contracts_overlapping_a_period(self, api: Api, three_contracts: list[Json]) -> None:
        last = three_contracts[-1]["position"]
        first, worked_example, _ = (
            c["employment_contract"]["contract_id"] for c in three_contracts
        )

        def between(start: str, end: str) -> list[str]:
            params = {"from": start, "to": end, "min_position": last}
            return item_ids(api.get("/v1/employment-contracts", params=params), "contract_id")

        assert between("2026-03-11", "2026-03-19") == [worked_example]
        assert between("2026-03-05", "2026-03-10") == [first, worked_example]
        assert between("2026-03-21", "2026-03-31") == []

    def test_the_declarations_list_shows_all_statuses_on_demand(
        self, api: Api, three_contracts: list[Json]
    ) -> None:
        for encoded in three_contracts:
            api.settle_dimona(encoded["prestation_id"], declarations=1)
        declared = [c["dimona"]["declaration_id"] for c in three_contracts]
        answered = api.store.head()  # the answers were recorded by the relay, not by a request

        def listed(status: str | None) -> list[Json]:
            params: Json = {"min_position": answered}
            if status is not None:
                params["status"] = status
            items: list[Json] = api.get("/v1/dimona-declarations", params=params)["items"]
            return items

        assert listed(None) == []  # by default, only those awaiting an answer
        assert [d["declaration_id"] for d in listed("all")] == declared
        assert [d["declaration_id"] for d in listed("accepted")] == declared
        assert {(d["kind"], d["status"]) for d in listed("all")} == {("IN", "accepted")}

    def test_pages_follow_the_cursor(self, api: Api, three_contracts: list[Json]) -> None:
        params: dict[str, Any] = {"limit": 1, "min_position": three_contracts[-1]["position"]}
        seen: list[str] = []
        while True:
            page = api.get("/v1/prestations", params=params)
            seen += item_ids(page, "prestation_id")
            if page["next_cursor"] is None:
                break
            params["cursor"] = page["next_cursor"]

        assert seen == [c["prestation_id"] for c in three_contracts]

    def test_a_list_filters_by_status(self, api: Api, three_contracts: list[Json]) -> None:
        accepted = three_contracts[1]
        answered = api.accept(accepted["quote"]["quote_id"], token_of(accepted))
        params = {"status": "accepted", "min_position": answered.json()["position"]}

        page = api.get("/v1/prestations", params=params)

        assert item_ids(page, "prestation_id") == [accepted["prestation_id"]]

    def test_a_position_no_write_has_reached_is_a_bad_request(self, api: Api) -> None:
        params = {"min_position": 10**12}

        response = api.request("GET", "/v1/prestations", params=params)

        assert_problem(response, 400, "unknown-position", field="min_position")

    def test_an_invalid_cursor_is_a_bad_request(self, api: Api) -> None:
        response = api.request("GET", "/v1/prestations", params={"cursor": "page-2"})

        assert_problem(response, 400, "invalid-cursor", field="cursor")

    def test_a_listed_contract_has_the_status_of_the_contract_resource(
        self, api: Api, quoted: Json
    ) -> None:
        contract_id = quoted["employment_contract"]["contract_id"]
        params = {"min_position": quoted["position"]}

        listed = api.get("/v1/employment-contracts", params=params)["items"]
        resource = api.get(f"/v1/employment-contracts/{contract_id}")

        assert [c["status"] for c in listed] == [resource["status"]] == ["awaiting-acceptance"]


# -- OpenAPI ------------------------------------------------------------------------------------

CONTRACTS_PATHS = {
    "/v1/members": {"get", "post"},
    "/v1/members/{member_id}": {"get", "patch"},
    "/v1/clients": {"get", "post"},
    "/v1/clients/{client_id}": {"get", "patch"},
    "/v1/clients/{client_id}/members": {"post"},
    "/v1/prestations": {"get", "post"},
    "/v1/prestations/{prestation_id}": {"get"},
    "/v1/prestations/{prestation_id}/cancel": {"post"},
    "/v1/prestations/{prestation_id}/amend": {"post"},
    "/v1/quotes/{quote_id}": {"get"},
    "/v1/quotes/{quote_id}/document": {"get"},
    "/v1/quotes/{quote_id}/accept": {"post"},
    "/v1/quotes/{quote_id}/reject": {"post"},
    "/v1/employment-contracts": {"get"},
    "/v1/employment-contracts/{contract_id}": {"get"},
    "/v1/employment-contracts/{contract_id}/document": {"get"},
    "/v1/dimona-declarations": {"get"},
    "/v1/dimona-declarations/{declaration_id}": {"get"},
}


class TestOpenApi:
    def test_every_contracts_path_is_documented(self, api: Api) -> None:
        document = api.get("/openapi.json", key=None)

        paths = document["paths"]
        for path, methods in CONTRACTS_PATHS.items():
            assert path in paths, path
            assert set(paths[path]) == methods, path
        routed = {
            route.path
            for router in contracts_api.ROUTERS
            for route in router.routes
            if isinstance(route, APIRoute)
        }
        assert routed == set(CONTRACTS_PATHS)

    def test_encoding_documents_its_problems_as_problem_json(self, api: Api) -> None:
        operation = api.get("/openapi.json", key=None)["paths"]["/v1/prestations"]["post"]

        responses = operation["responses"]
        assert "201" in responses
        for status in ("401", "403", "404", "409", "412", "422"):
            assert set(responses[status]["content"]) == {"application/problem+json"}, status
        headers = [p["name"] for p in operation["parameters"] if p["in"] == "header"]
        assert "idempotency-key" in headers
