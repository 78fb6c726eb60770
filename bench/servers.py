"""The servers `make bench-http` loads: started on a free 127.0.0.1 port, always stopped.

Also what the bench reads back from the embedded app over HTTP: the set-up (clock, a member, a
client), readiness (parsed tolerantly) and the DIMONA declarations.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx

HOST = "127.0.0.1"
ADMIN_KEY = "bench-http-admin-key-" + "0123456789abcdef" * 2
TODAY = date(2026, 3, 2)  # a Monday; the load's days lie after it
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0  # the app joins its background threads with 10 s timeouts


def exit_on_sigterm() -> None:
    """SIGTERM ends the bench through its `finally` blocks, so the servers it started stop."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def free_port() -> int:
    """An ephemeral port the kernel has just handed out (a tiny race with other binders)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]  # the server, or the tool that launched it (strace)
    port: int
    log: Path
    pid: int  # the Python server's own process

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"


def _python_child(pid: int) -> int | None:
    """The first child of `pid` (the server under a wrapper like strace), once it exists."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return None
    return int(children[0]) if children else None


def _wait_until_up(server: Server, path: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"{server.name} exited {server.process.returncode}; see {server.log}"
            )
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(server.url + path, timeout=1.0).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{server.name} did not answer {path} within {START_TIMEOUT:.0f} s")


def stop(server: Server) -> None:
    """SIGINT (uvicorn shuts down: the lifespan stops the background components), then
    SIGKILL for the whole process group if it is still there after STOP_TIMEOUT."""
    process = server.process
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(server.pid, signal.SIGINT)  # under a wrapper, the wrapper exits with it
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            print(
                f"{server.name} still running {STOP_TIMEOUT:.0f} s after SIGINT: killed", flush=True
            )
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(STOP_TIMEOUT)


@contextlib.contextmanager
def serve(
    name: str, argv: list[str], port: int, directory: Path, env: Mapping[str, str] | None = None,
    wrapped: bool = False,
) -> Iterator[Server]:  # fmt: skip
    """Runs `argv` (its stdout and stderr into `directory/<name>.log`) until the block ends;
    `wrapped`: argv starts with a launcher (strace …) whose child is the server."""
    log = directory / f"{name}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            argv, stdout=output, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})},
            cwd=Path(__file__).resolve().parent.parent, start_new_session=True,
        )  # fmt: skip
    server = Server(name, process, port, log, process.pid)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while wrapped and server.pid == process.pid and time.monotonic() < deadline:
            server.pid = _python_child(process.pid) or process.pid
            time.sleep(0.05)
        yield server
    finally:
        stop(server)


@contextlib.contextmanager
def bare_app(directory: Path) -> Iterator[Server]:
    port = free_port()
    argv = [sys.executable, "-m", "bench.http_apps", "--port", str(port)]
    with serve("bare-fastapi", argv, port, directory) as server:
        _wait_until_up(server, "/bare")
        yield server


@contextlib.contextmanager
def embedded_app(directory: Path, wrapper: Sequence[str] = ()) -> Iterator[Server]:
    """`python -m services.embedded` over a fresh data dir, simulated clock, known admin key;
    `wrapper`: a command line to launch it under (`strace … --`)."""
    port = free_port()
    data = directory / "data"
    data.mkdir(parents=True, exist_ok=True)
    env = {
        "COOP_DATA_DIR": str(data), "COOP_ADMIN_KEY": ADMIN_KEY, "COOP_CLOCK": "simulated",
        "COOP_HOST": HOST, "COOP_PORT": str(port),
    }  # fmt: skip
    argv = [*wrapper, sys.executable, "-m", "services.embedded"]
    with serve("embedded", argv, port, directory, env, wrapped=bool(wrapper)) as server:
        _wait_until_up(server, "/health")
        yield server


# -- the embedded app over HTTP ------------------------------------------------------------------


def admin(server: Server) -> httpx.Client:
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    return httpx.Client(base_url=server.url, headers=headers, timeout=30.0)


def _ok(response: httpx.Response, status: int) -> dict[str, Any]:
    if response.status_code != status:
        raise RuntimeError(f"{response.request.url}: {response.status_code} {response.text}")
    body: dict[str, Any] = response.json()
    return body


@dataclass(frozen=True)
class Parties:
    member_id: str
    client_id: str


def set_up(server: Server, data_dir: Path) -> Parties:
    """The clock on TODAY, one member, one client (over HTTP), and a share for the member.

    The share is the one write not made over HTTP: governance has no API in this repository, so
    its `ShareBought` is appended to the store file as that service would (as the API tests
    do). Without it a member may encode only 3 prestations a year.
    """
    from shared.events.base import Context
    from shared.events.governance import ShareBought
    from shared.eventstore.codec import to_new_events
    from shared.eventstore.port import NO_STREAM
    from shared.eventstore.sqlite import SQLiteEventStore

    with admin(server) as client:
        _ok(client.put("/v1/ops/clock", json={"today": TODAY.isoformat()}), 200)
        member = _ok(client.post("/v1/members", json={
            "first_name": "Ana", "last_name": "Peeters", "email": "ana.peeters@example.be",
            "niss": "85073003328", "iban": "BE71 0961 2345 6769", "gender": "F",
        }), 201)  # fmt: skip
        customer = _ok(client.post("/v1/clients", json={
            "name": "Théâtre du Parc", "email": "billing@parc.example.be", "country": "BE",
            "vat_number": "BE0123456749",
        }), 201)  # fmt: skip
    purchase = uuid.uuid4().hex
    bought = ShareBought(
        purchase_id=purchase, member_id=member["member_id"], category="A", quantity=1,
        year=TODAY.year, unit_price_cents=3000, bought_on=TODAY,
    )  # fmt: skip
    store = SQLiteEventStore(str(data_dir / "events.sqlite"))
    try:
        events = to_new_events([bought], Context.new("bench:governance"))
        store.append(f"share-{purchase}", events, NO_STREAM)
    finally:
        store.close()
    return Parties(member["member_id"], customer["client_id"])


