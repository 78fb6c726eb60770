"""The board decider (mandates, the managing director's terms), the sealed ballot box, the
share references, and the dated governance parameters."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from services.governance.ballot_box import BallotBox
from services.governance.domain.board import (
    AppointDirector,
    Board,
    BoardCommand,
    DirectorInOffice,
    NotOnTheBoard,
    SeatElected,
    TermsExhausted,
    board_decider,
    term_end,
)
from services.governance.domain.references import parse_share_reference, share_reference
from shared.decider import Spec
from shared.events.governance import Ballot, BoardMemberElected, ManagingDirectorAppointed
from shared.parameters import ParameterError, ParameterNotDefined
from shared.parameters_governance import _governance_table, governance_from_mapping, governance_on

DAY = dt.date(2026, 6, 1)


def mandate(member: str, starts_on: dt.date = DAY) -> BoardMemberElected:
    return BoardMemberElected(
        member_id=member, election_id="E1", gender="F", category="A", starts_on=starts_on,
        ends_on=term_end(starts_on, 4),
    )  # fmt: skip


def director(member: str, term: int, starts_on: dt.date) -> ManagingDirectorAppointed:
    return ManagingDirectorAppointed(
        member_id=member, term=term, starts_on=starts_on, ends_on=term_end(starts_on, 5)
    )


def spec() -> Spec[BoardCommand, Board]:
    return Spec(board_decider)


class TestTheBoard:
    def test_a_mandate_ends_the_day_before_its_anniversary(self) -> None:
        assert term_end(DAY, 4) == dt.date(2030, 5, 31)
        assert term_end(dt.date(2028, 2, 29), 1) == dt.date(2029, 2, 27)

    def test_elected_members_are_recorded_once(self) -> None:
        spec().given(mandate("a")).when(SeatElected((mandate("a"), mandate("b")))).then(
            mandate("b")
        )

    def test_the_managing_director_comes_from_the_board(self) -> None:
        spec().given(mandate("a")).when(AppointDirector("z", DAY, 5, 2)).raises(NotOnTheBoard)

    def test_a_first_term_then_the_one_renewal_following_it(self) -> None:
        spec().given(mandate("a")).when(AppointDirector("a", DAY, 5, 2)).then(director("a", 1, DAY))
        renewal_day = dt.date(2030, 5, 1)
        spec().given(mandate("a"), mandate("a", renewal_day), director("a", 1, DAY)).when(
            AppointDirector("a", renewal_day, 5, 2)
        ).then(director("a", 2, dt.date(2031, 6, 1)))

    def test_no_third_term(self) -> None:
        late = dt.date(2036, 6, 2)
        given = [mandate("a", late), director("a", 1, DAY), director("a", 2, dt.date(2031, 6, 1))]
        spec().given(*given).when(AppointDirector("a", late, 5, 2)).raises(TermsExhausted)

    def test_no_second_director_while_one_is_in_office(self) -> None:
        given = [mandate("a"), mandate("b"), director("a", 1, DAY)]
        spec().given(*given).when(AppointDirector("b", DAY, 5, 2)).raises(DirectorInOffice)

    def test_the_composition_on_any_day(self) -> None:
        board = board_decider.fold([mandate("a"), mandate("b", dt.date(2028, 6, 1))])
        assert [m.member_id for m in board.sitting(dt.date(2027, 1, 1))] == ["a"]
        assert [m.member_id for m in board.sitting(dt.date(2029, 1, 1))] == ["a", "b"]
        assert [c.member_id for c in board.continuing(dt.date(2030, 6, 1))] == ["b"]


class TestTheBallotBox:
    def test_a_confirmed_ballot_forgets_its_voter(self, tmp_path: Path) -> None:
        box = BallotBox(tmp_path / "box.sqlite")
        token = box.seal("G1", "m1", Ballot(choices=(("r1", "for"),)))
        box.confirm(token)
        raw = (tmp_path / "box.sqlite").read_bytes()
        assert b"m1" not in raw  # secure_delete: not even in a freed page
        assert box.ballots("G1", frozenset()) == (Ballot(choices=(("r1", "for"),)),)

    def test_after_a_crash_a_sealed_ballot_counts_only_if_the_log_says_its_voter_voted(
        self, tmp_path: Path
    ) -> None:
        box = BallotBox(tmp_path / "box.sqlite")
        box.seal("G1", "m1", Ballot(choices=(("r1", "for"),)))  # never confirmed
        box.seal("G1", "m2", Ballot(choices=(("r1", "against"),)))
        kept = box.ballots("G1", frozenset({"m1"}))
        assert kept == (Ballot(choices=(("r1", "for"),)),)

    def test_a_retry_replaces_the_unconfirmed_ballot_of_the_same_voter(
        self, tmp_path: Path
    ) -> None:
        box = BallotBox(tmp_path / "box.sqlite")
        box.seal("G1", "m1", Ballot(choices=(("r1", "for"),)))
        box.confirm(box.seal("G1", "m1", Ballot(choices=(("r1", "against"),))))
        assert box.ballots("G1", frozenset({"m1"})) == (Ballot(choices=(("r1", "against"),)),)
        box.empty("G1")
        assert box.ballots("G1", frozenset({"m1"})) == ()


class TestReferences:
    def test_a_share_reference_round_trips_and_never_looks_like_an_invoice(self) -> None:
        reference = share_reference(2026, 42)
        assert reference.startswith("+++020/26")
        assert parse_share_reference(reference) == (2026, 42)
        assert parse_share_reference("+++202/6000/00192+++") is None  # billing's form
        assert parse_share_reference("hello") is None
        assert parse_share_reference(reference.replace("+++020", "+++021")) is None


class TestGovernanceParameters:
    def test_the_defaults(self) -> None:
        rules = governance_on(DAY)
        assert rules.majority == {"ordinary": (1, 2), "statutes": (3, 4), "purpose": (4, 5)}
        assert (rules.board_seats, rules.board_term_years, rules.convening_days) == (18, 4, 15)
        assert rules.board_min_women == Decimal("0.4") and rules.share_price_cents == 3000
        assert rules.staff_share_commitment == Decimal("0.01")

    def table(self, **changes: Any) -> dict[str, Any]:
        return {**_governance_table(), **changes}

    def test_an_unknown_or_missing_parameter_is_refused(self) -> None:
        with pytest.raises(ParameterError, match="unknown"):
            governance_from_mapping(self.table(dividend=[]), DAY)
        missing = self.table()
        missing.pop("board_seats")
        with pytest.raises(ParameterError, match="missing"):
            governance_from_mapping(missing, DAY)

    def test_a_bad_majority_or_period_is_refused(self) -> None:
        bad = [{"value": [3, 2], "valid_from": dt.date(2017, 1, 1)}]
        with pytest.raises(ParameterError, match="fraction"):
            governance_from_mapping(self.table(majority_purpose=bad), DAY)
        with pytest.raises(ParameterError, match="periods"):
            governance_from_mapping(self.table(board_seats=18), DAY)
        with pytest.raises(ParameterError, match="numerator"):
            governance_from_mapping(self.table(majority_purpose=[{"value": 1,
                                    "valid_from": dt.date(2017, 1, 1)}]), DAY)  # fmt: skip

    def test_a_day_no_period_covers(self) -> None:
        later = [{"value": 18, "valid_from": dt.date(2030, 1, 1)}]
        with pytest.raises(ParameterNotDefined):
            governance_from_mapping(self.table(board_seats=later), DAY)
