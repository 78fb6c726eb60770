"""What a shareholder holds (stream `shareholder-<member_id>`), folded from its events: the
holder as the register names it, its purchases and what they paid, the shares received from
other holders, what it gave away, leaving.

A lot is a purchase or the shares one transfer brought in. A transfer takes shares out of the
giver's lots (named in ShareTransferred) and makes a lot of the receiver's; every total below
counts what a holder still holds.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from shared.events.base import DomainEvent
from shared.events.governance import (
    Category,
    HolderDetailsCorrected,
    HolderKind,
    MemberResigned,
    ShareBought,
    ShareholderAdmitted,
    SharePaymentReceived,
    SharePurchaseOpened,
    ShareRedeemed,
    ShareRedemptionApproved,
    SharesPaidUp,
    ShareTransferReceived,
    ShareTransferred,
)


@dataclass(frozen=True)
class Holder:
    kind: HolderKind
    name: str
    domicile: str
    enterprise_number: str | None


@dataclass(frozen=True)
class Purchase:
    purchase_id: str
    category: Category
    quantity: int
    amount_cents: int
    minimum_upfront_cents: int
    structured_reference: str
    opened_on: dt.date
    years: tuple[int, ...] = ()
    paid_cents: int = 0
    payment_ids: frozenset[str] = frozenset()
    paid_up: bool = False
    transferred: int = 0  # shares given to other holders
    released: tuple[int, ...] = ()  # category A: the years those shares covered

    @property
    def status(self) -> str:
        if self.paid_up:
            return "paid"
        return "partly_paid" if self.paid_cents >= self.minimum_upfront_cents else "pending"

    @property
    def held(self) -> int:
        return self.quantity - self.transferred

    @property
    def held_years(self) -> tuple[int, ...]:
        return tuple(y for y in self.years if y not in self.released)

    @property
    def held_paid_cents(self) -> int:
        """Paid in on the shares still held (only paid-up shares are ever given)."""
        return self.paid_cents - self.transferred * (self.amount_cents // self.quantity)


@dataclass(frozen=True)
class Received:
    """Shares received by a transfer, paid up: each carries the price paid in on it."""

    transfer_id: str
    from_member_id: str
    category: Category
    quantity: int
    years: tuple[int, ...]
    paid_cents: int
    received_on: dt.date


@dataclass(frozen=True)
class Shareholder:
    member_id: str
    holder: Holder | None = None
    purchases: dict[str, Purchase] = field(default_factory=dict)
    received: dict[str, Received] = field(default_factory=dict)
    given: tuple[ShareTransferred, ...] = ()
    corrections: frozenset[str] = frozenset()
    resigned: MemberResigned | None = None
    approved: ShareRedemptionApproved | None = None
    redeemed: ShareRedeemed | None = None

    @property
    def years_covered(self) -> frozenset[int]:
        bought = (y for p in self.purchases.values() for y in p.held_years)
        return frozenset((*bought, *(y for r in self.received.values() for y in r.years)))

    def held(self, category: Category) -> int:
        if self.redeemed:
            return 0
        bought = sum(p.held for p in self.purchases.values() if p.category == category)
        return bought + sum(r.quantity for r in self.received.values() if r.category == category)

    @property
    def quantity(self) -> int:
        return self.held("A") + self.held("B")

    @property
    def paid_in_cents(self) -> int:
        bought = sum(p.held_paid_cents for p in self.purchases.values())
        return bought + sum(r.paid_cents for r in self.received.values())

    @property
    def transfer_ids(self) -> frozenset[str]:
        return frozenset((*self.received, *(t.transfer_id for t in self.given)))

    def redemption_cents(self, cap_per_share: int) -> int:
        """Per lot, what was paid in on the shares held, capped at `cap_per_share` each."""
        bought = (min(p.held_paid_cents, cap_per_share * p.held) for p in self.purchases.values())
        received = (min(r.paid_cents, cap_per_share * r.quantity) for r in self.received.values())
        return sum(bought) + sum(received)


def _given(state: Shareholder, event: ShareTransferred) -> Shareholder:
    replace = dataclasses.replace
    purchases, received = dict(state.purchases), dict(state.received)
    for lot in event.lots:
        if lot.lot_id in purchases:
            found = purchases[lot.lot_id]
            purchases[lot.lot_id] = replace(
                found, transferred=found.transferred + lot.quantity,
                released=(*found.released, *lot.years),
            )  # fmt: skip
        elif lot.lot_id in received:
            had = received[lot.lot_id]
            received[lot.lot_id] = replace(
                had, quantity=had.quantity - lot.quantity,
                years=tuple(y for y in had.years if y not in lot.years),
                paid_cents=had.paid_cents - lot.paid_in_cents,
            )  # fmt: skip
    return replace(state, purchases=purchases, received=received, given=(*state.given, event))


def _purchase(state: Shareholder, purchase_id: str, **changes: Any) -> Shareholder:
    found = dataclasses.replace(state.purchases[purchase_id], **changes)
    return dataclasses.replace(state, purchases={**state.purchases, purchase_id: found})


def evolve(state: Shareholder, event: DomainEvent) -> Shareholder:
    replace = dataclasses.replace
    match event:
        case ShareholderAdmitted():
            holder = Holder(event.kind, event.name, event.domicile, event.enterprise_number)
            return replace(state, holder=holder)
        case HolderDetailsCorrected() if state.holder is not None:
            holder = replace(
                state.holder, name=event.name, domicile=event.domicile,
                enterprise_number=event.enterprise_number,
            )  # fmt: skip
            return replace(
                state, holder=holder, corrections=state.corrections | {event.correction_id}
            )
        case SharePurchaseOpened():
            purchase = Purchase(
                event.purchase_id, event.category, event.quantity, event.amount_cents,
                event.minimum_upfront_cents, event.structured_reference, event.opened_on,
            )  # fmt: skip
            return replace(state, purchases={**state.purchases, event.purchase_id: purchase})
        case ShareBought() if event.purchase_id in state.purchases and event.category == "A":
            found = state.purchases[event.purchase_id]
            return _purchase(state, event.purchase_id, years=(*found.years, event.year))
        case SharePaymentReceived():
            found = state.purchases[event.purchase_id]
            return _purchase(
                state, event.purchase_id, paid_cents=found.paid_cents + event.amount_cents,
                payment_ids=found.payment_ids | {event.payment_id},
            )  # fmt: skip
        case SharesPaidUp():
            return _purchase(state, event.purchase_id, paid_up=True)
        case ShareTransferred():
            return _given(state, event)
        case ShareTransferReceived():
            lot = Received(
                event.transfer_id, event.from_member_id, event.category, event.quantity,
                event.years, event.paid_in_cents, event.received_on,
            )  # fmt: skip
            return replace(state, received={**state.received, event.transfer_id: lot})
        case MemberResigned():
            return replace(state, resigned=event)
        case ShareRedemptionApproved():
            return replace(state, approved=event)
        case ShareRedeemed():
            return replace(state, redeemed=event)
    return state
