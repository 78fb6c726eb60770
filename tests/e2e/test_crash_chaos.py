"""Careful clients against a server killed with SIGKILL every few seconds.

Each client encodes prestations, retrying each with its own Idempotency-Key until it gets a
final answer. Afterwards: every request got one, every prestation in the log was named by an
answer (nothing happened that nobody was told of), nothing was encoded twice, the log is
gapless and the list read model agrees with the streams.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.events.base import Context
from shared.events.governance import ShareBought
from shared.eventstore.codec import to_new_events
from shared.eventstore.port import NO_STREAM
from shared.eventstore.sqlite import SQLiteEventStore

ADMIN_KEY = "chaos-admin-key-0123456789abcdef0123456789"
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
CLIENTS = 4
ENCODINGS_PER_CLIENT = int(os.environ.get("COOP_CHAOS_ENCODINGS", "15"))
MIN_KILLS = 3  # clients go on past their count until the server was killed this often
MAX_PER_CLIENT = 400
KILL_EVERY_SECONDS = 1.5
ANSWER_DEADLINE_SECONDS = 60.0
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Server:
    """`python -m services.embedded` on its own port, restarted after each kill."""

    def __init__(self, data_dir: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = os.environ | {
            "COOP_DATA_DIR": str(data_dir),
            "COOP_ADMIN_KEY": ADMIN_KEY,
            "COOP_CLOCK": "simulated",
            "COOP_PORT": str(self.port),
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.kills = 0

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "services.embedded"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/health", timeout=0.5).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("the server did not start")

    def kill(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
            self.kills += 1

    def background_pid(self) -> int | None:
        """The child that runs the projections and reactions (`shared.background`)."""
        if self.process is None:
            return None
        pid = self.process.pid
        with contextlib.suppress(OSError):
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            return int(children[0]) if children else None
        return None

    def chaos(self) -> None:
        """In turn: the HTTP process alone (its child stops by itself), the background
        child alone (restarted by the HTTP process), both at the same instant (the machine)."""
        turn = self.kills % 3
        child = self.background_pid()
        if turn == 1 and child is not None:
            os.kill(child, signal.SIGKILL)
            self.kills += 1
            return
        if turn == 2 and child is not None:
            os.kill(child, signal.SIGKILL)
        self.kill()
        self.start()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    running = Server(tmp_path)
    try:
        yield running
    finally:
        running.stop()


def _share_for(store_path: Path, member_id: str) -> None:
    """Governance's ShareBought, so the member is not held to 3 free prestations."""
    store = SQLiteEventStore(str(store_path))
    bought = ShareBought(
        purchase_id=uuid.uuid4().hex,
        member_id=member_id,
        category="A",
        quantity=1,
        year=2026,
        unit_price_cents=3000,
        bought_on=date(2026, 3, 2),
    )
    events = to_new_events([bought], Context.new("test:governance"))
    store.append(f"share-{uuid.uuid4().hex}", events, NO_STREAM)
    store.close()


def _dimona(store_path: Path, url: str) -> tuple[list[str], list[str]]:
    """Every DIMONA declaration and every answer, once the background reached the head."""
    deadline = time.monotonic() + ANSWER_DEADLINE_SECONDS
    while True:
        store = SQLiteEventStore(str(store_path))
        log = store.read_all()
        store.close()
        declared = [json.loads(e.data)["declaration_id"] for e in log if e.type == "DimonaDeclared"]
        answered = [json.loads(e.data)["declaration_id"] for e in log if e.type == "DimonaAccepted"]
        if len(answered) >= len(declared) or time.monotonic() > deadline:
            return declared, answered
        httpx.get(f"{url}/health", timeout=5)  # the server is up: its child answers
        time.sleep(0.2)


