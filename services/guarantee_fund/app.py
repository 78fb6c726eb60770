"""The guarantee fund's composition root.

`COOP_SEPA_PAIN_VERSION` picks the transfer file's format: `pain.001.001.09` (default) or
`pain.001.001.03` for banks that still want it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast, get_args

from fastapi import APIRouter, FastAPI
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from services.guarantee_fund import api, projections, sepa
from services.guarantee_fund.domain.ledger import alerts
from services.guarantee_fund.handlers import FundHandlers
from services.guarantee_fund.projections import FundViews
from services.guarantee_fund.reactions import SettlementPolicy
from services.guarantee_fund.runs import PaymentRuns, PaymentRunScheduler
from shared.clock import Clock
from shared.eventstore.port import EventStore
from shared.eventstore.projections import ProjectionRunner
from shared.http.mounting import standalone_app
from shared.http.service import Component, Readiness
from shared.parameters_fund import fund_parameters_on
from shared.settings import Settings, SettingsError

PAIN_VERSION_VARIABLE = "COOP_SEPA_PAIN_VERSION"


def pain_version_from_env() -> sepa.PainVersion:
    value = os.environ.get(PAIN_VERSION_VARIABLE, sepa.DEFAULT_VERSION)
    if value not in get_args(sepa.PainVersion):
        raise SettingsError(PAIN_VERSION_VARIABLE, f"one of {get_args(sepa.PainVersion)}")
    return cast(sepa.PainVersion, value)


class FundAlerts(Collector):
    """The fund's alerts, as a readiness detail (it stays ready: the guarantee holds) and as
    Prometheus gauges: negative balance, exposures above threshold, salaries past their date."""

    name = "guarantee-fund"

    def __init__(self, views: ProjectionRunner, runs: PaymentRuns) -> None:
        self.views = views
        self.runs = runs

    def figures(self) -> dict[str, int]:
        today = self.runs.handlers.clock.today()
        with self.views.read() as conn:
            ledger = projections.ledger(conn)
            by_client = projections.exposure(conn, "client_id")
            by_member = projections.exposure(conn, "member_id")
            overdue = len(projections.overdue_salaries(conn, today))
            paid_late = projections.late_paid_count(conn)
        found = alerts(ledger["balance_cents"], by_client, by_member, fund_parameters_on(today))
        codes = [alert.code for alert in found]
        return {
            "balance_cents": ledger["balance_cents"],
            "negative_balance": int("negative-balance" in codes),
            "clients_over_threshold": codes.count("client-exposure"),
            "members_over_threshold": codes.count("member-exposure"),
            "salaries_overdue": overdue,
            "salaries_paid_late": paid_late,
        }

    def status(self) -> dict[str, object]:
        figures = self.figures()
        raised = [k for k, v in figures.items() if k != "balance_cents" and v]
        return {"name": self.name, "caught_up": True, "alerts": ",".join(raised), **figures}

    def collect(self) -> Iterator[Metric]:
        try:
            figures = self.figures()
        except Exception:  # a scrape never fails because the view is rebuilding
            return
        for key, value in figures.items():
            yield GaugeMetricFamily(f"guarantee_fund_{key}", f"Guarantee fund: {key}", value)


@dataclass
class FundService:
    runtime: api.FundRuntime
    routers: list[APIRouter]
    scheduler: PaymentRunScheduler
    alerts: FundAlerts
    components: list[Component] = field(default_factory=list)
    readiness: list[Readiness] = field(default_factory=list)


def build(
    settings: Settings, store: EventStore, clock: Clock, *, scheduler_interval: float = 60.0
) -> FundService:
    directory = Path(settings.data_dir) / "guarantee_fund"
    directory.mkdir(parents=True, exist_ok=True)
    views = ProjectionRunner(store, FundViews(), directory)
    handlers = FundHandlers(store, clock)
    runs = PaymentRuns(handlers, views)
    settlement = SettlementPolicy(handlers, views, directory / "reactions.sqlite")
    scheduler = PaymentRunScheduler(runs, interval=scheduler_interval)
    fund_alerts = FundAlerts(views, runs)
    return FundService(
        runtime=api.FundRuntime(handlers, views, runs, pain_version_from_env()),
        routers=list(api.ROUTERS),
        scheduler=scheduler,
        alerts=fund_alerts,
        components=[views, settlement, scheduler],
        readiness=[views.status, settlement.status, scheduler.status, fund_alerts.status],
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    app, service = standalone_app("Guarantee fund", "guarantee_fund", build, settings)
    app.state.metrics.registry.register(service.alerts)
    return app
