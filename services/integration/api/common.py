"""What every integration router shares: the runtime, who may read, the filter they get."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from services.integration.domain.scope import Narrowed, narrow
from services.integration.feed import scope_for
from services.integration.sse import StreamSettings
from services.integration.webhooks.service import Webhooks
from shared.eventstore.port import EventStore
from shared.http.auth import Principal, PrincipalDep, forbidden
from shared.http.service import blocking

FEED_ROLES = ("admin", "ops", "partner")


@dataclass(frozen=True)
class IntegrationRuntime:
    store: EventStore
    streams: StreamSettings
    webhooks: Webhooks


async def runtime(request: Request) -> IntegrationRuntime:
    found: IntegrationRuntime = request.app.state.integration
    return found


Runtime = Annotated[IntegrationRuntime, Depends(runtime)]


def reader(scope: str) -> Callable[[Principal], Awaitable[Principal]]:
    """Staff, or a partner key holding `scope` (`events:read`, `streams:read`, …)."""

    async def check(principal: PrincipalDep) -> Principal:
        if principal.role not in FEED_ROLES:
            raise forbidden("the event feed is for partner and staff keys")
        if not principal.has_scope(scope):
            raise forbidden(f"this operation needs the scope {scope}")
        return principal

    return check


async def narrowed_for(
    store: EventStore, principal: Principal, categories: list[str], types: list[str]
) -> Narrowed:
    scope = await blocking(scope_for, store, principal)
    return narrow(scope, categories, types)
