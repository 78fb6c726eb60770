"""What the employer owes the state (`/v1/payroll/…`): the figures of forms 274, DmfA and
281.10, from the salaries paid. No filing: the numbers a filing would carry."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.payroll import projections
from services.payroll.api.common import Runtime, caught_up
from shared.decider import NotFound
from shared.http.auth import PrincipalDep, StaffDep
from shared.http.inputs import WholeNumber

owed = APIRouter(prefix="/v1/payroll", tags=["payroll"])
Month = Annotated[str, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", max_length=7)]
Quarter = Annotated[str, Query(pattern=r"^\d{4}-Q[1-4]$", max_length=7)]
Year = Annotated[WholeNumber, Query(ge=2000, le=2999)]
MinPosition = Annotated[WholeNumber | None, Query(description="Wait for this write (5 s)")]
_MONTHS_PER_QUARTER = 3


def quarter_bounds(quarter: str) -> tuple[dt.date, dt.date]:
    """ "2026-Q2" → (1 April 2026, 30 June 2026)."""
    year, number = int(quarter[:4]), int(quarter[-1])
    first = dt.date(year, _MONTHS_PER_QUARTER * (number - 1) + 1, 1)
    after = dt.date(year + 1, 1, 1) if number == 4 else dt.date(year, first.month + 3, 1)
    return first, after - dt.timedelta(days=1)


@owed.get("/withholding")
def withholding(
    month: Month, staff: StaffDep, runtime: Runtime, min_position: MinPosition = None
) -> dict[str, Any]:
    """Form 274: the withholding tax on the salaries paid in the month, by rate."""
    caught_up(runtime, min_position)
    with runtime.views.read() as conn:
        return projections.withholding_of_month(conn, month)


@owed.get("/dmfa")
def dmfa(
    quarter: Quarter, staff: StaffDep, runtime: Runtime, min_position: MinPosition = None
) -> dict[str, Any]:
    """The DmfA's data per member: gross, contribution base (gross x the basis), employer,
    holiday and employee contributions, for the paid work of the quarter."""
    caught_up(runtime, min_position)
    first, last = quarter_bounds(quarter)
    with runtime.views.read() as conn:
        members = projections.dmfa_of_quarter(conn, first, last)
    totals = {
        name: sum(member[name] for member in members)
        for name in ("gross_cents", "contribution_base_cents", "employer_contributions_cents",
                     "holiday_contributions_cents", "employee_contributions_cents")
    }  # fmt: skip
    return {"quarter": quarter, "first_day": first, "last_day": last, "members": members,
            "totals": totals}  # fmt: skip


@owed.get("/281-10")
def form_281_10(
    year: Year, member_id: Annotated[str, Query(min_length=1, max_length=64)],
    principal: PrincipalDep, runtime: Runtime, min_position: MinPosition = None,
) -> dict[str, Any]:  # fmt: skip
    """The totals of a member's tax form 281.10 for the year; a member key sees its own."""
    if not principal.can_see_member(member_id):
        raise NotFound(f"no member {member_id}")
    caught_up(runtime, min_position)
    member = runtime.handlers.member(member_id)
    if member is None:
        raise NotFound(f"no member {member_id}")
    with runtime.views.read() as conn:
        totals = projections.form_281_10(conn, year, member_id)
    return {"year": year, "member_id": member_id, "niss": member.niss,
            "name": f"{member.last_name} {member.first_name}", **totals}  # fmt: skip
