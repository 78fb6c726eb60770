"""`python -m bench.http_inproc`: the event loop's CPU per encoding, without a socket.

The embedded app (its background in a child process, as served) is called as an ASGI app in
this process: `--concurrency` tasks each send prestation encodings one after the other, and the
loop thread's own CPU time (`time.thread_time`) is divided by the requests answered. No
uvicorn, no h11, no wrk: what is left is the project's per-request work on the loop (its
middleware, routing, dependencies, validation, serialisation and the hand-off to the handler
thread), measured to a few µs, which a loaded machine hardly moves. `--profile FILE` writes a
cProfile of the loop thread over the measured requests (for `python -m pstats`).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import logging
import os
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.servers import ADMIN_KEY, TODAY

Message = dict[str, Any]


class Client:
    """Calls an ASGI app the way a server would, one request at a time."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def call(
        self, method: str, path: str, body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:  # fmt: skip
        raw = b"" if body is None else json.dumps(body).encode()
        sent = False
        header_list = [(b"host", b"bench"), (b"authorization", f"Bearer {ADMIN_KEY}".encode())]
        if body is not None:
            header_list += [(b"content-type", b"application/json"),
                            (b"content-length", str(len(raw)).encode())]  # fmt: skip
        header_list += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
        scope = {
            "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1", "method": method, "scheme": "http", "path": path,
            "raw_path": path.encode(), "query_string": b"", "root_path": "",
            "headers": header_list, "client": ("127.0.0.1", 5000),
            "server": ("127.0.0.1", 8000), "state": {},
        }  # fmt: skip

        async def receive() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": raw, "more_body": False}
            await asyncio.sleep(3600)
            return {"type": "http.disconnect"}

        status, answer_headers, chunks = 0, {}, []

        async def send(message: Message) -> None:
            nonlocal status, answer_headers
            if message["type"] == "http.response.start":
                status = message["status"]
                answer_headers = {k.decode(): v.decode() for k, v in message["headers"]}
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, answer_headers, b"".join(chunks)


def prestation(member_id: str, client_id: str, n: int, tag: str) -> dict[str, Any]:
    first = TODAY + timedelta(days=7 + n % 290)
    if first.isoweekday() == 7:
        first += timedelta(days=1)
    second = first + timedelta(days=1)
    if second.isoweekday() == 7:
        second += timedelta(days=1)
    return {
        "member_id": member_id, "client_id": client_id, "description": f"Bench gig {tag}-{n}",
        "days": [{"date": first.isoformat(), "hours": 8}, {"date": second.isoformat(), "hours": 8}],
        "amount_excl_vat_cents": 100000 + n % 1000, "vat_rate": "21", "withholding_rate": "22",
        "expenses": [],
    }  # fmt: skip


async def set_up(client: Client, app: Any) -> tuple[str, str]:
    from shared.events.base import Context
    from shared.events.governance import ShareBought
    from shared.eventstore.codec import to_new_events
    from shared.eventstore.port import NO_STREAM

    async def ok(status: int, method: str, path: str, body: Mapping[str, Any]) -> Any:
        got, _, answer = await client.call(method, path, body)
        if got != status:
            raise RuntimeError(f"{method} {path}: {got} {answer!r}")
        return json.loads(answer)

    await ok(200, "PUT", "/v1/ops/clock", {"today": TODAY.isoformat()})
    member = await ok(201, "POST", "/v1/members", {
        "first_name": "Ana", "last_name": "Peeters", "email": "ana.peeters@example.be",
        "niss": "85073003328", "iban": "BE71 0961 2345 6769", "gender": "F",
    })  # fmt: skip
    customer = await ok(201, "POST", "/v1/clients", {
        "name": "Théâtre du Parc", "email": "billing@parc.example.be", "country": "BE",
        "vat_number": "BE0123456749",
    })  # fmt: skip
    purchase = uuid.uuid4().hex
    bought = ShareBought(
        purchase_id=purchase, member_id=member["member_id"], category="A", quantity=1,
        year=TODAY.year, unit_price_cents=3000, bought_on=TODAY,
    )  # fmt: skip
    events = to_new_events([bought], Context.new("bench:governance"))
    app.state.store.append(f"share-{purchase}", events, NO_STREAM)
    return member["member_id"], customer["client_id"]


async def load(
    client: Client, parties: tuple[str, str], count: int, concurrency: int, tag: str
) -> list[int]:
    counter = iter(range(count))
    statuses: list[int] = []

    async def worker() -> None:
        for n in counter:
            body = prestation(*parties, n, tag)
            status, _, answer = await client.call(
                "POST", "/v1/prestations", body, {"Idempotency-Key": f"{tag}-{n}"}
            )
            if status != 201:
                raise RuntimeError(f"encoding answered {status}: {answer[:300]!r}")
            statuses.append(status)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return statuses


