"""A transfer of shares between two holders: one decision over both shareholder streams,
appended atomically (`handle_many`), so shares never leave one holder without reaching the
other.

Rules (statutes, issue 12):
- shares go only to a shareholder (holding a share, not leaving) or to a person the board
  admitted (`board_admitted_on`, not after the transfer); never to oneself;
- only paid-up shares are transferred (a pending purchase is the subscriber's debt), each with
  the price paid in on it, which is what the receiver may one day be repaid at most;
- a category A share is a worker-user's: it goes to a person, never a legal person, and the
  giver keeps the share covering the current calendar year. The giver gives the shares
  covering its latest years first (future years, then past ones); the shares received cover,
  for the receiver, the earliest years from the transfer's year on that it does not cover yet
  (the rule of a purchase);
- category B shares are taken from the giver's lots in the order it got them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from services.governance.domain.holdings import Holder, Shareholder
from services.governance.domain.shares import MemberHasLeft, NoShares, years_to_cover
from shared.decider import Conflict, DomainError
from shared.events.base import DomainEvent
from shared.events.governance import (
    Category,
    ShareholderAdmitted,
    ShareTransferReceived,
    ShareTransferred,
    TransferLot,
)


class TransferToSelf(DomainError):
    code = "share-transfer-to-self"


class ReceiverNotAdmitted(DomainError):
    code = "share-transfer-receiver-not-admitted"


class ReceiverHasLeft(Conflict):
    code = "share-transfer-receiver-has-left"


class SharesNotTransferable(DomainError):
    code = "shares-not-transferable"


@dataclass(frozen=True)
class TransferShares:
    transfer_id: str
    category: Category
    quantity: int
    today: dt.date
    receiver: Holder | None  # how the register names a receiver who is not a holder yet
    board_admitted_on: dt.date | None = None


@dataclass(frozen=True)
class _Share:
    """One share a transfer may take: its lot, the year it covers (A), its paid-in price."""

    lot_id: str
    year: int | None
    paid_in_cents: int


def _transferable(command: TransferShares, giver: Shareholder) -> list[_Share]:
    shares: list[_Share] = []
    for p in giver.purchases.values():
        if p.category != command.category or not p.paid_up or p.held == 0:
            continue
        price = p.amount_cents // p.quantity
        if p.category == "A":
            shares.extend(_Share(p.purchase_id, y, price) for y in p.held_years)
        else:
            shares.extend(_Share(p.purchase_id, None, price) for _ in range(p.held))
    for r in giver.received.values():
        if r.category != command.category or r.quantity == 0:
            continue
        price = r.paid_cents // r.quantity
        if r.category == "A":
            shares.extend(_Share(r.transfer_id, y, price) for y in r.years)
        else:
            shares.extend(_Share(r.transfer_id, None, price) for _ in range(r.quantity))
    if command.category == "A":
        current = command.today.year
        shares = [s for s in shares if s.year != current]
        shares.sort(key=lambda s: -(s.year or 0))  # stable: the lot order among equal years
    return shares


def _lots(taken: list[_Share]) -> tuple[TransferLot, ...]:
    grouped: dict[str, list[_Share]] = {}
    for share in taken:
        grouped.setdefault(share.lot_id, []).append(share)
    return tuple(
        TransferLot(
            lot_id=lot_id, quantity=len(shares),
            years=tuple(sorted(s.year for s in shares if s.year is not None)),
            paid_in_cents=sum(s.paid_in_cents for s in shares),
        )
        for lot_id, shares in grouped.items()
    )  # fmt: skip


def _check_receiver(command: TransferShares, giver: Shareholder, receiver: Shareholder) -> Holder:
    if receiver.member_id == giver.member_id:
        raise TransferToSelf("shares go to another holder", field="to_member_id")
    if receiver.resigned is not None:
        raise ReceiverHasLeft(f"member {receiver.member_id} resigned on "
                              f"{receiver.resigned.resigned_on}")  # fmt: skip
    admitted = command.board_admitted_on
    if admitted is not None and admitted > command.today:
        raise ReceiverNotAdmitted("the board admits a receiver before the transfer",
                                  field="board_admitted_on")  # fmt: skip
    if receiver.quantity == 0 and admitted is None:
        raise ReceiverNotAdmitted(
            "shares go to a shareholder or to a person the board admitted",
            field="to_member_id",
        )
    holder = receiver.holder or command.receiver
    if holder is None:
        raise ReceiverNotAdmitted("the receiver is neither a holder nor a member",
                                  field="to_member_id")  # fmt: skip
    if command.category == "A" and holder.kind != "person":
        raise SharesNotTransferable("a category A share is a worker-user's, held by a person",
                                    field="category")  # fmt: skip
    return holder


def transfer(
    command: TransferShares, giver: Shareholder, receiver: Shareholder
) -> tuple[list[DomainEvent], list[DomainEvent]]:
    """The events of the giver's stream and of the receiver's."""
    if command.transfer_id in giver.transfer_ids:
        return [], []
    if giver.resigned is not None:
        raise MemberHasLeft(f"member {giver.member_id} resigned on {giver.resigned.resigned_on}")
    if giver.quantity == 0:
        raise NoShares(f"member {giver.member_id} holds no shares")
    holder = _check_receiver(command, giver, receiver)
    shares = _transferable(command, giver)
    if command.quantity > len(shares):
        kept = f"; the share covering {command.today.year} stays" if command.category == "A" else ""
        raise SharesNotTransferable(
            f"{len(shares)} category {command.category} shares can be transferred (paid up"
            f" only{kept})",
            field="quantity",
        )
    taken = shares[: command.quantity]
    lots = _lots(taken)
    paid_in = sum(s.paid_in_cents for s in taken)
    released = tuple(sorted((s.year for s in taken if s.year is not None), reverse=True))
    given: list[DomainEvent] = [
        ShareTransferred(
            transfer_id=command.transfer_id, member_id=giver.member_id,
            to_member_id=receiver.member_id, category=command.category,
            quantity=command.quantity, years=released, lots=lots, paid_in_cents=paid_in,
            transferred_on=command.today,
        )
    ]  # fmt: skip
    received: list[DomainEvent] = []
    if receiver.holder is None:
        received.append(
            ShareholderAdmitted(
                member_id=receiver.member_id, kind=holder.kind, name=holder.name,
                domicile=holder.domicile, enterprise_number=holder.enterprise_number,
                admitted_on=command.today,
            )
        )  # fmt: skip
    covered: tuple[int, ...] = ()
    if command.category == "A":
        covered = years_to_cover(receiver.years_covered, command.today.year, command.quantity)
    received.append(
        ShareTransferReceived(
            transfer_id=command.transfer_id, member_id=receiver.member_id,
            from_member_id=giver.member_id, category=command.category,
            quantity=command.quantity, years=covered, paid_in_cents=paid_in,
            received_on=command.today, board_admitted_on=command.board_admitted_on,
        )
    )  # fmt: skip
    return given, received
