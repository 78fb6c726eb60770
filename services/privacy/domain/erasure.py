"""The erasure request of one member (stream `erasure-<member_id>`): requested, then carried
out once every retention period has ended, exactly once.

A member has at most one request pending; once carried out, the data is gone and a new
request has nothing left to erase. Carrying out a request already carried out decides
nothing, so a scheduler that runs again after a crash never erases twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace

from services.privacy.domain.retention import Hold, all_ended
from shared.decider import Conflict, Decider, DomainError, NotFound
from shared.events.base import DomainEvent
from shared.events.personal import OF_MEMBER
from shared.events.privacy import EndedHold, ErasureRequested, PersonalDataErased, Requester


class MemberNotFound(NotFound):
    code = "member-not-found"


class ErasureAlreadyRequested(Conflict):
    code = "erasure-already-requested"


class AlreadyErased(Conflict):
    code = "already-erased"


class NoErasureRequested(NotFound):
    code = "no-erasure-request"


class RetentionNotOver(DomainError):
    """Some retention period has not ended: the data must still be kept."""

    code = "retention-not-over"
    status = 409


# -- commands --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestErasure:
    member_id: str
    request_id: str
    requested_by: Requester
    today: dt.date
    member_known: bool  # the member is registered (read by the handler)


@dataclass(frozen=True)
class CarryOutErasure:
    member_id: str
    today: dt.date
    holds: tuple[Hold, ...]  # every rule that applies, computed on `today`


Command = RequestErasure | CarryOutErasure


# -- state -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    request_id: str
    member_id: str
    requested_by: Requester
    requested_on: dt.date
    carried_out_on: dt.date | None = None
    subjects: tuple[str, ...] = ()

    @property
    def pending(self) -> bool:
        return self.carried_out_on is None


@dataclass(frozen=True)
class Erasure:
    requests: tuple[Request, ...] = ()

    @property
    def pending(self) -> Request | None:
        return next((r for r in self.requests if r.pending), None)

    @property
    def erased(self) -> Request | None:
        return next((r for r in self.requests if not r.pending), None)

    def request(self, request_id: str) -> Request | None:
        return next((r for r in self.requests if r.request_id == request_id), None)


def member_subject(member_id: str) -> str:
    return OF_MEMBER.subject(member_id)


# -- decide / evolve -------------------------------------------------------------------------


def decide(command: Command, state: Erasure) -> Sequence[DomainEvent]:
    match command:
        case RequestErasure():
            return _request(command, state)
        case CarryOutErasure():
            return _carry_out(command, state)


def _request(command: RequestErasure, state: Erasure) -> list[DomainEvent]:
    if not command.member_known:
        raise MemberNotFound(f"no member {command.member_id}", field="member_id")
    if (done := state.erased) is not None:
        raise AlreadyErased(
            f"the personal data of {command.member_id} was erased on {done.carried_out_on}"
        )
    if (pending := state.pending) is not None:
        raise ErasureAlreadyRequested(
            f"erasure request {pending.request_id} of {pending.requested_on} is pending"
        )
    return [
        ErasureRequested(
            request_id=command.request_id,
            member_id=command.member_id,
            requested_by=command.requested_by,
            requested_on=command.today,
        )
    ]


def _carry_out(command: CarryOutErasure, state: Erasure) -> list[DomainEvent]:
    pending = state.pending
    if pending is None:
        if state.erased is not None:
            return []  # carried out already: nothing happens twice
        raise NoErasureRequested(f"no erasure request of {command.member_id}")
    if not all_ended(command.holds, command.today):
        holding = sorted({h.name for h in command.holds if not h.ended(command.today)})
        raise RetentionNotOver(f"still held by: {', '.join(holding)}")
    ended = tuple(EndedHold(rule=h.rule, ends_on=h.ends_on) for h in command.holds if h.ends_on)
    return [
        PersonalDataErased(
            request_id=pending.request_id,
            member_id=pending.member_id,
            subjects=(member_subject(pending.member_id),),
            carried_out_on=command.today,
            ended_holds=ended,
        )
    ]


def evolve(state: Erasure, event: DomainEvent) -> Erasure:
    match event:
        case ErasureRequested() as requested:
            request = Request(
                requested.request_id,
                requested.member_id,
                requested.requested_by,
                requested.requested_on,
            )
            return Erasure((*state.requests, request))
        case PersonalDataErased() as erased:
            return Erasure(
                tuple(
                    replace(r, carried_out_on=erased.carried_out_on, subjects=erased.subjects)
                    if r.request_id == erased.request_id
                    else r
                    for r in state.requests
                )
            )
        case _:
            return state


erasure_decider: Decider[Command, Erasure] = Decider(Erasure, decide, evolve)
