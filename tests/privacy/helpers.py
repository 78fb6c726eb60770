"""The chain a member's history goes through, driven over HTTP, and waits on its reactions."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from services.payroll.ids import salary_id_for
from tests.api.api_client import Api

DEADLINE = 15.0
Json = dict[str, Any]


def eventually(api: Api, path: str, check: Callable[[Json], bool], *, key: Any = None) -> Json:
    """GET `path` until `check` holds on its body (the background reacts on its own)."""
    deadline = time.monotonic() + DEADLINE
    while True:
        kwargs = {} if key is None else {"key": key}
        response = api.request("GET", path, **kwargs)
        if response.status_code == 200 and check(body := response.json()):
            found: Json = body
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{path}: {response.status_code} {response.text}")
        time.sleep(0.05)


def worked(api: Api, member_id: str, client_id: str) -> tuple[str, str]:
    """The worked example encoded and accepted: its invoice issued and its salary scheduled
    (days 2026-03-10 and 11, paid on 2026-03-19). Returns (prestation id, salary id)."""
    prestation = api.encode(member_id, client_id)
    quote = prestation["quote"]
    assert api.accept(quote["quote_id"], quote["acceptance_token"]).status_code == 200
    prestation_id = prestation["prestation_id"]
    eventually(api, f"/v1/invoices/I{prestation_id}", bool)
    salary_id = salary_id_for(prestation_id)
    eventually(api, f"/v1/salaries/{salary_id}", bool)
    return prestation_id, salary_id


def paid(api: Api, salary_id: str) -> None:
    """The payment run of 2026-03-19 pays the salary."""
    api.set_today("2026-03-19")
    api.post("/v1/payment-runs", {}, status=201)
    eventually(api, f"/v1/salaries/{salary_id}", lambda body: body["status"] == "paid")


def requests_of(api: Api, member_id: str, **kwargs: Any) -> list[Json]:
    items: list[Json] = api.get(f"/v1/members/{member_id}/erasure-requests", **kwargs)["items"]
    return items


def holds_of(request: Json) -> dict[str, str | None]:
    return {hold["rule"]: hold["ends_on"] for hold in request["holds"]}
