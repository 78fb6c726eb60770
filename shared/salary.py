"""From the price agreed with the client to the member's net salary (DOMAIN.md §2).

Shared because contracts shows the estimate at encoding and payroll computes the real salary
with the same rules. Every step is rounded half-up to the cent; the rounding residue goes to
the employer contributions so that the parts of the budget add up to it exactly.

Inputs out of range (a negative or unstorable amount, a rate that is not a fraction from 0 to
1) are refused with `AmountOutOfRange` / `RateOutOfRange` naming the field, before any
arithmetic, so every figure of the breakdown fits a 64-bit integer.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from shared.decider import DomainError
from shared.money import (
    MAX_CENTS,
    apply_rate,
    checked_cents,
    checked_rate,
    divide,
)
from shared.parameters import Parameters

_SHARE_PLACES = Decimal("0.0001")
_ZERO = Decimal(0)
_ONE = Decimal(1)


class BudgetTooLow(DomainError):
    """The fee and the expenses leave no salary budget."""

    code = "budget-too-low"


@dataclass(frozen=True)
class SalaryBreakdown:
    """Every figure of DOMAIN.md §2, in cents.

    Invariant: employer + holiday + employee contributions + withholding + net == budget.
    """

    amount_excl_vat_cents: int
    vat_cents: int
    total_cents: int
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

    @property
    def net_share_of_budget(self) -> Decimal:
        """Net ÷ budget, a fraction to 4 places (0.4580 in the worked example)."""
        return (Decimal(self.net_cents) / self.budget_cents).quantize(_SHARE_PLACES)


def salary_breakdown(
    amount_excl_vat_cents: int,
    vat_rate: Decimal,
    expenses_cents: int,
    withholding_rate: Decimal,
    params: Parameters,
) -> SalaryBreakdown:
    """The breakdown of a price excluding VAT into VAT, fee, expenses and the salary's parts.

    Rates are fractions (`Decimal("0.21")`). Raises `BudgetTooLow` when fee + expenses take the
    whole price, since a salary cannot be zero or negative; `AmountOutOfRange` or
    `RateOutOfRange` when an input is outside what a salary can be made of.
    """
    _check_inputs(amount_excl_vat_cents, vat_rate, expenses_cents, withholding_rate)
    vat = apply_rate(amount_excl_vat_cents, vat_rate)
    fee = apply_rate(amount_excl_vat_cents, params.fee_rate)
    budget = amount_excl_vat_cents - fee - expenses_cents
    if budget <= 0:
        raise BudgetTooLow(
            f"the fee ({fee} cents) and the expenses ({expenses_cents} cents) leave no salary "
            f"budget out of {amount_excl_vat_cents} cents: raise the price or lower the expenses",
            field="expenses",
        )
    basis = params.contribution_basis
    # The budget is the total employer cost: gross * (1 + basis * (employer + holiday rates)).
    cost_factor = 1 + basis * (params.employer_rate + params.holiday_rate)
    gross = divide(budget, cost_factor)
    holiday = apply_rate(gross, basis * params.holiday_rate)
    employee = apply_rate(gross, basis * params.employee_rate)
    taxable = gross - employee
    withholding = apply_rate(taxable, withholding_rate)
    net = taxable - withholding
    # What is left of the budget: gross * basis * employer rate, give or take the rounding residue.
    employer = budget - gross - holiday
    return SalaryBreakdown(
        amount_excl_vat_cents=amount_excl_vat_cents,
        vat_cents=vat,
        total_cents=amount_excl_vat_cents + vat,
        fee_cents=fee,
        expenses_cents=expenses_cents,
        budget_cents=budget,
        gross_cents=gross,
        employer_contributions_cents=employer,
        holiday_contributions_cents=holiday,
        employee_contributions_cents=employee,
        taxable_cents=taxable,
        withholding_cents=withholding,
        net_cents=net,
    )


def _check_inputs(
    amount_excl_vat_cents: int, vat_rate: Decimal, expenses_cents: int, withholding_rate: Decimal
) -> None:
    # Every other figure is at most the price, except the total: the price plus a VAT of at
    # most 100 % of it. Half of MAX_CENTS keeps that total storable too.
    checked_cents(
        amount_excl_vat_cents, field="amount_excl_vat_cents", minimum=0, maximum=MAX_CENTS // 2
    )
    checked_cents(expenses_cents, field="expenses", minimum=0)
    checked_rate(vat_rate, field="vat_rate", minimum=_ZERO, maximum=_ONE)
    checked_rate(withholding_rate, field="withholding_rate", minimum=_ZERO, maximum=_ONE)
