"""Property-based HTTP tests of every write (POST, PATCH, PUT) of the embedded app.

Schemathesis reads the app's own OpenAPI document and generates requests from it; each
answer must be no server error and must conform to what the document says (status code,
content type, body schema). The app is the real `services.embedded.create_app` over a SQLite
store in a temporary directory, served by uvicorn on 127.0.0.1 with its lifespan running
(projections, the DIMONA relay and the expiry sweep are live), simulated clock.

- valid data (positive mode) and invalid data (negative mode), with the admin key;
- valid data with a member key (its own member's data only: the rest must be refused, not
  crash);
- stateful sequences over links schemathesis infers (the document declares none);
- then, after all of them, no projection or reaction failed and every event of the log
  decodes. That last test reads what the earlier ones wrote: keep it last in this file.

A member, a client and three prestations are seeded first (tests/fuzz/harness.py): path
parameters take their ids about half of the time, so the writes reach real resources and not
only 404s; in the positive mode, bodies also name the seeded member and client, or are a
valid body with one generated field, so that an odd value gets past the domain's other rules
into the events and the projections. `schemathesis.toml` adds dictionaries of edge values
(64-bit limits, Unicode digits, ETag shapes for If-Match and cursors).

Budget: `COOP_FUZZ_EXAMPLES` (default 15) fuzzed examples per operation and mode, after the
coverage phase's boundary values; generation is derandomized with a fixed seed, so a run is
reproducible. About 40 s on this 2-core machine under coverage. `make fuzz` is the long run.

Checks kept, and why the others are not:
- `not_a_server_error`: no 5xx, ever;
- `status_code_conformance`: every status is one the document lists for the operation;
- `content_type_conformance`: the answer's media type is the documented one (problems are
  `application/problem+json`);
- `response_schema_conformance`: the body matches the documented schema;
- `negative_data_rejection` (negative mode only): data that breaks the schema is refused
  with a 4xx.
- not kept: `positive_data_acceptance` (data valid for the schema is often refused by the
  domain, rightly: an unknown member is a 404, a made-up NISS a 422); `ignored_auth` (the
  quote answers are documented with the bearer scheme yet accept the client's token
  without a key, by design); `use_after_free`, `ensure_resource_availability` (no DELETE
  here); `missing_required_header`, `unsupported_method`, `allow_header_conformance` and
  `response_headers_conformance` (no required or documented headers; they add requests
  outside the writes under test); `max_response_time` (timing is not a contract here).
"""

from __future__ import annotations

import os
import tempfile
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import hypothesis
import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import strategies as st
from schemathesis import checks
from schemathesis.schemas import BaseSchema

from services import embedded
from tests.api.api_client import ADMIN_KEY, TODAY, api_settings
from tests.fuzz.harness import (
    Known,
    buy_share,
    log_problems,
    readiness_problems,
    seed,
    seeded_body,
    seeded_path_parameters,
    serving,
)

EXAMPLES = int(os.environ.get("COOP_FUZZ_EXAMPLES", "15"))
SEED = 20260302
CONFIG = Path(__file__).with_name("schemathesis.toml")  # shared with `make fuzz`
WRITES = ["POST", "PATCH", "PUT"]

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]
NEGATIVE_CHECKS = [*CHECKS, checks.negative_data_rejection]

# The seeded resources, set by the `served` fixture before any case is generated (generation
# happens inside the tests, after the fixtures).
SEEDED: list[Known] = []


def _openapi_document() -> dict[str, Any]:
    """The app's own document, from a throwaway app started and stopped (nothing left open)."""
    with (
        tempfile.TemporaryDirectory() as tmp,
        TestClient(embedded.create_app(api_settings(Path(tmp)))) as client,
    ):
        document: dict[str, Any] = client.get("/openapi.json").json()
        return document


