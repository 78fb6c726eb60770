"""The salary aggregate (stream `salary-<salary_id>`): scheduled from the accepted terms,
rescheduled on an amendment, cancelled with the prestation, frozen once paid.

Everything from outside comes in the command: the parameters valid on the prestation's first
day (the breakdown) and on its last day (how many working days to the deadline), the working-day
convention, the contract's estimate, whether the fund paid it already and today's date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from shared.calendar import Convention, Target2Calendar, WorkingDayCalendar
from shared.decider import Conflict, Decider, NotFound
from shared.events.base import DomainEvent
from shared.events.contracts import (
    PrestationAmended,
    PrestationCancelled,
    QuoteAccepted,
    SalaryEstimate,
    WorkDay,
)
from shared.events.payroll import SalaryCancelled, SalaryRescheduled, SalaryScheduled
from shared.money import percent
from shared.parameters import Parameters
from shared.salary import SalaryBreakdown, salary_breakdown

# The figures a salary shares with the contract's estimate (VAT is the invoice's business).
COMPARED_FIGURES = (
    "fee_cents",
    "expenses_cents",
    "budget_cents",
    "gross_cents",
    "employer_contributions_cents",
    "holiday_contributions_cents",
    "employee_contributions_cents",
    "taxable_cents",
    "withholding_cents",
    "net_cents",
)
_NO_VAT = Decimal(0)


class SalaryNotFound(NotFound):
    code = "salary-not-found"


class SalaryAlreadyPaid(Conflict):
    code = "salary-already-paid"


class SalaryIsCancelled(Conflict):
    code = "salary-cancelled"


@dataclass(frozen=True)
class Rules:
    """What the law and the configuration say for one prestation's dates."""

    breakdown_parameters: Parameters  # valid on the first day
    deadline_working_days: int  # valid on the last day
    convention: Convention = "mon-sat"


@dataclass(frozen=True)
class ScheduleSalary:
    salary_id: str
    accepted: QuoteAccepted
    rules: Rules
    estimate: SalaryEstimate | None
    today: dt.date
    # The employment contract's days: its hours are the paid ones (a contract of less than a
    # day pays gross ÷ hourly minimum hours, not the hours encoded). None: the encoded days.
    contract_days: tuple[WorkDay, ...] | None = None


@dataclass(frozen=True)
class RescheduleSalary:
    amended: PrestationAmended
    rules: Rules
    estimate: SalaryEstimate | None
    paid_on: dt.date | None
    today: dt.date
    contract_days: tuple[WorkDay, ...] | None = None  # as in ScheduleSalary


@dataclass(frozen=True)
class CancelSalary:
    cancelled: PrestationCancelled
    paid_on: dt.date | None
    today: dt.date


SalaryCommand = ScheduleSalary | RescheduleSalary | CancelSalary


@dataclass(frozen=True)
class NoSalary:
    pass


@dataclass(frozen=True)
class Salary:
    """The salary as it stands: the scheduling event with the latest terms applied."""

    scheduled: SalaryScheduled
    cancelled: SalaryCancelled | None = None
    reschedulings: int = 0

    @property
    def current(self) -> SalaryScheduled:
        return self.scheduled


SalaryState = NoSalary | Salary


def deadline_and_pay_day(last_day: dt.date, rules: Rules) -> tuple[dt.date, dt.date]:
    """The 7th working day after the last day, and the last TARGET2 business day not after it:
    a transfer executed that day reaches the member by the deadline, never later."""
    deadline = WorkingDayCalendar(rules.convention).add_working_days(
        last_day, rules.deadline_working_days
    )
    return deadline, Target2Calendar().last_business_day_not_after(deadline)


def differs(breakdown: SalaryBreakdown, estimate: SalaryEstimate | None) -> bool:
    if estimate is None:
        return False
    return any(getattr(breakdown, name) != getattr(estimate, name) for name in COMPARED_FIGURES)


