"""Events of the governance context: shares, leaving, general assemblies, board elections.

Streams:
- `shareholder-<member_id>`: ShareholderAdmitted once, then every purchase (one ShareBought per
  calendar year a category A purchase covers, one per category B purchase), its payments,
  the holder's corrected name and domicile (HolderDetailsCorrected), the shares given
  (ShareTransferred) and received (ShareTransferReceived, appended atomically with the giver's
  ShareTransferred), the resignation and the redemption;
- `sharenumbers-<year>`: one SharePurchaseNumbered per purchase, gapless: the sequence is the
  base of the purchase's structured reference, so a bank line resolves to it by reading one
  event (no lookup table beside the log);
- `assembly-<assembly_id>`: AssemblyConvened, who voted (VoteCast: never what), then at the
  close one BallotsOpened holding every ballot, canonically sorted, and the results;
- `board-coop`: mandates (BoardMemberElected, BoardMandateEnded when a renewal ends one before
  its term) and the managing director's appointments.

Money is integer cents; dates are ISO dates; ids are strings.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.events.base import DomainEvent, event
from shared.events.personal import OF_MEMBER

Category = Literal["A", "B"]
HolderKind = Literal["person", "legal"]
Choice = Literal["for", "against", "abstain"]
ResolutionType = Literal["ordinary", "statutes", "purpose"]
Gender = Literal["F", "M", "X"]
Quota = Literal["women", "men", "category_a"]


class _Part(BaseModel):
    """A value inside an event (not an event itself)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


@event
class ShareBought(DomainEvent):
    """A member bought shares. Category A (worker-users) covers `year` for the Contract tool.

    A category A purchase of n shares appends n of these with the same `purchase_id`, one per
    calendar year it covers (quantity 1 each); category B appends one with the whole quantity.
    The share counts from here on (subscription), paid or not: see SharesPaidUp.
    """

    purchase_id: str
    member_id: str
    category: Literal["A", "B"]
    quantity: int = Field(gt=0)
    year: int
    unit_price_cents: int
    bought_on: dt.date
    structured_reference: str | None = None


@event
class ShareholderAdmitted(DomainEvent):
    """The holder as the register names it (legal persons: name, seat, enterprise number)."""

    member_id: str
    kind: HolderKind
    name: Annotated[str, OF_MEMBER]
    domicile: Annotated[str, OF_MEMBER]
    enterprise_number: str | None
    admitted_on: dt.date


@event
class HolderDetailsCorrected(DomainEvent):
    """The holder's name and domicile (legal persons: name, seat, number) from `corrected_on`
    on: the register as of an earlier day keeps the earlier ones. `correction_id` names what
    it follows (the contracts member's MemberDetailsCorrected event, or an ops correction)."""

    member_id: str
    correction_id: str
    name: Annotated[str, OF_MEMBER]
    domicile: Annotated[str, OF_MEMBER]
    enterprise_number: str | None
    corrected_on: dt.date
    source: Literal["member-details", "ops"]


@event
class SharePurchaseNumbered(DomainEvent):
    """Stream sharenumbers-<year>: the purchase that took `sequence` of `year`."""

    year: int
    sequence: int = Field(gt=0)
    purchase_id: str
    member_id: str


@event
class SharePurchaseOpened(DomainEvent):
    """What a purchase costs and what must be paid before it stops being pending."""

    purchase_id: str
    member_id: str
    category: Category
    quantity: int = Field(gt=0)
    amount_cents: int
    minimum_upfront_cents: int
    structured_reference: str
    opened_on: dt.date
    yearly_gross_salary_cents: int | None = None  # staff: the 1 % commitment's basis


@event
class SharePaymentReceived(DomainEvent):
    purchase_id: str
    member_id: str
    payment_id: str
    amount_cents: int = Field(gt=0)
    received_on: dt.date
    source: Literal["ops", "bank-statement"]


@event
class SharesPaidUp(DomainEvent):
    """The whole price of the purchase is paid."""

    purchase_id: str
    member_id: str
    paid_on: dt.date


class TransferLot(_Part):
    """Shares a transfer takes from one of the giver's lots (a purchase, or shares it received
    by an earlier transfer): category A names the years those shares covered."""

    lot_id: str
    quantity: int = Field(gt=0)
    years: tuple[int, ...] = ()
    paid_in_cents: int


@event
class ShareTransferred(DomainEvent):
    """Stream of the giver (`member_id`): paid-up shares go to `to_member_id`, who receives them
    in the same append (ShareTransferReceived). Category A: the years those shares covered for
    the giver are released (never the current year's)."""

    transfer_id: str
    member_id: str
    to_member_id: str
    category: Category
    quantity: int = Field(gt=0)
    years: tuple[int, ...]
    lots: tuple[TransferLot, ...]
    paid_in_cents: int
    transferred_on: dt.date


