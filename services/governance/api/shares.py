"""Shares: purchases (`/v1/share-purchases`), shareholders' standing, transfers, corrections
and leaving (`/v1/shareholders`), the legal register (`/v1/share-register`), active members."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Response

from services.governance import queries, schemas
from services.governance.api.common import Runtime, caught_up
from services.governance.domain.shares import Holder, PurchaseNotFound, ShareholderNotFound
from services.governance.handlers import PurchaseRequest, TransferRequest
from services.governance.register_documents import register_csv, register_pdf
from shared.http.auth import PrincipalDep, StaffDep, forbidden
from shared.http.inputs import IsoDate, PathId, WholeNumber
from shared.http.service import ContextDep
from shared.parameters_governance import governance_on

purchases = APIRouter(prefix="/v1/share-purchases", tags=["shares"])
shareholders = APIRouter(prefix="/v1/shareholders", tags=["shares"])
register = APIRouter(prefix="/v1/share-register", tags=["shares"])
active = APIRouter(prefix="/v1/active-members", tags=["shares"])
Format = Annotated[Literal["json", "csv", "pdf"] | None, Query(description="or Accept")]


@purchases.post("", status_code=201)
def buy_shares(
    body: schemas.SharePurchaseIn, principal: PrincipalDep, runtime: Runtime,
    context: ContextDep, response: Response,
) -> dict[str, Any]:  # fmt: skip
    """A member buys its own shares; staff record any purchase (legal persons among them)."""
    if not principal.can_see_member(body.member_id):
        raise forbidden("a member key buys shares for its own member only")
    legal = body.legal_person
    holder = None
    if legal is not None:
        holder = Holder("legal", legal.name, legal.seat, legal.enterprise_number)
    request = PurchaseRequest(
        body.member_id, body.category, body.quantity, body.year,
        body.yearly_gross_salary_cents, holder,
    )  # fmt: skip
    outcome = runtime.shares.buy(request, context)
    if outcome.handled.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    state = outcome.handled.state
    purchase = state.purchases[outcome.purchase_id]
    return schemas.purchase_body(body.member_id, purchase) | {"position": outcome.handled.position}


def _member_of(runtime: Runtime, purchase_id: str) -> str:
    caught_up(runtime.views, None)
    with runtime.views.read() as conn:
        row = queries.purchase_row(conn, purchase_id)
    if row is None:
        raise PurchaseNotFound(f"no share purchase {purchase_id}")
    member_id: str = row["member_id"]
    return member_id


@purchases.get("/{purchase_id}")
def get_purchase(purchase_id: PathId, principal: PrincipalDep, runtime: Runtime) -> dict[str, Any]:
    member_id = _member_of(runtime, purchase_id)
    if not principal.can_see_member(member_id):
        raise PurchaseNotFound(f"no share purchase {purchase_id}")
    state = runtime.shares.shareholder(member_id).state
    return schemas.purchase_body(member_id, state.purchases[purchase_id])


@purchases.post("/{purchase_id}/payment")
def record_share_payment(
    purchase_id: PathId, body: schemas.SharePaymentIn, staff: StaffDep, runtime: Runtime,
    context: ContextDep,
) -> dict[str, Any]:  # fmt: skip
    """Ops records a payment made otherwise than with the purchase's structured reference."""
    member_id = _member_of(runtime, purchase_id)
    handled = runtime.shares.record_payment(
        member_id, purchase_id, body.amount_cents, body.received_on, context
    )
    purchase = handled.state.purchases[purchase_id]
    return schemas.purchase_body(member_id, purchase) | {"position": handled.position}


@shareholders.get("/{member_id}")
def get_shareholder(member_id: PathId, principal: PrincipalDep, runtime: Runtime) -> dict[str, Any]:
    loaded = runtime.shares.shareholder(member_id)
    if not principal.can_see_member(member_id) or loaded.state.holder is None:
        raise ShareholderNotFound(f"no shareholder {member_id}")
    today = runtime.shares.clock.today()
    rules = governance_on(today)
    with runtime.views.read() as conn:
        counts = queries.contracts_in_year(conn, member_id, today.year)
    is_active = counts.get("contract", 0) >= rules.active_contract_tool_contracts or (
        counts.get("activity", 0) >= rules.active_activity_tool_contracts
    )
    return schemas.standing_body(loaded.state) | {
        "active": is_active, "contracts_this_year": counts, "version": loaded.version,
    }  # fmt: skip


