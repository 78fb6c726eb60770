"""A thin client over the embedded app: one method per thing a caller does, parsed JSON back.

Each happy-path method asserts the status it expects and returns the body; `request` gives the
raw response for the tests that look at refusals.
"""

from __future__ import annotations

import enum
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any, Literal

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.contracts.app import ContractsService
from services.contracts.dimona_gateway import OutboxDimonaGateway
from services.contracts.reactions import DimonaRelay, QuoteExpirySweep
from shared.events.base import Context
from shared.events.governance import ShareBought
from shared.eventstore.codec import to_new_events
from shared.eventstore.port import NO_STREAM, EventStore
from shared.settings import Settings

ADMIN_KEY = "test-admin-key-api-tests-0123456789abcdef"
TODAY = date(2026, 3, 2)  # a Monday
VALID_NISS = "85073003328"
VALID_IBAN = "BE71 0961 2345 6769"
VALID_VAT = "BE0123456749"
PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://coop.example/problems/"
DEADLINE_SECONDS = 10.0


class _As(enum.Enum):
    ADMIN = "admin"


AS_ADMIN = _As.ADMIN
Key = str | None | Literal[_As.ADMIN]  # a bearer key, or None: no Authorization header


def api_settings(data_dir: Path) -> Settings:
    """Development settings over `data_dir`, with a known admin key and the simulated clock."""
    return Settings.from_env(
        {"COOP_DATA_DIR": str(data_dir), "COOP_ADMIN_KEY": ADMIN_KEY, "COOP_CLOCK": "simulated"}
    )


