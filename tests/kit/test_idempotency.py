import hashlib
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from pydantic import BaseModel

from shared.decider import DomainError
from shared.http.idempotency import Claimed, IdempotencyMiddleware, IdempotencyRecords, Recorded
from shared.http.problems import install_problem_handlers
from tests.kit import bearer


class Thing(BaseModel):
    name: str


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "http.sqlite"


@pytest.fixture
def calls() -> Counter[str]:
    return Counter()


@pytest.fixture
def release() -> threading.Event:
    return threading.Event()


@pytest.fixture
def client(db_path: Path, calls: Counter[str], release: threading.Event) -> Iterator[TestClient]:
    app = FastAPI()
    install_problem_handlers(app)
    app.add_middleware(IdempotencyMiddleware, db_path=db_path)

    @app.post("/v1/things", status_code=201)
    def create_thing(thing: Thing, response: Response) -> dict[str, str | int]:
        calls["things"] += 1
        thing_id = uuid.uuid4().hex  # differs on every run: a replay must not re-run
        response.headers["Location"] = f"/v1/things/{thing_id}"
        response.headers["X-Debug"] = "not recorded"
        return {"thing_id": thing_id, "name": thing.name, "run": calls["things"]}

    @app.post("/v1/flaky")
    def flaky() -> dict[str, int]:
        calls["flaky"] += 1
        if calls["flaky"] == 1:
            raise RuntimeError("transient")
        return {"run": calls["flaky"]}

    @app.post("/v1/unavailable")
    def unavailable() -> JSONResponse:
        calls["unavailable"] += 1
        return JSONResponse(
            {"run": calls["unavailable"]}, 503 if calls["unavailable"] == 1 else 200
        )

    @app.post("/v1/refused")
    def refused() -> None:
        calls["refused"] += 1
        raise DomainError(f"refused on run {calls['refused']}")

    @app.post("/v1/guarded")
    def guarded(response: Response) -> dict[str, int]:
        calls["guarded"] += 1
        response.status_code = 401 if calls["guarded"] == 1 else 201
        return {"run": calls["guarded"]}

    @app.post("/v1/slow")
    def slow() -> dict[str, int]:
        calls["slow"] += 1
        release.wait(5)
        return {"run": calls["slow"]}

    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def post(
    client: TestClient, path: str, body: dict[str, str], key: str | None, auth: str = "k1"
) -> httpx.Response:
    headers = bearer(auth) | ({"Idempotency-Key": key} if key is not None else {})
    return client.post(path, json=body, headers=headers)


def test_same_key_and_body_replays_the_first_answer_byte_for_byte(
    client: TestClient, calls: Counter[str]
) -> None:
    first = post(client, "/v1/things", {"name": "a"}, "key-1")
    second = post(client, "/v1/things", {"name": "a"}, "key-1")
    assert first.status_code == second.status_code == 201
    assert second.content == first.content
    assert second.headers["location"] == first.headers["location"]
    assert second.headers["content-type"] == first.headers["content-type"]
    assert second.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert "x-debug" not in second.headers
    assert calls["things"] == 1


def test_same_key_with_another_body_is_refused(client: TestClient, calls: Counter[str]) -> None:
    post(client, "/v1/things", {"name": "a"}, "key-1")
    response = post(client, "/v1/things", {"name": "b"}, "key-1")
    assert response.status_code == 422
    assert response.json()["type"].endswith("/idempotency-key-reused")
    assert calls["things"] == 1


def test_keys_are_scoped_by_caller_and_path(client: TestClient, calls: Counter[str]) -> None:
    post(client, "/v1/things", {"name": "a"}, "key-1", auth="k1")
    post(client, "/v1/things", {"name": "a"}, "key-1", auth="k2")
    post(client, "/v1/flaky", {}, "key-1", auth="k1")
    assert calls["things"] == 2 and calls["flaky"] == 1


def test_requests_without_a_key_always_run(client: TestClient, calls: Counter[str]) -> None:
    post(client, "/v1/things", {"name": "a"}, None)
    post(client, "/v1/things", {"name": "a"}, None)
    assert calls["things"] == 2


