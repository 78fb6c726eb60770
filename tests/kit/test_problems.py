import logging
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from pydantic import AfterValidator, BaseModel, Field
from pydantic_core import PydanticCustomError

from shared.decider import DomainError, NotFound
from shared.eventstore.port import StoreUnavailable, WrongExpectedVersion
from shared.eventstore.sqlite import SQLiteEventStore
from shared.http.problems import (
    DOCUMENTED_STATUSES,
    PROBLEM_MEDIA_TYPE,
    ProblemError,
    field_path,
    install_problem_handlers,
)
from shared.http.service import create_service_app
from tests.kit import kit_settings
from tests.kit.live_server import Connection, get, serving


class MinimumHours(DomainError):
    code = "minimum-hours"


class Day(BaseModel):
    date: str
    hours: int = Field(ge=0, le=24)
    rate: Decimal = Field(default=Decimal(0), le=Decimal("99.5"))
    code: str = Field(default="A", pattern=r"^[A-Z]$", max_length=1)


def _few(days: list[Day]) -> list[Day]:
    if len(days) > 2:
        raise PydanticCustomError("too_many_days", "at most {limit} days", {"limit": 2})
    return days


class Prestation(BaseModel):
    description: str
    days: Annotated[list[Day], AfterValidator(_few)]


router = APIRouter()


@router.post("/v1/prestations")
def encode(body: Prestation, limit: int = 10) -> dict[str, str]:
    raise MinimumHours("a contract covers at least 3 hours", field="days[0].hours")


@router.get("/v1/things/{thing_id}")
def get_thing(thing_id: str) -> dict[str, str]:
    raise NotFound(f"no thing {thing_id}")


@router.get("/v1/conflict")
def conflict() -> None:
    raise WrongExpectedVersion("invoice-1", 3, 4)


@router.get("/v1/down")
def down() -> None:
    raise StoreUnavailable("connection refused to 10.0.0.7:2113")


@router.get("/v1/boom")
def boom() -> None:
    raise RuntimeError("password=hunter2 in /srv/secret/config.py")


@router.get("/v1/teapot")
def teapot() -> None:
    raise ProblemError(418, "teapot", "I'm a teapot", "short and stout", headers={"X-Tea": "1"})


@pytest.fixture
def client() -> Iterator[TestClient]:
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(router)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body = response.json()
    assert body["type"] == f"https://coop.example/problems/{code}"
    assert body["status"] == status
    assert body["title"] and body["detail"]
    return body


def test_domain_error_keeps_its_code_status_and_field(client: TestClient) -> None:
    response = client.post(
        "/v1/prestations", json={"description": "x", "days": [{"date": "2026-03-10", "hours": 2}]}
    )
    body = assert_problem(response, 422, "minimum-hours")
    assert body["title"] == "Minimum hours"
    assert body["instance"] == "/v1/prestations"
    assert body["errors"] == [
        {
            "field": "days[0].hours",
            "rule": "minimum-hours",
            "message": "a contract covers at least 3 hours",
        }
    ]


def test_not_found_domain_error(client: TestClient) -> None:
    body = assert_problem(client.get("/v1/things/42"), 404, "not-found")
    assert "errors" not in body


def test_validation_error_names_every_field(client: TestClient) -> None:
    response = client.post(
        "/v1/prestations?limit=many",
        json={"days": [{"date": "2026-03-10", "hours": 8}, {"date": "2026-03-11", "hours": 30}]},
    )
    body = assert_problem(response, 422, "validation-error")
    fields = {e["field"]: e["rule"] for e in body["errors"]}
    assert fields == {
        "description": "missing",
        "days[1].hours": "less_than_equal",
        "limit": "int_parsing",
    }


def test_a_broken_bound_is_named_with_its_limit(client: TestClient) -> None:
    response = client.post(
        "/v1/prestations",
        json={
            "description": "x",
            "days": [{"date": "d", "hours": 30, "rate": "99.75", "code": "ab"}],
        },
    )
    body = assert_problem(response, 422, "validation-error")
    found = {e["field"]: (e["rule"], e.get("limit")) for e in body["errors"]}
    assert found == {
        "days[0].hours": ("less_than_equal", 24),
        "days[0].rate": ("less_than_equal", "99.5"),
        "days[0].code": ("string_too_long", 1),
    }
    response = client.post(
        "/v1/prestations",
        json={"description": "x", "days": [{"date": "d", "hours": 1, "code": "a"}]},
    )
    [error] = assert_problem(response, 422, "validation-error")["errors"]
    assert (error["rule"], error["limit"]) == ("string_pattern_mismatch", "^[A-Z]$")


def test_our_own_rules_name_their_limit_too(client: TestClient) -> None:
    day = {"date": "d", "hours": 1}
    response = client.post("/v1/prestations", json={"description": "x", "days": [day] * 3})
    [error] = assert_problem(response, 422, "validation-error")["errors"]
    assert error == {
        "field": "days",
        "rule": "too_many_days",
        "message": "at most 2 days",
        "limit": 2,
    }


