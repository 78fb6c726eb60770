"""The board (stream `board-coop`): mandates from the elections, the managing director.

A mandate runs from the assembly that elected it for its term (the day before the
anniversary). Staggered renewal (`renewal`): each ordinary assembly elects the part of the
seats whose mandates end before the next renewal, while the other members continue; a mandate
it renews ends the day before the assembly (BoardMandateEnded), its successor sits from the
assembly's day. The board appoints the managing director from the members sitting that day,
for the configured term (5 years), renewable once; the managing director chairs the board.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from shared.decider import Decider, DomainError
from shared.events.base import DomainEvent
from shared.events.governance import (
    BoardMandateEnded,
    BoardMemberElected,
    Candidate,
    ManagingDirectorAppointed,
)


class NotOnTheBoard(DomainError):
    code = "not-on-the-board"


class TermsExhausted(DomainError):
    code = "managing-director-terms-exhausted"


class DirectorInOffice(DomainError):
    code = "managing-director-in-office"


@dataclass(frozen=True)
class Board:
    mandates: tuple[BoardMemberElected, ...] = ()
    directors: tuple[ManagingDirectorAppointed, ...] = ()
    ended: dict[tuple[str, str], dt.date] = field(default_factory=dict)  # ended before term

    def ends_on(self, mandate: BoardMemberElected) -> dt.date:
        """The last day of a mandate: its term's, or the day before the assembly renewing it."""
        return self.ended.get((mandate.election_id, mandate.member_id), mandate.ends_on)

    def sitting(self, day: dt.date) -> list[BoardMemberElected]:
        return [m for m in self.mandates if m.starts_on <= day <= self.ends_on(m)]

    def continuing(self, day: dt.date, leaving: Collection[str] = ()) -> tuple[Candidate, ...]:
        """Members whose mandate still runs on `day` and is not among those the election that
        day renews (`leaving`): with the elected, the board the quotas apply to."""
        return tuple(
            Candidate(member_id=m.member_id, gender=m.gender, category=m.category)
            for m in self.mandates
            if m.starts_on < day <= self.ends_on(m) and m.member_id not in leaving
        )

    def director(self, day: dt.date) -> ManagingDirectorAppointed | None:
        return next((d for d in self.directors if d.starts_on <= day <= d.ends_on), None)


def term_end(start: dt.date, years: int) -> dt.date:
    """The day before the `years`-th anniversary (29 February → 28 February)."""
    try:
        anniversary = start.replace(year=start.year + years)
    except ValueError:
        anniversary = start.replace(year=start.year + years, day=28)
    return anniversary - dt.timedelta(days=1)


@dataclass(frozen=True)
class SeatElected:
    """An assembly's count: the members it elected, and the mandates it renews (their members)
    ending the day before `held_on`."""

    elected: tuple[BoardMemberElected, ...]
    renewed: tuple[str, ...] = ()
    held_on: dt.date | None = None


@dataclass(frozen=True)
class AppointDirector:
    member_id: str
    today: dt.date
    term_years: int
    max_terms: int


BoardCommand = SeatElected | AppointDirector


def appoint(command: AppointDirector, state: Board) -> list[DomainEvent]:
    if command.member_id not in {m.member_id for m in state.sitting(command.today)}:
        raise NotOnTheBoard("the managing director is appointed from the board", field="member_id")
    current = state.director(command.today)
    starts_on = command.today
    if current is not None:
        if current.member_id != command.member_id:
            raise DirectorInOffice(f"{current.member_id} is in office until {current.ends_on}")
        starts_on = current.ends_on + dt.timedelta(days=1)  # a renewal follows the term
    terms = sum(d.member_id == command.member_id for d in state.directors)
    if terms >= command.max_terms:
        raise TermsExhausted(f"a managing director serves at most {command.max_terms} terms")
    return [
        ManagingDirectorAppointed(
            member_id=command.member_id, term=terms + 1, starts_on=starts_on,
            ends_on=term_end(starts_on, command.term_years),
        )
    ]  # fmt: skip


def seat(command: SeatElected, state: Board) -> list[DomainEvent]:
    known = {(m.election_id, m.member_id) for m in state.mandates}
    events: list[DomainEvent] = []
    if command.held_on is not None:
        day = command.held_on
        events.extend(
            BoardMandateEnded(
                member_id=m.member_id, election_id=m.election_id,
                ended_on=day - dt.timedelta(days=1), reason="renewed",
            )
            for m in state.sitting(day)
            if m.member_id in command.renewed and m.starts_on < day
        )  # fmt: skip
    events.extend(m for m in command.elected if (m.election_id, m.member_id) not in known)
    return events


def decide(command: BoardCommand, state: Board) -> Sequence[DomainEvent]:
    if isinstance(command, SeatElected):
        return seat(command, state)
    return appoint(command, state)


def evolve(state: Board, event: DomainEvent) -> Board:
    if isinstance(event, BoardMemberElected):
        return dataclasses.replace(state, mandates=(*state.mandates, event))
    if isinstance(event, ManagingDirectorAppointed):
        return dataclasses.replace(state, directors=(*state.directors, event))
    if isinstance(event, BoardMandateEnded):
        ended = {**state.ended, (event.election_id, event.member_id): event.ended_on}
        return dataclasses.replace(state, ended=ended)
    return state


board_decider: Decider[BoardCommand, Board] = Decider(Board, decide, evolve)