def test_a_raising_handler_releases_the_key(client: TestClient, calls: Counter[str]) -> None:
    assert post(client, "/v1/flaky", {}, "key-1").status_code == 500
    retried = post(client, "/v1/flaky", {}, "key-1")
    assert retried.status_code == 200 and retried.json() == {"run": 2}
    assert post(client, "/v1/flaky", {}, "key-1").headers["idempotent-replayed"] == "true"
    assert calls["flaky"] == 2


def test_a_5xx_answer_releases_the_key(client: TestClient, calls: Counter[str]) -> None:
    assert post(client, "/v1/unavailable", {}, "key-1").status_code == 503
    assert post(client, "/v1/unavailable", {}, "key-1").status_code == 200
    assert calls["unavailable"] == 2


def test_an_unauthenticated_answer_is_not_recorded(client: TestClient) -> None:
    assert post(client, "/v1/guarded", {}, "key-1").status_code == 401
    assert post(client, "/v1/guarded", {}, "key-1").json() == {"run": 2}


def test_client_errors_are_recorded(client: TestClient, calls: Counter[str]) -> None:
    first = post(client, "/v1/refused", {}, "key-1")
    second = post(client, "/v1/refused", {}, "key-1")
    assert first.status_code == second.status_code == 422
    assert first.content == second.content and calls["refused"] == 1


def test_a_key_in_flight_answers_409(
    client: TestClient, db_path: Path, calls: Counter[str]
) -> None:
    # Another process (or request) holds the claim on this key and has not answered yet.
    records = IdempotencyRecords(db_path)
    body = b'{"name":"a"}'
    principal = hashlib.sha256(b"Bearer k1").hexdigest()
    claim = records.claim(
        (principal, "POST", "/v1/things", "key-1"), hashlib.sha256(body).hexdigest()
    )
    records.close()
    assert isinstance(claim, Claimed)
    response = client.post(
        "/v1/things",
        content=body,
        headers=bearer("k1") | {"Idempotency-Key": "key-1", "content-type": "application/json"},
    )
    assert response.status_code == 409
    assert response.json()["type"].endswith("/idempotency-key-in-flight")
    assert calls["things"] == 0


def test_a_concurrent_retry_does_not_run_the_handler_twice(
    client: TestClient, calls: Counter[str], release: threading.Event
) -> None:
    answers = []
    first = threading.Thread(target=lambda: answers.append(post(client, "/v1/slow", {}, "k")))
    first.start()
    deadline = time.monotonic() + 5
    while calls["slow"] == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    concurrent = post(client, "/v1/slow", {}, "k")
    release.set()
    first.join(5)
    assert concurrent.status_code == 409 and concurrent.headers["retry-after"] == "1"
    assert answers[0].json() == {"run": 1}
    assert post(client, "/v1/slow", {}, "k").json() == {"run": 1}
    assert calls["slow"] == 1


@pytest.mark.parametrize("key", ["", "k" * 256])
def test_invalid_keys_are_400(client: TestClient, calls: Counter[str], key: str) -> None:
    response = post(client, "/v1/things", {"name": "a"}, key)
    assert response.status_code == 400
    assert response.json()["type"].endswith("/invalid-idempotency-key")
    assert calls["things"] == 0


def test_a_key_of_255_characters_is_fine(client: TestClient) -> None:
    assert post(client, "/v1/things", {"name": "a"}, "k" * 255).status_code == 201


def test_an_abandoned_claim_can_be_taken_over(db_path: Path) -> None:
    records = IdempotencyRecords(db_path, in_flight_timeout=0.0)
    key = ("p", "POST", "/v1/things", "key-1")
    first = records.claim(key, "h")
    second = records.claim(key, "h")
    assert isinstance(first, Claimed) and isinstance(second, Claimed)
    assert first.claim_id != second.claim_id
    records.complete(key, first.claim_id, 201, [], b"late")  # the dead claim cannot record
    records.complete(key, second.claim_id, 201, [(b"content-type", b"text/plain")], b"ok")
    answer = IdempotencyRecords(db_path).claim(key, "h")
    assert answer == Recorded("h", 201, [(b"content-type", b"text/plain")], b"ok")
    records.close()
