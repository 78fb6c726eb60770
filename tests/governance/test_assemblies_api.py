"""Assemblies and the board over HTTP in the embedded app: the secret ballot (nobody can tell
from the events how a member voted; the recount from the events gives the published result),
proxies and double votes refused, an election, the board over time, the managing director."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest

from services.governance.ids import assembly_stream
from shared.eventstore.codec import decode
from tests.api.api_client import TODAY, Api, assert_problem
from tests.api.conftest import running_app

HELD = dt.date(2026, 4, 1)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with running_app(tmp_path_factory.mktemp("assemblies")) as api:
        yield api


@pytest.fixture(autouse=True)
def today(api: Api) -> None:
    api.set_today(TODAY)


def shareholder(api: Api, gender: str = "F") -> str:
    member: str = api.register_member(gender=gender)["member_id"]
    api.post("/v1/share-purchases", {"member_id": member, "category": "A", "quantity": 1},
             status=201)  # fmt: skip
    return member


def convene(api: Api, **extra: Any) -> dict[str, Any]:
    body = {
        "title": "AG 2026", "held_on": HELD.isoformat(),
        "resolutions": [{"resolution_id": "accounts", "title": "Accounts 2025"},
                        {"resolution_id": "statutes", "title": "Statutes", "type": "statutes"}],
        **extra,
    }  # fmt: skip
    return api.post("/v1/assemblies", body, status=201)


def vote(api: Api, assembly: str, member: str, choice: str, **extra: Any) -> dict[str, Any]:
    body = {"member_id": member, "channel": "in_person",
            "choices": {"accounts": choice, "statutes": choice}, **extra}  # fmt: skip
    return api.post(f"/v1/assemblies/{assembly}/votes", body, status=201,
                    headers={"Idempotency-Key": f"{assembly}-{member}"})  # fmt: skip


def assembly_events(api: Api, assembly_id: str) -> list[dict[str, Any]]:
    """Everything the log holds of an assembly, without what differs by construction (the
    assembly's own id, event ids, times, correlation ids)."""
    out = []
    for recorded in api.store.read_stream(assembly_stream(assembly_id)):
        envelope = decode(recorded)
        data = envelope.event.model_dump(mode="json")
        data.pop("assembly_id", None)
        metadata = envelope.metadata.model_dump(mode="json")
        kept = {k: metadata[k] for k in ("actor", "schema_version", "request_digest")}
        out.append({"type": envelope.type, "data": data, "metadata": kept})
    return out


def test_from_the_events_nobody_can_tell_how_a_member_voted(api: Api) -> None:
    ana, bob, cyd = (shareholder(api) for _ in range(3))
    first = convene(api)["assembly_id"]
    second = convene(api)["assembly_id"]
    api.set_today(HELD)
    # The same people vote in the same order; Ana and Bob swap their votes.
    for assembly, ana_votes, bob_votes in ((first, "for", "against"), (second, "against", "for")):
        vote(api, assembly, ana, ana_votes)
        vote(api, assembly, bob, bob_votes)
        vote(api, assembly, cyd, "for")
        api.post(f"/v1/assemblies/{assembly}/close", {})

    one, other = assembly_events(api, first), assembly_events(api, second)
    # Apart from what the two worlds share (who voted, when, the results), nothing differs:
    # whatever links Ana to "for" in the first would link her to "against" in the second.
    voter_ids = {ana, bob, cyd}
    for one_event, other_event in zip(one, other, strict=True):
        if one_event["type"] != "VoteCast":
            assert one_event == other_event
    cast = [e for e in one if e["type"] == "VoteCast"]
    assert {e["data"]["member_id"] for e in cast} == voter_ids
    assert all(set(e["data"]) == {"member_id", "proxy_id", "channel"} for e in cast)
    opened = next(e for e in one if e["type"] == "BallotsOpened")
    assert not any(voter in json.dumps(opened) for voter in voter_ids)

    published = api.get(f"/v1/assemblies/{first}")
    accounts = next(r for r in published["results"] if r["resolution_id"] == "accounts")
    assert (accounts["for_votes"], accounts["against_votes"], accounts["adopted"]) == (2, 1, True)
    recount = api.get(f"/v1/assemblies/{first}/recount")
    assert recount["matches"] is True
    assert recount["recounted"]["results"][0]["for_votes"] == accounts["for_votes"]


def test_double_votes_and_proxies_beyond_the_limit_are_refused(api: Api) -> None:
    ana, bob, cyd = (shareholder(api) for _ in range(3))
    assembly = convene(api)["assembly_id"]
    remote = {"member_id": ana, "channel": "remote", "choices": {"accounts": "for"}}
    api.post(f"/v1/assemblies/{assembly}/votes", remote, status=201)
    api.set_today(HELD)
    again = api.request("POST", f"/v1/assemblies/{assembly}/votes",
                        json={**remote, "channel": "in_person"})  # fmt: skip
    assert_problem(again, 409, "already-voted")
    vote(api, assembly, bob, "for", proxy_id=cyd)
    dave = shareholder(api)
    beyond = api.request(
        "POST", f"/v1/assemblies/{assembly}/votes",
        json={"member_id": dave, "proxy_id": cyd, "channel": "in_person"},
    )  # fmt: skip
    assert_problem(beyond, 422, "too-many-proxies")
    stranger = api.register_member()["member_id"]
    refused = api.request("POST", f"/v1/assemblies/{assembly}/votes",
                          json={"member_id": stranger, "channel": "in_person"})  # fmt: skip
    assert_problem(refused, 422, "not-a-shareholder")
    key = api.member_key(dave)
    for_other = api.request("POST", f"/v1/assemblies/{assembly}/votes", key=key,
                            json={"member_id": bob, "channel": "in_person"})  # fmt: skip
    assert_problem(for_other, 403, "forbidden")


def test_convening_needs_the_notice_period(api: Api) -> None:
    body = {"title": "AG", "held_on": "2026-03-10", "resolutions": []}
    late = api.request("POST", "/v1/assemblies", json=body)
    assert_problem(late, 422, "convening-period", field="held_on")


def test_an_election_fills_the_board_which_appoints_its_managing_director(api: Api) -> None:
    women = [shareholder(api, "F") for _ in range(2)]
    men = [shareholder(api, "M") for _ in range(3)]
    election = {"election_id": "board-2026", "seats": 4, "candidates": men + women}
    assembly = convene(api, election=election)["assembly_id"]
    api.set_today(HELD)
    # Every voter ranks the men first: a plain top 4 would seat three men.
    for voter in men + women:
        body = {"member_id": voter, "channel": "in_person", "candidates": men[:3] + women[:1]}
        api.post(f"/v1/assemblies/{assembly}/votes", body, status=201)
    closed = api.post(f"/v1/assemblies/{assembly}/close", {})
    elected = [e["member_id"] for e in closed["board_election"]["elected"]]
    # At least 40 % of 4 seats are women: both women, and two of the three men (tied: by lot).
    assert set(women) <= set(elected) and len(set(elected) & set(men)) == 2
    assert api.get(f"/v1/assemblies/{assembly}/recount")["matches"] is True

    board = api.get("/v1/board", params={"as_of": HELD.isoformat()})
    assert sorted(m["member_id"] for m in board["members"]) == sorted(elected)
    assert api.get("/v1/board", params={"as_of": "2026-03-31"})["members"] == []
    assert api.get("/v1/board", params={"as_of": "2030-04-01"})["members"] == []

    outsider = next(m for m in men if m not in elected)
    refused = api.request("POST", "/v1/board/managing-director", json={"member_id": outsider})
    assert_problem(refused, 422, "not-on-the-board")
    appointed = api.post("/v1/board/managing-director", {"member_id": women[0]})
    assert appointed["chair"] == women[0]
    assert appointed["managing_director"]["ends_on"] == "2031-03-31"
    api.set_today("2029-06-01")
    ending = api.get("/v1/board/mandates-ending")["items"]
    assert {e["member_id"] for e in ending if e["mandate"] == "board"} == set(elected)
