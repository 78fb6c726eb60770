"""The embedded app on a real SQLite store in a temporary directory, simulated clock.

`api` is one app per test module (starting an app and warming its connections costs about a
tenth of a second, which adds up): every test registers its own member and client, so nothing
it reads was written by another test, and the clock is set back to TODAY before each test.
`fresh_api` is an app of its own, for the tests that read something global (a list without a
member filter, the quote-expiry sweep over every pending quote).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services import embedded
from services.contracts.app import ContractsService
from tests.api.api_client import TODAY, Api, api_settings


@contextmanager
def running_app(data_dir: Path) -> Iterator[Api]:
    """The real `services.embedded.create_app`, lifespan started (projections, DIMONA relay,
    expiry sweep running). The app keeps its ContractsService on `state.contracts_service`:
    the tests reach the relay, its outbox gateway and the sweep there."""
    app = embedded.create_app(api_settings(data_dir))
    service = app.state.contracts_service
    assert isinstance(service, ContractsService)
    with TestClient(app) as client:
        yield Api(client, app, service)


@pytest.fixture(scope="module")
def module_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with running_app(tmp_path_factory.mktemp("coop")) as api:
        yield api


@pytest.fixture
def api(module_api: Api) -> Api:
    module_api.set_today(TODAY)
    return module_api


@pytest.fixture
def fresh_api(tmp_path: Path) -> Iterator[Api]:
    with running_app(tmp_path) as api:
        api.set_today(TODAY)
        yield api


@pytest.fixture
def member(api: Api) -> dict[str, Any]:
    return api.register_member()


@pytest.fixture
def client(api: Api) -> dict[str, Any]:
    return api.register_client()


@pytest.fixture
def quoted(api: Api, member: dict[str, Any], client: dict[str, Any]) -> dict[str, Any]:
    """The worked example, encoded on TODAY: first day 2026-03-10, quote valid until then."""
    return api.encode(member["member_id"], client["client_id"])
