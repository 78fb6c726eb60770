"""Command handling for assemblies and the board: convene, vote (sealing the ballot outside
the log), close (the ballots in one batch, the results, the new mandates, in one append),
appoint the managing director."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from services.governance.ballot_box import BallotBox
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
from services.governance.domain.shares import Shareholder, shareholder_decider
from services.governance.ids import BOARD_STREAM, assembly_stream, member_stream, shareholder_stream
from shared.clock import Clock
from shared.events.base import Context, DomainEvent
from shared.events.governance import (
    Ballot,
    BoardElectionCounted,
    BoardMemberElected,
    Candidate,
    Election,
    Resolution,
    ResolutionType,
)
from shared.eventstore.handling import Handled, Loaded, Part, handle, handle_many, load
from shared.eventstore.port import EventStore
from shared.money import format_percent
from shared.parameters_governance import governance_on


@dataclass(frozen=True)
class AgendaItem:
    resolution_id: str
    title: str
    type: ResolutionType


class AssemblyHandlers:
    def __init__(self, store: EventStore, clock: Clock, box: BallotBox) -> None:
        self.store = store
        self.clock = clock
        self.box = box
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
        category = "A" if any(p.category == "A" for p in holder.purchases.values()) else "B"
        return Candidate(member_id=member_id, gender=gender, category=category)

    def convene(
        self, assembly_id: str, title: str, held_on: dt.date, agenda: Sequence[AgendaItem],
        election: tuple[str, int, Sequence[str]] | None, context: Context,
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
        chosen = None
        if election is not None:
            election_id, seats, members = election
            people = tuple(self.candidate(m) for m in dict.fromkeys(members))
            chosen = Election(election_id=election_id, seats=seats, candidates=people)
        command = Convene(
            assembly_id, title, held_on, today, resolutions, chosen, rules.convening_days,
            rules.max_proxies_per_voter,
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
        if member_id in loaded.state.voters:
            raise AlreadyVoted(f"member {member_id} has voted already")
        command = CastVote(
            member_id, proxy_id, remote, self.clock.today(), ballot,
            voter_holds_shares=self.holding(member_id).quantity > 0,
            proxy_holds_shares=proxy_id is None or self.holding(proxy_id).quantity > 0,
        )  # fmt: skip
        # Refusals first (no ballot is sealed for a vote the assembly refuses) …
        assembly_decider.decide(command, loaded.state)
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

    @staticmethod
    def board_rules(held_on: dt.date, continuing: tuple[Candidate, ...]) -> BoardRules:
        rules = governance_on(held_on)
        return BoardRules(
            rules.board_seats, rules.board_min_women, rules.board_min_men,
            rules.board_min_category_a, continuing,
        )  # fmt: skip

    def close(self, assembly_id: str, electorate: int, context: Context) -> Handled[Any]:
        today = self.clock.today()

        def decide(loaded: Sequence[Loaded[Any]]) -> list[list[DomainEvent]]:
            assembly, board = loaded[0].state, loaded[1].state
            if not isinstance(assembly, Assembly):
                raise AssemblyNotFound(f"no assembly {assembly_id}")
            held_on = assembly.convened.held_on
            board_rules = self.board_rules(held_on, board.continuing(held_on))
            term_years = governance_on(held_on).board_term_years
            ballots = self.box.ballots(assembly_id, assembly.voters)
            command = Close(today, electorate, ballots, board_rules)
            events = list(assembly_decider.decide(command, assembly))
            counted = next((e for e in events if isinstance(e, BoardElectionCounted)), None)
            mandates: list[DomainEvent] = []
            if counted is not None and assembly.convened.election is not None:
                people = {c.member_id: c for c in assembly.convened.election.candidates}
                elected = tuple(
                    BoardMemberElected(
                        member_id=e.member_id, election_id=counted.election_id,
                        gender=people[e.member_id].gender, category=people[e.member_id].category,
                        starts_on=held_on, ends_on=term_end(held_on, term_years),
                    )
                    for e in counted.elected
                )  # fmt: skip
                mandates = list(board_decider.decide(SeatElected(elected), board))
            return [events, mandates]

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
        return handled

    def appoint_director(self, member_id: str, context: Context) -> Handled[Board]:
        today = self.clock.today()
        rules = governance_on(today)
        command = AppointDirector(
            member_id, today, rules.managing_director_term_years, rules.managing_director_max_terms
        )
        return handle(self.store, BOARD_STREAM, board_decider, command, context)
