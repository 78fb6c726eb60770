"""`PUT|GET /v1/events/scopes/{key_id}`: which categories and types a partner key may read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field

from services.integration.api.common import Runtime
from services.integration.domain.scope import check_grant
from services.integration.domain.webhook import Grant, grant_decider
from services.integration.feed import granted, scope_stream
from shared.decider import NotFound
from shared.events.integration import FeedScopeGranted
from shared.eventstore.handling import handle
from shared.http.auth import AdminDep, is_key_id
from shared.http.service import ContextDep, blocking

router = APIRouter(tags=["event feed"])
Name = Annotated[str, Field(min_length=1, max_length=64)]


class FeedScope(BaseModel):
    categories: list[Name] = Field(min_length=1, max_length=100)
    types: list[Name] = Field(default=[], max_length=200, description="Empty: every type")
    personal_data: bool = False


class ScopeNotFound(NotFound):
    code = "scope-not-found"


def _checked_key_id(key_id: str) -> str:
    if not is_key_id(key_id):
        raise ScopeNotFound(f"no key {key_id[:40]!r}", field="key_id")
    return key_id


@router.put("/v1/events/scopes/{key_id}")
async def grant_feed_scope(
    runtime: Runtime, principal: AdminDep, key_id: str, body: FeedScope, context: ContextDep
) -> FeedScope:
    """What the partner key `key_id` may read from now on (admin)."""
    check_grant(body.categories, body.types)
    grant = FeedScopeGranted(
        key_id=_checked_key_id(key_id),
        categories=sorted(set(body.categories)),
        types=sorted(set(body.types)),
        personal_data=body.personal_data,
    )
    stream = scope_stream(key_id)
    await blocking(handle, runtime.store, stream, grant_decider, Grant(grant), context)
    return FeedScope(categories=grant.categories, types=grant.types,
                     personal_data=grant.personal_data)  # fmt: skip


@router.get("/v1/events/scopes/{key_id}")
async def get_feed_scope(runtime: Runtime, principal: AdminDep, key_id: str) -> FeedScope:
    found = await blocking(granted, runtime.store, _checked_key_id(key_id))
    if found is None:
        raise ScopeNotFound(f"key {key_id} has no feed scope", field="key_id")
    return FeedScope(categories=found.categories, types=found.types,
                     personal_data=found.personal_data)  # fmt: skip
