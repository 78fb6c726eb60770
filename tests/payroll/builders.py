"""Events and commands the payroll tests share: the worked example of DOMAIN.md §2."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from services.payroll.domain.salary import Rules
from shared.events.contracts import (
    PrestationAmended,
    PrestationCancelled,
    QuoteAccepted,
    SalaryEstimate,
    WorkDay,
)
from shared.parameters import parameters_on

PRESTATION = "0" * 31 + "1"
SALARY = "S-test"
HOURS = Decimal("7.6")


def days(*dates: dt.date) -> tuple[WorkDay, ...]:
    return tuple(WorkDay(date=day, hours=HOURS) for day in dates)


def accepted(
    *dates: dt.date,
    amount_cents: int = 100_000,
    expenses_cents: int = 0,
    withholding_rate: str = "22",
) -> QuoteAccepted:
    worked = days(*(dates or (dt.date(2026, 4, 29), dt.date(2026, 4, 30))))
    return QuoteAccepted(
        quote_id="Q1", prestation_id=PRESTATION, contract_id="C1", member_id="M1",
        client_id="K1", accepted_by="client", accepted_on=dt.date(2026, 4, 1),
        description="Concert", days=worked, first_day=worked[0].date, last_day=worked[-1].date,
        amount_excl_vat_cents=amount_cents, vat_rate="21",
        vat_cents=amount_cents * 21 // 100, total_cents=amount_cents * 121 // 100, expenses=(),
        expenses_cents=expenses_cents, withholding_rate=withholding_rate, payment_term_days=10,
    )  # fmt: skip


def amended(*dates: dt.date) -> PrestationAmended:
    worked = days(*dates)
    return PrestationAmended(
        prestation_id=PRESTATION, member_id="M1", client_id="K1", days=worked,
        first_day=worked[0].date, last_day=worked[-1].date, amended_on=dt.date(2026, 4, 10),
    )  # fmt: skip


def cancelled(reason: str | None = "client withdrew") -> PrestationCancelled:
    return PrestationCancelled(
        prestation_id=PRESTATION, member_id="M1", client_id="K1", quote_id="Q1",
        was_accepted=True, cancelled_by="ops", reason=reason, cancelled_on=dt.date(2026, 4, 12),
    )  # fmt: skip


def rules(first_day: dt.date, last_day: dt.date, convention: str = "mon-sat") -> Rules:
    return Rules(
        breakdown_parameters=parameters_on(first_day),
        deadline_working_days=parameters_on(last_day).salary_deadline_working_days,
        convention="mon-fri" if convention == "mon-fri" else "mon-sat",
    )


# The worked example as contracts estimated it at encoding (DOMAIN.md §2).
WORKED_ESTIMATE = SalaryEstimate(
    amount_excl_vat_cents=100_000, vat_cents=21_000, total_cents=121_000, fee_cents=6_500,
    expenses_cents=0, budget_cents=93_500, gross_cents=63_924,
    employer_contributions_cents=18_640, holiday_contributions_cents=10_936,
    employee_contributions_cents=9_023, taxable_cents=54_901, withholding_cents=12_078,
    net_cents=42_823,
)  # fmt: skip
