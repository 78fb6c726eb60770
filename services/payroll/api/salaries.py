"""Salaries (`/v1/salaries`): the list, the ones due soon, one salary as it stands."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from services.payroll import projections, schemas
from services.payroll.api.common import Runtime, caught_up, own_member, visible_salary
from shared.http.auth import PrincipalDep
from shared.http.inputs import PathId, WholeNumber
from shared.http.paging import format_cursor, parse_cursor

salaries = APIRouter(prefix="/v1/salaries", tags=["salaries"])
Status = Annotated[str | None, Query(pattern="^(scheduled|paid|cancelled)$", max_length=9)]
Limit = Annotated[WholeNumber, Query(ge=1, le=200)]
MinPosition = Annotated[WholeNumber | None, Query(description="Wait for this write (5 s)")]
MemberFilter = Annotated[str | None, Query(min_length=1, max_length=64)]


@salaries.get("", response_model=schemas.SalaryPageOut)
def list_salaries(
    principal: PrincipalDep, runtime: Runtime, member_id: MemberFilter = None,
    status: Status = None, limit: Limit = 50, cursor: str | None = None,
    min_position: MinPosition = None,
) -> dict[str, Any]:  # fmt: skip
    """A member key lists its own salaries only, whatever `member_id` it passes."""
    caught_up(runtime, min_position)
    member = own_member(principal, member_id)
    with runtime.views.read() as conn:
        items, last = projections.salary_page(conn, member, status, parse_cursor(cursor), limit)
    return {"items": items, "next_cursor": None if last is None else format_cursor(last)}


@salaries.get("/due", response_model=schemas.DueListOut)
def due_salaries(
    principal: PrincipalDep, runtime: Runtime,
    within_days: Annotated[WholeNumber, Query(ge=0, le=366)] = 7,
    member_id: MemberFilter = None, min_position: MinPosition = None,
) -> dict[str, Any]:  # fmt: skip
    """Salaries to pay by today + `within_days`, each with who will fund it if nothing changes."""
    caught_up(runtime, min_position)
    until = runtime.handlers.clock.today() + dt.timedelta(days=within_days)
    with runtime.views.read() as conn:
        items = projections.due_by(conn, until, own_member(principal, member_id))
    total = sum(item["net_to_pay_cents"] for item in items)
    return {"until": until, "items": items, "net_to_pay_total_cents": total}


@salaries.get("/{salary_id}", response_model=schemas.SalaryOut)
def get_salary(
    salary_id: PathId, principal: PrincipalDep, runtime: Runtime, response: Response
) -> dict[str, Any]:
    found = visible_salary(runtime, principal, salary_id)
    response.headers["ETag"] = f'"{found.version}"'
    return schemas.salary_body(found.salary, found.paid, found.version)
