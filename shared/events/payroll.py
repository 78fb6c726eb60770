"""Events of the payroll context: the salary of each prestation, from scheduling to cancellation.

Stream `salary-<salary_id>`, one per prestation; `salary_id` is derived from the prestation id
(`services.payroll.ids.salary_id_for`), so a retried reaction can never schedule two salaries.
The guarantee fund learns salaries from these events (its own projection) and pays them; its
`SalaryPaid` lives in `shared.events.guarantee_fund`.

Conventions as in `shared.events.contracts`: integer cents in `_cents` fields, `date`s, rates as
percentage strings ("17.15"), ids as strings. `deadline` is the 7th working day after
`last_day` (DOMAIN.md §3), `pay_on` the last TARGET2 business day not after it.
`net_to_pay_cents` = `net_cents` + `expenses_cents` (expenses are reimbursed on top of the net).
"""

from __future__ import annotations

import datetime as dt

from shared.events.base import DomainEvent, event
from shared.events.contracts import PercentText, WorkDay


@event
class SalaryScheduled(DomainEvent):
    """Stream salary-<salary_id>. The salary of an accepted prestation, computed from the
    accepted terms with the parameters valid on its dates; `differs_from_estimate` says the
    figures are not those of the contract's estimate (parameters changed in between)."""

    salary_id: str
    prestation_id: str
    contract_id: str
    quote_id: str
    member_id: str
    client_id: str
    days: tuple[WorkDay, ...]
    first_day: dt.date
    last_day: dt.date
    deadline: dt.date
    pay_on: dt.date
    amount_excl_vat_cents: int
    fee_cents: int
    expenses_cents: int
    budget_cents: int
    gross_cents: int
    employer_contributions_cents: int
    holiday_contributions_cents: int
    employee_contributions_cents: int
    taxable_cents: int
    withholding_cents: int
    net_cents: int
    net_to_pay_cents: int
    withholding_rate: PercentText
    differs_from_estimate: bool
    scheduled_on: dt.date


@event
class SalaryRescheduled(DomainEvent):
    """Stream salary-<salary_id>. The prestation was amended before payment: new days, new
    deadline and figures recomputed on the new dates."""

    salary_id: str
    prestation_id: str
    member_id: str
    client_id: str
    days: tuple[WorkDay, ...]
    first_day: dt.date
    last_day: dt.date
    deadline: dt.date
    pay_on: dt.date
    amount_excl_vat_cents: int
    fee_cents: int
    expenses_cents: int
    budget_cents: int
    gross_cents: int
    employer_contributions_cents: int
    holiday_contributions_cents: int
    employee_contributions_cents: int
    taxable_cents: int
    withholding_cents: int
    net_cents: int
    net_to_pay_cents: int
    withholding_rate: PercentText
    differs_from_estimate: bool
    rescheduled_on: dt.date


@event
class SalaryCancelled(DomainEvent):
    """Stream salary-<salary_id>. The prestation was cancelled before payment: nothing is due."""

    salary_id: str
    prestation_id: str
    member_id: str
    reason: str
    cancelled_on: dt.date
