"""Routing for the hot paths: prefix guards on routers, and routes that answer their plain
requests without FastAPI's dependency solver, as FastAPI would have answered them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

import fastapi.routing
import pytest
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from shared.eventstore.sqlite import SQLiteEventStore
from shared.http.auth import PrincipalDep
from shared.http.problems import ProblemError, problem_type
from shared.http.routes import DirectRoute, include_guarded
from shared.http.service import CallerDep, create_service_app
from tests.kit import ADMIN_KEY, bearer, kit_settings


class NoteIn(BaseModel):
    text: str = Field(max_length=20)
    count: int = Field(ge=0, le=10)


class NoteOut(BaseModel):
    text: str
    count: int
    actor: str
    keyed: bool


class MarkedJSON(JSONResponse):
    """A reply class of the app's own (as one that opens sealed values would be)."""

    def render(self, content: Any) -> bytes:
        return super().render(content).replace(b"hello", b"HELLO")


def notes_router(
    prefix: str, route_class: type[APIRoute], response_class: type[Response] | None = None
) -> APIRouter:
    router = (
        APIRouter(prefix=prefix, route_class=route_class)
        if response_class is None
        else APIRouter(
            prefix=prefix, route_class=route_class, default_response_class=response_class
        )
    )

    @router.post("", status_code=201, response_model=NoteOut)
    async def write_note(
        body: NoteIn, caller: CallerDep, request: Request, response: Response
    ) -> dict[str, Any]:
        response.headers["Location"] = f"{prefix}/{body.count}"
        if body.count == 7:
            response.status_code = 202  # the endpoint's own status wins, as in FastAPI
        return {
            "text": body.text,
            "count": body.count,
            "actor": caller.principal.actor,
            "keyed": caller.context.idempotency_key is not None,
            "ignored": request.method,  # not in the response model: never shown
        }

    @router.post("/other", status_code=201)
    async def other_shape(body: NoteIn, principal: PrincipalDep) -> dict[str, str]:
        return {"actor": principal.actor}

    return router


@pytest.fixture
def app(tmp_path: Path) -> Iterator[FastAPI]:
    store = SQLiteEventStore(str(tmp_path / "events.sqlite"))
    yield create_service_app(
        title="routes",
        settings=kit_settings(tmp_path),
        store=store,
        routers=[
            notes_router("/direct", DirectRoute),
            notes_router("/general", APIRoute),
            notes_router("/direct-marked", DirectRoute, MarkedJSON),
            notes_router("/general-marked", APIRoute, MarkedJSON),
        ],
    )
    store.close()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


@pytest.fixture
def solver_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths whose requests went through FastAPI's dependency solver."""
    calls: list[str] = []
    solve = fastapi.routing.solve_dependencies

    async def counting(*, request: Request, **kwargs: Any) -> Any:
        calls.append(request.url.path)
        return await solve(request=request, **kwargs)

    monkeypatch.setattr(fastapi.routing, "solve_dependencies", counting)
    return calls


ADMIN = bearer(ADMIN_KEY)
JSON = {"Content-Type": "application/json"}
NOTE = json.dumps({"text": "hello", "count": 3})
REQUESTS: list[tuple[str, dict[str, str], str | bytes]] = [
    ("plain", {**ADMIN, **JSON}, NOTE),
    ("with a key", {**ADMIN, **JSON, "Idempotency-Key": "k-1"}, NOTE),
    ("the endpoint's status", {**ADMIN, **JSON}, json.dumps({"text": "x", "count": 7})),
    ("no key", JSON, NOTE),
    ("an unknown key", {**bearer("coop_0123456789abcdef_nope"), **JSON}, NOTE),
    ("no key and a bad body", JSON, json.dumps({"text": "x" * 30})),
    ("a bad body", {**ADMIN, **JSON}, json.dumps({"text": "x" * 30, "count": 11})),
    ("not an object", {**ADMIN, **JSON}, "[1, 2]"),
    ("broken JSON", {**ADMIN, **JSON}, '{"text": '),
    ("no JSON at all", {**ADMIN, **JSON}, b"\xff\xfe"),
    ("an empty body", {**ADMIN, **JSON}, ""),
    ("a charset", {**ADMIN, "Content-Type": "application/json; charset=utf-8"}, NOTE),
    ("another type", {**ADMIN, "Content-Type": "text/plain"}, NOTE),
    ("no type", ADMIN, NOTE),
    ("a bad Idempotency-Key", {**ADMIN, **JSON, "Idempotency-Key": "\x7f"}, NOTE),
]


