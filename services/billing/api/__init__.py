"""HTTP for the billing service: one router per resource; `ROUTERS` is what app.py mounts."""

from __future__ import annotations

from services.billing.api.common import BillingRuntime
from services.billing.api.invoices import credit_notes, invoices
from services.billing.api.payments import payments, receivables
from services.billing.api.reminders import reminders
from services.billing.api.statements import statements

ROUTERS = (invoices, credit_notes, payments, receivables, statements, reminders)

__all__ = ["ROUTERS", "BillingRuntime"]
