"""The governance service's HTTP bodies: what comes in (with its bounds) and what goes out."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from stdnum.be import vat

from services.governance.domain.shares import Purchase, Shareholder
from shared.events.governance import Category, ShareTransferred
from shared.http.inputs import IsoDate

MAX_SHARES = 100_000
MAX_CENTS = MAX_SHARES * 100_000
Text = Field(min_length=1, max_length=200)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LegalPersonIn(_In):
    """A legal person holding category B shares: the register names its seat and number."""

    name: str = Text
    seat: str = Text
    enterprise_number: str = Field(min_length=10, max_length=16)

    @field_validator("enterprise_number")
    @classmethod
    def valid_number(cls, value: str) -> str:
        if not vat.is_valid(value):
            raise ValueError("not a valid Belgian enterprise number")
        return vat.compact(value)


class SharePurchaseIn(_In):
    member_id: str = Field(min_length=1, max_length=64)
    category: Category
    quantity: int | None = Field(None, gt=0, le=MAX_SHARES, strict=True)
    year: int | None = Field(None, ge=2000, le=2999, strict=True)
    yearly_gross_salary_cents: int | None = Field(None, ge=0, le=MAX_CENTS, strict=True)
    legal_person: LegalPersonIn | None = None


class SharePaymentIn(_In):
    amount_cents: int = Field(gt=0, le=MAX_CENTS, strict=True)
    received_on: IsoDate


class ResignationIn(_In):
    reason: Literal["resignation", "death"]  # said, never assumed: death counts as resignation


class RedemptionApprovalIn(_In):
    """The net asset value per share of the last approved accounts (given by ops)."""

    net_asset_value_per_share_cents: int = Field(ge=0, le=MAX_CENTS, strict=True)


class RedemptionIn(_In):
    """What ops repaid: the approved amount, to the cent (anything else is refused)."""

    amount_cents: int = Field(ge=0, le=MAX_CENTS, strict=True)


class TransferIn(_In):
    """Paid-up shares of the path's holder to `to_member_id`: a shareholder, or a person the
    board admitted on `board_admitted_on` (staff only). A receiver that is neither a holder
    nor a member of the contracts tool is a legal person (category B only)."""

    to_member_id: str = Field(min_length=1, max_length=64)
    category: Category
    quantity: int = Field(gt=0, le=MAX_SHARES, strict=True)
    board_admitted_on: IsoDate | None = None
    legal_person: LegalPersonIn | None = None


class HolderCorrectionIn(_In):
    """The holder's name, domicile (legal persons: seat) or enterprise number as of today;
    what is left out stays."""

    name: str | None = Field(None, min_length=1, max_length=200)
    domicile: str | None = Field(None, min_length=1, max_length=200)
    enterprise_number: str | None = Field(None, min_length=10, max_length=16)

    @field_validator("enterprise_number")
    @classmethod
    def valid_number(cls, value: str | None) -> str | None:
        if value is not None and not vat.is_valid(value):
            raise ValueError("not a valid Belgian enterprise number")
        return None if value is None else vat.compact(value)


def purchase_body(member_id: str, purchase: Purchase) -> dict[str, Any]:
    return {
        "purchase_id": purchase.purchase_id,
        "member_id": member_id,
        "category": purchase.category,
        "quantity": purchase.quantity,
        "years": list(purchase.years),
        "amount_cents": purchase.amount_cents,
        "minimum_upfront_cents": purchase.minimum_upfront_cents,
        "paid_cents": purchase.paid_cents,
        "status": purchase.status,
        "structured_reference": purchase.structured_reference,
        "opened_on": purchase.opened_on.isoformat(),
        "transferred": purchase.transferred,
        "years_transferred": sorted(purchase.released),
    }


def transfer_body(transfer: ShareTransferred) -> dict[str, Any]:
    return {
        "transfer_id": transfer.transfer_id,
        "from_member_id": transfer.member_id,
        "to_member_id": transfer.to_member_id,
        "category": transfer.category,
        "quantity": transfer.quantity,
        "years_released": list(transfer.years),
        "paid_in_cents": transfer.paid_in_cents,
        "transferred_on": transfer.transferred_on.isoformat(),
    }


def standing_body(state: Shareholder) -> dict[str, Any]:
    held = {"A": state.held("A"), "B": state.held("B")}
    return {
        "member_id": state.member_id,
        "name": state.holder.name if state.holder else None,
        "shares": held,
        "categories": sorted(c for c, count in held.items() if count),
        "years_covered": sorted(state.years_covered) if state.redeemed is None else [],
        "paid_in_cents": state.paid_in_cents,
        "purchases": [purchase_body(state.member_id, p) for p in state.purchases.values()],
        "received": [
            {
                "transfer_id": r.transfer_id,
                "from_member_id": r.from_member_id,
                "category": r.category,
                "quantity": r.quantity,
                "years": list(r.years),
                "paid_in_cents": r.paid_cents,
                "received_on": r.received_on.isoformat(),
            }
            for r in state.received.values()
        ],
        "given": [transfer_body(t) for t in state.given],
        "resigned_on": state.resigned.resigned_on.isoformat() if state.resigned else None,
        "redemption_approved_cents": state.approved.amount_cents if state.approved else None,
        "redeemed_on": state.redeemed.redeemed_on.isoformat() if state.redeemed else None,
    }


# --- assemblies and the board ----------------------------------------------------------------

ResolutionId = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")


class ResolutionIn(_In):
    resolution_id: str = ResolutionId
    title: str = Text
    type: Literal["ordinary", "statutes", "purpose"] = "ordinary"


class ElectionIn(_In):
    """`seats` left out: an ordinary assembly fills the seats its renewal of the board ends
    and those vacant, each for the term that keeps the renewal staggered."""

    election_id: str = ResolutionId
    seats: int | None = Field(None, gt=0, le=100, strict=True)
    candidates: list[str] = Field(min_length=1, max_length=500)


class AssemblyIn(_In):
    title: str = Text
    kind: Literal["ordinary", "extraordinary"] = "ordinary"
    held_on: IsoDate
    resolutions: list[ResolutionIn] = Field(default_factory=list, max_length=100)
    election: ElectionIn | None = None


class VoteIn(_In):
    """One ballot: a choice per resolution (missing ones count as abstentions) and the
    candidates chosen. `proxy_id`: the shareholder casting it on the member's behalf."""

    member_id: str = Field(min_length=1, max_length=64)
    proxy_id: str | None = Field(None, min_length=1, max_length=64)
    channel: Literal["in_person", "remote"]
    choices: dict[str, Literal["for", "against", "abstain"]] = Field(
        default_factory=dict, max_length=100
    )
    candidates: list[str] = Field(default_factory=list, max_length=100)


class DirectorIn(_In):
    member_id: str = Field(min_length=1, max_length=64)
