"""The payroll service over HTTP in the embedded app: an accepted quote schedules its salary by
itself; an amendment reschedules it, a cancellation cancels it; member keys see their own;
once the fund's SalaryPaid is in the log, the payslip and the state's figures follow."""

from __future__ import annotations

import datetime as dt
import io
import re
import time
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pypdf
import pytest

from services.payroll.app import PayrollService
from services.payroll.ids import salary_id_for
from shared.events.base import Context
from shared.events.guarantee_fund import FundedBy, SalaryPaid
from shared.eventstore.codec import to_new_events
from shared.eventstore.port import NO_STREAM
from tests.api.api_client import TODAY, Api, assert_problem
from tests.api.conftest import running_app

WAIT_SECONDS = 10.0


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with running_app(tmp_path_factory.mktemp("payroll")) as api:
        api.set_today(TODAY)
        yield api


def payroll(api: Api) -> PayrollService:
    service = api.app.state.payroll_service
    assert isinstance(service, PayrollService)
    return service


def wait_for(api: Api, path: str, check: Any = None) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        response = api.request("GET", path)
        if response.status_code == 200:
            body: dict[str, Any] = response.json()
            if check is None or check(body):
                return body
        time.sleep(0.02)
    raise AssertionError(f"{path} not as expected after {WAIT_SECONDS} s")


