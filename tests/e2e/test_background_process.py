"""`python -m services.embedded` as it is run: HTTP in one process, the background in its child.

The HTTP process answers reads from the files the child writes; killing the child costs a
restart and nothing else; killing the HTTP process takes the child down with it."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench import servers
from shared.settings import DEFAULT_BACKGROUND_NICE
from tests.eventstore.faults import until


@pytest.fixture
def app(tmp_path: Path) -> Iterator[tuple[servers.Server, servers.Parties]]:
    with servers.embedded_app(tmp_path) as server:
        yield server, servers.set_up(server, tmp_path / "data")


def _encode(client: httpx.Client, parties: servers.Parties, day: str) -> dict[str, Any]:
    body = {
        "member_id": parties.member_id, "client_id": parties.client_id,
        "description": "Background check", "amount_excl_vat_cents": 100000,
        "days": [{"date": day, "hours": 8}], "vat_rate": "21", "withholding_rate": "22",
        "expenses": [],
    }  # fmt: skip
    response = client.post("/v1/prestations", json=body, headers={"Idempotency-Key": day})
    assert response.status_code == 201, response.text
    encoded: dict[str, Any] = response.json()
    return encoded


def _background(client: httpx.Client) -> dict[str, Any]:
    checks = client.get("/health/ready").json()["checks"]
    found: dict[str, Any] = next(c for c in checks if c["name"] == "background-process")
    return found


def _declared(client: httpx.Client, prestation_id: str) -> bool:
    dimona = client.get(f"/v1/prestations/{prestation_id}").json()["dimona"]
    return dimona is not None and dimona["status"] == "accepted"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()[0] != "Z"


def _niceness(pid: int) -> set[int]:
    """The nice value of each thread of `pid` (field 19 of its stat)."""
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found.add(int((task / "stat").read_text().rsplit(")", 1)[1].split()[16]))
    return found


def test_the_child_and_all_its_threads_run_nicer_than_the_requests(
    app: tuple[servers.Server, servers.Parties],
) -> None:
    server, _ = app
    with servers.admin(server) as client:
        child = _background(client)
    (requests,) = _niceness(server.pid)
    assert _niceness(child["pid"]) == {min(requests + DEFAULT_BACKGROUND_NICE, 19)}


def test_the_child_keeps_the_views_and_answers_dimona_for_the_http_process(
    app: tuple[servers.Server, servers.Parties],
) -> None:
    server, parties = app
    with servers.admin(server) as client:
        child = _background(client)
        assert child["caught_up"] is True and child["pid"] != server.pid
        encoded = _encode(client, parties, "2026-03-20")
        listed = client.get(
            "/v1/prestations", params={"member_id": parties.member_id,
                                       "min_position": encoded["position"]},
        )  # fmt: skip
        assert listed.status_code == 200
        assert encoded["prestation_id"] in [row["prestation_id"] for row in listed.json()["items"]]
        assert until(lambda: _declared(client, encoded["prestation_id"]), timeout=20)

        os.kill(child["pid"], signal.SIGKILL)  # the child dies; the HTTP process goes on
        assert until(lambda: _background(client)["restarts"] == 1, timeout=20)
        later = _encode(client, parties, "2026-03-21")
        assert until(lambda: _declared(client, later["prestation_id"]), timeout=20)
        assert servers.wait_for_head(client, timeout=20).seconds is not None


def test_a_killed_http_process_takes_its_child_down(
    app: tuple[servers.Server, servers.Parties],
) -> None:
    server, _ = app
    with servers.admin(server) as client:
        child = _background(client)["pid"]
    os.kill(server.pid, signal.SIGKILL)
    server.process.wait()
    assert until(lambda: not _alive(child), timeout=10)
