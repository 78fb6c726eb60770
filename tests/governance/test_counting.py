"""Resolutions and board elections counted from ballots: quorum, majority, quotas."""

from __future__ import annotations

from decimal import Decimal

from services.governance.domain.counting import BoardRules, count_election, tally
from shared.events.governance import (
    Ballot,
    BoardElectionCounted,
    Candidate,
    Category,
    Choice,
    Election,
    Gender,
    Resolution,
    ResolutionType,
)

RULES = BoardRules(18, Decimal("0.4"), Decimal("0.4"), Decimal("0.6"))


def resolution(
    kind: ResolutionType = "ordinary", quorum: str = "0", n: int = 1, d: int = 2
) -> Resolution:
    return Resolution(
        resolution_id="r1", title="Accounts", type=kind, quorum_percent=quorum,
        majority_numerator=n, majority_denominator=d,
    )  # fmt: skip


def ballots(**counts: int) -> list[Ballot]:
    out: list[Ballot] = []
    for choice, count in counts.items():
        picked: Choice = (
            "abstain" if choice == "abstain" else ("for" if choice == "yes" else "against")
        )
        out.extend(Ballot(choices=(("r1", picked),)) for _ in range(count))
    return out


class TestResolutions:
    def test_a_simple_majority_needs_more_for_than_against(self) -> None:
        assert tally("G", resolution(), ballots(yes=5, no=4, abstain=10), 100).adopted
        assert not tally("G", resolution(), ballots(yes=4, no=4), 100).adopted

    def test_a_change_of_statutes_needs_three_quarters(self) -> None:
        statutes = resolution("statutes", "50", 3, 4)
        assert tally("G", statutes, ballots(yes=75, no=25), 150).adopted
        assert not tally("G", statutes, ballots(yes=74, no=26), 150).adopted

    def test_the_purpose_needs_four_fifths(self) -> None:
        purpose = resolution("purpose", "50", 4, 5)
        assert tally("G", purpose, ballots(yes=80, no=20), 200).adopted
        assert not tally("G", purpose, ballots(yes=79, no=21), 200).adopted

    def test_without_quorum_nothing_is_adopted(self) -> None:
        decided = tally("G", resolution("statutes", "50", 3, 4), ballots(yes=49), 100)
        assert (decided.quorum_reached, decided.adopted, decided.for_votes) == (False, False, 49)


def candidates(prefix: str, gender: Gender, category: Category, count: int) -> list[Candidate]:
    return [
        Candidate(member_id=f"{prefix}{i:02d}", gender=gender, category=category)
        for i in range(count)
    ]


def elect(
    pool: list[Candidate], rules: BoardRules = RULES, seats: int = 18
) -> tuple[BoardElectionCounted, list[str], dict[str, Gender], dict[str, Category]]:
    election = Election(election_id="E1", seats=seats, candidates=tuple(pool))
    ballots = [
        Ballot(choices=(), candidates=(c.member_id,))
        for rank, c in enumerate(pool) for _ in range(len(pool) - rank)
    ]  # fmt: skip
    counted = count_election("G", election, ballots, rules)
    elected = [e.member_id for e in counted.elected]
    gender = {c.member_id: c.gender for c in pool}
    category = {c.member_id: c.category for c in pool}
    return counted, elected, gender, category


class TestBoardElections:
    def test_the_plain_top_18_breaks_the_gender_quota_and_the_rule_picks_differently(self) -> None:
        # 14 men ranked first, then 10 women: the top 18 would be 14 men and 4 women.
        pool = candidates("m", "M", "A", 14) + candidates("f", "F", "A", 10)
        counted, elected, gender, _ = elect(pool)
        assert [gender[m] for m in elected].count("F") == 8
        assert [gender[m] for m in elected].count("M") == 10
        assert elected[:10] == [f"m{i:02d}" for i in range(10)]  # the best ten men, in order
        assert counted.skipped == ("m10", "m11", "m12", "m13")
        assert counted.shortfalls == () and counted.unfilled_seats == 0

    def test_the_category_a_quota_binds(self) -> None:
        # Balanced genders, but category B candidates take the most votes.
        pool = (
            candidates("fb", "F", "B", 6) + candidates("mb", "M", "B", 6)
            + candidates("fa", "F", "A", 8) + candidates("ma", "M", "A", 8)
        )  # fmt: skip
        counted, elected, gender, category = elect(pool)
        assert [category[m] for m in elected].count("A") == 11  # ceil(60 % of 18)
        assert [category[m] for m in elected].count("B") == 7
        genders = [gender[m] for m in elected]
        assert genders.count("F") >= 8 and genders.count("M") >= 8
        assert "mb05" in counted.skipped  # the 12th category B candidate is passed over

    def test_an_impossible_quota_says_which_and_why_and_fills_what_it_can(self) -> None:
        pool = candidates("m", "M", "A", 20) + candidates("f", "F", "A", 3)
        counted, elected, gender, _ = elect(pool)
        assert [s.quota for s in counted.shortfalls] == ["women"]
        shortfall = counted.shortfalls[0]
        assert (shortfall.required, shortfall.reachable) == (8, 3)
        assert "3 candidates" in shortfall.reason
        assert [gender[m] for m in elected].count("F") == 3
        assert len(elected) == 18

    def test_seats_stay_empty_rather_than_break_a_quota(self) -> None:
        # 4 seats: at least 2 women (ceil 1.6) and 2 men; only men and one woman stand.
        rules = BoardRules(4, Decimal("0.4"), Decimal("0.4"), Decimal("0"))
        pool = candidates("m", "M", "A", 5) + candidates("f", "F", "A", 1)
        counted, elected, _, _ = elect(pool, rules, seats=4)
        assert counted.shortfalls[0].quota == "women"
        assert len(elected) == 4  # women lowered to 1 reachable: 3 men and the woman

    def test_continuing_members_count_towards_the_quotas(self) -> None:
        sitting = tuple(candidates("s", "F", "A", 8))  # 8 women continue
        rules = BoardRules(18, Decimal("0.4"), Decimal("0.4"), Decimal("0.6"), sitting)
        pool = candidates("m", "M", "A", 12) + candidates("f", "F", "A", 4)
        _, elected, gender, _ = elect(pool, rules, seats=10)
        assert [gender[m] for m in elected] == ["M"] * 10

    def test_ties_are_broken_by_a_lot_anyone_can_recompute(self) -> None:
        pool = candidates("m", "M", "A", 3)
        election = Election(election_id="E1", seats=1, candidates=tuple(pool))
        rules = BoardRules(1, Decimal("0"), Decimal("0"), Decimal("0"))
        ballots = [Ballot(choices=(), candidates=(c.member_id,)) for c in pool]
        first = count_election("G", election, ballots, rules)
        again = count_election("G", election, list(reversed(ballots)), rules)
        assert first == again and len(first.elected) == 1
