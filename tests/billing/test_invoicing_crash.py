"""One invoice per accepted quote while the server is SIGKILLed mid-reaction.

`python -m services.embedded` (the background, where the invoicing reaction runs, in a child
process) is killed every second and a half, in turn the HTTP process, the background child, and
both at once, while careful ops accept quotes, each retried with its own Idempotency-Key until
it gets a final answer. Afterwards the log holds exactly one `InvoiceIssued` per
`QuoteAccepted`, one invoice stream each, and the year's numbers run 1..N without a gap or a
duplicate, each dated no later than its successor.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.eventstore.port import RecordedEvent
from shared.eventstore.sqlite import SQLiteEventStore
from tests.e2e.test_crash_chaos import ADMIN, Server, _share_for

ACCEPTERS = 3
QUOTES_PER_ACCEPTER = 6
MIN_KILLS = 3
KILL_EVERY_SECONDS = 1.5
DEADLINE_SECONDS = 60.0


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    running = Server(tmp_path)
    try:
        yield running
    finally:
        running.stop()


def _final(method: str, url: str, body: dict[str, Any], key: str) -> httpx.Response:
    """Retries until an answer that is not a dead connection or a 5xx."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    headers = ADMIN | {"Idempotency-Key": key}
    while time.monotonic() < deadline:
        try:
            response = httpx.request(method, url, json=body, headers=headers, timeout=5)
        except httpx.HTTPError:
            time.sleep(0.05)
            continue
        if response.status_code < 500:
            return response
        time.sleep(0.05)
    raise AssertionError(f"no final answer within {DEADLINE_SECONDS} s for {key}")


def _log(store_path: Path) -> list[RecordedEvent]:
    store = SQLiteEventStore(str(store_path))
    try:
        return store.read_all()
    finally:
        store.close()


def _of_type(log: list[RecordedEvent], kind: str) -> list[dict[str, Any]]:
    return [json.loads(e.data) for e in log if e.type == kind]


def _invoiced(store_path: Path, url: str, accepted: int) -> list[RecordedEvent]:
    """The log once the background has invoiced every accepted quote (or the deadline)."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        log = _log(store_path)
        if len(_of_type(log, "InvoiceIssued")) >= accepted or time.monotonic() > deadline:
            return log
        with contextlib.suppress(httpx.HTTPError):  # up, its child invoices; or still starting
            httpx.get(f"{url}/health", timeout=5)
        time.sleep(0.2)


def test_killed_mid_reaction_each_accepted_quote_has_one_invoice_numbered_without_gaps(
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
        json={"name": "Théâtre", "email": "t@example.be", "country": "BE",
              "vat_number": "BE0123456749"},
    ).json()  # fmt: skip
    _share_for(tmp_path / "events.sqlite", member["member_id"])
    quotes: list[str] = []
    for index in range(ACCEPTERS * QUOTES_PER_ACCEPTER):
        body = {
            "member_id": member["member_id"], "client_id": client["client_id"],
            "description": f"concert {index}", "days": [{"date": "2026-03-10", "hours": 8}],
            "amount_excl_vat_cents": 100000, "vat_rate": "21", "withholding_rate": "22",
            "expenses": [],
        }  # fmt: skip
        encoded = _final("POST", f"{server.url}/v1/prestations", body, f"encode-{index}")
        assert encoded.status_code == 201, encoded.text
        quotes.append(encoded.json()["quote"]["quote_id"])

    answers: dict[str, httpx.Response] = {}
    done = threading.Event()

    def accepter(number: int) -> None:
        mine = quotes[number * QUOTES_PER_ACCEPTER : (number + 1) * QUOTES_PER_ACCEPTER]
        for quote_id in mine:
            url = f"{server.url}/v1/quotes/{quote_id}/accept"
            answers[quote_id] = _final("POST", url, {}, f"accept-{quote_id}")
            time.sleep(KILL_EVERY_SECONDS / QUOTES_PER_ACCEPTER)  # spread over several kills

    mid_reaction: list[int] = []

    def killer() -> None:
        """Every 1.5 s, a kill, aimed when an accepted quote is not invoiced yet (within 1 s)."""
        while not done.wait(KILL_EVERY_SECONDS):
            aim = time.monotonic() + 1.0
            while time.monotonic() < aim and not done.is_set():
                log = _log(tmp_path / "events.sqlite")
                pending = len(_of_type(log, "QuoteAccepted")) - len(_of_type(log, "InvoiceIssued"))
                if pending > 0:
                    mid_reaction.append(pending)
                    break
                time.sleep(0.005)
            # a restart slower than Server.start waits: the next turn kills it again
            with contextlib.suppress(RuntimeError):
                server.chaos()

    accepters = [threading.Thread(target=accepter, args=(n,)) for n in range(ACCEPTERS)]
    chaos = threading.Thread(target=killer)
    for thread in [*accepters, chaos]:
        thread.start()
    for thread in accepters:
        thread.join()
    deadline = time.monotonic() + DEADLINE_SECONDS
    while (server.kills < MIN_KILLS or not mid_reaction) and time.monotonic() < deadline:
        time.sleep(0.1)  # the reactions still running get killed too
    done.set()
    chaos.join()
    if server.process is None or server.process.poll() is not None:
        server.start()  # the last turn may have left it down

    assert mid_reaction, "no kill fell while a quote was accepted but not invoiced yet"
    assert {r.status_code for r in answers.values()} == {200}, {
        q: r.text for q, r in answers.items() if r.status_code != 200
    }
    log = _invoiced(tmp_path / "events.sqlite", server.url, len(quotes))
    accepted = _of_type(log, "QuoteAccepted")
    issued = _of_type(log, "InvoiceIssued")
    assert sorted(q["quote_id"] for q in accepted) == sorted(quotes), "a quote accepted twice"
    assert sorted(i["quote_id"] for i in issued) == sorted(quotes), "not one invoice per quote"
    streams = [e.stream for e in log if e.type == "InvoiceIssued"]
    assert len(set(streams)) == len(quotes)
    numbers = _of_type(log, "InvoiceNumberAssigned")
    assert [n["sequence"] for n in numbers] == list(range(1, len(quotes) + 1))
    assert sorted(i["number"] for i in issued) == [
        f"2026-{n:06d}" for n in range(1, len(quotes) + 1)
    ]
    dates = [n["issue_date"] for n in numbers]
    assert dates == sorted(dates), "a number is dated after its successor"
    assert [e.position for e in log] == list(range(1, len(log) + 1)), "the log has a gap"
    print(
        f"{len(quotes)} quotes accepted and invoiced, {server.kills} SIGKILLs,"
        f" {len(mid_reaction)} with invoices pending ({sum(mid_reaction)} quotes in all)"
    )
