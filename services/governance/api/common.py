"""What every governance router shares: its runtime and the read-your-writes wait."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from services.governance.assembly_handlers import AssemblyHandlers
from services.governance.handlers import ShareHandlers
from shared.eventstore.projections import ProjectionRunner
from shared.http.problems import ProblemError


@dataclass(frozen=True)
class GovernanceRuntime:
    shares: ShareHandlers
    assemblies: AssemblyHandlers
    views: ProjectionRunner


async def runtime(request: Request) -> GovernanceRuntime:
    found: GovernanceRuntime = request.app.state.governance
    return found


Runtime = Annotated[GovernanceRuntime, Depends(runtime)]


def caught_up(views: ProjectionRunner, position: int | None) -> None:
    """Waits for `position` (the store's head when None): a read that must see every write."""
    target = views.store.head() if position is None else position
    if not views.wait_for(target, timeout=5.0):
        raise ProblemError(
            503, "projection-behind", "Projection behind",
            f"the register has not reached position {target} yet; retry",
            headers={"Retry-After": "1"},
        )  # fmt: skip
