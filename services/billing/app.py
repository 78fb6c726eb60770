"""The billing service's composition root."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fastapi import APIRouter, FastAPI

from services.billing import api
from services.billing.collection_run import CollectionRun
from services.billing.delivery import DeliveryRelay
from services.billing.handlers import BillingHandlers
from services.billing.projections import BillingViews, overdue_invoice_ids
from services.billing.publishing import Publisher
from services.billing.reactions import InvoicingPolicy
from services.billing.transmission import OutboxAccessPoint, OutboxMailer
from shared.clock import Clock
from shared.eventstore.port import EventStore
from shared.eventstore.projections import ProjectionRunner
from shared.http.mounting import standalone_app
from shared.http.service import Component, Readiness
from shared.settings import Settings


@dataclass
class BillingService:
    runtime: api.BillingRuntime
    routers: list[APIRouter]
    invoicing: InvoicingPolicy
    publisher: Publisher
    delivery: DeliveryRelay
    access_point: OutboxAccessPoint
    mailer: OutboxMailer
    collection: CollectionRun | None = None
    components: list[Component] = field(default_factory=list)
    readiness: list[Readiness] = field(default_factory=list)


def build(settings: Settings, store: EventStore, clock: Clock) -> BillingService:
    directory = Path(settings.data_dir) / "billing"
    directory.mkdir(parents=True, exist_ok=True)
    views = ProjectionRunner(store, BillingViews(), directory)
    handlers = BillingHandlers(store, clock)
    invoicing = InvoicingPolicy(handlers, directory / "reactions.sqlite")
    collection = CollectionRun(handlers, views, overdue_invoice_ids)
    publisher = Publisher(settings.peppol_rules)
    access_point = OutboxAccessPoint(directory / "delivery_outbox.sqlite", clock)
    mailer = OutboxMailer(directory / "delivery_outbox.sqlite", clock)
    delivery = DeliveryRelay(
        handlers, publisher, {"peppol": access_point, "email": mailer},
        directory / "reactions.sqlite",
    )  # fmt: skip
    return BillingService(
        runtime=api.BillingRuntime(handlers, views),
        routers=[*api.ROUTERS, *api.DOCUMENT_ROUTERS],
        invoicing=invoicing,
        publisher=publisher,
        delivery=delivery,
        access_point=access_point,
        mailer=mailer,
        collection=collection,
        components=[views, invoicing, delivery, collection],
        readiness=[views.status, invoicing.status, delivery.status],
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    return standalone_app("Billing", "billing", build, settings)[0]
