"""Personal fields reach a partner only when its grant says `personal_data` (issue 13 → 14):
otherwise they are absent from `data` on every path — pages, streams, SSE frames, webhooks."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from services.integration.cloud import encode
from shared.personal.tokens import PREFIX
from tests.api.api_client import TODAY, VALID_NISS, Api
from tests.integration.helpers import events_of, key_id_of, partner, running
from tests.integration.receiver import Receiver, receiving

PERSONAL = ("first_name", "last_name", "email", "niss", "iban", "address")


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    monkeypatch.setenv("COOP_WEBHOOK_ALLOWED_HOSTS", "127.0.0.1")
    monkeypatch.setenv("COOP_WEBHOOK_POLL_SECONDS", "0.02")
    with running(tmp_path) as api:
        api.set_today(TODAY)
        yield api


def registered(events: list[dict[str, Any]]) -> dict[str, Any]:
    (found,) = [e["data"] for e in events if e["type"] == "MemberRegistered"]
    return found


def grant(api: Api, key: str, personal_data: bool) -> None:
    body = {"categories": ["member"], "personal_data": personal_data}
    response = api.request("PUT", f"/v1/events/scopes/{key_id_of(key)}", json=body)
    assert response.status_code == 200, response.text


def test_without_the_grant_personal_fields_are_absent_from_every_path(api: Api) -> None:
    member_id = api.register_member(address="Rue Haute 1, 1000 Bruxelles")["member_id"]
    key = partner(api, ["member"])
    for path in ("/v1/events", f"/v1/streams/member-{member_id}"):
        response = api.request("GET", path, key=key)
        assert response.status_code == 200, response.text
        data = registered(events_of(response.json()))
        assert not set(PERSONAL) & set(data), path
        assert (data["member_id"], data["gender"]) == (member_id, "F")
        assert PREFIX.encode() not in response.content and b"Peeters" not in response.content

    with receiving(Receiver()) as receiver:
        body = {"url": receiver.url, "secret": "whsec_" + "A" * 44, "after": 0}
        api.post("/v1/webhooks", body, key=key, status=201)
        deadline = time.monotonic() + 15
        while not receiver.accepted():
            assert time.monotonic() < deadline, "no delivery"
            time.sleep(0.02)
        delivered = json.loads(receiver.accepted()[0].body)
    assert delivered["type"] == "MemberRegistered"
    assert not set(PERSONAL) & set(delivered["data"])


def test_with_the_grant_they_arrive_opened(api: Api) -> None:
    api.register_member()
    key = partner(api, ["member"])
    grant(api, key, personal_data=True)
    data = registered(events_of(api.get("/v1/events", key=key)))
    assert (data["last_name"], data["niss"]) == ("Peeters", VALID_NISS)
    staff = registered(events_of(api.get("/v1/events", params={"categories": "member"})))
    assert staff["last_name"] == "Peeters"


def test_an_sse_frame_is_encoded_the_same_way(api: Api) -> None:
    member_id = api.register_member()["member_id"]
    (recorded,) = [r for r in api.store.read_stream(f"member-{member_id}")
                   if r.type == "MemberRegistered"]  # fmt: skip
    assert not set(PERSONAL) & set(json.loads(encode(recorded))["data"])
    assert json.loads(encode(recorded, personal_data=True))["data"]["last_name"] == "Peeters"
