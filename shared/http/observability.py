"""JSON logs, request ids and Prometheus metrics.

Each app gets its own `CollectorRegistry`, so several apps in one process (tests, the
embedded server) never register the same metric twice.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.http.problems import REQUEST_ID_HEADER
from shared.unique import unique_uuid4

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
access_log = logging.getLogger("coop.http.access")
log = logging.getLogger(__name__)

# Attributes every LogRecord has; anything else was passed in `extra` and is logged as a field.
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "taskName",
}
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_UNMATCHED_ROUTE = "<unmatched>"  # keeps unknown paths from exploding the label set


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message, then any extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id is not None:
            entry["request_id"] = request_id
        entry.update(
            (key, value) for key, value in vars(record).items() if key not in _STANDARD_ATTRS
        )
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: int | str = logging.INFO) -> None:
    """Route the root logger to stderr as JSON lines (idempotent)."""
    root = logging.getLogger()
    for handler in root.handlers:
        if isinstance(handler.formatter, JsonFormatter):
            root.setLevel(level)
            return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.handlers = [handler]
    root.setLevel(level)


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        labels = ("method", "route", "status")
        self.requests = Counter(
            "http_requests_total", "HTTP requests answered", labels, registry=self.registry
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Time to answer an HTTP request",
            labels,
            registry=self.registry,
        )

        # Each label set's two children, found once: `labels()` checks and locks every call.
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            labels = (method, route, str(status))
            children = self.requests.labels(*labels), self.latency.labels(*labels)
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def exposition(self, runners: Iterable[Mapping[str, object]] = ()) -> Response:
        """The metrics, and gauges of the runners whose statuses are given."""
        body = generate_latest(self.registry)
        statuses = list(runners)
        if statuses:
            registry = CollectorRegistry(auto_describe=False)
            registry.register(RunnerCollector(statuses))
            body += generate_latest(registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)


# Runner gauges: (metric, help, status key, kind). Numbers and runner names only: never an
# error text or a position.
_RUNNER_METRICS = (
    ("runner_lag_events", "Events the runner has still to handle (capped)", "lag_events", "gauge"),
    ("runner_failures", "Failures of the runner since it started", "failures", "counter"),
    ("runner_stale_generation", "1 while a stale projection generation serves", "stale", "gauge"),
    ("runner_rebuilding", "1 while a projection generation rebuilds", "rebuilding", "gauge"),
    ("runner_failing", "1 while the runner fails and retries", "failing", "gauge"),
    ("runner_parked_events", "Events a reaction holds back behind waiting ones", "parked", "gauge"),
)

_SUBSCRIPTION_METRICS = (
    ("subscription_lag_events", "Events the subscription has still to deliver (capped)",
     "lag_events"),
    ("subscription_consecutive_failures", "Failures in a row on the subscription's next event",
     "consecutive_failures"),
    ("subscription_parked", "1 while the subscription is parked", "parked"),
)  # fmt: skip


class RunnerCollector(Collector):
    """Per-runner gauges from statuses taken at scrape time."""

    def __init__(self, statuses: Iterable[Mapping[str, object]]) -> None:
        self._statuses: dict[str, Mapping[str, object]] = {}
        for status in statuses:
            name = status.get("name")
            if isinstance(name, str):
                self._statuses.setdefault(name, status)  # one sample per runner name

    def collect(self) -> Iterator[Metric]:
        for metric, text, key, kind in _RUNNER_METRICS:
            family: GaugeMetricFamily | CounterMetricFamily = (
                CounterMetricFamily(metric, text, labels=["runner"])
                if kind == "counter"
                else GaugeMetricFamily(metric, text, labels=["runner"])
            )
            for name, status in self._statuses.items():
                value = status.get(key)
                if isinstance(value, bool | int | float):
                    family.add_metric([name], float(value))
            if family.samples:
                yield family
        yield from self._subscriptions()

    def _subscriptions(self) -> Iterator[Metric]:
        """Gauges per subscription, for a runner whose status lists them (`subscriptions`:
        records with an `id`)."""
        for metric, text, key in _SUBSCRIPTION_METRICS:
            family = GaugeMetricFamily(metric, text, labels=["runner", "subscription"])
            for name, status in self._statuses.items():
                listed = status.get("subscriptions")
                for one in listed if isinstance(listed, list) else ():
                    value = one.get(key) if isinstance(one, Mapping) else None
                    if isinstance(value, bool | int | float) and isinstance(one.get("id"), str):
                        family.add_metric([name, one["id"]], float(value))
            if family.samples:
                yield family


def runner_statuses(
    checks: Iterable[Callable[[], Mapping[str, object]]],
) -> list[Mapping[str, object]]:
    """Each readiness check's status; one that cannot answer is left out of the metrics."""
    statuses = []
    for check in checks:
        try:
            statuses.append(check())
        except Exception:
            log.debug("a readiness check failed while metrics were scraped", exc_info=True)
    return statuses


def metrics_endpoint(request: Request) -> Response:
    """`GET /metrics`: the app's metrics in the Prometheus text format, with gauges of the
    app's runners (its readiness checks)."""
    metrics: Metrics = request.app.state.metrics
    return metrics.exposition(runner_statuses(getattr(request.app.state, "readiness", ())))


class ObservabilityMiddleware:
    """Gives each request an id (the caller's `X-Request-ID` when sane), echoes it, logs one
    line per request and feeds the metrics."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_id_var.set(request_id)
        status = 500  # unless a response starts: an exception escaped every handler
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            duration = time.perf_counter() - started
            route = _route_template(scope)
            self.metrics.observe(scope["method"], route, status, duration)
            if access_log.isEnabledFor(logging.INFO):
                # `info()` without its search of the caller's frame, which no line shows.
                fields = {
                    "request_id": request_id,
                    "method": scope["method"],
                    "path": scope["path"],
                    "route": route,
                    "status": status,
                    "duration_ms": round(duration * 1000, 2),
                }
                access_log.handle(
                    access_log.makeRecord(
                        access_log.name, logging.INFO, __file__, 0, "%s %s %s",
                        (scope["method"], scope["path"], status), None, extra=fields,
                    )
                )  # fmt: skip
            request_id_var.reset(token)


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            if _VALID_REQUEST_ID.fullmatch(candidate):
                return candidate
    return unique_uuid4().hex


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return f"{scope.get('root_path', '')}{path}" if isinstance(path, str) else _UNMATCHED_ROUTE