def _final_answer(url: str, body: dict[str, Any], key: str) -> httpx.Response:
    """Retries until the server gives a final answer (anything but a dead connection or 5xx)."""
    deadline = time.monotonic() + ANSWER_DEADLINE_SECONDS
    headers = ADMIN | {"Idempotency-Key": key}
    while time.monotonic() < deadline:
        try:
            response = httpx.post(f"{url}/v1/prestations", json=body, headers=headers, timeout=5)
        except httpx.HTTPError:
            time.sleep(0.05)
            continue
        if response.status_code < 500:
            return response
        time.sleep(0.05)
    raise AssertionError(f"no final answer within {ANSWER_DEADLINE_SECONDS} s for {key}")


def test_killed_every_few_seconds_nothing_is_lost_or_done_twice(
    server: Server, tmp_path: Path
) -> None:
    server.start()
    httpx.put(f"{server.url}/v1/ops/clock", json={"today": "2026-03-02"}, headers=ADMIN)
    member = httpx.post(
        f"{server.url}/v1/members",
        headers=ADMIN,
        json={"first_name": "Ada", "last_name": "Peeters", "email": "ada@example.be",
              "niss": "85073003328", "iban": "BE71 0961 2345 6769", "gender": "F"},
    ).json()  # fmt: skip
    client = httpx.post(
        f"{server.url}/v1/clients",
        headers=ADMIN,
        json={"name": "Théâtre", "email": "t@example.be", "country": "BE"},
    ).json()
    _share_for(tmp_path / "events.sqlite", member["member_id"])

    answers: dict[str, httpx.Response] = {}
    done = threading.Event()

    def careful_client(number: int) -> None:
        index = 0
        while index < MAX_PER_CLIENT and (index < ENCODINGS_PER_CLIENT or server.kills < MIN_KILLS):
            key = f"client{number}-encoding{index}"
            index += 1
            body = {
                "member_id": member["member_id"], "client_id": client["client_id"],
                "description": key, "days": [{"date": "2026-03-10", "hours": 8}],
                "amount_excl_vat_cents": 100000, "vat_rate": "21", "withholding_rate": "22",
                "expenses": [],
            }  # fmt: skip
            answers[key] = _final_answer(server.url, body, key)

    def killer() -> None:
        while not done.wait(KILL_EVERY_SECONDS):
            server.chaos()

    clients = [threading.Thread(target=careful_client, args=(n,)) for n in range(CLIENTS)]
    chaos = threading.Thread(target=killer)
    for thread in [*clients, chaos]:
        thread.start()
    for thread in clients:
        thread.join()
    done.set()
    chaos.join()

    assert server.kills >= MIN_KILLS, "the run ended before the server was killed enough"
    assert len(answers) >= CLIENTS * ENCODINGS_PER_CLIENT
    assert {r.status_code for r in answers.values()} == {201}, {
        k: r.text for k, r in answers.items() if r.status_code != 201
    }
    named = {r.json()["prestation_id"] for r in answers.values()}
    assert len(named) == len(answers), "two requests were answered with one prestation"

    store = SQLiteEventStore(str(tmp_path / "events.sqlite"))
    log = store.read_all()
    store.close()
    assert [e.position for e in log] == list(range(1, len(log) + 1)), "the log has a gap"
    encoded = [e.stream.removeprefix("prestation-") for e in log if e.type == "PrestationEncoded"]
    assert sorted(encoded) == sorted(named), "a prestation exists that no answer named"

    head = max(r.json()["position"] for r in answers.values())
    listed: set[str] = set()
    cursor = None
    while True:
        params: dict[str, Any] = {"member_id": member["member_id"], "min_position": head}
        params |= {"limit": 200} | ({"cursor": cursor} if cursor else {})
        page = httpx.get(f"{server.url}/v1/prestations", params=params, headers=ADMIN, timeout=10)
        assert page.status_code == 200, page.text
        listed |= {p["prestation_id"] for p in page.json()["items"]}
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert listed == named, "the list read model disagrees with the streams"

    declared, answered = _dimona(tmp_path / "events.sqlite", server.url)
    assert sorted(answered) == sorted(declared), "a declaration was answered twice or never"
    print(f"{len(answers)} encodings answered, {server.kills} SIGKILLs, {len(log)} events")
