"""Invoices (`/v1/invoices`) and credit notes (`/v1/credit-notes`): read, credit, write off."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from services.billing import projections, schemas
from services.billing.api.common import Runtime, caught_up, visible_invoice
from services.billing.domain.errors import InvoiceNotFound
from services.billing.ids import invoice_of_credit_note
from shared.http.auth import PrincipalDep, StaffDep
from shared.http.inputs import PathId, WholeNumber
from shared.http.paging import format_cursor, parse_cursor
from shared.http.service import ContextDep

invoices = APIRouter(prefix="/v1/invoices", tags=["invoices"])
credit_notes = APIRouter(prefix="/v1/credit-notes", tags=["credit notes"])
Status = Annotated[
    str | None, Query(pattern="^(issued|overdue|paid|credited|written_off)$", max_length=12)
]
Limit = Annotated[WholeNumber, Query(ge=1, le=200)]
MinPosition = Annotated[WholeNumber | None, Query(description="Wait for this write (5 s)")]


@invoices.get("", response_model=schemas.PageOut)
def list_invoices(
    principal: PrincipalDep, runtime: Runtime, client_id: str | None = None,
    prestation_id: str | None = None, status: Status = None, limit: Limit = 50,
    cursor: str | None = None, min_position: MinPosition = None,
) -> dict[str, Any]:  # fmt: skip
    """A member key lists the invoices of its own prestations only."""
    caught_up(runtime, min_position)
    member_id = None if principal.is_staff else (principal.member_id or "-")
    filters = {"client_id": client_id, "prestation_id": prestation_id, "member_id": member_id}
    today = runtime.handlers.clock.today()
    with runtime.views.read() as conn:
        items, last = projections.invoice_page(
            conn, filters, status, today, parse_cursor(cursor), limit
        )
    return {"items": items, "next_cursor": None if last is None else format_cursor(last)}


@invoices.get("/{invoice_id}", response_model=schemas.InvoiceOut)
def get_invoice(
    invoice_id: PathId, principal: PrincipalDep, runtime: Runtime, response: Response
) -> dict[str, Any]:
    loaded = visible_invoice(runtime, principal, invoice_id)
    response.headers["ETag"] = f'"{loaded.version}"'
    return schemas.invoice_body(loaded.state, runtime.handlers.clock.today(), loaded.version)


@invoices.post("/{invoice_id}/write-off", response_model=schemas.InvoiceOut)
def write_off_invoice(
    invoice_id: PathId, body: schemas.WriteOffIn, staff: StaffDep, runtime: Runtime,
    context: ContextDep,
) -> dict[str, Any]:  # fmt: skip
    handled = runtime.handlers.write_off(invoice_id, body.reason, context)
    state = runtime.handlers.invoice(invoice_id).state
    today = runtime.handlers.clock.today()
    return schemas.invoice_body(state, today, handled.version) | {"position": handled.position}


@invoices.post("/{invoice_id}/credit-notes", status_code=201, response_model=schemas.CreditNoteOut)
def credit_invoice(
    invoice_id: PathId, body: schemas.CreditNoteIn, staff: StaffDep, runtime: Runtime,
    context: ContextDep, response: Response,
) -> dict[str, Any]:  # fmt: skip
    handled = runtime.handlers.credit(invoice_id, body.reason, body.amount_excl_vat_cents, context)
    notes = [e for e in handled.events if type(e).__name__ == "CreditNoteIssued"]
    if not notes:
        raise InvoiceNotFound(f"no credit note was issued on {invoice_id}")
    note = notes[0]
    response.headers["Location"] = f"{credit_notes.prefix}/{note.credit_note_id}"  # type: ignore[attr-defined]
    return schemas.credit_note_body(note) | {"position": handled.position}  # type: ignore[arg-type]


@credit_notes.get("/{credit_note_id}", response_model=schemas.CreditNoteOut)
def get_credit_note(
    credit_note_id: PathId, principal: PrincipalDep, runtime: Runtime
) -> dict[str, Any]:
    invoice_id = invoice_of_credit_note(credit_note_id)
    if invoice_id is None:
        raise InvoiceNotFound(f"no credit note {credit_note_id}")
    invoice = visible_invoice(runtime, principal, invoice_id).state
    for note in invoice.credit_notes:
        if note.credit_note_id == credit_note_id:
            return schemas.credit_note_body(note)
    raise InvoiceNotFound(f"no credit note {credit_note_id}")
