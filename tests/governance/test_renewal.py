"""Staggered renewal of the board, given/when/then: given the board's events, which seats an
ordinary assembly fills and for how long; the renewal ending the mandates it renews; the
count under quotas that apply to the whole board after the election, sitting members
included."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest

from services.governance.domain.assembly import Convene, RenewalMismatch, assembly_decider
from services.governance.domain.board import Board, SeatElected, board_decider, term_end
from services.governance.domain.counting import BoardRules, count_election, quota_needs
from services.governance.domain.renewal import RenewalPlan, RenewalRules, renewal_plan
from shared.decider import Spec
from shared.events.base import DomainEvent
from shared.events.governance import (
    Ballot,
    BoardMandateEnded,
    BoardMemberElected,
    BoardRenewal,
    Candidate,
    Category,
    Election,
    Gender,
)
from shared.parameters import ParameterError
from shared.parameters_governance import _governance_table, governance_from_mapping

FIRST = dt.date(2026, 6, 13)  # the first board's assembly
NEXT = dt.date(2027, 6, 12)  # the next ordinary assembly
RULES = RenewalRules(seats=18, term_years=4, parts=4)
FOUNDING_TERMS = (4,) * 5 + (3,) * 5 + (2,) * 4 + (1,) * 4


def mandate(
    member: str,
    years: int,
    *,
    starts_on: dt.date = FIRST,
    gender: Gender = "F",
    category: Category = "A",
    election: str = "E2026",
) -> BoardMemberElected:
    return BoardMemberElected(
        member_id=member,
        election_id=election,
        gender=gender,
        category=category,
        starts_on=starts_on,
        ends_on=term_end(starts_on, years),
    )


def founding_board() -> list[DomainEvent]:
    """The first board, elected at once with the staggered terms its renewal plan gave."""
    return [mandate(f"b{i:02d}", years) for i, years in enumerate(FOUNDING_TERMS)]


def plan(
    events: Sequence[DomainEvent], held_on: dt.date, rules: RenewalRules = RULES
) -> RenewalPlan:
    return renewal_plan(board_decider.fold(events), held_on, rules)


class TestNoBoardYet:
    def test_the_first_board_is_split_over_one_to_four_years(self) -> None:
        first = plan([], FIRST)
        assert (first.seats, first.vacant, first.ending) == (18, 18, ())
        assert first.terms == FOUNDING_TERMS  # parts of 5, 5, 4, 4; the best-ranked longest

    def test_renewed_every_two_years_in_halves(self) -> None:
        halves = RenewalRules(seats=18, term_years=4, parts=2)
        assert plan([], FIRST, halves).terms == (4,) * 9 + (2,) * 9


class TestAStaggeredBoard:
    def test_each_year_the_quarter_ending_is_renewed_for_the_full_term(self) -> None:
        renewal = plan(founding_board(), NEXT)
        assert renewal.renews == tuple(f"b{i:02d}" for i in range(14, 18))  # the 1-year terms
        assert (renewal.terms, renewal.vacant) == ((4, 4, 4, 4), 0)
        assert len(renewal.continuing) == 14

    def test_a_vacant_seat_is_filled_for_what_is_left_of_its_part(self) -> None:
        # One of the 4-year seats (b00's) was left empty in 2026: it is vacant until 2030.
        renewal = plan(founding_board()[1:], NEXT)
        assert renewal.vacant == 1
        assert renewal.terms == (4, 4, 4, 4, 3)  # the 2031 part, then the 2030 seat

    def test_after_a_renewal_the_next_year_renews_the_next_part(self) -> None:
        board = founding_board()
        renewed = [
            BoardMandateEnded(
                member_id=f"b{i:02d}",
                election_id="E2026",
                ended_on=NEXT - dt.timedelta(days=1),
                reason="renewed",
            )
            for i in range(14, 18)
        ]
        elected = [mandate(f"n{i}", 4, starts_on=NEXT, election="E2027") for i in range(4)]
        later = plan([*board, *renewed, *elected], dt.date(2028, 6, 10))
        assert later.renews == tuple(f"b{i:02d}" for i in range(10, 14))  # the 2-year terms
        assert later.terms == (4, 4, 4, 4)

    def test_a_board_elected_all_at_once_for_four_years_is_staggered_at_its_end(self) -> None:
        board = [mandate(f"b{i:02d}", 4) for i in range(18)]
        assert plan(board, NEXT).seats == 0  # nothing ends in 2027
        at_the_end = plan(board, dt.date(2030, 6, 8))  # the mandates end on 12 June
        assert len(at_the_end.renews) == 18 and at_the_end.terms == FOUNDING_TERMS
        # Held a few days after they ran out, the assembly still renews them (not vacancies).
        later = plan(board, dt.date(2030, 6, 15))
        assert (len(later.renews), later.vacant, later.terms) == (18, 0, FOUNDING_TERMS)
        # A year on, unrenewed, they are vacant seats.
        lapsed = plan(board, dt.date(2031, 6, 14))
        assert (lapsed.renews, lapsed.vacant, lapsed.terms) == ((), 18, FOUNDING_TERMS)


class TestTheRenewalOnTheBoardStream:
    def test_the_mandates_renewed_end_the_day_before_the_assembly(self) -> None:
        board = founding_board()
        successor = mandate("n0", 4, starts_on=NEXT, election="E2027")
        renewed = ("b14", "b15", "b16", "b17")
        events = (
            Spec(board_decider)
            .given(*board)
            .when(SeatElected((successor,), renewed, NEXT))
            .then_types(
                BoardMandateEnded,
                BoardMandateEnded,
                BoardMandateEnded,
                BoardMandateEnded,
                BoardMemberElected,
            )
        )
        ended = [e for e in events if isinstance(e, BoardMandateEnded)]
        assert {e.member_id for e in ended} == set(renewed)
        assert {e.ended_on for e in ended} == {NEXT - dt.timedelta(days=1)}
        after = board_decider.fold([*board, *events])
        assert len(after.sitting(NEXT)) == 15  # 14 continuing and the one elected
        assert "b14" in {m.member_id for m in after.sitting(NEXT - dt.timedelta(days=1))}

    def test_renewing_again_ends_nothing_twice(self) -> None:
        board = founding_board()
        first = SeatElected((), ("b17",), NEXT)
        events = list(board_decider.decide(first, board_decider.fold(board)))
        Spec(board_decider).given(*board, *events).when(first).then()


def people(prefix: str, gender: Gender, count: int) -> list[Candidate]:
    return [Candidate(member_id=f"{prefix}{i}", gender=gender, category="A") for i in range(count)]


class TestTheCountOfARenewal:
    """14 members continue, 4 women among them; 4 women's mandates are renewed. 40 % of the
    board of 18 after the election is 8 women: every seat renewed goes to a woman, however the
    votes fall, because the sitting members count (and those renewed do not)."""

    def board(self) -> Board:
        genders: list[Any] = ["F"] * 4 + ["M"] * 10 + ["F"] * 4
        return board_decider.fold(
            [
                mandate(f"b{i:02d}", years, gender=genders[i])
                for i, years in enumerate(FOUNDING_TERMS)
            ]
        )

    def rules(self, board: Board, renews: tuple[str, ...]) -> BoardRules:
        continuing = board.continuing(NEXT, renews)
        return BoardRules(18, Decimal("0.4"), Decimal("0.4"), Decimal("0.6"), continuing)

    def test_the_quotas_of_the_whole_board_after_the_election(self) -> None:
        board = self.board()
        renewal = renewal_plan(board, NEXT, RULES)
        needs = quota_needs(self.rules(board, renewal.renews), renewal.seats)
        assert needs["women"] == (8, 4) and needs["men"] == (8, 10)

    def test_men_with_more_votes_are_passed_over_for_the_women_the_board_needs(self) -> None:
        board = self.board()
        renewal = renewal_plan(board, NEXT, RULES)
        pool = people("man", "M", 4) + people("woman", "F", 5)
        election = Election(election_id="E2027", seats=renewal.seats, candidates=tuple(pool))
        ballots = [
            Ballot(choices=(), candidates=(c.member_id,))
            for rank, c in enumerate(pool)
            for _ in range(20 - rank)
        ]
        counted = count_election("G", election, ballots, self.rules(board, renewal.renews))
        assert [e.member_id for e in counted.elected] == ["woman0", "woman1", "woman2", "woman3"]
        assert set(counted.skipped) == {"man0", "man1", "man2", "man3"}
        assert counted.shortfalls == ()

    def test_counting_the_renewed_members_as_staying_would_elect_the_men(self) -> None:
        board = self.board()
        renewal = renewal_plan(board, NEXT, RULES)
        pool = people("man", "M", 4) + people("woman", "F", 5)
        election = Election(election_id="E2027", seats=4, candidates=tuple(pool))
        ballots = [
            Ballot(choices=(), candidates=(c.member_id,))
            for rank, c in enumerate(pool)
            for _ in range(20 - rank)
        ]
        wrong = BoardRules(
            18, Decimal("0.4"), Decimal("0.4"), Decimal("0.6"), board.continuing(NEXT)
        )
        assert len(wrong.continuing) == 18 and len(renewal.renews) == 4
        counted = count_election("G", election, ballots, wrong)
        assert [e.member_id for e in counted.elected] == ["man0", "man1", "man2", "woman0"]


class TestConvening:
    def test_a_renewal_names_a_term_for_each_seat(self) -> None:
        election = Election(election_id="E", seats=2, candidates=tuple(people("c", "F", 2)))
        command = Convene(
            "G1",
            "AG",
            NEXT,
            dt.date(2027, 5, 1),
            (),
            election,
            15,
            1,
            "ordinary",
            BoardRenewal(terms=(4,), renews=()),
        )
        Spec(assembly_decider).given().when(command).raises(RenewalMismatch)


class TestRenewalParameters:
    def table(self, **changes: Any) -> dict[str, Any]:
        return {**_governance_table(), **changes}

    def test_the_default_renews_a_quarter_every_year_on_the_statutes_day(self) -> None:
        rules = governance_from_mapping(self.table(), FIRST)
        assert (rules.board_renewal_parts, rules.board_term_years) == (4, 4)
        assert rules.ordinary_assembly_month_day == (6, 15)

    def test_parts_that_cannot_share_the_term_are_refused(self) -> None:
        three = [{"value": 3, "valid_from": dt.date(2017, 1, 1)}]
        with pytest.raises(ParameterError, match="cannot share"):
            governance_from_mapping(self.table(board_renewal_parts=three), FIRST)

    @pytest.mark.parametrize("raw", ["02-29", "6-15", "13-01", 615])
    def test_the_assembly_day_is_a_day_of_every_year(self, raw: object) -> None:
        bad = [{"value": raw, "valid_from": dt.date(2017, 1, 1)}]
        with pytest.raises(ParameterError):
            governance_from_mapping(self.table(ordinary_assembly_on=bad), FIRST)
