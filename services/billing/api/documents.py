"""The documents of an invoice and of a credit note: HTML, PDF, and Peppol UBL.

Same access rule as `GET /v1/invoices/{id}`: staff see any, a member key those of its own
prestations, anyone else a 404. A UBL is answered only once it passed the Peppol rules: a
failing one, or none checkable (no rules configured), is a 503 problem naming why.
The ETag is the invoice stream's version: every document is a function of it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from fastapi import APIRouter, Request, Response

from services.billing.api.common import BillingRuntime, Runtime, visible_invoice
from services.billing.document_model import InvoiceDocument
from services.billing.domain.errors import InvoiceNotFound
from services.billing.domain.invoice import Invoice
from services.billing.ids import invoice_of_credit_note
from services.billing.publishing import Publisher, Rendered, UblRefused, UblUnavailable
from services.billing.rendering import (
    CreditNoteNotOnInvoice,
    credit_note_document,
    invoice_document,
)
from shared.http.auth import Principal, PrincipalDep
from shared.http.inputs import PathId
from shared.http.problems import FieldProblem, problem_response

invoice_documents = APIRouter(prefix="/v1/invoices", tags=["invoices"])
credit_note_documents = APIRouter(prefix="/v1/credit-notes", tags=["credit notes"])
Format = Literal["html", "pdf", "ubl"]
MAX_LISTED_MESSAGES = 20
_MEDIA = {"html": "text/html", "pdf": "application/pdf", "ubl": "application/xml"}


def publisher(request: Request) -> Publisher:
    found: Publisher = request.app.state.billing_service.publisher
    return found


def _answer(
    request: Request, fmt: Format, version: int | None, document: Callable[[], InvoiceDocument]
) -> Response:
    etag = f'"{version}-{fmt}"'
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"ETag": etag})
    rendering = publisher(request)
    try:
        rendered = _render(rendering, fmt, document())
    except UblUnavailable as missing:
        return problem_response(
            503, "peppol-rules-missing", missing.detail, instance=request.url.path,
            headers={"Retry-After": "60"},
        )  # fmt: skip
    except UblRefused as refused:
        return problem_response(
            503, "ubl-validation-failed",
            f"the UBL failed the Peppol rules, not published: {', '.join(refused.failed_rules)}",
            instance=request.url.path,
            errors=[FieldProblem(field="ubl", rule=rule, message=_message(refused, rule))
                    for rule in refused.failed_rules],
        )  # fmt: skip
    disposition = "inline" if fmt == "html" else "attachment"
    headers = {
        "ETag": etag,
        "Content-Disposition": f'{disposition}; filename="{rendered.filename}"',
        "Cache-Control": "private, no-cache",
    }
    return Response(rendered.body, media_type=rendered.media_type, headers=headers)


def _message(refused: UblRefused, rule: str) -> str:
    found = [m for m in refused.messages if m.startswith(rule)]
    if not found and rule == "ARITHMETIC":
        found = [m for m in refused.messages if "[" not in m]
    return "; ".join(found[:MAX_LISTED_MESSAGES]) or rule


def _render(rendering: Publisher, fmt: Format, document: InvoiceDocument) -> Rendered:
    if fmt == "html":
        return rendering.html(document)
    if fmt == "pdf":
        return rendering.pdf(document)
    return rendering.ubl(document)


def _invoice(
    request: Request, runtime: BillingRuntime, principal: Principal, invoice_id: str, fmt: Format
) -> Response:
    loaded = visible_invoice(runtime, principal, invoice_id)
    state: Invoice = loaded.state
    return _answer(request, fmt, loaded.version, lambda: invoice_document(state))


def _credit_note(
    request: Request, runtime: BillingRuntime, principal: Principal, note_id: str, fmt: Format
) -> Response:
    invoice_id = invoice_of_credit_note(note_id)
    if invoice_id is None:
        raise InvoiceNotFound(f"no credit note {note_id}")
    loaded = visible_invoice(runtime, principal, invoice_id)
    state: Invoice = loaded.state
    try:
        credit_note_document(state, note_id)
    except CreditNoteNotOnInvoice as missing:
        raise InvoiceNotFound(f"no credit note {note_id}") from missing
    return _answer(request, fmt, loaded.version, lambda: credit_note_document(state, note_id))


_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"content": {media: {} for media in _MEDIA.values()}},
    304: {"description": "Not modified (If-None-Match)"},
    503: {"description": "UBL only: it failed the Peppol rules, or no rules are configured"},
}


@invoice_documents.get("/{invoice_id}/document", response_class=Response, responses=_RESPONSES)
def invoice_html(
    invoice_id: PathId, request: Request, principal: PrincipalDep, runtime: Runtime
) -> Response:
    """The invoice as a printable HTML page (French), legal mentions included."""
    return _invoice(request, runtime, principal, invoice_id, "html")


@invoice_documents.get("/{invoice_id}/pdf", response_class=Response, responses=_RESPONSES)
def invoice_pdf(
    invoice_id: PathId, request: Request, principal: PrincipalDep, runtime: Runtime
) -> Response:
    return _invoice(request, runtime, principal, invoice_id, "pdf")


@invoice_documents.get("/{invoice_id}/ubl", response_class=Response, responses=_RESPONSES)
def invoice_ubl(
    invoice_id: PathId, request: Request, principal: PrincipalDep, runtime: Runtime
) -> Response:
    """Peppol BIS Billing 3.0 UBL 2.1 (type 380), its PDF attached, validated before it goes."""
    return _invoice(request, runtime, principal, invoice_id, "ubl")


@credit_note_documents.get("/{credit_note_id}/document", response_class=Response,
                           responses=_RESPONSES)  # fmt: skip
def credit_note_html(
    credit_note_id: PathId, request: Request, principal: PrincipalDep, runtime: Runtime
) -> Response:
    return _credit_note(request, runtime, principal, credit_note_id, "html")


@credit_note_documents.get("/{credit_note_id}/pdf", response_class=Response, responses=_RESPONSES)
def credit_note_pdf(
    credit_note_id: PathId, request: Request, principal: PrincipalDep, runtime: Runtime
) -> Response:
    return _credit_note(request, runtime, principal, credit_note_id, "pdf")


@credit_note_documents.get("/{credit_note_id}/ubl", response_class=Response, responses=_RESPONSES)
def credit_note_ubl(
    credit_note_id: PathId, request: Request, principal: PrincipalDep, runtime: Runtime
) -> Response:
    """UBL 2.1 CreditNote (type 381) with the BillingReference of the invoice it corrects."""
    return _credit_note(request, runtime, principal, credit_note_id, "ubl")
