"""Command handling for shares: load streams → decide → append.

A purchase is appended with the number it takes in `sharenumbers-<year>` (handle_many), so
its structured reference is unique and gapless; the holder's name and domicile are read from
the contracts member stream when the request names no legal person. A transfer appends to the
giver's and the receiver's streams at once (handle_many). A correction of a member's details
in contracts is followed onto the holder (`follow_member_details`, from the reaction).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from services.governance.domain.members import MemberFacts, member_reader
from services.governance.domain.references import (
    TakeNumber,
    parse_share_reference,
    series_decider,
    share_reference,
)
from services.governance.domain.shares import (
    ApproveRedemption,
    BuyShares,
    CorrectHolder,
    Holder,
    RecordSharePayment,
    RedeemShares,
    Resign,
    ShareCommand,
    Shareholder,
    shareholder_decider,
)
from services.governance.domain.transfers import TransferShares, transfer
from services.governance.ids import (
    creation_id,
    member_stream,
    share_numbers_stream,
    shareholder_stream,
)
from shared.clock import Clock
from shared.decider import DomainError
from shared.events.base import Context, DomainEvent, Envelope
from shared.events.contracts import MemberDetailsCorrected
from shared.events.governance import Category, ShareholderAdmitted, SharePurchaseNumbered
from shared.eventstore.codec import decode
from shared.eventstore.handling import Handled, Loaded, Part, handle, handle_many, load
from shared.eventstore.port import EventStore
from shared.parameters_governance import governance_on


class HolderNotFound(DomainError):
    code = "member-not-found"
    status = 404


@dataclass(frozen=True)
class PurchaseRequest:
    member_id: str
    category: Category
    quantity: int | None
    year: int | None
    yearly_gross_salary_cents: int | None = None
    legal_person: Holder | None = None


@dataclass(frozen=True)
class PurchaseOutcome:
    purchase_id: str
    handled: Handled[Shareholder]


@dataclass(frozen=True)
class TransferRequest:
    from_member_id: str
    to_member_id: str
    category: Category
    quantity: int
    board_admitted_on: dt.date | None = None
    legal_person: Holder | None = None  # a receiver that is a legal person, not yet a holder


@dataclass(frozen=True)
class TransferOutcome:
    transfer_id: str
    giver: Handled[Shareholder]
    receiver: Handled[Shareholder]


class ShareHandlers:
    def __init__(self, store: EventStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def shareholder(self, member_id: str) -> Loaded[Shareholder]:
        return load(self.store, shareholder_stream(member_id), shareholder_decider(member_id))

    def buy(self, request: PurchaseRequest, context: Context) -> PurchaseOutcome:
        purchase_id = creation_id("S", context)
        today = self.clock.today()
        rules = governance_on(today)
        member_id = request.member_id

        def decide(loaded: Sequence[Loaded[Any]]) -> list[list[DomainEvent]]:
            shareholder, series, member = (part.state for part in loaded)
            if purchase_id in shareholder.purchases:
                return [[], [], []]
            holder = request.legal_person
            if holder is None:
                if not isinstance(member, MemberFacts):
                    raise HolderNotFound(f"no member {member_id}", field="member_id")
                holder = Holder("person", member.name, member.domicile, None)
            sequence = series.last + 1
            command = BuyShares(
                purchase_id=purchase_id, holder=holder, category=request.category,
                quantity=request.quantity, year=request.year or today.year, today=today,
                unit_price_cents=rules.share_price_cents,
                structured_reference=share_reference(today.year, sequence),
                yearly_gross_salary_cents=request.yearly_gross_salary_cents,
                staff_commitment=rules.staff_share_commitment,
                staff_minimum_upfront=rules.staff_minimum_upfront,
            )  # fmt: skip
            events = list(shareholder_decider(member_id).decide(command, shareholder))
            number = series_decider(today.year).decide(TakeNumber(purchase_id, member_id), series)
            return [events, list(number), []]

        handled, _, _ = handle_many(
            self.store,
            [
                Part(shareholder_stream(member_id), shareholder_decider(member_id)),
                Part(share_numbers_stream(today.year), series_decider(today.year)),
                Part(member_stream(member_id), member_reader),
            ],
            decide,
            context,
        )
        return PurchaseOutcome(purchase_id, handled)

    def purchase_by_reference(self, reference: str) -> SharePurchaseNumbered | None:
        """The purchase a structured reference was derived from, read from its series."""
        parsed = parse_share_reference(reference)
        if parsed is None:
            return None
        year, sequence = parsed
        found = self.store.read_stream(share_numbers_stream(year), from_version=sequence - 1)
        if not found:
            return None
        numbered = decode(found[0]).event
        if not isinstance(numbered, SharePurchaseNumbered) or numbered.sequence != sequence:
            return None
        return numbered

    def on_shareholder(
        self, member_id: str, command: ShareCommand, context: Context
    ) -> Handled[Shareholder]:
        stream = shareholder_stream(member_id)
        return handle(self.store, stream, shareholder_decider(member_id), command, context)

    def record_payment(
        self, member_id: str, purchase_id: str, amount_cents: int, received_on: dt.date,
        context: Context, *, payment_id: str | None = None, source: str = "ops",
    ) -> Handled[Shareholder]:  # fmt: skip
        command = RecordSharePayment(
            purchase_id, payment_id or creation_id("SP", context), amount_cents, received_on,
            source,
        )  # fmt: skip
        return self.on_shareholder(member_id, command, context)

    def resign(self, member_id: str, reason: str, context: Context) -> Handled[Shareholder]:
        today = self.clock.today()
        window = governance_on(today).resignation_window_months
        return self.on_shareholder(member_id, Resign(today, reason, window), context)

    def approve_redemption(
        self, member_id: str, net_asset_value_per_share_cents: int, context: Context
    ) -> Handled[Shareholder]:
        command = ApproveRedemption(self.clock.today(), net_asset_value_per_share_cents)
        return self.on_shareholder(member_id, command, context)

    def redeem(self, member_id: str, amount_cents: int, context: Context) -> Handled[Shareholder]:
        command = RedeemShares(self.clock.today(), amount_cents)
        return self.on_shareholder(member_id, command, context)

    def transfer(self, request: TransferRequest, context: Context) -> TransferOutcome:
        transfer_id = creation_id("T", context)
        today = self.clock.today()
        giver_id, receiver_id = request.from_member_id, request.to_member_id

        def decide(loaded: Sequence[Loaded[Any]]) -> list[list[DomainEvent]]:
            giver, receiver, member = (part.state for part in loaded)
            holder = request.legal_person
            if holder is None and isinstance(member, MemberFacts):
                holder = Holder("person", member.name, member.domicile, None)
            command = TransferShares(
                transfer_id, request.category, request.quantity, today, holder,
                request.board_admitted_on,
            )  # fmt: skip
            given, received = transfer(command, giver, receiver)
            return [given, received, []]

        giver, receiver, _ = handle_many(
            self.store,
            [
                Part(shareholder_stream(giver_id), shareholder_decider(giver_id)),
                Part(shareholder_stream(receiver_id), shareholder_decider(receiver_id)),
                Part(member_stream(receiver_id), member_reader),
            ],
            decide,
            context,
        )
        return TransferOutcome(transfer_id, giver, receiver)

    def correct_holder(
        self, member_id: str, name: str | None, domicile: str | None,
        enterprise_number: str | None, context: Context,
    ) -> Handled[Shareholder]:  # fmt: skip
        command = CorrectHolder(
            creation_id("HC", context), self.clock.today(), "ops", name, domicile,
            enterprise_number,
        )  # fmt: skip
        return self.on_shareholder(member_id, command, context)

    def follow_member_details(self, envelope: Envelope, context: Context) -> bool:
        """A member's corrected name or address, onto the register from the day contracts
        recorded it, if the member holds shares as a person. The member's facts are folded up
        to that correction (a later one is followed on its own)."""
        corrected = envelope.event
        if not isinstance(corrected, MemberDetailsCorrected):
            return False
        if (corrected.first_name, corrected.last_name, corrected.address) == (None, None, None):
            return False
        member_id = corrected.member_id
        loaded = self.shareholder(member_id)
        holder = loaded.state.holder
        if holder is None or holder.kind != "person":
            return False
        admitted = next(e for e in loaded.envelopes if isinstance(e.event, ShareholderAdmitted))
        if envelope.position < admitted.position:
            return False  # the admission read the member's facts with this correction in them
        upto = [
            decode(recorded).event
            for recorded in self.store.read_stream(member_stream(member_id))
            if recorded.version <= envelope.version
        ]
        member = member_reader.fold(upto)
        if not isinstance(member, MemberFacts):
            return False
        command = CorrectHolder(
            str(envelope.id), corrected.corrected_on, "member-details", member.name,
            member.domicile,
        )  # fmt: skip
        return bool(self.on_shareholder(member_id, command, context).events)
