"""The privacy service's composition root: erasure requests and their carrying out, access
and portability of a member's personal data."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fastapi import APIRouter, FastAPI

from services.privacy import api
from services.privacy.access import PersonalDataIndex
from services.privacy.executor import ErasureExecutor
from services.privacy.handlers import PrivacyHandlers
from services.privacy.projections import PrivacyViews
from services.privacy.retention import Retention
from shared.clock import Clock
from shared.eventstore.port import EventStore
from shared.eventstore.projections import ProjectionRunner
from shared.http.mounting import standalone_app
from shared.http.service import Component, Readiness
from shared.settings import Settings


@dataclass
class PrivacyService:
    runtime: api.PrivacyRuntime
    routers: list[APIRouter]
    executor: ErasureExecutor
    components: list[Component] = field(default_factory=list)
    readiness: list[Readiness] = field(default_factory=list)


def build(settings: Settings, store: EventStore, clock: Clock) -> PrivacyService:
    directory = Path(settings.data_dir) / "privacy"
    directory.mkdir(parents=True, exist_ok=True)
    views = ProjectionRunner(store, PrivacyViews(), directory)
    index = ProjectionRunner(store, PersonalDataIndex(), directory)
    handlers = PrivacyHandlers(store, clock)
    retention = Retention(store, views)
    executor = ErasureExecutor(handlers, retention, directory / "reactions.sqlite")
    return PrivacyService(
        runtime=api.PrivacyRuntime(handlers, retention, index),
        routers=list(api.ROUTERS),
        executor=executor,
        components=[views, index, executor],
        readiness=[views.status, index.status, executor.status],
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    return standalone_app("Privacy", "privacy", build, settings)[0]
