"""The embedded default: every service on one port, over one SQLite event store.

Each service keeps its own composition root; this module only puts their routers, background
components and readiness checks side by side (their paths never overlap).
"""

from __future__ import annotations

import uvicorn
from fastapi import FastAPI

from services.billing import app as billing
from services.contracts import app as contracts
from services.platform import app as platform
from shared.clock import clock_from_settings
from shared.eventstore.factory import open_store
from shared.http.observability import configure_logging
from shared.http.service import Closing, create_service_app
from shared.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    store = open_store(settings.event_store)
    clock = clock_from_settings(settings, store)
    contracts_service = contracts.build(settings, store, clock)
    billing_service = billing.build(settings, store, clock)
    return create_service_app(
        title="Cooperative back office",
        settings=settings,
        store=store,
        clock=clock,
        routers=[*platform.routers(), *contracts_service.routers, *billing_service.routers],
        components=[Closing(store), *contracts_service.components, *billing_service.components],
        readiness=[*contracts_service.readiness, *billing_service.readiness],
        state={
            "contracts": contracts_service.runtime,
            "contracts_service": contracts_service,
            "billing": billing_service.runtime,
            "billing_service": billing_service,
        },
    )


def main() -> None:
    settings = Settings.from_env()
    configure_logging()
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
    )


if __name__ == "__main__":
    main()
