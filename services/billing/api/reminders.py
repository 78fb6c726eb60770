"""Reminders of an invoice (`GET /v1/invoices/{id}/reminders`): what the daily collection run
sent, each with the claims it added. Seen by staff, and by a member key for its own invoices."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from services.billing import schemas
from services.billing.api.common import Runtime, visible_invoice
from shared.http.auth import PrincipalDep
from shared.http.inputs import PathId

reminders = APIRouter(prefix="/v1/invoices", tags=["reminders"])


@reminders.get("/{invoice_id}/reminders", response_model=schemas.RemindersOut)
def list_reminders(invoice_id: PathId, principal: PrincipalDep, runtime: Runtime) -> dict[str, Any]:
    invoice = visible_invoice(runtime, principal, invoice_id).state
    items = []
    for reminder in sorted(invoice.reminders, key=lambda sent: sent.level):
        added = [c.model_dump() for c in invoice.claims if c.added_on == reminder.sent_on]
        items.append(reminder.model_dump() | {"claims": added})
    return {"invoice_id": invoice_id, "items": items}
