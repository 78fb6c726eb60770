"""Retried requests: the first attempt's effect is found in the log, whatever died in between.

A restart of the app on the same data directory stands for a crash between the append and the
answer: nothing outside the event store survives that the retry could rely on.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from tests.api.api_client import Api, assert_problem
from tests.api.conftest import running_app

Json = dict[str, Any]


def _key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


def _post(api: Api, path: str, body: object, headers: dict[str, str], key: Any = None) -> Any:
    if key is None:
        return api.request("POST", path, json=body, headers=headers)
    return api.request("POST", path, json=body, headers=headers, key=key)


class TestAcrossARestart:
    def test_a_member_registered_before_the_crash_is_found_by_the_retry(
        self, tmp_path: Path
    ) -> None:
        headers = _key()
        with running_app(tmp_path) as api:
            first = _post(api, "/v1/members", api.member_body(), headers)
        with running_app(tmp_path) as api:
            again = _post(api, "/v1/members", api.member_body(), headers)
            listed = api.get("/v1/members", params={"min_position": again.json()["position"]})

        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()
        assert again.headers["idempotent-replayed"] == "true"
        assert [m["member_id"] for m in listed["items"]] == [first.json()["member_id"]]

    def test_an_encoding_retried_after_a_restart_shows_the_same_acceptance_token(
        self, tmp_path: Path
    ) -> None:
        headers = _key()
        with running_app(tmp_path) as api:
            api.set_today("2026-03-02")
            member, client = api.register_member(), api.register_client()
            body = api.prestation_body(member["member_id"], client["client_id"])
            first = _post(api, "/v1/prestations", body, headers)
        with running_app(tmp_path) as api:
            again = _post(api, "/v1/prestations", body, headers)
            token = again.json()["quote"]["acceptance_token"]
            accepted = api.accept(again.json()["quote"]["quote_id"], token, key=None)

        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()
        assert accepted.status_code == 200, accepted.text

    def test_a_client_registered_twice_with_one_key_is_one_client(self, api: Api) -> None:
        headers = _key()
        first = _post(api, "/v1/clients", api.client_body(), headers)
        again = _post(api, "/v1/clients", api.client_body(), headers)

        assert first.json() == again.json()
        registered = [e for e in api.store.read_all() if e.type == "ClientRegistered"]
        assert [e.stream for e in registered].count(f"client-{first.json()['client_id']}") == 1


class TestTransitions:
    def test_an_acceptance_retried_by_the_client_answers_the_first_acceptance(
        self, api: Api, quoted: Json
    ) -> None:
        path = f"/v1/quotes/{quoted['quote']['quote_id']}/accept"
        body = {"acceptance_token": quoted["quote"]["acceptance_token"]}
        headers = _key()
        first = api.request("POST", path, json=body, headers=headers, key=None)
        again = api.request("POST", path, json=body, headers=headers, key=None)

        assert first.status_code == again.status_code == 200
        assert again.json() == first.json()
        accepted = [e for e in api.store.read_all() if e.type == "QuoteAccepted"]
        assert [e.stream for e in accepted].count(f"prestation-{quoted['prestation_id']}") == 1

    def test_without_a_key_a_second_acceptance_is_a_conflict(self, api: Api, quoted: Json) -> None:
        token = quoted["quote"]["acceptance_token"]
        api.accept(quoted["quote"]["quote_id"], token, key=None)

        response = api.accept(quoted["quote"]["quote_id"], token, key=None)

        assert_problem(response, 409, "quote-not-pending")

    def test_a_cancellation_retried_with_its_if_match_answers_the_first(
        self, api: Api, quoted: Json
    ) -> None:
        path = f"/v1/prestations/{quoted['prestation_id']}/cancel"
        headers = _key() | {"If-Match": '"3"'}
        first = api.request("POST", path, json={}, headers=headers)
        again = api.request("POST", path, json={}, headers=headers)

        assert first.status_code == again.status_code == 200, first.text
        assert again.json() == first.json()


class TestRefusedRetries:
    def test_a_revoked_key_gets_no_replay(self, api: Api, member: Json) -> None:
        key = api.ops_key()
        headers = _key()
        first = _post(api, "/v1/clients", api.client_body(), headers, key=key)
        assert first.status_code == 201
        key_id = key.split("_")[1]
        api.post(f"/v1/api-keys/{key_id}/revoke", {})

        again = _post(api, "/v1/clients", api.client_body(), headers, key=key)

        assert_problem(again, 401, "unauthenticated")

    def test_the_same_key_from_another_caller_is_another_request(self, api: Api) -> None:
        headers = _key()
        first = _post(api, "/v1/clients", api.client_body(), headers)
        other = _post(api, "/v1/clients", api.client_body(), headers, key=api.ops_key())

        assert first.status_code == other.status_code == 201
        assert first.json()["client_id"] != other.json()["client_id"]

    def test_a_key_of_control_characters_is_refused(self, api: Api) -> None:
        response = _post(api, "/v1/clients", api.client_body(), {"Idempotency-Key": "a\tb"})

        assert_problem(response, 400, "invalid-idempotency-key", field="Idempotency-Key")


class TestNothingKeptInClear:
    def test_no_file_of_the_data_directory_holds_an_acceptance_token(self, tmp_path: Path) -> None:
        with running_app(tmp_path) as api:
            api.set_today("2026-03-02")
            member, client = api.register_member(), api.register_client()
            body = api.prestation_body(member["member_id"], client["client_id"])
            encoded = _post(api, "/v1/prestations", body, _key()).json()
            unauthenticated = api.request(
                "POST", f"/v1/quotes/{encoded['quote']['quote_id']}/accept",
                json={}, headers=_key(), key=None,
            )  # fmt: skip
        token = encoded["quote"]["acceptance_token"].encode()

        assert unauthenticated.status_code == 401
        files = [p for p in tmp_path.rglob("*") if p.is_file()]
        assert files and not [p for p in files if token in p.read_bytes()]
