"""Payments (`/v1/payments`): received by reference or invoice, the unmatched queue, refunds;
receivables (`/v1/receivables`): per client, the aged balance, credits to refund. Staff only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from services.billing import projections, schemas
from services.billing.api.common import Runtime, caught_up
from services.billing.domain.errors import PaymentNotFound
from services.billing.domain.payment import UnmatchedPayment
from shared.http.auth import StaffDep
from shared.http.inputs import PathId, WholeNumber
from shared.http.service import ContextDep

payments = APIRouter(prefix="/v1/payments", tags=["payments"])
receivables = APIRouter(prefix="/v1/receivables", tags=["receivables"])
PaymentStatus = Annotated[str | None, Query(pattern="^(matched|unmatched|assigned|to_refund)$")]
Limit = Annotated[WholeNumber, Query(ge=1, le=500)]
MinPosition = Annotated[WholeNumber | None, Query(description="Wait for this write (5 s)")]


@payments.post("", status_code=201, response_model=schemas.PaymentOut)
def receive_payment(
    body: schemas.PaymentIn, staff: StaffDep, runtime: Runtime, context: ContextDep,
    response: Response,
) -> dict[str, Any]:  # fmt: skip
    outcome = runtime.handlers.receive_payment(
        body.amount_cents, body.received_on, context,
        invoice_id=body.invoice_id, reference=body.structured_reference,
    )  # fmt: skip
    if outcome.handled.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return {
        "payment_id": outcome.payment_id,
        "invoice_id": outcome.invoice_id,
        "status": outcome.status,
        "amount_cents": body.amount_cents,
        "received_on": body.received_on,
        "position": outcome.handled.position,
    }


@payments.get("", response_model=dict[str, list[schemas.PaymentOut]])
def list_payments(
    staff: StaffDep, runtime: Runtime, status: PaymentStatus = None, limit: Limit = 100,
    min_position: MinPosition = None,
) -> dict[str, Any]:  # fmt: skip
    caught_up(runtime, min_position)
    with runtime.views.read() as conn:
        return {"items": projections.payment_rows(conn, status, limit)}


def _unmatched(runtime: Runtime, payment_id: str) -> UnmatchedPayment:
    state = runtime.handlers.payment(payment_id).state
    if not isinstance(state, UnmatchedPayment):
        raise PaymentNotFound(f"no unmatched payment {payment_id}")
    return state


@payments.post("/{payment_id}/assign", response_model=schemas.PaymentOut)
def assign_payment(
    payment_id: PathId, body: schemas.AssignIn, staff: StaffDep, runtime: Runtime,
    context: ContextDep,
) -> dict[str, Any]:  # fmt: skip
    _unmatched(runtime, payment_id)
    handled = runtime.handlers.assign(payment_id, body.invoice_id, context)
    return schemas.unmatched_body(_unmatched(runtime, payment_id)) | {"position": handled.position}


@payments.post("/{payment_id}/refund", response_model=schemas.PaymentOut)
def mark_payment_for_refund(
    payment_id: PathId, body: schemas.RefundIn, staff: StaffDep, runtime: Runtime,
    context: ContextDep,
) -> dict[str, Any]:  # fmt: skip
    _unmatched(runtime, payment_id)
    handled = runtime.handlers.mark_for_refund(payment_id, body.reason, context)
    return schemas.unmatched_body(_unmatched(runtime, payment_id)) | {"position": handled.position}


@receivables.get("")
def list_receivables(
    staff: StaffDep, runtime: Runtime, client_id: str | None = None,
    min_position: MinPosition = None,
) -> dict[str, Any]:  # fmt: skip
    caught_up(runtime, min_position)
    today = runtime.handlers.clock.today()
    with runtime.views.read() as conn:
        return {
            "clients": projections.receivables(conn, client_id),
            "aged_balance": projections.aged_balance(conn, today),
            "total_outstanding_cents": projections.total_outstanding(conn),
        }


@receivables.get("/refunds")
def list_credits_to_refund(
    staff: StaffDep, runtime: Runtime, limit: Limit = 100, min_position: MinPosition = None
) -> dict[str, Any]:
    caught_up(runtime, min_position)
    with runtime.views.read() as conn:
        return {"items": projections.refund_rows(conn, limit)}
