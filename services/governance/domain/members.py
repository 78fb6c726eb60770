"""A member as governance needs it (name, domicile, gender), folded from the contracts
context's `member-<id>` stream, which governance reads and never writes."""

from __future__ import annotations

from dataclasses import dataclass, replace

from shared.decider import Decider
from shared.events.base import DomainEvent
from shared.events.contracts import MemberDetailsCorrected, MemberRegistered

UNKNOWN_DOMICILE = "(domicile not given)"


@dataclass(frozen=True)
class MemberFacts:
    member_id: str
    first_name: str
    last_name: str
    gender: str
    address: str | None

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def domicile(self) -> str:
        return self.address or UNKNOWN_DOMICILE


@dataclass(frozen=True)
class NoMember:
    pass


MemberState = MemberFacts | NoMember


def _evolve(state: MemberState, event: DomainEvent) -> MemberState:
    match event:
        case MemberRegistered() as e:
            return MemberFacts(e.member_id, e.first_name, e.last_name, e.gender, e.address)
        case MemberDetailsCorrected() as e if isinstance(state, MemberFacts):
            changes = {
                name: getattr(e, name)
                for name in ("first_name", "last_name", "gender", "address")
                if getattr(e, name) is not None
            }
            return replace(state, **changes)
    return state


def _read_only(command: object, state: MemberState) -> list[DomainEvent]:
    return []


member_reader: Decider[object, MemberState] = Decider(NoMember, _read_only, _evolve)
