import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from services.platform.app import create_app
from shared.eventstore.sqlite import SQLiteEventStore
from shared.http.observability import JsonFormatter, configure_logging
from shared.http.service import Closing, create_service_app
from shared.settings import Settings
from tests.kit import ADMIN_KEY, bearer, kit_settings

ADMIN = bearer(ADMIN_KEY)


def start(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    yield from start(kit_settings(tmp_path))


@pytest.fixture
def simulated(tmp_path: Path) -> Iterator[TestClient]:
    yield from start(kit_settings(tmp_path, COOP_CLOCK="simulated"))


def issue(client: TestClient, **body: object) -> dict[str, Any]:
    response = client.post("/v1/api-keys", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def problem_fields(response: httpx.Response) -> list[str]:
    assert response.status_code == 422, response.text
    return [e["field"] for e in response.json()["errors"]]


def test_issue_a_member_key(client: TestClient) -> None:
    response = client.post(
        "/v1/api-keys", json={"role": "member", "member_id": "m-1"}, headers=ADMIN
    )
    assert response.status_code == 201
    body = response.json()
    assert body["key"].startswith(f"coop_{body['key_id']}_")
    assert {k: body[k] for k in ("role", "member_id", "scopes")} == {
        "role": "member",
        "member_id": "m-1",
        "scopes": [],
    }
    assert response.headers["location"] == f"/v1/api-keys/{body['key_id']}"
    clock = client.get("/v1/ops/clock", headers=bearer(body["key"]))
    assert clock.status_code == 200 and clock.json()["mode"] == "system"


def test_issue_a_partner_key_with_scopes(client: TestClient) -> None:
    body = issue(client, role="partner", scopes=["events:read"])
    assert body["scopes"] == ["events:read"] and body["member_id"] is None


@pytest.mark.parametrize(
    ("request_body", "fields"),
    [
        ({"role": "member"}, ["member_id"]),
        ({"role": "member", "member_id": ""}, ["member_id"]),
        ({"role": "ops", "member_id": "m-1"}, ["member_id"]),
        ({"role": "partner", "scopes": ["events:read", "everything"]}, ["scopes"]),
        ({"role": "partner"}, ["scopes"]),
        ({"role": "ops", "scopes": ["events:read"]}, ["scopes"]),
        ({"role": "root"}, ["role"]),
        ({}, ["role"]),
    ],
)
def test_invalid_key_requests_name_the_field(
    client: TestClient, request_body: dict[str, object], fields: list[str]
) -> None:
    response = client.post("/v1/api-keys", json=request_body, headers=ADMIN)
    assert problem_fields(response) == fields
    assert response.json()["type"].endswith("/validation-error")


def test_only_admins_manage_keys(client: TestClient) -> None:
    ops = issue(client, role="ops")["key"]
    assert client.post("/v1/api-keys", json={"role": "ops"}).status_code == 401
    assert client.post("/v1/api-keys", json={"role": "ops"}, headers=bearer(ops)).status_code == 403
    assert client.get("/v1/api-keys", headers=bearer(ops)).status_code == 403


def test_list_keys_in_pages_without_secrets(client: TestClient) -> None:
    ids = [issue(client, role="ops")["key_id"] for _ in range(3)]
    first = client.get("/v1/api-keys?limit=2", headers=ADMIN).json()
    assert [k["key_id"] for k in first["items"]] == ids[:2]
    assert first["next_cursor"] is not None
    rest = client.get(f"/v1/api-keys?limit=2&cursor={first['next_cursor']}", headers=ADMIN).json()
    assert [k["key_id"] for k in rest["items"]] == ids[2:] and rest["next_cursor"] is None
    item = first["items"][0]
    assert "key" not in item and "secret_sha256" not in item
    assert item["issued_by"] == "admin:admin" and item["revoked_at"] is None
    assert problem_fields(client.get("/v1/api-keys?limit=0", headers=ADMIN)) == ["limit"]


def test_revoke_a_key(client: TestClient) -> None:
    issued = issue(client, role="ops")
    path = f"/v1/api-keys/{issued['key_id']}/revoke"
    revoked = client.post(path, headers=ADMIN)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert client.get("/v1/ops/clock", headers=bearer(issued["key"])).status_code == 401
    again = client.post(path, headers=ADMIN)
    assert again.status_code == 200 and again.json() == revoked.json()
    assert client.get(f"/v1/api-keys/{issued['key_id']}", headers=ADMIN).json()["revoked_at"]
    unknown = client.post("/v1/api-keys/0123456789abcdef/revoke", headers=ADMIN)
    assert unknown.status_code == 404 and unknown.json()["type"].endswith("/not-found")


@pytest.mark.parametrize("key_id", ["abc", "ABCDEF0123456789", "0123456789abcdef", "x" * 300])
def test_an_unknown_or_ill_formed_key_id_is_404(client: TestClient, key_id: str) -> None:
    for response in (
        client.get(f"/v1/api-keys/{key_id}", headers=ADMIN),
        client.post(f"/v1/api-keys/{key_id}/revoke", headers=ADMIN),
    ):
        assert response.status_code == 404 and response.json()["type"].endswith("/not-found")


def test_a_key_revoked_through_one_process_is_refused_by_another(tmp_path: Path) -> None:
    settings = kit_settings(tmp_path)
    with TestClient(create_app(settings)) as one, TestClient(create_app(settings)) as two:
        issued = issue(one, role="ops")
        assert two.get("/v1/ops/clock", headers=bearer(issued["key"])).status_code == 200
        # Its cached entry stale at once, instead of waiting out the second.
        two.app.state.keyring.refresh_interval = 0  # type: ignore[attr-defined]

        one.post(f"/v1/api-keys/{issued['key_id']}/revoke", headers=ADMIN)

        assert two.get("/v1/ops/clock", headers=bearer(issued["key"])).status_code == 401


def test_issuing_is_idempotent_with_a_key(client: TestClient) -> None:
    headers = ADMIN | {"Idempotency-Key": "issue-once"}
    first = client.post("/v1/api-keys", json={"role": "ops"}, headers=headers)
    second = client.post("/v1/api-keys", json={"role": "ops"}, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.content == first.content
    assert second.headers["idempotent-replayed"] == "true"
    assert len(client.get("/v1/api-keys", headers=ADMIN).json()["items"]) == 1


def test_the_system_clock_cannot_be_set(client: TestClient) -> None:
    response = client.put("/v1/ops/clock", json={"today": "2026-03-02"}, headers=ADMIN)
    assert response.status_code == 409
    assert response.json()["type"] == "https://coop.example/problems/clock-not-simulated"
    assert response.json()["title"] == "Clock not simulated"
    assert client.get("/v1/ops/clock", headers=ADMIN).json()["mode"] == "system"


def test_ops_set_the_simulated_date(simulated: TestClient) -> None:
    ops = bearer(issue(simulated, role="ops")["key"])
    response = simulated.put("/v1/ops/clock", json={"today": "2026-03-02"}, headers=ops)
    assert response.status_code == 200 and response.json()["today"] == "2026-03-02"
    assert simulated.get("/v1/ops/clock", headers=ops).json() == {
        "today": "2026-03-02",
        "mode": "simulated",
    }


def test_members_cannot_set_the_date(simulated: TestClient) -> None:
    member = bearer(issue(simulated, role="member", member_id="m-1")["key"])
    response = simulated.put("/v1/ops/clock", json={"today": "2026-03-02"}, headers=member)
    assert response.status_code == 403
    assert problem_fields(
        simulated.put("/v1/ops/clock", json={"today": "2 March"}, headers=ADMIN)
    ) == ["today"]


def test_the_simulated_date_is_shared_by_every_process(tmp_path: Path) -> None:
    settings = kit_settings(tmp_path, COOP_CLOCK="simulated")
    with TestClient(create_app(settings)) as one, TestClient(create_app(settings)) as two:
        one.put("/v1/ops/clock", json={"today": "2026-03-02"}, headers=ADMIN)
        assert two.get("/v1/ops/clock", headers=ADMIN).json()["today"] == "2026-03-02"
        key = issue(one, role="ops")["key"]
        assert two.get("/v1/ops/clock", headers=bearer(key)).status_code == 200


def test_health_readiness_and_metrics_need_no_key(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/health/ready")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    client.get("/v1/api-keys/abc", headers=ADMIN)
    metrics = client.get("/metrics")
    assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain")
    assert 'route="/v1/api-keys/{key_id}",status="404"' in metrics.text
    assert "http_request_duration_seconds_bucket" in metrics.text


class Runner:
    def __init__(self, name: str, journal: list[str], position: int, head: int) -> None:
        self.name, self.journal, self.position, self.head = name, journal, position, head

    def start(self) -> None:
        self.journal.append(f"start {self.name}")

    def stop(self) -> None:
        self.journal.append(f"stop {self.name}")

    def status(self) -> dict[str, object]:
        caught_up = self.position >= self.head
        return {
            "name": self.name,
            "position": self.position,
            "head": self.head,
            "caught_up": caught_up,
        }


@pytest.mark.parametrize(("lag", "status"), [(0, 200), (1000, 200), (1001, 503)])
def test_components_run_with_the_app_and_report_readiness(
    tmp_path: Path, lag: int, status: int
) -> None:
    journal: list[str] = []
    runners = [
        Runner("invoices", journal, 5000, 5000),
        Runner("salaries", journal, 5000 - lag, 5000),
    ]
    store = SQLiteEventStore(":memory:")
    app = create_service_app(
        title="t",
        settings=kit_settings(tmp_path),
        store=store,
        routers=[],
        components=[*runners, Closing(store)],
        readiness=[r.status for r in runners],
    )
    with TestClient(app) as client:
        assert journal == ["start invoices", "start salaries"]
        response = client.get("/health/ready")
    assert response.status_code == status
    assert [c["name"] for c in response.json()["checks"]] == ["store", "invoices", "salaries"]
    assert journal[2:] == ["stop salaries", "stop invoices"]


def test_request_ids_are_propagated(client: TestClient) -> None:
    assert client.get("/health", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"] == (
        "abc-123"
    )
    assert len(client.get("/health").headers["x-request-id"]) == 32


def test_each_request_logs_one_json_line(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="coop.http.access"):
        client.get("/v1/api-keys", headers=ADMIN | {"X-Request-ID": "req-42"})
    [record] = [r for r in caplog.records if r.name == "coop.http.access"]
    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "info" and line["logger"] == "coop.http.access"
    assert line["message"] == "GET /v1/api-keys 200"
    assert {k: line[k] for k in ("request_id", "method", "path", "route", "status")} == {
        "request_id": "req-42",
        "method": "GET",
        "path": "/v1/api-keys",
        "route": "/v1/api-keys",
        "status": 200,
    }
    assert line["duration_ms"] >= 0 and line["ts"].endswith("+00:00")


def test_configure_logging_installs_one_json_handler() -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging("WARNING")
        configure_logging("WARNING")
        assert [type(h.formatter) for h in root.handlers] == [JsonFormatter]
        assert root.level == logging.WARNING
    finally:
        root.handlers, _ = saved
        root.setLevel(saved[1])


def test_a_generated_admin_key_is_printed_at_start(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings.from_env({"COOP_DATA_DIR": str(tmp_path)})
    with TestClient(create_app(settings)) as client:
        assert client.get("/v1/api-keys", headers=bearer(settings.admin_key)).status_code == 200
    assert settings.admin_key in capsys.readouterr().out


def test_the_openapi_document_lists_the_platform_operations(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    operations = {op["operationId"] for path in document["paths"].values() for op in path.values()}
    assert {"issue_api_key", "list_api_keys", "revoke_api_key", "set_simulated_date"} <= operations
    assert "409" in document["paths"]["/v1/ops/clock"]["put"]["responses"]
    assert "KeyRequest" in document["components"]["schemas"]
    assert document["paths"]["/v1/api-keys"]["post"]["security"] == [{"bearer": []}]
