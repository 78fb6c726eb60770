"""What every privacy router shares: its runtime and who may see which member's data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from services.privacy.domain.erasure import MemberNotFound
from services.privacy.handlers import PrivacyHandlers
from services.privacy.retention import Retention
from shared.eventstore.projections import ProjectionRunner
from shared.http.auth import Principal
from shared.http.problems import ProblemError


@dataclass(frozen=True)
class PrivacyRuntime:
    handlers: PrivacyHandlers
    retention: Retention
    index: ProjectionRunner


async def runtime(request: Request) -> PrivacyRuntime:
    found: PrivacyRuntime = request.app.state.privacy
    return found


Runtime = Annotated[PrivacyRuntime, Depends(runtime)]


def visible(principal: Principal, member_id: str) -> None:
    """Staff see any member, a member key its own; any other answers 404, as if the member
    did not exist."""
    if not principal.can_see_member(member_id):
        raise MemberNotFound(f"no member {member_id}")


def visible_member(runtime: PrivacyRuntime, principal: Principal, member_id: str) -> None:
    """`visible`, and registered (a member nobody registered answers the same 404)."""
    visible(principal, member_id)
    if not runtime.retention.is_member(member_id):
        raise MemberNotFound(f"no member {member_id}")


def behind(what: str) -> ProblemError:
    return ProblemError(
        503, "projection-behind", "Projection behind",
        f"{what} has not caught up with the log yet; retry", headers={"Retry-After": "1"},
    )  # fmt: skip
