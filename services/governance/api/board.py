"""The board (`/v1/board`): its composition on any day, the mandates ending soon, and the
managing director the board appoints from its members."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.governance import schemas
from services.governance.api.common import Runtime
from services.governance.domain.board import Board
from shared.http.auth import PrincipalDep, StaffDep
from shared.http.inputs import IsoDate, WholeNumber
from shared.http.service import ContextDep

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
        {"member_id": m.member_id, "mandate": "board", "ends_on": m.ends_on.isoformat()}
        for m in state.mandates
        if today <= m.ends_on <= until
    ] + [
        {"member_id": d.member_id, "mandate": "managing_director", "ends_on": d.ends_on.isoformat()}
        for d in state.directors
        if today <= d.ends_on <= until
    ]
    return {"from": today.isoformat(), "until": until.isoformat(), "items": ending}


@board.post("/managing-director")
def appoint_managing_director(
    body: schemas.DirectorIn, staff: StaffDep, runtime: Runtime, context: ContextDep
) -> dict[str, Any]:
    """Records the board's appointment (a first term, or the one renewal)."""
    handled = runtime.assemblies.appoint_director(body.member_id, context)
    return composition(handled.state, runtime.assemblies.clock.today()) | {
        "position": handled.position
    }
