"""Pay statements (`/v1/salaries/{id}/payslip`, `…/payslip.pdf`) of paid salaries."""

from __future__ import annotations

from fastapi import APIRouter, Response

from services.payroll.api.common import PayrollRuntime, Runtime, visible_salary
from services.payroll.payslip import Payslip
from services.payroll.payslip_html import render_payslip_html
from shared.decider import Conflict, NotFound
from shared.http.auth import Principal, PrincipalDep
from shared.http.inputs import PathId
from shared.parameters import cooperative, parameters_on

payslips = APIRouter(prefix="/v1/salaries", tags=["payslips"])


class SalaryNotPaid(Conflict):
    code = "salary-not-paid"


def payslip_of(runtime: PayrollRuntime, principal: Principal, salary_id: str) -> Payslip:
    """A member key sees its own payslips only; a salary not paid yet has none (409)."""
    found = visible_salary(runtime, principal, salary_id)
    if found.paid is None:
        raise SalaryNotPaid(f"salary {salary_id} is not paid yet: its payslip comes with payment")
    salary = found.salary.current
    member = runtime.handlers.member(salary.member_id)
    if member is None:
        raise NotFound(f"member {salary.member_id} of salary {salary_id} is not registered")
    return Payslip(salary, found.paid, member, cooperative(), parameters_on(salary.first_day))


@payslips.get("/{salary_id}/payslip", response_class=Response)
def payslip_html(salary_id: PathId, principal: PrincipalDep, runtime: Runtime) -> Response:
    html = render_payslip_html(payslip_of(runtime, principal, salary_id))
    return Response(html, media_type="text/html; charset=utf-8")


@payslips.get("/{salary_id}/payslip.pdf", response_class=Response)
def payslip_pdf(salary_id: PathId, principal: PrincipalDep, runtime: Runtime) -> Response:
    # Imported here: fpdf2 costs the service's start-up half a second it rarely needs.
    from services.payroll.payslip_pdf import render_payslip_pdf

    pdf = render_payslip_pdf(payslip_of(runtime, principal, salary_id))
    headers = {"Content-Disposition": f'inline; filename="payslip-{salary_id}.pdf"'}
    return Response(pdf, media_type="application/pdf", headers=headers)
