"""The body size limit: counted as the bytes arrive, answered 413 problem+json, configurable."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel
from starlette.types import Message, Receive, Scope, Send

from shared.eventstore.sqlite import SQLiteEventStore
from shared.http.limits import BodyLimitMiddleware
from shared.http.problems import PROBLEM_MEDIA_TYPE, install_problem_handlers
from shared.http.service import create_service_app
from shared.settings import DEFAULT_MAX_BODY_BYTES, Settings, SettingsError
from tests.kit import ADMIN_KEY, bearer, kit_settings
from tests.kit.live_server import Connection, serving

LIMIT = 1000


class Note(BaseModel):
    text: str


router = APIRouter()


@router.post("/v1/notes")
def post_note(note: Note) -> dict[str, int]:
    return {"length": len(note.text)}


def app_with_limit(max_bytes: int = LIMIT) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=max_bytes)
    app.include_router(router)
    return app


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(app_with_limit()) as client:
        yield client


JSON = {"Content-Type": "application/json"}


def note(size: int) -> bytes:
    """A JSON body of exactly `size` bytes."""
    return b'{"text": "' + b"x" * (size - 12) + b'"}'


def assert_too_large(status: int, content_type: str, body: dict[str, Any]) -> None:
    assert status == 413
    assert content_type == PROBLEM_MEDIA_TYPE
    assert body["type"] == "https://coop.example/problems/content-too-large"
    assert body["status"] == 413 and str(LIMIT) in body["detail"]


def test_a_body_at_the_limit_passes(client: TestClient) -> None:
    response = client.post("/v1/notes", content=note(LIMIT), headers=JSON)
    assert response.status_code == 200 and response.json() == {"length": LIMIT - 12}


def test_a_declared_length_over_the_limit_is_refused_unread(client: TestClient) -> None:
    response = client.post("/v1/notes", content=note(LIMIT + 1), headers=JSON)
    assert_too_large(response.status_code, response.headers["content-type"], response.json())
    assert response.headers["connection"] == "close"


def test_a_chunked_body_over_the_limit_is_refused(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield note(LIMIT + 1)

    # No Content-Length: the body is counted as the route reads it.
    response = client.post("/v1/notes", content=chunks(), headers=JSON)
    assert_too_large(response.status_code, response.headers["content-type"], response.json())
    assert response.headers["connection"] == "close"


async def _drive(app: Any, chunks: list[bytes], headers: list[tuple[bytes, bytes]]) -> Any:
    """Runs one request through a pure ASGI app; returns what was sent and how many body
    chunks were asked for."""
    asked = 0
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal asked
        asked += 1
        body = chunks[asked - 1] if asked <= len(chunks) else b""
        return {"type": "http.request", "body": body, "more_body": asked < len(chunks)}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/x", "headers": headers}
    await app(scope, receive, send)
    return sent, asked


async def _reading_app(scope: Scope, receive: Receive, send: Send) -> None:
    # Reads the whole body itself, as the idempotency middleware does.
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


@pytest.mark.anyio
async def test_the_first_chunk_past_the_limit_stops_the_reading() -> None:
    middleware = BodyLimitMiddleware(_reading_app, max_bytes=LIMIT)
    chunks = [b"x" * 400] * 10  # 4,000 bytes in all, the third chunk passes the limit

    sent, asked = await _drive(middleware, chunks, headers=[])

    assert asked == 3
    assert sent[0]["status"] == 413
    assert (b"content-type", PROBLEM_MEDIA_TYPE.encode()) in sent[0]["headers"]


@pytest.mark.anyio
async def test_a_declared_length_over_the_limit_is_answered_without_reading() -> None:
    middleware = BodyLimitMiddleware(_reading_app, max_bytes=LIMIT)

    sent, asked = await _drive(middleware, [b"x"], headers=[(b"content-length", b"1001")])

    assert (asked, sent[0]["status"]) == (0, 413)


@pytest.mark.anyio
async def test_a_malformed_declared_length_falls_back_to_counting() -> None:
    middleware = BodyLimitMiddleware(_reading_app, max_bytes=LIMIT)

    sent, _ = await _drive(middleware, [b"x" * 10], headers=[(b"content-length", b"\xc2\xb2")])

    assert sent[0]["status"] == 204


@pytest.mark.anyio
async def test_a_body_read_after_the_answer_started_cannot_be_refused() -> None:
    async def late_reader(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        while (await receive()).get("more_body"):
            pass

    middleware = BodyLimitMiddleware(late_reader, max_bytes=LIMIT)
    with pytest.raises(Exception, match="larger than 1000 bytes"):
        await _drive(middleware, [b"x" * 600] * 2, headers=[])


def test_the_limit_must_be_positive() -> None:
    with pytest.raises(ValueError):
        BodyLimitMiddleware(_reading_app, max_bytes=0)


def test_over_a_real_server_a_chunked_body_is_refused_before_it_ends() -> None:
    """The answer comes while the body is still arriving: nothing buffers it whole first."""
    with serving(app_with_limit()) as address:
        connection = Connection(address)
        try:
            connection.send(
                b"POST /v1/notes HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n"
            )
            for _ in range(3):  # 1,200 bytes, and no last chunk: the body never ends
                connection.send(b"190\r\n" + b"x" * 400 + b"\r\n")
            answer = connection.answer()
        finally:
            connection.close()
    assert answer is not None and answer.status == 413
    assert answer.headers["content-type"] == PROBLEM_MEDIA_TYPE


def test_over_a_real_server_a_declared_length_is_refused_at_once() -> None:
    with serving(app_with_limit()) as address:
        connection = Connection(address)
        try:
            connection.send(
                b"POST /v1/notes HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                b"Content-Length: 5000000\r\n\r\n"  # and no byte of it
            )
            answer = connection.answer()
        finally:
            connection.close()
    assert answer is not None and answer.status == 413


# -- the setting, and the service kit's app ------------------------------------------------


def test_the_default_limit_is_one_mebibyte() -> None:
    assert Settings.from_env({}).max_body_bytes == DEFAULT_MAX_BODY_BYTES == 1024 * 1024


def test_the_limit_comes_from_the_environment() -> None:
    assert Settings.from_env({"COOP_MAX_BODY_BYTES": "2048"}).max_body_bytes == 2048


@pytest.mark.parametrize("value", ["0", "-1", "1MB", "²", "1" * 19, "1e6"])
def test_a_limit_that_is_no_byte_count_is_refused(value: str) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({"COOP_MAX_BODY_BYTES": value})
    assert raised.value.variable == "COOP_MAX_BODY_BYTES"


def test_every_service_app_limits_its_bodies(tmp_path: Path) -> None:
    store = SQLiteEventStore(":memory:")
    try:
        settings = kit_settings(tmp_path, COOP_MAX_BODY_BYTES=str(LIMIT))
        app = create_service_app(title="t", settings=settings, store=store, routers=[router])
        with TestClient(app) as client:
            small = client.post("/v1/notes", content=note(LIMIT), headers=bearer(ADMIN_KEY) | JSON)
            large = client.post(
                "/v1/notes",
                content=note(LIMIT + 1),
                headers=bearer(ADMIN_KEY) | JSON | {"Idempotency-Key": "k1"},
            )
            # Chunked: counted as the route reads it.
            chunked = client.post(
                "/v1/notes",
                content=iter([note(LIMIT + 1)]),
                headers=bearer(ADMIN_KEY) | JSON | {"Idempotency-Key": "k2"},
            )
    finally:
        store.close()
    assert small.status_code == 200
    for response in (large, chunked):
        assert_too_large(response.status_code, response.headers["content-type"], response.json())