def answer(client: TestClient, prefix: str, headers: dict[str, str], body: str | bytes) -> Any:
    got = client.post(prefix, content=body, headers=headers)
    shown = {k: v for k, v in got.headers.items() if k not in ("x-request-id", "content-length")}
    text = got.text.replace(prefix, "<prefix>")
    shown["location"] = shown.get("location", "").replace(prefix, "<prefix>")
    return got.status_code, shown, text


@pytest.mark.parametrize(("name", "headers", "body"), REQUESTS, ids=[r[0] for r in REQUESTS])
def test_a_direct_route_answers_as_fastapi_does(
    client: TestClient, name: str, headers: dict[str, str], body: str | bytes
) -> None:
    assert answer(client, "/direct", headers, body) == answer(client, "/general", headers, body)
    marked = answer(client, "/direct-marked", headers, body)
    assert marked == answer(client, "/general-marked", headers, body)


def test_a_direct_route_replies_with_the_routers_response_class(client: TestClient) -> None:
    got = client.post("/direct-marked", content=NOTE, headers={**ADMIN, **JSON})

    assert (got.status_code, got.json()["text"]) == (201, "HELLO")


def test_a_plain_request_skips_the_solver_and_any_other_goes_through_it(
    client: TestClient, solver_calls: list[str]
) -> None:
    assert client.post("/direct", content=NOTE, headers={**ADMIN, **JSON}).status_code == 201
    assert client.post("/direct-marked", content=NOTE, headers={**ADMIN, **JSON}).status_code == 201
    assert solver_calls == []

    assert client.post("/direct", content=NOTE, headers=JSON).status_code == 401
    assert client.post("/general", content=NOTE, headers={**ADMIN, **JSON}).status_code == 201
    assert solver_calls == ["/direct", "/general"]


def test_a_route_of_another_shape_keeps_fastapis_handler(
    client: TestClient, solver_calls: list[str]
) -> None:
    got = client.post("/direct/other", content=NOTE, headers={**ADMIN, **JSON})

    assert (got.status_code, got.json()) == (201, {"actor": "admin:admin"})
    assert solver_calls == ["/direct/other"]


def test_dependency_overrides_are_honoured(
    app: FastAPI, client: TestClient, solver_calls: list[str]
) -> None:
    scheme = get_args(CallerDep)[1].dependency

    async def nobody() -> None:
        raise ProblemError(403, "overridden", "Overridden", "a test's override")

    app.dependency_overrides[scheme] = nobody
    got = client.post("/direct", content=NOTE, headers={**ADMIN, **JSON})

    assert (got.status_code, got.json()["type"]) == (403, problem_type("overridden"))
    assert solver_calls == ["/direct"]


# -- prefix guards -------------------------------------------------------------------------------


def guarded_app() -> FastAPI:
    things = APIRouter(prefix="/things")

    @things.get("")
    async def list_things() -> list[str]:
        return ["a"]

    @things.get("/{thing_id}")
    async def get_thing(thing_id: str) -> str:
        return thing_id

    scattered = APIRouter()

    @scattered.get("/alpha")
    async def alpha() -> str:
        return "alpha"

    @scattered.get("/beta/{n}")
    async def beta(n: int) -> int:
        return n

    deep = APIRouter()

    @deep.get("/deep/{n}")
    async def deep_n(n: int) -> int:
        return n

    app = FastAPI()
    include_guarded(app, things)
    include_guarded(app, scattered)
    include_guarded(app, deep, prefix="/nested")
    literals = [getattr(r, "literal", None) for r in app.router.routes[-3:]]
    assert literals == ["/things", "/", "/nested/deep/"]
    return app


@pytest.mark.parametrize(
    ("method", "path", "status", "body"),
    [
        ("GET", "/things", 200, ["a"]),
        ("GET", "/things/x1", 200, "x1"),
        ("DELETE", "/things", 405, {"detail": "Method Not Allowed"}),
        ("GET", "/alpha", 200, "alpha"),
        ("GET", "/beta/3", 200, 3),
        ("GET", "/beta/three", 422, None),
        ("GET", "/nested/deep/4", 200, 4),
        ("GET", "/deep/4", 404, {"detail": "Not Found"}),
        ("GET", "/thingsx", 404, {"detail": "Not Found"}),
        ("GET", "/gamma", 404, {"detail": "Not Found"}),
    ],
)
def test_a_guarded_router_matches_as_it_did(method: str, path: str, status: int, body: Any) -> None:
    with TestClient(guarded_app()) as client:
        got = client.request(method, path)
    assert got.status_code == status
    if body is not None:
        assert got.json() == body


def test_a_trailing_slash_is_still_redirected() -> None:
    with TestClient(guarded_app(), follow_redirects=False) as client:
        got = client.get("/things/")
    assert (got.status_code, got.headers["location"]) == (307, "http://testserver/things")
