"""Command handling for assemblies and the board: convene (an ordinary assembly renewing its
part of the board by itself), vote (sealing the ballot outside the log; a retry replays),
close (the ballots in one batch, the results, the mandates ending and beginning, in one
append), appoint the managing director."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from services.governance.ballot_box import BallotBox, VoteTags
from services.governance.domain.assembly import (
    AlreadyVoted,
    Assembly,
    AssemblyNotFound,
    AssemblyState,
    CastVote,
    Close,
    Convene,
    NotAShareholder,
    assembly_decider,
)
from services.governance.domain.board import (
    AppointDirector,
    Board,
    SeatElected,
    board_decider,
    term_end,
)
from services.governance.domain.counting import BoardRules
from services.governance.domain.members import MemberFacts, member_reader
from services.governance.domain.renewal import (
    NothingToRenew,
    RenewalPlan,
    RenewalRules,
    SeatsRequired,
    renewal_plan,
)
from services.governance.domain.shares import Shareholder, shareholder_decider
from services.governance.ids import BOARD_STREAM, assembly_stream, member_stream, shareholder_stream
from shared.clock import Clock
from shared.events.base import Context, DomainEvent, Envelope
from shared.events.governance import (
    AssemblyConvened,
    Ballot,
    BoardElectionCounted,
    BoardMemberElected,
    BoardRenewal,
    Candidate,
    Election,
    Resolution,
    ResolutionType,
)
from shared.eventstore.handling import (
    Handled,
    IdempotencyKeyReused,
    Loaded,
    Part,
    handle,
    handle_many,
    load,
)
from shared.eventstore.port import EventStore
from shared.money import format_percent
from shared.parameters_governance import governance_on


@dataclass(frozen=True)
class AgendaItem:
    resolution_id: str
    title: str
    type: ResolutionType


@dataclass(frozen=True)
class ElectionRequest:
    election_id: str
    seats: int | None  # None: the seats the board's renewal fills that day
    candidates: Sequence[str]


def public_digest(member_id: str, proxy_id: str | None, remote: bool) -> str:
    """Who votes, and how: what VoteCast says anyway."""
    channel = "remote" if remote else "in_person"
    return hashlib.sha256(f"{member_id}|{proxy_id}|{channel}".encode()).hexdigest()


class AssemblyHandlers:
    def __init__(self, store: EventStore, clock: Clock, box: BallotBox) -> None:
        self.store = store
        self.clock = clock
        self.box = box
        self.tags = VoteTags()
        # Votes are sealed one at a time: two attempts of one voter racing could otherwise
        # replace each other's sealed ballot (the HTTP process is the only one that votes).
        self._voting = threading.Lock()

    def assembly(self, assembly_id: str) -> Loaded[Assembly]:
        loaded = load(self.store, assembly_stream(assembly_id), assembly_decider)
        if not isinstance(loaded.state, Assembly):
            raise AssemblyNotFound(f"no assembly {assembly_id}")
        return loaded  # type: ignore[return-value]  # narrowed just above

    def board(self) -> Loaded[Board]:
        return load(self.store, BOARD_STREAM, board_decider)

    def holding(self, member_id: str) -> Shareholder:
        stream = shareholder_stream(member_id)
        return load(self.store, stream, shareholder_decider(member_id)).state

    def candidate(self, member_id: str) -> Candidate:
        holder = self.holding(member_id)
        if holder.quantity == 0:
            raise NotAShareholder(f"candidate {member_id} holds no share", field="candidates")
        member = load(self.store, member_stream(member_id), member_reader).state
        gender = member.gender if isinstance(member, MemberFacts) else "X"
        category = "A" if holder.held("A") else "B"
        return Candidate(member_id=member_id, gender=gender, category=category)

    def renewal(self, held_on: dt.date, board: Board | None = None) -> RenewalPlan:
        """The part of the board an ordinary assembly on `held_on` renews."""
        rules = governance_on(held_on)
        renewal_rules = RenewalRules(
            rules.board_seats, rules.board_term_years, rules.board_renewal_parts
        )
        return renewal_plan(board or self.board().state, held_on, renewal_rules)

    def _election(
        self, request: ElectionRequest, held_on: dt.date, kind: str
    ) -> tuple[Election, BoardRenewal | None]:
        people = tuple(self.candidate(m) for m in dict.fromkeys(request.candidates))
        renewal = None
        seats = request.seats
        if seats is None:
            if kind != "ordinary":
                raise SeatsRequired(
                    "an extraordinary assembly says how many seats it fills",
                    field="election.seats",
                )
            plan = self.renewal(held_on)
            if plan.seats == 0:
                raise NothingToRenew(f"no seat ends or is vacant on {held_on}", field="election")
            seats = plan.seats
            renewal = BoardRenewal(terms=plan.terms, renews=plan.renews)
        election = Election(election_id=request.election_id, seats=seats, candidates=people)
        return election, renewal

    def convene(
        self, assembly_id: str, title: str, held_on: dt.date, agenda: Sequence[AgendaItem],
        election: ElectionRequest | None, context: Context, *, kind: str = "ordinary",
    ) -> Handled[AssemblyState]:  # fmt: skip
        today = self.clock.today()
        rules = governance_on(held_on)
        resolutions = tuple(
            Resolution(
                resolution_id=item.resolution_id, title=item.title, type=item.type,
                quorum_percent=format_percent(rules.quorum[item.type]),
                majority_numerator=rules.majority[item.type][0],
                majority_denominator=rules.majority[item.type][1],
            )
            for item in agenda
        )  # fmt: skip
        chosen, renewal = None, None
        if election is not None:
            chosen, renewal = self._election(election, held_on, kind)
        command = Convene(
            assembly_id, title, held_on, today, resolutions, chosen, rules.convening_days,
            rules.max_proxies_per_voter, kind, renewal,
        )  # fmt: skip
        stream = assembly_stream(assembly_id)
        return handle(self.store, stream, assembly_decider, command, context)

    def vote(
        self, assembly_id: str, member_id: str, proxy_id: str | None, remote: bool,
        ballot: Ballot, context: Context,
    ) -> Handled[AssemblyState]:  # fmt: skip
        with self._voting:
            return self._vote(assembly_id, member_id, proxy_id, remote, ballot, context)

    def _vote(
        self, assembly_id: str, member_id: str, proxy_id: str | None, remote: bool,
        ballot: Ballot, context: Context,
    ) -> Handled[AssemblyState]:  # fmt: skip
        loaded = self.assembly(assembly_id)
        public = public_digest(member_id, proxy_id, remote)
        key = context.idempotency_key
        if key is not None:
            first = next((e for e in loaded.envelopes if e.metadata.idempotency_key == key), None)
            if first is not None:
                return self._replay(loaded, first, public, member_id, ballot, context)
        if member_id in loaded.state.voters:
            raise AlreadyVoted(f"member {member_id} has voted already")
        command = CastVote(
            member_id, proxy_id, remote, self.clock.today(), ballot,
            voter_holds_shares=self.holding(member_id).quantity > 0,
            proxy_holds_shares=proxy_id is None or self.holding(proxy_id).quantity > 0,
        )  # fmt: skip
        # Refusals first (no ballot is sealed for a vote the assembly refuses) …
        assembly_decider.decide(command, loaded.state)
        # The kit digests the whole body, ballot included: never let that reach the log.
        digest = None if key is None else f"{public}.{self.tags.tag(assembly_id, key, ballot)}"
        context = dataclasses.replace(context, request_digest=digest)
        token = self.box.seal(assembly_id, member_id, ballot)
        try:
            handled = handle(
                self.store, assembly_stream(assembly_id), assembly_decider, command, context
            )
        except BaseException:
            self.box.discard(token)
            raise
        self.box.confirm(token)  # … and the voter is forgotten once the log holds VoteCast
        return handled

    def _replay(
        self, loaded: Loaded[Assembly], first: Envelope, public: str, member_id: str,
        ballot: Ballot, context: Context,
    ) -> Handled[AssemblyState]:  # fmt: skip
        """The first answer to a retried vote, found in the log; another vote under the same
        key is refused (who or how differs, or the ballot while its tag can be checked)."""
        assembly_id = loaded.state.convened.assembly_id
        stored = first.metadata.request_digest or ""
        stored_public, _, stored_tag = stored.partition(".")
        key = context.idempotency_key or ""
        tag = self.tags.tag(assembly_id, key, ballot, create=False) if stored_tag else None
        if stored_public != public or (tag is not None and tag != stored_tag):
            raise IdempotencyKeyReused(
                "this Idempotency-Key was used for another vote", field="Idempotency-Key"
            )
        self.box.forget_voter(assembly_id, member_id)
        replayed = dataclasses.replace(context, request_digest=first.metadata.request_digest)

        def unreachable(state: AssemblyState) -> CastVote:  # the log holds the first attempt
            raise AlreadyVoted(f"member {member_id} has voted already")

        return handle(self.store, loaded.stream, assembly_decider, unreachable, replayed)

    @staticmethod
    def board_rules(convened: AssemblyConvened, board: Board) -> BoardRules:
        """The quotas of the board after the election: the members continuing through it (not
        those it renews) plus those it elects."""
        held_on = convened.held_on
        rules = governance_on(held_on)
        renews = convened.renewal.renews if convened.renewal else ()
        return BoardRules(
            rules.board_seats, rules.board_min_women, rules.board_min_men,
            rules.board_min_category_a, board.continuing(held_on, renews),
        )  # fmt: skip

    def close(self, assembly_id: str, electorate: int, context: Context) -> Handled[Any]:
        today = self.clock.today()

        def decide(loaded: Sequence[Loaded[Any]]) -> list[list[DomainEvent]]:
            assembly, board = loaded[0].state, loaded[1].state
            if not isinstance(assembly, Assembly):
                raise AssemblyNotFound(f"no assembly {assembly_id}")
            convened = assembly.convened
            held_on = convened.held_on
            ballots = self.box.ballots(assembly_id, assembly.voters)
            command = Close(today, electorate, ballots, self.board_rules(convened, board))
            events = list(assembly_decider.decide(command, assembly))
            counted = next((e for e in events if isinstance(e, BoardElectionCounted)), None)
            if counted is None or convened.election is None:
                return [events, []]
            term_years = governance_on(held_on).board_term_years
            renewal = convened.renewal
            terms = renewal.terms if renewal else ()
            people = {c.member_id: c for c in convened.election.candidates}
            elected = tuple(
                BoardMemberElected(
                    member_id=e.member_id, election_id=counted.election_id,
                    gender=people[e.member_id].gender, category=people[e.member_id].category,
                    starts_on=held_on,
                    ends_on=term_end(held_on, terms[i] if i < len(terms) else term_years),
                )
                for i, e in enumerate(counted.elected)
            )  # fmt: skip
            seated = SeatElected(elected, renewal.renews if renewal else (), held_on)
            return [events, list(board_decider.decide(seated, board))]

        handled, _ = handle_many(
            self.store,
            [
                Part(assembly_stream(assembly_id), assembly_decider),
                Part(BOARD_STREAM, board_decider),
            ],
            decide,
            context,
        )
        self.box.empty(assembly_id)
        self.tags.drop(assembly_id)
        return handled

    def appoint_director(self, member_id: str, context: Context) -> Handled[Board]:
        today = self.clock.today()
        rules = governance_on(today)
        command = AppointDirector(
            member_id, today, rules.managing_director_term_years, rules.managing_director_max_terms
        )
        return handle(self.store, BOARD_STREAM, board_decider, command, context)
