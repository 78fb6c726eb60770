"""Reminders of an invoice (`GET /v1/invoices/{id}/reminders`): what the daily collection run
sent, each with the claims it added. Seen by staff, and by a member key for its own invoices."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from services.billing import documents, schemas
from services.billing.api.common import Runtime, visible_invoice
from services.billing.rendering import ReminderNotSent, reminder_document
from shared.http.auth import PrincipalDep
from shared.http.inputs import PathId
from shared.http.problems import ProblemError

Level = Annotated[int, Path(ge=1, le=99, description="The reminder's level (1, 2, …)")]

reminders = APIRouter(prefix="/v1/invoices", tags=["reminders"])


@reminders.get("/{invoice_id}/reminders", response_model=schemas.RemindersOut)
def list_reminders(invoice_id: PathId, principal: PrincipalDep, runtime: Runtime) -> dict[str, Any]:
    invoice = visible_invoice(runtime, principal, invoice_id).state
    items = []
    for reminder in sorted(invoice.reminders, key=lambda sent: sent.level):
        added = [c.model_dump() for c in invoice.claims if c.added_on == reminder.sent_on]
        items.append(reminder.model_dump() | {"claims": added})
    return {"invoice_id": invoice_id, "items": items}


def _reminder(runtime: Runtime, principal: PrincipalDep, invoice_id: str, level: int) -> Any:
    loaded = visible_invoice(runtime, principal, invoice_id)
    try:
        return reminder_document(loaded.envelopes, level)
    except ReminderNotSent as missing:
        raise ProblemError(404, "reminder-not-found", "No such reminder", str(missing)) from None


@reminders.get("/{invoice_id}/reminders/{level}/document", response_class=Response)
def reminder_html(
    invoice_id: PathId, level: Level, principal: PrincipalDep, runtime: Runtime
) -> Response:
    page = documents.render_reminder_html(_reminder(runtime, principal, invoice_id, level))
    return Response(page, media_type="text/html; charset=utf-8")


@reminders.get("/{invoice_id}/reminders/{level}/pdf", response_class=Response)
def reminder_pdf(
    invoice_id: PathId, level: Level, principal: PrincipalDep, runtime: Runtime
) -> Response:
    from services.billing import documents_pdf  # fpdf2 loads on the first PDF, not at start

    body = documents_pdf.render_reminder_pdf(_reminder(runtime, principal, invoice_id, level))
    filename = f"rappel-{invoice_id}-{level}.pdf"
    return Response(
        body, media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )  # fmt: skip
