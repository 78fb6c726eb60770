"""The embedded app on a real SQLite store, simulated clock, for the privacy service's tests;
`privacy` is the service itself (its scheduler is driven by the tests, not by its timer)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.privacy.app import PrivacyService
from tests.api.api_client import TODAY, Api
from tests.api.conftest import running_app


@pytest.fixture(scope="module")
def module_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with running_app(tmp_path_factory.mktemp("privacy")) as api:
        yield api


@pytest.fixture
def api(module_api: Api) -> Api:
    module_api.set_today(TODAY)
    return module_api


@pytest.fixture
def fresh_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with running_app(tmp_path_factory.mktemp("privacy-fresh")) as api:
        api.set_today(TODAY)
        yield api


def privacy_of(api: Api) -> PrivacyService:
    service = api.app.state.privacy_service
    assert isinstance(service, PrivacyService)
    return service
