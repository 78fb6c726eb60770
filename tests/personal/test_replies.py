"""Replies open sealed values as the last step, escaped for JSON."""

from __future__ import annotations

import json

from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from shared.http.revealing import RevealingMiddleware
from shared.personal import ERASED, current_vault, reveal_json


class Named(BaseModel):
    name: str
    note: str


def test_a_reply_opens_the_sealed_values_it_carries_and_escapes_them() -> None:
    name = current_vault().seal("member/R-1", 'O"Brien\\ \n Zoé')
    app = FastAPI()
    app.add_middleware(RevealingMiddleware)
    # A response model takes FastAPI's fast path (bytes, no response class); a dict does not.
    app.get("/model", response_model=Named)(lambda: Named(name=name, note=f"for {name}"))
    app.get("/dict")(lambda: {"name": name, "note": f"for {name}"})
    with TestClient(app) as client:
        for path in ("/model", "/dict"):
            response = client.get(path)
            assert response.json() == {"name": 'O"Brien\\ \n Zoé', "note": 'for O"Brien\\ \n Zoé'}
            assert int(response.headers["content-length"]) == len(response.content)


def test_an_erased_persons_values_reply_as_erased() -> None:
    sealed = current_vault().seal("member/R-2", "Peeters")
    current_vault().erase("member/R-2")
    assert json.loads(reveal_json(json.dumps({"name": sealed}).encode())) == {"name": ERASED}


def test_a_reply_without_sealed_values_is_left_as_it_is() -> None:
    body = b'{"a":"{pii1: not a token}"}'
    assert reveal_json(body) is body or reveal_json(body) == body


def test_the_log_search_finds_a_leaked_value() -> None:
    from tests.conftest import personal_lines

    lines = ["coop.http: POST /v1/members 201", "coop.x: member 85073003328 registered"]
    assert personal_lines(lines) == [lines[1]]


def test_a_text_that_only_begins_like_a_sealed_value_does_not_hide_a_real_one() -> None:
    sealed = current_vault().seal("member/R-3", "Martin")
    body = json.dumps({"note": "{pii1: not one", "name": sealed, "x": "{pii1:a/b:c}"}).encode()
    assert json.loads(reveal_json(body)) == {
        "note": "{pii1: not one",
        "name": "Martin",
        "x": "{pii1:a/b:c}",
    }
