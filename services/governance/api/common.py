"""What every governance router shares: its runtime and the read-your-writes wait."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request

from services.governance.assembly_handlers import AssemblyHandlers
from services.governance.handlers import ShareHandlers
from shared.eventstore.projections import ProjectionRunner
from shared.http.inputs import WholeNumber
from shared.http.problems import ProblemError

Limit = Annotated[WholeNumber, Query(ge=1, le=200)]
Cursor = Annotated[str | None, Query(description="`next_cursor` of the previous page")]
MinPosition = Annotated[
    WholeNumber | None,
    Query(description="Wait (up to 5 s) until the answer includes the write at this position"),
]


@dataclass(frozen=True)
class GovernanceRuntime:
    shares: ShareHandlers
    assemblies: AssemblyHandlers
    views: ProjectionRunner


async def runtime(request: Request) -> GovernanceRuntime:
    found: GovernanceRuntime = request.app.state.governance
    return found


Runtime = Annotated[GovernanceRuntime, Depends(runtime)]


def caught_up(
    views: ProjectionRunner, position: int | None, *, waiting_for: str = "the register"
) -> None:
    """Waits for `position` (the store's head when None): a read that must see every write."""
    head = views.store.head()
    if position is not None and position > head:
        raise ProblemError(
            400, "unknown-position", "Unknown position",
            f"no write has reached position {position}", field="min_position",
        )  # fmt: skip
    target = head if position is None else position
    if not views.wait_for(target, timeout=5.0):
        raise ProblemError(
            503, "projection-behind", "Projection behind",
            f"{waiting_for} has not reached position {target} yet; retry",
            headers={"Retry-After": "1"},
        )  # fmt: skip