def _schema(document: dict[str, Any], mode: str, *, coverage: bool = True) -> BaseSchema:
    """`coverage`: also run schemathesis' coverage phase (the schema's boundary values, each
    once, before the fuzzing examples)."""
    settings = tomllib.loads(CONFIG.read_text())
    settings["seed"] = SEED
    settings["generation"].update(mode=mode, deterministic=True, **{"max-examples": EXAMPLES})
    settings["phases"] = {"coverage": {"enabled": coverage}}
    config = schemathesis.Config.from_dict(settings)
    schema = schemathesis.openapi.from_dict(document, config=config).include(method=WRITES)

    @schema.hook
    def flatmap_path_parameters(
        context: schemathesis.HookContext, path_parameters: dict[str, Any] | None
    ) -> st.SearchStrategy[dict[str, Any] | None]:
        return seeded_path_parameters(_seeded(), context, path_parameters)

    if mode == "positive":

        @schema.hook
        def flatmap_body(context: schemathesis.HookContext, body: Any) -> st.SearchStrategy[Any]:
            return seeded_body(_seeded(), context, body)

    return schema


def _seeded() -> Known | None:
    return SEEDED[0] if SEEDED else None


DOCUMENT = _openapi_document()
positive = _schema(DOCUMENT, "positive")
negative = _schema(DOCUMENT, "negative")
# The boundary values were tried with the admin key already: the member key fuzzes only.
as_member = _schema(DOCUMENT, "positive", coverage=False)


@dataclass(frozen=True)
class Served:
    app: FastAPI
    base_url: str
    known: Known

    def call(self, case: schemathesis.Case, key: str, checks: list[Any]) -> None:
        case.call_and_validate(
            base_url=self.base_url, headers={"Authorization": f"Bearer {key}"}, checks=checks
        )


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    app = embedded.create_app(api_settings(tmp_path_factory.mktemp("fuzz")))
    with serving(app) as base_url, _admin(base_url) as client:
        known = seed(client)
        buy_share(app.state.store, known.member_id, TODAY.year)  # more than 3 prestations
        SEEDED.append(known)
        try:
            yield Served(app, base_url, known)
        finally:
            SEEDED.clear()


def _admin(base_url: str) -> httpx.Client:
    return httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {ADMIN_KEY}"})


@pytest.fixture(autouse=True)
def _today(served: Served) -> None:
    """Each operation starts on TODAY (PUT /v1/ops/clock moves it while it is fuzzed)."""
    with _admin(served.base_url) as client:
        assert client.put("/v1/ops/clock", json={"today": TODAY.isoformat()}).status_code == 200


@positive.parametrize()
def test_valid_writes_never_fail_and_answer_as_documented(
    case: schemathesis.Case, served: Served
) -> None:
    served.call(case, ADMIN_KEY, CHECKS)


@negative.parametrize()
def test_invalid_writes_are_refused_as_documented(case: schemathesis.Case, served: Served) -> None:
    served.call(case, ADMIN_KEY, NEGATIVE_CHECKS)


@as_member.parametrize()
def test_a_member_key_writes_its_own_data_or_is_refused(
    case: schemathesis.Case, served: Served
) -> None:
    served.call(case, served.known.member_key, CHECKS)


def test_stateful_sequences_never_fail(served: Served) -> None:
    """Sequences of calls chained by the links schemathesis infers from the document (its
    dependency analysis: an id in a response fills the path parameter of another operation);
    the document itself declares no OpenAPI links."""
    machine = _schema(DOCUMENT, "positive").as_state_machine()
    auth = {"Authorization": f"Bearer {ADMIN_KEY}"}

    class Sequences(machine):  # type: ignore[valid-type,misc]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"base_url": served.base_url, "headers": auth}

        def validate_response(
            self,
            response: schemathesis.Response,
            case: schemathesis.Case,
            additional_checks: Any = None,
            **kwargs: Any,
        ) -> None:
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs)

    Sequences.run(
        settings=hypothesis.settings(
            max_examples=max(EXAMPLES // 2, 2),
            stateful_step_count=8,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(hypothesis.HealthCheck),
        )
    )


def test_after_the_run_no_projection_failed_and_every_event_decodes(served: Served) -> None:
    with _admin(served.base_url) as client:
        assert readiness_problems(client) == []
    assert log_problems(served.app.state.store) == []
