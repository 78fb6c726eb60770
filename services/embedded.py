"""The embedded default: every service on one port, over one SQLite event store.

Each service keeps its own composition root; this module only puts their routers, background
components and readiness checks side by side (their paths never overlap).

`python -m services.embedded` serves HTTP and, unless `COOP_BACKGROUND=inline`, starts
`python -m services.embedded --background` beside it: the same services, their projections,
reactions and schedulers running for real, no HTTP (see `shared.background`).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

import uvicorn
from fastapi import FastAPI

from services.billing import app as billing
from services.contracts import app as contracts
from services.integration import app as integration
from services.platform import app as platform
from shared.background import BackgroundProcess, Component, serve_background
from shared.clock import Clock, clock_from_settings
from shared.eventstore.factory import open_store
from shared.eventstore.port import EventStore
from shared.http.observability import configure_logging
from shared.http.service import Closing, create_service_app
from shared.settings import Settings


@dataclass
class Services:
    store: EventStore
    clock: Clock
    contracts: contracts.ContractsService
    billing: billing.BillingService
    integration: integration.IntegrationService

    @property
    def components(self) -> list[Component]:
        return [
            Closing(self.store),
            *self.contracts.components,
            *self.billing.components,
            *self.integration.components,
        ]


def build(settings: Settings) -> Services:
    store = open_store(settings.event_store)
    clock = clock_from_settings(settings, store)
    return Services(
        store,
        clock,
        contracts.build(settings, store, clock),
        billing.build(settings, store, clock),
        integration.build(settings, store, clock),
    )


def create_app(
    settings: Settings | None = None, background: BackgroundProcess | None = None
) -> FastAPI:
    settings = settings or Settings.from_env()
    services = build(settings)
    return create_service_app(
        title="Cooperative back office",
        settings=settings,
        store=services.store,
        clock=services.clock,
        routers=[
            *platform.routers(),
            *services.contracts.routers,
            *services.billing.routers,
            *services.integration.routers,
        ],
        components=services.components,
        readiness=[
            *services.contracts.readiness,
            *services.billing.readiness,
            *services.integration.readiness,
        ],
        state={
            "contracts": services.contracts.runtime,
            "contracts_service": services.contracts,
            "billing": services.billing.runtime,
            "billing_service": services.billing,
            "integration": services.integration.runtime,
            "integration_service": services.integration,
        },
        background=background,
    )


def background_process(settings: Settings) -> BackgroundProcess:
    # The child reads the same environment; a generated admin key must be the same one.
    environment = {**os.environ, "COOP_ADMIN_KEY": settings.admin_key}
    return BackgroundProcess(
        [sys.executable, "-m", "services.embedded", "--background"], environment
    )


def main(argv: list[str] | None = None) -> None:
    arguments = sys.argv[1:] if argv is None else argv
    settings = Settings.from_env()
    configure_logging()
    if arguments == ["--background"]:
        serve_background(build(settings).components, settings.data_dir)
        return
    background = background_process(settings) if settings.background == "process" else None
    uvicorn.run(
        create_app(settings, background),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
    )


if __name__ == "__main__":
    main()
