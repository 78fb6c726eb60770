"""The member aggregate (`member-<member_id>`): registration, corrections, free uses."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import assert_never

from services.contracts import identifiers
from services.contracts.domain.checks import (
    ADDRESS_MAX,
    changed_fields,
    email_address,
    maybe,
    optional_text,
    required_text,
)
from services.contracts.domain.errors import InvalidDetails, MemberAlreadyRegistered, MemberNotFound
from shared.decider import Decider
from shared.events.base import DomainEvent
from shared.events.contracts import (
    FreePrestationReturned,
    FreePrestationUsed,
    Gender,
    MemberDetailsCorrected,
    MemberRegistered,
)

_GENDERS: dict[str, Gender] = {"F": "F", "M": "M", "X": "X"}
NAME_MAX = 100  # a first or a last name


@dataclass(frozen=True)
class RegisterMember:
    member_id: str
    first_name: str
    last_name: str
    email: str
    niss: str
    iban: str
    gender: Gender
    today: dt.date
    bic: str | None = None  # derived from a Belgian IBAN when absent
    address: str | None = None


@dataclass(frozen=True)
class CorrectMemberDetails:
    """Only the fields to correct are set. Correcting nothing, or to the same values, is a no-op."""

    member_id: str
    today: dt.date
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    niss: str | None = None
    iban: str | None = None
    bic: str | None = None
    gender: Gender | None = None
    address: str | None = None


MemberCommand = RegisterMember | CorrectMemberDetails


@dataclass(frozen=True)
class NoMember:
    pass


@dataclass(frozen=True)
class Member:
    member_id: str
    first_name: str
    last_name: str
    email: str
    niss: str
    iban: str
    bic: str | None
    gender: Gender
    address: str | None
    registered_on: dt.date
    # The prestations that took one of the free uses, and the year each was taken in.
    free_uses: Mapping[str, int] = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def free_prestations_used(self, year: int) -> int:
        return sum(1 for taken_in in self.free_uses.values() if taken_in == year)

    def free_use_of(self, prestation_id: str) -> int | None:
        """The year in which `prestation_id` took a free use, if it took one."""
        return self.free_uses.get(prestation_id)


MemberState = NoMember | Member


def _gender(value: str) -> Gender:
    try:
        return _GENDERS[value]
    except KeyError:
        raise InvalidDetails(
            f"gender must be one of {', '.join(_GENDERS)}", field="gender"
        ) from None


def _bank_details(iban: str, bic: str | None) -> tuple[str, str | None]:
    valid_iban = identifiers.iban(iban)
    if bic is not None:
        return valid_iban, identifiers.bic(bic)
    return valid_iban, identifiers.bic_of_belgian_iban(valid_iban)


def _register_member(command: RegisterMember, state: MemberState) -> list[DomainEvent]:
    if isinstance(state, Member):
        raise MemberAlreadyRegistered(f"member {command.member_id} is already registered")
    iban, bic = _bank_details(command.iban, command.bic)
    return [
        MemberRegistered(
            member_id=command.member_id,
            first_name=required_text(command.first_name, "first_name", max_length=NAME_MAX),
            last_name=required_text(command.last_name, "last_name", max_length=NAME_MAX),
            email=email_address(command.email),
            niss=identifiers.niss(command.niss),
            iban=iban,
            bic=bic,
            gender=_gender(command.gender),
            address=optional_text(command.address, "address", max_length=ADDRESS_MAX),
            registered_on=command.today,
        )
    ]


def _correct_member(command: CorrectMemberDetails, state: MemberState) -> list[DomainEvent]:
    if not isinstance(state, Member):
        raise MemberNotFound(f"no member {command.member_id}")
    proposed: dict[str, object] = {
        "first_name": maybe(
            command.first_name, lambda v: required_text(v, "first_name", max_length=NAME_MAX)
        ),
        "last_name": maybe(
            command.last_name, lambda v: required_text(v, "last_name", max_length=NAME_MAX)
        ),
        "email": maybe(command.email, email_address),
        "niss": maybe(command.niss, identifiers.niss),
        "gender": maybe(command.gender, _gender),
        "address": optional_text(command.address, "address", max_length=ADDRESS_MAX),
    }
    if command.iban is not None or command.bic is not None:
        proposed["iban"], proposed["bic"] = _bank_details(
            command.iban if command.iban is not None else state.iban, command.bic
        )
    changes = changed_fields(state, proposed)
    if not changes:
        return []
    return [
        MemberDetailsCorrected.model_validate(
            {"member_id": state.member_id, "corrected_on": command.today, **changes}
        )
    ]


def decide_member(command: MemberCommand, state: MemberState) -> Sequence[DomainEvent]:
    match command:
        case RegisterMember():
            return _register_member(command, state)
        case CorrectMemberDetails():
            return _correct_member(command, state)
        case _:
            assert_never(command)


def evolve_member(state: MemberState, event: DomainEvent) -> MemberState:
    match event:
        case MemberRegistered():
            return Member(**event.model_dump())
        case MemberDetailsCorrected() if isinstance(state, Member):
            corrected = event.model_dump(exclude={"member_id", "corrected_on"}, exclude_none=True)
            return dataclasses.replace(state, **corrected)
        case FreePrestationUsed() if isinstance(state, Member):
            uses = {**state.free_uses, event.prestation_id: event.year}
            return dataclasses.replace(state, free_uses=uses)
        case FreePrestationReturned() if isinstance(state, Member):
            uses = {p: year for p, year in state.free_uses.items() if p != event.prestation_id}
            return dataclasses.replace(state, free_uses=uses)
        case _:
            return state


member_decider: Decider[MemberCommand, MemberState] = Decider(
    initial_state=NoMember, decide=decide_member, evolve=evolve_member
)


@dataclass(frozen=True)
class MemberFacts:
    """What the handler knows of the encoding member (see `member_facts`)."""

    niss: str
    has_share_this_year: bool  # a category A share covers today's calendar year
    free_prestations_used_this_year: int


def member_facts(
    state: MemberState, share_years: Collection[int], today: dt.date
) -> MemberFacts | None:
    """The facts EncodePrestation needs, from the folded member stream and the years covered
    by the member's category A shares (from ShareBought); None when there is no such member."""
    if isinstance(state, NoMember):
        return None
    return MemberFacts(
        niss=state.niss,
        has_share_this_year=today.year in share_years,
        free_prestations_used_this_year=state.free_prestations_used(today.year),
    )
