"""`GET /v1/events` and `GET /v1/streams/{stream}`: CloudEvents, in order, within the scope."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.api_client import TODAY, Api, assert_problem
from tests.integration.helpers import append, events_of, partner, read_all_pages, running


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with running(tmp_path_factory.mktemp("feed")) as api:
        store = api.store
        append(store, "alpha-1", "AlphaHappened", 5)
        append(store, "beta-1", "BetaHappened", 4)
        append(store, "alpha-2", "AlphaNoted", 3, secret="only alpha readers")
        append(store, "gamma-1", "GammaHappened", 2)
        yield api


def test_a_page_is_cloudevents_in_store_order_with_the_extensions(api: Api) -> None:
    body = api.get("/v1/events", params={"categories": "alpha", "limit": 3})
    events = events_of(body)
    assert [e["subject"] for e in events] == ["alpha-1"] * 3
    first = events[0]
    assert first["specversion"] == "1.0"
    assert first["type"] == "AlphaHappened"
    assert first["source"].startswith("/services/")
    assert first["data"] == {"n": 0}
    assert first["correlationid"] == "c-1" and first["causationid"] == "c-0"
    assert first["occurredat"] == "2026-03-02T10:00:00+00:00"
    assert first["streamversion"] == 0
    positions = [e["position"] for e in events]
    assert positions == sorted(positions)
    assert body["next"] == str(positions[-1])


def test_known_types_name_the_service_that_owns_them(api: Api) -> None:
    api.set_today(TODAY)
    body = api.get("/v1/events", params={"types": "SimulatedDateSet", "limit": 1})
    assert events_of(body)[0]["source"] == "/services/platform"


def test_pages_follow_the_cursor_to_the_end_exactly_once(api: Api) -> None:
    key = partner(api, ["alpha", "beta"])
    seen = read_all_pages(api, key)
    assert [e["subject"] for e in seen] == ["alpha-1"] * 5 + ["beta-1"] * 4 + ["alpha-2"] * 3
    assert len({e["id"] for e in seen}) == len(seen)


def test_a_partner_reads_only_its_categories_and_types(api: Api) -> None:
    key = partner(api, ["alpha"], ["AlphaNoted"])
    seen = read_all_pages(api, key)
    assert {e["type"] for e in seen} == {"AlphaNoted"} and len(seen) == 3


def test_no_filter_means_the_whole_scope_never_more(api: Api) -> None:
    key = partner(api, ["beta"])
    assert {e["subject"] for e in read_all_pages(api, key)} == {"beta-1"}


@pytest.mark.parametrize(
    "params, field",
    [
        ({"categories": "alpha"}, "categories"),
        ({"categories": ["beta", "gamma"]}, "categories"),
        ({"categories": "apikey"}, "categories"),
        ({"types": "AlphaHappened"}, "types"),
    ],
)
def test_filters_that_widen_the_scope_are_refused(
    api: Api, params: dict[str, object], field: str
) -> None:
    key = partner(api, ["beta"], ["BetaHappened"])
    response = api.request("GET", "/v1/events", key=key, params=params)
    assert_problem(response, 403, "out-of-scope", field)


@pytest.mark.parametrize("after", ["0", "1", "3", "999999999999"])
def test_a_crafted_cursor_moves_the_start_never_the_scope(api: Api, after: str) -> None:
    key = partner(api, ["gamma"])
    body = api.get("/v1/events", key=key, params={"after": after, "limit": 1000})
    assert {e["subject"] for e in events_of(body)} <= {"gamma-1"}


@pytest.mark.parametrize("after", ["-1", "x", "1e3", "٣", "1" * 19])
def test_a_cursor_that_is_not_a_position_is_a_400(api: Api, after: str) -> None:
    key = partner(api, ["gamma"])
    response = api.request("GET", "/v1/events", key=key, params={"after": after})
    assert response.status_code in (400, 422), response.text


def test_a_partner_without_a_grant_reads_nothing(api: Api) -> None:
    key = api.issue_key("partner", scopes=["events:read"])
    assert read_all_pages(api, key) == []


def test_a_partner_key_without_the_action_scope_is_refused(api: Api) -> None:
    key = partner(api, ["alpha"], scopes=["webhooks:manage"])
    assert_problem(api.request("GET", "/v1/events", key=key), 403, "forbidden")
    assert_problem(api.request("GET", "/v1/streams/alpha-1", key=key), 403, "forbidden")


def test_member_keys_and_anonymous_callers_are_refused(api: Api) -> None:
    member = api.register_member()
    key = api.member_key(member["member_id"])
    assert_problem(api.request("GET", "/v1/events", key=key), 403, "forbidden")
    assert_problem(api.request("GET", "/v1/events", key=None), 401, "unauthenticated")


def test_a_stream_in_scope_reads_in_version_order(api: Api) -> None:
    key = partner(api, ["alpha"])
    body = api.get("/v1/streams/alpha-1", key=key)
    assert [e["streamversion"] for e in events_of(body)] == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("stream", ["beta-1", "apikey-admin", "nosuch-1", "nohyphen"])
def test_a_stream_outside_the_scope_looks_like_none(api: Api, stream: str) -> None:
    key = partner(api, ["alpha"], ["AlphaHappened"])
    assert_problem(api.request("GET", f"/v1/streams/{stream}", key=key), 404, "stream-not-found")


def test_a_stream_shows_only_the_types_in_scope(api: Api) -> None:
    key = partner(api, ["alpha"], ["AlphaHappened"])
    assert_problem(api.request("GET", "/v1/streams/alpha-2", key=key), 404, "stream-not-found")
    assert len(events_of(api.get("/v1/streams/alpha-1", key=key))) == 5


def test_staff_read_every_category(api: Api) -> None:
    ops = api.ops_key()
    page = api.get("/v1/events", key=ops, params={"limit": 1000})
    subjects = {e["subject"] for e in events_of(page)}
    assert {"alpha-1", "beta-1", "gamma-1"} <= subjects


@pytest.mark.parametrize(
    "body",
    [
        {"categories": []},
        {"categories": ["webhook"]},
        {"categories": ["Alpha"]},
        {"categories": ["al-pha"]},
    ],
)
def test_grants_never_cover_everything_or_internal_streams(
    api: Api, body: dict[str, object]
) -> None:
    key = api.issue_key("partner", scopes=["events:read"])
    key_id = key.removeprefix("coop_").split("_", 1)[0]
    response = api.request("PUT", f"/v1/events/scopes/{key_id}", json=body)
    assert response.status_code == 422, response.text


def test_only_the_admin_grants_and_reads_scopes(api: Api) -> None:
    key = partner(api, ["alpha"])
    key_id = key.removeprefix("coop_").split("_", 1)[0]
    assert api.get(f"/v1/events/scopes/{key_id}")["categories"] == ["alpha"]
    put = api.request("PUT", f"/v1/events/scopes/{key_id}", key=key, json={"categories": ["beta"]})
    assert_problem(put, 403, "forbidden")
    assert_problem(api.request("GET", "/v1/events/scopes/0123456789abcdef"), 404, "scope-not-found")
    assert_problem(api.request("GET", "/v1/events/scopes/NOT-A-KEY"), 404, "scope-not-found")
