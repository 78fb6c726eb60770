"""The issue's scenario through the HTTP APIs of the embedded app, on a simulated clock:
three accepted prestations; the client never pays the first by its salary's pay date (the
fund advances, and is reimbursed when the client pays later), the second is written off (the
fund absorbs the loss), the third is paid before the deadline (its salary is funded by the
client). The fund's figures reconcile to the cent with the salaries and the invoices.

Each salary is the one payroll schedules by itself from the accepted quote (the worked
example: net 428.23 to pay on 19 March 2026)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from lxml import etree  # type: ignore[import-untyped, unused-ignore]

from services.guarantee_fund import sepa
from services.payroll.ids import salary_id_for
from tests.api.api_client import TODAY, Api
from tests.api.conftest import running_app

DEADLINE = 15.0
PRESTATIONS = 3


@pytest.fixture
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with running_app(tmp_path_factory.mktemp("fund")) as api:
        api.set_today(TODAY)
        yield api


def eventually(api: Api, path: str, check: Any) -> dict[str, Any]:
    deadline = time.monotonic() + DEADLINE
    while True:
        response = api.request("GET", path)
        if response.status_code == 200 and check(body := response.json()):
            found: dict[str, Any] = body
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{path}: {response.status_code} {response.text}")
        time.sleep(0.05)


def accepted(api: Api, member_id: str, client_id: str) -> tuple[str, dict[str, Any]]:
    prestation = api.encode(member_id, client_id)
    quote = prestation["quote"]
    assert api.accept(quote["quote_id"], quote["acceptance_token"]).status_code == 200
    invoice_id = f"I{prestation['prestation_id']}"
    return prestation["prestation_id"], eventually(api, f"/v1/invoices/{invoice_id}", bool)


def test_the_guarantee_holds_and_the_fund_reconciles(api: Api) -> None:
    member = api.register_member()
    client = api.register_client()
    prestations = [
        accepted(api, member["member_id"], client["client_id"]) for _ in range(PRESTATIONS)
    ]
    salaries = [
        eventually(api, f"/v1/salaries/{salary_id_for(prestation_id)}", bool)
        for prestation_id, _ in prestations
    ]
    assert {s["pay_on"] for s in salaries} == {"2026-03-19"}  # 7 working days after the 11th
    net = tuple(s["net_to_pay_cents"] for s in salaries)
    assert net == (42823,) * PRESTATIONS
    (_, unpaid), (_, written_off), (_, paid_early) = prestations
    api.set_today("2026-03-15")
    api.post("/v1/payments", {"invoice_id": paid_early["invoice_id"], "received_on": "2026-03-15",
             "amount_cents": paid_early["total_cents"]}, status=201)  # fmt: skip
    eventually(api, f"/v1/invoices/{paid_early['invoice_id']}", lambda b: b["status"] == "paid")

    upcoming = api.request("GET", "/v1/payment-runs/upcoming?days=5").json()
    assert {s["prestation_id"]: s["funded_by"] for s in upcoming["items"]} == {
        prestations[0][0]: "guarantee_fund", prestations[1][0]: "guarantee_fund",
        prestations[2][0]: "client_payment",
    }  # fmt: skip
    assert len(upcoming["items"]) == 3 and upcoming["until"] == "2026-03-20"
    api.set_today("2026-03-18")  # the day before: nothing is due yet
    early = api.post("/v1/payment-runs", {}, status=201)
    assert (early["run_id"], early["salaries"]) == ("2026-03-18-1", [])
    api.set_today("2026-03-19")
    run = api.post("/v1/payment-runs", {}, status=201)
    assert (run["run_id"], run["status"], run["count"]) == ("2026-03-19-1", "completed", 3)
    funded = {s["prestation_id"]: s["funded_by"] for s in run["salaries"]}
    assert funded == {
        prestations[0][0]: "guarantee_fund", prestations[1][0]: "guarantee_fund",
        prestations[2][0]: "client_payment",
    }  # fmt: skip
    assert run["control_sum_cents"] == sum(net)
    again = api.post("/v1/payment-runs", {}, status=200)  # nothing new: the same run answers
    assert again["run_id"] == run["run_id"]

    response = api.request("GET", f"/v1/payment-runs/{run['run_id']}/sepa")
    assert response.status_code == 200 and response.headers["content-type"] == "application/xml"
    document = etree.fromstring(response.content)
    assert sepa.schema("pain.001.001.09").validate(document)
    ns = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}
    assert document.findtext(".//p:GrpHdr/p:NbOfTxs", namespaces=ns) == "3"
    assert document.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=ns) == sepa.euros(sum(net))
    assert {e.text for e in document.findall(".//p:Cdtr/p:Nm", namespaces=ns)} == {"Ana Peeters"}

    advanced = net[0] + net[1]
    fund = eventually(api, "/v1/guarantee-fund", lambda b: b["advanced_total_cents"] == advanced)
    assert fund["outstanding_advances_cents"] == advanced
    assert fund["exposure"]["clients"] == {client["client_id"]: advanced}

    api.set_today("2026-04-02")  # the client pays the first invoice late: the fund gets it back
    api.post("/v1/payments", {"invoice_id": unpaid["invoice_id"], "received_on": "2026-04-02",
             "amount_cents": unpaid["total_cents"]}, status=201)  # fmt: skip
    api.post(f"/v1/invoices/{written_off['invoice_id']}/write-off",
             {"reason": "Client en faillite"})  # fmt: skip
    fund = eventually(
        api, "/v1/guarantee-fund",
        lambda b: b["reimbursed_total_cents"] == net[0] and b["losses_total_cents"] == net[1]
        and b["contributed_total_cents"] == 2 * 650,
    )  # fmt: skip
    # Two invoices paid: 10 % of each fee (6.5 % of €1,000 = €65) finances the fund.
    assert fund["outstanding_advances_cents"] == 0
    assert fund["balance_cents"] == 2 * 650 + net[0] - advanced
    assert fund["exposure"] == {"clients": {}, "members": {}}
    assert [a["code"] for a in fund["alerts"]] == ["negative-balance"]
    history = api.request("GET", "/v1/guarantee-fund/history").json()["items"]
    assert sorted(i["kind"] for i in history) == sorted(
        ["advanced", "advanced", "reimbursed", "lost", "contributed", "contributed"]
    )
    # The alert is a metric and a readiness detail; the fund stays ready (the guarantee holds).
    metrics = api.request("GET", "/metrics", key=None).text
    assert "guarantee_fund_negative_balance 1.0" in metrics
    ready = api.request("GET", "/health/ready").json()
    (check,) = [c for c in ready["checks"] if c["name"] == "guarantee-fund"]
    assert (check["ready"], check["negative_balance"]) == (True, 1)
    # A member key sees no fund and starts no run.
    member_key = api.member_key(member["member_id"])
    for method, path in (("GET", "/v1/guarantee-fund"), ("POST", "/v1/payment-runs")):
        assert api.request(method, path, key=member_key, json={}).status_code == 403
