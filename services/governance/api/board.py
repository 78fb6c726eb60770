"""The board (`/v1/board`): its composition on any day, the mandates ending soon, the seats
the next ordinary assembly renews, and the managing director the board appoints from its
members."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.governance import queries, schemas
from services.governance.api.common import Runtime, caught_up
from services.governance.domain.board import Board
from services.governance.domain.counting import BoardRules, quota_needs
from services.governance.domain.renewal import RenewalPlan
from shared.http.auth import PrincipalDep, StaffDep
from shared.http.inputs import IsoDate, WholeNumber
from shared.http.service import ContextDep
from shared.parameters_governance import governance_on

board = APIRouter(prefix="/v1/board", tags=["board"])


def composition(state: Board, day: dt.date) -> dict[str, Any]:
    director = state.director(day)
    return {
        "as_of": day.isoformat(),
        "members": [m.model_dump(mode="json") for m in state.sitting(day)],
        "managing_director": director.model_dump(mode="json") if director else None,
        "chair": director.member_id if director else None,
    }


@board.get("")
def board_composition(
    principal: PrincipalDep, runtime: Runtime, as_of: Annotated[IsoDate | None, Query()] = None
) -> dict[str, Any]:
    day = as_of or runtime.assemblies.clock.today()
    return composition(runtime.assemblies.board().state, day)


@board.get("/mandates-ending")
def mandates_ending(
    principal: PrincipalDep, runtime: Runtime,
    within_days: Annotated[WholeNumber, Query(ge=1, le=3660)] = 365,
) -> dict[str, Any]:  # fmt: skip
    """Board and managing-director mandates ending from today to `within_days` ahead."""
    today = runtime.assemblies.clock.today()
    until = today + dt.timedelta(days=within_days)
    state = runtime.assemblies.board().state
    ending = [
        {"member_id": m.member_id, "mandate": "board", "ends_on": state.ends_on(m).isoformat()}
        for m in state.mandates
        if today <= state.ends_on(m) <= until
    ] + [
        {"member_id": d.member_id, "mandate": "managing_director", "ends_on": d.ends_on.isoformat()}
        for d in state.directors
        if today <= d.ends_on <= until
    ]
    return {"from": today.isoformat(), "until": until.isoformat(), "items": ending}


def _statutory_day(today: dt.date) -> dt.date:
    month, day = governance_on(today).ordinary_assembly_month_day
    this_year = dt.date(today.year, month, day)
    return this_year if this_year >= today else dt.date(today.year + 1, month, day)


def renewal_body(plan: RenewalPlan, board: Board) -> dict[str, Any]:
    rules = governance_on(plan.held_on)
    continuing = board.continuing(plan.held_on, plan.renews)
    board_rules = BoardRules(
        rules.board_seats, rules.board_min_women, rules.board_min_men,
        rules.board_min_category_a, continuing,
    )  # fmt: skip
    needs = quota_needs(board_rules, plan.seats)
    return {
        "seats": plan.seats,
        "terms": list(plan.terms),
        "ending": [
            {
                "member_id": m.member_id,
                "election_id": m.election_id,
                "ends_on": board.ends_on(m).isoformat(),
            }
            for m in plan.ending
        ],
        "vacant_seats": plan.vacant,
        "continuing": [m.model_dump(mode="json") for m in plan.continuing],
        "quotas": {
            quota: {"required": required, "continuing": held, "to_elect": max(0, required - held)}
            for quota, (required, held) in needs.items()
        },
    }


@board.get("/renewal")
def next_renewal(
    principal: PrincipalDep, runtime: Runtime, on: Annotated[IsoDate | None, Query()] = None
) -> dict[str, Any]:
    """The seats the next ordinary assembly renews (or one held `on` that day): the mandates
    ending there, the seats vacant, each seat's term, and what the quotas ask of the board
    after the election, sitting members included."""
    today = runtime.assemblies.clock.today()
    assembly = None
    if on is None:
        caught_up(runtime.views, None, waiting_for="the assembly list")
        with runtime.views.read() as conn:
            assembly = queries.next_ordinary_assembly(conn, today)
    day = on or (dt.date.fromisoformat(assembly["held_on"]) if assembly else None)
    day = day or _statutory_day(today)
    board_state = runtime.assemblies.board().state
    plan = runtime.assemblies.renewal(day, board_state)
    source = "given" if on else ("convened" if assembly else "statutes")
    return {
        "held_on": day.isoformat(), "source": source,
        "assembly_id": assembly["assembly_id"] if assembly else None,
    } | renewal_body(plan, board_state)  # fmt: skip


@board.post("/managing-director")
def appoint_managing_director(
    body: schemas.DirectorIn, staff: StaffDep, runtime: Runtime, context: ContextDep
) -> dict[str, Any]:
    """Records the board's appointment (a first term, or the one renewal)."""
    handled = runtime.assemblies.appoint_director(body.member_id, context)
    return composition(handled.state, runtime.assemblies.clock.today()) | {
        "position": handled.position
    }
