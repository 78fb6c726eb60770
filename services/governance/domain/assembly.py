"""The general assembly (stream `assembly-<assembly_id>`): convened, votes recorded, closed.

One person, one vote among the shareholders on the assembly date. A vote is cast remotely
before the assembly day, or on that day in person or through a proxy (a shareholder holding at
most the configured number of proxies). The log records who voted (VoteCast), never what:
the ballot itself waits sealed in the ballot box (outside the log) and is appended at the close
with every other ballot as one BallotsOpened, sorted canonically, so neither its content, its
position nor its time links it to a voter. The results follow in the same append.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import assert_never

from services.governance.domain.counting import BoardRules, count_election, tally
from shared.decider import Conflict, Decider, DomainError
from shared.events.base import DomainEvent
from shared.events.governance import (
    AssemblyClosed,
    AssemblyConvened,
    Ballot,
    BallotsOpened,
    BoardElectionCounted,
    BoardRenewal,
    Election,
    Resolution,
    ResolutionDecided,
    VoteCast,
)


class ConveningTooLate(DomainError):
    code = "convening-period"


class AssemblyNotFound(DomainError):
    code = "assembly-not-found"
    status = 404


class AssemblyClosedAlready(Conflict):
    code = "assembly-closed"


class AlreadyVoted(Conflict):
    code = "already-voted"


class NotAShareholder(DomainError):
    code = "not-a-shareholder"


class VoteRefused(DomainError):
    code = "vote-refused"


class TooManyProxies(DomainError):
    code = "too-many-proxies"


class BallotBoxMismatch(Conflict):
    code = "ballot-box-mismatch"


class RenewalMismatch(DomainError):
    code = "board-renewal-mismatch"


@dataclass(frozen=True)
class NoAssembly:
    pass


@dataclass(frozen=True)
class Assembly:
    convened: AssemblyConvened
    voters: frozenset[str] = frozenset()
    proxies: dict[str, int] = field(default_factory=dict)  # proxy holder → votes carried
    opened: BallotsOpened | None = None
    results: tuple[ResolutionDecided, ...] = ()
    election: BoardElectionCounted | None = None
    closed: AssemblyClosed | None = None


AssemblyState = NoAssembly | Assembly


@dataclass(frozen=True)
class Convene:
    assembly_id: str
    title: str
    held_on: dt.date
    today: dt.date
    resolutions: tuple[Resolution, ...]
    election: Election | None
    convening_days: int
    max_proxies_per_voter: int
    kind: str = "ordinary"  # "ordinary" | "extraordinary"
    renewal: BoardRenewal | None = None


@dataclass(frozen=True)
class CastVote:
    member_id: str
    proxy_id: str | None
    remote: bool
    today: dt.date
    ballot: Ballot
    voter_holds_shares: bool
    proxy_holds_shares: bool = True


@dataclass(frozen=True)
class Close:
    today: dt.date
    electorate: int
    ballots: tuple[Ballot, ...]
    board: BoardRules | None = None


AssemblyCommand = Convene | CastVote | Close


def convene(command: Convene, state: AssemblyState) -> list[DomainEvent]:
    if isinstance(state, Assembly):
        return []
    if (command.held_on - command.today).days < command.convening_days:
        raise ConveningTooLate(
            f"an assembly is convened at least {command.convening_days} days ahead",
            field="held_on",
        )
    renewal = command.renewal
    if renewal is not None and (command.election is None or command.kind != "ordinary"
                                or command.election.seats != len(renewal.terms)):  # fmt: skip
        raise RenewalMismatch("an ordinary assembly renews the board with a term per seat",
                              field="election")  # fmt: skip
    return [
        AssemblyConvened(
            assembly_id=command.assembly_id, title=command.title, held_on=command.held_on,
            convened_on=command.today, resolutions=command.resolutions,
            election=command.election, max_proxies_per_voter=command.max_proxies_per_voter,
            kind="extraordinary" if command.kind == "extraordinary" else "ordinary",
            renewal=command.renewal,
        )
    ]  # fmt: skip


def check_ballot(ballot: Ballot, convened: AssemblyConvened) -> None:
    known = {r.resolution_id for r in convened.resolutions}
    given = [resolution for resolution, _ in ballot.choices]
    if len(set(given)) != len(given) or not set(given) <= known:
        raise VoteRefused("one choice per resolution of the agenda", field="choices")
    election = convened.election
    if ballot.candidates:
        allowed = {c.member_id for c in election.candidates} if election else set()
        if len(set(ballot.candidates)) != len(ballot.candidates):
            raise VoteRefused("a candidate once per ballot", field="candidates")
        if not set(ballot.candidates) <= allowed:
            raise VoteRefused("only the election's candidates", field="candidates")
        if election is not None and len(ballot.candidates) > election.seats:
            raise VoteRefused(f"at most {election.seats} candidates", field="candidates")


def cast(command: CastVote, state: Assembly) -> list[DomainEvent]:
    held_on = state.convened.held_on
    if command.member_id in state.voters:
        raise AlreadyVoted(f"member {command.member_id} has voted already")
    if not command.voter_holds_shares:
        raise NotAShareholder("only shareholders vote", field="member_id")
    if command.remote and command.today >= held_on:
        raise VoteRefused("remote votes are cast before the assembly day")
    if not command.remote and command.today != held_on:
        raise VoteRefused(f"votes in person are cast on {held_on}")
    proxy = command.proxy_id
    if proxy is not None:
        if proxy == command.member_id or not command.proxy_holds_shares:
            raise VoteRefused("a proxy is another shareholder", field="proxy_id")
        if state.proxies.get(proxy, 0) >= state.convened.max_proxies_per_voter:
            raise TooManyProxies(
                f"a shareholder holds at most {state.convened.max_proxies_per_voter} proxies"
            )
    check_ballot(command.ballot, state.convened)
    return [
        VoteCast(
            assembly_id=state.convened.assembly_id, member_id=command.member_id,
            proxy_id=proxy, channel="remote" if command.remote else "in_person",
        )
    ]  # fmt: skip


def close(command: Close, state: Assembly) -> list[DomainEvent]:
    convened = state.convened
    if command.today < convened.held_on:
        raise VoteRefused(f"the assembly is held on {convened.held_on}")
    if len(command.ballots) != len(state.voters):
        raise BallotBoxMismatch(
            f"{len(command.ballots)} ballots sealed for {len(state.voters)} voters"
        )
    ballots = tuple(sorted(command.ballots, key=lambda b: b.model_dump_json()))
    assembly_id = convened.assembly_id
    events: list[DomainEvent] = [
        BallotsOpened(
            assembly_id=assembly_id, ballots=ballots, voters=len(ballots),
            electorate=command.electorate,
        )
    ]  # fmt: skip
    events.extend(tally(assembly_id, r, ballots, command.electorate) for r in convened.resolutions)
    if convened.election is not None and command.board is not None:
        events.append(count_election(assembly_id, convened.election, ballots, command.board))
    events.append(
        AssemblyClosed(
            assembly_id=assembly_id, closed_on=command.today, voters=len(ballots),
            electorate=command.electorate,
        )
    )  # fmt: skip
    return events


def decide(command: AssemblyCommand, state: AssemblyState) -> Sequence[DomainEvent]:
    if isinstance(command, Convene):
        return convene(command, state)
    if not isinstance(state, Assembly):
        raise AssemblyNotFound("no such assembly")
    if state.closed is not None:
        if isinstance(command, Close):
            return []
        raise AssemblyClosedAlready(f"the assembly closed on {state.closed.closed_on}")
    match command:
        case CastVote():
            return cast(command, state)
        case Close():
            return close(command, state)
        case _:
            assert_never(command)


def evolve(state: AssemblyState, event: DomainEvent) -> AssemblyState:
    if isinstance(event, AssemblyConvened):
        return Assembly(event)
    if not isinstance(state, Assembly):
        return state
    replace = dataclasses.replace
    match event:
        case VoteCast():
            proxies = dict(state.proxies)
            if event.proxy_id is not None:
                proxies[event.proxy_id] = proxies.get(event.proxy_id, 0) + 1
            return replace(state, voters=state.voters | {event.member_id}, proxies=proxies)
        case BallotsOpened():
            return replace(state, opened=event)
        case ResolutionDecided():
            return replace(state, results=(*state.results, event))
        case BoardElectionCounted():
            return replace(state, election=event)
        case AssemblyClosed():
            return replace(state, closed=event)
    return state


assembly_decider: Decider[AssemblyCommand, AssemblyState] = Decider(NoAssembly, decide, evolve)