async def run(args: argparse.Namespace, root: Path) -> None:
    os.environ.update({
        "COOP_DATA_DIR": str(root / "data"), "COOP_ADMIN_KEY": ADMIN_KEY,
        "COOP_CLOCK": "simulated",
    })  # fmt: skip
    from services.embedded import background_process, create_app
    from shared.http.observability import configure_logging
    from shared.settings import Settings

    # As served: JSON access lines, here into a file (the server writes them to stderr).
    configure_logging()
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(open(root / "log.jsonl", "w"))  # noqa: SIM115

    settings = Settings.from_env()
    background = background_process(settings) if settings.background == "process" else None
    app = create_app(settings, background)
    if args.profile_handler:
        _profile_handler(app, args.profile_handler)
    client = Client(app)
    async with app.router.lifespan_context(app):
        parties = await set_up(client, app)
        await load(client, parties, args.warmup, args.concurrency, "warm")
        figures = []
        collected = _gc_timer() if args.gc_stats else None
        for number in range(args.runs):
            profiler = cProfile.Profile(time.thread_time) if args.profile and number == 0 else None
            started, wall = time.thread_time(), time.perf_counter()
            if profiler:
                profiler.enable()
            _callgrind(args.callgrind, "on")
            await load(client, parties, args.requests, args.concurrency, uuid.uuid4().hex[:8])
            _callgrind(args.callgrind, "off")
            if profiler:
                profiler.disable()
                profiler.dump_stats(args.profile)
            used = time.thread_time() - started
            per = 1000 * used / args.requests
            figures.append(per)
            if collected is not None:
                spent = {gen: round(1000 * t / args.requests, 3) for gen, t in collected.items()}
                print(f"  GC ms per encoding by generation (every thread): {spent}")
                collected.clear()
            print(f"loop CPU {per:.3f} ms/encoding over {args.requests}"
                  f" ({args.requests / (time.perf_counter() - wall):.0f}/s wall)"
                  f"{' [profiled]' if profiler else ''}", flush=True)  # fmt: skip
        unprofiled = figures[1:] if args.profile and len(figures) > 1 else figures
        print(f"median {statistics.median(unprofiled):.3f} ms, min {min(unprofiled):.3f} ms")


def _profile_handler(app: Any, path: str) -> None:
    """Wraps the contracts handlers' `encode` in a cProfile (CPU time) written to `path`."""
    handlers = app.state.contracts.handlers
    original = handlers.encode
    profiler = cProfile.Profile(time.thread_time)
    lock = threading.Lock()

    def encode(*args: Any, **kwargs: Any) -> Any:
        with lock:
            profiler.enable()
            try:
                return original(*args, **kwargs)
            finally:
                profiler.disable()
                profiler.dump_stats(path)

    handlers.encode = encode


def _callgrind(enabled: bool, state: str) -> None:
    """Under `valgrind --tool=callgrind --instr-atstart=no --vgdb-prefix=DIR/vgdb` (DIR in
    CALLGRIND_DIR): count instructions only while the measured requests run, a count that a
    loaded machine does not move."""
    if enabled:
        prefix = f"--vgdb-prefix={os.environ['CALLGRIND_DIR']}/vgdb"
        command = ["callgrind_control", prefix, "-i", state, str(os.getpid())]
        subprocess.run(command, check=True, capture_output=True)


def _gc_timer() -> dict[int, float]:
    """Seconds spent in each generation's collections, from gc.callbacks (every thread)."""
    spent: dict[int, float] = {}
    began: dict[int, float] = {}

    def callback(phase: str, info: dict[str, int]) -> None:
        ident = threading.get_ident()
        if phase == "start":
            began[ident] = time.perf_counter()
        elif ident in began:
            generation = info["generation"]
            spent[generation] = spent.get(generation, 0.0) + time.perf_counter() - began.pop(ident)

    gc.callbacks.append(callback)
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.http_inproc", description=__doc__)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--profile", type=str, default=None)
    parser.add_argument(
        "--profile-handler",
        type=str,
        default=None,
        help="cProfile of the encode handler (its thread), with --concurrency 1",
    )
    parser.add_argument("--callgrind", action="store_true", help="toggle callgrind's counting")
    parser.add_argument("--gc-stats", action="store_true", help="time the GC's collections")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-inproc-"))
    try:
        asyncio.run(run(args, root))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