@shareholders.post("/{member_id}/transfers", status_code=201)
def transfer_shares(
    member_id: PathId, body: schemas.TransferIn, principal: PrincipalDep, runtime: Runtime,
    context: ContextDep, response: Response,
) -> dict[str, Any]:  # fmt: skip
    """The holder's paid-up shares to another shareholder (its own key, or staff), or to a
    person the board admitted (staff, who record the board's decision)."""
    if not principal.can_see_member(member_id):
        raise forbidden("a member key transfers its own shares only")
    if not principal.is_staff and (body.board_admitted_on or body.legal_person):
        raise forbidden("staff record the board's admission of a new holder")
    legal = body.legal_person
    holder = None if legal is None else Holder("legal", legal.name, legal.seat,
                                               legal.enterprise_number)  # fmt: skip
    request = TransferRequest(
        member_id, body.to_member_id, body.category, body.quantity, body.board_admitted_on,
        holder,
    )  # fmt: skip
    outcome = runtime.shares.transfer(request, context)
    if outcome.giver.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    given = next(t for t in outcome.giver.state.given if t.transfer_id == outcome.transfer_id)
    return schemas.transfer_body(given) | {"position": outcome.giver.position}


@shareholders.post("/{member_id}/details")
def correct_holder(
    member_id: PathId, body: schemas.HolderCorrectionIn, staff: StaffDep, runtime: Runtime,
    context: ContextDep,
) -> dict[str, Any]:  # fmt: skip
    """Ops correct how the register names a holder, from today on (a legal person's seat, a
    person's domicile not kept by the contracts tool); earlier days keep what they said."""
    handled = runtime.shares.correct_holder(
        member_id, body.name, body.domicile, body.enterprise_number, context
    )
    return schemas.standing_body(handled.state) | {"position": handled.position}


@shareholders.post("/{member_id}/resignation")
def resign(
    member_id: PathId, body: schemas.ResignationIn, principal: PrincipalDep, runtime: Runtime,
    context: ContextDep,
) -> dict[str, Any]:  # fmt: skip
    """A member resigns (its own key or staff); a death is recorded by staff."""
    own = principal.can_see_member(member_id)
    if not own or (body.reason == "death" and not principal.is_staff):
        raise forbidden("a member resigns for itself; staff record a death")
    handled = runtime.shares.resign(member_id, body.reason, context)
    return schemas.standing_body(handled.state) | {"position": handled.position}


@shareholders.post("/{member_id}/redemption/approval")
def approve_redemption(
    member_id: PathId, body: schemas.RedemptionApprovalIn, staff: StaffDep, runtime: Runtime,
    context: ContextDep,
) -> dict[str, Any]:  # fmt: skip
    """Records the board's approval, with the net asset value per share that caps it."""
    cap = body.net_asset_value_per_share_cents
    handled = runtime.shares.approve_redemption(member_id, cap, context)
    return schemas.standing_body(handled.state) | {"position": handled.position}


@shareholders.post("/{member_id}/redemption")
def redeem(
    member_id: PathId, body: schemas.RedemptionIn, staff: StaffDep, runtime: Runtime,
    context: ContextDep,
) -> dict[str, Any]:  # fmt: skip
    """The approved amount was repaid: the shares leave the register."""
    handled = runtime.shares.redeem(member_id, body.amount_cents, context)
    return schemas.standing_body(handled.state) | {"position": handled.position}


@register.get("", response_model=None)
def share_register(
    principal: PrincipalDep, runtime: Runtime, as_of: Annotated[IsoDate | None, Query()] = None,
    format: Format = None, accept: Annotated[str | None, Header()] = None,
) -> dict[str, Any] | Response:  # fmt: skip
    """The register as it stood at the end of `as_of` (today by default). Any member may
    consult it; a member key sees the domicile of no other holder."""
    day: dt.date = as_of or runtime.shares.clock.today()
    caught_up(runtime.views, None)
    own = None if principal.is_staff else {principal.member_id or ""}
    with runtime.views.read() as conn:
        body = queries.register(conn, day, domicile_of=own)
    wanted = format or ("csv" if "text/csv" in (accept or "") else None)
    wanted = wanted or ("pdf" if "application/pdf" in (accept or "") else "json")
    if wanted == "csv":
        return Response(register_csv(body), media_type="text/csv; charset=utf-8")
    if wanted == "pdf":
        return Response(register_pdf(body), media_type="application/pdf")
    return body


@active.get("")
def list_active_members(
    staff: StaffDep, runtime: Runtime, year: Annotated[WholeNumber | None, Query()] = None
) -> dict[str, Any]:
    chosen = year or runtime.shares.clock.today().year
    rules = governance_on(runtime.shares.clock.today())
    caught_up(runtime.views, None)
    with runtime.views.read() as conn:
        items = queries.active_members(
            conn, chosen, rules.active_contract_tool_contracts,
            rules.active_activity_tool_contracts,
        )  # fmt: skip
    return {"year": chosen, "items": items}
