"""Schemathesis hooks for the CLI run of `make fuzz` (loaded through `SCHEMATHESIS_HOOKS`).

The driver (`tests/fuzz/long_run.py`) seeds the server, then passes the seeded resources in
`COOP_FUZZ_KNOWN` (JSON) and the generation mode in `COOP_FUZZ_MODE`: path parameters take a
seeded id half of the time in every mode, and bodies are reshaped around valid ones in the
positive mode only (see `tests.fuzz.harness.seeded_body`).
"""

from __future__ import annotations

import json
import os
from typing import Any

import schemathesis
from hypothesis import strategies as st

from tests.fuzz.harness import Known, seeded_body, seeded_path_parameters

_known = os.environ.get("COOP_FUZZ_KNOWN")
KNOWN = Known.from_json(_known) if _known else None
POSITIVE = os.environ.get("COOP_FUZZ_MODE") == "positive"
CALLS = os.environ.get("COOP_FUZZ_CALLS")


def _record(entry: dict[str, Any]) -> None:
    if CALLS:
        with open(CALLS, "a") as calls:
            calls.write(json.dumps(entry) + "\n")


def _label(context: schemathesis.HookContext) -> str:
    return context.operation.label if context.operation is not None else "?"


@schemathesis.hook
def after_call(
    context: schemathesis.HookContext, case: schemathesis.Case, response: schemathesis.Response
) -> None:
    _record({"operation": _label(context), "status": response.status_code})


@schemathesis.hook
def after_network_error(
    context: schemathesis.HookContext, case: schemathesis.Case, request: Any
) -> None:
    _record({"operation": _label(context), "network_error": True, "curl": case.as_curl_command()})


@schemathesis.hook
def flatmap_path_parameters(
    context: schemathesis.HookContext, path_parameters: dict[str, Any] | None
) -> st.SearchStrategy[dict[str, Any] | None]:
    return seeded_path_parameters(KNOWN, context, path_parameters)


@schemathesis.hook
def flatmap_body(context: schemathesis.HookContext, body: Any) -> st.SearchStrategy[Any]:
    if not POSITIVE:
        return st.just(body)
    return seeded_body(KNOWN, context, body)
