"""The payroll service's composition root."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fastapi import APIRouter, FastAPI

from services.payroll import api
from services.payroll.handlers import PayrollHandlers
from services.payroll.projections import PayrollViews
from services.payroll.reactions import SchedulingPolicy
from shared.clock import Clock
from shared.eventstore.port import EventStore
from shared.eventstore.projections import ProjectionRunner
from shared.http.mounting import standalone_app
from shared.http.service import Component, Readiness
from shared.settings import Settings


@dataclass
class PayrollService:
    runtime: api.PayrollRuntime
    routers: list[APIRouter]
    scheduling: SchedulingPolicy
    components: list[Component] = field(default_factory=list)
    readiness: list[Readiness] = field(default_factory=list)


def build(settings: Settings, store: EventStore, clock: Clock) -> PayrollService:
    directory = Path(settings.data_dir) / "payroll"
    directory.mkdir(parents=True, exist_ok=True)
    views = ProjectionRunner(store, PayrollViews(), directory)
    handlers = PayrollHandlers(store, clock, settings.working_days)
    scheduling = SchedulingPolicy(handlers, directory / "reactions.sqlite")
    return PayrollService(
        runtime=api.PayrollRuntime(handlers, views),
        routers=list(api.ROUTERS),
        scheduling=scheduling,
        components=[views, scheduling],
        readiness=[views.status, scheduling.status],
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    return standalone_app("Payroll", "payroll", build, settings)[0]
