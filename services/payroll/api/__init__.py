"""HTTP for the payroll service: one router per resource; `ROUTERS` is what app.py mounts."""

from __future__ import annotations

from services.payroll.api.common import PayrollRuntime
from services.payroll.api.owed import owed
from services.payroll.api.payslips import payslips
from services.payroll.api.salaries import salaries

ROUTERS = (salaries, payslips, owed)

__all__ = ["ROUTERS", "PayrollRuntime"]