def assert_problem(
    response: httpx.Response, status: int, code: str, field: str | None = None
) -> dict[str, Any]:
    """The response is an RFC 9457 problem of `status` whose type ends with `code` (and whose
    `errors` name `field`, when given)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    problem: dict[str, Any] = response.json()
    assert problem["type"] == PROBLEM_BASE + code, problem
    assert problem["status"] == status
    if field is not None:
        assert field in [error["field"] for error in problem.get("errors", [])], problem
    return problem


class Api:
    """The embedded app seen from outside, plus the contracts service's background parts
    (the DIMONA relay, its outbox gateway and the quote-expiry sweep) for the tests that drive
    them instead of waiting for their timers."""

    def __init__(self, client: TestClient, app: FastAPI, contracts: ContractsService) -> None:
        self.client = client
        self.app = app
        self.contracts = contracts

    # -- raw -----------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        key: Key = AS_ADMIN,
        json: object = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        all_headers = dict(headers or {})
        bearer = ADMIN_KEY if key is AS_ADMIN else key
        if isinstance(bearer, str):
            all_headers["Authorization"] = f"Bearer {bearer}"
        return self.client.request(method, path, json=json, params=params, headers=all_headers)

    def get(
        self, path: str, *, key: Key = AS_ADMIN, params: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        return _ok(self.request("GET", path, key=key, params=params), 200)

    def post(
        self,
        path: str,
        body: object,
        *,
        key: Key = AS_ADMIN,
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        return _ok(self.request("POST", path, key=key, json=body, headers=headers), status)

    # -- platform ------------------------------------------------------------------------------

    def set_today(self, today: date | str) -> None:
        day = today if isinstance(today, str) else today.isoformat()
        body = _ok(self.request("PUT", "/v1/ops/clock", json={"today": day}), 200)
        assert body["today"] == day

    def issue_key(
        self, role: str, member_id: str | None = None, scopes: list[str] | None = None
    ) -> str:
        request: dict[str, Any] = {"role": role}
        if member_id is not None:
            request["member_id"] = member_id
        if scopes is not None:
            request["scopes"] = scopes
        key: str = self.post("/v1/api-keys", request, status=201)["key"]
        return key

    def member_key(self, member_id: str) -> str:
        return self.issue_key("member", member_id)

    def ops_key(self) -> str:
        return self.issue_key("ops")

    # -- contracts -----------------------------------------------------------------------------

    @staticmethod
    def member_body(**overrides: object) -> dict[str, Any]:
        return {
            "first_name": "Ana",
            "last_name": "Peeters",
            "email": "ana.peeters@example.be",
            "niss": VALID_NISS,
            "iban": VALID_IBAN,
            "gender": "F",
            **overrides,
        }

    def register_member(self, **overrides: object) -> dict[str, Any]:
        return self.post("/v1/members", self.member_body(**overrides), status=201)

    @staticmethod
    def client_body(**overrides: object) -> dict[str, Any]:
        return {
            "name": "Théâtre du Parc",
            "email": "billing@parc.example.be",
            "country": "BE",
            "vat_number": VALID_VAT,
            **overrides,
        }

    def register_client(self, **overrides: object) -> dict[str, Any]:
        return self.post("/v1/clients", self.client_body(**overrides), status=201)

    @staticmethod
    def prestation_body(member_id: str, client_id: str, /, **overrides: object) -> dict[str, Any]:
        """The worked example of DOMAIN.md §2: 2 days at €500, 21 % VAT, 22 % withholding."""
        return {
            "member_id": member_id,
            "client_id": client_id,
            "description": "Two concerts",
            "days": [{"date": "2026-03-10", "hours": 8}, {"date": "2026-03-11", "hours": 8}],
            "amount_excl_vat_cents": 100000,
            "vat_rate": "21",
            "withholding_rate": "22",
            "expenses": [],
            **overrides,
        }

    def try_encode(
        self,
        member_id: str,
        client_id: str,
        /,
        *,
        key: Key = AS_ADMIN,
        headers: dict[str, str] | None = None,
        **overrides: object,
    ) -> httpx.Response:
        body = self.prestation_body(member_id, client_id, **overrides)
        return self.request("POST", "/v1/prestations", key=key, json=body, headers=headers)

    def encode(
        self,
        member_id: str,
        client_id: str,
        /,
        *,
        key: Key = AS_ADMIN,
        headers: dict[str, str] | None = None,
        **overrides: object,
    ) -> dict[str, Any]:
        response = self.try_encode(member_id, client_id, key=key, headers=headers, **overrides)
        return _ok(response, 201)

    def prestation(self, prestation_id: str, *, key: Key = AS_ADMIN) -> dict[str, Any]:
        return self.get(f"/v1/prestations/{prestation_id}", key=key)

    def accept(self, quote_id: str, token: str | None, *, key: Key = None) -> httpx.Response:
        body = {} if token is None else {"acceptance_token": token}
        return self.request("POST", f"/v1/quotes/{quote_id}/accept", key=key, json=body)

    def reject(
        self, quote_id: str, token: str | None, *, key: Key = None, reason: str | None = None
    ) -> httpx.Response:
        body: dict[str, Any] = {} if token is None else {"acceptance_token": token}
        if reason is not None:
            body["reason"] = reason
        return self.request("POST", f"/v1/quotes/{quote_id}/reject", key=key, json=body)

    def buy_share(self, member_id: str, year: int) -> None:
        """Governance's ShareBought, appended the way that service would (it has no API here)."""
        purchase_id = uuid.uuid4().hex
        bought = ShareBought(
            purchase_id=purchase_id,
            member_id=member_id,
            category="A",
            quantity=1,
            year=year,
            unit_price_cents=3000,
            bought_on=date(year, 3, 2),
        )
        context = Context.new("test:governance")
        self.store.append(f"share-{purchase_id}", to_new_events([bought], context), NO_STREAM)

    # -- background parts ----------------------------------------------------------------------

    @property
    def store(self) -> EventStore:
        store: EventStore = self.app.state.store
        return store

    @property
    def gateway(self) -> OutboxDimonaGateway:
        assert self.contracts.gateway is not None
        return self.contracts.gateway

    @property
    def relay(self) -> DimonaRelay:
        assert self.contracts.dimona is not None
        return self.contracts.dimona

    @property
    def sweep(self) -> QuoteExpirySweep:
        assert self.contracts.expiry is not None
        return self.contracts.expiry

    def settle_dimona(self, prestation_id: str, declarations: int) -> dict[str, Any]:
        """Drives the ONSS answers until the prestation's `declarations` declarations are all
        answered (the relay's own poller would do it within a second or two), and returns the
        prestation then."""
        deadline = time.monotonic() + DEADLINE_SECONDS
        while True:
            self.relay.record_answers()
            body = self.prestation(prestation_id)
            found = body["dimona"]["declarations"]
            if len(found) == declarations and all(d["status"] != "pending" for d in found):
                return body
            assert time.monotonic() < deadline, f"DIMONA not answered in time: {found}"
            time.sleep(0.02)


def _ok(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body
