"""Shares over HTTP in the embedded app: purchases, payments (by ops and by bank reference
through billing), the share rule of the Contract tool, leaving, the register as of a date."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.api_client import TODAY, Api, assert_problem
from tests.api.conftest import running_app

DEADLINE = 10.0


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with running_app(tmp_path_factory.mktemp("governance")) as api:
        api.set_today(TODAY)
        yield api


def buy(api: Api, member_id: str, quantity: int | None = 1, **extra: object) -> dict[str, Any]:
    body = {"member_id": member_id, "category": "A", "quantity": quantity, **extra}
    return api.post("/v1/share-purchases", body, status=201)


def wait_until(check: Any) -> Any:
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError("not reached in time")


class TestTheContractToolShareRule:
    def test_a_fourth_prestation_is_refused_then_accepted_after_a_share_purchase(
        self, api: Api
    ) -> None:
        member = api.register_member()["member_id"]
        client = api.register_client()["client_id"]
        for _ in range(3):
            api.encode(member, client)
        assert_problem(api.try_encode(member, client), 422, "share-required", field="member_id")

        purchase = buy(api, member)

        assert purchase["status"] == "pending"  # counts once bought, paid or not
        assert api.encode(member, client)["status"] == "quoted"


class TestPurchases:
    def test_three_shares_cover_three_years_and_one_more_the_next(self, api: Api) -> None:
        member = api.register_member()["member_id"]
        first = buy(api, member, 3)
        assert first["years"] == [2026, 2027, 2028]
        assert (first["amount_cents"], first["minimum_upfront_cents"]) == (9000, 9000)
        assert first["structured_reference"].startswith("+++020/26")
        assert buy(api, member, 1)["years"] == [2029]
        standing = api.get(f"/v1/shareholders/{member}")
        assert standing["years_covered"] == [2026, 2027, 2028, 2029]
        assert standing["shares"] == {"A": 4, "B": 0}

    def test_a_staff_member_commits_one_percent_of_the_gross(self, api: Api) -> None:
        member = api.register_member()["member_id"]
        bought = buy(api, member, None, category="B", yearly_gross_salary_cents=3_100_000)
        assert (bought["quantity"], bought["minimum_upfront_cents"]) == (10, 7500)
        refused = api.request(
            "POST", "/v1/share-purchases",
            json={"member_id": member, "category": "B", "quantity": 3,
                  "yearly_gross_salary_cents": 3_100_000},
        )  # fmt: skip
        assert_problem(refused, 422, "staff-commitment-not-met", field="quantity")

    def test_ops_records_payments_pending_then_paid(self, api: Api) -> None:
        member = api.register_member()["member_id"]
        purchase = buy(api, member, 2)
        path = f"/v1/share-purchases/{purchase['purchase_id']}/payment"
        part = api.post(path, {"amount_cents": 3000, "received_on": "2026-03-03"})
        assert (part["status"], part["paid_cents"]) == ("pending", 3000)
        paid = api.post(path, {"amount_cents": 3000, "received_on": "2026-03-04"})
        assert paid["status"] == "paid"
        over = api.request("POST", path, json={"amount_cents": 1, "received_on": "2026-03-04"})
        assert_problem(over, 422, "share-overpayment")

    def test_a_bank_payment_with_the_purchase_reference_settles_it(self, api: Api) -> None:
        member = api.register_member()["member_id"]
        purchase = buy(api, member, 1)
        body = {
            "structured_reference": purchase["structured_reference"],
            "amount_cents": 3000,
            "received_on": "2026-03-05",
        }
        assert api.post("/v1/payments", body, status=201)["status"] == "unmatched"
        path = f"/v1/share-purchases/{purchase['purchase_id']}"
        settled = wait_until(lambda: api.get(path)["status"] == "paid")
        assert settled is True

    def test_a_member_key_buys_for_itself_only(self, api: Api) -> None:
        member = api.register_member()["member_id"]
        other = api.register_member()["member_id"]
        key = api.member_key(member)
        body = {"member_id": other, "category": "A", "quantity": 1}
        refused = api.request("POST", "/v1/share-purchases", key=key, json=body)
        assert_problem(refused, 403, "forbidden")
        own = api.request(
            "POST", "/v1/share-purchases", key=key, json={**body, "member_id": member}
        )
        assert own.status_code == 201, own.text

    def test_an_unknown_member_needs_a_legal_person(self, api: Api) -> None:
        refused = api.request(
            "POST",
            "/v1/share-purchases",
            json={"member_id": "nobody", "category": "B", "quantity": 1},
        )
        assert_problem(refused, 404, "member-not-found")
        legal = {"name": "Théâtre du Parc ASBL", "seat": "Rue de la Loi 1, 1000 Bruxelles",
                 "enterprise_number": "BE0123456749"}  # fmt: skip
        bought = buy(api, "client-parc", 5, category="B", legal_person=legal)
        assert bought["quantity"] == 5


class TestLeavingAndTheRegister:
    def test_the_register_as_of_a_past_day_is_what_it_was_that_day(self, api: Api) -> None:
        member = api.register_member(first_name="Zoé", last_name="Leaving")["member_id"]
        api.set_today("2026-03-02")
        purchase = buy(api, member, 2)
        api.post(f"/v1/share-purchases/{purchase['purchase_id']}/payment",
                 {"amount_cents": 6000, "received_on": "2026-03-02"})  # fmt: skip
        before = api.get("/v1/share-register", params={"as_of": "2026-03-02"})

        api.set_today("2026-04-10")
        buy(api, member, 1)
        api.post(f"/v1/shareholders/{member}/resignation", {"reason": "resignation"})
        approved = api.post(
            f"/v1/shareholders/{member}/redemption/approval",
            {"net_asset_value_per_share_cents": 2500},
        )
        assert approved["redemption_approved_cents"] == 5000  # 2 x min(3000, 2500); 1 unpaid
        api.post(f"/v1/shareholders/{member}/redemption", {"amount_cents": 5000})

        again = api.get("/v1/share-register", params={"as_of": "2026-03-02"})
        assert again == before
        mine = [h for h in before["holders"] if h["member_id"] == member]
        assert (mine[0]["shares"], mine[0]["paid_cents"]) == ({"A": 2, "B": 0}, 6000)
        after = api.get("/v1/share-register", params={"as_of": "2026-04-10"})
        gone = next(h for h in after["holders"] if h["member_id"] == member)
        assert gone["shares"] == {"A": 0, "B": 0}
        assert [e["kind"] for e in gone["entries"]] == [
            "subscription", "payment", "subscription", "redemption",
        ]  # fmt: skip
        assert after["total_shares"] == sum(
            h["shares"]["A"] + h["shares"]["B"] for h in after["holders"]
        )

    def test_resigning_after_june_is_refused(self, api: Api) -> None:
        member = api.register_member()["member_id"]
        buy(api, member, 1)
        api.set_today("2026-07-01")
        refused = api.request(
            "POST", f"/v1/shareholders/{member}/resignation", json={"reason": "resignation"}
        )
        assert_problem(refused, 422, "outside-resignation-window")
        death = api.post(f"/v1/shareholders/{member}/resignation", {"reason": "death"})
        assert death["resigned_on"] == "2026-07-01"

    def test_a_member_key_sees_its_own_domicile_only_and_csv_and_pdf(self, api: Api) -> None:
        member = api.register_member(address="Rue Haute 1, 1000 Bruxelles")["member_id"]
        other = api.register_member(address="Rue Basse 2, 1000 Bruxelles")["member_id"]
        buy(api, member, 1)
        buy(api, other, 1)
        key = api.member_key(member)
        seen = {h["member_id"]: h for h in api.get("/v1/share-register", key=key)["holders"]}
        assert seen[member]["domicile"] == "Rue Haute 1, 1000 Bruxelles"
        assert seen[other]["domicile"] is None and seen[other]["name"]
        staff = {h["member_id"]: h for h in api.get("/v1/share-register")["holders"]}
        assert staff[other]["domicile"] == "Rue Basse 2, 1000 Bruxelles"

        as_csv = api.request("GET", "/v1/share-register", key=key, headers={"Accept": "text/csv"})
        assert as_csv.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(as_csv.text)))
        assert {r["domicile"] for r in rows if r["member_id"] == other} == {""}
        as_pdf = api.request("GET", "/v1/share-register", params={"format": "pdf"})
        assert as_pdf.content.startswith(b"%PDF")


def test_active_members_need_three_contracts_in_the_year(api: Api) -> None:
    member = api.register_member()["member_id"]
    client = api.register_client()["client_id"]
    buy(api, member, 1)
    api.set_today(TODAY)
    for _ in range(3):
        api.encode(member, client)
    active = api.get("/v1/active-members", params={"year": 2026})
    assert member in [m["member_id"] for m in active["items"]]
    assert api.get(f"/v1/shareholders/{member}")["active"] is True


def test_someone_without_shares_is_no_shareholder(api: Api) -> None:
    member = api.register_member()["member_id"]
    assert_problem(api.request("GET", f"/v1/shareholders/{member}"), 404, "shareholder-not-found")
    other = api.register_member()["member_id"]
    buy(api, other, 1)
    hidden = api.request("GET", f"/v1/shareholders/{other}", key=api.member_key(member))
    assert_problem(hidden, 404, "shareholder-not-found")