# -- readiness -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Consumer:
    """A projection or reaction as `/health/ready` shows it."""

    name: str
    behind: int  # events behind the head: `lag_events`, else `head - position`
    exact: bool  # True when the check gave `lag_events` itself
    claims_caught_up: bool | None  # the check's own `caught_up`, when it has one
    position: int | None = None


def consumers(body: Mapping[str, Any]) -> list[Consumer]:
    """Every projection and reaction in a `/health/ready` body. Tolerant of the format: the
    checks may sit under `checks` as a list or a mapping (or be the body); a check counts when
    it has `lag_events` or both `position` and `head` (the store's own check has neither)."""
    raw = body.get("checks", body)
    items: list[Mapping[str, Any]] = []
    if isinstance(raw, Mapping):
        items = [{"name": key, **value} for key, value in raw.items() if isinstance(value, Mapping)]
    elif isinstance(raw, list):
        items = [item for item in raw if isinstance(item, Mapping)]
    found = []
    for check in items:
        lag, position, head = check.get("lag_events"), check.get("position"), check.get("head")
        caught_up = check.get("caught_up")
        claims = caught_up if isinstance(caught_up, bool) else None
        name = str(check.get("name", "?"))
        at = position if isinstance(position, int) and not isinstance(position, bool) else None
        if isinstance(lag, int | float) and not isinstance(lag, bool):
            found.append(Consumer(name, max(0, int(lag)), True, claims, at))
        elif at is not None and isinstance(head, int) and not isinstance(head, bool):
            found.append(Consumer(name, max(0, head - at), False, claims, at))
    return found


def readiness(client: httpx.Client) -> list[Consumer]:
    response = client.get("/health/ready")  # 503 while behind: still a body to read
    return consumers(response.json())


@dataclass(frozen=True)
class Lag:
    seconds: float | None  # None: the consumers did not reach the head before the timeout
    last: list[Consumer]
    polls: int
    settled: tuple[str, ...] = ()  # judged by their own caught_up once nothing moved (below)


def reached(consumers: list[Consumer], still_for: float, settle: float) -> tuple[str, ...] | None:
    """None while someone is behind; else the names taken on their word (maybe none).

    A filtered reaction's `position` is the last event it took, not the last it looked at, so
    with no `lag_events` it can read below the head for good once it is idle. Such a check is
    taken at its word (`caught_up: true`) once the head and every position have stayed still
    for `settle` seconds; a check that says it is not caught up never is."""
    behind = [c for c in consumers if c.behind > 0]
    if not consumers:
        return None
    if not behind:
        return ()
    if still_for >= settle and all(not c.exact and c.claims_caught_up for c in behind):
        return tuple(c.name for c in behind)
    return None


def wait_for_head(
    client: httpx.Client, timeout: float, interval: float = 0.05, settle: float = 1.0
) -> Lag:
    """Polls readiness until every consumer has reached the head (or `timeout` passes); the
    seconds are until the last change seen, when the state had to settle to be judged."""
    started = time.monotonic()
    last: list[Consumer] = []
    state: object = None
    since = started
    for polls in range(1, 1_000_000):
        now = time.monotonic()
        last = readiness(client)
        current = [(c.name, c.position, c.behind) for c in last]
        if current != state:
            state, since = current, now
        taken = reached(last, now - since, settle)
        if taken is not None:
            return Lag((since if taken else now) - started, last, polls, taken)
        if now - started > timeout:
            return Lag(None, last, polls)
        time.sleep(interval)
    return Lag(None, last, 0)


# -- DIMONA --------------------------------------------------------------------------------------


def _count(client: httpx.Client, path: str, params: dict[str, str]) -> dict[str, int]:
    """Rows by status over every page of a list (bounded: 10,000 pages of 200)."""
    counts: dict[str, int] = {}
    cursor: str | None = None
    for _ in range(10_000):
        query = {**params, "limit": "200"} | ({"cursor": cursor} if cursor else {})
        page = _ok(client.get(path, params=query), 200)
        for item in page["items"]:
            status = str(item.get("status", "?"))
            counts[status] = counts.get(status, 0) + 1
        cursor = page.get("next_cursor")
        if not cursor:
            break
    return counts


@dataclass(frozen=True)
class Dimona:
    prestations: int  # prestations in the list view
    declarations: dict[str, int]  # by status
    drained_after_s: float | None  # None: some were still pending at the timeout

    @property
    def answered(self) -> int:
        return sum(n for status, n in self.declarations.items() if status != "pending")


def dimona(client: httpx.Client, timeout: float) -> Dimona:
    """Waits until no DIMONA declaration is pending (the relay answers them each second),
    then counts the prestations and the declarations by status."""
    started = time.monotonic()
    drained: float | None = None
    while time.monotonic() - started <= timeout:
        page = _ok(client.get("/v1/dimona-declarations", params={"status": "pending"}), 200)
        if not page["items"]:
            drained = time.monotonic() - started
            break
        time.sleep(0.25)
    prestations = sum(_count(client, "/v1/prestations", {}).values())
    declarations = _count(client, "/v1/dimona-declarations", {"status": "all"})
    return Dimona(prestations, declarations, drained)
