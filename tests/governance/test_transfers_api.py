"""Transfers and the holders' details over HTTP in the embedded app: the register lists dated
transfers and names each holder as it stood on the day asked for, after later corrections
(contracts' member details, followed by a reaction; ops' own corrections)."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.api.api_client import TODAY, Api, assert_problem
from tests.api.conftest import running_app

DEADLINE = 10.0


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with running_app(tmp_path_factory.mktemp("transfers")) as api:
        yield api


@pytest.fixture(autouse=True)
def today(api: Api) -> None:
    api.set_today(TODAY)


def paid_shareholder(api: Api, quantity: int = 1, category: str = "A", **member: Any) -> str:
    member_id: str = api.register_member(**member)["member_id"]
    body = {"member_id": member_id, "category": category, "quantity": quantity}
    purchase = api.post("/v1/share-purchases", body, status=201)
    api.post(
        f"/v1/share-purchases/{purchase['purchase_id']}/payment",
        {"amount_cents": purchase["amount_cents"], "received_on": TODAY.isoformat()},
    )
    return member_id


def register_of(api: Api, day: str, **kwargs: Any) -> dict[str, dict[str, Any]]:
    found = api.get("/v1/share-register", params={"as_of": day}, **kwargs)
    return {h["member_id"]: h for h in found["holders"]}


def wait_until(check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.02)
    raise AssertionError("not reached in time")


class TestATransfer:
    def test_the_register_lists_it_on_its_day_and_keeps_the_day_before(self, api: Api) -> None:
        giver, receiver = paid_shareholder(api, 3), paid_shareholder(api)
        api.set_today("2026-03-10")
        body = {"to_member_id": receiver, "category": "A", "quantity": 2}
        key = {"Idempotency-Key": f"transfer-{giver}"}
        moved = api.post(f"/v1/shareholders/{giver}/transfers", body, status=201, headers=key)
        assert (moved["years_released"], moved["paid_in_cents"]) == ([2028, 2027], 6000)

        retried = api.request("POST", f"/v1/shareholders/{giver}/transfers", json=body, headers=key)
        assert retried.status_code == 201 and retried.json() == moved
        assert retried.headers["Idempotent-Replayed"] == "true"

        before, after = register_of(api, "2026-03-09"), register_of(api, "2026-03-10")
        assert (before[giver]["shares"], before[receiver]["shares"]) == (
            {"A": 3, "B": 0},
            {"A": 1, "B": 0},
        )
        assert (after[giver]["shares"], after[receiver]["shares"]) == (
            {"A": 1, "B": 0},
            {"A": 3, "B": 0},
        )
        out = after[giver]["entries"][-1]
        assert (out["kind"], out["on"], out["quantity"], out["counterparty"]) == (
            "transfer_out",
            "2026-03-10",
            2,
            receiver,
        )
        assert after[receiver]["entries"][-1]["kind"] == "transfer_in"
        assert (after[giver]["paid_cents"], after[receiver]["paid_cents"]) == (3000, 9000)
        whole = api.get("/v1/share-register", params={"as_of": "2026-03-10"})
        assert whole["total_shares"] == sum(
            h["shares"]["A"] + h["shares"]["B"] for h in whole["holders"]
        )
        assert api.get(f"/v1/shareholders/{giver}")["years_covered"] == [2026]
        assert api.get(f"/v1/shareholders/{receiver}")["years_covered"] == [2026, 2027, 2028]

        params = {"as_of": "2026-03-10"}
        as_csv = api.request("GET", "/v1/share-register", params={**params, "format": "csv"})
        rows = list(csv.DictReader(io.StringIO(as_csv.text)))
        moves = {(r["member_id"], r["entry"], r["counterparty"]) for r in rows if r["transfer_id"]}
        assert moves == {(giver, "transfer_out", receiver), (receiver, "transfer_in", giver)}
        as_pdf = api.request("GET", "/v1/share-register", params={**params, "format": "pdf"})
        assert as_pdf.content.startswith(b"%PDF")

    def test_the_share_of_the_current_year_stays(self, api: Api) -> None:
        giver, receiver = paid_shareholder(api, 1), paid_shareholder(api)
        body = {"to_member_id": receiver, "category": "A", "quantity": 1}
        refused = api.request("POST", f"/v1/shareholders/{giver}/transfers", json=body)
        assert_problem(refused, 422, "shares-not-transferable", field="quantity")

    def test_a_newcomer_needs_the_board_s_admission(self, api: Api) -> None:
        giver = paid_shareholder(api, 2)
        newcomer = api.register_member(
            first_name="Noa", last_name="Newcomer", address="Rue Neuve 1, 1000 Bruxelles"
        )["member_id"]
        body: dict[str, Any] = {"to_member_id": newcomer, "category": "A", "quantity": 1}
        path = f"/v1/shareholders/{giver}/transfers"
        refused = api.request("POST", path, json=body)
        assert_problem(refused, 422, "share-transfer-receiver-not-admitted", field="to_member_id")
        api.post(path, {**body, "board_admitted_on": TODAY.isoformat()}, status=201)
        listed = register_of(api, TODAY.isoformat())[newcomer]
        assert (listed["name"], listed["domicile"]) == (
            "Noa Newcomer",
            "Rue Neuve 1, 1000 Bruxelles",
        )
        assert listed["shares"] == {"A": 1, "B": 0}

    def test_a_member_key_gives_its_own_shares_to_a_shareholder_only(self, api: Api) -> None:
        giver, receiver = paid_shareholder(api, 2), paid_shareholder(api)
        stranger = api.register_member()["member_id"]
        key = api.member_key(giver)
        path = f"/v1/shareholders/{giver}/transfers"
        admitted = {
            "to_member_id": stranger,
            "category": "A",
            "quantity": 1,
            "board_admitted_on": TODAY.isoformat(),
        }
        assert_problem(api.request("POST", path, key=key, json=admitted), 403, "forbidden")
        other = api.request(
            "POST",
            f"/v1/shareholders/{receiver}/transfers",
            key=key,
            json={"to_member_id": giver, "category": "A", "quantity": 1},
        )
        assert_problem(other, 403, "forbidden")
        own = api.request(
            "POST", path, key=key, json={"to_member_id": receiver, "category": "A", "quantity": 1}
        )
        assert own.status_code == 201, own.text


class TestTheHoldersDetails:
    def test_the_domicile_follows_a_correction_from_its_day_on(self, api: Api) -> None:
        holder = paid_shareholder(
            api, first_name="Ada", last_name="Before", address="Rue Haute 1, 1000 Bruxelles"
        )
        api.set_today("2026-04-01")
        patch = api.request(
            "PATCH",
            f"/v1/members/{holder}",
            json={"last_name": "After", "address": "Rue Basse 2, 4000 Liège"},
        )
        assert patch.status_code == 200, patch.text

        def moved() -> bool:
            return register_of(api, "2026-04-01")[holder]["domicile"] == "Rue Basse 2, 4000 Liège"

        wait_until(moved)
        now = register_of(api, "2026-04-01")[holder]
        assert now["name"] == "Ada After"
        then = register_of(api, "2026-03-31")[holder]
        assert (then["name"], then["domicile"]) == ("Ada Before", "Rue Haute 1, 1000 Bruxelles")
        assert api.get(f"/v1/shareholders/{holder}")["name"] == "Ada After"

    def test_ops_correct_a_legal_person_s_seat_from_today(self, api: Api) -> None:
        legal = {
            "name": "Parc ASBL",
            "seat": "Rue de la Loi 1, 1000 Bruxelles",
            "enterprise_number": "BE0123456749",
        }
        api.post(
            "/v1/share-purchases",
            {"member_id": "parc-asbl", "category": "B", "quantity": 2, "legal_person": legal},
            status=201,
        )
        api.set_today("2026-05-04")
        path = "/v1/shareholders/parc-asbl/details"
        key = api.member_key(paid_shareholder(api))
        assert_problem(api.request("POST", path, key=key, json={"domicile": "x"}), 403, "forbidden")
        corrected = api.post(path, {"domicile": "Place Royale 1, 1000 Bruxelles"})
        assert corrected["name"] == "Parc ASBL"
        assert register_of(api, "2026-05-04")["parc-asbl"]["domicile"] == (
            "Place Royale 1, 1000 Bruxelles"
        )
        assert register_of(api, "2026-05-03")["parc-asbl"]["domicile"] == (
            "Rue de la Loi 1, 1000 Bruxelles"
        )
        number = api.request("POST", path, json={"enterprise_number": "BE0123"})
        assert_problem(number, 422, "validation-error", field="enterprise_number")


class TestTheContractToolSeesTransfers:
    def test_a_share_received_by_transfer_lifts_the_free_use_limit(self, api: Api) -> None:
        giver = paid_shareholder(api, 2)  # covers 2026 and 2027
        receiver = api.register_member()["member_id"]
        client = api.register_client()["client_id"]
        for _ in range(3):
            api.encode(receiver, client)
        assert_problem(api.try_encode(receiver, client), 422, "share-required", field="member_id")

        body = {"to_member_id": receiver, "category": "A", "quantity": 1,
                "board_admitted_on": TODAY.isoformat()}  # fmt: skip
        api.post(f"/v1/shareholders/{giver}/transfers", body, status=201)
        wait_until(lambda: api.try_encode(receiver, client).status_code == 201)

    def test_after_a_redemption_the_free_use_limit_applies_again(self, api: Api) -> None:
        member = paid_shareholder(api, 1)
        client = api.register_client()["client_id"]
        api.post(f"/v1/shareholders/{member}/resignation", {"reason": "resignation"})
        api.post(f"/v1/shareholders/{member}/redemption/approval",
                 {"net_asset_value_per_share_cents": 3000})  # fmt: skip
        api.post(f"/v1/shareholders/{member}/redemption", {"amount_cents": 3000})
        wait_until(lambda: api.try_encode(member, client).status_code == 422)