@event
class ShareTransferReceived(DomainEvent):
    """Stream of the receiver (`member_id`). Category A: the years the shares cover for it (the
    earliest from the transfer's year on that it does not cover yet). `board_admitted_on`: the
    board's admission of a receiver who held no share."""

    transfer_id: str
    member_id: str
    from_member_id: str
    category: Category
    quantity: int = Field(gt=0)
    years: tuple[int, ...]
    paid_in_cents: int
    received_on: dt.date
    board_admitted_on: dt.date | None = None


@event
class MemberResigned(DomainEvent):
    """The member leaves with all its shares (death counts as resignation)."""

    member_id: str
    resigned_on: dt.date
    reason: Literal["resignation", "death"]


@event
class ShareRedemptionApproved(DomainEvent):
    """The board approved the repayment: per share, the paid-in amount capped at the net asset
    value per share of the last approved accounts."""

    member_id: str
    quantity: int
    paid_in_cents: int
    net_asset_value_per_share_cents: int
    amount_cents: int
    approved_on: dt.date


@event
class ShareRedeemed(DomainEvent):
    member_id: str
    quantity: int
    amount_cents: int
    redeemed_on: dt.date


# --- assembly-<assembly_id> ----------------------------------------------------------------


class Resolution(_Part):
    resolution_id: str
    title: str
    type: ResolutionType
    quorum_percent: str  # of the shareholders on the assembly date, present or represented
    majority_numerator: int
    majority_denominator: int


class Candidate(_Part):
    member_id: str
    gender: Gender
    category: Category


class Election(_Part):
    election_id: str
    seats: int = Field(gt=0)
    candidates: tuple[Candidate, ...]


class BoardRenewal(_Part):
    """The part of the board an ordinary assembly renews: the election's seats take `terms`
    (years, longest first, in the order the count fills them) and the mandates of `renews`
    end at the assembly."""

    terms: tuple[int, ...]
    renews: tuple[str, ...]  # member ids of the mandates ending


@event
class AssemblyConvened(DomainEvent):
    assembly_id: str
    title: str
    held_on: dt.date
    convened_on: dt.date
    resolutions: tuple[Resolution, ...]
    election: Election | None = None
    max_proxies_per_voter: int
    kind: Literal["ordinary", "extraordinary"] = "ordinary"
    renewal: BoardRenewal | None = None  # None: every seat elected takes the full term


@event
class VoteCast(DomainEvent):
    """`member_id` voted (in person, remotely, or through `proxy_id`): never what."""

    assembly_id: str
    member_id: str
    proxy_id: str | None
    channel: Literal["in_person", "remote"]


class Ballot(_Part):
    """One ballot, with nothing that names or dates its voter."""

    choices: tuple[tuple[str, Choice], ...]  # (resolution_id, choice), by resolution id
    candidates: tuple[str, ...] = ()  # member ids, sorted


@event
class BallotsOpened(DomainEvent):
    """Every ballot of the assembly in one batch, sorted canonically: the order says nothing
    about who cast which, anyone recounts from here."""

    assembly_id: str
    ballots: tuple[Ballot, ...]
    voters: int
    electorate: int


@event
class ResolutionDecided(DomainEvent):
    assembly_id: str
    resolution_id: str
    for_votes: int
    against_votes: int
    abstentions: int
    quorum_reached: bool
    adopted: bool


class QuotaShortfall(_Part):
    quota: Quota
    required: int
    reachable: int
    reason: str


class ElectedMember(_Part):
    member_id: str
    votes: int


@event
class BoardElectionCounted(DomainEvent):
    assembly_id: str
    election_id: str
    elected: tuple[ElectedMember, ...]
    skipped: tuple[str, ...]  # passed over to keep a quota reachable
    unfilled_seats: int
    shortfalls: tuple[QuotaShortfall, ...]


@event
class AssemblyClosed(DomainEvent):
    assembly_id: str
    closed_on: dt.date
    voters: int
    electorate: int


# --- board-coop ------------------------------------------------------------------------------


@event
class BoardMemberElected(DomainEvent):
    member_id: str
    election_id: str
    gender: Gender
    category: Category
    starts_on: dt.date
    ends_on: dt.date


@event
class BoardMandateEnded(DomainEvent):
    """A mandate renewed by an assembly ends the day before it (its successor sits from the
    assembly's day), whatever day its term would have ended."""

    member_id: str
    election_id: str
    ended_on: dt.date
    reason: Literal["renewed"]


@event
class ManagingDirectorAppointed(DomainEvent):
    """Appointed by the board from its members; chairs the board."""

    member_id: str
    term: int  # 1, or 2 when renewed (renewable once)
    starts_on: dt.date
    ends_on: dt.date
