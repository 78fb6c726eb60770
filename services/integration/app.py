"""The integration service's composition root: the feed, its SSE stream and webhooks."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fastapi import APIRouter, FastAPI

from services.integration import api
from services.integration.sse import StreamSettings
from services.integration.webhooks.config import WebhookConfig
from services.integration.webhooks.delivery import Dispatcher
from services.integration.webhooks.progress import ProgressStore
from services.integration.webhooks.service import Webhooks
from shared.clock import Clock
from shared.eventstore.port import EventStore
from shared.http.mounting import standalone_app
from shared.http.service import Component, Readiness
from shared.ops.sealer import ChainSealer
from shared.settings import Settings


@dataclass
class IntegrationService:
    runtime: api.IntegrationRuntime
    routers: list[APIRouter]
    dispatcher: Dispatcher
    sealer: ChainSealer
    components: list[Component] = field(default_factory=list)
    readiness: list[Readiness] = field(default_factory=list)


def build(
    settings: Settings,
    store: EventStore,
    clock: Clock,
    *,
    webhooks: WebhookConfig | None = None,
    streams: StreamSettings | None = None,
) -> IntegrationService:
    directory = Path(settings.data_dir) / "integration"
    directory.mkdir(parents=True, exist_ok=True)
    config = webhooks or WebhookConfig.from_env()
    progress_path = directory / "webhooks.sqlite"
    dispatcher = Dispatcher(store, clock, config, ProgressStore(progress_path))
    runtime = api.IntegrationRuntime(
        store, streams or StreamSettings(), Webhooks(store, config, ProgressStore(progress_path))
    )
    # The hash chain's ledger and its seals (`python -m shared.ops verify` checks them).
    sealer = ChainSealer(store, Path(settings.data_dir) / "ops" / "chain.sqlite")
    return IntegrationService(
        runtime=runtime,
        routers=list(api.ROUTERS),
        dispatcher=dispatcher,
        sealer=sealer,
        components=[dispatcher, sealer],
        readiness=[dispatcher.status, sealer.status],
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    return standalone_app("Integration", "integration", build, settings)[0]
