"""The governance service's composition root."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fastapi import APIRouter, FastAPI

from services.governance import api
from services.governance.assembly_handlers import AssemblyHandlers
from services.governance.ballot_box import BallotBox
from services.governance.handlers import ShareHandlers
from services.governance.projections import ShareViews
from services.governance.reactions import HolderDetailsPolicy, SharePaymentPolicy
from shared.clock import Clock
from shared.eventstore.port import EventStore
from shared.eventstore.projections import ProjectionRunner
from shared.http.mounting import standalone_app
from shared.http.service import Component, Readiness
from shared.settings import Settings


@dataclass
class GovernanceService:
    runtime: api.GovernanceRuntime
    routers: list[APIRouter]
    payments: SharePaymentPolicy
    details: HolderDetailsPolicy
    components: list[Component] = field(default_factory=list)
    readiness: list[Readiness] = field(default_factory=list)


def build(settings: Settings, store: EventStore, clock: Clock) -> GovernanceService:
    directory = Path(settings.data_dir) / "governance"
    directory.mkdir(parents=True, exist_ok=True)
    views = ProjectionRunner(store, ShareViews(), directory)
    shares = ShareHandlers(store, clock)
    payments = SharePaymentPolicy(shares, directory / "reactions.sqlite")
    details = HolderDetailsPolicy(shares, directory / "reactions.sqlite")
    box = BallotBox(directory / "ballot_box.sqlite")
    assemblies = AssemblyHandlers(store, clock, box)
    return GovernanceService(
        runtime=api.GovernanceRuntime(shares, assemblies, views),
        routers=list(api.ROUTERS),
        payments=payments,
        details=details,
        components=[views, payments, details],
        readiness=[views.status, payments.status, details.status],
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    return standalone_app("Governance", "governance", build, settings)[0]
