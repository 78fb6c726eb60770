"""Counting: resolutions (quorum, majority) and board elections under quotas. Pure functions of
the ballots, so anyone recounts from BallotsOpened and finds the published results.

Resolutions: the quorum is met when the voters (present, remote or represented) are at least
the quorum's share of the shareholders on the assembly date; a resolution is adopted when the
quorum is met, "for" is at least the majority's fraction of the votes for and against
(abstentions do not count) and more than "against".

Board elections: candidates are ranked by votes; ties are broken by lot, the lot being the
SHA-256 of "<election id>:<member id>" (lowest first), which anyone can recompute. Each seat
goes to the best-ranked candidate left whose election keeps every quota reachable with the
seats and candidates left (a candidate passed over stays in the running for the next seat).
The quotas apply to the board after the election: the members continuing plus those elected.
A quota that the candidates cannot meet whatever the votes is reported (which, how many it
needs, how many it can reach, and why) and lowered to what can be reached; seats no candidate
can take without breaking a quota stay empty.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from shared.events.governance import (
    Ballot,
    BoardElectionCounted,
    Candidate,
    ElectedMember,
    Election,
    Quota,
    QuotaShortfall,
    Resolution,
    ResolutionDecided,
)

QUOTAS: tuple[Quota, ...] = ("women", "men", "category_a")


def tally(
    assembly_id: str, resolution: Resolution, ballots: Sequence[Ballot], electorate: int
) -> ResolutionDecided:
    counts = {"for": 0, "against": 0, "abstain": 0}
    for ballot in ballots:
        choice = dict(ballot.choices).get(resolution.resolution_id, "abstain")
        counts[choice] += 1
    voters = len(ballots)
    quorum = Decimal(resolution.quorum_percent) / 100
    quorum_reached = voters > 0 and Decimal(voters) >= quorum * electorate
    cast = counts["for"] + counts["against"]
    majority = counts["for"] * resolution.majority_denominator >= (
        cast * resolution.majority_numerator
    )
    adopted = quorum_reached and majority and counts["for"] > counts["against"]
    return ResolutionDecided(
        assembly_id=assembly_id, resolution_id=resolution.resolution_id,
        for_votes=counts["for"], against_votes=counts["against"],
        abstentions=counts["abstain"], quorum_reached=quorum_reached, adopted=adopted,
    )  # fmt: skip


@dataclass(frozen=True)
class BoardRules:
    """The board's size and quota fractions, and who stays on it through this election."""

    board_seats: int
    min_women: Decimal
    min_men: Decimal
    min_category_a: Decimal
    continuing: tuple[Candidate, ...] = ()


def quota_needs(rules: BoardRules, seats: int) -> dict[Quota, tuple[int, int]]:
    """Per quota, the members the board after an election of `seats` must count and how many of
    them the continuing members already are."""
    size = len(rules.continuing) + seats
    rates = {"women": rules.min_women, "men": rules.min_men, "category_a": rules.min_category_a}
    return {
        q: (math.ceil(rates[q] * size), sum(_has(c, q) for c in rules.continuing)) for q in QUOTAS
    }


def _has(candidate: Candidate, quota: Quota) -> bool:
    if quota == "women":
        return candidate.gender == "F"
    if quota == "men":
        return candidate.gender == "M"
    return candidate.category == "A"


def _feasible(need: dict[Quota, int], pool: Sequence[Candidate], seats: int) -> bool:
    """Can `seats` (or fewer) of `pool` give `need` women, men and category A at once?"""
    avail: dict[tuple[str, bool], int] = {}
    for c in pool:
        key = (c.gender, c.category == "A")
        avail[key] = avail.get(key, 0) + 1
    women_a, men_a = avail.get(("F", True), 0), avail.get(("M", True), 0)
    for x_fa in range(min(women_a, seats) + 1):
        for x_ma in range(min(men_a, seats - x_fa) + 1):
            x_fb = max(0, need["women"] - x_fa)
            x_mb = max(0, need["men"] - x_ma)
            x_xa = max(0, need["category_a"] - x_fa - x_ma)
            if (
                x_fb <= avail.get(("F", False), 0)
                and x_mb <= avail.get(("M", False), 0)
                and x_xa <= avail.get(("X", True), 0)
                and x_fa + x_ma + x_fb + x_mb + x_xa <= seats
            ):
                return True
    return False


def _lot(election_id: str, member_id: str) -> str:
    return hashlib.sha256(f"{election_id}:{member_id}".encode()).hexdigest()


def _needs(election: Election, rules: BoardRules) -> tuple[dict[Quota, int], list[QuotaShortfall]]:
    size = len(rules.continuing) + election.seats
    rates: dict[Quota, Decimal] = {
        "women": rules.min_women,
        "men": rules.min_men,
        "category_a": rules.min_category_a,
    }
    need: dict[Quota, int] = {}
    shortfalls: list[QuotaShortfall] = []
    for quota in QUOTAS:
        required = math.ceil(rates[quota] * size)
        have = sum(_has(c, quota) for c in rules.continuing)
        offered = sum(_has(c, quota) for c in election.candidates)
        reachable = have + min(offered, election.seats)
        need[quota] = max(0, required - have)
        if reachable < required:
            shortfalls.append(
                QuotaShortfall(
                    quota=quota, required=required, reachable=reachable,
                    reason=f"{required} of {size} seats needed; {have} continuing and"
                    f" {offered} candidates for {election.seats} seats",
                )
            )  # fmt: skip
            need[quota] = reachable - have
    while not _feasible(need, election.candidates, election.seats):
        # The quotas together ask for more seats than there are: lower the largest need.
        quota = max(QUOTAS, key=lambda q: need[q])
        need[quota] -= 1
        shortfalls.append(
            QuotaShortfall(
                quota=quota, required=need[quota] + 1, reachable=need[quota],
                reason="the quotas together need more seats than the election fills",
            )
        )  # fmt: skip
    return need, shortfalls


def count_election(
    assembly_id: str, election: Election, ballots: Sequence[Ballot], rules: BoardRules
) -> BoardElectionCounted:
    votes = {c.member_id: 0 for c in election.candidates}
    for ballot in ballots:
        for member_id in ballot.candidates:
            if member_id in votes:
                votes[member_id] += 1
    ranked = sorted(
        election.candidates,
        key=lambda c: (-votes[c.member_id], _lot(election.election_id, c.member_id)),
    )
    need, shortfalls = _needs(election, rules)
    elected: list[Candidate] = []
    passed_over: set[str] = set()
    left = list(ranked)
    for seat in range(election.seats):
        seats_after = election.seats - seat - 1
        chosen = None
        for candidate in left:
            rest = [c for c in left if c is not candidate]
            after = {q: max(0, need[q] - _has(candidate, q)) for q in QUOTAS}
            if _feasible(after, rest, seats_after):
                chosen, need = candidate, after
                break
            passed_over.add(candidate.member_id)
        if chosen is None:
            break
        elected.append(chosen)
        left.remove(chosen)
    chosen_ids = {c.member_id for c in elected}
    return BoardElectionCounted(
        assembly_id=assembly_id, election_id=election.election_id,
        elected=tuple(ElectedMember(member_id=c.member_id, votes=votes[c.member_id])
                      for c in elected),
        skipped=tuple(m.member_id for m in ranked if m.member_id in passed_over - chosen_ids),
        unfilled_seats=election.seats - len(elected), shortfalls=tuple(shortfalls),
    )  # fmt: skip
