"""The platform service's composition root."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from services.platform import api
from shared.eventstore.factory import open_store
from shared.http.service import Closing, create_service_app
from shared.personal import install_vault
from shared.settings import Settings


def routers() -> list[APIRouter]:
    return [api.keys, api.clock]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    store = open_store(settings.event_store)
    install_vault(settings.keystore_path)
    return create_service_app(
        title="Platform",
        settings=settings,
        store=store,
        routers=routers(),
        components=[Closing(store)],
    )
