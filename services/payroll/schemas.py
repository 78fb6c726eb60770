"""The payroll service's HTTP bodies: a salary as API.md shows it, and the lists around it."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel

from services.payroll.domain.salary import Salary
from shared.events.guarantee_fund import SalaryPaid

SalaryStatus = Literal["scheduled", "paid", "cancelled"]
FundedBy = Literal["client_payment", "guarantee_fund"]


class DayOut(BaseModel):
    date: dt.date
    hours: str


class SalaryOut(BaseModel):
    salary_id: str
    prestation_id: str
    contract_id: str
    quote_id: str
    member_id: str
    client_id: str
    days: list[DayOut]
    first_day: dt.date
    last_day: dt.date
    deadline: dt.date
    pay_on: dt.date
    status: SalaryStatus
    paid_on: dt.date | None
    funded_by: FundedBy | None
    run_id: str | None
    amount_excl_vat_cents: int
    fee_cents: int
    budget_cents: int
    gross_cents: int
    employer_contributions_cents: int
    holiday_contributions_cents: int
    employee_contributions_cents: int
    taxable_cents: int
    withholding_cents: int
    net_cents: int
    expenses_cents: int
    net_to_pay_cents: int
    withholding_rate: str
    differs_from_estimate: bool
    scheduled_on: dt.date
    cancelled_on: dt.date | None
    cancellation_reason: str | None
    version: int


class SalaryRowOut(BaseModel):
    salary_id: str
    prestation_id: str
    member_id: str
    client_id: str
    first_day: dt.date
    last_day: dt.date
    deadline: dt.date
    pay_on: dt.date
    status: SalaryStatus
    paid_on: dt.date | None
    funded_by: FundedBy | None
    gross_cents: int
    net_cents: int
    expenses_cents: int
    net_to_pay_cents: int
    withholding_cents: int
    differs_from_estimate: bool


class SalaryPageOut(BaseModel):
    items: list[SalaryRowOut]
    next_cursor: str | None


class DueOut(BaseModel):
    salary_id: str
    prestation_id: str
    member_id: str
    client_id: str
    pay_on: dt.date
    deadline: dt.date
    net_to_pay_cents: int
    invoice_id: str | None
    expected_funding: FundedBy


class DueListOut(BaseModel):
    until: dt.date
    items: list[DueOut]
    net_to_pay_total_cents: int


def status_of(salary: Salary, paid: SalaryPaid | None) -> SalaryStatus:
    if paid is not None:
        return "paid"
    return "cancelled" if salary.cancelled is not None else "scheduled"


def salary_body(salary: Salary, paid: SalaryPaid | None, version: int | None) -> dict[str, Any]:
    current = salary.current
    body = current.model_dump(exclude={"days"})
    return body | {
        "days": [{"date": day.date, "hours": str(day.hours)} for day in current.days],
        "status": status_of(salary, paid),
        "paid_on": None if paid is None else paid.paid_on,
        "funded_by": None if paid is None else paid.funded_by,
        "run_id": None if paid is None else paid.run_id,
        "cancelled_on": None if salary.cancelled is None else salary.cancelled.cancelled_on,
        "cancellation_reason": None if salary.cancelled is None else salary.cancelled.reason,
        "version": version or 0,
    }
