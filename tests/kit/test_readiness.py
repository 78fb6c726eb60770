"""`/health/ready` and `/metrics` over real runners: anonymous callers see whether each runner
is ready and how far behind it is, staff keys see the detail, and neither endpoint throws."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from services.platform import handlers as platform
from services.platform.api import KeyRequest
from shared.events.base import Context, Envelope
from shared.eventstore.port import Position
from shared.eventstore.projections import ProjectionRunner
from shared.eventstore.sqlite import SQLiteEventStore
from shared.eventstore.subscriptions import Backoff
from shared.http.service import READY_LAG, Closing, Component, Readiness, create_service_app
from tests.eventstore.faults import until
from tests.eventstore.sample_projection import SampleTotals, write_counts
from tests.kit import ADMIN_KEY, bearer, kit_settings

FAST = Backoff(initial=0.01, maximum=0.05)
SECRET = "bug in /srv/coop/secret-path for member m-1"
PUBLIC_KEYS = {"name", "caught_up", "lag_events", "lag_capped", "stale", "rebuilding", "ready"}


class Broken(SampleTotals):
    name = "broken"

    def apply(self, conn: sqlite3.Connection, envelope: Envelope) -> None:
        raise RuntimeError(SECRET)


class Gated(SampleTotals):
    """Folds nothing until its gate opens: a projection that lags by as much as we write."""

    name = "gated"

    def __init__(self) -> None:
        self.gate = threading.Event()

    def apply(self, conn: sqlite3.Connection, envelope: Envelope) -> None:
        self.gate.wait()
        super().apply(conn, envelope)


def exploding_check() -> dict[str, object]:
    raise OSError(SECRET)


@contextmanager
def app_with(
    tmp_path: Path,
    store: SQLiteEventStore,
    components: Sequence[Component],
    readiness: Sequence[Readiness],
) -> Iterator[TestClient]:
    app = create_service_app(
        title="t",
        settings=kit_settings(tmp_path),
        store=store,
        routers=[],
        # Stopped in reverse: the store closes last, once no runner reads it any more.
        components=[Closing(store), *components],
        readiness=readiness,
    )
    with TestClient(app) as client:
        yield client


def ops_key(client: TestClient) -> str:
    return _issued(client, KeyRequest(role="ops"))


def member_key(client: TestClient) -> str:
    return _issued(client, KeyRequest(role="member", member_id="m-1"))


def _issued(client: TestClient, request: KeyRequest) -> str:
    state = client.app.state  # type: ignore[attr-defined]
    context = Context.new("test")
    command = request.command(*platform.new_credentials(b"secret", context))
    return platform.issue_api_key(state.store, state.keyring, command, context).key


def checks(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {check["name"]: check for check in body["checks"]}


def test_anonymous_callers_see_no_error_text_and_staff_see_the_detail(tmp_path: Path) -> None:
    store = SQLiteEventStore(str(tmp_path / "events.db"))
    broken = ProjectionRunner(store, Broken(), tmp_path / "views", backoff=FAST)
    healthy = ProjectionRunner(store, SampleTotals(), tmp_path / "views")
    runners = [broken, healthy]
    with app_with(tmp_path, store, runners, [r.status for r in runners] + [exploding_check]) as c:
        keys = {"member": member_key(c), "ops": ops_key(c)}  # written before the wait below
        write_counts(store, 10)
        assert healthy.wait_for(store.head())
        assert until(lambda: int(str(broken.status()["failures"])) >= 1)

        for headers in ({}, bearer("coop_nope_secret"), bearer(keys["member"])):
            response = c.get("/health/ready", headers=headers)
            assert response.status_code == 503
            assert SECRET not in response.text and "RuntimeError" not in response.text
            body = response.json()
            assert body["status"] == "not-ready"
            assert all(set(check) <= PUBLIC_KEYS for check in body["checks"])
            shown = checks(body)
            assert list(shown) == ["store", "broken", "sample_totals", "exploding_check"]
            assert shown["broken"]["caught_up"] is False and shown["broken"]["ready"] is False
            assert shown["sample_totals"]["ready"] is True
            assert shown["sample_totals"]["lag_events"] == 0
            assert shown["exploding_check"] == {
                "name": "exploding_check", "caught_up": False, "ready": False,
            }  # fmt: skip

        for key in (ADMIN_KEY, keys["ops"]):
            detail = checks(c.get("/health/ready", headers=bearer(key)).json())
            assert detail["broken"]["failing"] is True
            assert int(detail["broken"]["failures"]) >= 1
            assert SECRET in detail["broken"]["last_error"]
            assert isinstance(detail["broken"]["failed_at_position"], int)
            assert SECRET in detail["exploding_check"]["error"]
            assert detail["store"]["head"] == store.head()


def test_readiness_follows_the_lag_in_events(tmp_path: Path) -> None:
    store = SQLiteEventStore(str(tmp_path / "events.db"))
    projection = Gated()
    gated = ProjectionRunner(store, projection, tmp_path / "views")
    try:
        with app_with(tmp_path, store, [gated], [gated.status]) as client:
            assert client.get("/health/ready").status_code == 200
            write_counts(store, READY_LAG)
            assert until(lambda: gated.status()["lag_events"] == READY_LAG)
            assert client.get("/health/ready").status_code == 200  # behind, within bounds
            write_counts(store, 1)
            assert until(lambda: gated.status()["lag_events"] == READY_LAG + 1)
            response = client.get("/health/ready")
            assert response.status_code == 503
            assert checks(response.json())["gated"]["lag_events"] == READY_LAG + 1
            projection.gate.set()
            assert gated.wait_for(store.head())
            assert client.get("/health/ready").status_code == 200
    finally:
        projection.gate.set()


def test_readiness_trusts_lag_events_over_positions(tmp_path: Path) -> None:
    """Positions are opaque (byte offsets on KurrentDB): far apart is not many events."""

    def kurrent_like() -> dict[str, object]:
        return {"name": "k", "position": 10, "head": 10**9, "caught_up": False, "lag_events": 3}

    def unknown_lag() -> dict[str, object]:
        return {"name": "u", "position": 10, "head": 10, "caught_up": False, "lag_events": None}

    with app_with(tmp_path, SQLiteEventStore(":memory:"), [], [kurrent_like]) as client:
        assert client.get("/health/ready").status_code == 200
    with app_with(tmp_path, SQLiteEventStore(":memory:"), [], [unknown_lag]) as client:
        assert client.get("/health/ready").status_code == 503


def test_a_check_that_answers_oddly_never_breaks_readiness(tmp_path: Path) -> None:
    store = SQLiteEventStore(":memory:")

    def odd() -> dict[str, object]:
        return {"name": "odd", "caught_up": True, "when": object(), "ratio": float("nan")}

    def not_a_mapping() -> list[int]:
        return [1, 2]

    with app_with(tmp_path, store, [], [odd, not_a_mapping]) as client:  # type: ignore[list-item]
        response = client.get("/health/ready", headers=bearer(ADMIN_KEY))
        assert response.status_code == 503
        shown = checks(response.json())
        assert shown["odd"]["ready"] is True and isinstance(shown["odd"]["when"], str)
        assert shown["not_a_mapping"]["ready"] is False


def test_metrics_show_runner_numbers_and_names_only(tmp_path: Path) -> None:
    store = SQLiteEventStore(str(tmp_path / "events.db"))
    broken = ProjectionRunner(store, Broken(), tmp_path / "views", backoff=FAST)
    healthy = ProjectionRunner(store, SampleTotals(), tmp_path / "views")
    runners = [broken, healthy]
    with app_with(tmp_path, store, runners, [r.status for r in runners] + [exploding_check]) as c:
        head: Position = write_counts(store, 10)
        assert healthy.wait_for(head)
        assert until(lambda: int(str(broken.status()["failures"])) >= 1)
        text = c.get("/metrics").text
    assert SECRET not in text
    lines = {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in _samples(text)}
    assert lines['runner_lag_events{runner="sample_totals"}'] == 0
    assert lines['runner_failures_total{runner="sample_totals"}'] == 0
    assert lines['runner_failures_total{runner="broken"}'] >= 1
    assert lines['runner_failing{runner="broken"}'] == 1
    assert lines['runner_lag_events{runner="broken"}'] == 10
    assert lines['runner_stale_generation{runner="broken"}'] == 0
    assert lines['runner_rebuilding{runner="sample_totals"}'] == 0
    assert "http_requests_total" in text


def _samples(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("runner_")]