def accepted_salary(api: Api, **overrides: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    member = api.register_member()
    client = api.register_client()
    prestation = api.encode(member["member_id"], client["client_id"], **overrides)
    quote = prestation["quote"]
    response = api.accept(quote["quote_id"], quote["acceptance_token"])
    assert response.status_code == 200, response.text
    salary_id = salary_id_for(prestation["prestation_id"])
    return wait_for(api, f"/v1/salaries/{salary_id}"), member


def pay(api: Api, salary: dict[str, Any], paid_on: str, funded_by: FundedBy) -> int:
    """What the guarantee fund appends when its run pays the salary."""
    paid = SalaryPaid(
        salary_id=salary["salary_id"], prestation_id=salary["prestation_id"],
        member_id=salary["member_id"], client_id=salary["client_id"], run_id="R" + paid_on,
        paid_on=dt.date.fromisoformat(paid_on), deadline=dt.date.fromisoformat(salary["deadline"]),
        net_to_pay_cents=salary["net_to_pay_cents"], funded_by=funded_by,
        invoice_id="I" + salary["prestation_id"],
    )  # fmt: skip
    context = Context.new("system:guarantee-fund")
    result = api.store.append(
        f"fundpayment-{salary['salary_id']}", to_new_events([paid], context), NO_STREAM
    )
    return result.position


def test_an_accepted_quote_schedules_its_salary_without_any_call(api: Api) -> None:
    salary, member = accepted_salary(api)
    assert salary["member_id"] == member["member_id"]
    assert salary["status"] == "scheduled"
    assert (salary["first_day"], salary["last_day"]) == ("2026-03-10", "2026-03-11")
    # Thu 12, Fri 13, Sat 14, Mon 16 … Thu 19 March 2026: the 7th working day.
    assert (salary["deadline"], salary["pay_on"]) == ("2026-03-19", "2026-03-19")
    names = ("budget", "gross", "employer_contributions", "holiday_contributions",
             "employee_contributions", "withholding", "net", "expenses")  # fmt: skip
    figures = tuple(salary[f"{name}_cents"] for name in names)
    assert figures == (93_500, 63_924, 18_640, 10_936, 9_023, 12_078, 42_823, 0)
    assert salary["differs_from_estimate"] is False
    assert (salary["paid_on"], salary["funded_by"]) == (None, None)


def test_expenses_are_paid_on_top_of_the_net(api: Api) -> None:
    expenses = [{"description": "Train", "amount_cents": 4_000}]
    salary, _ = accepted_salary(api, expenses=expenses)
    assert salary["expenses_cents"] == 4_000
    assert salary["net_to_pay_cents"] == salary["net_cents"] + 4_000


def test_an_amendment_reschedules_and_a_cancellation_cancels(api: Api) -> None:
    salary, _ = accepted_salary(api)
    days = [{"date": "2026-03-20", "hours": 8}, {"date": "2026-03-21", "hours": 8}]
    api.post(f"/v1/prestations/{salary['prestation_id']}/amend", {"days": days})
    path = f"/v1/salaries/{salary['salary_id']}"
    moved = wait_for(api, path, lambda body: body["last_day"] == "2026-03-21")
    # Mon 23 … Sat 28, Mon 30 March 2026.
    assert (moved["deadline"], moved["pay_on"]) == ("2026-03-30", "2026-03-30")
    assert moved["net_cents"] == 42_823
    api.post(f"/v1/prestations/{salary['prestation_id']}/cancel", {"reason": "flood"})
    gone = wait_for(api, path, lambda body: body["status"] == "cancelled")
    assert gone["cancellation_reason"] == "flood"


def test_a_member_key_sees_its_own_salaries_only(api: Api) -> None:
    mine, me = accepted_salary(api)
    theirs, _ = accepted_salary(api)
    key = api.member_key(me["member_id"])
    assert api.get(f"/v1/salaries/{mine['salary_id']}", key=key)["salary_id"] == mine["salary_id"]
    hidden = api.request("GET", f"/v1/salaries/{theirs['salary_id']}", key=key)
    assert_problem(hidden, 404, "salary-not-found")
    listed = api.get("/v1/salaries", key=key, params={"member_id": theirs["member_id"]})
    assert [item["salary_id"] for item in listed["items"]] == [mine["salary_id"]]
    payslip = api.request("GET", f"/v1/salaries/{theirs['salary_id']}/payslip", key=key)
    assert_problem(payslip, 404, "salary-not-found")


def test_staff_list_a_members_salaries_by_status_page_by_page(api: Api) -> None:
    first, member = accepted_salary(api)
    client = api.register_client()
    second = api.encode(member["member_id"], client["client_id"])
    api.accept(second["quote"]["quote_id"], second["quote"]["acceptance_token"])
    wait_for(api, f"/v1/salaries/{salary_id_for(second['prestation_id'])}")
    params: dict[str, Any] = {"member_id": member["member_id"], "limit": 1}
    page = wait_for(api, "/v1/salaries?" + "&".join(f"{k}={v}" for k, v in params.items()))
    assert [item["salary_id"] for item in page["items"]] == [first["salary_id"]]
    rest = api.get("/v1/salaries", params={**params, "cursor": page["next_cursor"]})
    assert [item["salary_id"] for item in rest["items"]] == [salary_id_for(second["prestation_id"])]
    paid = api.get("/v1/salaries", params={"member_id": member["member_id"], "status": "paid"})
    assert paid["items"] == []


def test_salaries_due_soon_with_their_expected_funding(api: Api) -> None:
    salary, member = accepted_salary(api)
    invoice = wait_for(api, f"/v1/invoices/I{salary['prestation_id']}")
    params = {"member_id": member["member_id"], "within_days": 30}
    due = api.get("/v1/salaries/due", params=params)
    assert [(i["salary_id"], i["expected_funding"]) for i in due["items"]] == [
        (salary["salary_id"], "guarantee_fund")
    ]
    payment = {"invoice_id": invoice["invoice_id"], "amount_cents": invoice["total_cents"],
               "received_on": "2026-03-05"}  # fmt: skip
    api.post("/v1/payments", payment, status=201)
    funded = wait_for(
        api, f"/v1/salaries/due?member_id={member['member_id']}&within_days=30",
        lambda body: body["items"][0]["expected_funding"] == "client_payment",
    )  # fmt: skip
    assert funded["net_to_pay_total_cents"] == salary["net_to_pay_cents"]
    assert api.get("/v1/salaries/due", params={**params, "within_days": 1})["items"] == []


def test_a_payslip_exists_once_paid_with_every_item_the_law_requires(api: Api) -> None:
    salary, member = accepted_salary(api)
    path = f"/v1/salaries/{salary['salary_id']}"
    assert_problem(api.request("GET", f"{path}/payslip"), 409, "salary-not-paid")
    assert_problem(api.request("GET", f"{path}/payslip.pdf"), 409, "salary-not-paid")
    pay(api, salary, "2026-03-19", "guarantee_fund")
    paid = wait_for(api, path, lambda body: body["status"] == "paid")
    assert (paid["paid_on"], paid["funded_by"]) == ("2026-03-19", "guarantee_fund")
    html = api.request("GET", f"{path}/payslip", key=api.member_key(member["member_id"]))
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    pdf = api.request("GET", f"{path}/payslip.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    for page in (unescape(re.sub(r"<[^>]+>", " ", html.text)), text):
        flat = " ".join(page.replace("\u00a0", " ").split())
        for item in (
            "Travail Partagé SCE", "Rue de l'Exemple 1", "1000 Bruxelles", "BE 0123456749",
            "PEETERS A.", "85073003328", member["member_id"], "du 10/03/2026 au 11/03/2026",
            "Jours prestés 2", "Heures prestées 16 h", "forfait convenu",
            "Rémunération brute 639,24 €", "Cotisations personnelles", "-90,23 €",
            "non soumis à la sécurité sociale", "Rémunération imposable 549,01 €",
            "Précompte professionnel (22 %) -120,78 €", "Rémunération nette 428,23 €",
            "Autres retenues", "Net à payer 428,23 €", "19/03/2026",
        ):  # fmt: skip
            assert item in flat, (item, flat)


@pytest.fixture
def fresh_api(tmp_path: Path) -> Iterator[Api]:
    """An app of its own: the state's figures are totals over every salary."""
    with running_app(tmp_path) as api:
        api.set_today(TODAY)
        yield api


def test_what_the_employer_owes_the_state_reconciles_with_salaries_paid(fresh_api: Api) -> None:
    api = fresh_api
    first, member = accepted_salary(api)
    second, _ = accepted_salary(api, withholding_rate="11")
    third, _ = accepted_salary(api)  # scheduled, never paid: owes nothing yet
    pay(api, first, "2026-03-19", "client_payment")
    last = pay(api, second, "2026-03-19", "guarantee_fund")
    month = api.get("/v1/payroll/withholding", params={"month": "2026-03", "min_position": last})
    paid = [api.get(f"/v1/salaries/{s['salary_id']}") for s in (first, second)]
    assert month["salaries"] == 2
    assert month["withholding_cents"] == sum(s["withholding_cents"] for s in paid)
    assert {row["withholding_rate"]: row["withholding_cents"] for row in month["by_rate"]} == {
        "22": 12_078, "11": paid[1]["withholding_cents"],
    }  # fmt: skip
    dmfa = api.get("/v1/payroll/dmfa", params={"quarter": "2026-Q1"})
    assert dmfa["totals"]["gross_cents"] == sum(s["gross_cents"] for s in paid)
    row = next(m for m in dmfa["members"] if m["member_id"] == member["member_id"])
    assert (row["gross_cents"], row["contribution_base_cents"]) == (63_924, 69_038)
    assert row["employee_contributions_cents"] == 9_023
    assert third["member_id"] not in {m["member_id"] for m in dmfa["members"]}
    form = api.get("/v1/payroll/281-10", params={"year": 2026, "member_id": member["member_id"]})
    assert (form["niss"], form["salaries"], form["taxable_cents"]) == ("85073003328", 1, 54_901)
    assert form["withholding_cents"] == 12_078
    mine = api.request(
        "GET", "/v1/payroll/281-10", key=api.member_key(second["member_id"]),
        params={"year": 2026, "member_id": member["member_id"]},
    )  # fmt: skip
    assert_problem(mine, 404, "not-found")
    assert_problem(
        api.request("GET", "/v1/payroll/dmfa", params={"quarter": "2026-Q5"}),
        422,
        "validation-error",
        "quarter",
    )


def test_the_payslip_names_the_member_as_corrected(api: Api) -> None:
    salary, member = accepted_salary(api)
    pay(api, salary, "2026-03-19", "client_payment")
    path = f"/v1/salaries/{salary['salary_id']}"
    wait_for(api, path, lambda body: body["status"] == "paid")
    response = api.request(
        "PATCH", f"/v1/members/{member['member_id']}", json={"last_name": "Janssens"}
    )
    assert response.status_code == 200, response.text
    html = api.request("GET", f"{path}/payslip").text
    assert "JANSSENS A." in html and "PEETERS" not in html
    assert "payée grâce au paiement du client" in html


def test_a_contract_of_less_than_a_day_pays_the_contracts_hours(api: Api) -> None:
    # DOMAIN.md §2: one day at €150 on 10 March 2026 (daily minimum 99.42, hourly 13.0816):
    # gross 95.89 < 99.42, a contract of 95.89 / 13.0816 = 7.33 h, not the 8 h encoded.
    salary, _ = accepted_salary(
        api, amount_excl_vat_cents=15_000, days=[{"date": "2026-03-10", "hours": 8}]
    )
    assert salary["gross_cents"] == 9589
    assert [(d["date"], d["hours"]) for d in salary["days"]] == [("2026-03-10", "7.33")]
