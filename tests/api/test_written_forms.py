"""Values are read by their written form: no Unix timestamp for a date, no "7.0" for a number
(what `make fuzz` found pydantic's lax mode letting through)."""

from __future__ import annotations

import pytest

from tests.api.api_client import Api, assert_problem


@pytest.mark.parametrize("today", [0, 86400, "0", "86400", "2026-3-2"])
def test_the_clock_takes_a_date_written_as_a_date(api: Api, today: object) -> None:
    response = api.request("PUT", "/v1/ops/clock", json={"today": today})

    assert_problem(response, 422, "validation-error", field="today")
    assert api.get("/v1/ops/clock")["today"] == "2026-03-02"


@pytest.mark.parametrize("value", ["0", "86400", "2026-3-1"])
def test_a_period_filter_takes_dates(api: Api, value: str) -> None:
    response = api.request("GET", "/v1/employment-contracts", params={"to": value})

    assert_problem(response, 422, "validation-error", field="to")


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/v1/api-keys", "cursor"),
        ("/v1/api-keys", "limit"),
        ("/v1/prestations", "min_position"),
        ("/v1/members", "limit"),
    ],
)
@pytest.mark.parametrize("value", ["7.0", " 7 ", "+7", "²"])
def test_numbers_in_a_query_are_ascii_digits(api: Api, path: str, name: str, value: str) -> None:
    response = api.request("GET", path, params={name: value})

    assert_problem(response, 422, "validation-error", field=name)


def test_a_documents_errors_are_documented_as_problems(api: Api) -> None:
    document = api.get("/openapi.json", key=None)
    for path in (
        "/v1/quotes/{quote_id}/document",
        "/v1/employment-contracts/{contract_id}/document",
    ):
        responses = document["paths"][path]["get"]["responses"]
        assert set(responses["404"]["content"]) == {"application/problem+json"}
        assert set(responses["200"]["content"]) == {"text/html"}
    response = api.request("GET", "/v1/quotes/Q0/document")
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (f"/v1/members/{'m' * 65}", "member_id"),
        (f"/v1/prestations/{'p' * 65}", "prestation_id"),
        (f"/v1/quotes/Q{'q' * 64}", "quote_id"),
    ],
)
def test_an_id_in_a_path_is_bounded(api: Api, path: str, field: str) -> None:
    assert_problem(api.request("GET", path), 422, "validation-error", field=field)


def test_a_partner_key_names_few_and_short_scopes(api: Api) -> None:
    many = api.request(
        "POST", "/v1/api-keys", json={"role": "partner", "scopes": ["events:read"] * 9}
    )
    long = api.request("POST", "/v1/api-keys", json={"role": "partner", "scopes": ["e" * 33]})

    assert_problem(many, 422, "validation-error", field="scopes")
    assert_problem(long, 422, "validation-error", field="scopes[0]")
