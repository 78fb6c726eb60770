"""What the fuzz runs share: the app served over real HTTP on 127.0.0.1, the resources seeded
before generation starts (so path parameters sometimes name something that exists), and the
checks made after the run (readiness, and a store log in which every event decodes).

The in-suite test serves `services.embedded.create_app` from a thread (uvicorn runs its
lifespan: projections, the DIMONA relay and the expiry sweep are live); `make fuzz` starts
`python -m services.embedded` in a process of its own. Both seed and check through here.
"""

from __future__ import annotations

import dataclasses
import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import schemathesis
import uvicorn
from fastapi import FastAPI
from hypothesis import strategies as st

from shared.events.base import Context
from shared.events.governance import ShareBought
from shared.eventstore.codec import decode, to_new_events
from shared.eventstore.port import NO_STREAM, START, EventStore
from tests.api.api_client import TODAY, Api

START_TIMEOUT = 15.0
READY_TIMEOUT = 15.0


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """Serves `app` with uvicorn on an ephemeral port of 127.0.0.1 from a thread, lifespan
    included, and yields its base URL. Leaving the block shuts the server (and the lifespan)
    down."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, lifespan="on", log_config=None, access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="fuzz-uvicorn", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the server stopped while starting (see its log)")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start within {START_TIMEOUT} s")
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=START_TIMEOUT)
        sock.close()


@dataclass(frozen=True)
class Known:
    """Resources that exist before generation starts."""

    member_id: str
    client_id: str
    prestations: tuple[dict[str, Any], ...]  # three, as encoded (the member's free ones)
    key_id: str  # a spare partner key: revoking it harms nobody
    member_key: str  # a member key of `member_id`

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Known:
        data = json.loads(text)
        return cls(**{**data, "prestations": tuple(data["prestations"])})

    def path_parameters(self, operation: str) -> dict[str, str]:
        """Seeded ids by path parameter name, for `operation` ("POST /v1/quotes/…").

        Writes that close a prestation each get one of their own, so that one of them
        closing it first does not leave the others only a 409: cancel the first, amend and
        accept the second, reject the third."""
        first, second, third = (_ids(p) for p in self.prestations)
        chosen = {
            "POST /v1/prestations/{prestation_id}/amend": second,
            "POST /v1/quotes/{quote_id}/accept": second,
            "POST /v1/quotes/{quote_id}/reject": third,
        }.get(operation, first)
        return {
            "member_id": self.member_id,
            "client_id": self.client_id,
            "key_id": self.key_id,
            **chosen,
        }

    def body_values(self, operation: str) -> dict[str, str]:
        """Seeded values for the body fields that name a resource."""
        token = {
            "POST /v1/quotes/{quote_id}/accept": self.prestations[1],
            "POST /v1/quotes/{quote_id}/reject": self.prestations[2],
        }.get(operation, self.prestations[0])["quote"]["acceptance_token"]
        return {"member_id": self.member_id, "client_id": self.client_id, "acceptance_token": token}


def _ids(prestation: dict[str, Any]) -> dict[str, str]:
    return {
        "prestation_id": prestation["prestation_id"],
        "quote_id": prestation["quote"]["quote_id"],
        "contract_id": prestation["employment_contract"]["contract_id"],
        "declaration_id": prestation["dimona"]["declaration_id"],
    }


def _created(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, f"seeding: {response.request.url} {response.text}"
    body: dict[str, Any] = response.json()
    return body


def valid_bodies(known: Known) -> dict[str, dict[str, Any]]:
    """A body each write accepts, by operation."""
    return {
        "POST /v1/api-keys": {"role": "ops"},
        "PUT /v1/ops/clock": {"today": TODAY.isoformat()},
        "POST /v1/members": Api.member_body(),
        "POST /v1/clients": Api.client_body(),
        "POST /v1/prestations": Api.prestation_body(known.member_id, known.client_id),
        "POST /v1/prestations/{prestation_id}/amend": {
            "days": [{"date": "2026-03-10", "hours": 6}, {"date": "2026-03-11", "hours": 8}]
        },
    }


def seed(client: httpx.Client) -> Known:
    """Sets the simulated date to TODAY, then registers a member and a client, encodes the
    worked example three times (first day 2026-03-10) and issues a member key and a spare
    key. `client` carries the admin key."""
    _created(client.put("/v1/ops/clock", json={"today": TODAY.isoformat()}), 200)
    member = _created(client.post("/v1/members", json=Api.member_body()), 201)
    customer = _created(client.post("/v1/clients", json=Api.client_body()), 201)
    body = Api.prestation_body(member["member_id"], customer["client_id"])
    prestations = tuple(_created(client.post("/v1/prestations", json=body), 201) for _ in range(3))
    member_key = _created(
        client.post("/v1/api-keys", json={"role": "member", "member_id": member["member_id"]}),
        201,
    )
    spare = _created(
        client.post("/v1/api-keys", json={"role": "partner", "scopes": ["events:read"]}), 201
    )
    return Known(
        member_id=member["member_id"],
        client_id=customer["client_id"],
        prestations=prestations,
        key_id=spare["key_id"],
        member_key=member_key["key"],
    )


# -- generation ----------------------------------------------------------------------------------


def _operation(context: schemathesis.HookContext) -> str:
    assert context.operation is not None
    return context.operation.label


def seeded_path_parameters(
    known: Known | None,
    context: schemathesis.HookContext,
    path_parameters: dict[str, Any] | None,
) -> st.SearchStrategy[dict[str, Any] | None]:
    """For a `flatmap_path_parameters` hook: the seeded resource's ids half of the time (first,
    so that a failure shrinks towards the real resource), the generated ones otherwise."""
    if known is None or not path_parameters:
        return st.just(path_parameters)
    ids = known.path_parameters(_operation(context))
    seeded = {name: ids[name] for name in path_parameters if name in ids}
    if not seeded:
        return st.just(path_parameters)
    return st.sampled_from([{**path_parameters, **seeded}, path_parameters])


def seeded_body(
    known: Known | None, context: schemathesis.HookContext, body: Any
) -> st.SearchStrategy[Any]:
    """For a `flatmap_body` hook, valid data only (a negative body must keep what breaks the
    schema, and the checks would blame the app for accepting a repaired one): the generated
    body; the same naming the seeded ids (a prestation's member and client, a quote's
    acceptance token); or, where a valid body is known, that body with one of its fields
    replaced by the generated one, so that a single odd value gets past the domain's other
    rules and reaches the events, the projections and the reactions."""
    if known is None or not isinstance(body, dict):
        return st.just(body)
    operation = _operation(context)
    candidates: list[Any] = []
    valid = valid_bodies(known).get(operation)
    if valid is not None:
        candidates.extend({**valid, name: value} for name, value in body.items())
    values = known.body_values(operation)
    seeded = {name: values[name] for name in body if name in values}
    if seeded:
        candidates.append({**body, **seeded})
    candidates.append(body)
    return st.sampled_from(candidates)


def buy_share(store: EventStore, member_id: str, year: int) -> None:
    """Governance's ShareBought, appended the way that service would (it has no API here),
    so that the member may encode more than its free prestations."""
    purchase_id = uuid.uuid4().hex
    bought = ShareBought(
        purchase_id=purchase_id,
        member_id=member_id,
        category="A",
        quantity=1,
        year=year,
        unit_price_cents=3000,
        bought_on=date(year, 1, 2),
    )
    context = Context.new("test:governance")
    store.append(f"share-{purchase_id}", to_new_events([bought], context), NO_STREAM)


# -- after the run -------------------------------------------------------------------------------


def check_problems(check: Mapping[str, Any]) -> list[str]:
    """What is wrong with one `/health/ready` check: failed, errored, or not caught up.

    Tolerant of the format: unknown fields are ignored, and a check is caught up when it says
    so, or when its `lag_events` is 0, or when its `position` has reached its `head`."""
    name = check.get("name", "?")
    for field in ("failed", "error"):
        if check.get(field):
            return [f"{name}: {field} {check[field]}"]
    if check.get("caught_up") is True or check.get("lag_events") == 0:
        return []
    position, head = check.get("position"), check.get("head")
    if isinstance(position, int) and isinstance(head, int) and position >= head:
        return []
    return [f"{name}: not caught up {dict(check)}"]


def readiness_problems(client: httpx.Client, timeout: float = READY_TIMEOUT) -> list[str]:
    """Waits up to `timeout` for every readiness check to be caught up; answers what is still
    wrong then (a failure is reported at once: a failed projection does not heal by itself)."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get("/health/ready")
        problems: list[str] = []
        if response.status_code not in (200, 503):
            problems.append(f"/health/ready answered {response.status_code}: {response.text}")
        else:
            for check in response.json().get("checks", []):
                problems.extend(check_problems(check))
            if not problems and response.status_code != 200:
                problems.append(f"/health/ready answered 503: {response.text}")
        failed = any(": failed " in p or ": error " in p for p in problems)
        if not problems or failed or time.monotonic() > deadline:
            return problems
        time.sleep(0.1)


def log_problems(store: EventStore, batch: int = 1000) -> list[str]:
    """Every event of the log decodes (upcasting included), positions strictly increase and
    each stream's versions follow one another without a gap."""
    problems: list[str] = []
    after = START
    last_version: dict[str, int] = {}
    while True:
        events = store.read_all(after=after, limit=batch)
        for recorded in events:
            if recorded.position <= after:
                problems.append(f"position {recorded.position} after {after}")
            after = recorded.position
            try:
                decode(recorded)
            except Exception as error:
                problems.append(
                    f"{recorded.type} at {recorded.position} in {recorded.stream} "
                    f"does not decode: {error!r}"
                )
            previous = last_version.get(recorded.stream)
            if previous is not None and recorded.version != previous + 1:
                problems.append(f"{recorded.stream}: version {recorded.version} after {previous}")
            last_version[recorded.stream] = recorded.version
        if len(events) < batch:
            return problems
