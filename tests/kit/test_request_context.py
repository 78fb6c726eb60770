"""What scopes an Idempotency-Key: the request's path, read without building its URL when it
is plain, must be exactly what `request.url.path` says, or a retry after an upgrade would be
taken for a new request."""

from __future__ import annotations

import gc
import random
import string
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request

from shared.eventstore.sqlite import SQLiteEventStore
from shared.http.service import create_service_app, url_path
from tests.kit import kit_settings

ODD = ["//x", "/a//b", "/a?b", "/a#b", "/a\\b", "/a b", "/a\tb", "/%2F", "/", "/x;y=z", "/é"]


def _paths() -> list[str]:
    chance = random.Random(9)
    alphabet = string.printable + "é\u2028\x00\x7f"
    drawn = ["/" + "".join(chance.choices(alphabet, k=chance.randint(0, 12))) for _ in range(3000)]
    return ["/v1/prestations", "/v1/quotes/Q1/accept", *ODD, *drawn]


@pytest.mark.parametrize("host", [b"example.org", b"[::1]:8000", None])
def test_the_path_is_the_urls_path(host: bytes | None) -> None:
    headers = [] if host is None else [(b"host", host)]
    for path in _paths():
        scope = {"type": "http", "path": path, "root_path": "", "headers": headers,
                 "query_string": b"a=1", "scheme": "http", "server": ("127.0.0.1", 80)}  # fmt: skip
        try:
            expected: str | type[Exception] = Request(scope).url.path
        except ValueError:
            expected = ValueError
        try:
            found: str | type[Exception] = url_path(Request(scope))
        except ValueError:
            found = ValueError
        assert found == expected, path


def test_what_the_process_holds_once_started_is_out_of_the_collectors_sight(
    tmp_path: Path,
) -> None:
    store = SQLiteEventStore(str(tmp_path / "events.sqlite"))
    app = create_service_app(title="t", settings=kit_settings(tmp_path), store=store, routers=[])
    try:
        with TestClient(app):
            assert gc.get_freeze_count() > 0
    finally:
        store.close()
