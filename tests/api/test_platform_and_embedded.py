"""The embedded app as a whole: health, keys and the simulated clock, and its shutdown."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from services import embedded
from services.contracts.reactions import DimonaRelay, QuoteExpirySweep
from shared.eventstore.projections import ProjectionRunner
from shared.http.service import Closing
from tests.api.api_client import ADMIN_KEY, TODAY, Api, api_settings, assert_problem


class TestHealth:
    def test_liveness_needs_no_key(self, api: Api) -> None:
        assert api.get("/health", key=None) == {"status": "ok"}

    def test_readiness_lists_the_contracts_projections_and_relay(self, api: Api) -> None:
        body = api.get("/health/ready", key=None)

        assert body["status"] == "ready"
        names = {check["name"] for check in body["checks"]}
        assert {
            "store",
            "contracts_shares",
            "contracts_views",
            "contracts-dimona-submit",
        } <= names


class TestKeys:
    def test_an_unknown_key_is_unauthenticated(self, api: Api) -> None:
        response = api.request("GET", "/v1/prestations", key="coop_nope_secret")

        assert_problem(response, 401, "unauthenticated")
        assert response.headers["www-authenticate"] == "Bearer"

    def test_only_the_admin_issues_keys(self, api: Api) -> None:
        response = api.request("POST", "/v1/api-keys", key=api.ops_key(), json={"role": "ops"})

        assert_problem(response, 403, "forbidden")


class TestSimulatedClock:
    def test_every_key_reads_the_simulated_date(self, api: Api) -> None:
        member = api.register_member()

        body = api.get("/v1/ops/clock", key=api.member_key(member["member_id"]))

        assert body == {"today": TODAY.isoformat(), "mode": "simulated"}

    def test_ops_sets_the_date_and_new_writes_carry_it(self, api: Api) -> None:
        ops = api.ops_key()
        response = api.request("PUT", "/v1/ops/clock", key=ops, json={"today": "2026-04-01"})

        assert response.status_code == 200, response.text
        assert api.register_client()["registered_on"] == "2026-04-01"

    def test_a_member_cannot_set_the_date(self, api: Api) -> None:
        member = api.register_member()
        key = api.member_key(member["member_id"])

        response = api.request("PUT", "/v1/ops/clock", key=key, json={"today": "2026-04-01"})

        assert_problem(response, 403, "forbidden")
        assert api.get("/v1/ops/clock")["today"] == TODAY.isoformat()


class TestShutdown:
    def test_the_store_and_the_gateway_close_after_the_components_using_them(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        order: list[str] = []
        closings: list[Closing] = []
        real_close = Closing.stop

        def close_later(closing: Closing) -> None:
            # Recorded but deferred: actually closing under running threads may segfault.
            order.append("close")
            closings.append(closing)

        monkeypatch.setattr(Closing, "stop", close_later)
        for component in (ProjectionRunner, DimonaRelay, QuoteExpirySweep):
            real_stop = component.stop

            def recorded_stop(self: object, real_stop: object = real_stop) -> None:
                order.append("stop")
                assert callable(real_stop)
                real_stop(self)

            monkeypatch.setattr(component, "stop", recorded_stop)

        try:
            with TestClient(embedded.create_app(api_settings(tmp_path))):
                pass
        finally:
            for closing in closings:
                real_close(closing)

        # contracts: 2 projections, the DIMONA relay, the expiry sweep; billing: 1 projection;
        # guarantee fund: 1 projection; payroll: 1 projection; governance: 1 projection;
        # privacy: 2 projections
        assert order.count("stop") == 10 and order.count("close") == 2
        assert order == ["stop"] * 10 + ["close"] * 2


class TestTheContractsServiceAlone:
    """The app a contracts container runs (deploy/compose.yaml): its own composition root."""

    def test_it_serves_its_routes_and_not_the_platform_s(self, tmp_path: Path) -> None:
        from services.contracts.app import create_app

        app = create_app(api_settings(tmp_path))
        with TestClient(app) as client:
            headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
            assert client.get("/health/ready").status_code == 200
            assert client.get("/v1/prestations", headers=headers).json()["items"] == []
            assert client.get("/v1/ops/clock", headers=headers).status_code == 404
