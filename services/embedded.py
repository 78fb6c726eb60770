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
from collections.abc import Callable
from dataclasses import dataclass

import uvicorn
from fastapi import FastAPI

from services.billing import app as billing
from services.contracts import app as contracts
from services.governance import app as governance
from services.guarantee_fund import app as guarantee_fund
from services.integration import app as integration
from services.payroll import app as payroll
from services.platform import app as platform
from services.privacy import app as privacy
from shared.background import BackgroundProcess, Component, lower_priority, serve_background
from shared.clock import Clock, clock_from_settings
from shared.eventstore.factory import open_store
from shared.eventstore.port import EventStore
from shared.http.mounting import Mounted
from shared.http.observability import configure_logging
from shared.http.service import Closing, create_service_app
from shared.personal import install_vault
from shared.settings import Settings

# Each service by the name its runtime has on `app.state` (and `<name>_service` for itself).
BUILDERS: dict[str, Callable[[Settings, EventStore, Clock], Mounted]] = {
    "contracts": contracts.build,
    "billing": billing.build,
    "guarantee_fund": guarantee_fund.build,
    "payroll": payroll.build,
    "governance": governance.build,
    "integration": integration.build,
    "privacy": privacy.build,
}


@dataclass
class Services:
    store: EventStore
    clock: Clock
    mounted: dict[str, Mounted]

    @property
    def components(self) -> list[Component]:
        return [Closing(self.store), *(c for s in self.mounted.values() for c in s.components)]


def build(settings: Settings) -> Services:
    store = open_store(settings.event_store)
    install_vault(settings.keystore_path)
    clock = clock_from_settings(settings, store)
    mounted = {name: make(settings, store, clock) for name, make in BUILDERS.items()}
    return Services(store, clock, mounted)


def create_app(
    settings: Settings | None = None, background: BackgroundProcess | None = None
) -> FastAPI:
    settings = settings or Settings.from_env()
    services = build(settings)
    mounted = services.mounted
    app = create_service_app(
        title="Cooperative back office",
        settings=settings,
        store=services.store,
        clock=services.clock,
        routers=[*platform.routers(), *(r for s in mounted.values() for r in s.routers)],
        components=services.components,
        readiness=[check for s in mounted.values() for check in s.readiness],
        state={
            **{name: service.runtime for name, service in mounted.items()},
            **{f"{name}_service": service for name, service in mounted.items()},
        },
        background=background,
    )
    fund = mounted["guarantee_fund"]
    if isinstance(fund, guarantee_fund.FundService):
        app.state.metrics.registry.register(fund.alerts)
    return app


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
        lower_priority(settings.background_nice)  # before any component starts a thread
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
