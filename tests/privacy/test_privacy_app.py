"""The privacy service's place in the apps: its readiness checks, and its own container's app."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.api.api_client import ADMIN_KEY, Api, api_settings


def test_readiness_lists_its_projections_and_scheduler(api: Api) -> None:
    body = api.get("/health/ready", key=None)

    names = {check["name"] for check in body["checks"]}
    assert {"privacy_views", "privacy_index", "privacy-erasure"} <= names
    assert body["status"] == "ready"


def test_the_privacy_service_alone_serves_its_routes_only(tmp_path: Path) -> None:
    from services.privacy.app import create_app

    with TestClient(create_app(api_settings(tmp_path))) as client:
        headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
        listed = client.get("/v1/erasure-requests", headers=headers)
        assert listed.status_code == 200 and listed.json()["items"] == []
        unknown = client.get(f"/v1/members/{'0' * 32}/personal-data", headers=headers)
        assert unknown.status_code == 404
        assert client.get("/v1/prestations", headers=headers).status_code == 404
