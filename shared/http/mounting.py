"""How a service is mounted on an app: alone (its own container) or beside the others
(`services.embedded`). Each service's `build(settings, store, clock)` returns a `Mounted`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from fastapi import APIRouter, FastAPI

from shared.background import Component
from shared.clock import Clock, clock_from_settings
from shared.eventstore.factory import open_store
from shared.eventstore.port import EventStore
from shared.http.service import Closing, Readiness, create_service_app
from shared.personal import install_vault
from shared.settings import Settings


class Mounted(Protocol):
    """What a service's composition root hands the app that serves it."""

    @property
    def runtime(self) -> object: ...

    @property
    def routers(self) -> Sequence[APIRouter]: ...

    @property
    def components(self) -> Sequence[Component]: ...

    @property
    def readiness(self) -> Sequence[Readiness]: ...


M = TypeVar("M", bound=Mounted)


def standalone_app(
    title: str,
    name: str,
    build: Callable[[Settings, EventStore, Clock], M],
    settings: Settings | None = None,
) -> tuple[FastAPI, M]:
    """The app of one service alone, over its own store connection; its runtime is
    `app.state.<name>` and the service itself `app.state.<name>_service`."""
    settings = settings or Settings.from_env()
    store = open_store(settings.event_store)
    install_vault(settings.keystore_path)
    clock = clock_from_settings(settings, store)
    service = build(settings, store, clock)
    app = create_service_app(
        title=title,
        settings=settings,
        store=store,
        clock=clock,
        routers=service.routers,
        components=[Closing(store), *service.components],
        readiness=service.readiness,
        state={name: service.runtime, f"{name}_service": service},
    )
    return app, service
