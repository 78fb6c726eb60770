"""Staggered renewal of the board: which seats an ordinary assembly fills, and for how long.

The board (`seats`, mandates of `term_years`) is renewed in `parts`, one every
`term_years / parts` years (the default: a quarter of 18 seats every year, 4-year mandates).
An ordinary assembly held on day D fills:
- the seats of the mandates whose term ends before the next renewal (in D's year, or a year
  before D's year + the interval), those still sitting on D ending at this assembly, and
- the seats vacant on D.

Each seat filled takes a term of k intervals (k = 1 … parts) so that every renewal to come has
its share of the board: the parts are `seats // parts` seats, the first `seats % parts` of them
one more, the larger parts going to those holding the most continuing mandates (then the
longest). The count fills seats in order and the best-ranked take the longest terms. A board
elected at once (the first one) is thereby split over 1 … parts intervals; from then on each
renewal fills its own part for the full term, and a vacancy is filled for what is left of its
part.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from services.governance.domain.board import Board
from shared.decider import DomainError
from shared.events.governance import BoardMemberElected


class SeatsRequired(DomainError):
    """Only an ordinary assembly renews the board by itself; another says how many seats."""

    code = "election-seats-required"


class NothingToRenew(DomainError):
    code = "no-seat-to-renew"


@dataclass(frozen=True)
class RenewalRules:
    seats: int
    term_years: int
    parts: int

    @property
    def interval(self) -> int:
        return max(1, self.term_years // self.parts)


@dataclass(frozen=True)
class RenewalPlan:
    held_on: dt.date
    ending: tuple[BoardMemberElected, ...]  # mandates that end at the assembly
    continuing: tuple[BoardMemberElected, ...]
    vacant: int  # seats neither continuing nor ending
    terms: tuple[int, ...]  # years, one per seat to fill, longest first

    @property
    def seats(self) -> int:
        return len(self.terms)

    @property
    def renews(self) -> tuple[str, ...]:
        return tuple(m.member_id for m in self.ending)


def renewal_plan(board: Board, held_on: dt.date, rules: RenewalRules) -> RenewalPlan:
    interval, parts = rules.interval, rules.parts
    next_renewal_year = held_on.year + interval
    sitting = [m for m in board.sitting(held_on) if m.starts_on < held_on]
    continuing = tuple(m for m in sitting if board.ends_on(m).year >= next_renewal_year)
    # Ending here: the sitting mandates whose term ends before the next renewal, and those
    # whose term ran out earlier this year (a mandate ends the day before its anniversary, the
    # assembly may be held a few days later); not those a renewal already ended.
    ending = tuple(
        m
        for m in board.mandates
        if m.starts_on < held_on
        and (m.election_id, m.member_id) not in board.ended
        and held_on.year <= m.ends_on.year < next_renewal_year
    )
    held = dict.fromkeys(range(1, parts + 1), 0)  # continuing mandates per renewal to come
    for mandate in continuing:
        k = (board.ends_on(mandate).year - held_on.year) // interval
        held[min(max(k, 1), parts)] += 1
    open_seats = max(0, rules.seats - len(continuing))
    base, larger = divmod(rules.seats, parts)
    order = sorted(held, key=lambda k: (-held[k], -k))
    target = {k: base + (1 if rank < larger else 0) for rank, k in enumerate(order)}
    new = {k: max(0, target[k] - held[k]) for k in held}
    excess = sum(new.values()) - open_seats  # a part over its share: the shortest give way
    for k in sorted(new):
        cut = min(new[k], max(excess, 0))
        new[k] -= cut
        excess -= cut
    terms = tuple(k * interval for k in sorted(new, reverse=True) for _ in range(new[k]))
    vacant = max(0, rules.seats - len(continuing) - len(ending))
    return RenewalPlan(held_on, ending, continuing, vacant, terms)
