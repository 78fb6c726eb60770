"""The contracts service's composition root."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fastapi import APIRouter, FastAPI

from services.contracts import api
from services.contracts.dimona_gateway import OutboxDimonaGateway
from services.contracts.handlers import ContractsHandlers
from services.contracts.projections import (
    ContractsViews,
    SharesHeld,
    pending_quotes_due,
    share_years,
)
from services.contracts.reactions import DimonaRelay, QuoteExpirySweep
from shared.clock import Clock
from shared.eventstore.port import EventStore
from shared.eventstore.projections import ProjectionRunner
from shared.http.mounting import standalone_app
from shared.http.service import Closing, Component, Readiness
from shared.settings import Settings

# A share bought a moment ago must count: wait this long for the shares view to catch up.
SHARES_FRESHNESS_TIMEOUT = 2.0


@dataclass
class ContractsService:
    """Everything the contracts service runs, ready to be mounted on an app."""

    runtime: api.ContractsRuntime
    routers: list[APIRouter]
    components: list[Component] = field(default_factory=list)
    readiness: list[Readiness] = field(default_factory=list)
    gateway: OutboxDimonaGateway | None = None
    dimona: DimonaRelay | None = None
    expiry: QuoteExpirySweep | None = None


def build(settings: Settings, store: EventStore, clock: Clock) -> ContractsService:
    directory = Path(settings.data_dir) / "contracts"
    directory.mkdir(parents=True, exist_ok=True)
    shares = ProjectionRunner(store, SharesHeld(), directory)
    views = ProjectionRunner(store, ContractsViews(), directory)

    def has_share(member_id: str, year: int) -> bool:
        with shares.read() as conn:
            if year in share_years(conn, member_id):
                return True  # a share once bought stays bought: no need to wait
        # Not seen yet: a share bought a moment ago must count, so catch up first.
        shares.wait_for(store.head(), timeout=SHARES_FRESHNESS_TIMEOUT)
        with shares.read() as conn:
            return year in share_years(conn, member_id)

    handlers = ContractsHandlers(store, clock, has_share, settings.server_secret())
    gateway = OutboxDimonaGateway(directory / "dimona_outbox.sqlite", clock)
    dimona = DimonaRelay(handlers, gateway, directory / "reactions.sqlite")
    expiry = QuoteExpirySweep(handlers, views, pending_quotes_due)
    return ContractsService(
        runtime=api.ContractsRuntime(handlers, views),
        routers=list(api.ROUTERS),
        components=[Closing(gateway), shares, views, dimona, expiry],
        readiness=[shares.status, views.status, dimona.status],
        gateway=gateway,
        dimona=dimona,
        expiry=expiry,
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    return standalone_app("Contracts", "contracts", build, settings)[0]