def test_a_rule_without_a_bound_has_no_limit(client: TestClient) -> None:
    response = client.post("/v1/prestations", json={"days": []})
    [error] = assert_problem(response, 422, "validation-error")["errors"]
    assert error["rule"] == "missing" and "limit" not in error


def test_malformed_json_is_a_body_error(client: TestClient) -> None:
    response = client.post(
        "/v1/prestations", content=b'{"days": [', headers={"content-type": "application/json"}
    )
    body = assert_problem(response, 422, "validation-error")
    assert [e["field"] for e in body["errors"]] == ["body"]


def test_http_exceptions_become_problems(client: TestClient) -> None:
    assert_problem(client.get("/v1/nowhere"), 404, "not-found")
    response = client.delete("/v1/conflict")
    assert_problem(response, 405, "method-not-allowed")
    assert response.headers["allow"] == "GET"


def test_version_conflict_is_409(client: TestClient) -> None:
    assert_problem(client.get("/v1/conflict"), 409, "concurrency-conflict")


def test_store_unavailable_is_503_without_details(client: TestClient) -> None:
    response = client.get("/v1/down")
    body = assert_problem(response, 503, "store-unavailable")
    assert "10.0.0.7" not in response.text and body["instance"] == "/v1/down"
    assert response.headers["retry-after"] == "1"


def test_unexpected_errors_leak_nothing_and_are_logged(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="coop.http"):
        response = client.get("/v1/boom")
    assert_problem(response, 500, "internal-error")
    assert "hunter2" not in response.text and "RuntimeError" not in response.text
    [record] = [r for r in caplog.records if r.name == "coop.http"]
    assert record.exc_info is not None and "hunter2" in str(record.exc_info[1])


def test_an_unexpected_error_stops_at_the_problem_it_answers() -> None:
    """Starlette's last resort re-raises after answering; ours does not, so the exception
    reaches neither the test client nor the server."""
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(router)
    with TestClient(app, raise_server_exceptions=True) as client:
        response = client.get("/v1/boom")
    assert_problem(response, 500, "internal-error")
    assert "hunter2" not in response.text


def test_after_an_unexpected_error_the_connection_stays_open() -> None:
    """Over a real server: uvicorn closes a keep-alive connection when an exception reaches
    it, so the client's next request on it failed."""
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(router)
    app.add_api_route("/v1/fine", lambda: {"status": "fine"})
    with serving(app) as address:
        connection = Connection(address)
        try:
            connection.send(get("/v1/boom"))
            first = connection.answer()
            connection.send(get("/v1/fine"))
            second = connection.answer()
        finally:
            connection.close()
    assert first is not None and first.status == 500
    assert first.headers["content-type"] == PROBLEM_MEDIA_TYPE and b"hunter2" not in first.body
    assert second is not None and second.status == 200


def test_an_error_in_an_outer_middleware_still_answers_a_problem() -> None:
    app = FastAPI()
    install_problem_handlers(app)
    app.add_middleware(_Failing)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/anything")
    assert_problem(response, 500, "internal-error")
    assert "hunter2" not in response.text


class _Failing:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            raise RuntimeError("password=hunter2 in an outer middleware")
        await self.app(scope, receive, send)


def test_problem_error_carries_its_headers(client: TestClient) -> None:
    response = client.get("/v1/teapot")
    body = assert_problem(response, 418, "teapot")
    assert body["title"] == "I'm a teapot" and response.headers["x-tea"] == "1"


@pytest.mark.parametrize(
    ("loc", "expected"),
    [
        (("body", "days", 1, "hours"), "days[1].hours"),
        (("body", "days", 0), "days[0]"),
        (("body",), "body"),
        (("query", "limit"), "limit"),
        (("path", "key_id"), "key_id"),
        (("body", "address", "street"), "address.street"),
    ],
)
def test_field_path(loc: tuple[str | int, ...], expected: str) -> None:
    assert field_path(loc) == expected


def test_openapi_documents_problems_and_bearer_auth(tmp_path: Path) -> None:
    store = SQLiteEventStore(":memory:")
    try:
        app = create_service_app(
            title="t", settings=kit_settings(tmp_path), store=store, routers=[router]
        )
        document = app.openapi()
    finally:
        store.close()
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    responses = document["paths"]["/v1/prestations"]["post"]["responses"]
    for status in DOCUMENTED_STATUSES:
        content = responses[str(status)]["content"]
        assert content == {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    assert set(document["components"]["schemas"]["Problem"]["properties"]) >= {
        "type",
        "title",
        "status",
        "detail",
        "instance",
        "errors",
    }
    assert "security" not in document["paths"]["/health"]["get"]
    assert document["paths"]["/v1/prestations"]["post"]["operationId"] == "encode"
