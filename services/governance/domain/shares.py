"""The shareholder aggregate (stream `shareholder-<member_id>`): purchases, payments, the
holder's corrections, leaving. Its state and fold are in `holdings`, transfers between two
holders in `transfers`.

Rules (DOMAIN.md §4, issue 12):
- a share costs the dated share price; category A covers calendar years of use: the n shares
  of a purchase cover the n earliest years from the purchase's `year` on that the member's
  earlier A shares do not cover yet (3 shares bought for 2026 cover 2026, 2027, 2028; one
  more bought for 2026 then covers 2029);
- a staff member (category B with a yearly gross salary) commits to the dated share of that
  salary (1 %), rounded down to whole shares; at least the dated quarter is paid up front;
- a purchase is pending until its minimum up front is paid (A: all of it), paid up when all is;
- resigning is possible in the first months of the financial year (the calendar year), death
  at any time; the member leaves with all its shares, repaid after the board approved at most
  what each lot (purchase or shares received) paid in, capped at the net asset value per
  share. No dividend, ever;
- a correction of the holder's name or domicile holds from the day it is recorded: the
  register as of an earlier day keeps what it said that day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import assert_never

from services.governance.domain.holdings import Holder, Purchase, Shareholder, evolve
from shared.decider import Conflict, Decider, DomainError
from shared.events.base import DomainEvent
from shared.events.governance import (
    Category,
    HolderDetailsCorrected,
    MemberResigned,
    ShareBought,
    ShareholderAdmitted,
    SharePaymentReceived,
    SharePurchaseOpened,
    ShareRedeemed,
    ShareRedemptionApproved,
    SharesPaidUp,
)

__all__ = ["Holder", "Purchase", "Shareholder", "evolve"]  # the state, from its own module


class StaffCommitmentNotMet(DomainError):
    code = "staff-commitment-not-met"


class QuantityRequired(DomainError):
    code = "quantity-required"


class MemberHasLeft(Conflict):
    code = "member-has-left"


class PurchaseNotFound(DomainError):
    code = "share-purchase-not-found"
    status = 404


class ShareholderNotFound(DomainError):
    code = "shareholder-not-found"
    status = 404


class Overpayment(DomainError):
    code = "share-overpayment"


class OutsideResignationWindow(DomainError):
    code = "outside-resignation-window"


class NoShares(DomainError):
    code = "no-shares"


class RedemptionNotApprovable(Conflict):
    code = "redemption-not-approvable"


class RedemptionAmountMismatch(DomainError):
    code = "redemption-amount-mismatch"


class NotALegalPerson(DomainError):
    code = "not-a-legal-person"


# --- commands -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BuyShares:
    purchase_id: str
    holder: Holder
    category: Category
    quantity: int | None
    year: int
    today: dt.date
    unit_price_cents: int
    structured_reference: str
    yearly_gross_salary_cents: int | None = None
    staff_commitment: Decimal = Decimal("0.01")
    staff_minimum_upfront: Decimal = Decimal("0.25")


@dataclass(frozen=True)
class RecordSharePayment:
    purchase_id: str
    payment_id: str
    amount_cents: int
    received_on: dt.date
    source: str  # "ops" | "bank-statement"


@dataclass(frozen=True)
class Resign:
    today: dt.date
    reason: str  # "resignation" | "death"
    window_months: int


@dataclass(frozen=True)
class ApproveRedemption:
    today: dt.date
    net_asset_value_per_share_cents: int


@dataclass(frozen=True)
class RedeemShares:
    today: dt.date
    amount_cents: int  # what was repaid: exactly the approved amount


@dataclass(frozen=True)
class CorrectHolder:
    """The holder's name and domicile from `today` on. None keeps a field as it is;
    `correction_id` makes a correction followed twice (a reaction's replay) count once."""

    correction_id: str
    today: dt.date
    source: str  # "member-details" | "ops"
    name: str | None = None
    domicile: str | None = None
    enterprise_number: str | None = None


ShareCommand = (
    BuyShares | RecordSharePayment | Resign | ApproveRedemption | RedeemShares | CorrectHolder
)


def staff_commitment_shares(salary_cents: int, rate: Decimal, price_cents: int) -> int:
    """1 % of the yearly gross, in whole shares rounded down (€31,000 → €310 → 10 shares)."""
    committed = (Decimal(salary_cents) * rate / price_cents).to_integral_value(ROUND_FLOOR)
    return int(committed)


def years_to_cover(covered: frozenset[int], first_year: int, quantity: int) -> tuple[int, ...]:
    years: list[int] = []
    year = first_year
    while len(years) < quantity:
        if year not in covered:
            years.append(year)
        year += 1
    return tuple(years)


def _quantity(command: BuyShares) -> int:
    salary = command.yearly_gross_salary_cents
    if salary is None or command.category == "A":
        if command.quantity is None:
            raise QuantityRequired("say how many shares", field="quantity")
        return command.quantity
    committed = staff_commitment_shares(salary, command.staff_commitment, command.unit_price_cents)
    if command.quantity is None:
        if committed == 0:
            raise QuantityRequired("the 1 % commitment is below one share", field="quantity")
        return committed
    if command.quantity < committed:
        raise StaffCommitmentNotMet(
            f"staff commit to {committed} shares at least (a share of the yearly gross)",
            field="quantity",
        )
    return command.quantity


def buy(command: BuyShares, state: Shareholder) -> list[DomainEvent]:
    if command.purchase_id in state.purchases:
        return []
    if state.resigned is not None:
        raise MemberHasLeft(f"member {state.member_id} resigned on {state.resigned.resigned_on}")
    quantity = _quantity(command)
    amount = quantity * command.unit_price_cents
    upfront = amount
    if command.category == "B":
        quarter = Decimal(amount) * command.staff_minimum_upfront
        upfront = int(quarter.to_integral_value(ROUND_CEILING))
    events: list[DomainEvent] = []
    if state.holder is None:
        holder = command.holder
        events.append(
            ShareholderAdmitted(
                member_id=state.member_id, kind=holder.kind, name=holder.name,
                domicile=holder.domicile, enterprise_number=holder.enterprise_number,
                admitted_on=command.today,
            )
        )  # fmt: skip
    events.append(
        SharePurchaseOpened(
            purchase_id=command.purchase_id, member_id=state.member_id,
            category=command.category, quantity=quantity, amount_cents=amount,
            minimum_upfront_cents=upfront, structured_reference=command.structured_reference,
            opened_on=command.today, yearly_gross_salary_cents=command.yearly_gross_salary_cents,
        )
    )  # fmt: skip
    if command.category == "A":
        years = years_to_cover(state.years_covered, command.year, quantity)
        parts = [(year, 1) for year in years]
    else:
        parts = [(command.year, quantity)]
    events.extend(
        ShareBought(
            purchase_id=command.purchase_id, member_id=state.member_id,
            category=command.category, quantity=count, year=year,
            unit_price_cents=command.unit_price_cents, bought_on=command.today,
            structured_reference=command.structured_reference,
        )
        for year, count in parts
    )  # fmt: skip
    return events


def record_payment(command: RecordSharePayment, state: Shareholder) -> list[DomainEvent]:
    purchase = state.purchases.get(command.purchase_id)
    if purchase is None:
        raise PurchaseNotFound(f"no share purchase {command.purchase_id}")
    if command.payment_id in purchase.payment_ids:
        return []  # the same payment again (a retried request, a statement imported twice)
    outstanding = purchase.amount_cents - purchase.paid_cents
    if command.amount_cents > outstanding:
        raise Overpayment(
            f"{command.amount_cents} cents paid, {outstanding} outstanding", field="amount_cents"
        )
    events: list[DomainEvent] = [
        SharePaymentReceived(
            purchase_id=purchase.purchase_id, member_id=state.member_id,
            payment_id=command.payment_id, amount_cents=command.amount_cents,
            received_on=command.received_on,
            source="bank-statement" if command.source == "bank-statement" else "ops",
        )
    ]  # fmt: skip
    if command.amount_cents == outstanding:
        events.append(
            SharesPaidUp(
                purchase_id=purchase.purchase_id, member_id=state.member_id,
                paid_on=command.received_on,
            )
        )  # fmt: skip
    return events


def resign(command: Resign, state: Shareholder) -> list[DomainEvent]:
    if state.resigned is not None:
        return []
    if state.quantity == 0:
        raise NoShares(f"member {state.member_id} holds no shares")
    death = command.reason == "death"
    if not death and command.today.month > command.window_months:
        raise OutsideResignationWindow(
            f"a resignation is possible in the first {command.window_months} months of the"
            " financial year only"
        )
    reason = "death" if death else "resignation"
    return [MemberResigned(member_id=state.member_id, resigned_on=command.today, reason=reason)]


def approve(command: ApproveRedemption, state: Shareholder) -> list[DomainEvent]:
    if state.resigned is None or state.approved is not None:
        raise RedemptionNotApprovable("only a resignation not yet approved can be approved")
    cap = command.net_asset_value_per_share_cents
    amount = state.redemption_cents(cap)
    return [
        ShareRedemptionApproved(
            member_id=state.member_id, quantity=state.quantity, paid_in_cents=state.paid_in_cents,
            net_asset_value_per_share_cents=cap, amount_cents=amount, approved_on=command.today,
        )
    ]  # fmt: skip


def redeem(command: RedeemShares, state: Shareholder) -> list[DomainEvent]:
    if state.redeemed is not None:
        return []
    if state.approved is None:
        raise RedemptionNotApprovable("the board has not approved the repayment yet")
    approved = state.approved
    if command.amount_cents != approved.amount_cents:
        raise RedemptionAmountMismatch(
            f"the board approved {approved.amount_cents} cents", field="amount_cents"
        )
    return [
        ShareRedeemed(
            member_id=state.member_id, quantity=approved.quantity,
            amount_cents=approved.amount_cents, redeemed_on=command.today,
        )
    ]  # fmt: skip


def correct(command: CorrectHolder, state: Shareholder) -> list[DomainEvent]:
    holder = state.holder
    if holder is None:
        raise ShareholderNotFound(f"no shareholder {state.member_id}")
    if command.correction_id in state.corrections:
        return []
    if command.enterprise_number is not None and holder.kind != "legal":
        raise NotALegalPerson(
            "only a legal person has an enterprise number", field="enterprise_number"
        )
    name = command.name or holder.name
    domicile = command.domicile or holder.domicile
    number = command.enterprise_number or holder.enterprise_number
    if (name, domicile, number) == (holder.name, holder.domicile, holder.enterprise_number):
        return []
    return [
        HolderDetailsCorrected(
            member_id=state.member_id, correction_id=command.correction_id, name=name,
            domicile=domicile, enterprise_number=number, corrected_on=command.today,
            source="member-details" if command.source == "member-details" else "ops",
        )
    ]  # fmt: skip


def decide(command: ShareCommand, state: Shareholder) -> Sequence[DomainEvent]:
    match command:
        case BuyShares():
            return buy(command, state)
        case RecordSharePayment():
            return record_payment(command, state)
        case Resign():
            return resign(command, state)
        case ApproveRedemption():
            return approve(command, state)
        case RedeemShares():
            return redeem(command, state)
        case CorrectHolder():
            return correct(command, state)
        case _:
            assert_never(command)


def shareholder_decider(member_id: str) -> Decider[ShareCommand, Shareholder]:
    return Decider(lambda: Shareholder(member_id), decide, evolve)
