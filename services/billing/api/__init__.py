"""HTTP for the billing service: one router per resource; app.py mounts `ROUTERS` and
`DOCUMENT_ROUTERS` (HTML, PDF and UBL of invoices and credit notes)."""

from __future__ import annotations

from services.billing.api.common import BillingRuntime
from services.billing.api.documents import credit_note_documents, invoice_documents
from services.billing.api.invoices import credit_notes, invoices
from services.billing.api.payments import payments, receivables
from services.billing.api.reminders import reminders
from services.billing.api.statements import statements

ROUTERS = (invoices, credit_notes, payments, receivables, statements, reminders)
DOCUMENT_ROUTERS = (invoice_documents, credit_note_documents)

__all__ = ["DOCUMENT_ROUTERS", "ROUTERS", "BillingRuntime"]
