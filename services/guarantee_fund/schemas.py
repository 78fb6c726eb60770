"""The guarantee fund's HTTP bodies."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict

from shared.events.guarantee_fund import FundedBy


class RunIn(BaseModel):
    """A run takes nothing: it pays what is due on its execution date."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class PaidSalaryOut(BaseModel):
    salary_id: str
    prestation_id: str
    member_id: str
    client_id: str
    invoice_id: str | None
    net_to_pay_cents: int
    funded_by: FundedBy
    paid_on: dt.date
    deadline: dt.date
    late: bool


class RunOut(BaseModel):
    run_id: str
    execution_date: dt.date
    status: str  # "started" (paying) | "completed"
    trigger: str
    selected_count: int
    count: int
    control_sum_cents: int
    late_salary_ids: list[str]
    salaries: list[PaidSalaryOut]
