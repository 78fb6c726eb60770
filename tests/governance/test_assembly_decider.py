"""The assembly decider, given/when/then by state: convening, votes, proxies, the close."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from services.governance.domain.assembly import (
    AlreadyVoted,
    AssemblyClosedAlready,
    AssemblyCommand,
    AssemblyNotFound,
    AssemblyState,
    BallotBoxMismatch,
    CastVote,
    Close,
    Convene,
    ConveningTooLate,
    NotAShareholder,
    TooManyProxies,
    VoteRefused,
    assembly_decider,
)
from shared.decider import Spec
from shared.events.base import DomainEvent
from shared.events.governance import (
    AssemblyClosed,
    AssemblyConvened,
    Ballot,
    BallotsOpened,
    Candidate,
    Election,
    Resolution,
    ResolutionDecided,
    VoteCast,
)

HELD = dt.date(2026, 6, 1)
STATUTES = Resolution(
    resolution_id="r1", title="New statutes", type="statutes", quorum_percent="50",
    majority_numerator=3, majority_denominator=4,
)  # fmt: skip
ELECTION = Election(
    election_id="E1", seats=1,
    candidates=(Candidate(member_id="c1", gender="F", category="A"),),
)  # fmt: skip
CONVENED = AssemblyConvened(
    assembly_id="G1", title="AG 2026", held_on=HELD, convened_on=dt.date(2026, 5, 1),
    resolutions=(STATUTES,), election=ELECTION, max_proxies_per_voter=1,
)  # fmt: skip
YES = Ballot(choices=(("r1", "for"),))
NO = Ballot(choices=(("r1", "against"),))


def spec() -> Spec[AssemblyCommand, AssemblyState]:
    return Spec(assembly_decider)


def vote(
    member: str, proxy: str | None = None, *, remote: bool = False, ballot: Ballot = YES,
    voter_holds_shares: bool = True,
) -> CastVote:  # fmt: skip
    day = dt.date(2026, 5, 20) if remote else HELD
    return CastVote(member, proxy, remote, day, ballot, voter_holds_shares)


def cast(
    member: str, proxy: str | None = None, channel: Literal["in_person", "remote"] = "in_person"
) -> VoteCast:
    return VoteCast(assembly_id="G1", member_id=member, proxy_id=proxy, channel=channel)


class TestNoAssembly:
    def test_convened_with_the_notice_period(self) -> None:
        command = Convene("G1", "AG 2026", HELD, dt.date(2026, 5, 1), (STATUTES,), ELECTION, 15, 1)
        spec().given().when(command).then(CONVENED)

    def test_convened_too_late_is_refused(self) -> None:
        command = Convene("G1", "AG", HELD, dt.date(2026, 5, 20), (STATUTES,), None, 15, 1)
        spec().given().when(command).raises(ConveningTooLate)

    def test_no_vote_on_an_assembly_never_convened(self) -> None:
        spec().given().when(vote("m1")).raises(AssemblyNotFound)


class TestAConvenedAssembly:
    def test_a_shareholder_votes_in_person_on_the_day(self) -> None:
        spec().given(CONVENED).when(vote("m1")).then(cast("m1"))

    def test_a_remote_vote_before_the_day(self) -> None:
        spec().given(CONVENED).when(vote("m1", remote=True)).then(cast("m1", None, "remote"))

    def test_no_remote_vote_on_the_day(self) -> None:
        remote_late = CastVote("m1", None, True, HELD, YES, True)
        spec().given(CONVENED).when(remote_late).raises(VoteRefused, match="before")

    def test_someone_without_shares_does_not_vote(self) -> None:
        spec().given(CONVENED).when(vote("m1", voter_holds_shares=False)).raises(NotAShareholder)

    def test_nobody_votes_twice(self) -> None:
        spec().given(CONVENED, cast("m1", None, "remote")).when(vote("m1")).raises(AlreadyVoted)

    def test_a_proxy_votes_for_another_shareholder(self) -> None:
        spec().given(CONVENED).when(vote("m2", "m1")).then(cast("m2", "m1"))

    def test_a_proxy_beyond_the_limit_is_refused(self) -> None:
        spec().given(CONVENED, cast("m2", "m1")).when(vote("m3", "m1")).raises(TooManyProxies)

    def test_a_proxy_for_oneself_is_refused(self) -> None:
        spec().given(CONVENED).when(vote("m1", "m1")).raises(VoteRefused, match="another")

    def test_a_ballot_naming_an_unknown_resolution_or_candidate_is_refused(self) -> None:
        unknown = Ballot(choices=(("r9", "for"),))
        spec().given(CONVENED).when(vote("m1", ballot=unknown)).raises(VoteRefused)
        stranger = Ballot(choices=(), candidates=("x",))
        spec().given(CONVENED).when(vote("m1", ballot=stranger)).raises(VoteRefused)

    def test_the_close_needs_one_ballot_per_voter(self) -> None:
        spec().given(CONVENED, cast("m1")).when(Close(HELD, 10, ())).raises(BallotBoxMismatch)

    def test_no_close_before_the_day(self) -> None:
        spec().given(CONVENED).when(Close(dt.date(2026, 5, 31), 10, ())).raises(VoteRefused)

    def test_quorum_not_reached_adopts_nothing(self) -> None:
        given = [CONVENED, cast("m1"), cast("m2")]
        spec().given(*given).when(Close(HELD, 10, (YES, YES))).then(
            BallotsOpened(assembly_id="G1", ballots=(YES, YES), voters=2, electorate=10),
            ResolutionDecided(
                assembly_id="G1", resolution_id="r1", for_votes=2, against_votes=0,
                abstentions=0, quorum_reached=False, adopted=False,
            ),
            AssemblyClosed(assembly_id="G1", closed_on=HELD, voters=2, electorate=10),
        )  # fmt: skip

    def test_the_close_publishes_the_ballots_sorted_whatever_their_order(self) -> None:
        given = [CONVENED, cast("m1"), cast("m2"), cast("m3")]
        one = (
            spec()
            .given(*given)
            .when(Close(HELD, 4, (YES, NO, YES)))
            .then_types(BallotsOpened, ResolutionDecided, AssemblyClosed)
        )
        other = (
            spec()
            .given(*given)
            .when(Close(HELD, 4, (NO, YES, YES)))
            .then_types(BallotsOpened, ResolutionDecided, AssemblyClosed)
        )
        assert one == other
        decided = one[1]
        assert isinstance(decided, ResolutionDecided)
        assert (decided.quorum_reached, decided.adopted) == (True, False)  # 2/3 < 3/4


class TestAClosedAssembly:
    def given(self) -> list[DomainEvent]:
        closed = AssemblyClosed(assembly_id="G1", closed_on=HELD, voters=0, electorate=3)
        return [CONVENED, closed]

    def test_no_vote_after_the_close(self) -> None:
        spec().given(*self.given()).when(vote("m1")).raises(AssemblyClosedAlready)

    def test_closing_again_changes_nothing(self) -> None:
        spec().given(*self.given()).when(Close(HELD, 3, ())).then()
