"""`/v1/webhooks`: subscribe, list, read one, replay from a position."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from services.integration.api.common import Runtime, narrowed_for, reader
from services.integration.webhooks.service import WebhookView
from shared.http.auth import Principal
from shared.http.service import ContextDep, blocking

router = APIRouter(tags=["webhooks"])
Manager = Annotated[Principal, Depends(reader("webhooks:manage"))]
Name = Annotated[str, Field(min_length=1, max_length=64)]


class NewWebhook(BaseModel):
    url: str = Field(max_length=2000)
    types: list[Name] = Field(default=[], max_length=50)
    categories: list[Name] = Field(default=[], max_length=50)
    secret: str = Field(max_length=200, description="whsec_<base64 of 24 to 64 bytes>")
    after: int | None = Field(default=None, ge=0, le=10**18 - 1, description="Start after")


class Replay(BaseModel):
    after: int = Field(ge=0, le=10**18 - 1, description="Deliver the events after this position")


class WebhookList(BaseModel):
    webhooks: list[WebhookView]


@router.post("/v1/webhooks", status_code=201)
async def create_webhook(
    runtime: Runtime, principal: Manager, body: NewWebhook, context: ContextDep
) -> WebhookView:
    """Deliveries in order, signed (Standard Webhooks), retried, parked after N failures."""
    narrowed = await narrowed_for(runtime.store, principal, body.categories, body.types)
    return await blocking(
        runtime.webhooks.subscribe, principal, body.url, narrowed, body.secret, context, body.after
    )


@router.get("/v1/webhooks")
async def list_webhooks(runtime: Runtime, principal: Manager) -> WebhookList:
    return WebhookList(webhooks=await blocking(runtime.webhooks.list, principal))


@router.get("/v1/webhooks/{webhook_id}")
async def get_webhook(runtime: Runtime, principal: Manager, webhook_id: str) -> WebhookView:
    return await blocking(runtime.webhooks.get, principal, webhook_id)


@router.post("/v1/webhooks/{webhook_id}/replay")
async def replay_webhook(
    runtime: Runtime, principal: Manager, webhook_id: str, body: Replay, context: ContextDep
) -> WebhookView:
    """Resume a parked webhook (or re-deliver an active one) from a position."""
    return await blocking(runtime.webhooks.replay, principal, webhook_id, body.after, context)
