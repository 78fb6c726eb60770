"""General assemblies (`/v1/assemblies`): convened by the board (staff), listed, votes by the
shareholders (their own, or a proxy's), closed with the results; anyone may recount."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from services.governance import queries, schemas
from services.governance.api.common import Cursor, Limit, MinPosition, Runtime, caught_up
from services.governance.assembly_handlers import AgendaItem, ElectionRequest
from services.governance.domain.assembly import Assembly
from services.governance.domain.counting import count_election, tally
from services.governance.ids import creation_id
from shared.events.governance import Ballot
from shared.http.auth import PrincipalDep, StaffDep, forbidden
from shared.http.inputs import IsoDate, PathId
from shared.http.service import ContextDep

assemblies = APIRouter(prefix="/v1/assemblies", tags=["assemblies"])


def assembly_body(state: Assembly) -> dict[str, Any]:
    convened = state.convened
    election = convened.election
    renewal = convened.renewal
    return {
        "assembly_id": convened.assembly_id,
        "kind": convened.kind,
        "title": convened.title,
        "held_on": convened.held_on.isoformat(),
        "convened_on": convened.convened_on.isoformat(),
        "resolutions": [r.model_dump() for r in convened.resolutions],
        "election": election.model_dump() if election else None,
        "board_renewal": renewal.model_dump(mode="json") if renewal else None,
        "voters": len(state.voters),
        "electorate": state.closed.electorate if state.closed else None,
        "results": [r.model_dump(exclude={"assembly_id"}) for r in state.results],
        "board_election": state.election.model_dump(mode="json") if state.election else None,
        "closed_on": state.closed.closed_on.isoformat() if state.closed else None,
    }


@assemblies.post("", status_code=201)
def convene_assembly(
    body: schemas.AssemblyIn, staff: StaffDep, runtime: Runtime, context: ContextDep,
    response: Response,
) -> dict[str, Any]:  # fmt: skip
    assembly_id = creation_id("G", context)
    agenda = [AgendaItem(r.resolution_id, r.title, r.type) for r in body.resolutions]
    election = None
    if body.election is not None:
        chosen = body.election
        election = ElectionRequest(chosen.election_id, chosen.seats, chosen.candidates)
    handled = runtime.assemblies.convene(
        assembly_id, body.title, body.held_on, agenda, election, context, kind=body.kind
    )
    if handled.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    state = runtime.assemblies.assembly(assembly_id).state
    return assembly_body(state) | {"position": handled.position}


@assemblies.get("")
def list_assemblies(
    principal: PrincipalDep, runtime: Runtime,
    status: Literal["convened", "closed"] | None = None,
    from_: Annotated[IsoDate | None, Query(alias="from")] = None,
    to: IsoDate | None = None, limit: Limit = 50, cursor: Cursor = None,
    min_position: MinPosition = None,
) -> dict[str, Any]:  # fmt: skip
    """Assemblies held within [from, to], in the order they were convened, with their turnout
    (voters of the electorate) and how many resolutions were adopted."""
    if min_position is not None:
        caught_up(runtime.views, min_position, waiting_for="the list")
    with runtime.views.read() as conn:
        items, next_cursor = queries.assemblies_page(
            conn, status=status, first=from_, last=to, cursor=cursor, limit=limit
        )
    return {"items": items, "next_cursor": next_cursor}


@assemblies.get("/{assembly_id}")
def get_assembly(assembly_id: PathId, principal: PrincipalDep, runtime: Runtime) -> dict[str, Any]:
    return assembly_body(runtime.assemblies.assembly(assembly_id).state)


@assemblies.post("/{assembly_id}/votes", status_code=201)
def cast_vote(
    assembly_id: PathId, body: schemas.VoteIn, principal: PrincipalDep, runtime: Runtime,
    context: ContextDep, response: Response,
) -> dict[str, Any]:  # fmt: skip
    """A member key votes for its member, or as `proxy_id` for another; staff record the
    paper ballots of the room. The answer says the vote counts, never what it was. A retry
    with the same Idempotency-Key and body gets the first answer; another vote under that key
    is refused (422 idempotency-key-reused)."""
    caster = body.proxy_id or body.member_id
    if not principal.can_see_member(caster):
        raise forbidden("a member key votes for itself or as the proxy it holds")
    ballot = Ballot(
        choices=tuple(sorted(body.choices.items())), candidates=tuple(sorted(body.candidates))
    )
    # The handler keeps the ballot off the log: VoteCast's metadata gets no digest of it.
    handled = runtime.assemblies.vote(
        assembly_id, body.member_id, body.proxy_id, body.channel == "remote", ballot, context
    )
    if handled.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return {"assembly_id": assembly_id, "member_id": body.member_id, "recorded": True,
            "position": handled.position}  # fmt: skip


@assemblies.post("/{assembly_id}/close")
def close_assembly(
    assembly_id: PathId, staff: StaffDep, runtime: Runtime, context: ContextDep
) -> dict[str, Any]:
    """Opens the ballot box: every ballot in one batch, then the results."""
    held_on = runtime.assemblies.assembly(assembly_id).state.convened.held_on
    caught_up(runtime.views, None)
    with runtime.views.read() as conn:
        electorate = queries.shareholders_on(conn, held_on)
    handled = runtime.assemblies.close(assembly_id, electorate, context)
    return assembly_body(runtime.assemblies.assembly(assembly_id).state) | {
        "position": handled.position
    }


@assemblies.get("/{assembly_id}/recount")
def recount(assembly_id: PathId, principal: PrincipalDep, runtime: Runtime) -> dict[str, Any]:
    """The results counted again from the ballots in the log, beside the published ones."""
    state = runtime.assemblies.assembly(assembly_id).state
    opened = state.opened
    if opened is None:
        return {"assembly_id": assembly_id, "recounted": None, "matches": None}
    resolutions = [
        tally(assembly_id, r, opened.ballots, opened.electorate) for r in state.convened.resolutions
    ]
    recounted: dict[str, Any] = {"results": [r.model_dump() for r in resolutions]}
    matches = tuple(resolutions) == state.results
    election = state.convened.election
    if election is not None and state.election is not None:
        board = runtime.assemblies.board().state
        rules = runtime.assemblies.board_rules(state.convened, board)
        counted = count_election(assembly_id, election, opened.ballots, rules)
        recounted["board_election"] = counted.model_dump(mode="json")
        matches = matches and counted == state.election
    return {"assembly_id": assembly_id, "recounted": recounted, "matches": matches}