def _figures(
    amount_excl_vat_cents: int,
    expenses_cents: int,
    withholding_rate: str,
    days: Sequence[WorkDay],
    rules: Rules,
    estimate: SalaryEstimate | None,
) -> dict[str, Any]:
    breakdown = salary_breakdown(
        amount_excl_vat_cents,
        _NO_VAT,
        expenses_cents,
        percent(withholding_rate),
        rules.breakdown_parameters,
    )
    first_day = min(day.date for day in days)
    last_day = max(day.date for day in days)
    deadline, pay_on = deadline_and_pay_day(last_day, rules)
    return {
        "days": tuple(days),
        "first_day": first_day,
        "last_day": last_day,
        "deadline": deadline,
        "pay_on": pay_on,
        "amount_excl_vat_cents": amount_excl_vat_cents,
        **{name: getattr(breakdown, name) for name in COMPARED_FIGURES},
        "net_to_pay_cents": breakdown.net_cents + breakdown.expenses_cents,
        "withholding_rate": withholding_rate,
        "differs_from_estimate": differs(breakdown, estimate),
    }


def _schedule(command: ScheduleSalary, state: SalaryState) -> list[DomainEvent]:
    if isinstance(state, Salary):
        return []  # one salary per prestation: a replayed acceptance changes nothing
    accepted = command.accepted
    figures = _figures(
        accepted.amount_excl_vat_cents,
        accepted.expenses_cents,
        accepted.withholding_rate,
        command.contract_days or accepted.days,
        command.rules,
        command.estimate,
    )
    return [
        SalaryScheduled(
            salary_id=command.salary_id,
            prestation_id=accepted.prestation_id,
            contract_id=accepted.contract_id,
            quote_id=accepted.quote_id,
            member_id=accepted.member_id,
            client_id=accepted.client_id,
            scheduled_on=command.today,
            **figures,
        )
    ]


def _changeable(state: SalaryState, paid_on: dt.date | None) -> Salary:
    if not isinstance(state, Salary):
        raise SalaryNotFound("no salary is scheduled for this prestation")
    if paid_on is not None:
        raise SalaryAlreadyPaid(
            f"salary {state.current.salary_id} was paid on {paid_on.isoformat()}: "
            "it cannot change any more"
        )
    return state


def _reschedule(command: RescheduleSalary, state: SalaryState) -> list[DomainEvent]:
    salary = _changeable(state, command.paid_on)
    if salary.cancelled is not None:
        raise SalaryIsCancelled(f"salary {salary.current.salary_id} is cancelled")
    current = salary.current
    figures = _figures(
        current.amount_excl_vat_cents,
        current.expenses_cents,
        current.withholding_rate,
        command.contract_days or command.amended.days,
        command.rules,
        command.estimate,
    )
    if all(getattr(current, name) == value for name, value in figures.items()):
        return []  # the same amendment again, or one that changes nothing of the salary
    return [
        SalaryRescheduled(
            salary_id=current.salary_id,
            prestation_id=current.prestation_id,
            member_id=current.member_id,
            client_id=current.client_id,
            rescheduled_on=command.today,
            **figures,
        )
    ]


def _cancel(command: CancelSalary, state: SalaryState) -> list[DomainEvent]:
    salary = _changeable(state, command.paid_on)
    if salary.cancelled is not None:
        return []
    current = salary.current
    return [
        SalaryCancelled(
            salary_id=current.salary_id,
            prestation_id=current.prestation_id,
            member_id=current.member_id,
            reason=command.cancelled.reason or "prestation cancelled",
            cancelled_on=command.today,
        )
    ]


def decide(command: SalaryCommand, state: SalaryState) -> Sequence[DomainEvent]:
    match command:
        case ScheduleSalary():
            return _schedule(command, state)
        case RescheduleSalary():
            return _reschedule(command, state)
        case CancelSalary():
            return _cancel(command, state)


_RESCHEDULED_FIELDS = frozenset(SalaryRescheduled.model_fields) - {
    "salary_id",
    "prestation_id",
    "member_id",
    "client_id",
    "rescheduled_on",
}


def evolve(state: SalaryState, event: DomainEvent) -> SalaryState:
    match event:
        case SalaryScheduled():
            return Salary(event)
        case SalaryRescheduled() if isinstance(state, Salary):
            changes = {name: getattr(event, name) for name in _RESCHEDULED_FIELDS}
            return replace(
                state,
                scheduled=state.scheduled.model_copy(update=changes),
                reschedulings=state.reschedulings + 1,
            )
        case SalaryCancelled() if isinstance(state, Salary):
            return replace(state, cancelled=event)
    return state


salary_decider: Decider[SalaryCommand, SalaryState] = Decider(NoSalary, decide, evolve)
