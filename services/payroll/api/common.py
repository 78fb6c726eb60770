"""What every payroll router shares: its runtime and who may see which salary."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from services.payroll.domain.salary import Salary, SalaryNotFound
from services.payroll.handlers import PayrollHandlers
from shared.events.guarantee_fund import SalaryPaid
from shared.eventstore.projections import ProjectionRunner
from shared.http.auth import Principal
from shared.http.problems import ProblemError


@dataclass(frozen=True)
class PayrollRuntime:
    handlers: PayrollHandlers
    views: ProjectionRunner


async def runtime(request: Request) -> PayrollRuntime:
    found: PayrollRuntime = request.app.state.payroll
    return found


Runtime = Annotated[PayrollRuntime, Depends(runtime)]


@dataclass(frozen=True)
class VisibleSalary:
    salary: Salary
    paid: SalaryPaid | None
    version: int | None


def visible_salary(runtime: PayrollRuntime, principal: Principal, salary_id: str) -> VisibleSalary:
    """The salary, always current (folded from its stream), when the caller may see it: staff
    any, a member key its own; any other answers 404, as if it did not exist."""
    loaded = runtime.handlers.salary(salary_id)
    state = loaded.state
    if not isinstance(state, Salary) or not principal.can_see_member(state.current.member_id):
        raise SalaryNotFound(f"no salary {salary_id}")
    return VisibleSalary(state, runtime.handlers.payment(salary_id), loaded.version)


def own_member(principal: Principal, member_id: str | None) -> str | None:
    """The member a list is about: staff choose (or see all), a member key sees its own only."""
    if principal.is_staff:
        return member_id
    return principal.member_id or "-"


def caught_up(runtime: PayrollRuntime, min_position: int | None) -> None:
    if min_position is not None and not runtime.views.wait_for(min_position, timeout=5.0):
        raise ProblemError(
            503, "projection-behind", "Projection behind",
            f"the list has not reached position {min_position} yet; retry",
            headers={"Retry-After": "1"},
        )  # fmt: skip
