"""What every billing router shares: its runtime and who may see which invoice."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from services.billing.domain.errors import InvoiceNotFound
from services.billing.domain.invoice import Invoice
from services.billing.handlers import BillingHandlers
from shared.eventstore.handling import Loaded
from shared.eventstore.projections import ProjectionRunner
from shared.http.auth import Principal
from shared.http.problems import ProblemError


@dataclass(frozen=True)
class BillingRuntime:
    handlers: BillingHandlers
    views: ProjectionRunner


async def runtime(request: Request) -> BillingRuntime:
    found: BillingRuntime = request.app.state.billing
    return found


Runtime = Annotated[BillingRuntime, Depends(runtime)]


def visible_invoice(
    runtime: BillingRuntime, principal: Principal, invoice_id: str
) -> Loaded[Invoice]:
    """The invoice, when the caller may see it: staff any, a member key those of its own
    prestations; any other answers 404, as if it did not exist."""
    loaded = runtime.handlers.invoice(invoice_id)
    if not principal.can_see_member(loaded.state.issued.member_id):
        raise InvoiceNotFound(f"no invoice {invoice_id}")
    return loaded


def caught_up(runtime: BillingRuntime, min_position: int | None) -> None:
    if min_position is not None and not runtime.views.wait_for(min_position, timeout=5.0):
        raise ProblemError(
            503, "projection-behind", "Projection behind",
            f"the list has not reached position {min_position} yet; retry",
            headers={"Retry-After": "1"},
        )  # fmt: skip
